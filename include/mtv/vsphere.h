/*
 * vsphere: a vCenter client over soap.
 *
 * A `struct mtv_vsphere` is one logged-in session (one thread at a time):
 * RetrieveServiceContent, SessionManager.Login, the vmware_soap_session
 * cookie, a cheap liveness probe, one transparent re-login when a call
 * faults with NotAuthenticated, Logout. Reads go through the
 * PropertyCollector in batches (RetrievePropertiesEx); every wait (tasks,
 * the guest) watches property updates with WaitForUpdatesEx and a deadline.
 *
 * Names: "lookup" is a remote call, "get" reads a local struct.
 */
#ifndef MTV_VSPHERE_H
#define MTV_VSPHERE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtv/http.h"
#include "mtv/json.h"
#include "mtv/util.h"

struct mtv_vsphere;

/* A managed object reference ("VirtualMachine", "vm-42"). */
struct mtv_moref {
    char type[64];
    char value[96];
};

/* ------------------------------------------------------------- session */

/*
 * How to reach vCenter.
 *   url:      the SOAP endpoint, "https://host[:port]/sdk" (api_url)
 *   username, password: copied; the password is wiped on free
 *   ca_pem:   trust exactly these CAs (the provider's cacert); NULL: the
 *             system store
 *   insecure: skip TLS verification (source_provider_insecure_skip_verify)
 *   transport: a transport to use instead of a libcurl client (tests);
 *             borrowed, must outlive the session. ca_pem/insecure ignored.
 *   timeout_ms: per SOAP call, 0 = 120 s
 */
struct mtv_vsphere_options {
    const char *url;
    const char *username;
    const char *password;
    const char *ca_pem;
    bool insecure;
    struct mtv_http_transport *transport;
    int64_t timeout_ms;
};

#define MTV_VSPHERE_OPTIONS_INIT {NULL, NULL, NULL, NULL, false, NULL, 0}

/*
 * Connect and log in. *out must be NULL. Caller frees with
 * mtv_vsphere_free (which logs out). Errors: MTV_EAUTH (InvalidLogin),
 * MTV_EIO (unreachable, TLS verification failed), MTV_ETIMEOUT,
 * MTV_EPROTO, MTV_EINVAL.
 */
int mtv_vsphere_connect(struct mtv_vsphere **out,
                        const struct mtv_vsphere_options *opts,
                        struct mtv_error *err);

/* Log out (best effort) and free (NULL allowed). */
void mtv_vsphere_free(struct mtv_vsphere *vs);

/* SessionManager.Logout; later calls log in again. */
int mtv_vsphere_logout(struct mtv_vsphere *vs, struct mtv_error *err);

/*
 * Liveness probe: one small read (SessionManager.currentSession). A dead
 * session is logged in again. 0, or the error of the re-login.
 */
int mtv_vsphere_ping(struct mtv_vsphere *vs, struct mtv_error *err);

/* The session key (UserSession.key) of the current login. Borrowed. */
const char *mtv_vsphere_session_key(const struct mtv_vsphere *vs);

/* SOAP round trips made by this session so far (all logins). */
uint64_t mtv_vsphere_round_trips(const struct mtv_vsphere *vs);

/* Number of re-logins done after NotAuthenticated. */
unsigned mtv_vsphere_relogins(const struct mtv_vsphere *vs);

/* SessionManager.TerminateSession(keys): ends another session. */
int mtv_vsphere_terminate_session(struct mtv_vsphere *vs, const char *key,
                                  struct mtv_error *err);

/*
 * Fetch the chain the server at url's host:port presents, as PEM (for a
 * provider Secret's cacert). *out must be NULL; caller frees with free().
 */
int mtv_vsphere_fetch_ca_pem(char **out, const char *url, int64_t timeout_ms,
                             struct mtv_error *err);

/* --------------------------------------------------------------- lookup */

/*
 * Find a managed entity of `type` ("VirtualMachine", "Datastore",
 * "HostSystem", ...) by exact name through a ContainerView on the root
 * folder (destroyed after use); a moref id matches too, and name NULL
 * takes the first entity of the type. MTV_ENOTFOUND when there is none.
 */
int mtv_vsphere_lookup_by_name(struct mtv_vsphere *vs, const char *type,
                               const char *name, struct mtv_moref *out,
                               struct mtv_error *err);

/* Called for every entity listed; non-zero stops the listing. */
typedef int (*mtv_vsphere_list_fn)(const char *name,
                                   const struct mtv_moref *obj,
                                   void *payload);

/*
 * Every managed entity of `type` with its name, through one ContainerView
 * (e.g. the clones whose names carry a session id, for `clean --session`).
 * fn's non-zero return is passed back (set err yourself).
 */
int mtv_vsphere_list(struct mtv_vsphere *vs, const char *type,
                     mtv_vsphere_list_fn fn, void *payload,
                     struct mtv_error *err);

/* mtv_vsphere_lookup_by_name for "VirtualMachine". */
int mtv_vsphere_lookup_vm(struct mtv_vsphere *vs, const char *name,
                          struct mtv_moref *out, struct mtv_error *err);

/* ---------------------------------------------------------------- clone */

/* One disk to add at clone time (a scenario's add_disks entry). */
struct mtv_vsphere_add_disk {
    long long size_gb;
    const char *provision_type; /* "thin" (default), "thick-lazy", "thick-eager" */
    const char *disk_mode;      /* NULL: "persistent" */
    const char *datastore;      /* name or moref id; NULL: the clone's */
    const char *datastore_path; /* folder on it (made first); NULL: none */
};

/* Called as soon as the clone task exists: record it for teardown. */
typedef int (*mtv_vsphere_clone_cb)(const char *clone_name,
                                    const struct mtv_moref *task,
                                    void *payload);

/*
 * What to clone.
 *   source:     template or VM name
 *   name:       the clone's name
 *   datastore:  target datastore name or moref id; NULL: source's first
 *   host:       HostSystem name (copy-offload); NULL: none
 *   disk_type:  "thin" | "thick-lazy" | "thick-eager" | NULL
 *   warm:       enable CBT through extraConfig (global and per SCSI disk)
 *   regenerate_mac: edit every NIC to addressType=generated
 *   add_disks, n_add_disks: disks to add on the first SCSI controller
 *   on_task, payload: see mtv_vsphere_clone_cb (may be NULL)
 *   timeout_ms: task wait, 0 = 1200 s
 */
struct mtv_vsphere_clone_spec {
    const char *source;
    const char *name;
    const char *datastore;
    const char *host;
    const char *disk_type;
    bool warm;
    bool regenerate_mac;
    const struct mtv_vsphere_add_disk *add_disks;
    size_t n_add_disks;
    mtv_vsphere_clone_cb on_task;
    void *payload;
    int64_t timeout_ms;
};

#define MTV_VSPHERE_CLONE_SPEC_INIT                                           \
    {NULL, NULL, NULL, NULL, NULL, false, true, NULL, 0, NULL, NULL, 0}

/*
 * CloneVM_Task per the reference (§1.15.C): powered off, relocate spec,
 * added disks, MAC regeneration (retried once without it when the task
 * fails with "in use"), CBT keys for warm. *out gets the clone's moref.
 * Errors carry the task's localizedMessage in err->remote.
 */
int mtv_vsphere_clone_vm(struct mtv_vsphere *vs,
                         const struct mtv_vsphere_clone_spec *spec,
                         struct mtv_moref *out, struct mtv_error *err);

/* ---------------------------------------------------- power, lifecycle */

/* PowerOnVM_Task / PowerOffVM_Task when the state differs; waits. */
int mtv_vsphere_power_on(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                         int64_t timeout_ms, struct mtv_error *err);
int mtv_vsphere_power_off(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                          int64_t timeout_ms, struct mtv_error *err);

/* ShutdownGuest (no task; returns when vCenter accepted it). */
int mtv_vsphere_shutdown_guest(struct mtv_vsphere *vs,
                               const struct mtv_moref *vm,
                               struct mtv_error *err);

/* Power off when on, then Destroy_Task; waits. */
int mtv_vsphere_destroy_vm(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                           int64_t timeout_ms, struct mtv_error *err);

/* CreateSnapshot_Task(name, description, memory, quiesce); *out: snapshot. */
int mtv_vsphere_create_snapshot(struct mtv_vsphere *vs,
                                const struct mtv_moref *vm, const char *name,
                                const char *description, bool memory,
                                bool quiesce, struct mtv_moref *out,
                                struct mtv_error *err);

/* RemoveSnapshot_Task(removeChildren); waits. */
int mtv_vsphere_remove_snapshot(struct mtv_vsphere *vs,
                                const struct mtv_moref *snapshot,
                                bool remove_children, struct mtv_error *err);

/*
 * ReconfigVM_Task with `spec_xml`: the children of a
 * VirtualMachineConfigSpec (already escaped XML). Waits.
 */
int mtv_vsphere_reconfigure(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                            const char *spec_xml, int64_t timeout_ms,
                            struct mtv_error *err);

/*
 * Wait for a task's info.state to be success or error (WaitForUpdatesEx,
 * bounded by timeout_ms). On error: MTV_EREMOTE with the task's
 * localizedMessage in err->remote. result (may be NULL) gets info.result
 * when it is a moref.
 */
int mtv_vsphere_wait_task(struct mtv_vsphere *vs, const struct mtv_moref *task,
                          int64_t timeout_ms, struct mtv_moref *result,
                          struct mtv_error *err);

/*
 * Wait until the VM is powered on, its tools run (toolsOk) and guest.net
 * is non-empty; MTV_ETIMEOUT after timeout_ms.
 */
int mtv_vsphere_wait_guest(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                           int64_t timeout_ms, struct mtv_error *err);

/*
 * Wait until runtime.powerState equals `state` ("poweredOn",
 * "poweredOff", "suspended"), e.g. after ShutdownGuest; MTV_ETIMEOUT.
 */
int mtv_vsphere_wait_power_state(struct mtv_vsphere *vs,
                                 const struct mtv_moref *vm,
                                 const char *state, int64_t timeout_ms,
                                 struct mtv_error *err);

/* ------------------------------------------------------------ VM record */

struct mtv_vm_ip {
    char *address;
    int prefix_length;
    char *gateway;  /* NULL when no default route for this NIC */
    char *origin;   /* "manual", "dhcp", ... or NULL (unknown) */
    int is_static;  /* 1 static, 0 not, -1 unknown */
};

struct mtv_vm_nic {
    char *label;
    char *mac;
    char *network;  /* network or DVS port-group name */
    int key;
    struct mtv_vm_ip *ips;
    size_t n_ips;
};

struct mtv_vm_disk {
    char *label;
    long long capacity_kb;
    char *datastore;
    char *file_name; /* "[ds] folder/file.vmdk" */
    int key;
    int unit_number;
    int controller_key;
    bool scsi;
    int bus_number; /* of the controller, -1 when unknown */
};

struct mtv_vm_snapshot {
    char *name;
    char *id;          /* the snapshot's id (an integer, as text) */
    char *moref;       /* VirtualMachineSnapshot moref value */
    char *create_time; /* RFC 3339 as vCenter sends it */
    char *state;       /* poweredOn / poweredOff / suspended */
    int depth;         /* 0 for roots, +1 per level */
};

/* The source VM's facts the checks use (§1.15.E). "get" reads it. */
struct mtv_vm_record {
    char *id;
    char *name;
    char *uuid;
    char *guest_id;
    bool win_os;
    char *power_state; /* "on" | "off" | "other" */
    bool tools_ok;
    bool guest_agent_running;
    int num_cpu;
    int num_cores_per_socket;
    int num_sockets;
    long long memory_mb;
    struct mtv_vm_nic *nics;
    size_t n_nics;
    struct mtv_vm_disk *disks;
    size_t n_disks;
    struct mtv_vm_snapshot *snapshots; /* the whole tree, depth first */
    size_t n_snapshots;
    bool change_tracking_enabled;
    bool ctk_enabled;          /* extraConfig ctkEnabled=true */
    struct mtv_strv ctk_keys;  /* every extraConfig "*.ctkEnabled"=true key */
};

/*
 * Read the record of `vm` in two round trips (the VM's properties, then
 * the names of its datastores and networks). *out must be NULL; caller
 * frees with mtv_vm_record_free.
 */
int mtv_vsphere_lookup_vm_record(struct mtv_vm_record **out,
                                 struct mtv_vsphere *vs,
                                 const struct mtv_moref *vm,
                                 struct mtv_error *err);

/* Free a record (NULL allowed). */
void mtv_vm_record_free(struct mtv_vm_record *rec);

/*
 * The record as JSON (the reference's vm_dict keys). *out must be NULL;
 * caller frees with mtv_json_free.
 */
int mtv_vm_record_to_json(struct mtv_json **out,
                          const struct mtv_vm_record *rec,
                          struct mtv_error *err);

#endif
