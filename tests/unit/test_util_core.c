/* util: errors, buffers, strings, time, ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mtv/util.h"

static void test_error__set_prefix_text(void **state)
{
    struct mtv_error err;
    char text[600];

    (void)state;
    mtv_error_clear(&err);
    assert_int_equal(mtv_error_set(&err, MTV_ENOTFOUND, "k8s",
                                   "plan \"%s\" not found\nagain", "p1"),
                     MTV_ENOTFOUND);
    assert_string_equal(err.msg, "plan \"p1\" not found again");
    assert_string_equal(err.domain, "k8s");
    mtv_error_set_remote(&err, "plans.forklift.konveyor.io \"p1\" not found.");
    assert_string_equal(err.remote, "plans.forklift.konveyor.io \"p1\" not found");
    assert_int_equal(mtv_error_prefix(&err, "step %d", 3), MTV_ENOTFOUND);
    assert_string_equal(err.msg, "step 3: plan \"p1\" not found again");
    mtv_error_text(&err, text, sizeof(text));
    assert_string_equal(text, "step 3: plan \"p1\" not found again: "
                              "plans.forklift.konveyor.io \"p1\" not found");
    assert_int_equal(mtv_error_set(NULL, MTV_EIO, "x", "ignored"), MTV_EIO);
    assert_string_equal(mtv_err_name(MTV_ETIMEOUT), "timeout");
}

static void test_buf__cap_and_printf(void **state)
{
    struct mtv_buf b;
    char *s = NULL;

    (void)state;
    mtv_buf_init(&b, 10);
    assert_int_equal(mtv_buf_puts(&b, "hello"), 0);
    assert_int_equal(mtv_buf_printf(&b, "%d", 1234), 0);
    assert_string_equal(b.data, "hello1234");
    /* the cap is enforced and the buffer is left unchanged */
    assert_int_equal(mtv_buf_puts(&b, "xy"), MTV_EPROTO);
    assert_string_equal(b.data, "hello1234");
    mtv_buf_consume(&b, 5);
    assert_string_equal(b.data, "1234");
    assert_int_equal(b.len, 4);
    s = mtv_buf_detach(&b);
    assert_string_equal(s, "1234");
    assert_null(b.data);
    free(s);
    s = mtv_buf_detach(&b);
    assert_string_equal(s, "");
    free(s);
}

static void test_buf__escaping(void **state)
{
    struct mtv_buf b = MTV_BUF_INIT;

    (void)state;
    mtv_buf_put_json_escaped(&b, "a\"b\\c\n\x01");
    assert_string_equal(b.data, "a\\\"b\\\\c\\n\\u0001");
    mtv_buf_reset(&b);
    mtv_buf_put_xml_escaped(&b, "<a href=\"x\">&'</a>");
    assert_string_equal(b.data,
                        "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
    mtv_buf_dispose(&b);
}

struct num_case {
    const char *in;
    int rc;
    long want;
};

static void test_str__to_long_table(void **state)
{
    static const struct num_case cases[] = {
        {"42", 0, 42},          {"-7", 0, -7},  {"", MTV_EINVAL, 0},
        {" 1", MTV_EINVAL, 0},  {"1 ", MTV_EINVAL, 0},
        {"12abc", MTV_EINVAL, 0}, {"99999999999999999999", MTV_EINVAL, 0},
        {"0x10", MTV_EINVAL, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long v = -1;
        int rc = mtv_str_to_long(cases[i].in, &v);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_int_equal(v, cases[i].want);
        }
    }
}

static void test_str__misc(void **state)
{
    char small[4];
    double d = 0;
    struct mtv_strv v = MTV_STRV_INIT;
    char lower[] = "AbC-1";

    (void)state;
    assert_int_equal(mtv_strlcpy(small, "abcdef", sizeof(small)), 6);
    assert_string_equal(small, "abc");
    assert_true(mtv_str_has_prefix("auto-ab12", "auto-"));
    assert_false(mtv_str_has_prefix(NULL, "a"));
    assert_true(mtv_str_has_suffix("disk.vmdk", ".vmdk"));
    assert_false(mtv_str_has_suffix("vmdk", ".vmdk"));
    assert_int_equal(mtv_str_to_double("0.25", &d), 0);
    assert_true(d > 0.249 && d < 0.251);
    assert_int_equal(mtv_str_to_double("nan", &d), MTV_EINVAL);
    assert_string_equal(mtv_str_lower(lower), "abc-1");
    assert_true(mtv_str_eq(NULL, NULL));
    assert_false(mtv_str_eq("a", NULL));
    assert_int_equal(mtv_strv_push(&v, "x"), 0);
    assert_int_equal(mtv_strv_push_take(&v, strdup("y")), 0);
    assert_true(mtv_strv_contains(&v, "y"));
    assert_false(mtv_strv_contains(&v, "z"));
    assert_null(v.items[v.len]);
    mtv_strv_dispose(&v);
}

static void test_time__rfc3339_roundtrip(void **state)
{
    char out[32];
    int64_t ms = 0;

    (void)state;
    assert_string_equal(mtv_time_rfc3339(1764100340123LL, out, sizeof(out)),
                        "2025-11-25T19:52:20Z");
    assert_int_equal(mtv_time_parse_rfc3339("2025-11-25T19:52:20Z", &ms), 0);
    assert_int_equal(ms, 1764100340000LL);
    assert_int_equal(
        mtv_time_parse_rfc3339("2025-11-25T21:52:20.5+02:00", &ms), 0);
    assert_int_equal(ms, 1764100340500LL);
    assert_int_equal(mtv_time_parse_rfc3339("2025-11-25 19:52", &ms),
                     MTV_EINVAL);
    assert_int_equal(mtv_time_parse_rfc3339("2025-13-25T19:52:20Z", &ms),
                     MTV_EINVAL);
}

static void test_deadline__never_and_expired(void **state)
{
    struct mtv_deadline never = mtv_deadline_in(-1);
    struct mtv_deadline now = mtv_deadline_in(0);
    struct mtv_deadline later = mtv_deadline_in(60000);

    (void)state;
    assert_false(mtv_deadline_expired(&never));
    assert_true(mtv_deadline_expired(&now));
    assert_false(mtv_deadline_expired(&later));
    assert_true(mtv_deadline_remaining_ms(&later) <= 60000);
    assert_int_equal(mtv_deadline_min(never, now).at_ms, now.at_ms);
}

static void test_deadline__interrupt_expires_every_deadline(void **state)
{
    struct mtv_deadline never = mtv_deadline_in(-1);

    (void)state;
    assert_int_equal(mtv_interrupted(), 0);
    mtv_interrupt(15);
    assert_int_equal(mtv_interrupted(), 15);
    assert_true(mtv_deadline_expired(&never));
    mtv_interrupt_clear();
    assert_false(mtv_deadline_expired(&never));
}

static void test_fs__mkdir_p_nested_and_parent(void **state)
{
    char base[] = "/tmp/mtv-util-XXXXXX";
    char path[128];
    struct stat st;
    struct mtv_error err;

    (void)state;
    mtv_error_clear(&err);
    assert_non_null(mkdtemp(base));
    snprintf(path, sizeof(path), "%s/a/b/c", base);
    assert_int_equal(mtv_mkdir_p(path, &err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(mtv_mkdir_p(path, &err), 0); /* exists: fine */
    snprintf(path, sizeof(path), "%s/d/e/ledger.json", base);
    assert_int_equal(mtv_mkdir_parent(path, &err), 0);
    snprintf(path, sizeof(path), "%s/d/e", base);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(mtv_mkdir_parent("bare.json", &err), 0);
    assert_int_equal(mtv_mkdir_p("", &err), MTV_EINVAL);
    snprintf(path, sizeof(path), "%s/a/b/c/file", base);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof(path), "%s/a/b/c/file/x", base);
    assert_int_equal(mtv_mkdir_p(path, &err), MTV_EIO);
    assert_non_null(strstr(err.msg, "cannot create folder"));
    snprintf(path, sizeof(path), "rm -rf '%s'", base);
    assert_int_equal(system(path), 0);
}

static void test_random__id_alphabet(void **state)
{
    char id[65];

    (void)state;
    assert_int_equal(mtv_random_id(id, 64), 0);
    assert_int_equal(strlen(id), 64);
    for (size_t i = 0; i < 64; i++) {
        assert_non_null(strchr("23456789abcdefghijklmnopqrstuvwxyz", id[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error__set_prefix_text),
        cmocka_unit_test(test_buf__cap_and_printf),
        cmocka_unit_test(test_buf__escaping),
        cmocka_unit_test(test_str__to_long_table),
        cmocka_unit_test(test_str__misc),
        cmocka_unit_test(test_time__rfc3339_roundtrip),
        cmocka_unit_test(test_deadline__never_and_expired),
        cmocka_unit_test(test_deadline__interrupt_expires_every_deadline),
        cmocka_unit_test(test_fs__mkdir_p_nested_and_parent),
        cmocka_unit_test(test_random__id_alphabet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
