/* checks: the validator table, run_all and shared helpers. */
#include "checks/checks_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct check_def {
    const char *name;
    check_fn fn;
};

/* CONTRACTS.md section 7: canonical names, in order. */
static const struct check_def table[MTV_CHECKS_COUNT] = {
    {"provider_ssl", mtv_checks__provider_ssl},
    {"power_state", mtv_checks__power_state},
    {"cpu", mtv_checks__cpu},
    {"memory", mtv_checks__memory},
    {"network", mtv_checks__network},
    {"storage", mtv_checks__storage},
    {"pvc_names", mtv_checks__pvc_names},
    {"snapshots", mtv_checks__snapshots},
    {"labels", mtv_checks__labels},
    {"affinity", mtv_checks__affinity},
    {"serial", mtv_checks__serial},
    {"guest_agent", mtv_checks__guest_agent},
    {"ssh", mtv_checks__ssh},
    {"static_ip", mtv_checks__static_ip},
    {"disk_count", mtv_checks__disk_count},
};

static const char *const names[MTV_CHECKS_COUNT] = {
    "provider_ssl", "power_state", "cpu",       "memory",    "network",
    "storage",      "pvc_names",   "snapshots", "labels",    "affinity",
    "serial",       "guest_agent", "ssh",       "static_ip", "disk_count",
};

const char *const *mtv_checks_names(size_t *n)
{
    if (n != NULL) {
        *n = MTV_CHECKS_COUNT;
    }
    return names;
}

const char *mtv_check_status_name(enum mtv_check_status s)
{
    switch (s) {
    case MTV_CHECK_PASS:
        return "pass";
    case MTV_CHECK_FAIL:
        return "fail";
    case MTV_CHECK_SKIP:
        return "skip";
    }
    return "fail";
}

static void one_line(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\n' || *s == '\r' || *s == '\t') {
            *s = ' ';
        }
    }
}

void check_set(struct mtv_check_result *r, enum mtv_check_status s,
               const char *fmt, ...)
{
    va_list ap;

    r->status = s;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
    one_line(r->message);
}

void check_problem(struct mtv_buf *b, const char *fmt, ...)
{
    va_list ap;

    if (b->len > 0) {
        (void)mtv_buf_puts(b, "; ");
    }
    va_start(ap, fmt);
    (void)mtv_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void check_finish(struct mtv_check_result *r, const struct mtv_buf *b,
                  const char *pass_fmt, ...)
{
    va_list ap;

    if (b->len > 0) {
        check_set(r, MTV_CHECK_FAIL, "%s", b->data);
        return;
    }
    r->status = MTV_CHECK_PASS;
    va_start(ap, pass_fmt);
    vsnprintf(r->message, sizeof(r->message), pass_fmt, ap);
    va_end(ap);
    one_line(r->message);
}

bool check_skip_unless_running(struct mtv_check_result *r,
                               const struct check_ctx *ctx)
{
    const struct mtv_checks_dest *d = ctx->dest;

    if (d->running) {
        return false;
    }
    check_set(r, MTV_CHECK_SKIP,
              "destination VM %s/%s is not running (printableStatus %s); "
              "mtvtest does not start it, so the guest cannot be checked",
              d->namespace != NULL ? d->namespace : "",
              d->name != NULL ? d->name : "",
              d->printable_status != NULL ? d->printable_status : "unknown");
    return true;
}

bool check_is_vsphere(const struct check_ctx *ctx)
{
    const char *t = ctx->plan->source_type;

    return t == NULL || t[0] == '\0' || strcmp(t, "vsphere") == 0;
}

void check_wait(const struct check_ctx *ctx, int64_t ms)
{
    struct timespec ts;

    if (ms <= 0) {
        return;
    }
    if (ctx->env != NULL && ctx->env->wait != NULL) {
        ctx->env->wait(ms, ctx->env->payload);
        return;
    }
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
        /* interrupted: sleep the rest */
    }
}

void check_retry_init(struct check_retry *r, int64_t timeout_ms,
                      int64_t interval_ms)
{
    r->deadline = mtv_deadline_in(timeout_ms);
    r->interval_ms = interval_ms;
    r->max_attempts = interval_ms > 0 ? timeout_ms / interval_ms + 1 : 1;
    r->attempts = 0;
}

bool check_retry_again(struct check_retry *r, const struct check_ctx *ctx)
{
    r->attempts++;
    if (r->attempts >= r->max_attempts || mtv_deadline_expired(&r->deadline)) {
        return false;
    }
    check_wait(ctx, r->interval_ms);
    return true;
}

void check_exec_res_dispose(struct mtv_checks_exec_res *res)
{
    free(res->out);
    free(res->err);
    memset(res, 0, sizeof(*res));
}

bool check_guest_creds(struct mtv_check_result *r, const struct check_ctx *ctx,
                       const char **user, const char **password)
{
    const struct mtv_checks_plan *p = ctx->plan;
    bool win = ctx->src->win_os;

    *user = win ? p->guest_win_user : p->guest_linux_user;
    *password = win ? p->guest_win_password : p->guest_linux_password;
    if (*user == NULL || (*user)[0] == '\0' || *password == NULL) {
        check_set(r, MTV_CHECK_FAIL,
                  "no guest credentials: the providers file needs %s",
                  win ? "guest_vm_win_user and guest_vm_win_password"
                      : "guest_vm_linux_user and guest_vm_linux_password");
        return false;
    }
    return true;
}

int check_exec(const struct check_ctx *ctx, const char *command,
               struct mtv_checks_exec_res *res, struct mtv_error *err)
{
    struct mtv_checks_exec_req req;
    const char *user = NULL;
    const char *password = NULL;
    bool win = ctx->src->win_os;

    user = win ? ctx->plan->guest_win_user : ctx->plan->guest_linux_user;
    password =
        win ? ctx->plan->guest_win_password : ctx->plan->guest_linux_password;
    memset(&req, 0, sizeof(req));
    req.vm_name = ctx->dest->name;
    req.namespace = ctx->dest->namespace;
    req.user = user;
    req.password = password;
    req.command = command;
    req.timeout_ms = ctx->plan->command_timeout_ms > 0
                         ? ctx->plan->command_timeout_ms
                         : 30000;
    memset(res, 0, sizeof(*res));
    return ctx->env->exec(&req, res, err, ctx->env->payload);
}

int check_base64_decode(const char *in, char **out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in);
    char *o = malloc(n * 3 / 4 + 4);
    unsigned acc = 0;
    int bits = 0;
    size_t k = 0;

    if (o == NULL) {
        return MTV_ENOMEM;
    }
    for (; *in != '\0' && *in != '='; in++) {
        const char *p = strchr(alphabet, *in);

        if (p == NULL || *in == '\0') {
            free(o);
            return MTV_EINVAL;
        }
        acc = (acc << 6) | (unsigned)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (char)((acc >> bits) & 0xff);
        }
    }
    o[k] = '\0';
    *out = o;
    return 0;
}

static void fill_ctx(struct check_ctx *ctx, const struct mtv_checks_plan *plan,
                     const struct mtv_checks_vm *vm,
                     const struct mtv_checks_env *env)
{
    static const struct mtv_checks_env no_env = {NULL, NULL, NULL, NULL};

    ctx->plan = plan;
    ctx->vm = vm;
    ctx->env = env != NULL ? env : &no_env;
    ctx->src = vm->source;
    ctx->before = vm->source_before != NULL ? vm->source_before : vm->source;
    ctx->dest = vm->dest;
}

static void run_def(struct mtv_check_result *r, const struct check_def *def,
                    const struct check_ctx *ctx)
{
    memset(r, 0, sizeof(*r));
    r->name = def->name;
    r->status = MTV_CHECK_FAIL;
    snprintf(r->message, sizeof(r->message), "validator did not report");
    def->fn(r, ctx);
}

int mtv_checks_run_one(struct mtv_check_result *out, const char *name,
                       const struct mtv_checks_plan *plan,
                       const struct mtv_checks_vm *vm,
                       const struct mtv_checks_env *env)
{
    struct check_ctx ctx;
    size_t i;

    if (plan == NULL || vm == NULL || vm->source == NULL || vm->dest == NULL) {
        return MTV_EINVAL;
    }
    fill_ctx(&ctx, plan, vm, env);
    for (i = 0; i < MTV_CHECKS_COUNT; i++) {
        if (strcmp(table[i].name, name) == 0) {
            run_def(out, &table[i], &ctx);
            return 0;
        }
    }
    return MTV_ENOTFOUND;
}

int mtv_checks_run_all(struct mtv_checks_report *out,
                       const struct mtv_checks_plan *plan,
                       const struct mtv_checks_vm *vm,
                       const struct mtv_checks_env *env)
{
    struct check_ctx ctx;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (plan == NULL || vm == NULL || vm->source == NULL || vm->dest == NULL) {
        return MTV_EINVAL;
    }
    fill_ctx(&ctx, plan, vm, env);
    for (i = 0; i < MTV_CHECKS_COUNT; i++) {
        struct mtv_check_result *r = &out->results[out->n++];

        run_def(r, &table[i], &ctx);
        out->n_failed += r->status == MTV_CHECK_FAIL;
        out->n_skipped += r->status == MTV_CHECK_SKIP;
        mtv_log(MTV_LOG_DEBUG, "checks", "%s: %s: %s: %s",
                vm->name != NULL ? vm->name : "", r->name,
                mtv_check_status_name(r->status), r->message);
    }
    return 0;
}

int mtv_checks_failed_names(const struct mtv_checks_report *r,
                            struct mtv_buf *b)
{
    size_t i;
    bool first = true;
    int rc = 0;

    for (i = 0; i < r->n && rc == 0; i++) {
        if (r->results[i].status != MTV_CHECK_FAIL) {
            continue;
        }
        rc = mtv_buf_printf(b, "%s%s", first ? "" : ", ", r->results[i].name);
        first = false;
    }
    return rc;
}
