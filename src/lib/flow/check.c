/* flow: step 5, check_vms (reference section 3) over the checks module. */
#include "flow_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A vSphere record seen as the checks' source model (owns the arrays). */
struct src_model {
    struct mtv_checks_source src;
    struct mtv_checks_src_nic *nics;
    struct mtv_checks_src_ip *ips;
    struct mtv_checks_src_disk *disks;
    struct mtv_checks_snapshot *snaps;
};

static size_t count_ips(const struct mtv_vm_record *r)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n_nics; i++) {
        n += r->nics[i].n_ips;
    }
    return n;
}

static void model_nics(struct src_model *m, const struct mtv_vm_record *r)
{
    size_t k = 0;

    for (size_t i = 0; i < r->n_nics; i++) {
        const struct mtv_vm_nic *n = &r->nics[i];
        m->nics[i].label = n->label;
        m->nics[i].mac = n->mac;
        m->nics[i].network = n->network;
        m->nics[i].ips = &m->ips[k];
        m->nics[i].n_ips = n->n_ips;
        for (size_t j = 0; j < n->n_ips; j++, k++) {
            m->ips[k].ip = n->ips[j].address;
            m->ips[k].prefix = n->ips[j].prefix_length;
            m->ips[k].gateway = n->ips[j].gateway;
            m->ips[k].is_static = n->ips[j].is_static;
        }
    }
}

static void model_disks(struct src_model *m, const struct mtv_vm_record *r,
                        const struct mtv_json *inv_vm)
{
    for (size_t i = 0; i < r->n_disks; i++) {
        const struct mtv_vm_disk *d = &r->disks[i];
        const char *file = mtv_forklift_inv_disk_file(inv_vm, d->key);
        m->disks[i].label = d->label;
        m->disks[i].size_kb = d->capacity_kb;
        m->disks[i].datastore = d->datastore;
        m->disks[i].key = d->key;
        m->disks[i].controller_key = d->controller_key;
        m->disks[i].unit_number = d->unit_number;
        m->disks[i].file = file != NULL ? file : d->file_name;
    }
    for (size_t i = 0; i < r->n_snapshots; i++) {
        m->snaps[i].id = r->snapshots[i].id;
        m->snaps[i].name = r->snapshots[i].name;
        m->snaps[i].state = r->snapshots[i].state;
        m->snaps[i].create_time = r->snapshots[i].create_time;
    }
}

static int src_model_init(struct src_model *m, const struct mtv_vm_record *r,
                          const struct mtv_json *inv_vm)
{
    memset(m, 0, sizeof(*m));
    m->nics = calloc(r->n_nics + 1, sizeof(*m->nics));
    m->ips = calloc(count_ips(r) + 1, sizeof(*m->ips));
    m->disks = calloc(r->n_disks + 1, sizeof(*m->disks));
    m->snaps = calloc(r->n_snapshots + 1, sizeof(*m->snaps));
    if (!m->nics || !m->ips || !m->disks || !m->snaps) {
        return MTV_ENOMEM;
    }
    model_nics(m, r);
    model_disks(m, r, inv_vm);
    m->src.name = r->name;
    m->src.uuid = r->uuid;
    m->src.win_os = r->win_os;
    m->src.power_state = r->power_state;
    m->src.num_cpu = r->num_cpu;
    m->src.cores_per_socket = r->num_cores_per_socket;
    m->src.memory_mb = r->memory_mb;
    m->src.nics = m->nics;
    m->src.n_nics = r->n_nics;
    m->src.disks = m->disks;
    m->src.n_disks = r->n_disks;
    m->src.snapshots = m->snaps;
    m->src.n_snapshots = r->n_snapshots;
    return 0;
}

static void src_model_dispose(struct src_model *m)
{
    free(m->nics);
    free(m->ips);
    free(m->disks);
    free(m->snaps);
}

/* Everything check_vms reads from the cluster for one scenario. */
struct cluster_facts {
    struct mtv_json *provider;
    struct mtv_json *secret;
    struct mtv_json *cluster_version;
    struct mtv_json *labels;
};

static void read_cluster_facts(struct flow_scenario *st,
                               struct cluster_facts *f)
{
    struct flow_session *fs = st->fs;
    struct mtv_error err;

    mtv_error_clear(&err);
    flow_get(&f->provider, st->conn->kube, "Provider", fs->target_ns,
             fs->src_provider, &err);
    flow_get(&f->secret, st->conn->kube, "Secret", fs->target_ns,
             fs->src_secret, &err);
    flow_get(&f->cluster_version, st->conn->kube, "ClusterVersion", NULL,
             "version", &err);
    f->labels = mtv_json_dup(mtv_json_get(st->plan_obj, "spec.targetLabels"));
}

static void plan_facts(struct mtv_checks_plan *p, struct flow_scenario *st,
                       const struct cluster_facts *f)
{
    const struct mtv_config *cfg = st->fs->cfg;
    const struct mtv_provider *src = st->fs->src;

    memset(p, 0, sizeof(*p));
    p->source_type = mtv_provider_type_name(src->type);
    p->storage_class = cfg->storage_class;
    p->target_power_state = st->sc->target_power_state;
    p->pvc_name_template = st->sc->pvc_name_template;
    p->pvc_name_use_generate_name = st->sc->pvc_name_template_use_generate_name;
    p->target_labels = st->sc->has_target_labels ? f->labels : NULL;
    p->target_affinity = st->sc->target_affinity;
    p->preserve_static_ips = st->sc->preserve_static_ips;
    p->session_id = st->fs->sid;
    p->network_map = mtv_json_get(st->nmap, "spec.map");
    p->storage_map = mtv_json_get(st->smap, "spec.map");
    p->cluster_version =
        mtv_json_string_or(f->cluster_version, "status.desired.version", NULL);
    p->source_insecure_skip_verify = cfg->source_provider_insecure_skip_verify;
    p->provider = f->provider;
    p->provider_secret = f->secret;
    p->guest_linux_user = src->guest_vm_linux_user;
    p->guest_linux_password = src->guest_vm_linux_password;
    p->guest_win_user = src->guest_vm_win_user;
    p->guest_win_password = src->guest_vm_win_password;
    p->guest_agent_timeout_ms = (int64_t)cfg->guest_agent_timeout * 1000;
    p->ssh_timeout_ms = (int64_t)cfg->ssh_timeout * 1000;
    p->static_ip_timeout_ms = (int64_t)cfg->static_ip_timeout * 1000;
    p->guest_agent_interval_ms = 1000;
    p->ssh_interval_ms = 2000;
    p->static_ip_interval_ms = 2000;
}

static void cluster_facts_dispose(struct cluster_facts *f)
{
    mtv_json_free(f->provider);
    mtv_json_free(f->secret);
    mtv_json_free(f->cluster_version);
    mtv_json_free(f->labels);
}

/* The destination objects of one VM. */
static int read_dest(struct mtv_checks_dest **out, struct flow_scenario *st,
                     const char *name, struct mtv_error *err)
{
    struct mtv_kube_client *kube = st->conn->kube;
    struct mtv_json *vm = NULL, *vmi = NULL, *pvcs = NULL;
    struct mtv_kube_ref ref;
    struct mtv_checks_dest_input in;
    int rc = flow_get(&vm, kube, "VirtualMachine", st->vm_ns, name, err);

    if (rc == 0 && flow_get(&vmi, kube, "VirtualMachineInstance", st->vm_ns,
                            name, err) == MTV_ENOTFOUND) {
        mtv_error_clear(err);
    }
    rc =
        rc ? rc : flow_ref(&ref, "PersistentVolumeClaim", st->vm_ns, NULL, err);
    rc = rc ? rc : mtv_kube_list(&pvcs, kube, &ref, NULL, err);
    in.vm = vm;
    in.vmi = vmi;
    in.pvcs = pvcs;
    rc = rc ? rc : mtv_checks_dest_build(out, &in, err);
    if (rc != 0) {
        mtv_error_prefix(err, "destination VM '%s/%s'", st->vm_ns, name);
    }
    mtv_json_free(vm);
    mtv_json_free(vmi);
    mtv_json_free(pvcs);
    return rc;
}

static int get_vmi(struct mtv_json **out, const struct mtv_checks_dest *dest,
                   struct mtv_error *err, void *payload)
{
    struct flow_scenario *st = payload;

    return flow_get(out, st->conn->kube, "VirtualMachineInstance",
                    dest->namespace, dest->name, err);
}

static void record_report(struct mtv_vm_result *vr,
                          const struct mtv_checks_report *rep)
{
    for (size_t i = 0; vr != NULL && i < rep->n; i++) {
        mtv_vm_result_add_validator(vr, rep->results[i].name,
                                    rep->results[i].status,
                                    rep->results[i].message);
    }
}

#define FLOW_VM_SETTLE_SECONDS 120

/*
 * A destination VM whose spec says it runs (runStrategy Always /
 * RerunOnFailure, or running: true) has settled once it is Running and
 * ready; any other VM has settled as it is. mtvtest never starts or stops
 * it: this only waits out the moment between the Plan's Succeeded and the
 * VMI coming up, as the reference waits for a stable VM state.
 */
static int vm_settled(const struct mtv_json *vm, void *payload)
{
    const char *rs = mtv_json_string_or(vm, "spec.runStrategy", NULL);
    bool should_run = false;

    (void)payload;
    if (vm == NULL) {
        return 0;
    }
    should_run = rs != NULL ? mtv_str_eq(rs, "Always") ||
                                  mtv_str_eq(rs, "RerunOnFailure")
                            : mtv_json_bool_or(vm, "spec.running", false);
    return !should_run ||
           (mtv_str_eq(mtv_json_string_or(vm, "status.printableStatus", ""),
                       "Running") &&
            mtv_json_bool_or(vm, "status.ready", false));
}

/* Wait (bounded, by watching) for the VM to settle; a timeout is only a
 * warning: the validators then report what they find. */
static void wait_settled(struct flow_scenario *st, const char *name)
{
    struct mtv_error err;

    mtv_error_clear(&err);
    if (flow_wait(NULL, st->conn->kube, "VirtualMachine", st->vm_ns, name,
                  vm_settled, NULL, FLOW_VM_SETTLE_SECONDS, "settle",
                  &err) != 0) {
        mtv_log(MTV_LOG_WARN, "flow", "%s: VM '%s/%s' did not settle: %s",
                st->sc->name, st->vm_ns, name, err.msg);
    }
}

static int check_one(struct mtv_step_ctx *ctx, size_t i,
                     const struct mtv_checks_plan *plan, struct mtv_buf *fails,
                     struct mtv_error *err)
{
    struct flow_scenario *st = ctx->state;
    struct flow_vm *v = &st->vms[i];
    struct mtv_vm_record *after = NULL;
    struct mtv_checks_dest *dest = NULL;
    struct mtv_checks_report rep;
    struct mtv_checks_env env = {NULL, get_vmi, NULL, st};
    struct src_model now, before;
    struct mtv_checks_vm cvm;
    char *dname = NULL;
    int rc = mtv_vsphere_lookup_vm_record(&after, st->conn->vs, &v->moref, err);

    memset(&now, 0, sizeof(now));
    memset(&before, 0, sizeof(before));
    rc = rc ? rc : mtv_naming_dns1123(&dname, v->clone_name, 0, err);
    if (rc == 0) {
        wait_settled(st, dname);
    }
    rc = rc ? rc : read_dest(&dest, st, dname, err);
    rc = rc ? rc : src_model_init(&now, after, v->inv_vm);
    rc = rc ? rc : src_model_init(&before, v->before, v->inv_vm);
    if (rc == 0) {
        memset(&cvm, 0, sizeof(cvm));
        cvm.name = v->clone_name;
        cvm.source_vm_power = v->cfg->source_vm_power;
        cvm.guest_agent = v->cfg->guest_agent;
        cvm.expected_disk_count =
            st->sc->copyoffload ? (int)(1 + v->cfg->n_add_disks) : -1;
        cvm.source = &now.src;
        cvm.source_before = &before.src;
        cvm.dest = dest;
        flow_check_env(&env, st);
        rc = mtv_checks_run_all(&rep, plan, &cvm, &env);
    }
    if (rc == 0) {
        record_report(i < ctx->result->n_vms ? &ctx->result->vms[i] : NULL,
                      &rep);
        if (rep.n_failed > 0) {
            mtv_buf_printf(fails, "%svm '%s': ", fails->len ? "; " : "",
                           v->clone_name);
            mtv_checks_failed_names(&rep, fails);
        }
        flow_check_report_lines(st, v->clone_name, &rep);
    }
    flow_check_env_dispose(&env);
    src_model_dispose(&now);
    src_model_dispose(&before);
    mtv_checks_dest_free(dest);
    mtv_vm_record_free(after);
    free(dname);
    return rc;
}

int flow_step_check(struct mtv_step_ctx *ctx, struct mtv_error *err)
{
    struct flow_scenario *st = ctx->state;
    struct cluster_facts facts;
    struct mtv_checks_plan plan;
    struct mtv_buf fails = MTV_BUF_INIT;
    int rc = 0;

    memset(&facts, 0, sizeof(facts));
    read_cluster_facts(st, &facts);
    plan_facts(&plan, st, &facts);
    for (size_t i = 0; rc == 0 && i < st->n_vms; i++) {
        rc = check_one(ctx, i, &plan, &fails, err);
    }
    if (rc == 0 && fails.len > 0) {
        rc = mtv_error_set(err, MTV_EREMOTE, "checks", "validators failed: %s",
                           fails.data);
    }
    mtv_buf_dispose(&fails);
    cluster_facts_dispose(&facts);
    return rc;
}
