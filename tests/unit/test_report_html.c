/*
 * report: report.html, built from a hand-made run result (passed, failed,
 * gated and stopped scenarios; VMs with precopy rounds), parsed back with
 * libxml2's HTML parser and checked by structure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "mtv/report.h"

#define SECRET "Hunter2-Very-Secret-Token"
#define T0 1764100000000LL /* 2025-11-25T19:46:40Z */
#define SEC 1000LL
#define SAMPLE_DIR MTV_BINARY_DIR "/test-output/report-html"

static char *s_names[] = {"test_sanity_warm_mtv_migration",
                          "test_mtv_warm_migration_comprehensive",
                          "test_warm_remote_ocp", "test_copyoffload_warm"};
static char *s_ids[] = {"rhel8", "comprehensive-warm", "remote-warm",
                        "copyoffload"};

struct fixture {
    struct mtv_scenario scenarios[4];
    struct mtv_run_result *r;
    char *html;
    htmlDocPtr doc;
    xmlXPathContextPtr xp;
};

/* --------------------------------------------------------- the result */

static void set_step(struct mtv_step_result *st, const char *name,
                     enum mtv_status status, int64_t start_ms, double dur)
{
    st->name = name;
    st->status = status;
    st->start_ms = start_ms;
    st->duration_s = dur;
}

/* The five standard steps, all passed, from `t` (seconds after T0);
 * migrate takes `migrate_s`. */
static void five_steps(struct mtv_scenario_result *sr, int64_t t,
                       double migrate_s)
{
    const char *names[6];

    sr->n_steps = mtv_scenario_step_names(sr->scenario, names);
    sr->steps = calloc(sr->n_steps, sizeof(*sr->steps));
    assert_non_null(sr->steps);
    set_step(&sr->steps[0], names[0], MTV_STATUS_PASSED, T0 + t * SEC, 0.4);
    set_step(&sr->steps[1], names[1], MTV_STATUS_PASSED, T0 + t * SEC + 500,
             0.3);
    set_step(&sr->steps[2], names[2], MTV_STATUS_PASSED, T0 + (t + 1) * SEC,
             6.2);
    set_step(&sr->steps[3], names[3], MTV_STATUS_PASSED, T0 + (t + 8) * SEC,
             migrate_s);
    set_step(&sr->steps[4], names[4], MTV_STATUS_PASSED,
             T0 + (t + 9) * SEC + (int64_t)(migrate_s * 1000), 41.5);
    sr->status = MTV_STATUS_PASSED;
}

/* A VM with `n` precopy rounds 120 s apart from `t`, cutover after them. */
static struct mtv_vm_result *add_vm(struct mtv_scenario_result *sr,
                                    const char *name, int64_t t, size_t n)
{
    struct mtv_vm_result *vm =
        mtv_scenario_result_add_vm(sr, name, "mtv-tests-rhel8");
    int64_t at = T0 + t * SEC;

    assert_non_null(vm);
    vm->started_ms = at;
    for (size_t i = 0; i < n; i++) {
        int64_t s = at + (int64_t)i * 120 * SEC;
        int64_t len = (i == 0 ? 95 : 20 + 7 * (int64_t)i) * SEC;

        assert_int_equal(mtv_vm_result_add_precopy(vm, s, s + len), 0);
    }
    vm->cutover_ms = at + (int64_t)n * 120 * SEC;
    vm->downtime_s = 74.5;
    vm->completed_ms = vm->cutover_ms + 300 * SEC;
    return vm;
}

static void add_checks(struct mtv_vm_result *vm, bool fail)
{
    static const char *names[] = {"provider_ssl", "power_state", "cpu",
                                  "memory",       "network",     "storage",
                                  "ssh",          "static_ip"};

    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(
            mtv_vm_result_add_validator(vm, names[i], MTV_CHECK_PASS, "ok"), 0);
    }
    assert_int_equal(mtv_vm_result_add_validator(
                         vm, "ssh", fail ? MTV_CHECK_FAIL : MTV_CHECK_SKIP,
                         fail ? "login as cloud-user with " SECRET
                                " refused: <script>alert(1)</script>"
                              : "no SSH transport configured"),
                     0);
    assert_int_equal(
        mtv_vm_result_add_validator(
            vm, "static_ip", fail ? MTV_CHECK_FAIL : MTV_CHECK_PASS,
            fail ? "expected 10.0.0.5 on eth0, found none" : "kept"),
        0);
}

static void failed_scenario(struct mtv_scenario_result *sr)
{
    struct mtv_step_result *check = NULL;

    five_steps(sr, 1400, 1450.0);
    check = &sr->steps[4];
    check->status = MTV_STATUS_FAILED;
    check->message = mtv_strdup("2 validator(s) failed: ssh, static_ip");
    check->details = mtv_strdup("vm 'auto-ab12-rhel8-b': ssh: refused\n"
                                "password=" SECRET "\nstatic_ip: none");
    sr->status = MTV_STATUS_FAILED;
    sr->reason = mtv_strdup("test_check_vms: 2 validator(s) failed");
    add_checks(
        add_vm(sr, "auto-ab12-mtv-tests-rhel8-standard-csi-warm-aaaa", 1420, 3),
        false);
    add_checks(
        add_vm(sr, "auto-ab12-mtv-tests-rhel8-standard-csi-warm-bbbb", 1425, 2),
        true);
}

/* Every step skipped with `reason`, none ran. */
static void skipped_scenario(struct mtv_scenario_result *sr, const char *reason)
{
    const char *names[6];

    sr->n_steps = mtv_scenario_step_names(sr->scenario, names);
    sr->steps = calloc(sr->n_steps, sizeof(*sr->steps));
    assert_non_null(sr->steps);
    for (size_t i = 0; i < sr->n_steps; i++) {
        set_step(&sr->steps[i], names[i], MTV_STATUS_SKIPPED, 0, 0);
        sr->steps[i].message = mtv_strdup(reason);
    }
    sr->status = MTV_STATUS_SKIPPED;
    sr->reason = mtv_strdup(reason);
}

/* create_plan fails; the later steps are skipped. */
static void stopped_scenario(struct mtv_scenario_result *sr)
{
    skipped_scenario(sr, "previous step failed (test_create_plan)");
    set_step(&sr->steps[0], sr->steps[0].name, MTV_STATUS_PASSED,
             T0 + 3000 * SEC, 0.5);
    set_step(&sr->steps[1], sr->steps[1].name, MTV_STATUS_PASSED,
             T0 + 3001 * SEC, 0.2);
    set_step(&sr->steps[2], sr->steps[2].name, MTV_STATUS_FAILED,
             T0 + 3002 * SEC, 360.0);
    for (size_t i = 0; i < 3; i++) {
        free(sr->steps[i].message);
        sr->steps[i].message = NULL;
    }
    sr->steps[2].message = mtv_strdup("Plan not Ready after 360s");
    sr->steps[2].details = mtv_strdup("condition VMNotFound: VM not found");
    free(sr->reason);
    sr->reason = mtv_strdup("test_create_plan: Plan not Ready after 360s");
    sr->status = MTV_STATUS_FAILED;
}

static void init_scenarios(struct fixture *f)
{
    for (size_t i = 0; i < 4; i++) {
        struct mtv_scenario *s = &f->scenarios[i];

        s->name = s_names[i];
        s->id = s_ids[i];
        s->warm_migration = true;
        s->copyoffload = i == 3;
        assert_int_equal(mtv_strv_push(&s->markers, "warm"), 0);
    }
    assert_int_equal(mtv_strv_push(&f->scenarios[0].markers, "tier0"), 0);
    assert_int_equal(mtv_strv_push(&f->scenarios[2].markers, "remote"), 0);
}

static struct mtv_run_result *make_result(struct fixture *f)
{
    struct mtv_run_result *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    r->session_id = mtv_strdup("auto-ab12");
    r->source_provider = mtv_strdup("vsphere-8.0.1");
    r->storage_class = mtv_strdup("standard-csi");
    r->mtv_version = mtv_strdup("2.10.4");
    r->start_ms = T0 - 5 * SEC;
    r->end_ms = T0 + 3500 * SEC;
    r->n_scenarios = 4;
    r->scenarios = calloc(4, sizeof(*r->scenarios));
    assert_non_null(r->scenarios);
    for (size_t i = 0; i < 4; i++) {
        r->scenarios[i].scenario = &f->scenarios[i];
    }
    five_steps(&r->scenarios[0], 0, 1300.0);
    add_checks(add_vm(&r->scenarios[0], "auto-ab12-rhel8-sanity", 10, 4),
               false);
    failed_scenario(&r->scenarios[1]);
    skipped_scenario(&r->scenarios[2], "No remote OCP cluster provided");
    stopped_scenario(&r->scenarios[3]);
    r->scenarios[0].duration_s = 1350;
    r->scenarios[1].duration_s = 1500;
    r->exit_code = mtv_run_result_exit_code(r);
    return r;
}

/* ------------------------------------------------------------ fixture */

static void parse(struct fixture *f)
{
    struct mtv_buf b = MTV_BUF_INIT;

    assert_int_equal(mtv_report_html(&b, f->r), 0);
    f->html = mtv_buf_detach(&b);
    assert_non_null(f->html);
    f->doc = htmlReadMemory(
        f->html, (int)strlen(f->html), "report.html", "UTF-8",
        HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    assert_non_null(f->doc);
    f->xp = xmlXPathNewContext(f->doc);
    assert_non_null(f->xp);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    mtv_log_add_secret(SECRET);
    init_scenarios(f);
    f->r = make_result(f);
    parse(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    xmlXPathFreeContext(f->xp);
    xmlFreeDoc(f->doc);
    free(f->html);
    mtv_run_result_free(f->r);
    for (size_t i = 0; i < 4; i++) {
        mtv_strv_dispose(&f->scenarios[i].markers);
    }
    free(f);
    mtv_log_clear_secrets();
    return 0;
}

static double xcount(struct fixture *f, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, f->xp);
    double n = -1;

    assert_non_null(o);
    n = xmlXPathCastToNumber(o);
    xmlXPathFreeObject(o);
    return n;
}

/* The string value of the first node `expr` selects (caller frees). */
static char *xtext(struct fixture *f, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, f->xp);
    xmlChar *s = NULL;
    char *out = NULL;

    assert_non_null(o);
    s = xmlXPathCastToString(o);
    out = mtv_strdup((const char *)s);
    xmlFree(s);
    xmlXPathFreeObject(o);
    return out;
}

static void assert_count(struct fixture *f, const char *expr, int want)
{
    double got = xcount(f, expr);

    if ((int)got != want) {
        print_error("%s: %g, expected %d\n", expr, got, want);
    }
    assert_int_equal((int)got, want);
}

static void assert_text_has(struct fixture *f, const char *expr,
                            const char *needle)
{
    char *s = xtext(f, expr);

    if (strstr(s, needle) == NULL) {
        print_error("%s = '%s' lacks '%s'\n", expr, s, needle);
    }
    assert_non_null(strstr(s, needle));
    free(s);
}

/* -------------------------------------------------------------- tests */

static void test_report_html__one_section_per_scenario(void **state)
{
    struct fixture *f = *state;

    assert_count(f, "count(//section[contains(@class,'scenario')])", 4);
    assert_count(f,
                 "count(//section[@id='scenario-1' and "
                 "@class='scenario passed'])",
                 1);
    assert_count(f,
                 "count(//section[@id='scenario-2' and "
                 "@class='scenario failed'])",
                 1);
    assert_count(f,
                 "count(//section[@id='scenario-3' and "
                 "@class='scenario skipped'])",
                 1);
    assert_text_has(f, "//section[@id='scenario-2']//h2",
                    "test_mtv_warm_migration_comprehensive");
    assert_text_has(f, "//section[@id='scenario-2']//h2",
                    "[comprehensive-warm]");
    /* the overview links every section */
    assert_count(f,
                 "count(//table[@class='overview']/tbody/tr/td/"
                 "a[starts-with(@href,'#scenario-')])",
                 4);
}

static void test_report_html__summary(void **state)
{
    struct fixture *f = *state;

    assert_text_has(f, "//title", "FAILED");
    assert_text_has(f, "//table[@class='kv']", "auto-ab12");
    assert_text_has(f, "//table[@class='kv']", "vsphere-8.0.1");
    assert_text_has(f, "//table[@class='kv']", "standard-csi");
    assert_text_has(f, "//table[@class='kv']", "2.10.4");
    assert_text_has(f, "//table[@class='kv']", "2025-11-25 19:46:35 UTC");
    assert_text_has(f, "//table[@class='kv']//tr[th='Exit code']/td", "1");
    assert_text_has(f, "//div[contains(@class,'verdict')]", "FAILED");
    /* steps: 11 passed (5 + 4 + 2), 2 failed, 8 skipped (5 + 3) */
    assert_count(f,
                 "count(//table[@class='counts']//tr[th='Steps']/"
                 "td[1][.='11'])",
                 1);
    assert_count(f,
                 "count(//table[@class='counts']//tr[th='Steps']/"
                 "td[2][.='2'])",
                 1);
    assert_count(f,
                 "count(//table[@class='counts']//tr[th='Steps']/"
                 "td[4][.='8'])",
                 1);
}

static void test_report_html__steps_with_status_and_message(void **state)
{
    struct fixture *f = *state;

    assert_count(f,
                 "count(//section[@id='scenario-1']//table[@class='steps']"
                 "/tbody/tr[contains(@class,'step')])",
                 5);
    assert_count(f,
                 "count(//section[@id='scenario-4']//table[@class='steps']"
                 "/tbody/tr[contains(@class,'step')])",
                 6);
    assert_count(f,
                 "count(//section[@id='scenario-4']//tr[@class='step "
                 "failed']/td[@class='name'][.='test_create_plan'])",
                 1);
    assert_text_has(f,
                    "//section[@id='scenario-4']//tr[@class='step "
                    "failed']/td[@class='message']",
                    "Plan not Ready after 360s");
    /* a failure is expanded with its details */
    assert_text_has(f,
                    "//section[@id='scenario-4']//tr[@class='details']"
                    "//details[@open]/pre",
                    "condition VMNotFound");
    assert_count(f,
                 "count(//section[@id='scenario-4']//tr[@class='step "
                 "skipped'])",
                 3);
    /* status is in text, not only in colour */
    assert_text_has(f,
                    "//section[@id='scenario-4']//tr[@class='step "
                    "failed']/td[2]",
                    "FAILED");
}

static void test_report_html__failed_validators_first(void **state)
{
    struct fixture *f = *state;
    const char *vm_b = "//section[@id='scenario-2']//div[@class='vm'][2]";
    char expr[256];

    assert_count(f, "count(//tr[@class='validator fail'])", 2);
    snprintf(expr, sizeof(expr),
             "%s//table[@class='validators']/tbody/tr[1]/td[@class='name']",
             vm_b);
    assert_text_has(f, expr, "ssh");
    snprintf(expr, sizeof(expr),
             "%s//table[@class='validators']/tbody/tr[2]/td[@class='name']",
             vm_b);
    assert_text_has(f, expr, "static_ip");
    snprintf(expr, sizeof(expr), "%s//tr[@class='validator fail'][2]/td[2]",
             vm_b);
    assert_text_has(f, expr, "FAIL");
    assert_count(f,
                 "count(//section[@id='scenario-2']//div[@class='vm'][1]"
                 "//tr[@class='validator fail'])",
                 0);
}

static void test_report_html__one_rect_per_precopy(void **state)
{
    struct fixture *f = *state;

    assert_count(f,
                 "count(//section[@id='scenario-1']//svg//"
                 "rect[@class='precopy'])",
                 4);
    assert_count(f,
                 "count(//section[@id='scenario-2']//svg//"
                 "rect[@class='precopy'])",
                 5);
    assert_count(f, "count(//rect[@class='precopy'])", 9);
    /* one step bar per step that ran: 5 + 5 + 0 + 3 */
    assert_count(f, "count(//svg//rect[@class='passed' or @class='failed'])",
                 13);
    /* one cutover line per distinct instant, a downtime per VM */
    assert_count(f,
                 "count(//section[@id='scenario-2']//svg//"
                 "line[@class='cutover'])",
                 2);
    assert_count(f, "count(//svg//rect[@class='downtime'])", 3);
    /* the precopy table holds the rounds too */
    assert_count(f,
                 "count(//section[@id='scenario-1']//table[@class="
                 "'precopies']/tbody/tr)",
                 4);
}

static void test_report_html__skipped_scenario_shows_reason(void **state)
{
    struct fixture *f = *state;

    assert_text_has(f,
                    "//section[@id='scenario-3']//p[contains(@class,"
                    "'callout')]",
                    "No remote OCP cluster provided");
    assert_count(f, "count(//section[@id='scenario-3']//svg)", 0);
    assert_text_has(f, "//section[@id='scenario-3']//p[@class='note']",
                    "No timeline");
    /* a stopped scenario still draws what ran, notes what did not */
    assert_count(f,
                 "count(//section[@id='scenario-4']//svg//"
                 "text[@class='not-run'])",
                 3);
}

static void test_report_html__escapes_and_redacts(void **state)
{
    struct fixture *f = *state;

    assert_null(strstr(f->html, SECRET));
    assert_null(strstr(f->html, "<script"));
    assert_non_null(strstr(f->html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_count(f, "count(//script)", 0);
    assert_text_has(f, "//tr[@class='validator fail'][td='ssh']/td[3]",
                    "refused: <script>alert(1)</script>");
    assert_text_has(f, "//tr[@class='validator fail'][td='ssh']/td[3]", "***");
}

static void test_report_html__self_contained(void **state)
{
    struct fixture *f = *state;

    assert_count(f, "count(//@src)", 0);
    assert_count(f, "count(//link)", 0);
    assert_count(f, "count(//a[not(starts-with(@href,'#'))])", 0);
    assert_count(f, "count(//style)", 1);
    assert_count(f, "count(//meta[@charset='utf-8'])", 1);
    assert_count(f, "count(//html[@lang='en'])", 1);
    /* the only URL is the SVG namespace */
    assert_null(strstr(f->html, "https://"));
}

static void test_report_html__dry_run(void **state)
{
    struct fixture *f = *state;
    struct mtv_run_result *r = calloc(1, sizeof(*r));
    struct mtv_buf b = MTV_BUF_INIT;

    assert_non_null(r);
    r->session_id = mtv_strdup("auto-dry1");
    r->dry_run = true;
    r->start_ms = T0;
    r->end_ms = T0 + 20;
    r->n_scenarios = 1;
    r->scenarios = calloc(1, sizeof(*r->scenarios));
    assert_non_null(r->scenarios);
    r->scenarios[0].scenario = &f->scenarios[0];
    skipped_scenario(&r->scenarios[0], "dry run");
    assert_int_equal(mtv_report_html(&b, r), 0);
    assert_non_null(strstr(b.data, "DRY RUN"));
    assert_non_null(strstr(b.data, "<b>Dry run:</b>"));
    assert_non_null(strstr(b.data, "No timeline"));
    assert_null(strstr(b.data, "<svg"));
    assert_non_null(strstr(b.data, "<span class=\"muted\">unknown</span>"));
    mtv_buf_dispose(&b);
    mtv_run_result_free(r);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    struct mtv_buf b = MTV_BUF_INIT;
    char chunk[4096];
    size_t n = 0;

    assert_non_null(fp);
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        assert_int_equal(mtv_buf_append(&b, chunk, n), 0);
    }
    fclose(fp);
    return mtv_buf_detach(&b);
}

static void test_report_html__write_creates_folders(void **state)
{
    struct fixture *f = *state;
    char tmp[] = "/tmp/mtv-html-XXXXXX";
    char *dir = NULL;
    char *path = NULL;
    char *text = NULL;
    struct mtv_error err;

    assert_non_null(mkdtemp(tmp));
    dir = mtv_strdup_printf("%s/a/b", tmp);
    path = mtv_strdup_printf("%s/report.html", dir);
    assert_int_equal(mtv_report_html_write(dir, f->r, &err), 0);
    text = slurp(path);
    assert_string_equal(text, f->html);
    /* a sample to look at, beside the build */
    assert_int_equal(mtv_report_html_write(SAMPLE_DIR, f->r, &err), 0);
    assert_int_equal(mtv_report_html_write("", f->r, &err), MTV_EINVAL);
    unlink(path);
    rmdir(dir);
    free(path);
    path = mtv_strdup_printf("%s/a", tmp);
    rmdir(path);
    rmdir(tmp);
    free(path);
    free(dir);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_report_html__one_section_per_scenario, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_html__summary, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_report_html__steps_with_status_and_message, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_report_html__failed_validators_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_html__one_rect_per_precopy,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_report_html__skipped_scenario_shows_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_html__escapes_and_redacts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_html__self_contained, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_html__dry_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_html__write_creates_folders,
                                        setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    xmlCleanupParser();
    return rc;
}
