/* runner: the scenario/step model and the run loop (live or dry). */
#include "mtv/runner.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
    [MTV_STATUS_PENDING] = "pending", [MTV_STATUS_PASSED] = "passed",
    [MTV_STATUS_FAILED] = "failed",   [MTV_STATUS_ERROR] = "error",
    [MTV_STATUS_SKIPPED] = "skipped",
};

const char *mtv_status_name(enum mtv_status s)
{
    if ((size_t)s >= sizeof(status_names) / sizeof(status_names[0])) {
        return "pending";
    }
    return status_names[s];
}

size_t mtv_scenario_step_names(const struct mtv_scenario *s,
                               const char *names[6])
{
    size_t n = 0;

    names[n++] = MTV_STEP_STORAGEMAP;
    names[n++] = MTV_STEP_NETWORKMAP;
    names[n++] = MTV_STEP_PLAN;
    names[n++] = MTV_STEP_MIGRATE;
    if (s->copyoffload) {
        names[n++] = MTV_STEP_XCOPY;
    }
    names[n++] = MTV_STEP_CHECK;
    return n;
}

int mtv_session_id_new(char *out, size_t size)
{
    char rnd[5];
    int rc = mtv_random_id(rnd, 4);

    if (rc != 0 || size < 10) {
        return rc ? rc : MTV_EINVAL;
    }
    snprintf(out, size, "auto-%s", rnd);
    return 0;
}

/* --------------------------------------------------------------- results */

static void vm_result_dispose(struct mtv_vm_result *vm)
{
    free(vm->name);
    free(vm->source);
    for (size_t i = 0; i < vm->n_validators; i++) {
        free(vm->validators[i].name);
        free(vm->validators[i].message);
    }
    free(vm->validators);
    free(vm->precopies);
}

static void scenario_result_dispose(struct mtv_scenario_result *sr)
{
    for (size_t i = 0; i < sr->n_steps; i++) {
        free(sr->steps[i].message);
        free(sr->steps[i].details);
    }
    free(sr->steps);
    for (size_t i = 0; i < sr->n_vms; i++) {
        vm_result_dispose(&sr->vms[i]);
    }
    free(sr->vms);
    free(sr->reason);
    free(sr->diagnostics_dir);
}

void mtv_run_result_free(struct mtv_run_result *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n_scenarios; i++) {
        scenario_result_dispose(&r->scenarios[i]);
    }
    free(r->scenarios);
    free(r->session_id);
    free(r->source_provider);
    free(r->storage_class);
    free(r->mtv_version);
    free(r);
}

struct mtv_vm_result *mtv_scenario_result_add_vm(
    struct mtv_scenario_result *sr, const char *name, const char *source)
{
    struct mtv_vm_result *vms =
        realloc(sr->vms, (sr->n_vms + 1) * sizeof(*vms));
    struct mtv_vm_result *vm = NULL;

    if (vms == NULL) {
        return NULL;
    }
    sr->vms = vms;
    vm = &vms[sr->n_vms];
    memset(vm, 0, sizeof(*vm));
    vm->downtime_s = -1;
    vm->name = mtv_strdup(name);
    vm->source = mtv_strdup(source);
    sr->n_vms++;
    return vm;
}

int mtv_vm_result_add_validator(struct mtv_vm_result *vm, const char *name,
                                enum mtv_check_status status,
                                const char *message)
{
    struct mtv_validator_result *v =
        realloc(vm->validators, (vm->n_validators + 1) * sizeof(*v));

    if (v == NULL) {
        return MTV_ENOMEM;
    }
    vm->validators = v;
    v = &v[vm->n_validators++];
    v->name = mtv_strdup(name);
    v->status = status;
    v->message = mtv_strdup(message);
    return 0;
}

int mtv_vm_result_add_precopy(struct mtv_vm_result *vm, int64_t start_ms,
                              int64_t end_ms)
{
    struct mtv_interval *p =
        realloc(vm->precopies, (vm->n_precopies + 1) * sizeof(*p));

    if (p == NULL) {
        return MTV_ENOMEM;
    }
    vm->precopies = p;
    p[vm->n_precopies].start_ms = start_ms;
    p[vm->n_precopies].end_ms = end_ms;
    vm->n_precopies++;
    return 0;
}

int mtv_run_result_exit_code(const struct mtv_run_result *r)
{
    if (r->interrupted_by != 0) {
        return 128 + r->interrupted_by;
    }
    if (r->leftovers > 0) {
        return 1;
    }
    for (size_t i = 0; i < r->n_scenarios; i++) {
        for (size_t j = 0; j < r->scenarios[i].n_steps; j++) {
            enum mtv_status st = r->scenarios[i].steps[j].status;

            if (st == MTV_STATUS_FAILED || st == MTV_STATUS_ERROR) {
                return 1;
            }
        }
    }
    return 0;
}

/* ----------------------------------------------------------------- steps */

void mtv_step_skip(struct mtv_step_ctx *ctx, const char *reason)
{
    free(ctx->skip_reason);
    ctx->skip_reason = mtv_strdup(reason ? reason : "skipped");
}

void mtv_step_set_details(struct mtv_step_ctx *ctx, const char *details)
{
    free(ctx->step->details);
    ctx->step->details = mtv_strdup(details);
}

static void set_step(struct mtv_step_result *st, enum mtv_status status,
                     const char *message)
{
    st->status = status;
    free(st->message);
    st->message = message ? mtv_redact_str(message) : NULL;
}

/* Allocate the step results of a scenario (names from the step table). */
static int init_scenario(struct mtv_scenario_result *sr,
                         const struct mtv_selected *it,
                         const struct mtv_step_def *defs, size_t n_defs)
{
    const char *names[6];
    size_t n = defs ? n_defs : mtv_scenario_step_names(it->scenario, names);

    sr->scenario = it->scenario;
    sr->steps = calloc(n ? n : 1, sizeof(*sr->steps));
    if (sr->steps == NULL) {
        return MTV_ENOMEM;
    }
    sr->n_steps = n;
    for (size_t i = 0; i < n; i++) {
        sr->steps[i].name = defs ? defs[i].name : names[i];
    }
    return 0;
}

static void finish_scenario(struct mtv_scenario_result *sr)
{
    bool all_skipped = true;

    for (size_t i = 0; i < sr->n_steps; i++) {
        enum mtv_status st = sr->steps[i].status;

        sr->duration_s += sr->steps[i].duration_s;
        if (st == MTV_STATUS_FAILED || st == MTV_STATUS_ERROR) {
            if (sr->status != MTV_STATUS_FAILED &&
                sr->status != MTV_STATUS_ERROR) {
                sr->status = st;
                free(sr->reason);
                sr->reason = mtv_strdup_printf(
                    "%s: %s", sr->steps[i].name,
                    sr->steps[i].message ? sr->steps[i].message
                                         : mtv_status_name(st));
            }
        }
        all_skipped = all_skipped && st == MTV_STATUS_SKIPPED;
    }
    if (sr->status == MTV_STATUS_PENDING) {
        sr->status = all_skipped ? MTV_STATUS_SKIPPED : MTV_STATUS_PASSED;
    }
}

/* Observers are called one at a time, also with parallel scenarios. */
static pthread_mutex_t observer_lock = PTHREAD_MUTEX_INITIALIZER;

static void notify_step(const struct mtv_run_env *env,
                        const struct mtv_scenario_result *sr,
                        const struct mtv_step_result *st)
{
    if (env->observer != NULL && env->observer->step_done != NULL) {
        pthread_mutex_lock(&observer_lock);
        env->observer->step_done(sr, st, env->observer->payload);
        pthread_mutex_unlock(&observer_lock);
    }
}

/* Every remaining step gets `status` with `message`. */
static void settle_rest(const struct mtv_run_env *env,
                        struct mtv_scenario_result *sr, size_t from,
                        enum mtv_status status, const char *message)
{
    for (size_t i = from; i < sr->n_steps; i++) {
        set_step(&sr->steps[i], status, message);
        notify_step(env, sr, &sr->steps[i]);
    }
}

static void run_one_step(struct mtv_step_ctx *ctx,
                         const struct mtv_step_def *def)
{
    struct mtv_step_result *st = ctx->step;
    struct mtv_error err;
    char text[1100];
    int64_t t0 = mtv_now_ms();
    int rc = 0;

    mtv_error_clear(&err);
    st->start_ms = mtv_wall_ms();
    if (def->fn == NULL) {
        rc = mtv_error_set(&err, MTV_EINVAL, "runner",
                           "step '%s' is not implemented", def->name);
    } else {
        rc = def->fn(ctx, &err);
    }
    st->duration_s = (double)(mtv_now_ms() - t0) / 1000.0;
    if (rc != 0) {
        if (err.msg[0] == '\0') {
            mtv_error_set(&err, rc, "runner", "%s", mtv_err_name(rc));
        }
        set_step(st, MTV_STATUS_FAILED, mtv_error_text(&err, text,
                                                        sizeof(text)));
    } else if (ctx->skip_reason != NULL) {
        set_step(st, MTV_STATUS_SKIPPED, ctx->skip_reason);
    } else {
        set_step(st, MTV_STATUS_PASSED, NULL);
    }
    free(ctx->skip_reason);
    ctx->skip_reason = NULL;
}

static void run_steps(struct mtv_session_ctx *sess,
                      struct mtv_scenario_result *sr,
                      const struct mtv_step_def *defs,
                      const struct mtv_run_env *env, void *state)
{
    char msg[300];

    for (size_t i = 0; i < sr->n_steps; i++) {
        struct mtv_step_ctx ctx = {sess, sr->scenario, sr, &sr->steps[i],
                                   state, NULL};

        run_one_step(&ctx, &defs[i]);
        notify_step(env, sr, &sr->steps[i]);
        if (sr->steps[i].status == MTV_STATUS_FAILED) {
            snprintf(msg, sizeof(msg), "previous step failed (%s)",
                     sr->steps[i].name);
            settle_rest(env, sr, i + 1, MTV_STATUS_SKIPPED, msg);
            return;
        }
    }
}

/* One scenario of a live run: setup, steps, teardown. */
static void run_live_scenario(struct mtv_session_ctx *sess,
                              struct mtv_scenario_result *sr,
                              const struct mtv_step_def *defs,
                              const struct mtv_run_env *env,
                              const struct mtv_run_hooks *hooks)
{
    struct mtv_step_ctx ctx = {sess, sr->scenario, sr, &sr->steps[0], NULL,
                               NULL};
    struct mtv_error err;
    char text[1100];

    mtv_error_clear(&err);
    if (hooks->scenario_begin != NULL && hooks->scenario_begin(&ctx, &err)) {
        char *m = mtv_strdup_printf("error in scenario setup: %s",
                                    mtv_error_text(&err, text, sizeof(text)));

        settle_rest(env, sr, 0, MTV_STATUS_ERROR, m ? m : "setup failed");
        free(m);
    } else {
        run_steps(sess, sr, defs, env, ctx.state);
    }
    if (hooks->scenario_end != NULL) {
        hooks->scenario_end(&ctx);
    }
    free(ctx.skip_reason);
}

static int new_result(struct mtv_run_result **out,
                      const struct mtv_run_env *env)
{
    struct mtv_run_result *r = calloc(1, sizeof(*r));
    char sid[32];

    if (r == NULL) {
        return MTV_ENOMEM;
    }
    if (env->session_id == NULL && mtv_session_id_new(sid, sizeof(sid))) {
        free(r);
        return MTV_EIO;
    }
    r->session_id = mtv_strdup(env->session_id ? env->session_id : sid);
    r->source_provider = mtv_strdup(env->config->source_provider);
    r->storage_class = mtv_strdup(env->config->storage_class);
    r->dry_run = env->opts != NULL && env->opts->dry_run;
    r->start_ms = mtv_wall_ms();
    r->scenarios = calloc(env->selection->n + 1, sizeof(*r->scenarios));
    if (r->session_id == NULL || r->scenarios == NULL) {
        mtv_run_result_free(r);
        return MTV_ENOMEM;
    }
    *out = r;
    return 0;
}

static const struct mtv_step_def *steps_of(const struct mtv_run_hooks *hooks,
                                           const struct mtv_scenario *s,
                                           size_t *n)
{
    if (hooks == NULL || hooks->steps_for == NULL) {
        return NULL;
    }
    return hooks->steps_for(s, n, hooks->payload);
}

/* Set up every scenario's results; gated ones are settled right away. */
static int prepare(struct mtv_run_result *r, const struct mtv_run_env *env,
                   const struct mtv_run_hooks *hooks)
{
    for (size_t i = 0; i < env->selection->n; i++) {
        const struct mtv_selected *it = &env->selection->items[i];
        size_t n = 0;
        const struct mtv_step_def *defs = steps_of(hooks, it->scenario, &n);

        if (init_scenario(&r->scenarios[i], it, defs, n) != 0) {
            return MTV_ENOMEM;
        }
        r->n_scenarios++;
    }
    return 0;
}

static void start_scenario(const struct mtv_run_env *env,
                           const struct mtv_scenario_result *sr)
{
    if (env->observer != NULL && env->observer->scenario_start != NULL) {
        pthread_mutex_lock(&observer_lock);
        env->observer->scenario_start(sr, env->observer->payload);
        pthread_mutex_unlock(&observer_lock);
    }
}

/* One scenario of the selection, whatever happens to it. */
static void run_item(struct mtv_session_ctx *sess, const struct mtv_run_env *env,
                     const struct mtv_run_hooks *hooks, size_t i,
                     const char *all_msg, enum mtv_status all_status)
{
    const struct mtv_selected *it = &env->selection->items[i];
    struct mtv_scenario_result *sr = &sess->result->scenarios[i];
    size_t n = 0;

    start_scenario(env, sr);
    if (it->skipped) {
        sr->reason = mtv_strdup(it->reason);
        settle_rest(env, sr, 0, MTV_STATUS_SKIPPED, it->reason);
    } else if (all_msg != NULL) {
        settle_rest(env, sr, 0, all_status, all_msg);
    } else {
        run_live_scenario(sess, sr, steps_of(hooks, sr->scenario, &n), env,
                          hooks);
    }
    finish_scenario(sr);
}

/* Parallel scenarios (-j N): workers take the next scenario in order. */
struct pool {
    struct mtv_session_ctx *sess;
    const struct mtv_run_env *env;
    const struct mtv_run_hooks *hooks;
    pthread_mutex_t lock;
    size_t next;
};

static void *worker(void *arg)
{
    struct pool *p = arg;

    for (;;) {
        size_t i;

        pthread_mutex_lock(&p->lock);
        i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->sess->result->n_scenarios) {
            return NULL;
        }
        run_item(p->sess, p->env, p->hooks, i, NULL, MTV_STATUS_PENDING);
    }
}

/* Runs the pool; returns false when no thread could be started. */
static bool run_pool(struct mtv_session_ctx *sess,
                     const struct mtv_run_env *env,
                     const struct mtv_run_hooks *hooks, long jobs)
{
    struct pool p = {sess, env, hooks, PTHREAD_MUTEX_INITIALIZER, 0};
    pthread_t threads[64];
    size_t started = 0;

    if (jobs > 64) {
        jobs = 64;
    }
    for (long k = 0; k < jobs; k++) {
        if (pthread_create(&threads[started], NULL, worker, &p) == 0) {
            started++;
        }
    }
    for (size_t k = 0; k < started; k++) {
        pthread_join(threads[k], NULL);
    }
    pthread_mutex_destroy(&p.lock);
    return started > 0;
}

static void run_all(struct mtv_session_ctx *sess,
                    const struct mtv_run_env *env,
                    const struct mtv_run_hooks *hooks, const char *all_msg,
                    enum mtv_status all_status)
{
    long jobs = env->opts != NULL ? env->opts->jobs : 1;

    if (all_msg == NULL && jobs > 1 && run_pool(sess, env, hooks, jobs)) {
        return;
    }
    for (size_t i = 0; i < sess->result->n_scenarios; i++) {
        run_item(sess, env, hooks, i, all_msg, all_status);
    }
}

int mtv_run(struct mtv_run_result **out, const struct mtv_run_env *env,
            const struct mtv_run_hooks *hooks, struct mtv_error *err)
{
    struct mtv_session_ctx sess;
    struct mtv_error serr;
    struct mtv_run_result *r = NULL;
    char text[1100];
    bool dry = hooks == NULL || (env->opts != NULL && env->opts->dry_run);
    int rc = new_result(&r, env);

    if (rc != 0) {
        return mtv_error_set(err, rc, "runner", "cannot start the run");
    }
    memset(&sess, 0, sizeof(sess));
    mtv_error_clear(&serr);
    sess.opts = env->opts;
    sess.config = env->config;
    sess.providers = env->providers;
    sess.source = mtv_providers_get(env->providers,
                                    env->config->source_provider);
    sess.selection = env->selection;
    sess.result = r;
    sess.session_id = r->session_id;
    sess.payload = hooks ? hooks->payload : NULL;
    if (prepare(r, env, dry ? NULL : hooks) != 0) {
        mtv_run_result_free(r);
        return mtv_error_set(err, MTV_ENOMEM, "runner", "out of memory");
    }
    if (dry) {
        run_all(&sess, env, NULL, "dry run", MTV_STATUS_SKIPPED);
    } else if (hooks->session_open != NULL &&
               (rc = hooks->session_open(&sess, &serr)) != 0) {
        char *m = mtv_strdup_printf("error in session setup: %s",
                                    mtv_error_text(&serr, text, sizeof(text)));

        if (err != NULL) {
            *err = serr;
        }

        run_all(&sess, env, hooks, m ? m : "session setup failed",
                MTV_STATUS_ERROR);
        free(m);
    } else {
        run_all(&sess, env, hooks, NULL, MTV_STATUS_PENDING);
    }
    if (!dry && hooks->session_close != NULL) {
        hooks->session_close(&sess);
    }
    r->end_ms = mtv_wall_ms();
    r->exit_code = mtv_run_result_exit_code(r);
    *out = r;
    return rc;
}
