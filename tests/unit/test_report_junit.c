/* report: JUnit XML (parsed back, schema-checked), results.json, console. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>

#include "mtv/report.h"

#define XSD MTV_TEST_DATA_DIR "/junit/jenkins-junit.xsd"
#define SECRET "Super-Secret-Pass-42"

struct fixture {
    struct mtv_config *config;
    struct mtv_selection sel;
    struct mtv_run_options opts;
    struct mtv_run_result *r;
};

static void replace(char **field, const char *v)
{
    free(*field);
    *field = mtv_strdup(v);
}

/* A dry run of the five warm scenarios, then outcomes edited in. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *sets[] = {"source_provider=vs", "storage_class=standard"};
    struct mtv_config_sources src = {NULL, 0, sets, 2, NULL};
    struct mtv_diag diag = MTV_DIAG_INIT;
    struct mtv_run_env env = {&f->opts, NULL, NULL, &f->sel, "auto-ab12",
                              NULL};
    struct mtv_scenario_result *sr = NULL;
    struct mtv_vm_result *vm = NULL;

    mtv_log_add_secret(SECRET);
    assert_int_equal(mtv_config_load(&f->config, &src, &diag), 0);
    mtv_run_options_init(&f->opts);
    assert_int_equal(mtv_select(&f->sel, f->config, NULL, &f->opts, &diag),
                     0);
    env.config = f->config;
    assert_int_equal(mtv_run(&f->r, &env, NULL, NULL), 0);
    f->r->dry_run = false;
    replace(&f->r->mtv_version, "2.10.4");
    sr = &f->r->scenarios[0];
    sr->steps[0].status = MTV_STATUS_PASSED;
    replace(&sr->steps[0].message, NULL);
    sr->steps[0].duration_s = 1.25;
    sr->steps[1].status = MTV_STATUS_FAILED;
    replace(&sr->steps[1].message, "bad <thing> & \"quote\" pw=" SECRET);
    replace(&sr->steps[1].details, "line1\nline2 \x01 " SECRET);
    sr->steps[2].status = MTV_STATUS_SKIPPED;
    replace(&sr->steps[2].message, "previous step failed "
                                   "(test_create_networkmap)");
    sr->status = MTV_STATUS_FAILED;
    f->r->scenarios[1].status = MTV_STATUS_ERROR;
    f->r->scenarios[1].steps[0].status = MTV_STATUS_ERROR;
    replace(&f->r->scenarios[1].steps[0].message, "error in scenario setup");
    vm = mtv_scenario_result_add_vm(sr, "auto-ab12-mtv-tests-rhel8-x",
                                    "mtv-tests-rhel8");
    mtv_vm_result_add_validator(vm, "cpu", MTV_CHECK_PASS, NULL);
    mtv_vm_result_add_validator(vm, "ssh", MTV_CHECK_FAIL, "denied " SECRET);
    mtv_vm_result_add_precopy(vm, 1764100000000, 1764100060000);
    vm->cutover_ms = 1764100300000;
    vm->downtime_s = 12.5;
    f->r->exit_code = mtv_run_result_exit_code(f->r);
    mtv_diag_dispose(&diag);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    mtv_run_result_free(f->r);
    mtv_selection_dispose(&f->sel);
    mtv_run_options_dispose(&f->opts);
    mtv_config_free(f->config);
    free(f);
    mtv_log_clear_secrets();
    return 0;
}

static xmlDocPtr junit_doc(const struct fixture *f,
                           enum mtv_junit_classname mode, char **text_out)
{
    struct mtv_buf b = MTV_BUF_INIT;
    xmlDocPtr doc = NULL;

    assert_int_equal(mtv_report_junit(&b, f->r, mode), 0);
    doc = xmlReadMemory(b.data, (int)b.len, "junit.xml", NULL,
                        XML_PARSE_NONET);
    assert_non_null(doc);
    *text_out = mtv_buf_detach(&b);
    return doc;
}

static void assert_schema_valid(xmlDocPtr doc)
{
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(XSD);
    xmlSchemaPtr schema = xmlSchemaParse(pc);
    xmlSchemaValidCtxtPtr vc = NULL;

    assert_non_null(schema);
    vc = xmlSchemaNewValidCtxt(schema);
    assert_int_equal(xmlSchemaValidateDoc(vc, doc), 0);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pc);
}

static char *xpath_string(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    xmlChar *s = xmlXPathCastToString(o);
    char *out = mtv_strdup((const char *)s);

    xmlFree(s);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return out;
}

static void assert_xpath(xmlDocPtr doc, const char *expr, const char *want)
{
    char *got = xpath_string(doc, expr);

    if (strcmp(got, want) != 0) {
        fail_msg("%s: got '%s', expected '%s'", expr, got, want);
    }
    free(got);
}

static void test_report_junit__structure(void **state)
{
    struct fixture *f = *state;
    char *text = NULL;
    xmlDocPtr doc = junit_doc(f, MTV_JUNIT_CLASSNAME_SCENARIO, &text);

    assert_schema_valid(doc);
    assert_xpath(doc, "count(/testsuites/testsuite)", "5");
    assert_xpath(doc, "count(//testcase)", "26");
    assert_xpath(doc, "/testsuites/@tests", "26");
    assert_xpath(doc, "/testsuites/@failures", "1");
    assert_xpath(doc, "/testsuites/@errors", "1");
    assert_xpath(doc, "/testsuites/testsuite[1]/@name",
                 "test_sanity_warm_mtv_migration");
    assert_xpath(doc, "/testsuites/testsuite[1]/@skipped", "3");
    assert_xpath(doc, "/testsuites/testsuite[1]/testcase[1]/@classname",
                 "test_sanity_warm_mtv_migration");
    assert_xpath(doc, "/testsuites/testsuite[1]/testcase[1]/@name",
                 "test_create_storagemap[rhel8]");
    assert_xpath(doc, "/testsuites/testsuite[1]/testcase[1]/@time", "1.250");
    assert_xpath(doc, "count(/testsuites/testsuite[1]/testcase[1]/*)", "0");
    assert_xpath(doc, "/testsuites/testsuite[1]/testcase[2]/failure/@message",
                 "bad <thing> & \"quote\" pw=***");
    assert_xpath(doc, "/testsuites/testsuite[1]/testcase[2]/failure",
                 "line1\nline2 ? ***");
    assert_xpath(doc, "/testsuites/testsuite[1]/testcase[3]/skipped/@message",
                 "previous step failed (test_create_networkmap)");
    assert_xpath(doc, "/testsuites/testsuite[2]/testcase[1]/error/@message",
                 "error in scenario setup");
    assert_xpath(doc, "/testsuites/testsuite[5]/testcase[5]/@name",
                 "test_check_xcopy_used[MTV-577:copyoffload-warm]");
    assert_xpath(doc, "/testsuites/testsuite[3]/testcase[1]/skipped/@message",
                 "No remote OCP cluster provided");
    assert_xpath(doc,
                 "//testsuite[1]/properties/property[@name='source_provider']"
                 "/@value",
                 "vs");
    assert_xpath(doc,
                 "//testsuite[1]/properties/property[@name='storage_class']"
                 "/@value",
                 "standard");
    assert_xpath(doc,
                 "//testsuite[1]/properties/property[@name='session_id']"
                 "/@value",
                 "auto-ab12");
    assert_xpath(doc,
                 "//testsuite[1]/properties/property[@name='mtv_version']"
                 "/@value",
                 "2.10.4");
    assert_null(strstr(text, SECRET));
    free(text);
    xmlFreeDoc(doc);
}

static void test_report_junit__reference_classnames(void **state)
{
    struct fixture *f = *state;
    char *text = NULL;
    xmlDocPtr doc = junit_doc(f, MTV_JUNIT_CLASSNAME_REFERENCE, &text);

    assert_schema_valid(doc);
    assert_xpath(doc, "/testsuites/testsuite[1]/testcase[1]/@classname",
                 "tests.warm.test_mtv_warm_migration."
                 "TestSanityWarmMtvMigration");
    assert_xpath(doc, "/testsuites/testsuite[4]/testcase[2]/@classname",
                 "tests.warm.test_warm_migration_comprehensive."
                 "TestWarmMigrationComprehensive");
    assert_xpath(doc, "/testsuites/testsuite[5]/testcase[2]/@classname",
                 "tests.copyoffload.test_copyoffload_migration."
                 "TestCopyoffloadWarmMigration");
    free(text);
    xmlFreeDoc(doc);
}

static void test_report_junit__file_written(void **state)
{
    struct fixture *f = *state;
    char dir[] = "/tmp/mtv-junit-XXXXXX";
    char *path = NULL;
    xmlDocPtr doc = NULL;

    assert_non_null(mkdtemp(dir));
    path = mtv_strdup_printf("%s/junit.xml", dir);
    assert_int_equal(mtv_report_junit_write(path, f->r,
                                            MTV_JUNIT_CLASSNAME_SCENARIO,
                                            NULL),
                     0);
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    assert_schema_valid(doc);
    xmlFreeDoc(doc);
    unlink(path);
    assert_int_not_equal(mtv_report_junit_write("/nonexistent/dir/j.xml",
                                                f->r, 0, NULL),
                         0);
    rmdir(dir);
    free(path);
}

static void test_report_results__shape(void **state)
{
    struct fixture *f = *state;
    struct mtv_json *j = mtv_report_results_json(f->r);
    char *text = mtv_json_print(j, false);
    const struct mtv_json *vm = NULL;

    assert_non_null(j);
    assert_string_equal(mtv_json_string_or(j, "session_id", ""), "auto-ab12");
    assert_int_equal(mtv_json_int_or(j, "exit_code", -1), 1);
    assert_int_equal(mtv_json_size(mtv_json_get(j, "scenarios")), 5);
    assert_string_equal(mtv_json_string_or(j, "scenarios[0].name", ""),
                        "test_sanity_warm_mtv_migration");
    assert_string_equal(mtv_json_string_or(j, "scenarios[0].id", ""),
                        "rhel8");
    assert_string_equal(mtv_json_string_or(j, "scenarios[0].status", ""),
                        "failed");
    assert_string_equal(mtv_json_string_or(j, "scenarios[2].status", ""),
                        "skipped");
    assert_string_equal(mtv_json_string_or(j, "scenarios[2].reason", ""),
                        "No remote OCP cluster provided");
    assert_string_equal(mtv_json_string_or(j, "scenarios[0].steps[1].status",
                                           ""),
                        "failed");
    assert_true(mtv_json_double_or(j, "scenarios[0].steps[0].duration_s",
                                   0) == 1.25);
    vm = mtv_json_get(j, "scenarios[0].vms[0]");
    assert_non_null(vm);
    assert_string_equal(mtv_json_string_or(vm, "source", ""),
                        "mtv-tests-rhel8");
    assert_string_equal(mtv_json_string_or(vm, "validators[1].name", ""),
                        "ssh");
    assert_string_equal(mtv_json_string_or(vm, "validators[1].status", ""),
                        "fail");
    assert_string_equal(mtv_json_string_or(vm, "validators[0].status", ""),
                        "pass");
    assert_string_equal(mtv_json_string_or(vm, "precopies[0].start", ""),
                        "2025-11-25T19:46:40Z");
    assert_string_equal(mtv_json_string_or(vm, "cutover", ""),
                        "2025-11-25T19:51:40Z");
    assert_true(mtv_json_double_or(vm, "downtime_s", 0) == 12.5);
    assert_null(strstr(text, SECRET));
    free(text);
    mtv_json_free(j);
}

static void test_report_results__written_in_dir(void **state)
{
    struct fixture *f = *state;
    char dir[] = "/tmp/mtv-report-XXXXXX";
    char *sub = NULL;
    char *path = NULL;

    assert_non_null(mkdtemp(dir));
    sub = mtv_strdup_printf("%s/a/b", dir);
    path = mtv_strdup_printf("%s/results.json", sub);
    assert_int_equal(mtv_report_results_write(sub, f->r, NULL), 0);
    assert_int_equal(access(path, R_OK), 0);
    unlink(path);
    rmdir(sub);
    free(sub);
    sub = mtv_strdup_printf("%s/a", dir);
    rmdir(sub);
    rmdir(dir);
    free(sub);
    free(path);
}

static void test_report_console__lines(void **state)
{
    struct fixture *f = *state;
    struct mtv_buf b = MTV_BUF_INIT;

    assert_int_equal(mtv_report_step_line(&b, &f->r->scenarios[0],
                                          &f->r->scenarios[0].steps[0]),
                     0);
    assert_string_equal(b.data, "test_sanity_warm_mtv_migration::"
                                "test_create_storagemap[rhel8] PASSED "
                                "(1.25s)\n");
    mtv_buf_reset(&b);
    mtv_report_step_line(&b, &f->r->scenarios[0],
                         &f->r->scenarios[0].steps[1]);
    assert_string_equal(b.data, "test_sanity_warm_mtv_migration::"
                                "test_create_networkmap[rhel8] FAILED "
                                "(0.00s): bad <thing> & \"quote\" pw=***\n");
    mtv_buf_reset(&b);
    f->r->end_ms = f->r->start_ms + 1500;
    mtv_report_summary_line(&b, f->r);
    assert_string_equal(b.data, "== 1 failed, 1 error, 1 passed, 23 skipped "
                                "in 1.50s (session auto-ab12) ==\n");
    mtv_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_junit__structure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_report_junit__reference_classnames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_junit__file_written,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_results__shape, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_results__written_in_dir,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_console__lines, setup,
                                        teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    xmlCleanupParser();
    return rc;
}
