/* forklift: builders of Plan, Migration and the ForkliftController patch. */
#include "forklift_priv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

static bool has_members(const struct mtv_json *j)
{
    return j != NULL && mtv_json_type(j) == MTV_JSON_OBJECT &&
           mtv_json_size(j) > 0;
}

static struct mtv_json *plan_vms(const struct mtv_fl_plan *in)
{
    struct mtv_json *a = mtv_json_new_array();

    for (size_t i = 0; a != NULL && i < in->n_vms; i++) {
        struct mtv_json *v = mtv_json_new_object();
        int rc = v != NULL ? 0 : MTV_ENOMEM;
        if (rc == 0 && in->vms[i].id != NULL) {
            rc = mtv_json_set_string(v, "id", in->vms[i].id);
        }
        if (rc == 0 && in->vms[i].name != NULL) {
            rc = mtv_json_set_string(v, "name", in->vms[i].name);
        }
        if (rc < 0 || mtv_json_push_take(a, v) < 0) {
            if (rc < 0) {
                mtv_json_free(v);
            }
            mtv_json_free(a);
            return NULL;
        }
    }
    return a;
}

/* targetLabels with null (or non-string) values replaced by the session. */
static struct mtv_json *plan_labels(const struct mtv_json *labels,
                                    const char *session)
{
    struct mtv_json *o = mtv_json_new_object();

    for (const struct mtv_json *c = mtv_json_first(labels); o != NULL && c;
         c = mtv_json_next(c)) {
        const char *v = mtv_json_string_value(c);
        if (fl_put_str(o, mtv_json_key(c), v != NULL ? v : session) < 0) {
            mtv_json_free(o);
            return NULL;
        }
    }
    return o;
}

static int plan_refs(struct mtv_json *o, const struct mtv_fl_plan *in)
{
    int rc =
        mtv_json_set_take(o, "spec.provider", fl_providers(&in->providers));

    rc = rc < 0 ? rc
                : mtv_json_set_take(o, "spec.map.network",
                                    fl_ref(&in->network_map));
    rc = rc < 0 ? rc
                : mtv_json_set_take(o, "spec.map.storage",
                                    fl_ref(&in->storage_map));
    rc = rc < 0 ? rc
                : mtv_json_set_string(o, "spec.targetNamespace",
                                      in->target_namespace);
    return rc < 0 ? rc : mtv_json_set_take(o, "spec.vms", plan_vms(in));
}

static int plan_options(struct mtv_json *o, const struct mtv_fl_plan *in,
                        const char *session)
{
    const char *tmpl = in->pvc_name_template;
    int rc = mtv_json_set_bool(o, "spec.warm", in->warm);

    rc = rc < 0 ? rc
                : mtv_json_set_bool(o, "spec.preserveStaticIPs",
                                    in->preserve_static_ips);
    if (tmpl == NULL && in->copyoffload) {
        tmpl = "pvc";
    }
    if (rc == 0 && tmpl != NULL) {
        rc = mtv_json_set_string(o, "spec.pvcNameTemplate", tmpl);
    }
    if (rc == 0 && in->pvc_name_template_use_generate_name != MTV_FL_UNSET) {
        rc = mtv_json_set_bool(o, "spec.pvcNameTemplateUseGenerateName",
                               in->pvc_name_template_use_generate_name ==
                                   MTV_FL_TRUE);
    }
    if (rc == 0 && !empty(in->target_power_state)) {
        rc = mtv_json_set_string(o, "spec.targetPowerState",
                                 in->target_power_state);
    }
    if (rc == 0 && has_members(in->target_labels)) {
        rc = mtv_json_set_take(o, "spec.targetLabels",
                               plan_labels(in->target_labels, session));
    }
    if (rc == 0 && has_members(in->target_affinity)) {
        rc = mtv_json_set_copy(o, "spec.targetAffinity", in->target_affinity);
    }
    if (rc == 0 && has_members(in->target_node_selector)) {
        rc = mtv_json_set_copy(o, "spec.targetNodeSelector",
                               in->target_node_selector);
    }
    return rc;
}

static int plan_check(const struct mtv_fl_plan *in, struct mtv_error *err)
{
    if (in == NULL || empty(in->target_namespace) || in->n_vms == 0 ||
        in->vms == NULL || empty(in->network_map.name) ||
        empty(in->storage_map.name) || empty(in->providers.source.name) ||
        empty(in->providers.destination.name)) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "Plan: providers, maps, target namespace and at "
                             "least one VM are required");
    }
    for (size_t i = 0; i < in->n_vms; i++) {
        if (empty(in->vms[i].id) && empty(in->vms[i].name)) {
            return mtv_error_set(err, MTV_EINVAL, "forklift",
                                 "Plan: VM %zu has neither id nor name", i);
        }
    }
    return 0;
}

int mtv_forklift_build_plan(struct mtv_json **out,
                            const struct mtv_fl_meta *meta,
                            const struct mtv_fl_plan *in, struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    int rc = plan_check(in, err);

    if (rc < 0) {
        return rc;
    }
    rc = fl_new_object(&o, MTV_FL_API_VERSION, "Plan", meta, err);
    if (rc < 0) {
        return rc;
    }
    rc = plan_refs(o, in);
    rc = rc < 0 ? rc : plan_options(o, in, meta->session);
    if (rc < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

int mtv_forklift_build_plan_archive(struct mtv_json **out, const char *name,
                                    struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    int rc = fl_new_patch(&o, name, err);

    if (rc < 0) {
        return rc;
    }
    if (mtv_json_set_bool(o, "spec.archived", true) < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

/* ---------------------------------------------------------- migration */

int mtv_forklift_format_cutover(char *out, size_t size, int64_t now_wall_ms,
                                double minutes, struct mtv_error *err)
{
    double add_ms = minutes * 60000.0;

    if (out == NULL || size < 21 || !(minutes >= 0) || isinf(minutes) ||
        add_ms > 1e15) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "cutover: bad buffer or minutes");
    }
    mtv_time_rfc3339(now_wall_ms + (int64_t)llround(add_ms), out, size);
    return 0;
}

int mtv_forklift_build_migration(struct mtv_json **out,
                                 const struct mtv_fl_meta *meta,
                                 const struct mtv_fl_ref *plan,
                                 const char *cutover, struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    int64_t ms = 0;
    int rc;

    if (plan == NULL || empty(plan->name)) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "Migration: the plan is required");
    }
    if (cutover != NULL && mtv_time_parse_rfc3339(cutover, &ms) < 0) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "Migration: cutover '%s' is not RFC 3339",
                             cutover);
    }
    rc = fl_new_object(&o, MTV_FL_API_VERSION, "Migration", meta, err);
    if (rc < 0) {
        return rc;
    }
    rc = mtv_json_set_take(o, "spec.plan", fl_ref(plan));
    if (rc == 0 && cutover != NULL) {
        rc = mtv_json_set_string(o, "spec.cutover", cutover);
    }
    if (rc < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

static struct mtv_json *cancel_refs(const struct mtv_json *vms)
{
    struct mtv_json *a = mtv_json_new_array();

    for (const struct mtv_json *v = mtv_json_first(vms); a != NULL && v;
         v = mtv_json_next(v)) {
        struct mtv_json *r = mtv_json_new_object();
        const char *id = mtv_json_string_or(v, "id", NULL);
        const char *name = mtv_json_string_or(v, "name", NULL);
        int rc = r != NULL ? 0 : MTV_ENOMEM;
        if (rc == 0 && id != NULL) {
            rc = mtv_json_set_string(r, "id", id);
        }
        if (rc == 0 && name != NULL) {
            rc = mtv_json_set_string(r, "name", name);
        }
        rc = rc < 0 ? (mtv_json_free(r), rc) : mtv_json_push_take(a, r);
        if (rc < 0) {
            mtv_json_free(a);
            return NULL;
        }
    }
    return a;
}

int mtv_forklift_build_migration_cancel(struct mtv_json **out, const char *name,
                                        const struct mtv_json *plan,
                                        struct mtv_error *err)
{
    const struct mtv_json *vms = mtv_json_get(plan, "spec.vms");
    struct mtv_json *o = NULL;
    int rc;

    if (mtv_json_type(vms) != MTV_JSON_ARRAY || mtv_json_size(vms) == 0) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "cancel: the plan has no spec.vms");
    }
    rc = fl_new_patch(&o, name, err);
    if (rc < 0) {
        return rc;
    }
    if (mtv_json_set_take(o, "spec.cancel", cancel_refs(vms)) < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

/* ------------------------------------------------- ForkliftController */

#define PRECOPY_PATH "spec.controller_precopy_interval"

int mtv_forklift_build_precopy_patch(struct mtv_json **out, const char *name,
                                     long minutes, struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    int rc;

    if (minutes < 1 || minutes > 2147483647L) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "controller_precopy_interval must be an integer "
                             ">= 1 (minutes), got %ld",
                             minutes);
    }
    rc = fl_new_patch(&o, name, err);
    if (rc < 0) {
        return rc;
    }
    if (mtv_json_set_number(o, PRECOPY_PATH, (double)minutes) < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

int mtv_forklift_precopy_save(struct mtv_json **out,
                              const struct mtv_json *controller,
                              struct mtv_error *err)
{
    const struct mtv_json *v = mtv_json_get(controller, PRECOPY_PATH);
    struct mtv_json *copy = NULL;

    if (out == NULL || *out != NULL || controller == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "precopy save: bad arguments");
    }
    copy = v != NULL ? mtv_json_dup(v) : mtv_json_new_null();
    if (copy == NULL) {
        return fl_nomem(err);
    }
    *out = copy;
    return 0;
}

bool mtv_forklift_precopy_is(const struct mtv_json *controller, long minutes)
{
    const struct mtv_json *v = mtv_json_get(controller, PRECOPY_PATH);
    long parsed = 0;

    switch (mtv_json_type(v)) {
    case MTV_JSON_NUMBER:
        return mtv_json_number_value(v) == (double)minutes;
    case MTV_JSON_STRING:
        return mtv_str_to_long(mtv_json_string_value(v), &parsed) == 0 &&
               parsed == minutes;
    default:
        return false;
    }
}

int mtv_forklift_build_precopy_restore(struct mtv_json **out, const char *name,
                                       const struct mtv_json *previous,
                                       struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    int rc;

    if (previous == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "precopy restore: no saved value");
    }
    rc = fl_new_patch(&o, name, err);
    if (rc < 0) {
        return rc;
    }
    if (mtv_json_set_copy(o, PRECOPY_PATH, previous) < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

static const char *env_value(const struct mtv_json *containers, const char *var)
{
    for (const struct mtv_json *c = mtv_json_first(containers); c != NULL;
         c = mtv_json_next(c)) {
        const struct mtv_json *env = mtv_json_get(c, "env");
        for (const struct mtv_json *e = mtv_json_first(env); e != NULL;
             e = mtv_json_next(e)) {
            if (mtv_str_eq(mtv_json_string_or(e, "name", NULL), var)) {
                return mtv_json_string_or(e, "value", "");
            }
        }
    }
    return NULL;
}

int mtv_forklift_deployment_precopy(long *out,
                                    const struct mtv_json *deployment,
                                    struct mtv_error *err)
{
    const struct mtv_json *cs =
        mtv_json_get(deployment, "spec.template.spec.containers");
    const char *v = env_value(cs, "PRECOPY_INTERVAL");
    long n = 0;

    if (v == NULL) {
        return mtv_error_set(err, MTV_ENOTFOUND, "forklift",
                             "deployment has no PRECOPY_INTERVAL env var");
    }
    if (mtv_str_to_long(v, &n) < 0) {
        return mtv_error_set(err, MTV_EPROTO, "forklift",
                             "PRECOPY_INTERVAL '%s' is not an integer", v);
    }
    *out = n;
    return 0;
}
