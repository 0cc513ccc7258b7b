/* json: parse errors with positions, typed getters with paths, builders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/json.h"

static struct mtv_json *parse_ok(const char *text)
{
    struct mtv_json *j = NULL;
    struct mtv_error err;

    mtv_error_clear(&err);
    assert_int_equal(mtv_json_parse(&j, text, strlen(text), NULL, &err), 0);
    assert_non_null(j);
    return j;
}

struct bad_case {
    const char *text;
    int line;
    int col;
    char ch;
};

static void test_json_parse__errors_have_positions(void **state)
{
    static const struct bad_case cases[] = {
        {"{\n  # pragma: allowlist secret\n}", 2, 3, '#'},
        {"{\"a\": 1,}", 1, 9, '}'},
        {"{\"a\": 1} x", 1, 10, 'x'},
        {"[1, 2", 1, 6, '\0'},
        {"{\"a\":\n // c\n 1}", 2, 2, '/'},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_json *j = NULL;
        struct mtv_json_pos pos = {0, 0, 0};
        struct mtv_error err;
        int rc;

        mtv_error_clear(&err);
        rc = mtv_json_parse(&j, cases[i].text, strlen(cases[i].text), &pos,
                            &err);
        assert_int_equal(rc, MTV_EPROTO);
        assert_null(j);
        if (pos.line != cases[i].line || pos.col != cases[i].col ||
            pos.ch != cases[i].ch) {
            fail_msg("case %zu: got %d:%d '%c' (%s)", i, pos.line, pos.col,
                     pos.ch, err.msg);
        }
    }
}

static void test_json_get__typed_with_paths(void **state)
{
    struct mtv_json *j = parse_ok(
        "{\"items\": [{\"metadata\": {\"name\": \"p1\", \"generation\": 3,"
        " \"labels\": {\"mtvtest.io/session\": \"auto-ab12\"}}},"
        " {\"metadata\": {\"name\": 7}}], \"ok\": true, \"f\": 1.5}");
    struct mtv_error err;
    const char *s = NULL;
    long long n = 0;
    bool b = false;

    (void)state;
    mtv_error_clear(&err);
    assert_int_equal(mtv_json_get_string(j, "items[0].metadata.name", &s, &err),
                     0);
    assert_string_equal(s, "p1");
    assert_int_equal(mtv_json_get_int(j, "items[0].metadata.generation", &n,
                                      &err),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(mtv_json_get_string(j, "items[1].metadata.name", &s, &err),
                     MTV_EPROTO);
    assert_string_equal(err.msg,
                        "items[1].metadata.name: expected string, got number");
    assert_int_equal(mtv_json_get_string(j, "items[2].metadata.name", &s, &err),
                     MTV_ENOTFOUND);
    assert_string_equal(err.msg, "items[2].metadata.name: missing");
    assert_int_equal(mtv_json_get_int(j, "f", &n, &err), MTV_EPROTO);
    assert_int_equal(mtv_json_get_bool(j, "ok", &b, &err), 0);
    assert_true(b);
    assert_string_equal(
        mtv_json_string_or(j, "items[0].metadata.labels.mtvtest\\.io/session",
                           "none"),
        "auto-ab12");
    assert_string_equal(mtv_json_string_or(j, "nope.x", "dflt"), "dflt");
    assert_int_equal(mtv_json_size(mtv_json_get(j, "items")), 2);
    mtv_json_free(j);
}

static void test_json_build__set_paths_and_iterate(void **state)
{
    struct mtv_json *o = mtv_json_new_object();
    struct mtv_json *arr = mtv_json_new_array();
    struct mtv_json *back = NULL;
    char *text = NULL;
    size_t count = 0;

    (void)state;
    assert_int_equal(mtv_json_set_string(o, "metadata.name", "plan-1"), 0);
    assert_int_equal(
        mtv_json_set_string(o, "metadata.labels.mtvtest\\.io/session", "s1"),
        0);
    assert_int_equal(mtv_json_set_number(o, "spec.interval", 2), 0);
    assert_int_equal(mtv_json_set_bool(o, "spec.warm", true), 0);
    assert_int_equal(mtv_json_set_null(o, "spec.cancel"), 0);
    assert_int_equal(mtv_json_push_string(arr, "a"), 0);
    assert_int_equal(mtv_json_push_string(arr, "b"), 0);
    assert_int_equal(mtv_json_set_take(o, "spec.vms", arr), 0);
    assert_int_equal(mtv_json_set_string(o, "metadata.name", "plan-2"), 0);
    /* a path through a non-object fails and frees the value */
    assert_int_equal(mtv_json_set_string(o, "spec.warm.x", "y"), MTV_EINVAL);
    text = mtv_json_print(o, false);
    assert_string_equal(text,
                        "{\"metadata\":{\"name\":\"plan-2\",\"labels\":"
                        "{\"mtvtest.io/session\":\"s1\"}},\"spec\":"
                        "{\"interval\":2,\"warm\":true,\"cancel\":null,"
                        "\"vms\":[\"a\",\"b\"]}}");
    back = parse_ok(text);
    assert_true(mtv_json_equal(o, back));
    for (const struct mtv_json *c = mtv_json_first(mtv_json_get(o, "spec"));
         c != NULL; c = mtv_json_next(c)) {
        assert_non_null(mtv_json_key(c));
        count++;
    }
    assert_int_equal(count, 4);
    mtv_json_remove(o, "spec.cancel");
    assert_null(mtv_json_get(o, "spec.cancel"));
    assert_false(mtv_json_equal(o, back));
    free(text);
    mtv_json_free(back);
    mtv_json_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parse__errors_have_positions),
        cmocka_unit_test(test_json_get__typed_with_paths),
        cmocka_unit_test(test_json_build__set_paths_and_iterate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
