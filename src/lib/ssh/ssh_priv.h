/* ssh: private pieces shared by the session code and the transport. */
#ifndef MTV_SSH_PRIV_H
#define MTV_SSH_PRIV_H

#include "mtv/ssh.h"

#define PUMP_BUF 32768

/*
 * The socket libssh2 uses: a TCP socket, or one end of a socketpair whose
 * other end (pump_fd) is pumped to and from the byte stream io.
 */
struct ssh_link {
    int fd;      /* libssh2's socket (non-blocking) */
    int pump_fd; /* socketpair peer, or -1 for TCP */
    const struct mtv_ssh_io *io;
    char in[PUMP_BUF]; /* stream -> libssh2 bytes not yet written */
    size_t in_off;
    size_t in_len;
    bool io_eof;
    struct mtv_deadline deadline;
};

/* Open the link (TCP connect with the deadline, or the socketpair). */
int ssh_link_open(struct ssh_link *l, const struct mtv_ssh_target *t,
                  struct mtv_error *err);
void ssh_link_close(struct ssh_link *l);

/* Shut the sockets down (they stay open) so libssh2 sees errors. */
void ssh_link_shutdown(struct ssh_link *l);

/*
 * Wait until libssh2 can make progress in `dirs` (LIBSSH2_SESSION_BLOCK_*
 * bits), pumping the stream meanwhile. MTV_ETIMEOUT at the deadline,
 * MTV_EIO when the stream fails.
 */
int ssh_link_wait(struct ssh_link *l, int dirs, struct mtv_error *err);

/* Record/compare a host key fingerprint (TOFU). MTV_EAUTH on mismatch. */
int ssh_hostkeys_check(struct mtv_ssh_hostkeys *k, const char *host_id,
                       const char *fingerprint, struct mtv_error *err);

#endif
