/* ssh: the socket libssh2 reads and writes: TCP, or a socketpair pumped
 * to and from a byte stream (the port-forward tunnel). */
#include "ssh/ssh_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int poll_ms(const struct mtv_deadline *d)
{
    int64_t left = mtv_deadline_remaining_ms(d);

    return left > 1000 ? 1000 : (int)left;
}

/* Non-blocking connect to one address, waiting until the deadline. */
static int connect_one(const struct addrinfo *ai, const struct mtv_deadline *d)
{
    int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    struct pollfd pfd;
    int soerr = 0;
    socklen_t len = sizeof(soerr);

    if (fd < 0 || set_nonblock(fd) < 0) {
        goto fail;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        return fd;
    }
    if (errno != EINPROGRESS) {
        goto fail;
    }
    pfd.fd = fd;
    pfd.events = POLLOUT;
    while (!mtv_deadline_expired(d)) {
        pfd.revents = 0;
        if (poll(&pfd, 1, poll_ms(d)) > 0) {
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
                soerr == 0) {
                return fd;
            }
            errno = soerr;
            goto fail;
        }
    }
    errno = ETIMEDOUT;
fail:
    soerr = errno;
    if (fd >= 0) {
        close(fd);
    }
    errno = soerr;
    return -1;
}

static int tcp_open(struct ssh_link *l, const struct mtv_ssh_target *t,
                    struct mtv_error *err)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    struct addrinfo *ai = NULL;
    char port[16];
    int gai;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", t->port > 0 ? t->port : 22);
    gai = getaddrinfo(t->host, port, &hints, &res);
    if (gai != 0) {
        return mtv_error_set(err, MTV_EIO, "ssh", "resolve \"%s\": %s", t->host,
                             gai_strerror(gai));
    }
    for (ai = res; ai != NULL && l->fd < 0; ai = ai->ai_next) {
        l->fd = connect_one(ai, &l->deadline);
    }
    freeaddrinfo(res);
    if (l->fd < 0) {
        return mtv_error_set(err, errno == ETIMEDOUT ? MTV_ETIMEOUT : MTV_EIO,
                             "ssh", "connect to %s:%s: %s", t->host, port,
                             strerror(errno));
    }
    return 0;
}

int ssh_link_open(struct ssh_link *l, const struct mtv_ssh_target *t,
                  struct mtv_error *err)
{
    int sp[2];

    l->fd = -1;
    l->pump_fd = -1;
    l->io = t->io;
    if (t->io == NULL) {
        return tcp_open(l, t, err);
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
        return mtv_error_set(err, MTV_EIO, "ssh", "socketpair: %s",
                             strerror(errno));
    }
    l->fd = sp[0];
    l->pump_fd = sp[1];
    if (set_nonblock(sp[0]) < 0 || set_nonblock(sp[1]) < 0) {
        return mtv_error_set(err, MTV_EIO, "ssh", "fcntl: %s", strerror(errno));
    }
    return 0;
}

void ssh_link_close(struct ssh_link *l)
{
    if (l->fd >= 0) {
        close(l->fd);
    }
    if (l->pump_fd >= 0) {
        close(l->pump_fd);
    }
    l->fd = -1;
    l->pump_fd = -1;
}

void ssh_link_shutdown(struct ssh_link *l)
{
    if (l->fd >= 0) {
        shutdown(l->fd, SHUT_RDWR);
    }
    if (l->pump_fd >= 0) {
        shutdown(l->pump_fd, SHUT_RDWR);
    }
    l->io_eof = true;
}

/* libssh2 -> stream: everything it wrote into the socketpair. */
static int pump_out(struct ssh_link *l, struct mtv_error *err)
{
    char buf[PUMP_BUF];

    for (;;) {
        ssize_t n = read(l->pump_fd, buf, sizeof(buf));
        int rc;

        if (n <= 0) {
            return 0; /* EAGAIN, or libssh2's side closed */
        }
        rc = l->io->send(l->io->self, buf, (size_t)n, &l->deadline, err);
        if (rc < 0) {
            return rc;
        }
    }
}

/* stream -> libssh2: buffered bytes first, then one stream read. */
static int pump_in(struct ssh_link *l, bool readable, struct mtv_error *err)
{
    struct mtv_deadline slice =
        mtv_deadline_min(l->deadline, mtv_deadline_in(200));
    size_t got = 0;
    int rc;

    while (l->in_off < l->in_len) {
        ssize_t n = write(l->pump_fd, l->in + l->in_off, l->in_len - l->in_off);

        if (n <= 0) {
            return 0; /* socketpair full: libssh2 reads first */
        }
        l->in_off += (size_t)n;
    }
    if (l->io_eof || !readable) {
        return 0;
    }
    rc = l->io->recv(l->io->self, l->in, sizeof(l->in), &got, &slice, err);
    if (rc == MTV_ETIMEOUT && !mtv_deadline_expired(&l->deadline)) {
        mtv_error_clear(err); /* only control frames so far */
        return 0;
    }
    if (rc < 0) {
        return rc;
    }
    l->in_off = 0;
    l->in_len = got;
    if (got == 0) {
        l->io_eof = true;
        shutdown(l->pump_fd, SHUT_WR); /* libssh2 sees EOF */
    }
    return 0;
}

static int wait_tunnel(struct ssh_link *l, int dirs, struct mtv_error *err)
{
    struct pollfd p[3];
    int io_fd = l->io->fd != NULL ? l->io->fd(l->io->self) : -1;
    size_t pending = l->io->pending != NULL ? l->io->pending(l->io->self) : 0;
    bool want_in = l->in_off >= l->in_len && !l->io_eof;
    int rc = pump_out(l, err);

    if (rc < 0) {
        return rc;
    }
    memset(p, 0, sizeof(p));
    p[0].fd = l->fd;
    p[0].events =
        (short)(((dirs & LIBSSH2_SESSION_BLOCK_INBOUND) ? POLLIN : 0) |
                ((dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? POLLOUT : 0));
    p[1].fd = l->pump_fd;
    p[1].events = (short)(POLLIN | (l->in_off < l->in_len ? POLLOUT : 0));
    p[2].fd = want_in ? io_fd : -1;
    p[2].events = POLLIN;
    if (poll(p, 3, (pending > 0 && want_in) ? 0 : poll_ms(&l->deadline)) < 0 &&
        errno != EINTR) {
        return mtv_error_set(err, MTV_EIO, "ssh", "poll: %s", strerror(errno));
    }
    rc = pump_out(l, err);
    if (rc == 0) {
        rc =
            pump_in(l,
                    want_in && (pending > 0 ||
                                (p[2].revents & (POLLIN | POLLHUP | POLLERR)) ||
                                io_fd < 0),
                    err);
    }
    return rc;
}

int ssh_link_wait(struct ssh_link *l, int dirs, struct mtv_error *err)
{
    struct pollfd p;

    if (mtv_deadline_expired(&l->deadline)) {
        return mtv_error_set(err, MTV_ETIMEOUT, "ssh", "deadline passed");
    }
    if (l->io != NULL) {
        return wait_tunnel(l, dirs, err);
    }
    p.fd = l->fd;
    p.events = (short)(((dirs & LIBSSH2_SESSION_BLOCK_INBOUND) ? POLLIN : 0) |
                       ((dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? POLLOUT : 0));
    p.revents = 0;
    if (p.events == 0) {
        p.events = POLLIN;
    }
    if (poll(&p, 1, poll_ms(&l->deadline)) < 0 && errno != EINTR) {
        return mtv_error_set(err, MTV_EIO, "ssh", "poll: %s", strerror(errno));
    }
    return 0;
}
