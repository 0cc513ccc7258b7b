/*
 * ssh: mtv_ssh_exec against a real SSH server (paramiko, started here on a
 * free port), over TCP and over a WebSocket tunnel framed like KubeVirt's
 * port-forward (tests/support/ws_relay.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_ssh.h"
#include "mtv/ssh.h"
#include "mtv/ws.h"

#define USER "cloud-user"
#define PASSWORD "Zq7-test-only-pw-41xR"
#define PF_PATH                                                                \
    "/apis/subresources.kubevirt.io/v1/namespaces/custom-vm-namespace/"        \
    "virtualmachineinstances/vm1/portforward/22/tcp"

struct world {
    struct fake_proc server;
    struct fake_proc relay;
    struct fake_proc extra; /* a test's own process, stopped in teardown */
    struct mtv_ssh_hostkeys *keys;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));

    assert_non_null(w);
    w->extra.pid = -1;
    assert_int_equal(fake_ssh_server_start(&w->server, USER, PASSWORD), 0);
    assert_int_equal(fake_ws_relay_start(&w->relay, w->server.port, 1.0, 60),
                     0);
    assert_int_equal(mtv_ssh_hostkeys_new(&w->keys, NULL), 0);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;

    fake_proc_stop(&w->extra);
    fake_proc_stop(&w->relay);
    fake_proc_stop(&w->server);
    mtv_ssh_hostkeys_free(w->keys);
    free(w);
    return 0;
}

static struct mtv_ssh_target tcp_target(const struct world *w)
{
    struct mtv_ssh_target t;

    memset(&t, 0, sizeof(t));
    t.host_id = "custom-vm-namespace/vm1";
    t.host = "127.0.0.1";
    t.port = w->server.port;
    t.user = USER;
    t.password = PASSWORD;
    t.hostkeys = w->keys;
    t.timeout_ms = 20000;
    return t;
}

static void test_ssh_exec__tcp_stdout_stderr_status(void **state)
{
    struct world *w = *state;
    struct mtv_ssh_target t = tcp_target(w);
    struct mtv_ssh_result r;
    struct mtv_error err;
    char fp[128];

    mtv_error_clear(&err);
    assert_int_equal(
        mtv_ssh_exec(&r, &t, "echo hello; echo oops >&2; exit 3", &err), 0);
    assert_string_equal(r.out, "hello\n");
    assert_int_equal(r.out_len, 6);
    assert_string_equal(r.err, "oops\n");
    assert_int_equal(r.exit_status, 3);
    assert_null(r.exit_signal);
    mtv_ssh_result_dispose(&r);
    assert_int_equal(mtv_ssh_hostkeys_get(w->keys, t.host_id, fp, sizeof(fp)),
                     0);
    assert_true(strncmp(fp, "SHA256:", 7) == 0);
    assert_int_equal(strlen(fp), 7 + 43);
}

static void test_ssh_exec__tcp_large_output(void **state)
{
    struct world *w = *state;
    struct mtv_ssh_target t = tcp_target(w);
    struct mtv_ssh_result r;
    size_t i;

    assert_int_equal(
        mtv_ssh_exec(&r, &t, "head -c 300000 /dev/zero | tr '\\0' x", NULL), 0);
    assert_int_equal(r.out_len, 300000);
    for (i = 0; i < r.out_len; i++) {
        assert_int_equal(r.out[i], 'x');
    }
    assert_int_equal(r.exit_status, 0);
    mtv_ssh_result_dispose(&r);
    t.output_max = 1000;
    assert_int_equal(mtv_ssh_exec(&r, &t, "head -c 5000 /dev/zero", NULL),
                     MTV_EPROTO);
}

static void test_ssh_exec__bad_password_is_eauth(void **state)
{
    struct world *w = *state;
    struct mtv_ssh_target t = tcp_target(w);
    struct mtv_ssh_result r;
    struct mtv_error err;

    mtv_error_clear(&err);
    t.password = "wrong-password-123";
    assert_int_equal(mtv_ssh_exec(&r, &t, "true", &err), MTV_EAUTH);
    assert_non_null(strstr(err.msg, "cloud-user"));
    assert_null(strstr(err.msg, "wrong-password"));
}

static void test_ssh_exec__deadline(void **state)
{
    struct world *w = *state;
    struct mtv_ssh_target t = tcp_target(w);
    struct mtv_ssh_result r;
    struct mtv_error err;

    mtv_error_clear(&err);
    t.timeout_ms = 1500;
    assert_int_equal(mtv_ssh_exec(&r, &t, "sleep 10", &err), MTV_ETIMEOUT);
}

static void test_ssh_exec__refused(void **state)
{
    struct mtv_ssh_target t = tcp_target(*state);
    struct mtv_ssh_result r;
    struct mtv_error err;
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd); /* nothing listens there now */
    mtv_error_clear(&err);
    t.port = ntohs(a.sin_port);
    assert_int_equal(mtv_ssh_exec(&r, &t, "true", &err), MTV_EIO);
    assert_non_null(strstr(err.msg, "refused"));
    t.user = NULL;
    assert_int_equal(mtv_ssh_exec(&r, &t, "true", &err), MTV_EINVAL);
}

static void test_ssh_exec__host_key_changes_within_a_run(void **state)
{
    struct world *w = *state;
    struct mtv_ssh_target t = tcp_target(w);
    struct fake_proc *other = &w->extra;
    struct mtv_ssh_result r;
    struct mtv_error err;

    assert_int_equal(mtv_ssh_exec(&r, &t, "true", NULL), 0);
    mtv_ssh_result_dispose(&r);
    assert_int_equal(mtv_ssh_exec(&r, &t, "true", NULL), 0); /* same key */
    mtv_ssh_result_dispose(&r);
    assert_int_equal(fake_ssh_server_start(other, USER, PASSWORD), 0);
    t.port = other->port; /* same VM id, another key */
    mtv_error_clear(&err);
    assert_int_equal(mtv_ssh_exec(&r, &t, "true", &err), MTV_EAUTH);
    assert_non_null(strstr(err.msg, "host key of \"custom-vm-namespace/vm1\" "
                                    "changed"));
    t.host_id = "custom-vm-namespace/vm2";
    assert_int_equal(mtv_ssh_exec(&r, &t, "echo ok", NULL), 0);
    assert_string_equal(r.out, "ok\n");
    mtv_ssh_result_dispose(&r);
    t.hostkeys = NULL; /* no store: any key, like the reference */
    t.host_id = "custom-vm-namespace/vm1";
    assert_int_equal(mtv_ssh_exec(&r, &t, "true", NULL), 0);
    mtv_ssh_result_dispose(&r);
    fake_proc_stop(other);
}

/* ----------------------------------------------------- over WebSocket */

static int ws_exec(int relay_port, struct mtv_ssh_hostkeys *keys,
                   const char *cmd, struct mtv_ssh_result *r, unsigned *pongs)
{
    struct mtv_ws_conn *c = NULL;
    struct mtv_ssh_io io;
    struct mtv_ssh_target t;
    struct mtv_error err;
    int rc;

    mtv_error_clear(&err);
    assert_int_equal(fake_ws_connect(&c, relay_port, PF_PATH, &err), 0);
    fake_ws_ssh_io(&io, c);
    memset(&t, 0, sizeof(t));
    t.host_id = "custom-vm-namespace/vm1";
    t.io = &io;
    t.user = USER;
    t.password = PASSWORD;
    t.hostkeys = keys;
    t.timeout_ms = 20000;
    rc = mtv_ssh_exec(r, &t, cmd, &err);
    if (rc < 0) {
        print_error("ws exec: %s\n", err.msg);
    }
    if (pongs != NULL) {
        *pongs = mtv_ws_conn_pongs_sent(c);
    }
    mtv_ws_conn_free(c, NULL);
    return rc;
}

static void test_ssh_exec__over_websocket(void **state)
{
    struct world *w = *state;
    struct mtv_ssh_result r;

    assert_int_equal(ws_exec(w->relay.port, w->keys,
                             "echo hi; echo e >&2; exit 5", &r, NULL),
                     0);
    assert_string_equal(r.out, "hi\n");
    assert_string_equal(r.err, "e\n");
    assert_int_equal(r.exit_status, 5);
    mtv_ssh_result_dispose(&r);
    /* large output arrives fragmented (gorilla-style frames) */
    assert_int_equal(ws_exec(w->relay.port, w->keys,
                             "head -c 300000 /dev/zero | tr '\\0' y", &r, NULL),
                     0);
    assert_int_equal(r.out_len, 300000);
    assert_int_equal(r.out[299999], 'y');
    mtv_ssh_result_dispose(&r);
}

static void test_ssh_exec__websocket_keepalive_pongs(void **state)
{
    struct world *w = *state;
    struct fake_proc *strict = &w->extra;
    struct mtv_ssh_result r;
    unsigned pongs = 0;

    /* pings every 0.2 s; no pong for 1 s drops the tunnel */
    assert_int_equal(fake_ws_relay_start(strict, w->server.port, 0.2, 1.0), 0);
    assert_int_equal(
        ws_exec(strict->port, w->keys, "sleep 2.5; echo done", &r, &pongs), 0);
    assert_string_equal(r.out, "done\n");
    assert_true(pongs >= 5);
    mtv_ssh_result_dispose(&r);
    fake_proc_stop(strict);
}

static void test_ssh_exec__websocket_refused_before_upgrade(void **state)
{
    struct world *w = *state;
    struct fake_proc *dead = &w->extra;
    struct mtv_ws_conn *c = NULL;
    struct mtv_error err;
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    assert_int_equal(fake_ws_relay_start(dead, ntohs(a.sin_port), 1.0, 60), 0);
    mtv_error_clear(&err);
    assert_int_equal(fake_ws_connect(&c, dead->port, PF_PATH, &err),
                     MTV_EREMOTE);
    assert_int_equal(err.http_status, 500);
    assert_non_null(strstr(err.remote, "dialing VM"));
    assert_null(c);
    fake_proc_stop(dead);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssh_exec__tcp_stdout_stderr_status),
        cmocka_unit_test(test_ssh_exec__tcp_large_output),
        cmocka_unit_test(test_ssh_exec__bad_password_is_eauth),
        cmocka_unit_test(test_ssh_exec__deadline),
        cmocka_unit_test(test_ssh_exec__refused),
        cmocka_unit_test(test_ssh_exec__host_key_changes_within_a_run),
        cmocka_unit_test(test_ssh_exec__over_websocket),
        cmocka_unit_test(test_ssh_exec__websocket_keepalive_pongs),
        cmocka_unit_test(test_ssh_exec__websocket_refused_before_upgrade),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
