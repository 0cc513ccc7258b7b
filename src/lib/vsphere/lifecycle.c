/*
 * vsphere: power, guest shutdown, destroy, snapshots, reconfigure.
 */
#include <string.h>

#include "vsphere/vsphere_priv.h"

#define DEFAULT_POWER_TIMEOUT_MS (60 * 1000)
#define DEFAULT_SNAPSHOT_TIMEOUT_MS (600 * 1000)

static int64_t or_default(int64_t t, int64_t def)
{
    return t > 0 ? t : def;
}

static int read_power(const struct mtv_soap_node *o, void *payload)
{
    char *state = payload;

    mtv_strlcpy(state,
                mtv_soap_node_text(mtv_vsphere__prop(o, "runtime.powerState")),
                32);
    return 0;
}

static int lookup_power(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                        char state[32], struct mtv_error *err)
{
    static const char *const paths[] = {"runtime.powerState"};
    struct mtv_buf spec = MTV_BUF_INIT;
    int rc = mtv_vsphere__put_object_spec(&spec, vm, paths, 1);

    state[0] = '\0';
    if (rc == 0) {
        rc = mtv_vsphere__retrieve(vs, &spec, read_power, state, err);
    }
    mtv_buf_dispose(&spec);
    return rc;
}

/* Run `method` on vm (no arguments besides _this) and wait. */
static int vm_task(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                   const char *method, int64_t timeout_ms,
                   struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = mtv_soap_put_moref(&b, "_this", vm->type, vm->value);

    if (rc == 0) {
        rc = mtv_vsphere__run_task(vs, method, &b, timeout_ms, NULL, err);
    }
    if (rc != 0) {
        mtv_error_prefix(err, "VM '%s'", vm->value);
    }
    mtv_buf_dispose(&b);
    return rc;
}

static int set_power(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                     bool on, int64_t timeout_ms, struct mtv_error *err)
{
    char state[32];
    int rc = lookup_power(vs, vm, state, err);

    if (rc != 0) {
        return rc;
    }
    if (strcmp(state, on ? "poweredOn" : "poweredOff") == 0) {
        return 0;
    }
    return vm_task(vs, vm, on ? "PowerOnVM_Task" : "PowerOffVM_Task",
                   or_default(timeout_ms, DEFAULT_POWER_TIMEOUT_MS), err);
}

int mtv_vsphere_power_on(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                         int64_t timeout_ms, struct mtv_error *err)
{
    return set_power(vs, vm, true, timeout_ms, err);
}

int mtv_vsphere_power_off(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                          int64_t timeout_ms, struct mtv_error *err)
{
    return set_power(vs, vm, false, timeout_ms, err);
}

int mtv_vsphere_shutdown_guest(struct mtv_vsphere *vs,
                               const struct mtv_moref *vm,
                               struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = mtv_soap_put_moref(&b, "_this", vm->type, vm->value);

    if (rc == 0) {
        rc = mtv_vsphere__call(vs, NULL, "ShutdownGuest", &b, MTV_SOAP_NONE,
                               err);
    }
    if (rc != 0) {
        mtv_error_prefix(err, "VM '%s'", vm->value);
    }
    mtv_buf_dispose(&b);
    return rc;
}

int mtv_vsphere_destroy_vm(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                           int64_t timeout_ms, struct mtv_error *err)
{
    int64_t t = or_default(timeout_ms, DEFAULT_POWER_TIMEOUT_MS);
    int rc = mtv_vsphere_power_off(vs, vm, t, err);

    if (rc == 0) {
        rc = vm_task(vs, vm, "Destroy_Task", t, err);
    }
    return rc;
}

int mtv_vsphere_create_snapshot(struct mtv_vsphere *vs,
                                const struct mtv_moref *vm, const char *name,
                                const char *description, bool memory,
                                bool quiesce, struct mtv_moref *out,
                                struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = mtv_soap_put_moref(&b, "_this", vm->type, vm->value);

    rc = rc == 0 ? mtv_soap_put_text(&b, "name", name) : rc;
    if (rc == 0 && description != NULL) {
        rc = mtv_soap_put_text(&b, "description", description);
    }
    rc = rc == 0 ? mtv_soap_put_bool(&b, "memory", memory) : rc;
    rc = rc == 0 ? mtv_soap_put_bool(&b, "quiesce", quiesce) : rc;
    if (rc == 0) {
        rc = mtv_vsphere__run_task(vs, "CreateSnapshot_Task", &b,
                                   DEFAULT_SNAPSHOT_TIMEOUT_MS, out, err);
    }
    if (rc != 0) {
        mtv_error_prefix(err, "snapshot '%s' of VM '%s'", name, vm->value);
    }
    mtv_buf_dispose(&b);
    return rc;
}

int mtv_vsphere_remove_snapshot(struct mtv_vsphere *vs,
                                const struct mtv_moref *snapshot,
                                bool remove_children, struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = mtv_soap_put_moref(&b, "_this", snapshot->type, snapshot->value);

    rc = rc == 0 ? mtv_soap_put_bool(&b, "removeChildren", remove_children)
                 : rc;
    if (rc == 0) {
        rc = mtv_vsphere__run_task(vs, "RemoveSnapshot_Task", &b,
                                   DEFAULT_SNAPSHOT_TIMEOUT_MS, NULL, err);
    }
    if (rc != 0) {
        mtv_error_prefix(err, "snapshot '%s'", snapshot->value);
    }
    mtv_buf_dispose(&b);
    return rc;
}

int mtv_vsphere_reconfigure(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                            const char *spec_xml, int64_t timeout_ms,
                            struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = mtv_soap_put_moref(&b, "_this", vm->type, vm->value);

    rc = rc == 0 ? mtv_buf_puts(&b, "<spec>") : rc;
    rc = rc == 0 ? mtv_buf_puts(&b, spec_xml != NULL ? spec_xml : "") : rc;
    rc = rc == 0 ? mtv_buf_puts(&b, "</spec>") : rc;
    if (rc == 0) {
        rc = mtv_vsphere__run_task(
            vs, "ReconfigVM_Task", &b,
            or_default(timeout_ms, DEFAULT_POWER_TIMEOUT_MS * 2), NULL, err);
    }
    if (rc != 0) {
        mtv_error_prefix(err, "reconfigure VM '%s'", vm->value);
    }
    mtv_buf_dispose(&b);
    return rc;
}
