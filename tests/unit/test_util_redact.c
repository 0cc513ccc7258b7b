/* util: log redaction. Secrets must never reach any output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/util.h"

struct redact_case {
    const char *in;
    const char *want;
};

static void test_redact__patterns(void **state)
{
    static const struct redact_case cases[] = {
        {"Authorization: Bearer sha256~abcdef123456",
         "Authorization: ***"},
        {"> Cookie: vmware_soap_session=\"52a1b2c3\"\r\n",
         "> Cookie: ***\r\n"},
        {"Set-Cookie: vmware_soap_session=\"abc123\"; Path=/",
         "Set-Cookie: ***"},
        {"session vmware_soap_session=deadbeef; Path=/",
         "session vmware_soap_session=***; Path=/"},
        {"<userName>admin</userName><password>S3cr&amp;t!</password>",
         "<userName>admin</userName><password>***</password>"},
        {"<vim25:password>pw</vim25:password>",
         "<vim25:password>***</vim25:password>"},
        {"{\"password\": \"hunter2hunter2\", \"user\": \"u\"}",
         "{\"password\": \"***\", \"user\": \"u\"}"},
        {"{\"access_token\":\"tok\\\"en\",\"x\":1}",
         "{\"access_token\":\"***\",\"x\":1}"},
        {"grant_type=authorization_code&password=abc&x=1",
         "grant_type=authorization_code&password=***&x=1"},
        {"use header Bearer abcdefghij now", "use header Bearer *** now"},
        {"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE "
         "KEY-----\ntail",
         "-----BEGIN PRIVATE KEY-----***\ntail"},
        {"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
         "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
        {"plain text stays", "plain text stays"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = mtv_redact_str(cases[i].in);
        assert_non_null(got);
        if (strcmp(got, cases[i].want) != 0) {
            fail_msg("case %zu: got '%s' want '%s'", i, got, cases[i].want);
        }
        free(got);
    }
}

static void test_redact__registered_secret(void **state)
{
    char *got = NULL;

    (void)state;
    mtv_log_add_secret("Zq9-very-secret-Zq9");
    mtv_log_add_secret("ab"); /* too short to register */
    got = mtv_redact_str("login failed for pw Zq9-very-secret-Zq9 (ab)");
    assert_string_equal(got, "login failed for pw *** (ab)");
    free(got);
    mtv_log_clear_secrets();
    got = mtv_redact_str("Zq9-very-secret-Zq9");
    assert_string_equal(got, "Zq9-very-secret-Zq9");
    free(got);
}

struct captured {
    int count;
    char last[512];
    enum mtv_log_level level;
};

static void sink(enum mtv_log_level level, const char *domain,
                 const char *line, void *payload)
{
    struct captured *c = payload;

    (void)domain;
    c->count++;
    c->level = level;
    mtv_strlcpy(c->last, line, sizeof(c->last));
}

static void test_log__level_and_sink_redacts(void **state)
{
    struct captured c;

    (void)state;
    memset(&c, 0, sizeof(c));
    mtv_log_set_sink(sink, &c);
    mtv_log_set_level(MTV_LOG_WARN);
    mtv_log(MTV_LOG_DEBUG, "k8s", "not shown %d", 1);
    assert_int_equal(c.count, 0);
    mtv_log_set_level(MTV_LOG_TRACE);
    mtv_log_add_secret("tok-1234567890");
    mtv_log(MTV_LOG_TRACE, "http", "> Authorization: Bearer %s",
            "tok-1234567890");
    assert_int_equal(c.count, 1);
    assert_int_equal(c.level, MTV_LOG_TRACE);
    assert_string_equal(c.last, "> Authorization: ***");
    mtv_log(MTV_LOG_INFO, "http", "token in url ?t=%s", "tok-1234567890");
    assert_string_equal(c.last, "token in url ?t=***");
    mtv_log_set_sink(NULL, NULL);
    mtv_log_set_level(MTV_LOG_WARN);
    mtv_log_clear_secrets();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact__patterns),
        cmocka_unit_test(test_redact__registered_secret),
        cmocka_unit_test(test_log__level_and_sink_redacts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
