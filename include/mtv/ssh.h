/*
 * ssh: run one command on a guest over SSH (libssh2, the module's only
 * user), with a deadline, over a TCP connection or over any byte stream
 * (the KubeVirt port-forward WebSocket: see ws.h and docs/ssh.md).
 *
 * Over a byte stream, libssh2 talks to one end of a socketpair and this
 * module pumps bytes between the other end and the stream in the same
 * poll loop that drives the session, so libssh2 never knows it is
 * tunnelled and the stream's reader keeps running (KubeVirt's keepalive
 * pings get their pongs) for the whole exec.
 *
 * Authentication is by password (never logged, wiped after use by the
 * caller's own buffers; libssh2 gets it only for the auth call). Host keys
 * are trusted on first use per host id within a run
 * (struct mtv_ssh_hostkeys): a later connection to the same VM that
 * presents another key fails with MTV_EAUTH.
 */
#ifndef MTV_SSH_H
#define MTV_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtv/util.h"

/*
 * A byte stream to run SSH over. send/recv follow struct
 * mtv_http_stream_ops (recv: *got == 0 with 0 returned is end of stream,
 * MTV_ETIMEOUT when nothing arrived by the deadline). fd: the socket to
 * poll for input, or -1; pending: bytes recv returns without waiting.
 */
struct mtv_ssh_io {
    int (*send)(void *self, const void *p, size_t n,
                const struct mtv_deadline *deadline, struct mtv_error *err);
    int (*recv)(void *self, void *p, size_t cap, size_t *got,
                const struct mtv_deadline *deadline, struct mtv_error *err);
    int (*fd)(void *self);
    size_t (*pending)(void *self);
    void *self;
};

/* Host keys seen in this run, by host id (thread-safe). */
struct mtv_ssh_hostkeys;

/* Caller frees *out with mtv_ssh_hostkeys_free. */
int mtv_ssh_hostkeys_new(struct mtv_ssh_hostkeys **out, struct mtv_error *err);
void mtv_ssh_hostkeys_free(struct mtv_ssh_hostkeys *k);

/*
 * The recorded fingerprint ("SHA256:<base64>") of host_id into out[size],
 * or MTV_ENOTFOUND.
 */
int mtv_ssh_hostkeys_get(struct mtv_ssh_hostkeys *k, const char *host_id,
                         char *out, size_t size);

/* Where and how to connect. Everything is borrowed for the call. */
struct mtv_ssh_target {
    const char *host_id;         /* host-key record key, e.g. "ns/vm" */
    const char *host;            /* TCP: name or address (ignored with io) */
    int port;                    /* TCP: 0 means 22 */
    const struct mtv_ssh_io *io; /* a tunnel instead of TCP, or NULL */
    const char *user;
    const char *password;              /* never logged */
    struct mtv_ssh_hostkeys *hostkeys; /* NULL: accept any host key */
    int64_t timeout_ms; /* whole exec: connect to exit status; 0 = 30 s */
    size_t output_max;  /* cap per stream; 0 = 16 MiB (MTV_EPROTO past) */
};

/* What the command did. Free the insides with mtv_ssh_result_dispose. */
struct mtv_ssh_result {
    int exit_status;   /* -1 when killed by a signal */
    char *exit_signal; /* "KILL", ... or NULL */
    char *out;         /* stdout, NUL-terminated (never NULL on success) */
    size_t out_len;
    char *err; /* stderr */
    size_t err_len;
};

/*
 * Connect (TCP or io), handshake, check/record the host key, authenticate
 * with the password, run command, collect stdout/stderr/exit status.
 * *out is filled only on success (any exit status). Returns 0 or:
 * MTV_EIO (connect, reset, stream EOF), MTV_ETIMEOUT (the deadline),
 * MTV_EAUTH (bad credentials, changed host key), MTV_EPROTO (SSH protocol
 * error, output over the cap), MTV_EINVAL (bad target), MTV_ENOMEM.
 */
int mtv_ssh_exec(struct mtv_ssh_result *out, const struct mtv_ssh_target *t,
                 const char *command, struct mtv_error *err);

void mtv_ssh_result_dispose(struct mtv_ssh_result *r);

#endif
