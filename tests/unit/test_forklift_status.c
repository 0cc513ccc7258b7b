/* forklift status readers on the documents of forklift-api.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/forklift.h"

#define DIR MTV_TEST_DATA_DIR "/forklift/status/"

static struct mtv_json *load(const char *name)
{
    char path[512];
    FILE *f = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_json *j = NULL;
    char chunk[4096];
    size_t n;

    snprintf(path, sizeof(path), DIR "%s.json", name);
    f = fopen(path, "r");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        assert_int_equal(mtv_buf_append(&b, chunk, n), 0);
    }
    fclose(f);
    assert_int_equal(mtv_json_parse(&j, b.data, b.len, NULL, NULL), 0);
    mtv_buf_dispose(&b);
    return j;
}

static int64_t at(const char *rfc3339)
{
    int64_t ms = 0;

    assert_int_equal(mtv_time_parse_rfc3339(rfc3339, &ms), 0);
    return ms;
}

static void test_forklift_status__provider_readiness(void **state)
{
    static const struct {
        const char *file;
        enum mtv_fl_readiness want;
        const char *why; /* substring of the message, NULL: none */
    } cases[] = {
        {"provider-ready", MTV_FL_READY, NULL},
        {"provider-connection-failed", MTV_FL_FAILED,
         "phase ConnectionFailed: ConnectionTestFailed (Critical, Tested): "
         "Could not connect to the provider: ServerFaultCode: Cannot complete "
         "login due to an incorrect user name or password."},
        {"provider-validation-failed", MTV_FL_PENDING,
         "phase ValidationFailed: SecretNotValid (Critical, DataErr): The "
         "provider secret is missing required data. [user, password]"},
        {"provider-staging", MTV_FL_PENDING,
         "phase Staging: no blocking condition"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_json *p = load(cases[i].file);
        struct mtv_buf why = MTV_BUF_INIT;
        assert_int_equal(mtv_forklift_provider_readiness(p, &why),
                         cases[i].want);
        if (cases[i].why != NULL) {
            assert_string_equal(why.data, cases[i].why);
        } else {
            assert_null(why.data);
        }
        mtv_buf_dispose(&why);
        mtv_json_free(p);
    }
}

static void test_forklift_status__plan_readiness_and_blockers(void **state)
{
    static const struct {
        const char *file;
        enum mtv_fl_readiness want;
        int blockers;
        const char *why;
    } cases[] = {
        {"plan-ready", MTV_FL_READY, 0, NULL},
        {"plan-cbt-missing", MTV_FL_PENDING, 1,
         "VMMissingChangedBlockTracking (Critical, "
         "MissingChangedBlockTracking): Changed Block Tracking (CBT) has not "
         "been enabled on some VM. This feature is a prerequisite for VM warm "
         "migration. [id:vm-2001 name:'rhel9-web']"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_json *p = load(cases[i].file);
        struct mtv_buf why = MTV_BUF_INIT;
        assert_int_equal(mtv_forklift_plan_readiness(p, &why), cases[i].want);
        if (cases[i].why != NULL) {
            assert_string_equal(why.data, cases[i].why);
        }
        assert_int_equal(mtv_forklift_format_blockers(NULL, p),
                         cases[i].blockers);
        mtv_buf_dispose(&why);
        mtv_json_free(p);
    }
}

static void test_forklift_status__conditions(void **state)
{
    struct mtv_json *p = load("plan-ready");
    struct mtv_fl_condition c;
    (void)state;

    assert_int_equal(
        mtv_forklift_condition(p, "NetMapPreservingIPsOnPodNetwork", &c), 0);
    assert_string_equal(c.category, "Warn");
    assert_false(mtv_forklift_condition_blocks(&c));
    assert_int_equal(mtv_forklift_condition(p, "Succeeded", &c), MTV_ENOTFOUND);
    assert_true(mtv_forklift_condition_true(p, "Ready"));
    assert_false(mtv_forklift_condition_true(p, "Executing"));
    mtv_json_free(p);
}

static void test_forklift_status__run_state(void **state)
{
    static const struct {
        const char *file;
        enum mtv_fl_run_state want;
        bool terminal;
    } cases[] = {
        {"plan-ready", MTV_FL_RUN_NONE, false},
        {"plan-executing", MTV_FL_RUN_EXECUTING, false},
        {"plan-succeeded", MTV_FL_RUN_SUCCEEDED, true},
        {"plan-failed", MTV_FL_RUN_FAILED, true},
        {"plan-canceled", MTV_FL_RUN_CANCELED, true}, /* PORT NOTE */
        {"migration-precopy", MTV_FL_RUN_EXECUTING, false},
        {"migration-succeeded", MTV_FL_RUN_SUCCEEDED, true},
        {"migration-canceled", MTV_FL_RUN_CANCELED, true},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_json *o = load(cases[i].file);
        enum mtv_fl_run_state s = mtv_forklift_run_state(o);
        if (s != cases[i].want) {
            fail_msg("%s: got %s", cases[i].file,
                     mtv_forklift_run_state_name(s));
        }
        assert_int_equal(mtv_forklift_run_state_terminal(s), cases[i].terminal);
        mtv_json_free(o);
    }
    assert_string_equal(mtv_forklift_run_state_name(MTV_FL_RUN_CANCELED),
                        "Canceled");
}

static void test_forklift_status__progress_after_cutover(void **state)
{
    static const char *const files[] = {"migration-succeeded",
                                        "plan-succeeded"};
    (void)state;

    for (size_t f = 0; f < 2; f++) {
        struct mtv_json *o = load(files[f]);
        struct mtv_fl_progress p = MTV_FL_PROGRESS_INIT;
        const struct mtv_fl_vm_progress *vm = NULL;
        assert_int_equal(mtv_forklift_progress_read(&p, o, NULL), 0);
        assert_int_equal(p.n_vms, 1);
        vm = mtv_forklift_progress_vm(&p, "rhel9-web");
        assert_non_null(vm);
        assert_string_equal(vm->id, "vm-2001");
        assert_string_equal(vm->phase, "Completed");
        assert_int_equal(vm->state, MTV_FL_RUN_SUCCEEDED);
        assert_int_equal(vm->n_precopies, 4);
        assert_int_equal(vm->precopies_done, 3);
        assert_true(vm->precopies[0].start_ms == at("2025-06-10T09:05:03Z"));
        assert_true(vm->precopies[0].end_ms == at("2025-06-10T09:21:40Z"));
        assert_true(vm->precopies[3].end_ms == 0); /* cutover snapshot */
        assert_true(vm->cutover_ms == at("2025-06-10T12:01:20Z"));
        /* 12:01:20 -> VirtualMachineCreation completed 12:18:56 */
        assert_true(vm->downtime_s == 1056.0);
        assert_int_equal(vm->n_steps, 7);
        assert_int_equal(vm->steps_completed, 7);
        assert_null(vm->error);
        assert_null(mtv_forklift_progress_vm(&p, "other"));
        mtv_forklift_progress_dispose(&p);
        mtv_json_free(o);
    }
}

static void test_forklift_status__timeline(void **state)
{
    static const struct {
        const char *file;
        const char *want;
    } cases[] = {
        {"migration-succeeded",
         "{\"precopies\": [{\"start\": \"2025-06-10T09:05:03Z\", \"end\": "
         "\"2025-06-10T09:21:40Z\"}, {\"start\": \"2025-06-10T10:21:52Z\", "
         "\"end\": \"2025-06-10T10:24:05Z\"}, {\"start\": "
         "\"2025-06-10T11:24:09Z\", \"end\": \"2025-06-10T11:25:31Z\"}, "
         "{\"start\": \"2025-06-10T12:01:02Z\", \"end\": null}], "
         "\"cutover\": \"2025-06-10T12:01:20Z\", \"downtime_s\": 1056}"},
        {"migration-precopy",
         "{\"precopies\": [{\"start\": \"2025-06-10T09:05:03Z\", \"end\": "
         "\"2025-06-10T09:21:40Z\"}, {\"start\": \"2025-06-10T10:21:52Z\", "
         "\"end\": \"2025-06-10T10:24:05Z\"}], \"cutover\": null, "
         "\"downtime_s\": null}"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_json *o = load(cases[i].file);
        struct mtv_json *got = NULL;
        struct mtv_json *want = NULL;
        struct mtv_fl_progress p = MTV_FL_PROGRESS_INIT;
        assert_int_equal(mtv_forklift_progress_read(&p, o, NULL), 0);
        assert_int_equal(mtv_forklift_progress_timeline(&got, &p.vms[0], NULL),
                         0);
        assert_int_equal(mtv_json_parse(&want, cases[i].want,
                                        strlen(cases[i].want), NULL, NULL),
                         0);
        if (!mtv_json_equal(got, want)) {
            char *g = mtv_json_print(got, false);
            print_error("%s: %s\n", cases[i].file, g);
            free(g);
            fail();
        }
        mtv_json_free(got);
        mtv_json_free(want);
        mtv_forklift_progress_dispose(&p);
        mtv_json_free(o);
    }
}

static void test_forklift_status__progress_mid_precopy(void **state)
{
    struct mtv_json *o = load("migration-precopy");
    struct mtv_fl_progress p = MTV_FL_PROGRESS_INIT;
    struct mtv_buf line = MTV_BUF_INIT;
    const struct mtv_fl_vm_progress *vm = NULL;
    (void)state;

    assert_int_equal(mtv_forklift_progress_read(&p, o, NULL), 0);
    vm = &p.vms[0];
    assert_string_equal(vm->phase, "CopyingPaused");
    assert_int_equal(vm->state, MTV_FL_RUN_EXECUTING);
    assert_string_equal(vm->step, "DiskTransfer");
    assert_int_equal(vm->step_done, 71680);
    assert_int_equal(vm->step_total, 71680);
    assert_string_equal(vm->step_unit, "MB");
    assert_int_equal(vm->n_precopies, 2);
    assert_int_equal(vm->precopies_done, 2);
    assert_true(vm->cutover_ms == 0);
    assert_true(vm->downtime_s < 0);
    assert_int_equal(mtv_forklift_progress_line(&line, vm), 0);
    assert_string_equal(line.data,
                        "vm 'rhel9-web': CopyingPaused, step DiskTransfer 3/7 "
                        "(71680/71680 MB), precopies 2 done of 2");
    mtv_buf_dispose(&line);
    mtv_forklift_progress_dispose(&p);
    mtv_json_free(o);
}

static void test_forklift_status__progress_failed_vm(void **state)
{
    struct mtv_json *o = load("plan-failed");
    struct mtv_fl_progress p = MTV_FL_PROGRESS_INIT;
    struct mtv_buf line = MTV_BUF_INIT;
    (void)state;

    assert_int_equal(mtv_forklift_progress_read(&p, o, NULL), 0);
    assert_int_equal(p.vms[0].state, MTV_FL_RUN_FAILED);
    assert_string_equal(p.vms[0].error,
                        "CopyDisks: Import pod failed: disk transfer error: "
                        "read: connection reset by peer; DataVolume "
                        "rhel9-web-disk-0 failed");
    assert_int_equal(mtv_forklift_progress_line(&line, &p.vms[0]), 0);
    assert_non_null(strstr(line.data, ", Failed, error: CopyDisks: Import"));
    mtv_buf_dispose(&line);
    mtv_forklift_progress_dispose(&p);
    mtv_json_free(o);
}

static void test_forklift_status__progress_changes(void **state)
{
    struct mtv_json *a = load("plan-executing");
    struct mtv_json *b = load("plan-succeeded");
    struct mtv_fl_progress pa = MTV_FL_PROGRESS_INIT;
    struct mtv_fl_progress pb = MTV_FL_PROGRESS_INIT;
    struct mtv_fl_progress pa2 = MTV_FL_PROGRESS_INIT;
    (void)state;

    assert_int_equal(mtv_forklift_progress_read(&pa, a, NULL), 0);
    assert_int_equal(mtv_forklift_progress_read(&pa2, a, NULL), 0);
    assert_int_equal(mtv_forklift_progress_read(&pb, b, NULL), 0);
    assert_true(mtv_forklift_progress_changed(NULL, &pa.vms[0]));
    assert_false(mtv_forklift_progress_changed(&pa.vms[0], &pa2.vms[0]));
    assert_true(mtv_forklift_progress_changed(&pa.vms[0], &pb.vms[0]));
    mtv_forklift_progress_dispose(&pa);
    mtv_forklift_progress_dispose(&pa2);
    mtv_forklift_progress_dispose(&pb);
    mtv_json_free(a);
    mtv_json_free(b);
}

static void test_forklift_status__progress_bad_shapes(void **state)
{
    static const struct {
        const char *json;
        int rc;
        size_t n;
    } cases[] = {
        {"{}", 0, 0},
        {"{\"status\": {\"migration\": {}}}", 0, 0},
        {"{\"status\": {\"vms\": {}}}", MTV_EPROTO, 0},
        {"{\"status\": {\"vms\": [{\"name\": \"a\", \"started\": \"x\"}]}}",
         MTV_EPROTO, 0},
        {"{\"status\": {\"vms\": [{\"name\": \"a\", \"warm\": {\"precopies\": "
         "[{\"start\": \"yesterday\"}]}}]}}",
         MTV_EPROTO, 0},
        {"{\"status\": {\"vms\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}}", 0,
         2},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_json *o = NULL;
        struct mtv_fl_progress p = MTV_FL_PROGRESS_INIT;
        struct mtv_error err;
        assert_int_equal(mtv_json_parse(&o, cases[i].json,
                                        strlen(cases[i].json), NULL, NULL),
                         0);
        assert_int_equal(mtv_forklift_progress_read(&p, o, &err), cases[i].rc);
        assert_int_equal(p.n_vms, cases[i].n);
        if (cases[i].rc == MTV_EPROTO) {
            assert_non_null(strstr(err.msg, "status.vms"));
        }
        mtv_forklift_progress_dispose(&p);
        mtv_json_free(o);
    }
}

static void test_forklift_status__copyoffload_helpers(void **state)
{
    static const struct {
        const char *log;
        int rc;
        long v;
    } cases[] = {
        {"start\nxcopyUsed=0\ncopying\nxcopyUsed=1\ndone\n", 0, 1},
        {"xcopyUsed=1\nfallback\nxcopyUsed=0", 0, 0},
        {"xcopyUsed=12", 0, 12},
        {"xcopyUsed=\nxcopyUsed=x", MTV_ENOTFOUND, 0},
        {"", MTV_ENOTFOUND, 0},
    };
    struct mtv_json *plan = load("plan-executing");
    struct mtv_json *ready = load("plan-ready");
    (void)state;

    assert_string_equal(mtv_forklift_plan_migration_uid(plan),
                        "a3b9e0d4-77c1-4f0e-8d2b-6e5f4c3b2a19");
    assert_null(mtv_forklift_plan_migration_uid(ready));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long v = -1;
        assert_int_equal(mtv_forklift_xcopy_used(cases[i].log, &v, NULL),
                         cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(v, cases[i].v);
        }
    }
    mtv_json_free(plan);
    mtv_json_free(ready);
}

static void test_forklift_status__predicates(void **state)
{
    static const struct {
        const char *file;
        int provider;
        int plan;
        int finished;
    } cases[] = {
        {"provider-ready", 1, 1, 0}, /* Ready condition too */   {"provider-connection-failed", -1, 0, 0},
        {"provider-staging", 0, 0, 0}, {"plan-ready", 0, 1, 0},
        {"plan-cbt-missing", 0, 0, 0}, {"plan-executing", 0, 1, 0},
        {"plan-succeeded", 0, 1, 1},   {"plan-failed", 0, 1, 1},
        {"plan-canceled", 0, 1, 1},    {"migration-canceled", 0, 1, 1},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_json *o = load(cases[i].file);
        if (strncmp(cases[i].file, "provider", 8) == 0) {
            assert_int_equal(mtv_forklift_pred_provider_ready(o, NULL),
                             cases[i].provider);
        }
        assert_int_equal(mtv_forklift_pred_plan_ready(o, NULL), cases[i].plan);
        assert_int_equal(mtv_forklift_pred_finished(o, NULL),
                         cases[i].finished);
        mtv_json_free(o);
    }
    assert_int_equal(mtv_forklift_pred_provider_ready(NULL, NULL), 0);
    assert_int_equal(mtv_forklift_pred_plan_ready(NULL, NULL), 0);
    assert_int_equal(mtv_forklift_pred_finished(NULL, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forklift_status__provider_readiness),
        cmocka_unit_test(test_forklift_status__plan_readiness_and_blockers),
        cmocka_unit_test(test_forklift_status__conditions),
        cmocka_unit_test(test_forklift_status__run_state),
        cmocka_unit_test(test_forklift_status__progress_after_cutover),
        cmocka_unit_test(test_forklift_status__timeline),
        cmocka_unit_test(test_forklift_status__progress_mid_precopy),
        cmocka_unit_test(test_forklift_status__progress_failed_vm),
        cmocka_unit_test(test_forklift_status__progress_changes),
        cmocka_unit_test(test_forklift_status__progress_bad_shapes),
        cmocka_unit_test(test_forklift_status__copyoffload_helpers),
        cmocka_unit_test(test_forklift_status__predicates),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
