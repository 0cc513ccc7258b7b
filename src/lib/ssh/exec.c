/* ssh: one command over a libssh2 session (non-blocking, with a deadline). */
#include "ssh/ssh_priv.h"

#include <libssh2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_OUTPUT_MAX ((size_t)16 * 1024 * 1024)

struct sess {
    struct ssh_link link;
    LIBSSH2_SESSION *s;
    LIBSSH2_CHANNEL *ch;
    const struct mtv_ssh_target *t;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void global_init(void)
{
    init_rc = libssh2_init(0);
}

/* libssh2's last error as MTV code + message. */
static int lib_error(struct sess *ss, int code, const char *what,
                     struct mtv_error *err)
{
    char *msg = NULL;

    libssh2_session_last_error(ss->s, &msg, NULL, 0);
    return mtv_error_set(err, code, "ssh", "%s: %s", what,
                         msg != NULL ? msg : "unknown error");
}

/* Wait for the session's blocked direction (after LIBSSH2_ERROR_EAGAIN). */
static int again(struct sess *ss, struct mtv_error *err)
{
    return ssh_link_wait(&ss->link, libssh2_session_block_directions(ss->s),
                         err);
}

static int handshake(struct sess *ss, struct mtv_error *err)
{
    int rc;

    while ((rc = libssh2_session_handshake(ss->s, ss->link.fd)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if ((rc = again(ss, err)) < 0) {
            return rc;
        }
    }
    if (rc != 0) {
        return lib_error(ss, ss->link.io_eof ? MTV_EIO : MTV_EPROTO,
                         "SSH handshake", err);
    }
    return 0;
}

/* Base64 (no padding) of n bytes into out (4 * n / 3 + 4 bytes). */
static void b64_nopad(const unsigned char *p, size_t n, char *out)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    size_t k = 0;

    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;

        v |= i + 1 < n ? (unsigned)p[i + 1] << 8 : 0;
        v |= i + 2 < n ? p[i + 2] : 0;
        out[k++] = a[(v >> 18) & 63];
        out[k++] = a[(v >> 12) & 63];
        if (i + 1 < n) {
            out[k++] = a[(v >> 6) & 63];
        }
        if (i + 2 < n) {
            out[k++] = a[v & 63];
        }
    }
    out[k] = '\0';
}

/* "SHA256:<base64, no padding>" of the server's host key. */
static int check_host_key(struct sess *ss, struct mtv_error *err)
{
    const char *hash = libssh2_hostkey_hash(ss->s, LIBSSH2_HOSTKEY_HASH_SHA256);
    char b64[64];
    char fp[80];

    if (hash == NULL) {
        return lib_error(ss, MTV_EPROTO, "host key", err);
    }
    b64_nopad((const unsigned char *)hash, 32, b64);
    snprintf(fp, sizeof(fp), "SHA256:%s", b64);
    mtv_log(MTV_LOG_DEBUG, "ssh", "host key of \"%s\": %s",
            ss->t->host_id != NULL ? ss->t->host_id : "", fp);
    if (ss->t->hostkeys == NULL) {
        return 0;
    }
    return ssh_hostkeys_check(
        ss->t->hostkeys, ss->t->host_id != NULL ? ss->t->host_id : "", fp, err);
}

static int authenticate(struct sess *ss, struct mtv_error *err)
{
    const struct mtv_ssh_target *t = ss->t;
    int rc;

    while ((rc = libssh2_userauth_password(ss->s, t->user, t->password)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if ((rc = again(ss, err)) < 0) {
            return rc;
        }
    }
    if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ||
        rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
        return mtv_error_set(err, MTV_EAUTH, "ssh",
                             "password authentication as \"%s\" failed",
                             t->user);
    }
    if (rc != 0) {
        return lib_error(ss, MTV_EPROTO, "authentication", err);
    }
    return 0;
}

static int open_and_exec(struct sess *ss, const char *command,
                         struct mtv_error *err)
{
    int rc;

    while ((ss->ch = libssh2_channel_open_session(ss->s)) == NULL) {
        if (libssh2_session_last_errno(ss->s) != LIBSSH2_ERROR_EAGAIN) {
            return lib_error(ss, MTV_EPROTO, "open channel", err);
        }
        if ((rc = again(ss, err)) < 0) {
            return rc;
        }
    }
    while ((rc = libssh2_channel_exec(ss->ch, command)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if ((rc = again(ss, err)) < 0) {
            return rc;
        }
    }
    return rc == 0 ? 0 : lib_error(ss, MTV_EPROTO, "exec", err);
}

/* Drain one stream of the channel into b; returns bytes read, 0, EAGAIN
 * or a negative libssh2 error. */
static ssize_t drain(struct sess *ss, int stream, struct mtv_buf *b)
{
    char buf[16384];
    ssize_t total = 0;

    for (;;) {
        ssize_t n = libssh2_channel_read_ex(ss->ch, stream, buf, sizeof(buf));

        if (n <= 0) {
            return total > 0 ? total : n;
        }
        if (mtv_buf_append(b, buf, (size_t)n) < 0) {
            return LIBSSH2_ERROR_OUT_OF_BOUNDARY;
        }
        total += n;
    }
}

static int read_output(struct sess *ss, struct mtv_buf *out,
                       struct mtv_buf *errb, struct mtv_error *err)
{
    for (;;) {
        ssize_t a = drain(ss, 0, out);
        ssize_t b = drain(ss, SSH_EXTENDED_DATA_STDERR, errb);
        int rc;

        if (a == LIBSSH2_ERROR_OUT_OF_BOUNDARY ||
            b == LIBSSH2_ERROR_OUT_OF_BOUNDARY) {
            return mtv_error_set(err, MTV_EPROTO, "ssh",
                                 "command output over %zu bytes", out->max);
        }
        if ((a < 0 && a != LIBSSH2_ERROR_EAGAIN) ||
            (b < 0 && b != LIBSSH2_ERROR_EAGAIN)) {
            return lib_error(ss, ss->link.io_eof ? MTV_EIO : MTV_EPROTO, "read",
                             err);
        }
        if (libssh2_channel_eof(ss->ch)) {
            return 0;
        }
        if (a == 0 && b == 0 && !libssh2_channel_eof(ss->ch) &&
            ss->link.io_eof) {
            return mtv_error_set(err, MTV_EIO, "ssh", "tunnel closed");
        }
        if (a <= 0 && b <= 0 && (rc = again(ss, err)) < 0) {
            return rc;
        }
    }
}

static int close_channel(struct sess *ss, struct mtv_ssh_result *r,
                         struct mtv_error *err)
{
    char *sig = NULL;
    size_t sig_len = 0;
    int rc;

    while ((rc = libssh2_channel_close(ss->ch)) == LIBSSH2_ERROR_EAGAIN) {
        if ((rc = again(ss, err)) < 0) {
            return rc;
        }
    }
    while ((rc = libssh2_channel_wait_closed(ss->ch)) == LIBSSH2_ERROR_EAGAIN) {
        if ((rc = again(ss, err)) < 0) {
            return rc;
        }
    }
    r->exit_status = libssh2_channel_get_exit_status(ss->ch);
    if (libssh2_channel_get_exit_signal(ss->ch, &sig, &sig_len, NULL, NULL,
                                        NULL, NULL) == 0 &&
        sig != NULL) {
        r->exit_signal = mtv_strndup(sig, sig_len);
        r->exit_status = -1;
        libssh2_free(ss->s, sig);
    }
    return 0;
}

/* Call fn until it stops saying EAGAIN; after the grace deadline the link
 * is shut down so libssh2 gets errors instead of waiting. */
static void finish(struct sess *ss, int (*fn)(struct sess *))
{
    int spins = 0;
    int rc;

    while ((rc = fn(ss)) == LIBSSH2_ERROR_EAGAIN && spins++ < 10000) {
        if (again(ss, NULL) < 0) {
            ssh_link_shutdown(&ss->link);
        }
    }
}

static int do_channel_free(struct sess *ss)
{
    int rc = libssh2_channel_free(ss->ch);

    if (rc != LIBSSH2_ERROR_EAGAIN) {
        ss->ch = NULL; /* freed, or left to session_free */
    }
    return rc;
}

static int do_disconnect(struct sess *ss)
{
    return libssh2_session_disconnect(ss->s, "done");
}

static int do_session_free(struct sess *ss)
{
    return libssh2_session_free(ss->s);
}

static void teardown(struct sess *ss)
{
    ss->link.deadline = mtv_deadline_in(2000); /* grace for a clean close */
    if (ss->ch != NULL) {
        finish(ss, do_channel_free);
    }
    if (ss->s != NULL) {
        finish(ss, do_disconnect);
        finish(ss, do_session_free);
        ss->s = NULL;
    }
    ssh_link_close(&ss->link);
}

static int check_target(const struct mtv_ssh_target *t, const char *command,
                        struct mtv_error *err)
{
    if (t == NULL || command == NULL || t->user == NULL ||
        t->password == NULL || (t->io == NULL && t->host == NULL)) {
        return mtv_error_set(err, MTV_EINVAL, "ssh",
                             "ssh target needs a host or a stream, a user, a "
                             "password and a command");
    }
    mtv_log_add_secret(t->password); /* redacted from every later log line */
    pthread_once(&init_once, global_init);
    if (init_rc != 0) {
        return mtv_error_set(err, MTV_EIO, "ssh", "libssh2_init failed");
    }
    return 0;
}

static int run(struct sess *ss, const char *command, struct mtv_ssh_result *r,
               struct mtv_buf *out, struct mtv_buf *errb, struct mtv_error *err)
{
    int rc = ssh_link_open(&ss->link, ss->t, err);

    if (rc == 0) {
        ss->s = libssh2_session_init();
        if (ss->s == NULL) {
            return mtv_error_set(err, MTV_ENOMEM, "ssh", "session init");
        }
        libssh2_session_set_blocking(ss->s, 0);
        rc = handshake(ss, err);
    }
    rc = rc == 0 ? check_host_key(ss, err) : rc;
    rc = rc == 0 ? authenticate(ss, err) : rc;
    rc = rc == 0 ? open_and_exec(ss, command, err) : rc;
    rc = rc == 0 ? read_output(ss, out, errb, err) : rc;
    rc = rc == 0 ? close_channel(ss, r, err) : rc;
    return rc;
}

int mtv_ssh_exec(struct mtv_ssh_result *out, const struct mtv_ssh_target *t,
                 const char *command, struct mtv_error *err)
{
    struct sess ss;
    struct mtv_ssh_result r;
    struct mtv_buf o = MTV_BUF_INIT;
    struct mtv_buf e = MTV_BUF_INIT;
    size_t max;
    int rc = check_target(t, command, err);

    if (rc < 0) {
        return rc;
    }
    memset(&ss, 0, sizeof(ss));
    memset(&r, 0, sizeof(r));
    ss.t = t;
    ss.link.deadline =
        mtv_deadline_in(t->timeout_ms > 0 ? t->timeout_ms : DEFAULT_TIMEOUT_MS);
    max = t->output_max > 0 ? t->output_max : DEFAULT_OUTPUT_MAX;
    mtv_buf_init(&o, max);
    mtv_buf_init(&e, max);
    rc = run(&ss, command, &r, &o, &e, err);
    teardown(&ss);
    if (rc == 0) {
        r.out_len = o.len;
        r.err_len = e.len;
        r.out = mtv_buf_detach(&o);
        r.err = mtv_buf_detach(&e);
        if (r.out == NULL || r.err == NULL) {
            mtv_ssh_result_dispose(&r);
            rc = mtv_error_set(err, MTV_ENOMEM, "ssh", "out of memory");
        } else {
            *out = r;
        }
    } else {
        free(r.exit_signal);
    }
    mtv_buf_dispose(&o);
    mtv_buf_dispose(&e);
    return rc;
}

void mtv_ssh_result_dispose(struct mtv_ssh_result *r)
{
    if (r == NULL) {
        return;
    }
    free(r->out);
    free(r->err);
    free(r->exit_signal);
    memset(r, 0, sizeof(*r));
}
