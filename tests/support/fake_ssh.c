/* Test support for the ssh module: child processes and a raw WebSocket. */
#include "fake_ssh.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PY "/usr/bin/python3"

/* Read "PORT n\n" from fd within 20 s. */
static int read_port(int fd)
{
    char line[64];
    size_t n = 0;
    struct mtv_deadline d = mtv_deadline_in(20000);

    while (n + 1 < sizeof(line) && !mtv_deadline_expired(&d)) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t k;

        if (poll(&p, 1, (int)mtv_deadline_remaining_ms(&d)) <= 0) {
            continue;
        }
        k = read(fd, line + n, 1);
        if (k <= 0) {
            return -1;
        }
        if (line[n] == '\n') {
            line[n] = '\0';
            return strncmp(line, "PORT ", 5) == 0 ? atoi(line + 5) : -1;
        }
        n++;
    }
    return -1;
}

static int spawn(struct fake_proc *p, char *const argv[], const char *secret)
{
    int fds[2];

    p->pid = -1;
    p->port = -1;
    if (pipe(fds) < 0) {
        return -1;
    }
    p->pid = fork();
    if (p->pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (secret != NULL) {
            setenv("MTVTEST_SSH_PASSWORD", secret, 1);
        }
        execv(PY, argv);
        _exit(127);
    }
    close(fds[1]);
    if (p->pid > 0) {
        p->port = read_port(fds[0]);
    }
    close(fds[0]);
    if (p->port <= 0) {
        fake_proc_stop(p);
        return -1;
    }
    return 0;
}

int fake_ssh_server_start(struct fake_proc *p, const char *user,
                          const char *password)
{
    char *argv[] = {PY, MTV_SOURCE_DIR "/tests/support/ssh_server.py", "--user",
                    (char *)user, NULL};

    return spawn(p, argv, password);
}

int fake_ws_relay_start(struct fake_proc *p, int target_port,
                        double ping_interval, double pong_deadline)
{
    char port[16];
    char ping[32];
    char pong[32];
    char *argv[] = {PY,
                    MTV_SOURCE_DIR "/tests/support/ws_relay.py",
                    "--target-port",
                    port,
                    "--ping-interval",
                    ping,
                    "--pong-deadline",
                    pong,
                    NULL};

    snprintf(port, sizeof(port), "%d", target_port);
    snprintf(ping, sizeof(ping), "%g", ping_interval);
    snprintf(pong, sizeof(pong), "%g", pong_deadline);
    return spawn(p, argv, NULL);
}

void fake_proc_stop(struct fake_proc *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
    }
    p->pid = -1;
}

/* ------------------------------------------- a socket as a byte stream */

struct fd_stream {
    struct mtv_http_stream base;
    int fd;
    char *early; /* bytes read past the 101 head */
    size_t early_len;
    size_t early_off;
};

static int wait_io(int fd, short ev, const struct mtv_deadline *d)
{
    struct pollfd p = {fd, ev, 0};
    int64_t left = d != NULL ? mtv_deadline_remaining_ms(d) : 10000;
    int n = poll(&p, 1, (int)(left > 100000 ? 100000 : left));

    return n > 0 ? 0 : n == 0 ? MTV_ETIMEOUT : MTV_EIO;
}

static int fd_send(struct mtv_http_stream *s, const void *p, size_t n,
                   const struct mtv_deadline *d, struct mtv_error *err)
{
    struct fd_stream *fs = s->self;
    const char *b = p;

    while (n > 0) {
        ssize_t k = send(fs->fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_io(fs->fd, POLLOUT, d) == MTV_ETIMEOUT) {
                return mtv_error_set(err, MTV_ETIMEOUT, "test", "send timeout");
            }
            continue;
        }
        if (k < 0) {
            return mtv_error_set(err, MTV_EIO, "test", "send: %s",
                                 strerror(errno));
        }
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static int fd_recv(struct mtv_http_stream *s, void *p, size_t cap, size_t *got,
                   const struct mtv_deadline *d, struct mtv_error *err)
{
    struct fd_stream *fs = s->self;
    ssize_t k;

    *got = 0;
    if (fs->early_off < fs->early_len) {
        *got = fs->early_len - fs->early_off < cap
                   ? fs->early_len - fs->early_off
                   : cap;
        memcpy(p, fs->early + fs->early_off, *got);
        fs->early_off += *got;
        return 0;
    }
    for (;;) {
        k = recv(fs->fd, p, cap, MSG_DONTWAIT);
        if (k >= 0) {
            *got = (size_t)k;
            return 0;
        }
        if (errno != EAGAIN && errno != EINTR) {
            return mtv_error_set(err, MTV_EIO, "test", "recv: %s",
                                 strerror(errno));
        }
        if (wait_io(fs->fd, POLLIN, d) == MTV_ETIMEOUT) {
            return mtv_error_set(err, MTV_ETIMEOUT, "test", "recv timeout");
        }
    }
}

static int fd_fd(struct mtv_http_stream *s)
{
    return ((struct fd_stream *)s->self)->fd;
}

static size_t fd_pending(struct mtv_http_stream *s)
{
    struct fd_stream *fs = s->self;

    return fs->early_len - fs->early_off;
}

static void fd_close(struct mtv_http_stream *s)
{
    struct fd_stream *fs = s->self;

    close(fs->fd);
    free(fs->early);
    free(fs);
}

static const struct mtv_http_stream_ops fd_ops = {
    fd_send, fd_recv, fd_fd, fd_pending, fd_close,
};

/* Read the response head; leftover bytes go to fs->early. */
static int read_head(struct fd_stream *fs, struct mtv_buf *head,
                     struct mtv_error *err)
{
    struct mtv_deadline d = mtv_deadline_in(10000);
    char buf[4096];
    char *end = NULL;

    while ((end = head->data != NULL ? strstr(head->data, "\r\n\r\n") : NULL) ==
           NULL) {
        size_t got = 0;
        int rc = fd_recv(&fs->base, buf, sizeof(buf), &got, &d, err);

        if (rc < 0 || got == 0 || mtv_buf_append(head, buf, got) < 0) {
            return mtv_error_set(err, MTV_EIO, "test", "no response head");
        }
    }
    end += 4;
    fs->early_len = head->len - (size_t)(end - head->data);
    fs->early = malloc(fs->early_len + 1);
    memcpy(fs->early, end, fs->early_len);
    *end = '\0';
    return 0;
}

static int check_head(const char *head, const char *body, const char *key,
                      struct mtv_error *err)
{
    const char *acc = strcasestr(head, "\r\nSec-WebSocket-Accept:");
    char accept[64] = "";
    int status = 0;

    sscanf(head, "HTTP/1.1 %d", &status);
    if (status != 101) {
        const char *msg = strstr(body, "\"message\"");

        err->http_status = status;
        mtv_error_set_remote(err, msg != NULL ? msg : "");
        return mtv_error_set(err, MTV_EREMOTE, "test", "upgrade: HTTP %d",
                             status);
    }
    if (acc != NULL) {
        sscanf(acc + 23, " %63[^\r\n]", accept);
    }
    return mtv_ws_check_accept(key, accept, err);
}

static int tcp_connect(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int fake_ws_connect(struct mtv_ws_conn **out, int port, const char *path,
                    struct mtv_error *err)
{
    struct fd_stream *fs = calloc(1, sizeof(*fs));
    struct mtv_buf req = MTV_BUF_INIT;
    struct mtv_buf head = MTV_BUF_INIT;
    struct mtv_deadline d = mtv_deadline_in(10000);
    char key[25];
    int rc;

    fs->base.ops = &fd_ops;
    fs->base.self = fs;
    fs->fd = tcp_connect(port);
    if (fs->fd < 0) {
        free(fs);
        return mtv_error_set(err, MTV_EIO, "test", "connect: %s",
                             strerror(errno));
    }
    mtv_ws_key_new(key, NULL);
    mtv_buf_printf(&req,
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Protocol: plain.kubevirt.io\r\n\r\n",
                   path, port, key);
    rc = fd_send(&fs->base, req.data, req.len, &d, err);
    rc = rc == 0 ? read_head(fs, &head, err) : rc;
    if (rc == 0) {
        fs->early[fs->early_len] = '\0';
        rc = check_head(head.data, fs->early, key, err);
    }
    mtv_buf_dispose(&req);
    mtv_buf_dispose(&head);
    if (rc < 0) {
        fd_close(&fs->base);
        return rc;
    }
    return mtv_ws_conn_new(out, &fs->base, NULL, err);
}

/* ------------------------------------------------ ws conn as ssh io */

static int io_send(void *self, const void *p, size_t n,
                   const struct mtv_deadline *d, struct mtv_error *err)
{
    return mtv_ws_conn_send(self, p, n, d, err);
}

static int io_recv(void *self, void *p, size_t cap, size_t *got,
                   const struct mtv_deadline *d, struct mtv_error *err)
{
    return mtv_ws_conn_recv(self, p, cap, got, d, err);
}

static int io_fd(void *self)
{
    return mtv_ws_conn_fd(self);
}

static size_t io_pending(void *self)
{
    return mtv_ws_conn_pending(self) + mtv_ws_conn_stream_pending(self);
}

void fake_ws_ssh_io(struct mtv_ssh_io *io, struct mtv_ws_conn *c)
{
    io->send = io_send;
    io->recv = io_recv;
    io->fd = io_fd;
    io->pending = io_pending;
    io->self = c;
}
