/*
 * checks: the post-migration validators of test_check_vms.
 *
 * Every validator is a pure function over model structs: the source VM
 * facts (struct mtv_checks_source, filled by the runner from the vSphere
 * record, all borrowed), the destination facts (struct mtv_checks_dest,
 * built here from the KubeVirt VM, VMI and PVC JSON by
 * mtv_checks_dest_build) and the scenario's plan settings
 * (struct mtv_checks_plan). The three validators that need a live guest
 * or the cluster (guest_agent, ssh, static_ip) reach it only through
 * struct mtv_checks_env callbacks, so tests run them with fakes.
 *
 * mtv_checks_run_all() runs every validator in the canonical order
 * (CONTRACTS.md section 7) and reports pass, fail (expected vs found, and
 * where) or skip (with the reason) for each; one failing validator never
 * stops the others. mtvtest never starts or stops a destination VM: when it
 * is not running, the validators that need a running guest are skipped
 * saying so. See docs/validators.md.
 */
#ifndef MTV_CHECKS_H
#define MTV_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtv/json.h"
#include "mtv/util.h"

/* ------------------------------------------------------------ source VM */

/* One IP a source NIC reported (VMware Tools guest.net / ipStack). */
struct mtv_checks_src_ip {
    const char *ip;
    int prefix;          /* prefix length */
    const char *gateway; /* default gateway of that NIC, or NULL */
    int is_static;       /* 1 origin manual, 0 dhcp/other, -1 unknown */
};

struct mtv_checks_src_nic {
    const char *label;   /* "Network adapter 1" */
    const char *mac;     /* as vSphere reports it */
    const char *network; /* backing network name (or id for DVS) */
    const struct mtv_checks_src_ip *ips;
    size_t n_ips;
};

struct mtv_checks_src_disk {
    const char *label;
    long long size_kb;
    const char *datastore; /* datastore name */
    int key;               /* device key */
    int controller_key;
    int unit_number;
    const char *file; /* inventory disks[].file "[ds] vm/vm_1.vmdk" */
};

struct mtv_checks_snapshot {
    const char *id;
    const char *name;
    const char *state;       /* "poweredOff", ... */
    const char *create_time; /* RFC 3339 */
};

/* The vSphere VM record (every pointer borrowed from the caller). */
struct mtv_checks_source {
    const char *name;
    const char *uuid;        /* config.uuid (BIOS UUID) */
    bool win_os;             /* "win" in guestId */
    const char *power_state; /* "on", "off", ... */
    int num_cpu;
    int cores_per_socket;
    long long memory_mb;
    const struct mtv_checks_src_nic *nics;
    size_t n_nics;
    const struct mtv_checks_src_disk *disks;
    size_t n_disks;
    const struct mtv_checks_snapshot *snapshots;
    size_t n_snapshots;
};

/* ------------------------------------------------------- destination VM */

struct mtv_checks_dest_nic {
    char *name; /* interface/network name ("net-0") */
    char *mac;
    char *ip;      /* first IP (VMI status), or NULL */
    char *network; /* "pod", or the NAD name of multus "ns/nad" */
};

struct mtv_checks_dest_disk {
    char *volume;        /* volumes[].name */
    char *pvc_name;      /* claimName / dataVolume name */
    bool pvc_found;      /* the PVC was in the list given */
    long long size_kb;   /* spec.resources.requests.storage / 1024 */
    char *storage_class; /* spec.storageClassName, or NULL */
    char *access_mode;   /* first of spec.accessModes, or NULL */
    int unit_number;     /* index among PVC-backed volumes */
};

/* What the destination looks like (owned; free with mtv_checks_dest_free). */
struct mtv_checks_dest {
    char *name;
    char *namespace;
    char *printable_status; /* VM status.printableStatus, or NULL */
    bool running;           /* printableStatus == "Running" */
    bool vmi_present;
    bool agent_connected; /* VMI condition AgentConnected == "True" */
    char *run_strategy;
    char *serial;              /* template domain.firmware.serial, or NULL */
    struct mtv_json *labels;   /* spec.template.metadata.labels, or NULL */
    struct mtv_json *affinity; /* spec.template.spec.affinity, or NULL */
    char *node_name;           /* VMI status.nodeName, or NULL */
    long long cores;           /* domain.cpu.cores (0 when unset) */
    long long sockets;         /* domain.cpu.sockets (0 when unset) */
    long long memory_mb;       /* domain.memory.guest in MiB, -1 unknown */
    struct mtv_checks_dest_nic *nics;
    size_t n_nics;
    struct mtv_checks_dest_disk *disks; /* PVC-backed volumes, in order */
    size_t n_disks;
    size_t n_other_volumes; /* cloud-init, containerDisk, ... */
};

/* The objects the destination model is read from (all borrowed). */
struct mtv_checks_dest_input {
    const struct mtv_json *vm;   /* kubevirt.io/v1 VirtualMachine (required) */
    const struct mtv_json *vmi;  /* its VirtualMachineInstance, or NULL */
    const struct mtv_json *pvcs; /* PVC List object or array, or NULL */
};

/*
 * Build the destination model (reference section 3.2, without starting
 * anything): CPU, memory and volumes from the VMI spec when a VMI exists,
 * else from spec.template.spec; NICs from VMI status.interfaces matched to
 * spec.networks (else from the template's interfaces); serial, labels and
 * affinity from spec.template. Caller frees *out with mtv_checks_dest_free.
 * Returns 0, MTV_EPROTO (the VM JSON lacks metadata.name, a field has the
 * wrong type) or MTV_ENOMEM.
 */
int mtv_checks_dest_build(struct mtv_checks_dest **out,
                          const struct mtv_checks_dest_input *in,
                          struct mtv_error *err);

void mtv_checks_dest_free(struct mtv_checks_dest *d);

/*
 * Parse a Kubernetes quantity ("4Gi", "4096Mi", "1.5G", "2e9", "500m")
 * into bytes (rounded down). MTV_EINVAL when malformed.
 */
int mtv_checks_parse_quantity(const char *s, long long *out);

/* ------------------------------------------------------- plan settings */

/* The scenario, plan and session facts validators compare against. */
struct mtv_checks_plan {
    const char *source_type;         /* providers file type: "vsphere", ... */
    const char *storage_class;       /* config storage_class */
    const char *target_power_state;  /* plan target_power_state, or NULL */
    const char *pvc_name_template;   /* plan pvc_name_template, or NULL */
    bool pvc_name_use_generate_name; /* true unless the plan sets false */
    const struct mtv_json *target_labels;   /* object, or NULL */
    const struct mtv_json *target_affinity; /* object, or NULL */
    bool preserve_static_ips;
    const char *session_id;             /* replaces null label values */
    const struct mtv_json *network_map; /* NetworkMap spec.map array */
    const struct mtv_json *storage_map; /* StorageMap spec.map array */
    const char *cluster_version; /* ClusterVersion status.desired.version */
    /* provider_ssl: config source_provider_insecure_skip_verify, and the
     * source Provider CR with its Secret (NULL when not found). */
    bool source_insecure_skip_verify;
    const struct mtv_json *provider;
    const struct mtv_json *provider_secret;
    /* guest credentials from the providers file (never logged) */
    const char *guest_linux_user;
    const char *guest_linux_password;
    const char *guest_win_user;
    const char *guest_win_password;
    /* timeouts and retry intervals, milliseconds; 0 = the reference's
     * (guest agent 301 s @1 s, SSH 300 s @15 s, static IP 600 s @30 s) */
    int64_t guest_agent_timeout_ms;
    int64_t guest_agent_interval_ms;
    int64_t ssh_timeout_ms;
    int64_t ssh_interval_ms;
    int64_t static_ip_timeout_ms;
    int64_t static_ip_interval_ms;
    int64_t command_timeout_ms; /* one guest command; 0 = 30 s */
};

/* One migrated VM and the facts about it. */
struct mtv_checks_vm {
    const char *name;            /* clone name */
    const char *source_vm_power; /* scenario "on"/"off", or NULL */
    bool guest_agent;            /* scenario guest_agent */
    int expected_disk_count;     /* copy-offload: 1 + len(add_disks); -1 */
    const struct mtv_checks_source *source;        /* read after migration */
    const struct mtv_checks_source *source_before; /* read before (PVC
                                                    * names, static IPs,
                                                    * snapshots); NULL =
                                                    * source */
    const struct mtv_checks_dest *dest;
};

/* ------------------------------------------------------ I/O interface */

/* One command to run on the migrated guest over SSH. */
struct mtv_checks_exec_req {
    const char *vm_name;
    const char *namespace;
    const char *user;
    const char *password; /* never logged */
    const char *command;
    int64_t timeout_ms;
};

/* What the command did; the callback allocates out/err (malloc), checks
 * frees them. */
struct mtv_checks_exec_res {
    int exit_status;
    char *out;
    char *err;
};

/* Run a command; 0 when it ran (any exit status), <0 transport failure. */
typedef int (*mtv_checks_exec_fn)(const struct mtv_checks_exec_req *req,
                                  struct mtv_checks_exec_res *res,
                                  struct mtv_error *err, void *payload);

/* Fresh GET of the destination's VMI. Caller frees *out (mtv_json_free). */
typedef int (*mtv_checks_get_vmi_fn)(struct mtv_json **out,
                                     const struct mtv_checks_dest *dest,
                                     struct mtv_error *err, void *payload);

/* Wait between retries (NULL: sleep). Tests record instead of waiting. */
typedef void (*mtv_checks_wait_fn)(int64_t ms, void *payload);

struct mtv_checks_env {
    mtv_checks_exec_fn exec;       /* NULL: ssh/static_ip skip */
    mtv_checks_get_vmi_fn get_vmi; /* NULL: guest_agent uses dest only */
    mtv_checks_wait_fn wait;
    void *payload;
};

/* ------------------------------------------------------------- results */

/* Shared by runner.h and checks.h (identical in both). */
#ifndef MTV_CHECK_STATUS_DEFINED
#define MTV_CHECK_STATUS_DEFINED
enum mtv_check_status {
    MTV_CHECK_PASS = 0,
    MTV_CHECK_FAIL,
    MTV_CHECK_SKIP,
};
#endif

#define MTV_CHECKS_COUNT 15
#define MTV_CHECK_MSG_MAX 2048

struct mtv_check_result {
    const char *name; /* canonical validator name (static) */
    enum mtv_check_status status;
    char message[MTV_CHECK_MSG_MAX]; /* one line */
};

struct mtv_checks_report {
    struct mtv_check_result results[MTV_CHECKS_COUNT];
    size_t n;
    size_t n_failed;
    size_t n_skipped;
};

/* The canonical validator names, in order (static; n gets the count). */
const char *const *mtv_checks_names(size_t *n);

/* "pass", "fail", "skip". */
const char *mtv_check_status_name(enum mtv_check_status s);

/*
 * Run every validator in order on one VM and fill *out. Returns 0 (the
 * outcome is in the report, out->n_failed > 0 when any failed) or
 * MTV_EINVAL when plan/vm/dest/source are missing. env may be NULL.
 */
int mtv_checks_run_all(struct mtv_checks_report *out,
                       const struct mtv_checks_plan *plan,
                       const struct mtv_checks_vm *vm,
                       const struct mtv_checks_env *env);

/* Run one validator by name. MTV_ENOTFOUND for an unknown name. */
int mtv_checks_run_one(struct mtv_check_result *out, const char *name,
                       const struct mtv_checks_plan *plan,
                       const struct mtv_checks_vm *vm,
                       const struct mtv_checks_env *env);

/* Append "cpu, network" (the failed validators' names) to b. */
int mtv_checks_failed_names(const struct mtv_checks_report *r,
                            struct mtv_buf *b);

/* ----------------------------------------------------- guest outputs */

struct mtv_guest_iface {
    char *name;               /* "ens33", "Ethernet0" */
    char *mac;                /* normalised: lower case, ':' separated */
    struct mtv_strv ips;      /* IPv4 addresses */
    int prefix;               /* first IPv4 prefix, or -1 */
    char *mask;               /* first IPv4 netmask, dotted, or NULL */
    struct mtv_strv gateways; /* default gateways in listed order */
    char *gateway;            /* first IPv4 gateway (else first), or NULL */
};

struct mtv_guest_ifaces {
    struct mtv_guest_iface *items;
    size_t n;
};

/*
 * Parse `nmcli device show` (Linux): one interface per block; lo and
 * devices whose state is not "connected" are left out. 0 or MTV_ENOMEM /
 * MTV_EPROTO (no device block at all).
 */
int mtv_guest_parse_nmcli(struct mtv_guest_ifaces *out, const char *text,
                          struct mtv_error *err);

/* Parse `ipconfig /all` (Windows): one interface per adapter. */
int mtv_guest_parse_ipconfig(struct mtv_guest_ifaces *out, const char *text,
                             struct mtv_error *err);

void mtv_guest_ifaces_dispose(struct mtv_guest_ifaces *v);

/* "00-0C-29-AB-CD-EF" / "00:0c:29:ab:cd:ef" / "000c.29ab.cdef" forms
 * compared after normalisation. */
bool mtv_checks_mac_equal(const char *a, const char *b);

#endif
