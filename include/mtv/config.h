/*
 * config: the scenario YAML (libyaml, document API) and the providers JSON.
 *
 * Loading is layered: the built-in defaults (the declared defaults of
 * CONTRACTS.md §2 and the five warm scenarios), then every --config file
 * in order (later wins, maps merge, lists replace), then the --set / --tc
 * overrides. The merged tree is decoded against declared types; every
 * problem found is collected in a struct mtv_diag as one line
 * "FILE:LINE:COL: <what>" and the load returns MTV_ECONFIG.
 *
 * Secrets (cluster_password, provider passwords) are registered with
 * mtv_log_add_secret when loaded and wiped when freed.
 */
#ifndef MTV_CONFIG_H
#define MTV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "mtv/json.h"
#include "mtv/util.h"

/* ------------------------------------------------------------ diagnostics */

/*
 * Problems found while loading. Each line is complete ("FILE:LINE:COL:
 * key 'x.y': expected integer, got \"abc\""); the CLI prefixes
 * "mtvtest: error: " / "mtvtest: warning: ".
 */
struct mtv_diag {
    struct mtv_strv errors;
    struct mtv_strv warnings;
};

#define MTV_DIAG_INIT {MTV_STRV_INIT, MTV_STRV_INIT}

void mtv_diag_init(struct mtv_diag *d);
void mtv_diag_dispose(struct mtv_diag *d);
/* Append one formatted error / warning line. Returns MTV_ECONFIG. */
int mtv_diag_error(struct mtv_diag *d, const char *fmt, ...) MTV_PRINTF(2, 3);
void mtv_diag_warning(struct mtv_diag *d, const char *fmt, ...)
    MTV_PRINTF(2, 3);

/* ------------------------------------------------------------- scenarios */

/* Known markers (strict, CONTRACTS.md §1). */
extern const char *const mtv_known_markers[]; /* NULL-terminated */
bool mtv_marker_is_known(const char *name);

/* One `add_disks[]` entry of a VM (copy-offload). */
struct mtv_config_disk {
    long size_gb;
    char *disk_mode;
    char *provision_type;
    char *datastore_path;
    char *datastore_id;
    char *rdm_type;
};

/* One `virtual_machines[]` entry. Strings are NULL when absent. */
struct mtv_config_vm {
    char *name;            /* vSphere template/VM to clone (required) */
    char *source_vm_power; /* "on", "off" or NULL (leave as is) */
    bool guest_agent;
    bool clone;
    char *disk_type; /* "thin", "thick-lazy", "thick-eager" or NULL */
    char *clone_name;
    bool preserve_name_format;
    char *target_datastore_id;
    char *target_esxi_host;
    long snapshots; /* 0 when absent */
    struct mtv_config_disk *add_disks;
    size_t n_add_disks;
};

/* A target label; value NULL means "the session id" (YAML null / ~). */
struct mtv_label {
    char *key;
    char *value;
};

/*
 * One scenario of `tests_params`. Keys are the reference's
 * (mtv-api-tests-warm-flow.md §4.4) plus `markers` and `id`.
 */
struct mtv_scenario {
    char *name;               /* the tests_params key */
    char *id;                 /* param id ("rhel8"), NULL when absent */
    struct mtv_strv markers;  /* known markers only */
    char *origin;             /* "FILE:LINE:COL" where it was defined */
    struct mtv_config_vm *vms;
    size_t n_vms;
    bool warm_migration;
    bool copyoffload;
    bool preserve_static_ips;
    char *target_power_state; /* "on", "off" or NULL */
    char *vm_target_namespace;
    char *multus_namespace;
    char *pvc_name_template;
    bool pvc_name_template_use_generate_name;
    struct mtv_label *target_labels; /* NULL/0 when absent */
    size_t n_target_labels;
    bool has_target_labels;
    struct mtv_json *target_affinity;      /* verbatim tree or NULL */
    struct mtv_json *target_node_selector; /* cold only; object or NULL */
    long guest_agent_timeout;              /* 0: the global value */
    /* Hook scenarios (not warm): kept verbatim, unused by warm runs. */
    struct mtv_json *pre_hook;
    struct mtv_json *post_hook;
    char *expected_migration_result;
};

bool mtv_scenario_has_marker(const struct mtv_scenario *s, const char *m);

/* Global keys with their declared types (CONTRACTS.md §2). */
struct mtv_config {
    char *source_provider; /* NULL when unset */
    char *storage_class;   /* NULL when unset */
    long snapshots_interval;
    double mins_before_cutover;
    long plan_wait_timeout;
    long plan_ready_timeout;
    long provider_ready_timeout;
    long inventory_timeout;
    long guest_agent_timeout;
    long ssh_timeout;
    long static_ip_timeout;
    long teardown_timeout;
    char *mtv_namespace;
    char *target_namespace_prefix;
    bool insecure_verify_skip;
    bool source_provider_insecure_skip_verify;
    char *remote_ocp_cluster; /* "" when unset */
    char *cluster_host;       /* "" when unset */
    char *cluster_username;   /* "" when unset */
    char *cluster_password;   /* secret; "" when unset */
    char *target_ocp_version; /* "" when unset */
    struct mtv_scenario *scenarios; /* in file order */
    size_t n_scenarios;
    struct mtv_strv sources; /* the files loaded, in order */
};

/* What to load. Pointers are borrowed for the duration of the call. */
struct mtv_config_sources {
    const char *const *files; /* --config files in order */
    size_t n_files;
    const char *const *sets; /* "key=value" (--set) in order */
    size_t n_sets;
    /* When true, a set written "key:value" (--tc) splits at ':'. */
    const bool *set_is_tc; /* parallel to sets; NULL = all --set */
};

/*
 * Load the built-in defaults, then `src->files`, then `src->sets`.
 * *out must be NULL; on success caller frees with mtv_config_free.
 * Returns 0, MTV_ECONFIG (every problem is in diag) or MTV_ENOMEM.
 * Warnings may be added even on success.
 */
int mtv_config_load(struct mtv_config **out,
                    const struct mtv_config_sources *src,
                    struct mtv_diag *diag);

/*
 * Same as mtv_config_load for in-memory YAML text (named `name` in
 * messages), layered on the defaults. For tests and fuzzing.
 */
int mtv_config_load_text(struct mtv_config **out, const char *name,
                         const char *text, size_t len, struct mtv_diag *diag);

/* Free deeply, wiping secrets. NULL allowed. */
void mtv_config_free(struct mtv_config *c);

/* Scenario by name. Borrowed; NULL when absent. */
const struct mtv_scenario *mtv_config_scenario(const struct mtv_config *c,
                                               const char *name);

/*
 * Checks needed only to run (CONTRACTS.md §1 `validate` leaves them to
 * `run`): source_provider and storage_class set. Adds errors to diag.
 * Returns 0 or MTV_ECONFIG.
 */
int mtv_config_check_run(const struct mtv_config *c, struct mtv_diag *diag);

/*
 * YAML for other modules (the kubeconfig): parse text with libyaml (this
 * module owns it; anchors and aliases bounded) into a JSON tree. Plain
 * scalars are strings, except true/false (booleans) and null/~/empty
 * (null): a token of digits stays a string. Errors: MTV_ECONFIG with
 * "NAME:LINE:COL: <what>" in err->msg. *out must be NULL; caller frees with
 * mtv_json_free.
 */
int mtv_config_yaml_to_json(struct mtv_json **out, const char *name,
                            const char *text, size_t len,
                            struct mtv_error *err);

/* The built-in default YAML (what config/warm.yaml holds). Borrowed. */
const char *mtv_config_default_yaml(void);

/* ------------------------------------------------------------ providers */

enum mtv_provider_type {
    MTV_PROVIDER_UNKNOWN = 0,
    MTV_PROVIDER_VSPHERE,
    MTV_PROVIDER_OVIRT,
    MTV_PROVIDER_OPENSTACK,
    MTV_PROVIDER_OPENSHIFT,
    MTV_PROVIDER_OVA,
};

/* "vsphere", ... ; "unknown" for MTV_PROVIDER_UNKNOWN. Static string. */
const char *mtv_provider_type_name(enum mtv_provider_type t);

/*
 * The `copyoffload` section of a vSphere provider, after the
 * COPYOFFLOAD_<FIELD> environment overrides (env wins). Strings are NULL
 * when absent from both.
 */
struct mtv_copyoffload {
    char *storage_vendor_product;
    char *datastore_id;
    char *secondary_datastore_id;
    char *non_xcopy_datastore_id;
    char *default_vm_name;
    char *storage_hostname;
    char *storage_username;
    char *storage_password; /* secret */
    char *ontap_svm;
    char *vantara_storage_id;
    char *vantara_storage_port;
    char *vantara_hostgroup_id_list;
    char *pure_cluster_prefix;
    char *powerflex_system_id;
    char *powermax_symmetrix_id;
    char *esxi_clone_method; /* "vib" (default) or "ssh" */
    char *esxi_host;
    char *esxi_user;
    char *esxi_password; /* secret */
    char *rdm_lun_uuid;
};

/* One provider entry. Strings are NULL when absent. */
struct mtv_provider {
    char *key; /* the top-level name in the file */
    enum mtv_provider_type type;
    char *type_name; /* as written */
    char *version;
    char *fqdn;
    char *api_url;
    char *username;
    char *password; /* secret */
    char *cacert;   /* PEM, optional (vsphere) */
    char *guest_vm_linux_user;
    char *guest_vm_linux_password; /* secret */
    char *guest_vm_win_user;
    char *guest_vm_win_password; /* secret */
    long guest_ssh_port;         /* default 22 */
    char *vddk_init_image;
    /* openstack */
    char *project_name;
    char *user_domain_name;
    char *region_name;
    char *user_domain_id;
    char *project_domain_id;
    struct mtv_copyoffload *copyoffload; /* NULL when no section */
};

struct mtv_providers {
    char *path;
    struct mtv_provider *items; /* in file order */
    size_t n;
};

/*
 * Parse a providers file (strict JSON). Fields are checked per type
 * (mtv-api-tests-warm-flow.md §5 plus cacert and guest_ssh_port).
 * Errors ("FILE:LINE:COL: comments are not allowed in JSON",
 * "FILE: provider 'x': key 'password': expected string") go to diag.
 * A file readable by group or others gets a warning. Every password is
 * registered with mtv_log_add_secret. *out must be NULL; caller frees with
 * mtv_providers_free. Returns 0, MTV_ECONFIG, MTV_ENOTFOUND (no such
 * file; also in diag) or MTV_ENOMEM.
 */
int mtv_providers_load(struct mtv_providers **out, const char *path,
                       struct mtv_diag *diag);

/* Same from memory (no permission check). `name` is used in messages. */
int mtv_providers_parse(struct mtv_providers **out, const char *name,
                        const char *text, size_t len, struct mtv_diag *diag);

/* Free deeply, wiping secrets. NULL allowed. */
void mtv_providers_free(struct mtv_providers *p);

/* Provider by key. Borrowed; NULL when absent. */
const struct mtv_provider *mtv_providers_get(const struct mtv_providers *p,
                                             const char *key);

/*
 * The copy-offload fail-early rules of mtv-api-tests-warm-flow.md §5.3
 * (1–6) for `prov`: adds one error per violated rule to diag (prefixed
 * with `prefix` when non-NULL). Returns 0 or MTV_ECONFIG.
 */
int mtv_copyoffload_check(const struct mtv_provider *prov, const char *prefix,
                          struct mtv_diag *diag);

/* Valid storage_vendor_product values, NULL-terminated. */
extern const char *const mtv_copyoffload_vendors[];

#endif
