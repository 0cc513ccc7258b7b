/* http: the retry decision table, backoff, URL helpers, headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mtv/http.h"

struct retry_case {
    const char *method;
    int rc;
    int status;
    int fail;
    enum mtv_http_retry want;
};

static void test_http_retry__decision_table(void **state)
{
    static const struct retry_case cases[] = {
        {"GET", 0, 200, 0, MTV_HTTP_NO_RETRY},
        {"GET", 0, 404, 0, MTV_HTTP_NO_RETRY},
        {"GET", 0, 429, 0, MTV_HTTP_RETRY},
        {"GET", 0, 500, 0, MTV_HTTP_RETRY},
        {"GET", 0, 501, 0, MTV_HTTP_NO_RETRY},
        {"GET", 0, 502, 0, MTV_HTTP_RETRY},
        {"GET", 0, 503, 0, MTV_HTTP_RETRY},
        {"GET", 0, 504, 0, MTV_HTTP_RETRY},
        {"GET", MTV_EIO, 0, MTV_HTTP_FAIL_CONNECT, MTV_HTTP_RETRY},
        {"GET", MTV_EIO, 0, MTV_HTTP_FAIL_SEND, MTV_HTTP_RETRY},
        {"GET", MTV_EIO, 0, MTV_HTTP_FAIL_RECV, MTV_HTTP_RETRY},
        {"GET", MTV_ETIMEOUT, 0, MTV_HTTP_FAIL_RECV, MTV_HTTP_RETRY},
        {"GET", MTV_EPROTO, 0, MTV_HTTP_FAIL_OTHER, MTV_HTTP_NO_RETRY},
        {"HEAD", 0, 503, 0, MTV_HTTP_RETRY},
        {"PUT", 0, 502, 0, MTV_HTTP_RETRY},
        {"PATCH", MTV_EIO, 0, MTV_HTTP_FAIL_RECV, MTV_HTTP_RETRY},
        {"DELETE", 0, 500, 0, MTV_HTTP_RETRY},
        {"POST", 0, 429, 0, MTV_HTTP_RETRY},
        {"POST", 0, 503, 0, MTV_HTTP_RETRY},
        {"POST", 0, 500, 0, MTV_HTTP_NO_RETRY},
        {"POST", 0, 502, 0, MTV_HTTP_NO_RETRY},
        {"POST", 0, 504, 0, MTV_HTTP_NO_RETRY},
        {"POST", MTV_EIO, 0, MTV_HTTP_FAIL_CONNECT, MTV_HTTP_RETRY},
        {"POST", MTV_ETIMEOUT, 0, MTV_HTTP_FAIL_CONNECT, MTV_HTTP_RETRY},
        {"POST", MTV_EIO, 0, MTV_HTTP_FAIL_SEND, MTV_HTTP_NO_RETRY},
        {"POST", MTV_EIO, 0, MTV_HTTP_FAIL_RECV, MTV_HTTP_NO_RETRY},
        {"POST", MTV_ETIMEOUT, 0, MTV_HTTP_FAIL_RECV, MTV_HTTP_NO_RETRY},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_http_response r;
        mtv_http_response_init(&r, 0);
        r.status = cases[i].status;
        r.fail = cases[i].fail;
        if (mtv_http_retry_decide(cases[i].method, cases[i].rc, &r) !=
            cases[i].want) {
            fail_msg("case %zu: %s rc=%d status=%d fail=%d", i,
                     cases[i].method, cases[i].rc, cases[i].status,
                     cases[i].fail);
        }
        mtv_http_response_dispose(&r);
    }
}

static void test_http_retry__backoff_is_capped_with_jitter(void **state)
{
    struct mtv_http_response r;

    (void)state;
    for (int attempt = 1; attempt < 40; attempt++) {
        int64_t want = 100;
        for (int i = 1; i < attempt && want < 5000; i++) {
            want *= 2;
        }
        want = want > 5000 ? 5000 : want;
        int64_t d = mtv_http_backoff_ms(attempt, 100, 5000, NULL);
        assert_true(d >= want / 2);
        assert_true(d <= want);
    }
    mtv_http_response_init(&r, 0);
    mtv_http_response_add_header(&r, "Retry-After: 3\r\n", 16);
    assert_true(mtv_http_backoff_ms(1, 10, 5000, &r) >= 3000);
    mtv_http_response_reset(&r);
    mtv_http_response_add_header(&r, "Retry-After: 999", 16);
    assert_true(mtv_http_backoff_ms(1, 10, 5000, &r) == 60000);
    mtv_http_response_dispose(&r);
}

static void test_http_retry__url_helpers(void **state)
{
    struct mtv_buf b = MTV_BUF_INIT;
    char *host = NULL;
    int port = 0;

    (void)state;
    assert_int_equal(mtv_http_buf_put_escaped(&b, "a b/c=d&é~._-"), 0);
    assert_string_equal(b.data, "a%20b%2Fc%3Dd%26%C3%A9~._-");
    mtv_buf_dispose(&b);
    assert_int_equal(mtv_http_url_host_port("https://vc.example/sdk", &host,
                                            &port, NULL),
                     0);
    assert_string_equal(host, "vc.example");
    assert_int_equal(port, 443);
    free(host);
    host = NULL;
    assert_int_equal(mtv_http_url_host_port("https://[::1]:8443", &host,
                                            &port, NULL),
                     0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8443);
    free(host);
    host = NULL;
    assert_int_equal(mtv_http_url_host_port("https://h:99999/", &host, &port,
                                            NULL),
                     MTV_EINVAL);
    assert_int_equal(mtv_http_url_host_port("nourl", &host, &port, NULL),
                     MTV_EINVAL);
    assert_null(host);
}

static void test_http_retry__header_lookup(void **state)
{
    struct mtv_http_response r;

    (void)state;
    mtv_http_response_init(&r, 0);
    mtv_http_response_add_header(&r, "Content-Type:  application/json \r\n",
                                 34);
    mtv_http_response_add_header(&r, "X-Empty:", 8);
    assert_string_equal(mtv_http_response_header(&r, "content-TYPE"),
                        "application/json");
    assert_string_equal(mtv_http_response_header(&r, "x-empty"), "");
    assert_null(mtv_http_response_header(&r, "Content"));
    mtv_http_response_dispose(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_retry__decision_table),
        cmocka_unit_test(test_http_retry__backoff_is_capped_with_jitter),
        cmocka_unit_test(test_http_retry__url_helpers),
        cmocka_unit_test(test_http_retry__header_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
