/*
 * tmpl: regressions found by the libFuzzer targets (tests/fuzz/).
 * Each test is the minimal reproducer of one finding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtv/tmpl.h"

static const struct mtv_tmpl_var vars[] = {
    {"FileName", MTV_TMPL_STRING, "disk_7.vmdk", 0, 0, 0},
};
static const struct mtv_tmpl_data data = {vars, 1};

static void assert_refused(const char *text, const char *why)
{
    struct mtv_error err = {0};
    char *out = NULL;

    assert_int_equal(mtv_tmpl_render(&out, text, &data, &err), MTV_EINVAL);
    assert_null(out);
    assert_non_null(strstr(err.msg, why));
}

#define assert_too_large(text) assert_refused(text, "expression too large")
#define assert_nested(text)                                                    \
    assert_refused(text, "invalid nested repetition operator")

/*
 * fuzz_tmpl: glibc's regcomp copies a repeated element per repetition, so
 * stacked or nested repetitions in a mustRegexReplaceAll pattern grew
 * exponentially (the fuzzer's first input took more than 2 GB, the second,
 * "+**+...", more than 10 s in the epsilon closures). Stacked repetition
 * operators are refused as Go refuses them, oversized expansions as Go
 * refuses an oversized expression.
 */
static void test_tmpl_fuzzfound__regex_repetition_blowup(void **state)
{
    (void)state;
    /* the fuzzer's inputs */
    assert_nested("{{ mustRegexReplaceAll \" ?P<n>++++++++++++++++++++++++"
                  "+++++++)++++++++++++++++++[0-9]+)\" \"2v1\" \"<$n&\" }}");
    assert_nested("{{mustRegexReplaceAll \"a*MMMMMMMM+**++++++++++++#++qD+++++"
                  "+++++MM\" \"be\" \"-\" }}");
    assert_nested("{{ mustRegexReplaceAll \"a{2}{3}\" .FileName \"x\" }}");
    /* valid in Go (RE2 does not expand), 2^40 copies for glibc */
    assert_too_large(
        "{{ mustRegexReplaceAll \"(((((((((((((((((((((((((((((("
        "((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+"
        ")+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+\" .FileName \"x\" }}");
    /* counted repetitions multiply too */
    assert_too_large("{{ mustRegexReplaceAll \"((a{1,1000}){,1000}){2}\" "
                     ".FileName \"x\" }}");
}

/* Ordinary patterns, repetitions included, still work. */
static void test_tmpl_fuzzfound__regex_normal_sizes(void **state)
{
    struct mtv_error err = {0};
    char *out = NULL;

    (void)state;
    assert_int_equal(
        mtv_tmpl_render(&out,
                        "{{ mustRegexReplaceAll \"^([a-z]+)_([0-9]{1,3})"
                        "[.](vmdk)+$\" .FileName \"${1}-${2}\" }}",
                        &data, &err),
        0);
    assert_string_equal(out, "disk-7");
    free(out);
    out = NULL;
    assert_int_equal(mtv_tmpl_render(&out,
                                     "{{ mustRegexReplaceAll \"[0-9]{1,200}\" "
                                     ".FileName \"N\" }}",
                                     &data, &err),
                     0);
    assert_string_equal(out, "disk_N.vmdk");
    free(out);
    out = NULL;
    /* Go's largest count */
    assert_int_equal(mtv_tmpl_render(&out,
                                     "{{ mustRegexReplaceAll "
                                     "\"^[a-z_0-9]{1,1000}[.]vmdk$\" "
                                     ".FileName \"x\" }}",
                                     &data, &err),
                     0);
    assert_string_equal(out, "x");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tmpl_fuzzfound__regex_repetition_blowup),
        cmocka_unit_test(test_tmpl_fuzzfound__regex_normal_sizes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
