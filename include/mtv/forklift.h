/*
 * forklift: the Forklift (MTV) objects mtvtest creates, read and waits on.
 *
 * Everything in this header is pure (no network): builders return a
 * `struct mtv_json *` object the kube client can POST (or a merge patch it
 * can PATCH), readers interpret objects the kube client fetched, and the
 * inventory helpers build request paths and parse the inventory's JSON.
 *
 * Builders take small input structs of borrowed strings; every object gets
 * the label `mtvtest.io/session=<session>` (MTV_SESSION_LABEL) plus the
 * reference's own labels/annotations. Builders never log; secret values
 * (password, token) are registered with mtv_log_add_secret() so that no
 * later log line can show them.
 *
 * Ownership: every `struct mtv_json **out` must be NULL on entry and is set
 * only on success; the caller frees it with mtv_json_free(). Strings
 * returned as `const char *` are borrowed from the JSON passed in.
 */
#ifndef MTV_FORKLIFT_H
#define MTV_FORKLIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtv/json.h"
#include "mtv/util.h"

#define MTV_FL_API_VERSION "forklift.konveyor.io/v1beta1"
#define MTV_FL_GROUP "forklift.konveyor.io"
#define MTV_FL_VERSION "v1beta1"
#define MTV_NAD_API_VERSION "k8s.cni.cncf.io/v1"
#define MTV_FL_EMPTY_VDDK_ANNOTATION                                           \
    "forklift.konveyor.io/empty-vddk-init-image"

/* ------------------------------------------------------------ inputs */

/* A core/v1 ObjectReference {name, namespace}. */
struct mtv_fl_ref {
    const char *name;
    const char *ns;
};

/* metadata of a built object. */
struct mtv_fl_meta {
    const char *name;    /* required */
    const char *ns;      /* NULL for cluster-scoped kinds (Namespace) */
    const char *session; /* required: the mtvtest.io/session label */
};

/* The source and destination providers of a map or plan. */
struct mtv_fl_providers {
    struct mtv_fl_ref source;
    struct mtv_fl_ref destination;
};

/* ---------------------------------------------------- core objects */

/*
 * Namespace (section 1.3 step 7): labels
 * pod-security.kubernetes.io/enforce=restricted,
 * pod-security.kubernetes.io/enforce-version=latest,
 * mutatevirtualmachines.kubemacpool.io=ignore and the session label.
 */
int mtv_forklift_build_namespace(struct mtv_json **out,
                                 const struct mtv_fl_meta *meta,
                                 struct mtv_error *err);

/* vSphere source-provider credentials (section 1.3 step 10). */
struct mtv_fl_vsphere_secret {
    const char *url;      /* api_url */
    const char *user;     /* username */
    const char *password; /* never logged (registered as a secret) */
    bool insecure_skip_verify;
    const char *cacert; /* PEM chain, or NULL */
};

/*
 * Secret with label createdForProviderType=vsphere and stringData
 * {url, user, password, insecureSkipVerify: "true"|"false", [cacert]}.
 */
int mtv_forklift_build_vsphere_secret(struct mtv_json **out,
                                      const struct mtv_fl_meta *meta,
                                      const struct mtv_fl_vsphere_secret *in,
                                      struct mtv_error *err);

/*
 * Secret holding the cluster bearer token for a remote `openshift`
 * provider (section 1.3 step 9): stringData {token, insecureSkipVerify}.
 * The token is registered as a secret.
 */
int mtv_forklift_build_token_secret(struct mtv_json **out,
                                    const struct mtv_fl_meta *meta,
                                    const char *token,
                                    bool insecure_skip_verify,
                                    struct mtv_error *err);

/* Key/value pair for the copy-offload storage Secret. */
struct mtv_fl_kv {
    const char *key;
    const char *value;
};

/*
 * Copy-offload storage Secret (section 1.10): stringData = the given pairs
 * (STORAGE_HOSTNAME, STORAGE_USERNAME, STORAGE_PASSWORD, vendor keys).
 * Values of keys naming a PASSWORD, TOKEN or SECRET are registered as
 * secrets (host names and ids are not).
 */
int mtv_forklift_build_storage_secret(struct mtv_json **out,
                                      const struct mtv_fl_meta *meta,
                                      const struct mtv_fl_kv *pairs, size_t n,
                                      struct mtv_error *err);

/* ---------------------------------------------------------- providers */

struct mtv_fl_vsphere_provider {
    const char *url;               /* api_url, e.g. https://vc/sdk */
    struct mtv_fl_ref secret;      /* the vSphere Secret */
    const char *vddk_init_image;   /* NULL: no settings.vddkInitImage */
    bool copyoffload;              /* annotation empty-vddk-init-image: "yes" */
    const char *esxi_clone_method; /* NULL, or "ssh" -> settings */
};

/* Provider type vsphere; spec.settings is always present (maybe {}). */
int mtv_forklift_build_vsphere_provider(
    struct mtv_json **out, const struct mtv_fl_meta *meta,
    const struct mtv_fl_vsphere_provider *in, struct mtv_error *err);

/*
 * Destination `openshift` Provider. url NULL or "": the local ("host")
 * provider `{type: openshift, url: "", secret: {}}`; otherwise the remote
 * provider `{type: openshift, url, secret: {name, namespace}, settings: {}}`
 * (secret required then).
 */
int mtv_forklift_build_ocp_provider(struct mtv_json **out,
                                    const struct mtv_fl_meta *meta,
                                    const char *url,
                                    const struct mtv_fl_ref *secret,
                                    struct mtv_error *err);

/* --------------------------------------------------------------- maps */

/* Copy-offload StorageMap plugin (section 1.10). */
struct mtv_fl_offload {
    const char *secret_name; /* the storage Secret */
    const char *vendor;      /* storage_vendor_product */
};

struct mtv_fl_storage_map {
    struct mtv_fl_providers providers;
    const char *storage_class;
    /*
     * Plain: datastore names (from the inventory). Copy-offload: datastore
     * ids. Duplicates are dropped (PORT NOTE), order kept. At least one.
     */
    const struct mtv_strv *datastores;
    const struct mtv_fl_offload *offload; /* NULL: plain VDDK map */
};

/*
 * StorageMap: plain entries {source: {name}, destination: {storageClass}};
 * offload entries {source: {id}, destination: {storageClass, accessMode:
 * ReadWriteOnce, volumeMode: Block}, offloadPlugin: {vsphereXcopyConfig:
 * {secretRef, storageVendorProduct}}}.
 */
int mtv_forklift_build_storage_map(struct mtv_json **out,
                                   const struct mtv_fl_meta *meta,
                                   const struct mtv_fl_storage_map *in,
                                   struct mtv_error *err);

struct mtv_fl_network_map {
    struct mtv_fl_providers providers;
    /* source network names, de-duplicated, first-seen order; >= 1 */
    const struct mtv_strv *networks;
    /* NAD names for networks[1..]: nads->len == networks->len - 1 */
    const struct mtv_strv *nads;
    const char *nad_namespace; /* multus_namespace, else the target ns */
};

/*
 * NetworkMap: networks[0] -> {type: pod}; networks[k] -> {type: multus,
 * name: nads[k-1], namespace: nad_namespace}. Sources by name.
 */
int mtv_forklift_build_network_map(struct mtv_json **out,
                                   const struct mtv_fl_meta *meta,
                                   const struct mtv_fl_network_map *in,
                                   struct mtv_error *err);

/*
 * NetworkAttachmentDefinition number i (1-based) with spec.config a JSON
 * string: i == 1 {"cniVersion":"0.3.1","type":"cnv-bridge",
 * "bridge":"cnv-bridge"}; i >= 2 {"cniVersion":"0.3.1","type":"bridge",
 * "bridge":"<meta->name>"} (section 1.6).
 */
int mtv_forklift_build_nad(struct mtv_json **out,
                           const struct mtv_fl_meta *meta, unsigned i,
                           struct mtv_error *err);

/* --------------------------------------------------------------- plan */

struct mtv_fl_plan_vm {
    const char *id;   /* inventory id (vm-1234) */
    const char *name; /* the clone name */
};

enum mtv_fl_tristate { MTV_FL_UNSET = 0, MTV_FL_FALSE, MTV_FL_TRUE };

struct mtv_fl_plan {
    struct mtv_fl_providers providers;
    struct mtv_fl_ref network_map;
    struct mtv_fl_ref storage_map;
    const char *target_namespace; /* vm_target_namespace, else NS_T */
    const struct mtv_fl_plan_vm *vms;
    size_t n_vms;
    bool warm;                      /* spec.warm */
    bool preserve_static_ips;       /* always emitted */
    const char *target_power_state; /* "on"/"off"/"auto" or NULL */
    const char *pvc_name_template;  /* NULL: omitted ("pvc" if copyoffload) */
    enum mtv_fl_tristate pvc_name_template_use_generate_name;
    /* objects; NULL or empty: omitted. Label values that are null become
     * the session id (section 3.10). Affinity/node selector verbatim. */
    const struct mtv_json *target_labels;
    const struct mtv_json *target_affinity;
    const struct mtv_json *target_node_selector;
    bool copyoffload;
};

/* Plan (section 1.7 step 2, PORT NOTE: vms are {id, name} only). */
int mtv_forklift_build_plan(struct mtv_json **out,
                            const struct mtv_fl_meta *meta,
                            const struct mtv_fl_plan *in,
                            struct mtv_error *err);

/* Merge patch archiving a Plan: {metadata: {name}, spec: {archived: true}}. */
int mtv_forklift_build_plan_archive(struct mtv_json **out, const char *name,
                                    struct mtv_error *err);

/* ---------------------------------------------------------- migration */

/*
 * Format the cutover time now_wall_ms + minutes as RFC 3339 UTC with
 * second precision and 'Z' into out (size >= 21). minutes >= 0.
 */
int mtv_forklift_format_cutover(char *out, size_t size, int64_t now_wall_ms,
                                double minutes, struct mtv_error *err);

/* Migration {spec: {plan: {name, namespace}, cutover}}; cutover may be NULL. */
int mtv_forklift_build_migration(struct mtv_json **out,
                                 const struct mtv_fl_meta *meta,
                                 const struct mtv_fl_ref *plan,
                                 const char *cutover, struct mtv_error *err);

/*
 * Merge patch cancelling a Migration: {metadata: {name}, spec: {cancel:
 * [{id, name} of every plan->spec.vms entry]}} (section 1.13).
 */
int mtv_forklift_build_migration_cancel(struct mtv_json **out, const char *name,
                                        const struct mtv_json *plan,
                                        struct mtv_error *err);

/* ------------------------------------------------- ForkliftController */

/*
 * Merge patch {metadata: {name}, spec: {controller_precopy_interval: N}}
 * with N an integer number of minutes >= 1 (PORT NOTE G2).
 */
int mtv_forklift_build_precopy_patch(struct mtv_json **out, const char *name,
                                     long minutes, struct mtv_error *err);

/*
 * The value to restore later: a copy of the controller's
 * spec.controller_precopy_interval (number or string, exactly as read) or
 * a JSON null when absent. *out: caller frees with mtv_json_free.
 */
int mtv_forklift_precopy_save(struct mtv_json **out,
                              const struct mtv_json *controller,
                              struct mtv_error *err);

/* Whether the controller's spec already holds minutes (number or "N"). */
bool mtv_forklift_precopy_is(const struct mtv_json *controller, long minutes);

/* Merge patch putting back `previous` (from precopy_save; null deletes). */
int mtv_forklift_build_precopy_restore(struct mtv_json **out, const char *name,
                                       const struct mtv_json *previous,
                                       struct mtv_error *err);

/*
 * PRECOPY_INTERVAL from a Deployment's containers' env (the confirmation
 * that the operator applied the patch). MTV_ENOTFOUND when absent,
 * MTV_EPROTO when not an integer.
 */
int mtv_forklift_deployment_precopy(long *out,
                                    const struct mtv_json *deployment,
                                    struct mtv_error *err);

/* ------------------------------------------------------- conditions */

/* A condition, borrowed from the object it was read from. */
struct mtv_fl_condition {
    const char *type;
    const char *status;           /* "True"/"False" */
    const char *reason;           /* may be NULL */
    const char *category;         /* may be NULL (ForkliftController) */
    const char *message;          /* may be NULL */
    const struct mtv_json *items; /* array of strings or NULL */
};

/* Find status.conditions[type]. 0 or MTV_ENOTFOUND (err untouched). */
int mtv_forklift_condition(const struct mtv_json *obj, const char *type,
                           struct mtv_fl_condition *out);

/* Whether status.conditions has type with status "True". */
bool mtv_forklift_condition_true(const struct mtv_json *obj, const char *type);

/*
 * Whether a condition blocks readiness: status True and category Critical
 * or Error, or type ValidatingVDDK (Advisory but holds Ready back).
 */
bool mtv_forklift_condition_blocks(const struct mtv_fl_condition *c);

/*
 * Append every blocking condition of obj to out as one line:
 * "<Type> (<category>[, <reason>]): <message> [<item>, <item>]" joined by
 * "; ". Returns the number of blocking conditions (>= 0) or a negative
 * error (buffer cap).
 */
int mtv_forklift_format_blockers(struct mtv_buf *out,
                                 const struct mtv_json *obj);

/* Readiness of a Provider or a Plan. */
enum mtv_fl_readiness {
    MTV_FL_PENDING = 0, /* not ready yet: keep waiting */
    MTV_FL_READY,
    MTV_FL_FAILED, /* will not become ready: stop waiting */
};

/*
 * Provider: READY when phase Ready (or condition Ready True); FAILED when
 * phase ConnectionFailed; else PENDING. why (may be NULL) gets
 * "phase <phase>: <blockers>" for a message when not ready.
 */
enum mtv_fl_readiness
mtv_forklift_provider_readiness(const struct mtv_json *provider,
                                struct mtv_buf *why);

/*
 * Plan: READY when condition Ready is True; else PENDING with the
 * blocking conditions in why (never FAILED: the caller times out and
 * prints why).
 */
enum mtv_fl_readiness mtv_forklift_plan_readiness(const struct mtv_json *plan,
                                                  struct mtv_buf *why);

/* Execution state of a Plan or a Migration. */
enum mtv_fl_run_state {
    MTV_FL_RUN_NONE = 0,  /* nothing started yet */
    MTV_FL_RUN_EXECUTING, /* Plan Executing / Migration Running */
    MTV_FL_RUN_SUCCEEDED,
    MTV_FL_RUN_FAILED,
    MTV_FL_RUN_CANCELED, /* terminal (PORT NOTE) */
};

/*
 * Terminal state from the conditions (type Succeeded/Failed/Canceled,
 * status True, category Advisory or absent; Failed wins over Canceled over
 * Succeeded), else EXECUTING when Executing (Plan) or Running (Migration)
 * is True, else NONE. Works on a Plan and on a Migration.
 */
enum mtv_fl_run_state mtv_forklift_run_state(const struct mtv_json *obj);
bool mtv_forklift_run_state_terminal(enum mtv_fl_run_state s);
/* "none", "Executing", "Succeeded", "Failed", "Canceled". Static. */
const char *mtv_forklift_run_state_name(enum mtv_fl_run_state s);

/*
 * Predicates with the shape of kube.h's mtv_kube_predicate_fn, for
 * mtv_kube_wait_for(): obj is the current object (NULL when absent: 0),
 * payload is unused (NULL). 1 = satisfied, 0 = keep waiting, -1 = never.
 *   provider_ready: 1 when Ready, -1 on phase ConnectionFailed;
 *   plan_ready:     1 when Ready (the caller prints the blockers on
 *                   timeout with mtv_forklift_format_blockers);
 *   finished:       1 in any terminal state (Succeeded, Failed or
 *                   Canceled: the caller reads which with
 *                   mtv_forklift_run_state), never -1.
 */
int mtv_forklift_pred_provider_ready(const struct mtv_json *obj, void *payload);
int mtv_forklift_pred_plan_ready(const struct mtv_json *obj, void *payload);
int mtv_forklift_pred_finished(const struct mtv_json *obj, void *payload);

/* -------------------------------------------------- per-VM progress */

struct mtv_fl_precopy {
    int64_t start_ms; /* wall ms; 0 when absent */
    int64_t end_ms;   /* 0 when absent (the cutover snapshot never ends) */
};

/* One VM of status.migration.vms[] (Plan) or status.vms[] (Migration). */
struct mtv_fl_vm_progress {
    char *id;
    char *name;
    char *phase;          /* itinerary phase, e.g. "CopyingPaused" */
    char *step;           /* current pipeline step name or NULL */
    long long step_done;  /* current step progress.completed */
    long long step_total; /* current step progress.total */
    char *step_unit;      /* annotations.unit or NULL */
    size_t n_steps;
    size_t steps_completed;
    struct mtv_fl_precopy *precopies;
    size_t n_precopies;
    size_t precopies_done;            /* with an end */
    int64_t started_ms, completed_ms; /* 0 when absent */
    int64_t cutover_ms; /* Cutover step started (source shutdown), or 0 */
    /* Cutover step start -> VirtualMachineCreation completed (else VM
     * completed), in seconds; < 0 when not known yet. */
    double downtime_s;
    /* from the VM conditions; EXECUTING once started, NONE before */
    enum mtv_fl_run_state state;
    char *error;                 /* "<phase>: <reason>; <reason>" or NULL */
};

struct mtv_fl_progress {
    struct mtv_fl_vm_progress *vms;
    size_t n_vms;
};

#define MTV_FL_PROGRESS_INIT                                                   \
    {                                                                          \
        NULL, 0                                                                \
    }

/*
 * Read every VM's progress from a Plan (status.migration.vms) or a
 * Migration (status.vms). out must be initialised (MTV_FL_PROGRESS_INIT)
 * and empty; it owns copies of everything. A missing list gives 0 VMs.
 * MTV_EPROTO on malformed timestamps or shapes (with the JSON path).
 */
int mtv_forklift_progress_read(struct mtv_fl_progress *out,
                               const struct mtv_json *obj,
                               struct mtv_error *err);
void mtv_forklift_progress_dispose(struct mtv_fl_progress *p);

/* The VM named name in p, or NULL. Borrowed. */
const struct mtv_fl_vm_progress *
mtv_forklift_progress_vm(const struct mtv_fl_progress *p, const char *name);

/*
 * Whether a progress line is due: phase, step, precopy count or done count,
 * or state changed (old may be NULL: always true).
 */
bool mtv_forklift_progress_changed(const struct mtv_fl_vm_progress *old,
                                   const struct mtv_fl_vm_progress *cur);

/*
 * Append one line for a VM, e.g.
 * "vm 'x': CopyingPaused, step DiskTransfer 3/8 (71680/71680 MB),
 *  precopies 2 done" (and ", error: ..." when failed).
 */
int mtv_forklift_progress_line(struct mtv_buf *out,
                               const struct mtv_fl_vm_progress *vm);

/*
 * A VM's timeline for results.json (CONTRACTS.md section 4):
 * {"precopies": [{"start": RFC3339, "end": RFC3339 or null}, ...],
 *  "cutover": RFC3339 or null, "downtime_s": seconds or null}.
 * *out must be NULL; caller frees with mtv_json_free.
 */
int mtv_forklift_progress_timeline(struct mtv_json **out,
                                   const struct mtv_fl_vm_progress *vm,
                                   struct mtv_error *err);

/* ------------------------------------------------------ copy-offload */

/*
 * uid of the Migration the Plan is running or ran last
 * (status.migration.history[last].migration.uid): the populate pods carry
 * the label migration=<uid>. Borrowed, or NULL.
 */
const char *mtv_forklift_plan_migration_uid(const struct mtv_json *plan);

/*
 * The last "xcopyUsed=<n>" in a populate pod's log (section 1.10).
 * MTV_ENOTFOUND when the log has none.
 */
int mtv_forklift_xcopy_used(const char *log, long *out, struct mtv_error *err);

/* ---------------------------------------------------------- inventory */

/* Inventory collections of a vSphere provider. */
enum mtv_fl_inv {
    MTV_FL_INV_PROVIDERS = 0, /* /providers/vsphere */
    MTV_FL_INV_VMS,           /* /providers/vsphere/<pid>/vms[/<id>] */
    MTV_FL_INV_DATASTORES,
    MTV_FL_INV_NETWORKS,
    MTV_FL_INV_HOSTS,
};

/*
 * Request path (no host) for a collection or, with item_id, one item.
 * provider_id required except for MTV_FL_INV_PROVIDERS. Ids are
 * percent-encoded. *out must be NULL; caller frees with free().
 */
int mtv_forklift_inv_path(char **out, enum mtv_fl_inv what,
                          const char *provider_id, const char *item_id,
                          struct mtv_error *err);

/*
 * Inventory id of the Provider CR named name (and in namespace ns unless
 * NULL) in a /providers/vsphere list: its "id" (or "uid"). Borrowed.
 * MTV_ENOTFOUND when absent (not yet inventoried: keep polling).
 */
int mtv_forklift_inv_provider_id(const char **out,
                                 const struct mtv_json *providers,
                                 const char *name, const char *ns,
                                 struct mtv_error *err);

/*
 * The VM named name in a /vms list. Borrowed. MTV_ENOTFOUND with every
 * VM name (up to 20) in the message.
 */
int mtv_forklift_inv_find_vm(const struct mtv_json **out,
                             const struct mtv_json *vms, const char *name,
                             struct mtv_error *err);

/*
 * Append (when not already there) the names of the datastores of vm's
 * disks, resolved through a /datastores list, in disk order. Several VMs
 * can be appended to the same vector. MTV_ENOTFOUND for an unknown id.
 */
int mtv_forklift_inv_vm_datastores(struct mtv_strv *out,
                                   const struct mtv_json *vm,
                                   const struct mtv_json *datastores,
                                   struct mtv_error *err);

/* Same for the VM's networks (vm.networks[].id through /networks). */
int mtv_forklift_inv_vm_networks(struct mtv_strv *out,
                                 const struct mtv_json *vm,
                                 const struct mtv_json *networks,
                                 struct mtv_error *err);

/* A disk of an inventory VM, borrowed from it. */
struct mtv_fl_inv_disk {
    long key; /* device key, e.g. 2000 */
    long controller_key;
    long unit_number;
    const char *file; /* "[ds] folder/file.vmdk" */
    const char *datastore_id;
};

/*
 * The VM's disks ordered by (controller_key, unit_number) (G7). *out must
 * be NULL; caller frees the array with free() (strings are borrowed from
 * vm). n_out gets the count (0: *out stays NULL).
 */
int mtv_forklift_inv_vm_disks(struct mtv_fl_inv_disk **out, size_t *n_out,
                              const struct mtv_json *vm, struct mtv_error *err);

/* disks[].file of the disk with device key `key`. Borrowed, or NULL. */
const char *mtv_forklift_inv_disk_file(const struct mtv_json *vm, long key);

/*
 * Whether the inventory VM can be warm-migrated: CBT enabled and no
 * current snapshot. why (may be NULL) gets the reason when not.
 */
bool mtv_forklift_inv_vm_warm_ready(const struct mtv_json *vm,
                                    struct mtv_buf *why);

#endif
