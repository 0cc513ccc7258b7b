/* runner: selection, gates, the step model with fake hooks, dry run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtv/runner.h"

#define PROVIDERS MTV_TEST_DATA_DIR "/providers/good.json"

struct fixture {
    struct mtv_config *config;
    struct mtv_providers *providers;
    struct mtv_run_options opts;
    struct mtv_selection sel;
};

static struct fixture *setup_with(const char *const *sets, size_t n)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct mtv_config_sources src = {NULL, 0, sets, n, NULL};
    struct mtv_diag diag = MTV_DIAG_INIT;

    assert_int_equal(mtv_config_load(&f->config, &src, &diag), 0);
    assert_int_equal(mtv_providers_load(&f->providers, PROVIDERS, &diag), 0);
    mtv_run_options_init(&f->opts);
    mtv_diag_dispose(&diag);
    return f;
}

static void teardown_fixture(struct fixture *f)
{
    mtv_selection_dispose(&f->sel);
    mtv_run_options_dispose(&f->opts);
    mtv_config_free(f->config);
    mtv_providers_free(f->providers);
    free(f);
    mtv_log_clear_secrets();
}

static int select_n(struct fixture *f, const char *m, const char *k,
                    struct mtv_diag *diag)
{
    f->opts.marker_expr = m;
    f->opts.keyword_expr = k;
    mtv_selection_dispose(&f->sel);
    return mtv_select(&f->sel, f->config, f->providers, &f->opts, diag);
}

static const struct mtv_selected *find(const struct fixture *f,
                                       const char *name)
{
    for (size_t i = 0; i < f->sel.n; i++) {
        if (strcmp(f->sel.items[i].scenario->name, name) == 0) {
            return &f->sel.items[i];
        }
    }
    return NULL;
}

struct count_case {
    const char *m;
    const char *k;
    size_t selected;
};

static const struct count_case count_cases[] = {
    {"warm", NULL, 5},
    {"warm and not remote", NULL, 4},
    {"tier0", NULL, 2},
    {"copyoffload", NULL, 1},
    {NULL, "comprehensive", 1},
    {NULL, "rhel", 2}, /* ids rhel8 and "MTV-200 rhel" */
    {NULL, "TestSanityWarm", 1},
    {"warm", "not MTV-", 2},
    {NULL, NULL, 5},
};

static void test_runner_select__counts(void **state)
{
    const char *sets[] = {"source_provider=vs"};
    struct fixture *f = setup_with(sets, 1);
    struct mtv_diag diag = MTV_DIAG_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(count_cases) / sizeof(count_cases[0]);
         i++) {
        assert_int_equal(select_n(f, count_cases[i].m, count_cases[i].k,
                                  &diag),
                         0);
        if (f->sel.n != count_cases[i].selected ||
            f->sel.n + f->sel.deselected != 5) {
            fail_msg("-m '%s' -k '%s': %zu selected", count_cases[i].m,
                     count_cases[i].k, f->sel.n);
        }
    }
    mtv_diag_dispose(&diag);
    teardown_fixture(f);
}

struct gate_case {
    const char *provider;
    const char *resolved; /* --known-issue-resolved */
    const char *scenario;
    const char *reason; /* NULL: runs */
};

static const struct gate_case gate_cases[] = {
    {"vs", NULL, "test_sanity_warm_mtv_migration", NULL},
    {"vs", NULL, "test_warm_remote_ocp", "No remote OCP cluster provided"},
    {"vs", NULL, "test_copyoffload_warm_migration", NULL},
    {"osp", NULL, "test_sanity_warm_mtv_migration",
     "openstack warm migration is not supported."},
    {"ocp", NULL, "test_warm_migration_comprehensive",
     "openshift warm migration is not supported."},
    {"ova", NULL, "test_copyoffload_warm_migration",
     "ova warm migration is not supported."},
    {"rhv", NULL, "test_sanity_warm_mtv_migration", "known issue MTV-2846"},
    {"rhv", "MTV-2846", "test_sanity_warm_mtv_migration", NULL},
    {"rhv", "MTV-2846", "test_copyoffload_warm_migration",
     "Copy-offload tests require vSphere provider, but got 'ovirt'"},
    {"rhv", "MTV-2846", "test_warm_remote_ocp",
     "No remote OCP cluster provided"},
};

static void test_runner_gates__reasons(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(gate_cases) / sizeof(gate_cases[0]); i++) {
        const struct gate_case *g = &gate_cases[i];
        char *set = mtv_strdup_printf("source_provider=%s", g->provider);
        const char *sets[] = {set};
        struct fixture *f = setup_with(sets, 1);
        struct mtv_diag diag = MTV_DIAG_INIT;
        const struct mtv_selected *it = NULL;

        if (g->resolved != NULL) {
            mtv_strv_push(&f->opts.known_issues_resolved, g->resolved);
        }
        assert_int_equal(select_n(f, NULL, NULL, &diag), 0);
        it = find(f, g->scenario);
        assert_non_null(it);
        if (g->reason == NULL) {
            assert_false(it->skipped);
        } else {
            assert_true(it->skipped);
            assert_string_equal(it->reason, g->reason);
        }
        mtv_diag_dispose(&diag);
        teardown_fixture(f);
        free(set);
    }
}

static void test_runner_gates__remote_runs_when_set(void **state)
{
    const char *sets[] = {"source_provider=vs",
                          "remote_ocp_cluster=api.remote"};
    struct fixture *f = setup_with(sets, 2);
    struct mtv_diag diag = MTV_DIAG_INIT;

    (void)state;
    assert_int_equal(select_n(f, "remote", NULL, &diag), 0);
    assert_int_equal(f->sel.n, 1);
    assert_false(f->sel.items[0].skipped);
    mtv_diag_dispose(&diag);
    teardown_fixture(f);
}

/* A vSphere source without a valid copyoffload section: exit 2. */
static void test_runner_gates__copyoffload_config_error(void **state)
{
    const char *sets[] = {"source_provider=vs-noco"};
    struct fixture *f = setup_with(sets, 1);
    struct mtv_diag diag = MTV_DIAG_INIT;

    (void)state;
    assert_int_equal(select_n(f, "warm", NULL, &diag), MTV_ECONFIG);
    assert_int_equal(diag.errors.len, 1);
    assert_string_equal(diag.errors.items[0],
                        "scenario 'test_copyoffload_warm_migration' "
                        "(copyoffload): Copy-offload configuration not found "
                        "in source provider data. Add 'copyoffload' section "
                        "to provider 'vs-noco'");
    mtv_diag_dispose(&diag);
    /* not selected: no error */
    assert_int_equal(select_n(f, "warm and not copyoffload", NULL, &diag), 0);
    mtv_diag_dispose(&diag);
    teardown_fixture(f);
}

/* ------------------------------------------------------------ step model */

struct fake {
    int calls[8];
    int fail_at; /* index of the failing step, -1: none */
    int skip_at;
    bool session_fails;
    bool setup_fails;
    int begun;
    int ended;
    int closed;
};

static int step_impl(struct mtv_step_ctx *ctx, int idx, struct mtv_error *err)
{
    struct fake *fk = ctx->session->payload;

    fk->calls[idx]++;
    assert_ptr_equal(ctx->state, fk);
    if (idx == fk->fail_at) {
        return mtv_error_set(err, MTV_EREMOTE, "test", "step %d broke", idx);
    }
    if (idx == fk->skip_at) {
        mtv_step_skip(ctx, "nothing to check");
    }
    return 0;
}

static int s0(struct mtv_step_ctx *c, struct mtv_error *e)
{
    return step_impl(c, 0, e);
}
static int s1(struct mtv_step_ctx *c, struct mtv_error *e)
{
    return step_impl(c, 1, e);
}
static int s2(struct mtv_step_ctx *c, struct mtv_error *e)
{
    return step_impl(c, 2, e);
}
static int s3(struct mtv_step_ctx *c, struct mtv_error *e)
{
    return step_impl(c, 3, e);
}
static int s4(struct mtv_step_ctx *c, struct mtv_error *e)
{
    return step_impl(c, 4, e);
}

static const struct mtv_step_def fake_steps[] = {
    {MTV_STEP_STORAGEMAP, s0}, {MTV_STEP_NETWORKMAP, s1},
    {MTV_STEP_PLAN, s2},       {MTV_STEP_MIGRATE, s3},
    {MTV_STEP_CHECK, s4},
};

static const struct mtv_step_def *fake_steps_for(const struct mtv_scenario *s,
                                                 size_t *n, void *payload)
{
    (void)s;
    (void)payload;
    *n = 5;
    return fake_steps;
}

static int fake_open(struct mtv_session_ctx *ctx, struct mtv_error *err)
{
    struct fake *fk = ctx->payload;

    if (fk->session_fails) {
        return mtv_error_set(err, MTV_EAUTH, "test", "login refused");
    }
    return 0;
}

static void fake_close(struct mtv_session_ctx *ctx)
{
    struct fake *fk = ctx->payload;

    fk->closed++;
    ctx->result->leftovers = 0;
}

static int fake_begin(struct mtv_step_ctx *ctx, struct mtv_error *err)
{
    struct fake *fk = ctx->session->payload;

    fk->begun++;
    ctx->state = fk;
    if (fk->setup_fails) {
        return mtv_error_set(err, MTV_EIO, "test", "clone failed");
    }
    return 0;
}

static void fake_end(struct mtv_step_ctx *ctx)
{
    struct fake *fk = ctx->session->payload;

    fk->ended++;
}

static struct mtv_run_result *run_fake(struct fixture *f, struct fake *fk,
                                       int *rc_out)
{
    struct mtv_run_hooks hooks = {fake_open,  fake_close,     fake_begin,
                                  fake_end,   fake_steps_for, fk};
    struct mtv_run_env env = {&f->opts, f->config, f->providers, &f->sel,
                              "auto-test", NULL};
    struct mtv_run_result *r = NULL;
    struct mtv_error err;

    mtv_error_clear(&err);
    *rc_out = mtv_run(&r, &env, &hooks, &err);
    assert_non_null(r);
    return r;
}

static void test_runner_steps__failure_skips_later(void **state)
{
    const char *sets[] = {"source_provider=vs"};
    struct fixture *f = setup_with(sets, 1);
    struct fake fk = {{0}, 2, 4, false, false, 0, 0, 0};
    struct mtv_diag diag = MTV_DIAG_INIT;
    struct mtv_run_result *r = NULL;
    const struct mtv_scenario_result *sr = NULL;
    int rc = 0;

    (void)state;
    assert_int_equal(select_n(f, "tier0", NULL, &diag), 0);
    r = run_fake(f, &fk, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(r->n_scenarios, 2);
    sr = &r->scenarios[0];
    assert_int_equal(sr->steps[0].status, MTV_STATUS_PASSED);
    assert_null(sr->steps[0].message);
    assert_int_equal(sr->steps[2].status, MTV_STATUS_FAILED);
    assert_string_equal(sr->steps[2].message, "step 2 broke");
    assert_int_equal(sr->steps[3].status, MTV_STATUS_SKIPPED);
    assert_string_equal(sr->steps[3].message,
                        "previous step failed (test_create_plan)");
    assert_string_equal(sr->steps[4].message,
                        "previous step failed (test_create_plan)");
    assert_int_equal(sr->status, MTV_STATUS_FAILED);
    assert_string_equal(sr->reason, "test_create_plan: step 2 broke");
    /* steps 3 and 4 never ran; each scenario ran 0..2 */
    assert_int_equal(fk.calls[2], 2);
    assert_int_equal(fk.calls[3], 0);
    assert_int_equal(fk.begun, 2);
    assert_int_equal(fk.ended, 2);
    assert_int_equal(fk.closed, 1);
    assert_int_equal(r->exit_code, 1);
    assert_int_equal(mtv_run_result_exit_code(r), 1);
    mtv_run_result_free(r);
    mtv_diag_dispose(&diag);
    teardown_fixture(f);
}

static void test_runner_steps__pass_and_step_skip(void **state)
{
    const char *sets[] = {"source_provider=vs"};
    struct fixture *f = setup_with(sets, 1);
    struct fake fk = {{0}, -1, 4, false, false, 0, 0, 0};
    struct mtv_diag diag = MTV_DIAG_INIT;
    struct mtv_run_result *r = NULL;
    int rc = 0;

    (void)state;
    assert_int_equal(select_n(f, "warm", NULL, &diag), 0);
    r = run_fake(f, &fk, &rc);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->scenarios[0].status, MTV_STATUS_PASSED);
    assert_int_equal(r->scenarios[0].steps[4].status, MTV_STATUS_SKIPPED);
    assert_string_equal(r->scenarios[0].steps[4].message, "nothing to check");
    /* the gated remote scenario: every step skipped with the reason,
     * no setup */
    assert_int_equal(r->scenarios[2].status, MTV_STATUS_SKIPPED);
    for (size_t i = 0; i < r->scenarios[2].n_steps; i++) {
        assert_string_equal(r->scenarios[2].steps[i].message,
                            "No remote OCP cluster provided");
    }
    assert_int_equal(fk.begun, 4);
    r->leftovers = 2;
    assert_int_equal(mtv_run_result_exit_code(r), 1);
    mtv_run_result_free(r);
    mtv_diag_dispose(&diag);
    teardown_fixture(f);
}

static void test_runner_steps__setup_and_session_errors(void **state)
{
    const char *sets[] = {"source_provider=vs"};
    struct fixture *f = setup_with(sets, 1);
    struct fake fk = {{0}, -1, -1, false, true, 0, 0, 0};
    struct mtv_diag diag = MTV_DIAG_INIT;
    struct mtv_run_result *r = NULL;
    int rc = 0;

    (void)state;
    assert_int_equal(select_n(f, "tier0", NULL, &diag), 0);
    r = run_fake(f, &fk, &rc);
    assert_int_equal(r->scenarios[0].steps[3].status, MTV_STATUS_ERROR);
    assert_string_equal(r->scenarios[0].steps[3].message,
                        "error in scenario setup: clone failed");
    assert_int_equal(fk.calls[0], 0);
    assert_int_equal(fk.ended, 2); /* class teardown still runs */
    assert_int_equal(r->exit_code, 1);
    mtv_run_result_free(r);

    fk.setup_fails = false;
    fk.session_fails = true;
    fk.closed = 0;
    r = run_fake(f, &fk, &rc);
    assert_int_equal(rc, MTV_EAUTH);
    assert_int_equal(r->scenarios[1].steps[0].status, MTV_STATUS_ERROR);
    assert_string_equal(r->scenarios[1].steps[0].message,
                        "error in session setup: login refused");
    assert_int_equal(fk.closed, 1); /* teardown runs after a failed open */
    mtv_run_result_free(r);
    mtv_diag_dispose(&diag);
    teardown_fixture(f);
}

static void test_runner_dry__every_step_skipped(void **state)
{
    const char *sets[] = {"source_provider=vs"};
    struct fixture *f = setup_with(sets, 1);
    struct mtv_diag diag = MTV_DIAG_INIT;
    struct mtv_run_env env = {&f->opts, f->config, f->providers, &f->sel,
                              NULL, NULL};
    struct mtv_run_result *r = NULL;
    size_t steps = 0;

    (void)state;
    f->opts.dry_run = true;
    assert_int_equal(select_n(f, "warm", NULL, &diag), 0);
    assert_int_equal(mtv_run(&r, &env, NULL, NULL), 0);
    assert_true(mtv_str_has_prefix(r->session_id, "auto-"));
    assert_int_equal(strlen(r->session_id), 9);
    for (size_t i = 0; i < r->n_scenarios; i++) {
        for (size_t j = 0; j < r->scenarios[i].n_steps; j++) {
            assert_int_equal(r->scenarios[i].steps[j].status,
                             MTV_STATUS_SKIPPED);
            steps++;
        }
    }
    assert_int_equal(steps, 26); /* 4 × 5 + copy-offload's 6 */
    assert_string_equal(r->scenarios[4].steps[4].name, MTV_STEP_XCOPY);
    assert_string_equal(r->scenarios[0].steps[0].message, "dry run");
    assert_int_equal(r->exit_code, 0);
    mtv_run_result_free(r);
    mtv_diag_dispose(&diag);
    teardown_fixture(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runner_select__counts),
        cmocka_unit_test(test_runner_gates__reasons),
        cmocka_unit_test(test_runner_gates__remote_runs_when_set),
        cmocka_unit_test(test_runner_gates__copyoffload_config_error),
        cmocka_unit_test(test_runner_steps__failure_skips_later),
        cmocka_unit_test(test_runner_steps__pass_and_step_skip),
        cmocka_unit_test(test_runner_steps__setup_and_session_errors),
        cmocka_unit_test(test_runner_dry__every_step_skipped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
