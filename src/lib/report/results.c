/* report: results.json in the --report folder. */
#include "report_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const check_names[] = {"pass", "fail", "skip"};

/* Set a redacted string member (skipped when s is NULL). */
static int set_str(struct mtv_json *obj, const char *key, const char *s)
{
    char *r = NULL;
    int rc = 0;

    if (s == NULL) {
        return 0;
    }
    r = mtv_redact_str(s);
    rc = r ? mtv_json_set_string(obj, key, r) : MTV_ENOMEM;
    free(r);
    return rc;
}

static int set_time(struct mtv_json *obj, const char *key, int64_t ms)
{
    char ts[32];

    if (ms <= 0) {
        return 0;
    }
    return mtv_json_set_string(obj, key, mtv_time_rfc3339(ms, ts,
                                                          sizeof(ts)));
}

static struct mtv_json *step_json(const struct mtv_step_result *st)
{
    struct mtv_json *j = mtv_json_new_object();
    int rc = j ? 0 : MTV_ENOMEM;

    rc = rc ? rc : set_str(j, "name", st->name);
    rc = rc ? rc : set_str(j, "status", mtv_status_name(st->status));
    rc = rc ? rc : mtv_json_set_number(j, "duration_s", st->duration_s);
    rc = rc ? rc : set_str(j, "message", st->message);
    rc = rc ? rc : set_time(j, "start", st->start_ms);
    if (rc != 0) {
        mtv_json_free(j);
        return NULL;
    }
    return j;
}

static int add_validators(struct mtv_json *vmj, const struct mtv_vm_result *vm)
{
    struct mtv_json *arr = mtv_json_new_array();
    int rc = arr ? mtv_json_set_take(vmj, "validators", arr) : MTV_ENOMEM;

    for (size_t i = 0; rc == 0 && i < vm->n_validators; i++) {
        struct mtv_json *v = mtv_json_new_object();

        rc = v ? mtv_json_push_take(arr, v) : MTV_ENOMEM;
        rc = rc ? rc : set_str(v, "name", vm->validators[i].name);
        rc = rc ? rc
                : set_str(v, "status",
                          check_names[vm->validators[i].status % 3]);
        rc = rc ? rc : set_str(v, "message", vm->validators[i].message);
    }
    return rc;
}

static int add_precopies(struct mtv_json *vmj, const struct mtv_vm_result *vm)
{
    struct mtv_json *arr = mtv_json_new_array();
    int rc = arr ? mtv_json_set_take(vmj, "precopies", arr) : MTV_ENOMEM;

    for (size_t i = 0; rc == 0 && i < vm->n_precopies; i++) {
        struct mtv_json *p = mtv_json_new_object();

        rc = p ? mtv_json_push_take(arr, p) : MTV_ENOMEM;
        rc = rc ? rc : set_time(p, "start", vm->precopies[i].start_ms);
        rc = rc ? rc : set_time(p, "end", vm->precopies[i].end_ms);
    }
    return rc;
}

static struct mtv_json *vm_json(const struct mtv_vm_result *vm)
{
    struct mtv_json *j = mtv_json_new_object();
    int rc = j ? 0 : MTV_ENOMEM;

    rc = rc ? rc : set_str(j, "name", vm->name);
    rc = rc ? rc : set_str(j, "source", vm->source);
    rc = rc ? rc : add_validators(j, vm);
    rc = rc ? rc : add_precopies(j, vm);
    rc = rc ? rc : set_time(j, "cutover", vm->cutover_ms);
    if (rc == 0 && vm->started_ms != 0) {
        rc = set_time(j, "started", vm->started_ms);
    }
    if (rc == 0 && vm->completed_ms != 0) {
        rc = set_time(j, "completed", vm->completed_ms);
    }
    if (rc == 0 && vm->downtime_s >= 0) {
        rc = mtv_json_set_number(j, "downtime_s", vm->downtime_s);
    }
    if (rc != 0) {
        mtv_json_free(j);
        return NULL;
    }
    return j;
}

static int add_list(struct mtv_json *obj, const char *key,
                    struct mtv_json **arr_out)
{
    *arr_out = mtv_json_new_array();
    return *arr_out ? mtv_json_set_take(obj, key, *arr_out) : MTV_ENOMEM;
}

static struct mtv_json *scenario_json(const struct mtv_scenario_result *sr)
{
    struct mtv_json *j = mtv_json_new_object();
    struct mtv_json *arr = NULL;
    int rc = j ? 0 : MTV_ENOMEM;

    rc = rc ? rc : set_str(j, "name", sr->scenario->name);
    rc = rc ? rc : set_str(j, "id", sr->scenario->id);
    rc = rc ? rc : set_str(j, "status", mtv_status_name(sr->status));
    rc = rc ? rc : set_str(j, "reason", sr->reason);
    rc = rc ? rc : set_str(j, "diagnostics", sr->diagnostics_dir);
    rc = rc ? rc : mtv_json_set_number(j, "duration_s", sr->duration_s);
    rc = rc ? rc : add_list(j, "markers", &arr);
    for (size_t i = 0; rc == 0 && i < sr->scenario->markers.len; i++) {
        rc = mtv_json_push_string(arr, sr->scenario->markers.items[i]);
    }
    rc = rc ? rc : add_list(j, "steps", &arr);
    for (size_t i = 0; rc == 0 && i < sr->n_steps; i++) {
        struct mtv_json *s = step_json(&sr->steps[i]);

        rc = s ? mtv_json_push_take(arr, s) : MTV_ENOMEM;
    }
    rc = rc ? rc : add_list(j, "vms", &arr);
    for (size_t i = 0; rc == 0 && i < sr->n_vms; i++) {
        struct mtv_json *v = vm_json(&sr->vms[i]);

        rc = v ? mtv_json_push_take(arr, v) : MTV_ENOMEM;
    }
    if (rc != 0) {
        mtv_json_free(j);
        return NULL;
    }
    return j;
}

struct mtv_json *mtv_report_results_json(const struct mtv_run_result *r)
{
    struct mtv_json *j = mtv_json_new_object();
    struct mtv_json *arr = NULL;
    int rc = j ? 0 : MTV_ENOMEM;

    rc = rc ? rc : set_str(j, "session_id", r->session_id);
    rc = rc ? rc : mtv_json_set_number(j, "exit_code", r->exit_code);
    rc = rc ? rc : mtv_json_set_bool(j, "dry_run", r->dry_run);
    rc = rc ? rc : set_str(j, "source_provider", r->source_provider);
    rc = rc ? rc : set_str(j, "storage_class", r->storage_class);
    rc = rc ? rc : set_str(j, "mtv_version", r->mtv_version);
    rc = rc ? rc : set_time(j, "start", r->start_ms);
    rc = rc ? rc : set_time(j, "end", r->end_ms);
    rc = rc ? rc : mtv_json_set_number(j, "leftovers", (double)r->leftovers);
    rc = rc ? rc : add_list(j, "scenarios", &arr);
    for (size_t i = 0; rc == 0 && i < r->n_scenarios; i++) {
        struct mtv_json *s = scenario_json(&r->scenarios[i]);

        rc = s ? mtv_json_push_take(arr, s) : MTV_ENOMEM;
    }
    if (rc != 0) {
        mtv_json_free(j);
        return NULL;
    }
    return j;
}

int mtv_report_results_write(const char *dir, const struct mtv_run_result *r,
                             struct mtv_error *err)
{
    struct mtv_json *j = mtv_report_results_json(r);
    char *text = j ? mtv_json_print(j, true) : NULL;
    char *path = mtv_strdup_printf("%s/results.json", dir);
    int rc = 0;

    if (text == NULL || path == NULL) {
        rc = mtv_error_set(err, MTV_ENOMEM, "report", "out of memory");
    }
    rc = rc ? rc : mtv_mkdir_p(dir, err);
    rc = rc ? rc : mtv_report__write_atomic(path, text, strlen(text), err);
    free(text);
    free(path);
    mtv_json_free(j);
    return rc;
}
