/*
 * config: decode the merged tree against the declared types (tables of
 * keys), collecting every problem with its FILE:LINE:COL and key path.
 */
#include "config_priv.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ktype {
    KT_STR,      /* char *, any scalar; null → NULL */
    KT_NESTR,    /* char *, non-empty scalar */
    KT_INT,      /* long, >= min */
    KT_FLOAT,    /* double, >= min */
    KT_BOOL,     /* bool */
    KT_CHOICE,   /* char *, one of choices; null → NULL */
    KT_MARKERS,  /* struct mtv_strv of known markers */
    KT_LABELS,   /* scenario target_labels */
    KT_JSON_MAP, /* struct mtv_json * (a mapping), null → NULL */
    KT_JSON,     /* struct mtv_json *, any value */
    KT_VMS,      /* scenario virtual_machines */
    KT_DISKS,    /* vm add_disks */
    KT_SCENARIOS /* tests_params */
};

struct kspec {
    const char *name;
    enum ktype type;
    size_t off;
    double min;
    const char *const *choices;
};

struct dctx {
    struct mtv_diag *diag;
    int rc;
};

static const char *const power_choices[] = {"on", "off", NULL};
static const char *const disk_type_choices[] = {"thin", "thick-lazy",
                                                "thick-eager", NULL};

#define G(f) offsetof(struct mtv_config, f)
#define S(f) offsetof(struct mtv_scenario, f)
#define V(f) offsetof(struct mtv_config_vm, f)
#define D(f) offsetof(struct mtv_config_disk, f)

static const struct kspec global_keys[] = {
    {"source_provider", KT_STR, G(source_provider), 0, NULL},
    {"storage_class", KT_STR, G(storage_class), 0, NULL},
    {"snapshots_interval", KT_INT, G(snapshots_interval), 1, NULL},
    {"mins_before_cutover", KT_FLOAT, G(mins_before_cutover), 0, NULL},
    {"plan_wait_timeout", KT_INT, G(plan_wait_timeout), 1, NULL},
    {"plan_ready_timeout", KT_INT, G(plan_ready_timeout), 1, NULL},
    {"provider_ready_timeout", KT_INT, G(provider_ready_timeout), 1, NULL},
    {"inventory_timeout", KT_INT, G(inventory_timeout), 1, NULL},
    {"guest_agent_timeout", KT_INT, G(guest_agent_timeout), 1, NULL},
    {"ssh_timeout", KT_INT, G(ssh_timeout), 1, NULL},
    {"static_ip_timeout", KT_INT, G(static_ip_timeout), 1, NULL},
    {"teardown_timeout", KT_INT, G(teardown_timeout), 1, NULL},
    {"mtv_namespace", KT_NESTR, G(mtv_namespace), 0, NULL},
    {"target_namespace_prefix", KT_NESTR, G(target_namespace_prefix), 0,
     NULL},
    {"insecure_verify_skip", KT_BOOL, G(insecure_verify_skip), 0, NULL},
    {"source_provider_insecure_skip_verify", KT_BOOL,
     G(source_provider_insecure_skip_verify), 0, NULL},
    {"remote_ocp_cluster", KT_STR, G(remote_ocp_cluster), 0, NULL},
    {"cluster_host", KT_STR, G(cluster_host), 0, NULL},
    {"cluster_username", KT_STR, G(cluster_username), 0, NULL},
    {"cluster_password", KT_STR, G(cluster_password), 0, NULL},
    {"target_ocp_version", KT_STR, G(target_ocp_version), 0, NULL},
    {"tests_params", KT_SCENARIOS, 0, 0, NULL},
    {NULL, KT_STR, 0, 0, NULL},
};

static const struct kspec scenario_keys[] = {
    {"id", KT_STR, S(id), 0, NULL},
    {"markers", KT_MARKERS, S(markers), 0, NULL},
    {"virtual_machines", KT_VMS, 0, 0, NULL},
    {"warm_migration", KT_BOOL, S(warm_migration), 0, NULL},
    {"copyoffload", KT_BOOL, S(copyoffload), 0, NULL},
    {"preserve_static_ips", KT_BOOL, S(preserve_static_ips), 0, NULL},
    {"target_power_state", KT_CHOICE, S(target_power_state), 0,
     power_choices},
    {"vm_target_namespace", KT_STR, S(vm_target_namespace), 0, NULL},
    {"multus_namespace", KT_STR, S(multus_namespace), 0, NULL},
    {"pvc_name_template", KT_STR, S(pvc_name_template), 0, NULL},
    {"pvc_name_template_use_generate_name", KT_BOOL,
     S(pvc_name_template_use_generate_name), 0, NULL},
    {"target_labels", KT_LABELS, 0, 0, NULL},
    {"target_affinity", KT_JSON_MAP, S(target_affinity), 0, NULL},
    {"target_node_selector", KT_JSON_MAP, S(target_node_selector), 0, NULL},
    {"guest_agent_timeout", KT_INT, S(guest_agent_timeout), 1, NULL},
    {"pre_hook", KT_JSON, S(pre_hook), 0, NULL},
    {"post_hook", KT_JSON, S(post_hook), 0, NULL},
    {"expected_migration_result", KT_STR, S(expected_migration_result), 0,
     NULL},
    {NULL, KT_STR, 0, 0, NULL},
};

static const struct kspec vm_keys[] = {
    {"name", KT_NESTR, V(name), 0, NULL},
    {"source_vm_power", KT_CHOICE, V(source_vm_power), 0, power_choices},
    {"guest_agent", KT_BOOL, V(guest_agent), 0, NULL},
    {"clone", KT_BOOL, V(clone), 0, NULL},
    {"disk_type", KT_CHOICE, V(disk_type), 0, disk_type_choices},
    {"clone_name", KT_STR, V(clone_name), 0, NULL},
    {"preserve_name_format", KT_BOOL, V(preserve_name_format), 0, NULL},
    {"target_datastore_id", KT_STR, V(target_datastore_id), 0, NULL},
    {"target_esxi_host", KT_STR, V(target_esxi_host), 0, NULL},
    {"snapshots", KT_INT, V(snapshots), 0, NULL},
    {"add_disks", KT_DISKS, 0, 0, NULL},
    {NULL, KT_STR, 0, 0, NULL},
};

static const struct kspec disk_keys[] = {
    {"size_gb", KT_INT, D(size_gb), 1, NULL},
    {"disk_mode", KT_STR, D(disk_mode), 0, NULL},
    {"provision_type", KT_STR, D(provision_type), 0, NULL},
    {"datastore_path", KT_STR, D(datastore_path), 0, NULL},
    {"datastore_id", KT_STR, D(datastore_id), 0, NULL},
    {"rdm_type", KT_STR, D(rdm_type), 0, NULL},
    {NULL, KT_STR, 0, 0, NULL},
};

/* ------------------------------------------------------------- messages */

static void got_text(const struct cnode *n, char *out, size_t size)
{
    if (n->kind == CN_MAP) {
        snprintf(out, size, "a mapping");
    } else if (n->kind == CN_SEQ) {
        snprintf(out, size, n->n ? "a list" : "an empty list");
    } else if (cnode_is_null(n)) {
        snprintf(out, size, "null");
    } else {
        snprintf(out, size, "\"%.200s\"", n->text);
    }
}

static void bad(struct dctx *d, const struct cnode *n, const char *path,
                const char *expected)
{
    char where[600];
    char got[220];

    got_text(n, got, sizeof(got));
    d->rc = mtv_diag_error(d->diag, "%s: key '%s': expected %s, got %s",
                           cloc_format(&n->loc, where, sizeof(where)), path,
                           expected, got);
}

static void bad_at(struct dctx *d, const struct cloc *loc, const char *path,
                   const char *what)
{
    char where[600];

    d->rc = mtv_diag_error(d->diag, "%s: key '%s': %s",
                           cloc_format(loc, where, sizeof(where)), path,
                           what);
}

static void oom(struct dctx *d)
{
    d->rc = MTV_ENOMEM;
}

/* -------------------------------------------------------------- scalars */

bool cparse_bool(const struct cnode *n, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON",  NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO",    "off",   "Off",   "OFF", NULL};

    if (n->kind != CN_SCALAR) {
        return false;
    }
    if (!n->plain) {
        if (mtv_str_case_eq(n->text, "true") ||
            mtv_str_case_eq(n->text, "false")) {
            *out = mtv_str_case_eq(n->text, "true");
            return true;
        }
        return false;
    }
    for (size_t i = 0; yes[i] != NULL; i++) {
        if (strcmp(n->text, yes[i]) == 0 || strcmp(n->text, no[i]) == 0) {
            *out = strcmp(n->text, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

static void set_str(struct dctx *d, char **field, const char *v)
{
    char *copy = v ? mtv_strdup(v) : NULL;

    if (v != NULL && copy == NULL) {
        oom(d);
        return;
    }
    mtv_str_free_secret(*field);
    *field = copy;
}

static void dec_str(struct dctx *d, const struct kspec *k, void *base,
                    const struct cnode *n, const char *path)
{
    char **field = (char **)((char *)base + k->off);

    if (n->kind != CN_SCALAR) {
        bad(d, n, path, "string");
    } else if (k->type == KT_NESTR && (cnode_is_null(n) || !n->text[0])) {
        bad(d, n, path, "a non-empty string");
    } else {
        set_str(d, field, cnode_is_null(n) ? NULL : n->text);
    }
}

static void dec_int(struct dctx *d, const struct kspec *k, void *base,
                    const struct cnode *n, const char *path)
{
    long v = 0;
    char what[64];

    if (n->kind != CN_SCALAR || mtv_str_to_long(n->text, &v) != 0) {
        bad(d, n, path, "integer");
    } else if ((double)v < k->min) {
        snprintf(what, sizeof(what), "an integer >= %.0f", k->min);
        bad(d, n, path, what);
    } else {
        *(long *)((char *)base + k->off) = v;
    }
}

static void dec_float(struct dctx *d, const struct kspec *k, void *base,
                      const struct cnode *n, const char *path)
{
    double v = 0;
    char what[64];

    if (n->kind != CN_SCALAR || mtv_str_to_double(n->text, &v) != 0 ||
        !isfinite(v)) {
        bad(d, n, path, "number");
    } else if (v < k->min) {
        snprintf(what, sizeof(what), "a number >= %g", k->min);
        bad(d, n, path, what);
    } else {
        *(double *)((char *)base + k->off) = v;
    }
}

static void dec_bool(struct dctx *d, const struct kspec *k, void *base,
                     const struct cnode *n, const char *path)
{
    bool v = false;

    if (!cparse_bool(n, &v)) {
        bad(d, n, path, "boolean");
        return;
    }
    *(bool *)((char *)base + k->off) = v;
}

static void dec_choice(struct dctx *d, const struct kspec *k, void *base,
                       const struct cnode *n, const char *path)
{
    struct mtv_buf what = MTV_BUF_INIT;

    if (n->kind == CN_SCALAR && cnode_is_null(n)) {
        set_str(d, (char **)((char *)base + k->off), NULL);
        return;
    }
    for (size_t i = 0; n->kind == CN_SCALAR && k->choices[i]; i++) {
        if (strcmp(n->text, k->choices[i]) == 0) {
            set_str(d, (char **)((char *)base + k->off), n->text);
            return;
        }
    }
    mtv_buf_puts(&what, "one of");
    for (size_t i = 0; k->choices[i] != NULL; i++) {
        mtv_buf_printf(&what, "%s \"%s\"", i ? "," : "", k->choices[i]);
    }
    bad(d, n, path, what.data ? what.data : "a known value");
    mtv_buf_dispose(&what);
}

/* ----------------------------------------------------------- composites */

static void decode_map(struct dctx *d, const struct kspec *keys, void *base,
                       const struct cnode *map, const char *path);

static void child_path(char *out, size_t size, const char *path,
                       const char *key)
{
    if (path[0] == '\0') {
        snprintf(out, size, "%s", key);
    } else {
        snprintf(out, size, "%s.%s", path, key);
    }
}

static void dec_markers(struct dctx *d, struct mtv_strv *v,
                        const struct cnode *n, const char *path)
{
    char p[512];
    char what[300];

    if (n->kind != CN_SEQ) {
        bad(d, n, path, "a list of markers");
        return;
    }
    mtv_strv_dispose(v);
    for (size_t i = 0; i < n->n; i++) {
        const struct cnode *m = n->items[i];

        snprintf(p, sizeof(p), "%s[%zu]", path, i);
        if (m->kind != CN_SCALAR) {
            bad(d, m, p, "a marker name");
        } else if (!mtv_marker_is_known(m->text)) {
            snprintf(what, sizeof(what),
                     "unknown marker '%.100s' (known: tier0, warm, remote, "
                     "copyoffload)",
                     m->text);
            bad_at(d, &m->loc, p, what);
        } else if (!mtv_strv_contains(v, m->text) &&
                   mtv_strv_push(v, m->text) != 0) {
            oom(d);
        }
    }
}

static void dec_labels(struct dctx *d, struct mtv_scenario *s,
                       const struct cnode *n, const char *path)
{
    char p[512];

    if (cnode_is_null(n)) {
        return;
    }
    if (n->kind != CN_MAP) {
        bad(d, n, path, "a mapping of labels");
        return;
    }
    free(s->target_labels);
    s->target_labels = calloc(n->n ? n->n : 1, sizeof(*s->target_labels));
    if (s->target_labels == NULL) {
        oom(d);
        return;
    }
    s->has_target_labels = true;
    for (size_t i = 0; i < n->n; i++) {
        struct mtv_label *l = &s->target_labels[s->n_target_labels];

        child_path(p, sizeof(p), path, n->keys[i]);
        if (n->items[i]->kind != CN_SCALAR) {
            bad(d, n->items[i], p, "a label value or null");
            continue;
        }
        l->key = mtv_strdup(n->keys[i]);
        l->value = cnode_is_null(n->items[i])
                       ? NULL
                       : mtv_strdup(n->items[i]->text);
        s->n_target_labels++;
    }
}

static void dec_json(struct dctx *d, const struct kspec *k, void *base,
                     const struct cnode *n, const char *path)
{
    struct mtv_json **field = (struct mtv_json **)((char *)base + k->off);

    mtv_json_free(*field);
    *field = NULL;
    if (cnode_is_null(n)) {
        return;
    }
    if (k->type == KT_JSON_MAP && n->kind != CN_MAP) {
        bad(d, n, path, "a mapping");
        return;
    }
    *field = cnode_to_json(n);
    if (*field == NULL) {
        oom(d);
    }
}

static void dec_disks(struct dctx *d, struct mtv_config_vm *vm,
                      const struct cnode *n, const char *path)
{
    char p[512];

    if (n->kind != CN_SEQ) {
        bad(d, n, path, "a list of disks");
        return;
    }
    vm->add_disks = calloc(n->n ? n->n : 1, sizeof(*vm->add_disks));
    if (vm->add_disks == NULL) {
        oom(d);
        return;
    }
    vm->n_add_disks = n->n;
    for (size_t i = 0; i < n->n; i++) {
        snprintf(p, sizeof(p), "%s[%zu]", path, i);
        if (n->items[i]->kind != CN_MAP) {
            bad(d, n->items[i], p, "a mapping");
            continue;
        }
        decode_map(d, disk_keys, &vm->add_disks[i], n->items[i], p);
    }
}

static void dec_vm(struct dctx *d, struct mtv_config_vm *vm,
                   const struct cnode *n, const char *path)
{
    if (n->kind != CN_MAP) {
        bad(d, n, path, "a mapping");
        return;
    }
    decode_map(d, vm_keys, vm, n, path);
    if (cnode_map_get(n, "name", NULL) == NULL) {
        bad_at(d, &n->loc, path, "missing required key 'name'");
    }
}

static void dec_vms(struct dctx *d, struct mtv_scenario *s,
                    const struct cnode *n, const char *path)
{
    char p[512];

    if (n->kind != CN_SEQ || n->n == 0) {
        bad(d, n, path, "a non-empty list of VMs");
        return;
    }
    s->vms = calloc(n->n, sizeof(*s->vms));
    if (s->vms == NULL) {
        oom(d);
        return;
    }
    s->n_vms = n->n;
    for (size_t i = 0; i < n->n; i++) {
        snprintf(p, sizeof(p), "%s[%zu]", path, i);
        dec_vm(d, &s->vms[i], n->items[i], p);
    }
}

static void dec_scenario(struct dctx *d, struct mtv_scenario *s,
                         const struct cnode *n, const char *path)
{
    char where[600];

    s->origin = mtv_strdup(cloc_format(&n->loc, where, sizeof(where)));
    if (n->kind != CN_MAP) {
        bad(d, n, path, "a mapping");
        return;
    }
    decode_map(d, scenario_keys, s, n, path);
    if (cnode_map_get(n, "virtual_machines", NULL) == NULL) {
        bad_at(d, &n->loc, path, "missing required key 'virtual_machines'");
    }
}

static void dec_scenarios(struct dctx *d, struct mtv_config *c,
                          const struct cnode *n, const char *path)
{
    char p[512];

    if (n->kind != CN_MAP) {
        bad(d, n, path, "a mapping of scenarios");
        return;
    }
    c->scenarios = calloc(n->n ? n->n : 1, sizeof(*c->scenarios));
    if (c->scenarios == NULL) {
        oom(d);
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        struct mtv_scenario *s = &c->scenarios[c->n_scenarios];

        if (cnode_is_null(n->items[i])) {
            continue; /* a later file removed it */
        }
        child_path(p, sizeof(p), path, n->keys[i]);
        s->name = mtv_strdup(n->keys[i]);
        c->n_scenarios++;
        dec_scenario(d, s, n->items[i], p);
    }
}

static void dec_value(struct dctx *d, const struct kspec *k, void *base,
                      const struct cnode *n, const char *path)
{
    switch (k->type) {
    case KT_STR:
    case KT_NESTR:
        dec_str(d, k, base, n, path);
        break;
    case KT_INT:
        dec_int(d, k, base, n, path);
        break;
    case KT_FLOAT:
        dec_float(d, k, base, n, path);
        break;
    case KT_BOOL:
        dec_bool(d, k, base, n, path);
        break;
    case KT_CHOICE:
        dec_choice(d, k, base, n, path);
        break;
    case KT_MARKERS:
        dec_markers(d, (struct mtv_strv *)((char *)base + k->off), n, path);
        break;
    case KT_LABELS:
        dec_labels(d, base, n, path);
        break;
    case KT_JSON_MAP:
    case KT_JSON:
        dec_json(d, k, base, n, path);
        break;
    case KT_VMS:
        dec_vms(d, base, n, path);
        break;
    case KT_DISKS:
        dec_disks(d, base, n, path);
        break;
    case KT_SCENARIOS:
        dec_scenarios(d, base, n, path);
        break;
    }
}

static void decode_map(struct dctx *d, const struct kspec *keys, void *base,
                       const struct cnode *map, const char *path)
{
    char p[512];
    char where[600];

    for (size_t i = 0; i < map->n && d->rc != MTV_ENOMEM; i++) {
        const struct kspec *k = keys;

        while (k->name != NULL && strcmp(k->name, map->keys[i]) != 0) {
            k++;
        }
        child_path(p, sizeof(p), path, map->keys[i]);
        if (k->name == NULL) {
            d->rc = mtv_diag_error(
                d->diag, "%s: unknown key '%s'",
                cloc_format(&map->key_locs[i], where, sizeof(where)), p);
            continue;
        }
        dec_value(d, k, base, map->items[i], p);
    }
}

int cdecode_config(struct mtv_config *c, const struct cnode *root,
                   struct mtv_diag *diag)
{
    struct dctx d = {diag, 0};

    decode_map(&d, global_keys, c, root, "");
    return d.rc;
}
