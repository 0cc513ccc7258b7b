/*
 * http: the real libcurl client against a local HTTPS server the test
 * starts (tests/data/kube/https_server.py on /usr/bin/python3, free port,
 * killed by pid): TLS verification, keep-alive, timeouts, client
 * certificates, upgraded streams, certificate chain fetch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_http.h"
#include "mtv/http.h"
#include "mtv/json.h"

#define KDATA MTV_TEST_DATA_DIR "/kube/"

struct server {
    char dir[64];
    pid_t pid;
    int port;
    char *ca;
    char *wrong_ca;
    char *client_cert;
    char *client_key;
    char *server_cert;
};

static struct server srv;

static char *slurp(const char *name)
{
    char path[256];
    FILE *f = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    char chunk[4096];
    size_t n = 0;

    snprintf(path, sizeof(path), "%s/%s", srv.dir, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        assert_int_equal(mtv_buf_append(&b, chunk, n), 0);
    }
    fclose(f);
    return mtv_buf_detach(&b);
}

/* Read the port line the server prints, waiting with poll (10 s cap). */
static int read_port(int fd)
{
    char line[32];
    size_t len = 0;
    struct pollfd p = {fd, POLLIN, 0};

    while (len < sizeof(line) - 1 && poll(&p, 1, 10000) == 1) {
        ssize_t n = read(fd, line + len, 1);
        if (n <= 0 || line[len] == '\n') {
            break;
        }
        len++;
    }
    line[len] = '\0';
    return atoi(line);
}

static int start_server(void **state)
{
    char cmd[512];
    char cert[128], key[128], ca[128];
    int pipefd[2];

    (void)state;
    snprintf(srv.dir, sizeof(srv.dir), "/tmp/mtv-http-test-XXXXXX");
    assert_non_null(mkdtemp(srv.dir));
    snprintf(cmd, sizeof(cmd), "sh " KDATA "make_certs.sh %s", srv.dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cert, sizeof(cert), "%s/server.crt", srv.dir);
    snprintf(key, sizeof(key), "%s/server.key", srv.dir);
    snprintf(ca, sizeof(ca), "%s/ca.crt", srv.dir);
    assert_int_equal(pipe(pipefd), 0);
    srv.pid = fork();
    assert_true(srv.pid >= 0);
    if (srv.pid == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        execl("/usr/bin/python3", "python3", KDATA "https_server.py", cert,
              key, ca, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    srv.port = read_port(pipefd[0]);
    close(pipefd[0]);
    assert_true(srv.port > 0);
    srv.ca = slurp("ca.crt");
    srv.wrong_ca = slurp("wrong-ca.crt");
    srv.client_cert = slurp("client.crt");
    srv.client_key = slurp("client.key");
    srv.server_cert = slurp("server.crt");
    return 0;
}

static int stop_server(void **state)
{
    char cmd[128];

    (void)state;
    if (srv.pid > 0) {
        kill(srv.pid, SIGTERM);
        waitpid(srv.pid, NULL, 0);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf %s", srv.dir);
    if (system(cmd) != 0) {
        return -1;
    }
    free(srv.ca);
    free(srv.wrong_ca);
    free(srv.client_cert);
    mtv_str_free_secret(srv.client_key);
    free(srv.server_cert);
    return 0;
}

static struct mtv_http_client *client_with(const char *ca, bool insecure)
{
    struct mtv_http_options o = MTV_HTTP_OPTIONS_INIT;
    struct mtv_http_client *c = NULL;

    o.ca_pem = ca;
    o.insecure = insecure;
    o.connect_timeout_ms = 5000;
    o.timeout_ms = 10000;
    o.no_env_proxy = true;
    assert_int_equal(mtv_http_client_new(&c, &o, NULL), 0);
    return c;
}

static int get(struct mtv_http_client *c, const char *path,
               struct mtv_http_response *resp, struct mtv_error *err)
{
    struct mtv_http_transport t = mtv_http_client_transport(c);
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    char url[128];

    snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", srv.port, path);
    req.method = "GET";
    req.url = url;
    return mtv_http_perform(&t, &req, resp, err);
}

static void test_http_client__verifies_with_the_right_ca(void **state)
{
    struct mtv_http_client *c = client_with(srv.ca, false);
    struct mtv_http_response resp;
    struct mtv_error err;

    (void)state;
    mtv_http_response_init(&resp, 0);
    assert_int_equal(get(c, "/hello", &resp, &err), 0);
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body.data, "\"path\": \"/hello\""));
    assert_string_equal(mtv_http_response_header(&resp, "content-type"),
                        "application/json");
    mtv_http_response_dispose(&resp);
    mtv_http_client_free(c);
}

static void test_http_client__rejects_a_wrong_ca(void **state)
{
    struct mtv_http_client *c = client_with(srv.wrong_ca, false);
    struct mtv_http_client *ins = client_with(srv.wrong_ca, true);
    struct mtv_http_response resp;
    struct mtv_error err;

    (void)state;
    mtv_http_response_init(&resp, 0);
    assert_int_equal(get(c, "/hello", &resp, &err), MTV_EIO);
    assert_int_equal(resp.fail, MTV_HTTP_FAIL_CONNECT);
    assert_int_equal(mtv_http_retry_decide("POST", MTV_EIO, &resp),
                     MTV_HTTP_RETRY);
    /* the insecure flag skips verification */
    assert_int_equal(get(ins, "/hello", &resp, &err), 0);
    assert_int_equal(resp.status, 200);
    mtv_http_response_dispose(&resp);
    mtv_http_client_free(c);
    mtv_http_client_free(ins);
}

static void test_http_client__keeps_one_connection(void **state)
{
    struct mtv_http_client *c = client_with(srv.ca, false);
    struct mtv_http_transport t = mtv_http_client_transport(c);
    struct mtv_http_response resp;
    struct mtv_http_stats st;
    long long first = -1;
    char url[128];

    (void)state;
    mtv_http_response_init(&resp, 0);
    for (int i = 0; i < 5; i++) {
        struct mtv_json *j = NULL;
        assert_int_equal(get(c, "/hello", &resp, NULL), 0);
        assert_int_equal(mtv_json_parse(&j, resp.body.data, resp.body.len,
                                        NULL, NULL),
                         0);
        if (first < 0) {
            first = mtv_json_int_or(j, "conn", -1);
        }
        assert_int_equal(mtv_json_int_or(j, "conn", -2), first);
        mtv_json_free(j);
    }
    /* a POST on the same connection; no Expect: 100-continue */
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    static const char *const h[] = {"Content-Type: application/json", NULL};
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/echo", srv.port);
    req.method = "POST";
    req.url = url;
    req.headers = h;
    req.body = "{\"a\":1}";
    req.body_len = 7;
    assert_int_equal(mtv_http_perform(&t, &req, &resp, NULL), 0);
    assert_non_null(strstr(resp.body.data, "\"len\": 7"));
    assert_non_null(strstr(resp.body.data, "\"expect\": null"));
    mtv_http_client_stats(c, &st);
    assert_int_equal(st.requests, 6);
    assert_int_equal(st.connects, 1);
    assert_true(st.bytes_received > 0);
    mtv_http_response_dispose(&resp);
    mtv_http_client_free(c);
}

static void test_http_client__times_out(void **state)
{
    struct mtv_http_options o = MTV_HTTP_OPTIONS_INIT;
    struct mtv_http_client *c = NULL;
    struct mtv_http_response resp;
    struct mtv_error err;

    (void)state;
    o.ca_pem = srv.ca;
    o.timeout_ms = 300;
    o.no_env_proxy = true;
    assert_int_equal(mtv_http_client_new(&c, &o, NULL), 0);
    mtv_http_response_init(&resp, 0);
    assert_int_equal(get(c, "/slow", &resp, &err), MTV_ETIMEOUT);
    assert_int_equal(resp.fail, MTV_HTTP_FAIL_RECV);
    assert_int_equal(mtv_http_retry_decide("POST", MTV_ETIMEOUT, &resp),
                     MTV_HTTP_NO_RETRY);
    assert_int_equal(mtv_http_retry_decide("GET", MTV_ETIMEOUT, &resp),
                     MTV_HTTP_RETRY);
    mtv_http_response_dispose(&resp);
    mtv_http_client_free(c);
}

static void test_http_client__errors_keep_bodies_and_caps(void **state)
{
    struct mtv_http_client *c = client_with(srv.ca, false);
    struct mtv_http_transport t = mtv_http_client_transport(c);
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    struct mtv_http_response resp;
    struct mtv_error err;
    char url[128];

    (void)state;
    mtv_http_response_init(&resp, 0);
    assert_int_equal(get(c, "/status/422", &resp, &err), 0);
    assert_int_equal(resp.status, 422);
    assert_non_null(strstr(resp.body.data, "status 422 as asked"));
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/hello", srv.port);
    req.method = "GET";
    req.url = url;
    req.body_max = 8;
    assert_int_equal(mtv_http_perform(&t, &req, &resp, &err), MTV_EPROTO);
    assert_int_equal(resp.fail, MTV_HTTP_FAIL_OTHER);
    mtv_http_response_dispose(&resp);
    mtv_http_client_free(c);
}

static void test_http_client__client_certificate_from_memory(void **state)
{
    struct mtv_http_options o = MTV_HTTP_OPTIONS_INIT;
    struct mtv_http_client *c = NULL;
    struct mtv_http_response resp;

    (void)state;
    o.ca_pem = srv.ca;
    o.client_cert_pem = srv.client_cert;
    o.client_key_pem = srv.client_key;
    o.no_env_proxy = true;
    assert_int_equal(mtv_http_client_new(&c, &o, NULL), 0);
    mtv_http_response_init(&resp, 0);
    assert_int_equal(get(c, "/whoami", &resp, NULL), 0);
    assert_non_null(strstr(resp.body.data, "\"cn\": \"mtv-client\""));
    mtv_http_response_dispose(&resp);
    mtv_http_client_free(c);
    o.client_key_pem = NULL;
    c = NULL;
    assert_int_equal(mtv_http_client_new(&c, &o, NULL), MTV_EINVAL);
}

static void test_http_client__upgrade_stream(void **state)
{
    struct mtv_http_client *c = client_with(srv.ca, false);
    struct mtv_http_transport t = mtv_http_client_transport(c);
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    struct mtv_http_response head;
    struct mtv_http_stream *s = NULL;
    struct mtv_deadline dl = mtv_deadline_in(10000);
    struct mtv_error err;
    static const char *const h[] = {
        "Upgrade: websocket", "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: plain.kubevirt.io", NULL};
    char url[128];
    char buf[64];
    size_t got = 0;
    struct mtv_buf all = MTV_BUF_INIT;

    (void)state;
    mtv_http_response_init(&head, 0);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/upgrade", srv.port);
    req.method = "GET";
    req.url = url;
    req.headers = h;
    assert_int_equal(mtv_http_upgrade(&t, &s, &req, &head, &err), 0);
    assert_int_equal(head.status, 101);
    assert_string_equal(mtv_http_response_header(&head,
                                                 "Sec-WebSocket-Protocol"),
                        "plain.kubevirt.io");
    assert_true(mtv_http_stream_fd(s) >= 0);
    /* bytes sent with the head are not lost */
    while (all.len < 5) {
        assert_int_equal(mtv_http_stream_recv(s, buf, sizeof(buf), &got, &dl,
                                              &err),
                         0);
        assert_true(got > 0);
        mtv_buf_append(&all, buf, got);
    }
    assert_string_equal(all.data, "EARLY");
    assert_int_equal(mtv_http_stream_send(s, "ping", 4, &dl, &err), 0);
    mtv_buf_reset(&all);
    while (all.len < 4) {
        assert_int_equal(mtv_http_stream_recv(s, buf, sizeof(buf), &got, &dl,
                                              &err),
                         0);
        assert_true(got > 0);
        mtv_buf_append(&all, buf, got);
    }
    assert_string_equal(all.data, "PING");
    mtv_http_stream_close(s);
    s = NULL;
    /* a refused upgrade carries the status and body */
    static const char *const no[] = {"Connection: Upgrade", NULL};
    req.headers = no;
    assert_int_equal(mtv_http_upgrade(&t, &s, &req, &head, &err),
                     MTV_EREMOTE);
    assert_null(s);
    assert_int_equal(err.http_status, 400);
    assert_non_null(strstr(head.body.data, "not an upgrade"));
    /* an answer followed at once by the close is still read */
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/upgrade-refused-close",
             srv.port);
    req.headers = h;
    assert_int_equal(mtv_http_upgrade(&t, &s, &req, &head, &err),
                     MTV_EREMOTE);
    assert_int_equal(err.http_status, 404);
    assert_string_equal(head.body.data,
                        "{\"kind\": \"Status\", \"code\": 404, "
                        "\"message\": \"gone away\"}");
    mtv_buf_dispose(&all);
    mtv_http_response_dispose(&head);
    mtv_http_client_free(c);
}

static void test_http_client__fetches_the_chain(void **state)
{
    char *chain = NULL;
    char fp_got[64];
    char fp_want[64];
    struct mtv_error err;

    (void)state;
    assert_int_equal(mtv_http_fetch_cert_chain(&chain, "127.0.0.1", srv.port,
                                               5000, &err),
                     0);
    assert_non_null(strstr(chain, "-----BEGIN CERTIFICATE-----"));
    assert_int_equal(mtv_http_cert_sha1_fingerprint(chain, fp_got,
                                                    sizeof(fp_got), &err),
                     0);
    assert_int_equal(mtv_http_cert_sha1_fingerprint(srv.server_cert, fp_want,
                                                    sizeof(fp_want), &err),
                     0);
    assert_string_equal(fp_got, fp_want);
    assert_int_equal(strlen(fp_got), 59);
    assert_int_equal(mtv_http_cert_sha1_fingerprint("junk", fp_got,
                                                    sizeof(fp_got), &err),
                     MTV_EINVAL);
    free(chain);
}

static void test_http_client__cookie_jar(void **state)
{
    struct mtv_http_options o = MTV_HTTP_OPTIONS_INIT;
    struct mtv_http_client *c = NULL;
    struct mtv_http_response resp;
    char *v = NULL;

    (void)state;
    o.ca_pem = srv.ca;
    o.cookies = true;
    o.no_env_proxy = true;
    assert_int_equal(mtv_http_client_new(&c, &o, NULL), 0);
    mtv_http_response_init(&resp, 0);
    assert_null(mtv_http_client_cookie(c, "vmware_soap_session"));
    assert_int_equal(get(c, "/setcookie", &resp, NULL), 0);
    v = mtv_http_client_cookie(c, "vmware_soap_session");
    assert_non_null(v);
    assert_string_equal(v, "c00k1e-value");
    mtv_str_free_secret(v);
    assert_int_equal(get(c, "/cookie", &resp, NULL), 0);
    assert_non_null(strstr(resp.body.data,
                           "vmware_soap_session=c00k1e-value"));
    mtv_http_response_dispose(&resp);
    mtv_http_client_free(c);
}

static void capture(enum mtv_log_level level, const char *domain,
                    const char *line, void *payload)
{
    (void)level;
    (void)domain;
    mtv_buf_printf(payload, "%s\n", line);
}

static void test_http_client__trace_is_redacted(void **state)
{
    struct mtv_http_options o = MTV_HTTP_OPTIONS_INIT;
    struct mtv_http_client *c = NULL;
    struct mtv_http_transport t;
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    struct mtv_http_response resp;
    struct mtv_buf log = MTV_BUF_INIT;
    static const char *const h[] = {"Authorization: Bearer tr4ce-secret-tok",
                                    NULL};
    char url[128];

    (void)state;
    o.ca_pem = srv.ca;
    o.trace = true;
    o.no_env_proxy = true;
    assert_int_equal(mtv_http_client_new(&c, &o, NULL), 0);
    t = mtv_http_client_transport(c);
    mtv_http_response_init(&resp, 0);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/hello", srv.port);
    req.method = "GET";
    req.url = url;
    req.headers = h;
    mtv_log_set_sink(capture, &log);
    mtv_log_set_level(MTV_LOG_TRACE);
    assert_int_equal(mtv_http_perform(&t, &req, &resp, NULL), 0);
    mtv_log_set_level(MTV_LOG_WARN);
    mtv_log_set_sink(NULL, NULL);
    assert_non_null(strstr(log.data, "> GET /hello HTTP/1.1"));
    assert_non_null(strstr(log.data, "< HTTP/1.0 200")
                        ? log.data
                        : strstr(log.data, "< HTTP/1.1 200"));
    assert_non_null(strstr(log.data, "Authorization:"));
    assert_null(strstr(log.data, "tr4ce-secret-tok"));
    mtv_buf_dispose(&log);
    mtv_http_response_dispose(&resp);
    mtv_http_client_free(c);
}

static void test_http_client__connection_refused(void **state)
{
    struct mtv_http_client *c = client_with(srv.ca, false);
    struct mtv_http_transport t = mtv_http_client_transport(c);
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    struct mtv_http_response resp;
    struct mtv_error err;
    char *chain = NULL;

    (void)state;
    mtv_http_response_init(&resp, 0);
    /* port 1 on loopback: nothing listens there in the test environment */
    req.method = "GET";
    req.url = "https://127.0.0.1:1/x";
    assert_int_equal(mtv_http_perform(&t, &req, &resp, &err), MTV_EIO);
    assert_int_equal(resp.fail, MTV_HTTP_FAIL_CONNECT);
    assert_int_equal(mtv_http_fetch_cert_chain(&chain, "127.0.0.1", 1, 2000,
                                               &err),
                     MTV_EIO);
    mtv_http_response_dispose(&resp);
    mtv_http_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_client__verifies_with_the_right_ca),
        cmocka_unit_test(test_http_client__rejects_a_wrong_ca),
        cmocka_unit_test(test_http_client__keeps_one_connection),
        cmocka_unit_test(test_http_client__times_out),
        cmocka_unit_test(test_http_client__errors_keep_bodies_and_caps),
        cmocka_unit_test(test_http_client__client_certificate_from_memory),
        cmocka_unit_test(test_http_client__upgrade_stream),
        cmocka_unit_test(test_http_client__fetches_the_chain),
        cmocka_unit_test(test_http_client__cookie_jar),
        cmocka_unit_test(test_http_client__trace_is_redacted),
        cmocka_unit_test(test_http_client__connection_refused),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
