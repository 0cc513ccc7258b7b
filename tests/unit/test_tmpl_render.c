/* tmpl: Go text/template + Forklift's Sprig subset, table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtv/tmpl.h"

/* The data the PVC-name check and Forklift supply. */
static const struct mtv_tmpl_var vars[] = {
    {"VmName", MTV_TMPL_STRING, "auto-ab12-mtv-win2022-ip-3disks", 0, 0, 0},
    {"TargetVmName", MTV_TMPL_STRING, "rhel9-web", 0, 0, 0},
    {"PlanName", MTV_TMPL_STRING, "warm-plan", 0, 0, 0},
    {"DiskIndex", MTV_TMPL_INT, NULL, 1, 0, 0},
    {"RootDiskIndex", MTV_TMPL_INT, NULL, 0, 0, 0},
    {"FileName", MTV_TMPL_STRING, "mtv_win2022_ip_3disks_1.vmdk", 0, 0, 0},
    {"Shared", MTV_TMPL_BOOL, NULL, 0, 0, false},
    {"WinDriveLetter", MTV_TMPL_STRING, "c", 0, 0, 0},
    {"Ratio", MTV_TMPL_FLOAT, NULL, 0, 2.5, 0},
    {"Empty", MTV_TMPL_STRING, "", 0, 0, 0},
};
static const struct mtv_tmpl_data data = {vars, sizeof(vars) / sizeof(vars[0])};

struct render_case {
    const char *tmpl;
    const char *want;
};

static const struct render_case renders[] = {
    /* the reference scenario's template (comprehensive warm) */
    {"{{ .FileName | trimSuffix \".vmdk\" | replace \"_\" \"-\" "
     "}}-{{.DiskIndex}}",
     "mtv-win2022-ip-3disks-1-1"},
    /* Forklift's built-in default and its documented examples */
    {"{{trunc 15 .PlanName}}-{{trunc 15 .TargetVmName}}-disk-{{.DiskIndex}}",
     "warm-plan-rhel9-web-disk-1"},
    {"{{.TargetVmName}}-disk-{{.DiskIndex}}", "rhel9-web-disk-1"},
    {"{{if eq .DiskIndex "
     ".RootDiskIndex}}root{{else}}data{{end}}-{{.DiskIndex}}",
     "data-1"},
    {"{{if .Shared}}shared-{{end}}{{.VmName | lower}}-{{.DiskIndex}}",
     "auto-ab12-mtv-win2022-ip-3disks-1"},
    {"{{ .TargetVmName }}-{{ .WinDriveLetter }}", "rhel9-web-c"},
    {"{{.PlanName}}-{{.TargetVmName | upper | lower}}", "warm-plan-rhel9-web"},
    {"{{printf \"%s-disk-%02d\" .TargetVmName .DiskIndex}}",
     "rhel9-web-disk-01"},
    {"{{printf \"%d-%v-%q-%5s|%-4d|\" 7 true \"x\" \"ab\" 3}}",
     "7-true-\"x\"-   ab|3   |"},
    {"{{printf \"%d\" \"x\"}}", "%!d(string=x)"},
    {"{{printf \"%s %s\" \"a\"}}", "a %!s(MISSING)"},
    {"{{printf \"%x %.2f\" 255 .Ratio}}", "ff 2.50"},
    /* Sprig argument order: operands first, piped value last */
    {"{{ \"Hello_World\" | replace \"_\" \"-\" }}", "Hello-World"},
    {"{{ trimPrefix \"mtv-\" \"mtv-rhel8\" }}", "rhel8"},
    {"{{ \"xxhixx\" | trimAll \"x\" }}", "hi"},
    {"{{ \"  pad  \" | trim }}|", "pad|"},
    {"{{ \"hello world\" | title }}", "Hello World"},
    {"{{ \"Hello World\" | untitle }}", "hello world"},
    {"{{ \"ab\" | repeat 3 }}", "ababab"},
    {"{{ substr 1 4 \"abcdef\" }}", "bcd"},
    {"{{ substr -1 2 \"abcdef\" }}", "ab"},
    {"{{ substr 2 99 \"abcdef\" }}", "cdef"},
    {"{{ \" a b\tc \" | nospace }}", "abc"},
    {"{{ trunc 3 \"abcdef\" }}|{{ trunc -2 \"abcdef\" }}|{{ trunc 9 \"ab\" }}",
     "abc|ef|ab"},
    {"{{ \"foo bar baz\" | initials }}", "fbb"},
    {"{{ hasPrefix \"mtv\" .VmName }} {{ hasSuffix \"disks\" .VmName }}",
     "false true"},
    {"{{ contains \"win\" .VmName }}", "true"},
    {"{{ mustRegexReplaceAll \"[^a-z0-9-]\" .FileName \"-\" }}",
     "mtv-win2022-ip-3disks-1-vmdk"},
    {"{{ mustRegexReplaceAll \"(\\\\w+)_(\\\\d+)\\\\.vmdk\" \"disk_7.vmdk\" "
     "\"${2}-$1\" }}",
     "7-disk"},
    {"{{ mustRegexReplaceAll \"a*\" \"baaac\" \"-\" }}", "-b-c-"},
    {"{{ mustRegexReplaceAll \"(?P<n>[0-9]+)\" \"v12\" \"<$n>\" }}", "v<12>"},
    {"{{ add 1 2 3 }} {{ add1 .DiskIndex }} {{ sub 5 7 }} {{ mul 2 3 4 }}",
     "6 2 -2 24"},
    {"{{ div 7 2 }} {{ mod 7 2 }} {{ max 1 9 3 }} {{ min 4 -1 }}", "3 1 9 -1"},
    {"{{ floor 2.7 }} {{ ceil 2.1 }} {{ round 2.345 2 }} {{ round 2.5 0 }}",
     "2 3 2.35 3"},
    {"{{ add \"3\" 4 }}", "7"},
    {"{{ add .DiskIndex 1 | printf \"%03d\" }}", "002"},
    /* control flow, comparisons, trimming, comments */
    {"{{if gt .DiskIndex 0}}more{{else if eq .DiskIndex 0}}zero{{end}}",
     "more"},
    {"{{if lt .DiskIndex 0}}neg{{else if eq .DiskIndex 1}}one{{else}}x{{end}}",
     "one"},
    {"{{if and .Shared .DiskIndex}}a{{else}}b{{end}}"
     "{{if or .Empty .PlanName}}c{{end}}{{if not .Shared}}d{{end}}",
     "bcd"},
    {"{{ with .PlanName }}{{ . }}{{ else }}none{{ end }}", "warm-plan"},
    {"{{ with .Empty }}{{ . }}{{ else }}none{{ end }}", "none"},
    {"a  {{- .DiskIndex -}}  b", "a1b"},
    {"x{{/* a comment */}}y{{- /* trimmed */ -}} z", "xyz"},
    {"{{ len .PlanName }} {{ ne .PlanName \"x\" }} {{ le 2 2 }} {{ ge 1 2 }}",
     "9 true true false"},
    {"{{ (printf \"%s-%d\" .PlanName .DiskIndex) | upper }}", "WARM-PLAN-1"},
    {"{{ print \"a\" 1 2 \"b\" }}", "a1 2b"},
    {"{{ `raw\\n` }}{{ \"\\x41\\t\" }}", "raw\\nA\t"},
    {"{{ .Ratio }} {{ 1000000.0 }} {{ 0.5 }} {{ nil }}",
     "2.5 1e+06 0.5 <no value>"},
    {"{{ mul 9223372036854775807 2 }} {{ add 9223372036854775807 1 }}",
     "-2 -9223372036854775808"},
    {"{{ div -9223372036854775808 -1 }} {{ mod 7 -1 }} {{ add 1e30 0 }}",
     "-9223372036854775808 0 -9223372036854775808"},
    {"plain text only", "plain text only"},
    {"", ""},
};

struct error_case {
    const char *tmpl;
    int line;
    int col;
    const char *msg;
};

static const struct error_case errors[] = {
    {"{{ .FileName | nosuch }}", 1, 16, "function \"nosuch\" not defined"},
    {"abc-{{.DiskIndex", 1, 17, "unclosed action"},
    {"{{ if .Shared }}x", 1, 18, "unexpected EOF"},
    {"x\n{{ end }}", 2, 1, "unexpected {{end}}"},
    {"{{ \"abc }}", 1, 4, "unterminated quoted string"},
    {"{{ .FileName | \"x\" }}", 1, 16, "non executable command"},
    {"{{ $x := 1 }}", 1, 4, "variables are not supported"},
    {"{{ range .X }}{{ end }}", 1, 4, "unexpected \"range\""},
    {"{{ }}", 1, 4, "missing value for command"},
    {"{{ (upper \"a\" }}", 1, 15, "unclosed left paren"},
    {"{{if}}x{{end}}", 1, 5, "missing value for if"},
    /* execution errors, at the offending command */
    {"{{ .NoSuchField }}", 1, 4, "can't evaluate field NoSuchField"},
    {"ok-{{ .DiskIndex | replace \"_\" \"-\" }}", 1, 20,
     "error calling replace: wrong type for argument 3; expected string; got "
     "int"},
    {"{{ trunc \"x\" .FileName }}", 1, 4, "expected int"},
    {"{{ div 1 0 }}", 1, 4, "integer divide by zero"},
    {"{{ eq .DiskIndex \"1\" }}", 1, 4, "incompatible types for comparison"},
    {"{{ \"a\" \"b\" }}", 1, 4, "can't give argument to non-function"},
    {"{{ replace \"a\" }}", 1, 4, "wrong number of args for replace"},
    {"{{ mustRegexReplaceAll \"a*?\" \"x\" \"y\" }}", 1, 4,
     "error parsing regexp"},
    {"{{ .FileName.Ext }}", 1, 4, "can't evaluate field Ext in type string"},
    {"{{ ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
     "(((((((((((((((((((((((((((((((((((((((( 1 }}",
     1, 104, "too deeply nested"},
};

static void test_tmpl_render__table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(renders) / sizeof(renders[0]); i++) {
        struct mtv_error err;
        char *out = NULL;
        int rc;

        mtv_error_clear(&err);
        rc = mtv_tmpl_render(&out, renders[i].tmpl, &data, &err);
        if (rc != 0 || strcmp(out, renders[i].want) != 0) {
            print_error("case %zu %s: rc %d err '%s' got '%s' want '%s'\n", i,
                        renders[i].tmpl, rc, err.msg, out ? out : "(null)",
                        renders[i].want);
        }
        assert_int_equal(rc, 0);
        assert_string_equal(out, renders[i].want);
        free(out);
    }
}

static void test_tmpl_render__errors_have_columns(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        struct mtv_error err;
        struct mtv_tmpl *t = NULL;
        struct mtv_tmpl_pos pos = {0, 0};
        char *out = NULL;
        char prefix[32];
        int rc;

        mtv_error_clear(&err);
        rc = mtv_tmpl_parse(&t, errors[i].tmpl, &pos, &err);
        if (rc == 0) {
            rc = mtv_tmpl_execute(&out, t, &data, &pos, &err);
        }
        snprintf(prefix, sizeof(prefix), "%d:%d: ", errors[i].line,
                 errors[i].col);
        if (rc != MTV_EINVAL || strstr(err.msg, errors[i].msg) == NULL ||
            strncmp(err.msg, prefix, strlen(prefix)) != 0) {
            print_error("case %zu %s: rc %d msg '%s' want '%s%s'\n", i,
                        errors[i].tmpl, rc, err.msg, prefix, errors[i].msg);
        }
        assert_int_equal(rc, MTV_EINVAL);
        assert_null(out);
        assert_int_equal(pos.line, errors[i].line);
        assert_int_equal(pos.col, errors[i].col);
        assert_non_null(strstr(err.msg, errors[i].msg));
        mtv_tmpl_free(t);
    }
}

static void test_tmpl_render__parse_once_execute_many(void **state)
{
    struct mtv_tmpl *t = NULL;
    struct mtv_tmpl_var v[2] = {
        {"FileName", MTV_TMPL_STRING, "a_b.vmdk", 0, 0, 0},
        {"DiskIndex", MTV_TMPL_INT, NULL, 0, 0, 0},
    };
    struct mtv_tmpl_data d = {v, 2};
    char *out = NULL;
    long long i;

    (void)state;
    assert_int_equal(
        mtv_tmpl_parse(&t,
                       "{{ .FileName | trimSuffix \".vmdk\" | replace \"_\" "
                       "\"-\" }}-{{.DiskIndex}}",
                       NULL, NULL),
        0);
    for (i = 0; i < 3; i++) {
        char want[32];

        v[1].i = i;
        snprintf(want, sizeof(want), "a-b-%lld", i);
        assert_int_equal(mtv_tmpl_execute(&out, t, &d, NULL, NULL), 0);
        assert_string_equal(out, want);
        free(out);
        out = NULL;
    }
    mtv_tmpl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tmpl_render__table),
        cmocka_unit_test(test_tmpl_render__errors_have_columns),
        cmocka_unit_test(test_tmpl_render__parse_once_execute_many),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
