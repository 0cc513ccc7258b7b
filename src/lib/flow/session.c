/* flow: session set-up and close (reference section 1.2-1.3, 1.13). */
#include "flow_priv.h"
#include "precopy.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void on_signal(int signo)
{
    mtv_interrupt(signo);
}

void mtv_flow_install_signal_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: blocking calls return EINTR and see the flag */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static bool anything_to_run(const struct mtv_selection *sel)
{
    for (size_t i = 0; sel != NULL && i < sel->n; i++) {
        if (!sel->items[i].skipped) {
            return true;
        }
    }
    return false;
}

static int open_ledger(struct flow_session *fs, struct mtv_error *err)
{
    const struct mtv_run_options *o = fs->ctx->opts;
    struct mtv_ledger_info info;
    char *path = NULL;
    int rc;

    if (o->ledger_path != NULL) {
        path = mtv_strdup(o->ledger_path);
    } else if (o->report_dir != NULL) {
        path = mtv_strdup_printf("%s/ledger.json", o->report_dir);
    } else {
        path = mtv_strdup(FLOW_DEFAULT_LEDGER);
    }
    if (path == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "flow", "out of memory");
    }
    rc = mtv_mkdir_parent(path, err);
    info.session_id = fs->sid;
    info.cluster_url = mtv_kube_client_server(fs->conn.kube);
    info.vcenter_url = fs->src->api_url;
    rc = rc ? rc : mtv_ledger_create(&fs->ledger, path, &info, err);
    free(path);
    return rc;
}

static int remote_sanity(struct flow_session *fs, struct mtv_error *err)
{
    const char *want = fs->cfg->remote_ocp_cluster;
    const char *server = mtv_kube_client_server(fs->conn.kube);

    if (want == NULL || want[0] == '\0' || strstr(server, want) != NULL) {
        return 0;
    }
    return mtv_error_set(err, MTV_ECONFIG, "flow",
                         "remote_ocp_cluster '%s' is not part of the cluster "
                         "API URL '%s': the remote cluster must be the one "
                         "mtvtest is logged in to",
                         want, server);
}

static int list_kind(struct mtv_json **out, struct flow_session *fs,
                     const char *kind, const char *ns, const char *labels,
                     struct mtv_error *err)
{
    struct mtv_kube_list_options lo = {labels, NULL, 0};
    struct mtv_kube_ref ref;
    int rc = flow_ref(&ref, kind, ns, NULL, err);

    return rc != 0 ? rc : mtv_kube_list(out, fs->conn.kube, &ref, &lo, err);
}

/*
 * The MTV operator's Subscription (OLM) names the installed CSV, whose
 * spec.version is the MTV version. Without OLM (upstream Forklift) there
 * is none: a note, not a failure. Returns the installed CSV name or NULL.
 * Caller frees.
 */
static char *installed_csv(struct flow_session *fs)
{
    struct mtv_json *subs = NULL;
    struct mtv_error err;
    char *csv = NULL;

    mtv_error_clear(&err);
    if (list_kind(&subs, fs, "Subscription", fs->cfg->mtv_namespace, NULL,
                  &err) == 0) {
        for (const struct mtv_json *it =
                 mtv_json_first(mtv_json_get(subs, "items"));
             it != NULL && csv == NULL; it = mtv_json_next(it)) {
            if (mtv_str_eq(mtv_json_string_or(it, "spec.name", ""),
                           "mtv-operator")) {
                csv = mtv_strdup(
                    mtv_json_string_or(it, "status.installedCSV", NULL));
            }
        }
    }
    if (csv == NULL) {
        mtv_log(MTV_LOG_NOTE, "flow",
                "no mtv-operator Subscription with an installed CSV in '%s'",
                fs->cfg->mtv_namespace);
    }
    mtv_json_free(subs);
    return csv;
}

/* The MTV version: the Subscription's installed CSV, else any
 * mtv-operator CSV (best effort; shown in JUnit and the report). */
static void read_mtv_version(struct flow_session *fs)
{
    struct mtv_json *csvs = NULL;
    struct mtv_error err;
    char *want = installed_csv(fs);

    mtv_error_clear(&err);
    if (list_kind(&csvs, fs, "ClusterServiceVersion", fs->cfg->mtv_namespace,
                  NULL, &err) != 0) {
        mtv_log(MTV_LOG_INFO, "flow", "MTV version unknown: %s", err.msg);
        free(want);
        return;
    }
    for (const struct mtv_json *it =
             mtv_json_first(mtv_json_get(csvs, "items"));
         it != NULL; it = mtv_json_next(it)) {
        const char *name = mtv_json_string_or(it, "metadata.name", "");
        const char *v = mtv_json_string_or(it, "spec.version", NULL);
        bool match = want != NULL ? mtv_str_eq(name, want)
                                  : mtv_str_has_prefix(name, "mtv-operator");
        if (match && v != NULL && fs->ctx->result->mtv_version == NULL) {
            fs->ctx->result->mtv_version = mtv_strdup(v);
        }
    }
    mtv_json_free(csvs);
    free(want);
}

static int check_mtv_health(struct flow_session *fs, struct mtv_error *err)
{
    struct mtv_json *pods = NULL;
    size_t found = 0;
    int rc = list_kind(&pods, fs, "Pod", fs->cfg->mtv_namespace, NULL, err);

    for (const struct mtv_json *it =
             mtv_json_first(mtv_json_get(pods, "items"));
         rc == 0 && it != NULL; it = mtv_json_next(it)) {
        const char *name = mtv_json_string_or(it, "metadata.name", "");
        const char *phase = mtv_json_string_or(it, "status.phase", "Unknown");
        if (!mtv_str_has_prefix(name, "forklift-")) {
            continue;
        }
        found++;
        if (strcmp(phase, "Running") != 0 && strcmp(phase, "Succeeded")) {
            rc = mtv_error_set(err, MTV_EREMOTE, "flow",
                               "MTV is not healthy: pod '%s/%s' is %s",
                               fs->cfg->mtv_namespace, name, phase);
        }
    }
    mtv_json_free(pods);
    if (rc == 0 && found == 0) {
        rc = mtv_error_set(err, MTV_EREMOTE, "flow",
                           "MTV is not installed in namespace '%s': no "
                           "forklift-* pods",
                           fs->cfg->mtv_namespace);
    }
    if (rc == 0) {
        read_mtv_version(fs);
    }
    return rc;
}

static int precopy_applied(const struct mtv_json *obj, void *payload)
{
    long want = *(const long *)payload;
    long got = 0;
    struct mtv_error err;

    mtv_error_clear(&err);
    if (obj == NULL) {
        return 0;
    }
    return mtv_forklift_deployment_precopy(&got, obj, &err) == 0 && got == want;
}

static int find_controller(struct flow_session *fs, struct mtv_json **fc,
                           struct mtv_error *err)
{
    struct mtv_json *list = NULL;
    const struct mtv_json *first = NULL;
    int rc = list_kind(&list, fs, "ForkliftController", fs->cfg->mtv_namespace,
                       NULL, err);

    if (rc == 0) {
        first = mtv_json_at(mtv_json_get(list, "items"), 0);
        if (first == NULL) {
            rc = mtv_error_set(err, MTV_EREMOTE, "flow",
                               "no ForkliftController in namespace '%s'",
                               fs->cfg->mtv_namespace);
        } else {
            fs->fc_name =
                mtv_strdup(mtv_json_string_or(first, "metadata.name", ""));
        }
    }
    mtv_json_free(list);
    if (rc == 0) {
        struct mtv_kube_cond running = {"Running", "True"};
        rc = flow_wait(fc, fs->conn.kube, "ForkliftController",
                       fs->cfg->mtv_namespace, fs->fc_name,
                       mtv_kube_pred_condition, &running,
                       fs->cfg->provider_ready_timeout, "be Running", err);
    }
    return rc;
}

static int setup_precopy(struct flow_session *fs, struct mtv_error *err)
{
    struct mtv_json *fc = NULL;
    long want = fs->cfg->snapshots_interval;
    int rc = find_controller(fs, &fc, err);

    mtv_json_free(fc);
    /* The lease on the controller (precopy.c): join, take or wait. */
    rc = rc ? rc : flow_precopy_enter(fs, err);
    if (rc == 0) {
        /* Confirm the operator applied it to the controller (G2). */
        rc = flow_wait(NULL, fs->conn.kube, "Deployment",
                       fs->cfg->mtv_namespace, FLOW_FC_DEPLOYMENT,
                       precopy_applied, &want, fs->cfg->provider_ready_timeout,
                       "show PRECOPY_INTERVAL", err);
    }
    if (rc == 0) {
        flow_progress(fs,
                      "ForkliftController '%s': precopy interval %ld "
                      "minute(s), applied",
                      fs->fc_name, want);
    }
    return rc != 0 ? mtv_error_prefix(err, "precopy interval") : 0;
}

int flow_namespace_create(struct flow_session *fs, struct mtv_kube_client *kube,
                          const char *name, const char *scenario,
                          struct mtv_error *err)
{
    struct mtv_fl_meta meta = {name, NULL, fs->sid};
    struct mtv_json *obj = NULL;
    int rc = mtv_forklift_build_namespace(&obj, &meta, err);

    rc = rc ? rc : flow_create(NULL, fs, kube, scenario, "Namespace", obj, err);
    mtv_json_free(obj);
    return rc;
}

/* Wait for a Provider; fail fast on ConnectionFailed with its message. */
static int wait_provider(struct flow_session *fs, struct mtv_kube_client *kube,
                         const char *name, struct mtv_error *err)
{
    struct mtv_json *last = NULL;
    struct mtv_buf why = MTV_BUF_INIT;
    int rc = flow_wait(&last, kube, "Provider", fs->target_ns, name,
                       mtv_forklift_pred_provider_ready, NULL,
                       fs->cfg->provider_ready_timeout, "be Ready", err);

    if (rc != 0 && rc != MTV_EINTR && last != NULL) {
        mtv_forklift_provider_readiness(last, &why);
        if (why.data != NULL) {
            mtv_error_set_remote(err, why.data);
        }
        mtv_error_prefix(err, "Provider '%s/%s' is not Ready", fs->target_ns,
                         name);
    }
    mtv_buf_dispose(&why);
    mtv_json_free(last);
    return rc;
}

static int source_provider(struct flow_session *fs, struct mtv_error *err)
{
    const struct mtv_provider *p = fs->src;
    struct mtv_fl_meta meta = {NULL, fs->target_ns, fs->sid};
    struct mtv_fl_vsphere_secret s = {
        p->api_url, p->username, p->password,
        fs->cfg->source_provider_insecure_skip_verify, fs->conn.vcenter_ca};
    struct mtv_fl_vsphere_provider pv;
    struct mtv_json *obj = NULL;
    int rc = mtv_naming_base_resource(&fs->base_name, fs->sid, p->type_name,
                                      p->version, p->copyoffload != NULL, err);

    rc = rc ? rc
            : mtv_naming_auto(&fs->src_secret, fs->sid, fs->base_name,
                              MTV_NAME_PLAIN, err);
    meta.name = fs->src_secret;
    rc = rc ? rc : mtv_forklift_build_vsphere_secret(&obj, &meta, &s, err);
    rc = rc ? rc
            : flow_create(NULL, fs, fs->conn.kube, NULL, "Secret", obj, err);
    mtv_json_free(obj);
    obj = NULL;
    memset(&pv, 0, sizeof(pv));
    pv.url = p->api_url;
    pv.secret.name = fs->src_secret;
    pv.secret.ns = fs->target_ns;
    pv.vddk_init_image = p->vddk_init_image;
    pv.copyoffload = p->copyoffload != NULL;
    rc = rc ? rc
            : mtv_naming_auto(&fs->src_provider, fs->sid, fs->base_name,
                              MTV_NAME_PLAIN, err);
    meta.name = fs->src_provider;
    rc = rc ? rc : mtv_forklift_build_vsphere_provider(&obj, &meta, &pv, err);
    rc = rc ? rc
            : flow_create(NULL, fs, fs->conn.kube, NULL, "Provider", obj, err);
    mtv_json_free(obj);
    return rc ? rc : wait_provider(fs, fs->conn.kube, fs->src_provider, err);
}

static int destination_provider(struct flow_session *fs, struct mtv_error *err)
{
    struct mtv_fl_meta meta = {NULL, fs->target_ns, fs->sid};
    struct mtv_json *obj = NULL;
    int rc;

    fs->dst_provider = mtv_strdup_printf("%s-local-ocp-provider", fs->sid);
    meta.name = fs->dst_provider;
    rc = mtv_forklift_build_ocp_provider(&obj, &meta, NULL, NULL, err);
    rc = rc ? rc
            : flow_create(NULL, fs, fs->conn.kube, NULL, "Provider", obj, err);
    mtv_json_free(obj);
    return rc ? rc : wait_provider(fs, fs->conn.kube, fs->dst_provider, err);
}

static int create_remote_provider(struct flow_session *fs,
                                  struct mtv_kube_client *kube,
                                  const char *scenario, struct mtv_error *err)
{
    struct mtv_fl_meta meta = {NULL, fs->target_ns, fs->sid};
    struct mtv_fl_ref secret = {NULL, fs->target_ns};
    struct mtv_json *obj = NULL;
    char *sname = mtv_strdup_printf("%s-destination-ocp-secret", fs->sid);
    int rc;

    meta.name = sname;
    secret.name = sname;
    rc = mtv_forklift_build_token_secret(&obj, &meta,
                                         mtv_kube_client_token(kube),
                                         fs->cfg->insecure_verify_skip, err);
    rc = rc ? rc : flow_create(NULL, fs, kube, scenario, "Secret", obj, err);
    mtv_json_free(obj);
    obj = NULL;
    fs->remote_provider =
        mtv_strdup_printf("%s-destination-ocp-provider", fs->sid);
    meta.name = fs->remote_provider;
    rc = rc ? rc
            : mtv_forklift_build_ocp_provider(
                  &obj, &meta, mtv_kube_client_server(kube), &secret, err);
    rc = rc ? rc : flow_create(NULL, fs, kube, scenario, "Provider", obj, err);
    mtv_json_free(obj);
    free(sname);
    return rc ? rc : wait_provider(fs, kube, fs->remote_provider, err);
}

int flow_remote_provider(struct flow_session *fs, struct mtv_kube_client *kube,
                         const char *scenario, struct mtv_error *err)
{
    int rc = 0;

    /* Scenarios run in parallel with -j: create it once. */
    pthread_mutex_lock(&fs->lock);
    if (fs->remote_provider == NULL) {
        rc = create_remote_provider(fs, kube, scenario, err);
    }
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

static int inventory_provider_id(struct flow_session *fs, struct mtv_error *err)
{
    struct mtv_deadline dl = flow_seconds(fs->cfg->provider_ready_timeout);
    char *path = NULL;
    int rc = flow_conn_inventory(&fs->conn, fs->cfg, err);

    rc = rc ? rc
            : mtv_forklift_inv_path(&path, MTV_FL_INV_PROVIDERS, NULL, NULL,
                                    err);
    while (rc == 0) {
        struct mtv_json *list = NULL;
        const char *id = NULL;
        rc = flow_inventory_get(&list, &fs->conn, path, dl, err);
        if (rc == 0 && mtv_forklift_inv_provider_id(&id, list, fs->src_provider,
                                                    fs->target_ns, err) == 0) {
            fs->inv_provider_id = mtv_strdup(id);
            mtv_json_free(list);
            break;
        }
        mtv_json_free(list);
        if (rc == 0 && mtv_deadline_expired(&dl)) {
            rc = mtv_error_set(err, MTV_ETIMEOUT, "flow",
                               "Provider '%s' did not appear in the "
                               "inventory in %lds",
                               fs->src_provider,
                               fs->cfg->provider_ready_timeout);
        } else if (rc == 0) {
            flow_sleep_ms(1000);
        }
    }
    free(path);
    return rc;
}

typedef int (*session_step_fn)(struct flow_session *fs, struct mtv_error *err);

static int step_kube(struct flow_session *fs, struct mtv_error *err)
{
    return flow_conn_kube(&fs->conn, fs->ctx->opts, fs->cfg, &fs->kc, err);
}

static int step_namespace(struct flow_session *fs, struct mtv_error *err)
{
    int rc = mtv_naming_target_namespace(&fs->target_ns, fs->sid,
                                         fs->cfg->target_namespace_prefix, err);

    return rc ? rc
              : flow_namespace_create(fs, fs->conn.kube, fs->target_ns, NULL,
                                      err);
}

static int step_vsphere(struct flow_session *fs, struct mtv_error *err)
{
    return flow_conn_vsphere(&fs->conn, fs->src, fs->cfg, err);
}

static const session_step_fn session_steps[] = {
    step_kube,
    remote_sanity,
    check_mtv_health,
    open_ledger,
    setup_precopy,
    step_vsphere,
    step_namespace,
    source_provider,
    destination_provider,
    inventory_provider_id,
};

static int check_source(struct flow_session *fs, struct mtv_error *err)
{
    if (fs->src == NULL) {
        return mtv_error_set(err, MTV_ECONFIG, "flow",
                             "source_provider '%s' is not in the providers "
                             "file",
                             fs->cfg->source_provider ? fs->cfg->source_provider
                                                      : "");
    }
    if (fs->src->type != MTV_PROVIDER_VSPHERE) {
        return mtv_error_set(err, MTV_ECONFIG, "flow",
                             "source provider '%s' is of type '%s': the warm "
                             "flow drives vSphere sources",
                             fs->src->key, fs->src->type_name);
    }
    return 0;
}

int flow_session_open(struct mtv_session_ctx *ctx, struct mtv_error *err)
{
    struct flow_session *fs = calloc(1, sizeof(*fs));
    int rc = 0;

    if (fs == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "flow", "out of memory");
    }
    ctx->session = fs;
    pthread_mutex_init(&fs->lock, NULL);
    fs->ctx = ctx;
    fs->cfg = ctx->config;
    fs->src = ctx->source;
    mtv_strlcpy(fs->sid, ctx->session_id, sizeof(fs->sid));
    if (!anything_to_run(ctx->selection)) {
        return 0;
    }
    mtv_flow_install_signal_handlers();
    rc = check_source(fs, err);
    rc = rc ? rc : mtv_ssh_hostkeys_new(&fs->hostkeys, err);
    for (size_t i = 0;
         rc == 0 && i < sizeof(session_steps) / sizeof(session_steps[0]); i++) {
        rc = session_steps[i](fs, err);
        if (rc != 0 && mtv_interrupted() != 0) {
            rc = mtv_error_set(err, MTV_EINTR, "flow",
                               "interrupted during session set-up");
        }
    }
    if (rc == 0) {
        flow_progress(fs,
                      "session %s: namespace '%s', providers '%s' and "
                      "'%s' Ready",
                      fs->sid, fs->target_ns, fs->src_provider,
                      fs->dst_provider);
    }
    return rc;
}

static void teardown(struct flow_session *fs)
{
    struct mtv_td_plan plan = MTV_TD_PLAN_INIT;
    struct mtv_error err;
    bool keep = fs->ctx->opts->skip_teardown;
    size_t left;

    mtv_error_clear(&err);
    if (mtv_ledger_teardown_plan(&plan, fs->ledger, &err) != 0) {
        mtv_log(MTV_LOG_ERROR, "flow", "teardown: %s", err.msg);
        fs->ctx->result->leftovers += mtv_ledger_count_live(fs->ledger);
        return;
    }
    left = flow_teardown_run(&plan, &fs->conn, fs->ledger, fs->cfg, keep);
    mtv_td_plan_dispose(&plan);
    if (keep) {
        mtv_log(MTV_LOG_NOTE, "flow",
                "--skip-teardown: kept what the run created; remove it with "
                "'mtvtest clean --ledger %s'",
                mtv_ledger_path(fs->ledger));
        return;
    }
    fs->ctx->result->leftovers += left;
}

static void log_stats(const struct flow_session *fs)
{
    struct mtv_kube_stats ks;

    if (fs->conn.kube == NULL) {
        return;
    }
    mtv_kube_client_stats(fs->conn.kube, &ks);
    mtv_log(MTV_LOG_NOTE, "flow",
            "session %s: %llu API requests (%llu retried), %llu SOAP round "
            "trips, %llu connections",
            fs->sid, (unsigned long long)ks.requests,
            (unsigned long long)ks.retries,
            (unsigned long long)(fs->conn.vs
                                     ? mtv_vsphere_round_trips(fs->conn.vs)
                                     : 0),
            (unsigned long long)ks.http.connects);
}

void flow_session_close(struct mtv_session_ctx *ctx)
{
    struct flow_session *fs = ctx->session;
    int sig = mtv_interrupted();

    if (fs == NULL) {
        return;
    }
    /* Teardown's own waits must work after an interruption. */
    mtv_interrupt_clear();
    if (fs->ledger != NULL && fs->conn.kube != NULL) {
        teardown(fs);
    }
    if (sig != 0) {
        ctx->result->interrupted_by = sig;
    }
    log_stats(fs);
    mtv_ledger_free(fs->ledger);
    flow_conn_dispose(&fs->conn);
    free(fs->target_ns);
    free(fs->base_name);
    free(fs->src_provider);
    free(fs->src_secret);
    free(fs->dst_provider);
    free(fs->remote_provider);
    free(fs->inv_provider_id);
    free(fs->fc_name);
    mtv_kube_config_free(fs->kc);
    mtv_ssh_hostkeys_free(fs->hostkeys);
    pthread_mutex_destroy(&fs->lock);
    free(fs);
    ctx->session = NULL;
}
