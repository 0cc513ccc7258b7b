/* flow: steps 1-3 (reference sections 1.5-1.7): maps and the Plan. */
#include "flow_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct flow_scenario *state_of(struct mtv_step_ctx *ctx)
{
    return ctx->state;
}

static void providers_of(const struct flow_scenario *st,
                         struct mtv_fl_providers *p)
{
    p->source.name = st->fs->src_provider;
    p->source.ns = st->fs->target_ns;
    p->destination.name = st->dst_provider;
    p->destination.ns = st->fs->target_ns;
}

/* GET an inventory collection of the source provider. */
static int inventory_list(struct mtv_json **out, struct flow_scenario *st,
                          enum mtv_fl_inv what, struct mtv_error *err)
{
    struct flow_session *fs = st->fs;
    char *path = NULL;
    int rc = mtv_forklift_inv_path(&path, what, fs->inv_provider_id, NULL, err);

    rc = rc ? rc
            : flow_inventory_get(out, st->conn, path,
                                 flow_seconds(fs->cfg->inventory_timeout), err);
    free(path);
    return rc;
}

/* The copy-offload storage Secret (section 1.10). */
static int storage_secret(struct flow_scenario *st, struct mtv_error *err)
{
    const struct mtv_copyoffload *co = st->fs->src->copyoffload;
    struct mtv_fl_kv kv[12];
    struct mtv_fl_meta meta = {NULL, st->fs->target_ns, st->fs->sid};
    struct mtv_json *obj = NULL;
    size_t n = 0;
    int rc;

    kv[n++] = (struct mtv_fl_kv){"STORAGE_HOSTNAME", co->storage_hostname};
    kv[n++] = (struct mtv_fl_kv){"STORAGE_USERNAME", co->storage_username};
    kv[n++] = (struct mtv_fl_kv){"STORAGE_PASSWORD", co->storage_password};
    if (co->ontap_svm != NULL) {
        kv[n++] = (struct mtv_fl_kv){"ONTAP_SVM", co->ontap_svm};
    }
    if (co->vantara_storage_id != NULL) {
        kv[n++] = (struct mtv_fl_kv){"STORAGE_ID", co->vantara_storage_id};
        kv[n++] = (struct mtv_fl_kv){"STORAGE_PORT", co->vantara_storage_port};
        kv[n++] = (struct mtv_fl_kv){"HOSTGROUP_ID_LIST",
                                     co->vantara_hostgroup_id_list};
    }
    if (co->pure_cluster_prefix != NULL) {
        kv[n++] =
            (struct mtv_fl_kv){"PURE_CLUSTER_PREFIX", co->pure_cluster_prefix};
    }
    if (co->powerflex_system_id != NULL) {
        kv[n++] =
            (struct mtv_fl_kv){"POWERFLEX_SYSTEM_ID", co->powerflex_system_id};
    }
    if (co->powermax_symmetrix_id != NULL) {
        kv[n++] = (struct mtv_fl_kv){"POWERMAX_SYMMETRIX_ID",
                                     co->powermax_symmetrix_id};
    }
    rc = mtv_naming_auto(&st->storage_secret, st->fs->sid, st->fs->base_name,
                         MTV_NAME_PLAIN, err);
    meta.name = st->storage_secret;
    rc = rc ? rc : mtv_forklift_build_storage_secret(&obj, &meta, kv, n, err);
    rc = rc ? rc
            : flow_create(NULL, st->fs, st->conn->kube, st->sc->name, "Secret",
                          obj, err);
    mtv_json_free(obj);
    return rc;
}

static int storage_sources(struct mtv_strv *ds, struct flow_scenario *st,
                           struct mtv_error *err)
{
    struct mtv_json *list = NULL;
    int rc;

    if (st->sc->copyoffload) {
        return mtv_strv_push(ds, st->fs->src->copyoffload->datastore_id);
    }
    rc = inventory_list(&list, st, MTV_FL_INV_DATASTORES, err);
    for (size_t i = 0; rc == 0 && i < st->n_vms; i++) {
        rc = mtv_forklift_inv_vm_datastores(ds, st->vms[i].inv_vm, list, err);
    }
    mtv_json_free(list);
    return rc;
}

int flow_step_storagemap(struct mtv_step_ctx *ctx, struct mtv_error *err)
{
    struct flow_scenario *st = state_of(ctx);
    struct mtv_strv ds = MTV_STRV_INIT;
    struct mtv_fl_storage_map in;
    struct mtv_fl_offload off;
    struct mtv_fl_meta meta = {NULL, st->fs->target_ns, st->fs->sid};
    struct mtv_json *obj = NULL;
    int rc = storage_sources(&ds, st, err);

    memset(&in, 0, sizeof(in));
    providers_of(st, &in.providers);
    in.storage_class = st->fs->cfg->storage_class;
    in.datastores = &ds;
    if (rc == 0 && st->sc->copyoffload) {
        rc = storage_secret(st, err);
        off.secret_name = st->storage_secret;
        off.vendor = st->fs->src->copyoffload->storage_vendor_product;
        in.offload = &off;
    }
    rc = rc ? rc
            : mtv_naming_auto(&st->storage_map, st->fs->sid, st->fs->base_name,
                              MTV_NAME_PLAIN, err);
    meta.name = st->storage_map;
    rc = rc ? rc : mtv_forklift_build_storage_map(&obj, &meta, &in, err);
    rc = rc ? rc
            : flow_create(&st->smap, st->fs, st->conn->kube, st->sc->name,
                          "StorageMap", obj, err);
    mtv_json_free(obj);
    mtv_strv_dispose(&ds);
    return rc;
}

static int create_nads(struct flow_scenario *st, size_t n_networks,
                       const char *nad_ns, struct mtv_strv *nads,
                       struct mtv_error *err)
{
    int rc = 0;

    for (size_t i = 1; rc == 0 && i < n_networks; i++) {
        char name[MTV_NAD_NAME_MAX + 1];
        struct mtv_fl_meta meta = {name, nad_ns, st->fs->sid};
        struct mtv_json *obj = NULL;

        rc = mtv_naming_nad(name, sizeof(name), st->fs->sid, st->index,
                            (unsigned)i, err);
        rc = rc ? rc : mtv_forklift_build_nad(&obj, &meta, (unsigned)i, err);
        rc = rc ? rc
                : flow_create(NULL, st->fs, st->conn->kube, st->sc->name,
                              "NetworkAttachmentDefinition", obj, err);
        rc = rc ? rc : mtv_strv_push(nads, name);
        mtv_json_free(obj);
    }
    return rc;
}

int flow_step_networkmap(struct mtv_step_ctx *ctx, struct mtv_error *err)
{
    struct flow_scenario *st = state_of(ctx);
    struct mtv_strv nets = MTV_STRV_INIT, nads = MTV_STRV_INIT;
    struct mtv_fl_network_map in;
    struct mtv_fl_meta meta = {NULL, st->fs->target_ns, st->fs->sid};
    struct mtv_json *list = NULL, *obj = NULL;
    const char *nad_ns =
        st->sc->multus_namespace ? st->sc->multus_namespace : st->vm_ns;
    int rc = inventory_list(&list, st, MTV_FL_INV_NETWORKS, err);

    for (size_t i = 0; rc == 0 && i < st->n_vms; i++) {
        rc = mtv_forklift_inv_vm_networks(&nets, st->vms[i].inv_vm, list, err);
    }
    rc = rc ? rc : create_nads(st, nets.len, nad_ns, &nads, err);
    memset(&in, 0, sizeof(in));
    providers_of(st, &in.providers);
    in.networks = &nets;
    in.nads = &nads;
    in.nad_namespace = nad_ns;
    rc = rc ? rc
            : mtv_naming_auto(&st->network_map, st->fs->sid, st->fs->base_name,
                              MTV_NAME_PLAIN, err);
    meta.name = st->network_map;
    rc = rc ? rc : mtv_forklift_build_network_map(&obj, &meta, &in, err);
    rc = rc ? rc
            : flow_create(&st->nmap, st->fs, st->conn->kube, st->sc->name,
                          "NetworkMap", obj, err);
    mtv_json_free(obj);
    mtv_json_free(list);
    mtv_strv_dispose(&nets);
    mtv_strv_dispose(&nads);
    return rc;
}

/* target_labels as an object (null values stay null: the builder fills
 * in the session id). */
static struct mtv_json *labels_json(const struct mtv_scenario *sc)
{
    struct mtv_json *o = NULL;

    if (!sc->has_target_labels) {
        return NULL;
    }
    o = mtv_json_new_object();
    for (size_t i = 0; o != NULL && i < sc->n_target_labels; i++) {
        const struct mtv_label *l = &sc->target_labels[i];
        struct mtv_json *v =
            l->value ? mtv_json_new_string(l->value) : mtv_json_new_null();
        /* keys hold dots and slashes: set the member directly */
        char *key = NULL;
        struct mtv_buf b = MTV_BUF_INIT;
        for (const char *p = l->key; *p != '\0'; p++) {
            if (*p == '.' || *p == '[' || *p == '\\') {
                mtv_buf_puts(&b, "\\");
            }
            mtv_buf_append(&b, p, 1);
        }
        key = mtv_buf_detach(&b);
        mtv_json_set_take(o, key, v);
        free(key);
    }
    return o;
}

static int wait_plan_ready(struct flow_scenario *st, struct mtv_step_ctx *ctx,
                           struct mtv_error *err)
{
    struct mtv_json *last = NULL;
    struct mtv_buf why = MTV_BUF_INIT;
    int rc = flow_wait(&last, st->conn->kube, "Plan", st->fs->target_ns,
                       st->plan, mtv_forklift_pred_plan_ready, NULL,
                       st->fs->cfg->plan_ready_timeout, "be Ready", err);

    if (rc == MTV_ETIMEOUT || (rc != 0 && rc != MTV_EINTR && last)) {
        struct mtv_buf details = MTV_BUF_INIT;

        mtv_forklift_plan_readiness(last, &why);
        mtv_buf_printf(&details, "Plan '%s/%s' not Ready after %lds: %s",
                       st->fs->target_ns, st->plan,
                       st->fs->cfg->plan_ready_timeout,
                       why.data ? why.data : "no conditions");
        /* the step message is one bounded line; the whole list of
         * blocking conditions goes to stderr and to the step's details */
        flow_progress(st->fs, "%s: %s", st->sc->name, details.data);
        mtv_step_set_details(ctx, details.data);
        rc = mtv_error_set(err, rc, "flow", "%s", details.data);
        mtv_error_set_remote(err, NULL); /* the blockers say it all */
        mtv_buf_dispose(&details);
    }
    if (rc == 0) {
        st->plan_obj = last;
        last = NULL;
    }
    mtv_buf_dispose(&why);
    mtv_json_free(last);
    return rc;
}

static int has_plan_secret(const struct mtv_json *list, const char *prefix)
{
    for (const struct mtv_json *it =
             mtv_json_first(mtv_json_get(list, "items"));
         it != NULL; it = mtv_json_next(it)) {
        if (mtv_str_has_prefix(mtv_json_string_or(it, "metadata.name", ""),
                               prefix)) {
            return 1;
        }
    }
    return 0;
}

/*
 * Copy-offload: Forklift makes a "<plan>-..." Secret for the populators
 * once the Plan is Ready (reference 1.10). Like the reference, a missing
 * one is only a warning: the migration step shows what follows.
 */
static void wait_plan_secret(struct flow_scenario *st)
{
    struct mtv_deadline dl = flow_seconds(60);
    struct mtv_kube_ref ref;
    struct mtv_error err;
    char *prefix = mtv_strdup_printf("%s-", st->plan);
    int found = 0;

    mtv_error_clear(&err);
    while (flow_ref(&ref, "Secret", st->fs->target_ns, NULL, &err) == 0 &&
           !found && !mtv_deadline_expired(&dl)) {
        struct mtv_json *list = NULL;
        if (mtv_kube_list(&list, st->conn->kube, &ref, NULL, &err) == 0) {
            found = has_plan_secret(list, prefix);
        }
        mtv_json_free(list);
        if (!found) {
            flow_sleep_ms(1000);
        }
    }
    if (!found) {
        mtv_log(MTV_LOG_WARN, "flow",
                "no Secret '%s*' in '%s' 60s after Plan '%s' was Ready", prefix,
                st->fs->target_ns, st->plan);
    }
    free(prefix);
}

int flow_step_plan(struct mtv_step_ctx *ctx, struct mtv_error *err)
{
    struct flow_scenario *st = state_of(ctx);
    const struct mtv_scenario *sc = st->sc;
    struct mtv_fl_plan_vm *vms = calloc(st->n_vms + 1, sizeof(*vms));
    struct mtv_fl_meta meta = {NULL, st->fs->target_ns, st->fs->sid};
    struct mtv_json *labels = labels_json(sc), *obj = NULL;
    struct mtv_fl_plan in;
    int rc = vms == NULL ? MTV_ENOMEM : 0;

    for (size_t i = 0; rc == 0 && i < st->n_vms; i++) {
        vms[i].id = st->vms[i].inv_id;
        vms[i].name = st->vms[i].clone_name;
    }
    memset(&in, 0, sizeof(in));
    providers_of(st, &in.providers);
    in.network_map = (struct mtv_fl_ref){st->network_map, st->fs->target_ns};
    in.storage_map = (struct mtv_fl_ref){st->storage_map, st->fs->target_ns};
    in.target_namespace = st->vm_ns;
    in.vms = vms;
    in.n_vms = st->n_vms;
    in.warm = sc->warm_migration;
    in.preserve_static_ips = sc->preserve_static_ips;
    in.target_power_state = sc->target_power_state;
    in.pvc_name_template = sc->pvc_name_template;
    if (sc->pvc_name_template != NULL) {
        in.pvc_name_template_use_generate_name =
            sc->pvc_name_template_use_generate_name ? MTV_FL_TRUE
                                                    : MTV_FL_FALSE;
    }
    in.target_labels = labels;
    in.target_affinity = sc->target_affinity;
    in.target_node_selector = sc->target_node_selector;
    in.copyoffload = sc->copyoffload;
    rc = rc ? rc
            : mtv_naming_auto(
                  &st->plan, st->fs->sid, st->fs->base_name,
                  sc->warm_migration ? MTV_NAME_WARM : MTV_NAME_COLD, err);
    meta.name = st->plan;
    rc = rc ? rc : mtv_forklift_build_plan(&obj, &meta, &in, err);
    rc = rc ? rc
            : flow_create(NULL, st->fs, st->conn->kube, sc->name, "Plan", obj,
                          err);
    rc = rc ? rc : wait_plan_ready(st, ctx, err);
    if (rc == 0 && sc->copyoffload) {
        wait_plan_secret(st);
    }
    if (rc == 0) {
        flow_progress(st->fs, "%s: Plan '%s' Ready", sc->name, st->plan);
    }
    mtv_json_free(obj);
    mtv_json_free(labels);
    free(vms);
    return rc;
}
