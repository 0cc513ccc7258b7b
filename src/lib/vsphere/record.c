/*
 * vsphere: the VM record of reference §1.15.E, read in two round trips.
 */
#include <stdlib.h>
#include <string.h>

#include "vsphere/vsphere_priv.h"

#define MAX_CTRL 64

struct ctrl {
    int key;
    int bus;
    bool scsi;
};

struct rec_ctx {
    struct mtv_vm_record *rec;
    struct ctrl ctrl[MAX_CTRL];
    size_t n_ctrl;
    struct mtv_strv ref_types;  /* morefs whose names we need */
    struct mtv_strv ref_values;
    struct mtv_strv names;      /* names found, parallel to ref_values */
};

static char *dup_text(const struct mtv_soap_node *n, const char *path)
{
    const char *t = mtv_soap_node_path_text(n, path, NULL);

    return t != NULL ? mtv_strdup(t) : NULL;
}

static void *grow(void *arr, size_t n, size_t size)
{
    void *p = realloc(arr, (n + 1) * size);

    if (p != NULL) {
        memset((char *)p + n * size, 0, size);
    }
    return p;
}

static int want_name(struct rec_ctx *x, const struct mtv_soap_node *ref,
                     const char *type)
{
    const char *v = mtv_soap_node_text(ref);

    if (ref == NULL || v[0] == '\0' || mtv_strv_contains(&x->ref_values, v)) {
        return 0;
    }
    if (mtv_strv_push(&x->ref_types, type != NULL
                                         ? type
                                         : mtv_soap_node_attr(ref, "type")) !=
            0 ||
        mtv_strv_push(&x->ref_values, v) != 0) {
        return MTV_ENOMEM;
    }
    return 0;
}

/* ------------------------------------------------------------ devices */

static void scan_ctrl(struct rec_ctx *x, const struct mtv_soap_node *devs)
{
    for (const struct mtv_soap_node *d = mtv_soap_node_child(devs, NULL);
         d != NULL && x->n_ctrl < MAX_CTRL; d = mtv_soap_node_next(d, NULL)) {
        if (mtv_soap_node_child(d, "busNumber") == NULL) {
            continue;
        }
        x->ctrl[x->n_ctrl].key = (int)mtv_soap_node_path_long(d, "key", -1);
        x->ctrl[x->n_ctrl].bus =
            (int)mtv_soap_node_path_long(d, "busNumber", -1);
        x->ctrl[x->n_ctrl].scsi =
            mtv_soap_node_child(d, "scsiCtlrUnitNumber") != NULL;
        x->n_ctrl++;
    }
}

static int add_disk(struct rec_ctx *x, const struct mtv_soap_node *d)
{
    struct mtv_vm_record *r = x->rec;
    struct mtv_vm_disk *k = NULL;
    struct mtv_vm_disk *arr = grow(r->disks, r->n_disks, sizeof(*arr));

    if (arr == NULL) {
        return MTV_ENOMEM;
    }
    r->disks = arr;
    k = &arr[r->n_disks++];
    k->label = dup_text(d, "deviceInfo/label");
    k->capacity_kb = mtv_soap_node_path_long(d, "capacityInKB", 0);
    k->file_name = dup_text(d, "backing/fileName");
    k->key = (int)mtv_soap_node_path_long(d, "key", -1);
    k->unit_number = (int)mtv_soap_node_path_long(d, "unitNumber", -1);
    k->controller_key = (int)mtv_soap_node_path_long(d, "controllerKey", -1);
    k->bus_number = -1;
    for (size_t i = 0; i < x->n_ctrl; i++) {
        if (x->ctrl[i].key == k->controller_key) {
            k->scsi = x->ctrl[i].scsi;
            k->bus_number = x->ctrl[i].bus;
        }
    }
    /* the datastore name is filled in by the second round trip */
    k->datastore = dup_text(d, "backing/datastore");
    return want_name(x, mtv_soap_node_path(d, "backing/datastore"),
                     "Datastore");
}

static int add_nic(struct rec_ctx *x, const struct mtv_soap_node *d)
{
    struct mtv_vm_record *r = x->rec;
    struct mtv_vm_nic *n = NULL;
    struct mtv_vm_nic *arr = grow(r->nics, r->n_nics, sizeof(*arr));
    const struct mtv_soap_node *b = mtv_soap_node_child(d, "backing");
    const char *pg = mtv_soap_node_path_text(b, "port/portgroupKey", NULL);

    if (arr == NULL) {
        return MTV_ENOMEM;
    }
    r->nics = arr;
    n = &arr[r->n_nics++];
    n->label = dup_text(d, "deviceInfo/label");
    n->mac = dup_text(d, "macAddress");
    n->key = (int)mtv_soap_node_path_long(d, "key", -1);
    if (pg != NULL) {
        n->network = mtv_strdup(pg); /* replaced by the port group's name */
        if (mtv_strv_contains(&x->ref_values, pg)) {
            return 0;
        }
        return mtv_strv_push(&x->ref_types, "DistributedVirtualPortgroup") ||
                       mtv_strv_push(&x->ref_values, pg)
                   ? MTV_ENOMEM
                   : 0;
    }
    if (mtv_soap_node_child(b, "network") == NULL) {
        n->network = dup_text(b, "deviceName"); /* no moref: keep the name */
        return 0;
    }
    n->network = dup_text(b, "network");
    return want_name(x, mtv_soap_node_child(b, "network"), NULL);
}

static int scan_devices(struct rec_ctx *x, const struct mtv_soap_node *devs)
{
    int rc = 0;

    scan_ctrl(x, devs);
    for (const struct mtv_soap_node *d = mtv_soap_node_child(devs, NULL);
         rc == 0 && d != NULL; d = mtv_soap_node_next(d, NULL)) {
        if (mtv_str_eq(mtv_soap_node_type(d), "VirtualDisk")) {
            rc = add_disk(x, d);
        } else if (mtv_soap_node_child(d, "macAddress") != NULL &&
                   mtv_soap_node_child(d, "addressType") != NULL) {
            rc = add_nic(x, d);
        }
    }
    return rc;
}

/* ----------------------------------------------------------- snapshots */

static int add_snapshots(struct mtv_vm_record *r,
                         const struct mtv_soap_node *first, int depth)
{
    int rc = 0;

    if (depth > 64) {
        return MTV_EPROTO;
    }
    for (const struct mtv_soap_node *s = first; rc == 0 && s != NULL;
         s = mtv_soap_node_next(s, mtv_soap_node_name(first))) {
        struct mtv_vm_snapshot *arr =
            grow(r->snapshots, r->n_snapshots, sizeof(*arr));
        if (arr == NULL) {
            return MTV_ENOMEM;
        }
        r->snapshots = arr;
        arr[r->n_snapshots].name = dup_text(s, "name");
        arr[r->n_snapshots].id = dup_text(s, "id");
        arr[r->n_snapshots].moref = dup_text(s, "snapshot");
        arr[r->n_snapshots].create_time = dup_text(s, "createTime");
        arr[r->n_snapshots].state = dup_text(s, "state");
        arr[r->n_snapshots].depth = depth;
        r->n_snapshots++;
        rc = add_snapshots(r, mtv_soap_node_child(s, "childSnapshotList"),
                           depth + 1);
    }
    return rc;
}

/* --------------------------------------------------------- extraConfig */

static int scan_extra_config(struct mtv_vm_record *r,
                             const struct mtv_soap_node *ec)
{
    int rc = 0;

    for (const struct mtv_soap_node *o = mtv_soap_node_child(ec, NULL);
         rc == 0 && o != NULL; o = mtv_soap_node_next(o, NULL)) {
        const char *k = mtv_soap_node_path_text(o, "key", "");
        const char *v = mtv_soap_node_path_text(o, "value", "");

        if (!mtv_str_case_eq(v, "true")) {
            continue;
        }
        if (strcmp(k, "ctkEnabled") == 0) {
            r->ctk_enabled = true;
        } else if (mtv_str_has_suffix(k, ".ctkEnabled")) {
            rc = mtv_strv_push(&r->ctk_keys, k);
        }
    }
    return rc;
}

/* ------------------------------------------------------------- basics */

static const char *power_word(const char *state)
{
    if (mtv_str_eq(state, "poweredOn")) {
        return "on";
    }
    if (mtv_str_eq(state, "poweredOff")) {
        return "off";
    }
    return "other";
}

static void read_basics(struct mtv_vm_record *r, const struct mtv_soap_node *o)
{
    const char *tools = mtv_soap_node_text(mtv_vsphere__prop(o, "guest.toolsStatus"));
    const char *running =
        mtv_soap_node_text(mtv_vsphere__prop(o, "guest.toolsRunningStatus"));

    r->id = mtv_strdup(mtv_soap_node_path_text(o, "obj", ""));
    r->name = mtv_strdup(mtv_soap_node_text(mtv_vsphere__prop(o, "name")));
    r->uuid = mtv_strdup(mtv_soap_node_text(mtv_vsphere__prop(o, "config.uuid")));
    r->guest_id =
        mtv_strdup(mtv_soap_node_text(mtv_vsphere__prop(o, "config.guestId")));
    r->win_os = r->guest_id != NULL && strstr(r->guest_id, "win") != NULL;
    r->power_state = mtv_strdup(power_word(
        mtv_soap_node_text(mtv_vsphere__prop(o, "runtime.powerState"))));
    r->tools_ok = strcmp(tools, "toolsOk") == 0 ||
                  strcmp(running, "guestToolsRunning") == 0;
    r->guest_agent_running = mtv_str_eq(r->power_state, "on") && r->tools_ok;
    r->num_cpu = (int)mtv_soap_node_path_long(
        mtv_vsphere__prop(o, "config.hardware.numCPU"), "", 0);
    r->num_cores_per_socket = (int)mtv_soap_node_path_long(
        mtv_vsphere__prop(o, "config.hardware.numCoresPerSocket"), "", 1);
    r->num_sockets = r->num_cores_per_socket > 0
                         ? r->num_cpu / r->num_cores_per_socket
                         : r->num_cpu;
    r->memory_mb = mtv_soap_node_path_long(
        mtv_vsphere__prop(o, "config.hardware.memoryMB"), "", 0);
    r->change_tracking_enabled = mtv_str_eq(
        mtv_soap_node_text(mtv_vsphere__prop(o, "config.changeTrackingEnabled")),
        "true");
}

static int read_vm(const struct mtv_soap_node *o, void *payload)
{
    struct rec_ctx *x = payload;
    struct mtv_vm_record *r = x->rec;
    const struct mtv_soap_node *snap = mtv_vsphere__prop(o, "snapshot");
    int rc = 0;

    if (r->id != NULL) {
        /* the spec names one VM: a second ObjectContent is not vSphere
         * (and reading it would overwrite, and leak, the first) */
        return MTV_EPROTO;
    }
    read_basics(r, o);
    if (r->id == NULL || r->name == NULL || r->uuid == NULL ||
        r->guest_id == NULL || r->power_state == NULL) {
        return MTV_ENOMEM;
    }
    rc = scan_devices(x, mtv_vsphere__prop(o, "config.hardware.device"));
    rc = rc == 0 ? scan_extra_config(r, mtv_vsphere__prop(o, "config.extraConfig"))
                 : rc;
    rc = rc == 0 ? add_snapshots(r, mtv_soap_node_child(snap, "rootSnapshotList"),
                                 0)
                 : rc;
    if (rc == 0 && mtv_str_eq(r->power_state, "on")) {
        rc = mtv_vsphere__record_ips(r, mtv_vsphere__prop(o, "guest.net"),
                                     mtv_vsphere__prop(o, "guest.ipStack"));
    }
    return rc;
}

static int lookup_vm_props(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                           struct rec_ctx *x, struct mtv_error *err)
{
    static const char *const paths[] = {
        "name", "config.uuid", "config.guestId", "config.hardware.numCPU",
        "config.hardware.numCoresPerSocket", "config.hardware.memoryMB",
        "config.hardware.device", "config.extraConfig",
        "config.changeTrackingEnabled", "runtime.powerState",
        "guest.toolsStatus", "guest.toolsRunningStatus", "guest.net",
        "guest.ipStack", "snapshot"};
    struct mtv_buf spec = MTV_BUF_INIT;
    int rc = mtv_vsphere__put_object_spec(&spec, vm, paths,
                                          sizeof(paths) / sizeof(paths[0]));

    if (rc == 0) {
        rc = mtv_vsphere__retrieve(vs, &spec, read_vm, x, err);
    }
    if (rc == 0 && x->rec->id == NULL) {
        rc = mtv_error_set(err, MTV_ENOTFOUND, "vsphere", "VM '%s' not found",
                           vm->value);
    }
    mtv_buf_dispose(&spec);
    return rc;
}

/* ------------------------------------------------------ second round trip */

static int put_names_spec(struct mtv_buf *b, const struct rec_ctx *x)
{
    static const char *const types[] = {"Datastore", "Network",
                                        "DistributedVirtualPortgroup"};
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < 3; i++) {
        rc = mtv_buf_printf(b, "<propSet><type>%s</type>"
                               "<pathSet>name</pathSet></propSet>",
                            types[i]);
    }
    for (size_t i = 0; rc == 0 && i < x->ref_values.len; i++) {
        rc = mtv_buf_puts(b, "<objectSet>");
        rc = rc == 0 ? mtv_soap_put_moref(b, "obj", x->ref_types.items[i],
                                          x->ref_values.items[i])
                     : rc;
        rc = rc == 0 ? mtv_buf_puts(b, "<skip>false</skip></objectSet>") : rc;
    }
    return rc;
}

static int read_name(const struct mtv_soap_node *o, void *payload)
{
    struct rec_ctx *x = payload;
    const char *v = mtv_soap_node_path_text(o, "obj", "");

    for (size_t i = 0; i < x->ref_values.len; i++) {
        if (strcmp(x->ref_values.items[i], v) == 0) {
            free(x->names.items[i]);
            x->names.items[i] =
                mtv_strdup(mtv_soap_node_text(mtv_vsphere__prop(o, "name")));
        }
    }
    return 0;
}

/* The name found for a moref value (NULL: not asked); *dvs its kind. */
static const char *name_of(const struct rec_ctx *x, const char *value,
                           bool *dvs)
{
    for (size_t i = 0; value != NULL && i < x->ref_values.len; i++) {
        if (strcmp(x->ref_values.items[i], value) == 0) {
            *dvs = strcmp(x->ref_types.items[i],
                          "DistributedVirtualPortgroup") == 0;
            return x->names.items[i];
        }
    }
    return NULL;
}

static int swap_name(char **field, const char *name, const char *fallback)
{
    char *copy = NULL;

    if (name == NULL && fallback == NULL) {
        return 0;
    }
    copy = name != NULL ? mtv_strdup(name)
                        : mtv_strdup_printf("%s%s", fallback, *field);
    if (copy == NULL) {
        return MTV_ENOMEM;
    }
    free(*field);
    *field = copy;
    return 0;
}

static int resolve_names(struct mtv_vsphere *vs, struct rec_ctx *x,
                         struct mtv_error *err)
{
    struct mtv_vm_record *r = x->rec;
    struct mtv_buf spec = MTV_BUF_INIT;
    bool dvs = false;
    int rc = 0;

    if (x->ref_values.len == 0) {
        return 0;
    }
    for (size_t i = 0; rc == 0 && i < x->ref_values.len; i++) {
        rc = mtv_strv_push(&x->names, "");
    }
    rc = rc == 0 ? put_names_spec(&spec, x) : rc;
    rc = rc == 0 ? mtv_vsphere__retrieve(vs, &spec, read_name, x, err) : rc;
    for (size_t i = 0; rc == 0 && i < r->n_disks; i++) {
        const char *n = name_of(x, r->disks[i].datastore, &dvs);
        rc = swap_name(&r->disks[i].datastore, n != NULL && n[0] ? n : NULL,
                       NULL);
    }
    for (size_t i = 0; rc == 0 && i < r->n_nics; i++) {
        const char *n = name_of(x, r->nics[i].network, &dvs);
        /* an unnamed port group is "DVS-<key>", like the reference */
        rc = swap_name(&r->nics[i].network, n != NULL && n[0] ? n : NULL,
                       n != NULL && !n[0] && dvs ? "DVS-" : NULL);
    }
    mtv_buf_dispose(&spec);
    return rc;
}

int mtv_vsphere_lookup_vm_record(struct mtv_vm_record **out,
                                 struct mtv_vsphere *vs,
                                 const struct mtv_moref *vm,
                                 struct mtv_error *err)
{
    struct rec_ctx x;
    int rc = 0;

    if (out == NULL || *out != NULL || vm == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "vsphere", "VM record: bad args");
    }
    memset(&x, 0, sizeof(x));
    x.rec = calloc(1, sizeof(*x.rec));
    if (x.rec == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "vsphere", "out of memory");
    }
    rc = lookup_vm_props(vs, vm, &x, err);
    rc = rc == 0 ? resolve_names(vs, &x, err) : rc;
    if (rc == MTV_ENOMEM || rc == MTV_EPROTO) {
        if (err == NULL || err->msg[0] == '\0') {
            mtv_error_set(err, rc, "vsphere", "VM record: cannot decode");
        }
    }
    if (rc != 0) {
        mtv_error_prefix(err, "VM '%s'", vm->value);
        mtv_vm_record_free(x.rec);
    } else {
        *out = x.rec;
    }
    mtv_strv_dispose(&x.ref_types);
    mtv_strv_dispose(&x.ref_values);
    mtv_strv_dispose(&x.names);
    return rc;
}
