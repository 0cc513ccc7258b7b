/*
 * vsphere: CloneVM_Task with relocate spec, added disks, MAC regeneration
 * and CBT keys (reference §1.15.C, trap G3).
 */
#include <stdlib.h>
#include <string.h>

#include "vsphere/clone_priv.h"

#define DEFAULT_CLONE_TIMEOUT_MS (1200 * 1000)

static bool is_scsi_controller(const struct mtv_soap_node *d)
{
    return mtv_soap_node_child(d, "scsiCtlrUnitNumber") != NULL ||
           mtv_soap_node_child(d, "sharedBus") != NULL;
}

static void note_controller(struct src_info *s, const struct mtv_soap_node *d)
{
    if (s->n_ctrl >= MAX_CTRL || mtv_soap_node_child(d, "busNumber") == NULL) {
        return;
    }
    s->ctrl[s->n_ctrl].key = (int)mtv_soap_node_path_long(d, "key", -1);
    s->ctrl[s->n_ctrl].bus = (int)mtv_soap_node_path_long(d, "busNumber", 0);
    s->ctrl[s->n_ctrl].scsi = is_scsi_controller(d);
    s->n_ctrl++;
}

/* An edit of the NIC with addressType=generated and no MAC. */
static int put_nic_edit(struct mtv_buf *b, const struct mtv_soap_node *d)
{
    int rc = mtv_buf_puts(b, "<deviceChange><operation>edit</operation>");

    rc = rc == 0 ? mtv_soap_open(b, "device", mtv_soap_node_type(d)) : rc;
    for (const struct mtv_soap_node *c = mtv_soap_node_child(d, NULL);
         rc == 0 && c != NULL; c = mtv_soap_node_next(c, NULL)) {
        const char *n = mtv_soap_node_name(c);

        if (strcmp(n, "macAddress") == 0) {
            continue;
        }
        if (strcmp(n, "addressType") == 0) {
            rc = mtv_soap_put_text(b, "addressType", "generated");
        } else {
            rc = mtv_soap_put_node(b, c, NULL);
        }
    }
    return rc == 0 ? mtv_buf_puts(b, "</device></deviceChange>") : rc;
}

static const struct mtv_soap_node *devices_of(const struct mtv_soap_node *o)
{
    return mtv_vsphere__prop(o, "config.hardware.device");
}

static int scan_disks(struct src_info *s, const struct mtv_soap_node *devs)
{
    for (const struct mtv_soap_node *d = mtv_soap_node_child(devs, NULL);
         d != NULL; d = mtv_soap_node_next(d, NULL)) {
        int ck = (int)mtv_soap_node_path_long(d, "controllerKey", -1);
        int unit = (int)mtv_soap_node_path_long(d, "unitNumber", -1);

        if (!mtv_str_eq(mtv_soap_node_type(d), "VirtualDisk")) {
            continue;
        }
        for (size_t i = 0; i < s->n_ctrl; i++) {
            if (s->ctrl[i].key == ck && s->ctrl[i].scsi) {
                char *k = mtv_strdup_printf("scsi%d:%d.ctkEnabled",
                                            s->ctrl[i].bus, unit);
                if (mtv_strv_push_take(&s->ctk_keys, k) != 0) {
                    return MTV_ENOMEM;
                }
            }
        }
        if (ck == s->first_scsi_key && unit >= 0 && unit < 16) {
            s->used_unit[unit] = true;
        }
    }
    return 0;
}

static int scan_devices(struct src_info *s, const struct mtv_soap_node *devs)
{
    int rc = 0;

    for (const struct mtv_soap_node *d = mtv_soap_node_child(devs, NULL);
         d != NULL; d = mtv_soap_node_next(d, NULL)) {
        note_controller(s, d);
    }
    for (size_t i = 0; i < s->n_ctrl; i++) {
        if (s->ctrl[i].scsi) {
            s->first_scsi_key = s->ctrl[i].key;
            s->first_scsi_bus = s->ctrl[i].bus;
            break;
        }
    }
    for (const struct mtv_soap_node *d = mtv_soap_node_child(devs, NULL);
         rc == 0 && d != NULL; d = mtv_soap_node_next(d, NULL)) {
        if (mtv_soap_node_child(d, "addressType") != NULL &&
            mtv_soap_node_child(d, "backing") != NULL) {
            rc = put_nic_edit(&s->nic_edits, d);
        }
    }
    return rc == 0 ? scan_disks(s, devs) : rc;
}

static int read_source(const struct mtv_soap_node *o, void *payload)
{
    struct src_info *s = payload;
    const struct mtv_soap_node *ds = mtv_vsphere__prop(o, "datastore");

    mtv_vsphere__moref_from(mtv_vsphere__prop(o, "parent"), &s->parent);
    s->has_pool = mtv_vsphere__moref_from(mtv_vsphere__prop(o, "resourcePool"),
                                          &s->pool) == 0;
    s->has_datastore =
        mtv_vsphere__moref_from(mtv_soap_node_child(ds, NULL),
                                &s->datastore) == 0;
    return scan_devices(s, devices_of(o));
}

static int lookup_source(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                         struct src_info *s, struct mtv_error *err)
{
    static const char *const paths[] = {"parent", "resourcePool", "datastore",
                                        "config.hardware.device"};
    struct mtv_buf spec = MTV_BUF_INIT;
    int rc = mtv_vsphere__put_object_spec(&spec, vm, paths, 4);

    if (rc == 0) {
        rc = mtv_vsphere__retrieve(vs, &spec, read_source, s, err);
    }
    if (rc == MTV_ENOMEM) {
        mtv_error_set(err, rc, "vsphere", "out of memory");
    }
    mtv_buf_dispose(&spec);
    return rc;
}

/* Read one moref-valued or string property of obj. */
static int read_prop_cb(const struct mtv_soap_node *o, void *payload)
{
    struct mtv_buf *out = payload;
    const struct mtv_soap_node *p = mtv_soap_node_child(o, "propSet");

    mtv_buf_reset(out);
    return mtv_buf_puts(out, mtv_soap_node_path_text(p, "val", ""));
}

int mtv_vsphere__read_text_prop(struct mtv_vsphere *vs, const struct mtv_moref *obj,
                          const char *path, struct mtv_buf *out,
                          struct mtv_error *err)
{
    struct mtv_buf spec = MTV_BUF_INIT;
    int rc = mtv_vsphere__put_object_spec(&spec, obj, &path, 1);

    if (rc == 0) {
        rc = mtv_vsphere__retrieve(vs, &spec, read_prop_cb, out, err);
    }
    mtv_buf_dispose(&spec);
    return rc;
}

/* A template has no pool: use the first ComputeResource's. */
static int resolve_pool(struct mtv_vsphere *vs, struct src_info *s,
                        struct mtv_error *err)
{
    struct mtv_moref cr = {{0}, {0}};
    struct mtv_buf v = MTV_BUF_INIT;
    int rc = 0;

    if (s->has_pool) {
        return 0;
    }
    rc = mtv_vsphere_lookup_by_name(vs, "ComputeResource", NULL, &cr, err);
    if (rc == 0) {
        rc = mtv_vsphere__read_text_prop(vs, &cr, "resourcePool", &v, err);
    }
    if (rc == 0 && v.data != NULL) {
        rc = mtv_vsphere__moref_set(&s->pool, "ResourcePool", v.data);
        s->has_pool = rc == 0;
    }
    mtv_buf_dispose(&v);
    return rc;
}

/* --------------------------------------------------------------- build */

static const char *transform_of(const char *disk_type)
{
    if (mtv_str_eq(disk_type, "thin")) {
        return "sparse";
    }
    if (mtv_str_eq(disk_type, "thick-lazy")) {
        return "flat";
    }
    if (mtv_str_eq(disk_type, "thick-eager")) {
        return "eagerZeroedThick";
    }
    if (disk_type != NULL) {
        mtv_log(MTV_LOG_WARN, "vsphere", "unknown disk_type '%s' ignored",
                disk_type);
    }
    return NULL;
}

static int put_location(struct mtv_buf *b, const struct clone_req *q)
{
    const char *tr = transform_of(q->spec->disk_type);
    int rc = mtv_buf_puts(b, "<location>");

    rc = rc == 0 ? mtv_soap_put_moref(b, "datastore", q->ds.type, q->ds.value)
                 : rc;
    rc = rc == 0 ? mtv_soap_put_moref(b, "pool", q->src->pool.type,
                                      q->src->pool.value)
                 : rc;
    if (rc == 0 && q->has_host) {
        rc = mtv_soap_put_moref(b, "host", q->host.type, q->host.value);
    }
    if (rc == 0 && tr != NULL) {
        rc = mtv_soap_put_text(b, "transform", tr);
    }
    return rc == 0 ? mtv_buf_puts(b, "</location>") : rc;
}

static int put_option(struct mtv_buf *b, const char *key, const char *value)
{
    int rc = mtv_buf_puts(b, "<extraConfig xsi:type=\"OptionValue\">");

    rc = rc == 0 ? mtv_soap_put_text(b, "key", key) : rc;
    rc = rc == 0 ? mtv_buf_puts(b, "<value xsi:type=\"xsd:string\">") : rc;
    rc = rc == 0 ? mtv_buf_put_xml_escaped(b, value) : rc;
    return rc == 0 ? mtv_buf_puts(b, "</value></extraConfig>") : rc;
}

static int put_ctk(struct mtv_buf *b, const struct clone_req *q)
{
    int rc = 0;

    if (!q->spec->warm) {
        return 0;
    }
    rc = put_option(b, "ctkEnabled", "true");
    for (size_t i = 0; rc == 0 && i < q->src->ctk_keys.len; i++) {
        rc = put_option(b, q->src->ctk_keys.items[i], "true");
    }
    for (size_t i = 0; rc == 0 && i < q->added_ctk.len; i++) {
        rc = put_option(b, q->added_ctk.items[i], "true");
    }
    return rc;
}

static int build_clone(struct mtv_buf *b, struct clone_req *q, bool macs,
                       struct mtv_error *err)
{
    int rc = mtv_soap_put_moref(b, "_this", q->vm->type, q->vm->value);

    mtv_strv_dispose(&q->added_ctk);
    rc = rc == 0 ? mtv_soap_put_moref(b, "folder", q->src->parent.type,
                                      q->src->parent.value)
                 : rc;
    rc = rc == 0 ? mtv_soap_put_text(b, "name", q->spec->name) : rc;
    rc = rc == 0 ? mtv_buf_puts(b, "<spec>") : rc;
    rc = rc == 0 ? put_location(b, q) : rc;
    rc = rc == 0 ? mtv_buf_puts(b, "<template>false</template><config>") : rc;
    rc = rc == 0 ? mtv_vsphere__put_added_disks(b, q, err) : rc;
    if (rc == 0 && macs && q->src->nic_edits.len > 0) {
        rc = mtv_buf_append(b, q->src->nic_edits.data, q->src->nic_edits.len);
    }
    rc = rc == 0 ? put_ctk(b, q) : rc;
    rc = rc == 0 ? mtv_buf_puts(b, "</config><powerOn>false</powerOn></spec>")
                 : rc;
    if (rc == MTV_ENOMEM || rc == MTV_EPROTO) {
        mtv_error_set(err, rc, "vsphere", "clone '%s': cannot build request",
                      q->spec->name);
    }
    return rc;
}

/* ------------------------------------------------------------- execute */

static int resolve_targets(struct mtv_vsphere *vs, struct clone_req *q,
                           struct mtv_error *err)
{
    int rc = resolve_pool(vs, q->src, err);

    if (rc == 0 && q->spec->datastore != NULL) {
        rc = mtv_vsphere_lookup_by_name(vs, "Datastore", q->spec->datastore,
                                        &q->ds, err);
    } else if (rc == 0 && q->src->has_datastore) {
        q->ds = q->src->datastore;
    } else if (rc == 0) {
        rc = mtv_error_set(err, MTV_ENOTFOUND, "vsphere",
                           "source has no datastore");
    }
    if (rc == 0 && q->spec->host != NULL) {
        rc = mtv_vsphere_lookup_by_name(vs, "HostSystem", q->spec->host,
                                        &q->host, err);
        q->has_host = rc == 0;
    }
    return rc == 0 ? mtv_vsphere__resolve_disk_datastores(vs, q, err) : rc;
}

static int start_clone(struct mtv_vsphere *vs, struct clone_req *q, bool macs,
                       struct mtv_moref *task, struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_soap_response *r = NULL;
    int rc = build_clone(&b, q, macs, err);

    if (rc == 0) {
        rc = mtv_vsphere__call(vs, &r, "CloneVM_Task", &b, MTV_SOAP_REQUIRED,
                               err);
    }
    if (rc == 0 &&
        mtv_vsphere__moref_from(mtv_soap_response_value(r), task) != 0) {
        rc = mtv_error_set(err, MTV_EPROTO, "vsphere",
                           "CloneVM_Task: no task returned");
    }
    if (rc == 0 && q->spec->on_task != NULL) {
        rc = q->spec->on_task(q->spec->name, task, q->spec->payload);
    }
    mtv_soap_response_free(r);
    mtv_buf_dispose(&b);
    return rc;
}

static int clone_once(struct mtv_vsphere *vs, struct clone_req *q, bool macs,
                      struct mtv_moref *out, struct mtv_error *err)
{
    struct mtv_moref task = {{0}, {0}};
    int64_t t = q->spec->timeout_ms > 0 ? q->spec->timeout_ms
                                        : DEFAULT_CLONE_TIMEOUT_MS;
    int rc = start_clone(vs, q, macs, &task, err);

    if (rc == 0) {
        rc = mtv_vsphere_wait_task(vs, &task, t, out, err);
    }
    return rc;
}

static void src_dispose(struct src_info *s)
{
    mtv_strv_dispose(&s->ctk_keys);
    mtv_buf_dispose(&s->nic_edits);
}

int mtv_vsphere_clone_vm(struct mtv_vsphere *vs,
                         const struct mtv_vsphere_clone_spec *spec,
                         struct mtv_moref *out, struct mtv_error *err)
{
    struct src_info src;
    struct mtv_moref vm = {{0}, {0}};
    struct clone_req q;
    int rc = 0;

    memset(&src, 0, sizeof(src));
    memset(&q, 0, sizeof(q));
    src.first_scsi_key = -1;
    q.spec = spec;
    q.src = &src;
    q.vm = &vm;
    rc = mtv_vsphere_lookup_vm(vs, spec->source, &vm, err);
    rc = rc == 0 ? lookup_source(vs, &vm, &src, err) : rc;
    rc = rc == 0 ? resolve_targets(vs, &q, err) : rc;
    rc = rc == 0 ? clone_once(vs, &q, spec->regenerate_mac, out, err) : rc;
    if (rc == MTV_EREMOTE && spec->regenerate_mac && err != NULL &&
        strstr(err->remote, "in use") != NULL) {
        mtv_log(MTV_LOG_WARN, "vsphere",
                "clone '%s': retrying without MAC regeneration (%s)",
                spec->name, err->remote);
        mtv_error_clear(err);
        rc = clone_once(vs, &q, false, out, err);
    }
    if (rc != 0) {
        mtv_error_prefix(err, "clone '%s' from '%s'", spec->name,
                         spec->source);
    }
    mtv_strv_dispose(&q.added_ctk);
    free(q.disk_ds);
    src_dispose(&src);
    return rc;
}
