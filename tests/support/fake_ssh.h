/*
 * Test support for the ssh module: real SSH servers (paramiko) and a
 * KubeVirt-like WebSocket relay started as child processes, and a raw
 * WebSocket client connection (TCP + Upgrade) usable as an mtv_ssh_io.
 */
#ifndef MTV_FAKE_SSH_H
#define MTV_FAKE_SSH_H

#include <stdbool.h>
#include <sys/types.h>

#include "mtv/ssh.h"
#include "mtv/ws.h"

struct fake_proc {
    pid_t pid;
    int port;
};

/*
 * Start tests/support/ssh_server.py for `user`; the password goes through
 * the environment. Waits (with a deadline) for its "PORT n" line. 0 or -1.
 */
int fake_ssh_server_start(struct fake_proc *p, const char *user,
                          const char *password);

/* Start tests/support/ws_relay.py in front of target_port. */
int fake_ws_relay_start(struct fake_proc *p, int target_port,
                        double ping_interval, double pong_deadline);

/* SIGTERM the child by pid and reap it. */
void fake_proc_stop(struct fake_proc *p);

/*
 * Connect to 127.0.0.1:port, send the port-forward Upgrade for path, check
 * the 101 and Sec-WebSocket-Accept, and wrap the socket. On a non-101
 * status returns MTV_EREMOTE with err->http_status and the Status message
 * in err->remote. Caller frees *out with mtv_ws_conn_free.
 */
int fake_ws_connect(struct mtv_ws_conn **out, int port, const char *path,
                    struct mtv_error *err);

/* An mtv_ssh_io whose self is the ws connection. */
void fake_ws_ssh_io(struct mtv_ssh_io *io, struct mtv_ws_conn *c);

#endif
