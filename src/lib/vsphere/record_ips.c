/*
 * vsphere: the VM record's guest IPs, freeing, and JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsphere/vsphere_priv.h"

static bool is_ipv4(const char *ip)
{
    return ip != NULL && strchr(ip, ':') == NULL && strchr(ip, '.') != NULL;
}

/* The IPv4 default gateway for device index `dev`, or NULL. Borrowed. */
static const char *default_gateway(const struct mtv_soap_node *ip_stack,
                                   const char *dev)
{
    for (const struct mtv_soap_node *st = mtv_soap_node_child(ip_stack, NULL);
         st != NULL; st = mtv_soap_node_next(st, NULL)) {
        const struct mtv_soap_node *rc = mtv_soap_node_child(st, "ipRouteConfig");
        for (const struct mtv_soap_node *rt = mtv_soap_node_child(rc, "ipRoute");
             rt != NULL; rt = mtv_soap_node_next(rt, "ipRoute")) {
            const char *gw = mtv_soap_node_path_text(rt, "gateway/ipAddress", "");
            if (strcmp(mtv_soap_node_path_text(rt, "network", ""), "0.0.0.0") ==
                    0 &&
                mtv_soap_node_path_long(rt, "prefixLength", -1) == 0 &&
                is_ipv4(gw) &&
                strcmp(mtv_soap_node_path_text(rt, "gateway/device", ""), dev) ==
                    0) {
                return gw;
            }
        }
    }
    return NULL;
}

static int add_ip(struct mtv_vm_nic *n, const struct mtv_soap_node *a,
                  const char *gw)
{
    const char *ip = mtv_soap_node_path_text(a, "ipAddress", "");
    const char *origin = mtv_soap_node_path_text(a, "origin", NULL);
    struct mtv_vm_ip *arr = NULL;
    struct mtv_vm_ip *p = NULL;

    if (!is_ipv4(ip) || mtv_str_has_prefix(ip, "169.254.")) {
        return 0;
    }
    arr = realloc(n->ips, (n->n_ips + 1) * sizeof(*arr));
    if (arr == NULL) {
        return MTV_ENOMEM;
    }
    n->ips = arr;
    p = &arr[n->n_ips++];
    memset(p, 0, sizeof(*p));
    p->address = mtv_strdup(ip);
    p->prefix_length = (int)mtv_soap_node_path_long(a, "prefixLength", 0);
    p->gateway = mtv_strdup(gw);
    p->origin = mtv_strdup(origin);
    p->is_static = origin == NULL ? -1 : strcmp(origin, "manual") == 0;
    return p->address == NULL ? MTV_ENOMEM : 0;
}

static int nic_ips(struct mtv_vm_nic *n, const struct mtv_soap_node *g,
                   const struct mtv_soap_node *ip_stack, size_t index)
{
    char dev[32];
    const char *gw = NULL;
    int rc = 0;

    snprintf(dev, sizeof(dev), "%d", n->key - 4000);
    gw = default_gateway(ip_stack, dev);
    if (gw == NULL) {
        snprintf(dev, sizeof(dev), "%zu", index);
        gw = default_gateway(ip_stack, dev);
    }
    for (const struct mtv_soap_node *a =
             mtv_soap_node_path(g, "ipConfig/ipAddress");
         rc == 0 && a != NULL; a = mtv_soap_node_next(a, "ipAddress")) {
        rc = add_ip(n, a, gw);
    }
    return rc;
}

int mtv_vsphere__record_ips(struct mtv_vm_record *r,
                            const struct mtv_soap_node *net,
                            const struct mtv_soap_node *ip_stack)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < r->n_nics; i++) {
        size_t index = 0;
        for (const struct mtv_soap_node *g = mtv_soap_node_child(net, NULL);
             rc == 0 && g != NULL; g = mtv_soap_node_next(g, NULL), index++) {
            if (mtv_str_case_eq(mtv_soap_node_path_text(g, "macAddress", ""),
                                r->nics[i].mac)) {
                rc = nic_ips(&r->nics[i], g, ip_stack, index);
            }
        }
    }
    return rc;
}

/* ---------------------------------------------------------------- free */

static void free_nic(struct mtv_vm_nic *n)
{
    for (size_t i = 0; i < n->n_ips; i++) {
        free(n->ips[i].address);
        free(n->ips[i].gateway);
        free(n->ips[i].origin);
    }
    free(n->ips);
    free(n->label);
    free(n->mac);
    free(n->network);
}

void mtv_vm_record_free(struct mtv_vm_record *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n_nics; i++) {
        free_nic(&r->nics[i]);
    }
    for (size_t i = 0; i < r->n_disks; i++) {
        free(r->disks[i].label);
        free(r->disks[i].datastore);
        free(r->disks[i].file_name);
    }
    for (size_t i = 0; i < r->n_snapshots; i++) {
        free(r->snapshots[i].name);
        free(r->snapshots[i].id);
        free(r->snapshots[i].moref);
        free(r->snapshots[i].create_time);
        free(r->snapshots[i].state);
    }
    free(r->nics);
    free(r->disks);
    free(r->snapshots);
    free(r->id);
    free(r->name);
    free(r->uuid);
    free(r->guest_id);
    free(r->power_state);
    mtv_strv_dispose(&r->ctk_keys);
    free(r);
}

/* ---------------------------------------------------------------- json */

static int set_str(struct mtv_json *o, const char *k, const char *v)
{
    return v != NULL ? mtv_json_set_string(o, k, v) : mtv_json_set_null(o, k);
}

static struct mtv_json *ip_json(const struct mtv_vm_ip *ip)
{
    struct mtv_json *o = mtv_json_new_object();
    int rc = o != NULL ? 0 : MTV_ENOMEM;

    rc = rc == 0 ? set_str(o, "ip_address", ip->address) : rc;
    rc = rc == 0 ? mtv_json_set_number(o, "subnet_mask", ip->prefix_length) : rc;
    rc = rc == 0 ? set_str(o, "gateway", ip->gateway) : rc;
    rc = rc == 0 ? set_str(o, "ip_origin", ip->origin) : rc;
    if (rc == 0) {
        rc = ip->is_static < 0 ? mtv_json_set_null(o, "is_static_ip")
                               : mtv_json_set_bool(o, "is_static_ip",
                                                   ip->is_static == 1);
    }
    if (rc != 0) {
        mtv_json_free(o);
        return NULL;
    }
    return o;
}

static struct mtv_json *nic_json(const struct mtv_vm_nic *n)
{
    struct mtv_json *o = mtv_json_new_object();
    struct mtv_json *ips = mtv_json_new_array();
    int rc = o != NULL && ips != NULL ? 0 : MTV_ENOMEM;

    rc = rc == 0 ? set_str(o, "name", n->label) : rc;
    rc = rc == 0 ? set_str(o, "macAddress", n->mac) : rc;
    rc = rc == 0 ? set_str(o, "network.name", n->network) : rc;
    rc = rc == 0 ? mtv_json_set_number(o, "device_key", n->key) : rc;
    for (size_t i = 0; rc == 0 && i < n->n_ips; i++) {
        struct mtv_json *ip = ip_json(&n->ips[i]);
        rc = ip != NULL ? mtv_json_push_take(ips, ip) : MTV_ENOMEM;
    }
    rc = rc == 0 ? mtv_json_set_take(o, "ip_addresses", ips) : rc;
    ips = NULL;
    if (rc != 0) {
        mtv_json_free(o);
        return NULL;
    }
    return o;
}

static struct mtv_json *disk_json(const struct mtv_vm_disk *d)
{
    struct mtv_json *o = mtv_json_new_object();
    int rc = o != NULL ? 0 : MTV_ENOMEM;

    rc = rc == 0 ? set_str(o, "name", d->label) : rc;
    rc = rc == 0 ? mtv_json_set_number(o, "size_in_kb", (double)d->capacity_kb)
                 : rc;
    rc = rc == 0 ? set_str(o, "storage.name", d->datastore) : rc;
    rc = rc == 0 ? mtv_json_set_number(o, "device_key", d->key) : rc;
    rc = rc == 0 ? mtv_json_set_number(o, "unit_number", d->unit_number) : rc;
    rc = rc == 0 ? mtv_json_set_number(o, "controller_key", d->controller_key)
                 : rc;
    rc = rc == 0 ? set_str(o, "file_name", d->file_name) : rc;
    rc = rc == 0 ? mtv_json_set_bool(o, "scsi", d->scsi) : rc;
    if (rc != 0) {
        mtv_json_free(o);
        return NULL;
    }
    return o;
}

static struct mtv_json *snapshot_json(const struct mtv_vm_snapshot *s)
{
    struct mtv_json *o = mtv_json_new_object();
    int rc = o != NULL ? 0 : MTV_ENOMEM;

    rc = rc == 0 ? set_str(o, "name", s->name) : rc;
    rc = rc == 0 ? set_str(o, "id", s->id) : rc;
    rc = rc == 0 ? set_str(o, "moref", s->moref) : rc;
    rc = rc == 0 ? set_str(o, "create_time", s->create_time) : rc;
    rc = rc == 0 ? set_str(o, "state", s->state) : rc;
    rc = rc == 0 ? mtv_json_set_number(o, "depth", s->depth) : rc;
    if (rc != 0) {
        mtv_json_free(o);
        return NULL;
    }
    return o;
}

typedef struct mtv_json *(*item_json_fn)(const void *item);

static int put_list(struct mtv_json *o, const char *key, const void *items,
                    size_t n, size_t size, item_json_fn fn)
{
    struct mtv_json *arr = mtv_json_new_array();
    int rc = arr != NULL ? 0 : MTV_ENOMEM;

    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct mtv_json *it = fn((const char *)items + i * size);
        rc = it != NULL ? mtv_json_push_take(arr, it) : MTV_ENOMEM;
    }
    if (rc != 0) {
        mtv_json_free(arr);
        return rc;
    }
    return mtv_json_set_take(o, key, arr);
}

static struct mtv_json *nic_item(const void *p) { return nic_json(p); }
static struct mtv_json *disk_item(const void *p) { return disk_json(p); }
static struct mtv_json *snap_item(const void *p) { return snapshot_json(p); }

static int put_ctk(struct mtv_json *o, const struct mtv_vm_record *r)
{
    struct mtv_json *keys = mtv_json_new_array();
    int rc = keys != NULL ? 0 : MTV_ENOMEM;

    for (size_t i = 0; rc == 0 && i < r->ctk_keys.len; i++) {
        rc = mtv_json_push_string(keys, r->ctk_keys.items[i]);
    }
    rc = rc == 0 ? mtv_json_set_take(o, "change_tracking.disk_keys", keys)
                 : (mtv_json_free(keys), rc);
    rc = rc == 0 ? mtv_json_set_bool(o, "change_tracking.ctk_enabled",
                                     r->ctk_enabled)
                 : rc;
    return rc == 0 ? mtv_json_set_bool(o, "change_tracking.enabled",
                                       r->change_tracking_enabled)
                   : rc;
}

static int put_basics(struct mtv_json *o, const struct mtv_vm_record *r)
{
    int rc = set_str(o, "id", r->id);

    rc = rc == 0 ? set_str(o, "name", r->name) : rc;
    rc = rc == 0 ? set_str(o, "uuid", r->uuid) : rc;
    rc = rc == 0 ? set_str(o, "guest_id", r->guest_id) : rc;
    rc = rc == 0 ? mtv_json_set_bool(o, "win_os", r->win_os) : rc;
    rc = rc == 0 ? set_str(o, "power_state", r->power_state) : rc;
    rc = rc == 0 ? mtv_json_set_bool(o, "guest_agent_running",
                                     r->guest_agent_running)
                 : rc;
    rc = rc == 0 ? mtv_json_set_number(o, "cpu.num_cores",
                                       r->num_cores_per_socket)
                 : rc;
    rc = rc == 0 ? mtv_json_set_number(o, "cpu.num_sockets", r->num_sockets)
                 : rc;
    return rc == 0 ? mtv_json_set_number(o, "memory_in_mb",
                                         (double)r->memory_mb)
                   : rc;
}

int mtv_vm_record_to_json(struct mtv_json **out,
                          const struct mtv_vm_record *r,
                          struct mtv_error *err)
{
    struct mtv_json *o = mtv_json_new_object();
    int rc = o != NULL ? 0 : MTV_ENOMEM;

    rc = rc == 0 ? put_basics(o, r) : rc;
    rc = rc == 0 ? put_list(o, "network_interfaces", r->nics, r->n_nics,
                            sizeof(*r->nics), nic_item)
                 : rc;
    rc = rc == 0 ? put_list(o, "disks", r->disks, r->n_disks,
                            sizeof(*r->disks), disk_item)
                 : rc;
    rc = rc == 0 ? put_list(o, "snapshots_data", r->snapshots, r->n_snapshots,
                            sizeof(*r->snapshots), snap_item)
                 : rc;
    rc = rc == 0 ? put_ctk(o, r) : rc;
    if (rc != 0) {
        mtv_json_free(o);
        return mtv_error_set(err, MTV_ENOMEM, "vsphere", "out of memory");
    }
    *out = o;
    return 0;
}
