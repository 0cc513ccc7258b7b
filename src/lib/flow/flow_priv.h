/* flow: private state shared by the session, scenario, step files. */
#ifndef MTV_FLOW_PRIV_H
#define MTV_FLOW_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>

#include "mtv/checks.h"
#include "mtv/config.h"
#include "mtv/flow.h"
#include "mtv/forklift.h"
#include "mtv/http.h"
#include "mtv/json.h"
#include "mtv/kube.h"
#include "mtv/ledger.h"
#include "mtv/naming.h"
#include "mtv/runner.h"
#include "mtv/ssh.h"
#include "mtv/util.h"
#include "mtv/vsphere.h"

#define FLOW_DEFAULT_LEDGER "mtvtest-ledger.json"
#define FLOW_FC_DEPLOYMENT "forklift-controller"
#define FLOW_INVENTORY_ROUTE "forklift-inventory"

/* The connections a run or a clean needs. */
struct flow_conn {
    struct mtv_kube_client *kube;
    struct mtv_vsphere *vs;      /* NULL until connected */
    struct mtv_http_client *inv; /* inventory client, NULL until needed */
    char *inv_base;              /* "https://host" of the inventory route */
    char *vcenter_ca;            /* PEM put into the provider Secret */
};

/* Session-wide state of a live run. */
struct flow_session {
    struct mtv_session_ctx *ctx; /* borrowed */
    const struct mtv_config *cfg;
    const struct mtv_provider *src;
    struct flow_conn conn;
    struct mtv_ledger *ledger;
    char sid[32];
    char *target_ns;    /* NS_T */
    char *base_name;    /* base resource name */
    char *src_provider; /* source Provider name (in NS_T) */
    char *src_secret;
    char *dst_provider;         /* local destination Provider */
    char *remote_provider;      /* remote destination Provider, lazily */
    char *inv_provider_id;      /* the source provider's inventory id */
    char *fc_name;              /* ForkliftController name */
    unsigned n_scenarios;       /* index for per-scenario names */
    struct mtv_kube_config *kc; /* for per-scenario clients (-j) */
    struct mtv_ssh_hostkeys *hostkeys; /* guests' keys, first use */
    pthread_mutex_t lock;       /* n_scenarios, remote_provider */
};

/* One source VM of a scenario. */
struct flow_vm {
    const struct mtv_config_vm *cfg;
    char *clone_name;
    struct mtv_moref moref;
    size_t seq; /* ledger entry of the clone */
    struct mtv_vm_record *before;
    struct mtv_json *inv_vm; /* inventory VM (detail) */
    char *inv_id;
};

/* Per-scenario state (mtv_step_ctx.state). */
struct flow_scenario {
    struct flow_session *fs;
    struct flow_conn *conn; /* &fs->conn, or its own with -j > 1 */
    struct flow_conn own;
    const struct mtv_scenario *sc;
    unsigned index;
    char *vm_ns;
    const char *dst_provider; /* borrowed from fs */
    struct flow_vm *vms;
    size_t n_vms;
    char *storage_map;
    char *network_map;
    char *plan;
    char *migration;
    char *migration_uid;
    char *storage_secret;  /* copy-offload */
    struct mtv_json *smap; /* created objects, for check_vms */
    struct mtv_json *nmap;
    struct mtv_json *plan_obj;
};

/* ---- objects (objects.c) */

/* A kube ref for kind/ns/name (kind table). */
int flow_ref(struct mtv_kube_ref *out, const char *kind, const char *ns,
             const char *name, struct mtv_error *err);

/*
 * Record obj in the ledger, then create it. *out (may be NULL) gets the
 * created object. scenario may be NULL.
 */
int flow_create(struct mtv_json **out, struct flow_session *fs,
                struct mtv_kube_client *kube, const char *scenario,
                const char *kind, const struct mtv_json *obj,
                struct mtv_error *err);

/* Get an object; MTV_ENOTFOUND when absent. */
int flow_get(struct mtv_json **out, struct mtv_kube_client *kube,
             const char *kind, const char *ns, const char *name,
             struct mtv_error *err);

/* Wait with a predicate over kind ns/name for `seconds`. */
int flow_wait(struct mtv_json **out, struct mtv_kube_client *kube,
              const char *kind, const char *ns, const char *name,
              mtv_kube_predicate_fn pred, void *payload, long seconds,
              const char *what, struct mtv_error *err);

/* Seconds to a deadline. */
struct mtv_deadline flow_seconds(long seconds);

/* Sleep up to ms, returning early when interrupted. */
void flow_sleep_ms(int64_t ms);

/* Progress line on stderr unless -q. */
void flow_progress(const struct flow_session *fs, const char *fmt, ...)
    MTV_PRINTF(2, 3);

/* ---- connections (conn.c) */

/*
 * Log in to the cluster as configured (OAuth or kubeconfig). kc_out (may
 * be NULL) keeps the resolved configuration for more clients; caller frees
 * it with mtv_kube_config_free.
 */
int flow_conn_kube(struct flow_conn *c, const struct mtv_run_options *opts,
                   const struct mtv_config *cfg,
                   struct mtv_kube_config **kc_out, struct mtv_error *err);

/*
 * A second set of connections like `from` (same cluster config and token,
 * its own vCenter login, its own inventory client): one per parallel
 * scenario, since a client belongs to one thread at a time.
 */
int flow_conn_clone(struct flow_conn *dst, const struct flow_conn *from,
                    const struct mtv_kube_config *kc,
                    const struct mtv_provider *src,
                    const struct mtv_config *cfg, struct mtv_error *err);

/* Connect to vCenter (fetching its CA for the Secret unless insecure). */
int flow_conn_vsphere(struct flow_conn *c, const struct mtv_provider *src,
                      const struct mtv_config *cfg, struct mtv_error *err);

/* Find the inventory route and make its client. */
int flow_conn_inventory(struct flow_conn *c, const struct mtv_config *cfg,
                        struct mtv_error *err);

/*
 * GET an inventory path. Keeps asking while the service answers 206
 * (still loading) or is briefly unreachable, up to the deadline.
 */
int flow_inventory_get(struct mtv_json **out, struct flow_conn *c,
                       const char *path, struct mtv_deadline deadline,
                       struct mtv_error *err);

void flow_conn_dispose(struct flow_conn *c);

/* ---- session (session.c) */

int flow_session_open(struct mtv_session_ctx *ctx, struct mtv_error *err);
void flow_session_close(struct mtv_session_ctx *ctx);

/* Create a Namespace (recorded in the ledger). */
int flow_namespace_create(struct flow_session *fs, struct mtv_kube_client *kube,
                          const char *name, const char *scenario,
                          struct mtv_error *err);

/* The remote destination Provider, created on first use. */
int flow_remote_provider(struct flow_session *fs, struct mtv_kube_client *kube,
                         const char *scenario, struct mtv_error *err);

/* ---- scenario (scenario.c) */

int flow_scenario_begin(struct mtv_step_ctx *ctx, struct mtv_error *err);
void flow_scenario_end(struct mtv_step_ctx *ctx);

/*
 * When a step of the scenario failed or errored: save its objects, logs
 * and a summary.txt into <--report>/diagnostics/<scenario>/ (else
 * ./mtvtest-diagnostics/<scenario>/) and set ctx->result->diagnostics_dir.
 * Never fails the run: problems are logged as warnings (collect.c).
 */
void flow_collect_diagnostics(struct mtv_step_ctx *ctx);

/* ---- steps (steps.c, migrate.c, check.c) */

int flow_step_storagemap(struct mtv_step_ctx *ctx, struct mtv_error *err);
int flow_step_networkmap(struct mtv_step_ctx *ctx, struct mtv_error *err);
int flow_step_plan(struct mtv_step_ctx *ctx, struct mtv_error *err);
int flow_step_migrate(struct mtv_step_ctx *ctx, struct mtv_error *err);
int flow_step_xcopy(struct mtv_step_ctx *ctx, struct mtv_error *err);
int flow_step_check(struct mtv_step_ctx *ctx, struct mtv_error *err);

/* ---- source guests (origin.c) */

/* The first IPv4 VMware Tools reports for a guest, or NULL. Borrowed. */
const char *flow_guest_ip(const struct mtv_vm_record *rec);

/* One command on a source guest over SSH at its guest IP. */
int flow_source_ssh(struct flow_scenario *st, const struct flow_vm *v,
                    const char *command, struct mtv_ssh_result *out,
                    struct mtv_error *err);

/*
 * With preserve_static_ips, a Linux clone whose IPs have no origin in
 * VMware Tools: ask NetworkManager in the guest which ones are static.
 */
int flow_resolve_ip_origin(struct flow_scenario *st, struct flow_vm *v,
                           struct mtv_error *err);

/* Apply "<ip>|<ipv4.method>" lines to the unknown origins of r. */
size_t flow_apply_ip_origin(struct mtv_vm_record *r, const char *text);

/* ---- live guests for check_vms (guest.c) */

/* Fill env's exec callback (SSH through the KubeVirt port-forward, or
 * direct with --ssh-direct). */
void flow_check_env(struct mtv_checks_env *env, struct flow_scenario *st);
void flow_check_env_dispose(struct mtv_checks_env *env);

/* One stderr line per validator of a VM. */
void flow_check_report_lines(struct flow_scenario *st, const char *vm,
                             const struct mtv_checks_report *rep);

/* ---- teardown (teardown.c) */

/*
 * Execute a teardown plan, continuing past errors; restore_only runs only
 * RESTORE actions (--skip-teardown). Returns the number of leftovers and
 * prints them.
 */
size_t flow_teardown_run(struct mtv_td_plan *plan, struct flow_conn *c,
                         struct mtv_ledger *ledger,
                         const struct mtv_config *cfg, bool restore_only);

#endif
