/* runner: selection by -m / -k and the gates of CONTRACTS.md §3. */
#include "mtv/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mtv_run_options_init(struct mtv_run_options *o)
{
    memset(o, 0, sizeof(*o));
    o->jobs = 1;
}

void mtv_run_options_dispose(struct mtv_run_options *o)
{
    if (o != NULL) {
        mtv_strv_dispose(&o->known_issues_resolved);
    }
}

static const struct {
    const char *scenario;
    const char *klass;
} reference_classes[] = {
    {"test_sanity_warm_mtv_migration",
     "tests.warm.test_mtv_warm_migration.TestSanityWarmMtvMigration"},
    {"test_mtv_migration_warm_2disks2nics",
     "tests.warm.test_mtv_warm_migration.TestMtvMigrationWarm2disks2nics"},
    {"test_warm_remote_ocp",
     "tests.warm.test_mtv_warm_migration.TestWarmRemoteOcp"},
    {"test_warm_migration_comprehensive",
     "tests.warm.test_warm_migration_comprehensive."
     "TestWarmMigrationComprehensive"},
    {"test_copyoffload_warm_migration",
     "tests.copyoffload.test_copyoffload_migration."
     "TestCopyoffloadWarmMigration"},
};

const char *mtv_scenario_reference_class(const char *scenario_name)
{
    for (size_t i = 0;
         i < sizeof(reference_classes) / sizeof(reference_classes[0]); i++) {
        if (mtv_str_eq(reference_classes[i].scenario, scenario_name)) {
            return reference_classes[i].klass;
        }
    }
    return NULL;
}

int mtv_scenario_keywords(const struct mtv_scenario *s, struct mtv_strv *out)
{
    const char *klass = mtv_scenario_reference_class(s->name);
    int rc = mtv_strv_push(out, s->name);

    if (rc == 0 && s->id != NULL) {
        rc = mtv_strv_push(out, s->id);
    }
    if (rc == 0 && klass != NULL) {
        rc = mtv_strv_push(out, strrchr(klass, '.') + 1);
    }
    for (size_t i = 0; rc == 0 && i < s->markers.len; i++) {
        rc = mtv_strv_push(out, s->markers.items[i]);
    }
    return rc;
}

void mtv_selection_dispose(struct mtv_selection *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].reason);
    }
    free(s->items);
    memset(s, 0, sizeof(*s));
}

/* ----------------------------------------------------------------- gates */

static bool resolved(const struct mtv_run_options *o, const char *id)
{
    return o != NULL && mtv_strv_contains(&o->known_issues_resolved, id);
}

/* The gate's skip reason (allocated), or NULL when the scenario runs. */
static char *gate(const struct mtv_scenario *s, const struct mtv_config *c,
                  const struct mtv_provider *src,
                  const struct mtv_run_options *o)
{
    bool warm = mtv_scenario_has_marker(s, "warm");
    enum mtv_provider_type t = src ? src->type : MTV_PROVIDER_UNKNOWN;

    if (warm && (t == MTV_PROVIDER_OPENSTACK ||
                 t == MTV_PROVIDER_OPENSHIFT || t == MTV_PROVIDER_OVA)) {
        return mtv_strdup_printf("%s warm migration is not supported.",
                                 mtv_provider_type_name(t));
    }
    if (warm && t == MTV_PROVIDER_OVIRT && !resolved(o, "MTV-2846")) {
        return mtv_strdup("known issue MTV-2846");
    }
    if (mtv_scenario_has_marker(s, "copyoffload") && src != NULL &&
        t != MTV_PROVIDER_VSPHERE) {
        return mtv_strdup_printf(
            "Copy-offload tests require vSphere provider, but got '%s'",
            mtv_provider_type_name(t));
    }
    if (mtv_scenario_has_marker(s, "remote") &&
        (c->remote_ocp_cluster == NULL || c->remote_ocp_cluster[0] == '\0')) {
        return mtv_strdup("No remote OCP cluster provided");
    }
    return NULL;
}

static bool picked(const struct mtv_scenario *s, const struct mtv_expr *m,
                   const struct mtv_expr *k)
{
    struct mtv_strv names = MTV_STRV_INIT;
    bool ok = mtv_expr_match_markers(m, &s->markers);

    if (ok && k != NULL) {
        mtv_scenario_keywords(s, &names);
        ok = mtv_expr_match_names(k, &names);
        mtv_strv_dispose(&names);
    }
    return ok;
}

static int parse_exprs(struct mtv_expr **m, struct mtv_expr **k,
                       const struct mtv_run_options *o, struct mtv_diag *diag)
{
    struct mtv_error err;
    int rc = 0;

    mtv_error_clear(&err);
    if (mtv_expr_parse(m, o ? o->marker_expr : NULL, MTV_EXPR_MARKER, "-m",
                       &err) != 0) {
        rc = mtv_diag_error(diag, "%s", err.msg);
    }
    mtv_error_clear(&err);
    if (mtv_expr_parse(k, o ? o->keyword_expr : NULL, MTV_EXPR_KEYWORD,
                       "-k", &err) != 0) {
        rc = mtv_diag_error(diag, "%s", err.msg);
    }
    return rc;
}

/* A selected copyoffload scenario needs a valid section (vSphere). */
static int check_copyoffload(const struct mtv_selected *it,
                             const struct mtv_provider *src,
                             struct mtv_diag *diag)
{
    char prefix[300];

    if (it->skipped || src == NULL || src->type != MTV_PROVIDER_VSPHERE ||
        !mtv_scenario_has_marker(it->scenario, "copyoffload")) {
        return 0;
    }
    snprintf(prefix, sizeof(prefix), "scenario '%s' (copyoffload): ",
             it->scenario->name);
    return mtv_copyoffload_check(src, prefix, diag);
}

int mtv_select(struct mtv_selection *out, const struct mtv_config *config,
               const struct mtv_providers *providers,
               const struct mtv_run_options *opts, struct mtv_diag *diag)
{
    const struct mtv_provider *src =
        mtv_providers_get(providers, config->source_provider);
    struct mtv_expr *m = NULL;
    struct mtv_expr *k = NULL;
    int rc = parse_exprs(&m, &k, opts, diag);

    memset(out, 0, sizeof(*out));
    out->items = calloc(config->n_scenarios + 1, sizeof(*out->items));
    if (out->items == NULL) {
        rc = MTV_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < config->n_scenarios; i++) {
        const struct mtv_scenario *s = &config->scenarios[i];
        struct mtv_selected *it = &out->items[out->n];

        if (!picked(s, m, k)) {
            out->deselected++;
            continue;
        }
        it->scenario = s;
        it->reason = gate(s, config, src, opts);
        it->skipped = it->reason != NULL;
        out->n++;
    }
    for (size_t i = 0; rc == 0 && i < out->n; i++) {
        if (check_copyoffload(&out->items[i], src, diag) != 0) {
            rc = MTV_ECONFIG;
            break; /* the rules are about the provider: list them once */
        }
    }
    mtv_expr_free(m);
    mtv_expr_free(k);
    return rc;
}
