/* flow: per-scenario set-up (reference section 1.4): clones with CBT. */
#include "flow_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct flow_session *session_of(const struct mtv_step_ctx *ctx)
{
    return ctx->session->session;
}

/* Get-or-create a namespace the scenario names (vm_target_namespace). */
static int ensure_namespace(struct flow_scenario *st, const char *name,
                            struct mtv_error *err)
{
    struct mtv_json *obj = NULL;
    int rc = flow_get(&obj, st->conn->kube, "Namespace", NULL, name, err);

    mtv_json_free(obj);
    if (rc == MTV_ENOTFOUND) {
        mtv_error_clear(err);
        rc = flow_namespace_create(st->fs, st->conn->kube, name, st->sc->name,
                                   err);
    }
    return rc;
}

struct clone_ledger {
    struct flow_session *fs;
    size_t seq;
};

static int vm_clone_name(char **out, struct flow_scenario *st,
                         const struct mtv_config_vm *vm, struct mtv_error *err)
{
    const struct mtv_config *cfg = st->fs->cfg;
    char *suffix = NULL;
    int rc;

    if (vm->clone_name != NULL && vm->clone_name[0] != '\0') {
        return mtv_naming_clone(out, st->fs->sid, vm->clone_name, "", NULL,
                                err);
    }
    rc = mtv_naming_vm_suffix(&suffix, cfg->storage_class,
                              cfg->target_ocp_version, st->sc->warm_migration,
                              err);
    rc = rc ? rc
            : mtv_naming_clone(out, st->fs->sid, vm->name, suffix, NULL, err);
    free(suffix);
    return rc;
}

static int clone_vm(struct flow_scenario *st, struct flow_vm *v,
                    struct mtv_error *err)
{
    struct mtv_vsphere_clone_spec spec = MTV_VSPHERE_CLONE_SPEC_INIT;
    struct mtv_vsphere_add_disk *disks = NULL;
    struct mtv_ledger_obj lo;
    const struct mtv_config_vm *vm = v->cfg;
    int rc;

    memset(&lo, 0, sizeof(lo));
    lo.kind = MTV_LEDGER_KIND_CLONE;
    lo.name = v->clone_name;
    lo.scenario = st->sc->name;
    rc = mtv_ledger_record(st->fs->ledger, &lo, &v->seq, err);
    if (rc == 0 && vm->n_add_disks > 0) {
        disks = calloc(vm->n_add_disks, sizeof(*disks));
        rc = disks == NULL ? MTV_ENOMEM : 0;
    }
    for (size_t i = 0; rc == 0 && i < vm->n_add_disks; i++) {
        disks[i].size_gb = vm->add_disks[i].size_gb;
        disks[i].provision_type = vm->add_disks[i].provision_type;
        disks[i].disk_mode = vm->add_disks[i].disk_mode;
        disks[i].datastore = vm->add_disks[i].datastore_id;
        disks[i].datastore_path = vm->add_disks[i].datastore_path;
    }
    spec.source = vm->name;
    spec.name = v->clone_name;
    spec.datastore = vm->target_datastore_id;
    spec.host = vm->target_esxi_host;
    if (st->sc->copyoffload && st->fs->src->copyoffload != NULL) {
        /* the clone lives on the XCOPY datastore (section 1.10) */
        const struct mtv_copyoffload *co = st->fs->src->copyoffload;
        spec.datastore = spec.datastore ? spec.datastore : co->datastore_id;
        spec.host = spec.host ? spec.host : co->esxi_host;
    }
    spec.disk_type = vm->disk_type;
    spec.warm = st->sc->warm_migration;
    spec.add_disks = disks;
    spec.n_add_disks = vm->n_add_disks;
    rc = rc ? rc : mtv_vsphere_clone_vm(st->conn->vs, &spec, &v->moref, err);
    free(disks);
    rc = rc ? rc
            : mtv_ledger_set_moref(st->fs->ledger, v->seq, v->moref.value, err);
    rc = rc ? rc
            : mtv_ledger_mark(st->fs->ledger, v->seq, MTV_LEDGER_CREATED, err);
    return rc != 0 ? mtv_error_prefix(err, "clone '%s' from '%s'",
                                      v->clone_name, vm->name)
                   : 0;
}

static int set_power(struct flow_scenario *st, struct flow_vm *v,
                     struct mtv_error *err)
{
    struct mtv_vsphere *vs = st->conn->vs;
    const char *want = v->cfg->source_vm_power;
    int64_t guest_ms = (int64_t)st->fs->cfg->guest_agent_timeout * 1000;
    int rc = 0;

    if (mtv_str_eq(want, "on")) {
        rc = mtv_vsphere_power_on(vs, &v->moref, 300000, err);
        rc = rc ? rc : mtv_vsphere_wait_guest(vs, &v->moref, guest_ms, err);
    } else if (mtv_str_eq(want, "off")) {
        rc = mtv_vsphere_power_off(vs, &v->moref, 300000, err);
    }
    return rc != 0 ? mtv_error_prefix(err, "power %s '%s'", want, v->clone_name)
                   : 0;
}

static int make_snapshots(struct flow_scenario *st, struct flow_vm *v,
                          struct mtv_error *err)
{
    for (long i = 0; i < v->cfg->snapshots; i++) {
        struct mtv_moref snap;
        char name[64];
        int rc;

        snprintf(name, sizeof(name), "%s-snapshot-%ld", st->fs->sid, i + 1);
        rc = mtv_vsphere_create_snapshot(st->conn->vs, &v->moref, name,
                                         "mtvtest", false, false, &snap, err);
        if (rc != 0) {
            return mtv_error_prefix(err, "snapshot '%s'", name);
        }
    }
    return 0;
}

/* Wait until the clone is in the inventory (and ready for warm). */
static int wait_inventory(struct flow_scenario *st, struct flow_vm *v,
                          struct mtv_error *err)
{
    struct flow_session *fs = st->fs;
    struct mtv_deadline dl = flow_seconds(fs->cfg->inventory_timeout);
    struct mtv_buf why = MTV_BUF_INIT;
    char *path = NULL, *url = NULL;
    int rc = mtv_forklift_inv_path(&path, MTV_FL_INV_VMS, fs->inv_provider_id,
                                   NULL, err);

    url = rc == 0 ? mtv_strdup_printf("%s?detail=4", path) : NULL;
    while (rc == 0 && v->inv_vm == NULL) {
        struct mtv_json *list = NULL;
        const struct mtv_json *vm = NULL;
        struct mtv_error ignore;

        mtv_buf_reset(&why);
        rc = flow_inventory_get(&list, st->conn, url, dl, err);
        if (rc == 0 &&
            mtv_forklift_inv_find_vm(&vm, list, v->clone_name, &ignore) == 0 &&
            (!st->sc->warm_migration ||
             mtv_forklift_inv_vm_warm_ready(vm, &why))) {
            v->inv_vm = mtv_json_dup(vm);
            v->inv_id = mtv_strdup(mtv_json_string_or(vm, "id", ""));
        }
        mtv_json_free(list);
        if (rc == 0 && v->inv_vm == NULL && mtv_deadline_expired(&dl)) {
            rc = mtv_error_set(
                err, mtv_interrupted() ? MTV_EINTR : MTV_ETIMEOUT, "flow",
                "VM '%s' not ready in the inventory after "
                "%lds%s%s",
                v->clone_name, fs->cfg->inventory_timeout, why.data ? ": " : "",
                why.data ? why.data : "");
        } else if (rc == 0 && v->inv_vm == NULL) {
            flow_sleep_ms(1000);
        }
    }
    mtv_buf_dispose(&why);
    free(path);
    free(url);
    return rc;
}

/*
 * Copy-offload: cloud-init must have finished in the source guest
 * (reference 1.4, vmware_cloud_init_ready): SSH straight to the guest IP.
 */
static int wait_cloud_init(struct flow_scenario *st, struct flow_vm *v,
                           struct mtv_error *err)
{
    struct mtv_deadline dl = flow_seconds(st->fs->cfg->ssh_timeout);
    int rc = MTV_ETIMEOUT;

    while (!mtv_deadline_expired(&dl)) {
        struct mtv_ssh_result r;
        memset(&r, 0, sizeof(r));
        rc = flow_source_ssh(st, v, "ls /cloud-init.finish", &r, err);
        rc = rc == 0 && r.exit_status != 0 ? MTV_ENOTFOUND : rc;
        mtv_ssh_result_dispose(&r);
        if (rc == 0 || rc == MTV_EAUTH) {
            break;
        }
        flow_sleep_ms(2000);
    }
    if (rc != 0) {
        mtv_error_prefix(err, "cloud-init on '%s'", v->clone_name);
    }
    return rc;
}

static int prepare_vm(struct flow_scenario *st, struct flow_vm *v,
                      struct mtv_error *err)
{
    int rc = vm_clone_name(&v->clone_name, st, v->cfg, err);

    rc = rc ? rc : clone_vm(st, v, err);
    rc = rc ? rc : make_snapshots(st, v, err);
    rc = rc ? rc : set_power(st, v, err);
    rc = rc ? rc
            : mtv_vsphere_lookup_vm_record(&v->before, st->conn->vs, &v->moref,
                                           err);
    if (rc == 0 && st->sc->copyoffload &&
        mtv_str_eq(v->cfg->source_vm_power, "on")) {
        rc = wait_cloud_init(st, v, err);
    }
    rc = rc ? rc : flow_resolve_ip_origin(st, v, err);
    rc = rc ? rc : wait_inventory(st, v, err);
    if (rc == 0) {
        flow_progress(st->fs,
                      "%s: clone '%s' of '%s' ready (power %s, "
                      "CBT %s)",
                      st->sc->name, v->clone_name, v->cfg->name,
                      v->before->power_state,
                      v->before->change_tracking_enabled ? "on" : "off");
    }
    return rc;
}

int flow_scenario_begin(struct mtv_step_ctx *ctx, struct mtv_error *err)
{
    struct flow_session *fs = session_of(ctx);
    struct flow_scenario *st = calloc(1, sizeof(*st));
    const struct mtv_scenario *sc = ctx->scenario;
    int rc = 0;

    if (st == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "flow", "out of memory");
    }
    ctx->state = st;
    st->fs = fs;
    st->sc = sc;
    st->conn = &fs->conn;
    pthread_mutex_lock(&fs->lock);
    st->index = fs->n_scenarios++;
    pthread_mutex_unlock(&fs->lock);
    st->dst_provider = fs->dst_provider;
    if (ctx->session->opts->jobs > 1) {
        /* parallel scenarios: clients belong to one thread at a time */
        rc =
            flow_conn_clone(&st->own, &fs->conn, fs->kc, fs->src, fs->cfg, err);
        st->conn = &st->own;
    }
    if (rc == 0 && mtv_scenario_has_marker(sc, "remote")) {
        rc = flow_remote_provider(fs, st->conn->kube, sc->name, err);
        st->dst_provider = fs->remote_provider;
    }
    if (rc == 0 && sc->vm_target_namespace != NULL) {
        st->vm_ns = mtv_strdup(sc->vm_target_namespace);
        rc = ensure_namespace(st, st->vm_ns, err);
    } else if (rc == 0) {
        st->vm_ns = mtv_strdup(fs->target_ns);
    }
    st->vms = calloc(sc->n_vms ? sc->n_vms : 1, sizeof(*st->vms));
    if (rc == 0 && st->vms == NULL) {
        rc = mtv_error_set(err, MTV_ENOMEM, "flow", "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < sc->n_vms; i++) {
        st->vms[i].cfg = &sc->vms[i];
        st->n_vms++;
        rc = prepare_vm(st, &st->vms[i], err);
        if (rc == 0 &&
            mtv_scenario_result_add_vm(ctx->result, st->vms[i].clone_name,
                                       sc->vms[i].name) == NULL) {
            rc = mtv_error_set(err, MTV_ENOMEM, "flow", "out of memory");
        }
    }
    if (rc != 0 && mtv_interrupted() != 0) {
        rc = mtv_error_set(err, MTV_EINTR, "flow", "interrupted");
    }
    return rc;
}

void flow_scenario_end(struct mtv_step_ctx *ctx)
{
    struct flow_scenario *st = ctx->state;

    if (st == NULL) {
        return;
    }
    flow_collect_diagnostics(ctx); /* before teardown deletes anything */
    for (size_t i = 0; i < st->n_vms; i++) {
        free(st->vms[i].clone_name);
        mtv_vm_record_free(st->vms[i].before);
        mtv_json_free(st->vms[i].inv_vm);
        free(st->vms[i].inv_id);
    }
    free(st->vms);
    flow_conn_dispose(&st->own);
    free(st->vm_ns);
    free(st->storage_map);
    free(st->network_map);
    free(st->plan);
    free(st->migration);
    free(st->migration_uid);
    free(st->storage_secret);
    mtv_json_free(st->smap);
    mtv_json_free(st->nmap);
    mtv_json_free(st->plan_obj);
    free(st);
    ctx->state = NULL;
}
