/* forklift: per-VM progress from status.migration.vms / status.vms. */
#include "forklift_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Optional RFC 3339 at path: 0 when absent, EPROTO when malformed. */
static int opt_time(const struct mtv_json *j, const char *path,
                    const char *where, int64_t *out, struct mtv_error *err)
{
    const char *s = mtv_json_string_or(j, path, NULL);

    *out = 0;
    if (s == NULL || s[0] == '\0') {
        return 0;
    }
    if (mtv_time_parse_rfc3339(s, out) < 0) {
        return mtv_error_set(err, MTV_EPROTO, "forklift",
                             "%s.%s: bad timestamp '%s'", where, path, s);
    }
    return 0;
}

static int dup_opt(char **dst, const struct mtv_json *j, const char *path)
{
    const char *s = mtv_json_string_or(j, path, NULL);

    *dst = NULL;
    if (s == NULL) {
        return 0;
    }
    *dst = mtv_strdup(s);
    return *dst != NULL ? 0 : MTV_ENOMEM;
}

static int read_precopies(struct mtv_fl_vm_progress *vm,
                          const struct mtv_json *j, const char *where,
                          struct mtv_error *err)
{
    const struct mtv_json *pcs = mtv_json_get(j, "warm.precopies");
    size_t n = mtv_json_size(pcs);
    size_t i = 0;

    if (n == 0) {
        return 0;
    }
    vm->precopies = calloc(n, sizeof(*vm->precopies));
    if (vm->precopies == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "forklift", "out of memory");
    }
    for (const struct mtv_json *p = mtv_json_first(pcs); p != NULL;
         p = mtv_json_next(p), i++) {
        struct mtv_fl_precopy *pc = &vm->precopies[i];
        int rc = opt_time(p, "start", where, &pc->start_ms, err);
        rc = rc < 0 ? rc : opt_time(p, "end", where, &pc->end_ms, err);
        if (rc < 0) {
            return rc;
        }
        vm->precopies_done += pc->end_ms != 0;
        vm->n_precopies++;
    }
    return 0;
}

/* The current step: the first Running one, else the last one started. */
static const struct mtv_json *current_step(const struct mtv_json *pipeline,
                                           size_t *done)
{
    const struct mtv_json *running = NULL;
    const struct mtv_json *started = NULL;

    *done = 0;
    for (const struct mtv_json *s = mtv_json_first(pipeline); s != NULL;
         s = mtv_json_next(s)) {
        const char *ph = mtv_json_string_or(s, "phase", NULL);
        if (mtv_str_eq(ph, "Completed")) {
            (*done)++;
        }
        if (running == NULL && mtv_str_eq(ph, "Running")) {
            running = s;
        }
        if (mtv_json_get(s, "started") != NULL) {
            started = s;
        }
    }
    return running != NULL ? running : started;
}

static const struct mtv_json *step_named(const struct mtv_json *pipeline,
                                         const char *name)
{
    for (const struct mtv_json *s = mtv_json_first(pipeline); s != NULL;
         s = mtv_json_next(s)) {
        if (mtv_str_eq(mtv_json_string_or(s, "name", NULL), name)) {
            return s;
        }
    }
    return NULL;
}

static int read_pipeline(struct mtv_fl_vm_progress *vm,
                         const struct mtv_json *j, const char *where,
                         struct mtv_error *err)
{
    const struct mtv_json *pl = mtv_json_get(j, "pipeline");
    const struct mtv_json *cur = current_step(pl, &vm->steps_completed);
    const struct mtv_json *cut = step_named(pl, "Cutover");
    const struct mtv_json *vmc = step_named(pl, "VirtualMachineCreation");
    int64_t vm_created = 0;
    int rc = 0;

    vm->n_steps = mtv_json_size(pl);
    if (cur != NULL) {
        rc = dup_opt(&vm->step, cur, "name");
        rc = rc < 0 ? rc : dup_opt(&vm->step_unit, cur, "annotations.unit");
        vm->step_done = mtv_json_int_or(cur, "progress.completed", 0);
        vm->step_total = mtv_json_int_or(cur, "progress.total", 0);
    }
    if (rc < 0) {
        return mtv_error_set(err, MTV_ENOMEM, "forklift", "out of memory");
    }
    rc = opt_time(cut, "started", where, &vm->cutover_ms, err);
    rc = rc < 0 ? rc : opt_time(vmc, "completed", where, &vm_created, err);
    if (rc < 0) {
        return rc;
    }
    if (vm_created == 0 && vm->state == MTV_FL_RUN_SUCCEEDED) {
        vm_created = vm->completed_ms;
    }
    vm->downtime_s = vm->cutover_ms != 0 && vm_created >= vm->cutover_ms
                         ? (double)(vm_created - vm->cutover_ms) / 1000.0
                         : -1.0;
    return 0;
}

static enum mtv_fl_run_state vm_state(const struct mtv_json *j)
{
    enum mtv_fl_run_state s = fl_run_state_conds(mtv_json_get(j, "conditions"));

    if (s == MTV_FL_RUN_NONE && mtv_json_get(j, "started") != NULL) {
        return MTV_FL_RUN_EXECUTING;
    }
    return s;
}

/* "<phase>: <reason>; <reason>" from error, else the Failed message. */
static int read_error(struct mtv_fl_vm_progress *vm, const struct mtv_json *j)
{
    const struct mtv_json *e = mtv_json_get(j, "error");
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = 0;

    if (e != NULL) {
        const struct mtv_json *rs = mtv_json_get(e, "reasons");
        rc = mtv_buf_printf(&b, "%s:", mtv_json_string_or(e, "phase", "?"));
        for (const struct mtv_json *r = mtv_json_first(rs); r && rc == 0;
             r = mtv_json_next(r)) {
            rc = mtv_buf_printf(&b, "%s %s", r == mtv_json_first(rs) ? "" : ";",
                                mtv_json_string_value(r) != NULL
                                    ? mtv_json_string_value(r)
                                    : "?");
        }
    }
    if (rc < 0) {
        mtv_buf_dispose(&b);
        return rc;
    }
    vm->error = b.data != NULL ? mtv_buf_detach(&b) : NULL;
    return 0;
}

/* The element count and `vms` list of a Plan or a Migration. */
static const struct mtv_json *vms_of(const struct mtv_json *obj,
                                     const char **where)
{
    const struct mtv_json *v = mtv_json_get(obj, "status.migration.vms");

    *where = "status.migration.vms";
    if (v == NULL) {
        v = mtv_json_get(obj, "status.vms");
        *where = "status.vms";
    }
    return v;
}

static int read_vm(struct mtv_fl_vm_progress *vm, const struct mtv_json *j,
                   const char *where, struct mtv_error *err)
{
    int rc = dup_opt(&vm->id, j, "id");

    rc = rc < 0 ? rc : dup_opt(&vm->name, j, "name");
    rc = rc < 0 ? rc : dup_opt(&vm->phase, j, "phase");
    rc = rc < 0 ? rc : read_error(vm, j);
    if (rc < 0) {
        return mtv_error_set(err, MTV_ENOMEM, "forklift", "out of memory");
    }
    vm->state = vm_state(j);
    rc = opt_time(j, "started", where, &vm->started_ms, err);
    rc = rc < 0 ? rc : opt_time(j, "completed", where, &vm->completed_ms, err);
    rc = rc < 0 ? rc : read_precopies(vm, j, where, err);
    return rc < 0 ? rc : read_pipeline(vm, j, where, err);
}

int mtv_forklift_progress_read(struct mtv_fl_progress *out,
                               const struct mtv_json *obj,
                               struct mtv_error *err)
{
    const char *where = NULL;
    const struct mtv_json *vms = vms_of(obj, &where);
    size_t n = mtv_json_size(vms);
    size_t i = 0;
    char at[64];

    if (out == NULL || out->vms != NULL) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "progress: output must be empty");
    }
    if (vms != NULL && mtv_json_type(vms) != MTV_JSON_ARRAY) {
        return mtv_error_set(err, MTV_EPROTO, "forklift", "%s: expected array",
                             where);
    }
    if (n == 0) {
        return 0;
    }
    out->vms = calloc(n, sizeof(*out->vms));
    if (out->vms == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "forklift", "out of memory");
    }
    for (const struct mtv_json *j = mtv_json_first(vms); j != NULL;
         j = mtv_json_next(j), i++) {
        snprintf(at, sizeof(at), "%s[%zu]", where, i);
        out->n_vms++;
        int rc = read_vm(&out->vms[i], j, at, err);
        if (rc < 0) {
            mtv_forklift_progress_dispose(out);
            return rc;
        }
    }
    return 0;
}

void mtv_forklift_progress_dispose(struct mtv_fl_progress *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->n_vms; i++) {
        struct mtv_fl_vm_progress *vm = &p->vms[i];
        free(vm->id);
        free(vm->name);
        free(vm->phase);
        free(vm->step);
        free(vm->step_unit);
        free(vm->precopies);
        free(vm->error);
    }
    free(p->vms);
    p->vms = NULL;
    p->n_vms = 0;
}

const struct mtv_fl_vm_progress *
mtv_forklift_progress_vm(const struct mtv_fl_progress *p, const char *name)
{
    for (size_t i = 0; p != NULL && i < p->n_vms; i++) {
        if (mtv_str_eq(p->vms[i].name, name)) {
            return &p->vms[i];
        }
    }
    return NULL;
}

bool mtv_forklift_progress_changed(const struct mtv_fl_vm_progress *old,
                                   const struct mtv_fl_vm_progress *cur)
{
    if (old == NULL) {
        return true;
    }
    return !mtv_str_eq(old->phase, cur->phase) ||
           !mtv_str_eq(old->step, cur->step) ||
           old->n_precopies != cur->n_precopies ||
           old->precopies_done != cur->precopies_done ||
           old->state != cur->state;
}

int mtv_forklift_progress_line(struct mtv_buf *out,
                               const struct mtv_fl_vm_progress *vm)
{
    int rc =
        mtv_buf_printf(out, "vm '%s': %s", vm->name != NULL ? vm->name : "?",
                       vm->phase != NULL ? vm->phase : "no phase");

    if (rc == 0 && vm->step != NULL) {
        rc = mtv_buf_printf(out, ", step %s %zu/%zu (%lld/%lld%s%s)", vm->step,
                            vm->steps_completed, vm->n_steps, vm->step_done,
                            vm->step_total, vm->step_unit != NULL ? " " : "",
                            vm->step_unit != NULL ? vm->step_unit : "");
    }
    if (rc == 0 && vm->n_precopies > 0) {
        rc = mtv_buf_printf(out, ", precopies %zu done of %zu",
                            vm->precopies_done, vm->n_precopies);
    }
    if (rc == 0 && mtv_forklift_run_state_terminal(vm->state)) {
        rc =
            mtv_buf_printf(out, ", %s", mtv_forklift_run_state_name(vm->state));
    }
    if (rc == 0 && vm->error != NULL) {
        rc = mtv_buf_printf(out, ", error: %s", vm->error);
    }
    return rc;
}

/* obj[key] = RFC 3339 of ms, or null when ms == 0. */
static int put_time(struct mtv_json *obj, const char *key, int64_t ms)
{
    char t[32];

    if (ms == 0) {
        return mtv_json_set_null(obj, key);
    }
    return mtv_json_set_string(obj, key, mtv_time_rfc3339(ms, t, sizeof(t)));
}

static struct mtv_json *precopies_json(const struct mtv_fl_vm_progress *vm)
{
    struct mtv_json *a = mtv_json_new_array();

    for (size_t i = 0; a != NULL && i < vm->n_precopies; i++) {
        struct mtv_json *p = mtv_json_new_object();
        int rc = p != NULL ? 0 : MTV_ENOMEM;
        rc = rc < 0 ? rc : put_time(p, "start", vm->precopies[i].start_ms);
        rc = rc < 0 ? rc : put_time(p, "end", vm->precopies[i].end_ms);
        if (rc < 0) {
            mtv_json_free(p);
        }
        if (rc < 0 || mtv_json_push_take(a, p) < 0) {
            mtv_json_free(a);
            return NULL;
        }
    }
    return a;
}

int mtv_forklift_progress_timeline(struct mtv_json **out,
                                   const struct mtv_fl_vm_progress *vm,
                                   struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    int rc;

    if (out == NULL || *out != NULL || vm == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "timeline: bad arguments");
    }
    o = mtv_json_new_object();
    rc = o != NULL ? 0 : MTV_ENOMEM;
    rc = rc < 0 ? rc : mtv_json_set_take(o, "precopies", precopies_json(vm));
    rc = rc < 0 ? rc : put_time(o, "cutover", vm->cutover_ms);
    if (rc == 0 && vm->downtime_s >= 0) {
        rc = mtv_json_set_number(o, "downtime_s", vm->downtime_s);
    } else if (rc == 0) {
        rc = mtv_json_set_null(o, "downtime_s");
    }
    if (rc < 0) {
        mtv_json_free(o);
        return mtv_error_set(err, MTV_ENOMEM, "forklift", "out of memory");
    }
    *out = o;
    return 0;
}
