/* runner: pytest's -m / -k expressions (precedence, errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtv/runner.h"

struct marker_case {
    const char *expr;
    const char *markers; /* space separated */
    bool expected;
};

static const struct marker_case marker_cases[] = {
    {"", "warm", true},
    {"   ", "", true},
    {"warm", "warm tier0", true},
    {"warm", "tier0", false},
    {"not warm", "tier0", true},
    {"not not warm", "warm", true},
    {"warm and not remote", "warm remote", false},
    {"warm and not remote", "warm", true},
    /* and binds tighter than or */
    {"tier0 or warm and remote", "tier0", true},
    {"tier0 or warm and remote", "warm", false},
    {"(tier0 or warm) and remote", "tier0", false},
    {"(tier0 or warm) and remote", "warm remote", true},
    {"not tier0 and warm", "warm", true},
    {"not (tier0 and warm)", "tier0 warm", false},
    {"((warm))", "warm", true},
    {"copyoffload or remote", "warm", false},
    {"warm and(tier0)", "warm tier0", true},
};

static void split(struct mtv_strv *v, const char *s)
{
    char *copy = mtv_strdup(s);
    char *save = NULL;

    for (char *t = strtok_r(copy, " ", &save); t != NULL;
         t = strtok_r(NULL, " ", &save)) {
        mtv_strv_push(v, t);
    }
    free(copy);
}

static void test_expr_markers__precedence(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(marker_cases) / sizeof(marker_cases[0]);
         i++) {
        const struct marker_case *tc = &marker_cases[i];
        struct mtv_expr *e = NULL;
        struct mtv_strv markers = MTV_STRV_INIT;
        struct mtv_error err;

        mtv_error_clear(&err);
        split(&markers, tc->markers);
        if (mtv_expr_parse(&e, tc->expr, MTV_EXPR_MARKER, "-m", &err) != 0) {
            fail_msg("'%s': %s", tc->expr, err.msg);
        }
        if (mtv_expr_match_markers(e, &markers) != tc->expected) {
            fail_msg("'%s' over '%s': expected %d", tc->expr, tc->markers,
                     tc->expected);
        }
        mtv_expr_free(e);
        mtv_strv_dispose(&markers);
    }
}

struct error_case {
    const char *expr;
    enum mtv_expr_kind kind;
    const char *message;
};

static const struct error_case error_cases[] = {
    {"warm and", MTV_EXPR_MARKER,
     "-m 'warm and': at column 9: expected not, '(' or a name; got end of "
     "input"},
    {"warm tier0", MTV_EXPR_MARKER,
     "-m 'warm tier0': at column 6: expected and, or or end of input; got "
     "'tier0'"},
    {"(warm", MTV_EXPR_MARKER,
     "-m '(warm': at column 6: expected ')'; got end of input"},
    {")", MTV_EXPR_MARKER,
     "-m ')': at column 1: expected not, '(' or a name; got ')'"},
    {"or warm", MTV_EXPR_MARKER,
     "-m 'or warm': at column 1: expected not, '(' or a name; got 'or'"},
    {"not", MTV_EXPR_MARKER,
     "-m 'not': at column 4: expected not, '(' or a name; got end of input"},
    {"warm and nightly", MTV_EXPR_MARKER,
     "-m 'warm and nightly': unknown marker 'nightly' (known: tier0, warm, "
     "remote, copyoffload)"},
    {"Warm", MTV_EXPR_MARKER,
     "-m 'Warm': unknown marker 'Warm' (known: tier0, warm, remote, "
     "copyoffload)"},
    {"rhel8 and", MTV_EXPR_KEYWORD,
     "-k 'rhel8 and': at column 10: expected not, '(' or a name; got end of "
     "input"},
};

static void test_expr_errors__messages(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]);
         i++) {
        const struct error_case *tc = &error_cases[i];
        struct mtv_expr *e = NULL;
        struct mtv_error err;

        mtv_error_clear(&err);
        assert_int_equal(mtv_expr_parse(&e, tc->expr, tc->kind,
                                        tc->kind == MTV_EXPR_MARKER ? "-m"
                                                                    : "-k",
                                        &err),
                         MTV_ECONFIG);
        assert_null(e);
        assert_string_equal(err.msg, tc->message);
    }
}

static void test_expr_errors__deep_nesting_rejected(void **state)
{
    char text[1001];
    struct mtv_expr *e = NULL;
    struct mtv_error err;

    (void)state;
    memset(text, '(', 1000);
    text[1000] = '\0';
    mtv_error_clear(&err);
    assert_int_equal(mtv_expr_parse(&e, text, MTV_EXPR_KEYWORD, "-k", &err),
                     MTV_ECONFIG);
    assert_null(e);
}

struct keyword_case {
    const char *expr;
    bool expected;
};

/* over the names "test_warm_migration_comprehensive",
 * "comprehensive-warm", "TestWarmMigrationComprehensive", "tier0" */
static const struct keyword_case keyword_cases[] = {
    {"comprehensive", true},
    {"COMPREHENSIVE", true},
    {"sanity", false},
    {"not sanity", true},
    {"TestWarmMigration", true},
    {"warm and not rhel8", true},
    {"rhel8 or 2disks", false},
    {"tier0", true},
};

static void test_expr_keywords__substrings(void **state)
{
    struct mtv_strv names = MTV_STRV_INIT;

    (void)state;
    mtv_strv_push(&names, "test_warm_migration_comprehensive");
    mtv_strv_push(&names, "comprehensive-warm");
    mtv_strv_push(&names, "TestWarmMigrationComprehensive");
    mtv_strv_push(&names, "tier0");
    for (size_t i = 0; i < sizeof(keyword_cases) / sizeof(keyword_cases[0]);
         i++) {
        struct mtv_expr *e = NULL;
        struct mtv_error err;

        mtv_error_clear(&err);
        assert_int_equal(mtv_expr_parse(&e, keyword_cases[i].expr,
                                        MTV_EXPR_KEYWORD, "-k", &err),
                         0);
        if (mtv_expr_match_names(e, &names) != keyword_cases[i].expected) {
            fail_msg("-k '%s'", keyword_cases[i].expr);
        }
        mtv_expr_free(e);
    }
    mtv_strv_dispose(&names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_markers__precedence),
        cmocka_unit_test(test_expr_errors__messages),
        cmocka_unit_test(test_expr_errors__deep_nesting_rejected),
        cmocka_unit_test(test_expr_keywords__substrings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
