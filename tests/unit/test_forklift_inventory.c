/* forklift inventory: request paths and parsing of forklift-inventory.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/forklift.h"

#define DIR MTV_TEST_DATA_DIR "/forklift/inventory/"

struct inv {
    struct mtv_json *vms;
    struct mtv_json *datastores;
    struct mtv_json *networks;
    struct mtv_json *providers;
};

static struct mtv_json *load(const char *name)
{
    char path[512];
    FILE *f = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_json *j = NULL;
    char chunk[4096];
    size_t n;

    snprintf(path, sizeof(path), DIR "%s.json", name);
    f = fopen(path, "r");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        assert_int_equal(mtv_buf_append(&b, chunk, n), 0);
    }
    fclose(f);
    assert_int_equal(mtv_json_parse(&j, b.data, b.len, NULL, NULL), 0);
    mtv_buf_dispose(&b);
    return j;
}

static int setup(void **state)
{
    struct inv *inv = calloc(1, sizeof(*inv));

    inv->vms = load("vms");
    inv->datastores = load("datastores");
    inv->networks = load("networks");
    inv->providers = load("providers");
    *state = inv;
    return 0;
}

static int teardown(void **state)
{
    struct inv *inv = *state;

    mtv_json_free(inv->vms);
    mtv_json_free(inv->datastores);
    mtv_json_free(inv->networks);
    mtv_json_free(inv->providers);
    free(inv);
    return 0;
}

static void test_forklift_inventory__paths(void **state)
{
    static const struct {
        enum mtv_fl_inv what;
        const char *pid;
        const char *item;
        const char *out; /* NULL: EINVAL */
    } cases[] = {
        {MTV_FL_INV_PROVIDERS, NULL, NULL, "/providers/vsphere"},
        {MTV_FL_INV_VMS, "8c0e-1f", NULL, "/providers/vsphere/8c0e-1f/vms"},
        {MTV_FL_INV_VMS, "8c0e-1f", "vm-2001",
         "/providers/vsphere/8c0e-1f/vms/vm-2001"},
        {MTV_FL_INV_DATASTORES, "p", NULL, "/providers/vsphere/p/datastores"},
        {MTV_FL_INV_NETWORKS, "p", "network-15",
         "/providers/vsphere/p/networks/network-15"},
        {MTV_FL_INV_HOSTS, "p", NULL, "/providers/vsphere/p/hosts"},
        {MTV_FL_INV_VMS, "a/b", "vm 1?x",
         "/providers/vsphere/a%2Fb/vms/vm%201%3Fx"},
        {MTV_FL_INV_VMS, NULL, NULL, NULL},
        {MTV_FL_INV_VMS, "", NULL, NULL},
        {MTV_FL_INV_VMS, "p", "", NULL},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        int rc = mtv_forklift_inv_path(&out, cases[i].what, cases[i].pid,
                                       cases[i].item, NULL);
        if (cases[i].out == NULL) {
            assert_int_equal(rc, MTV_EINVAL);
            assert_null(out);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_string_equal(out, cases[i].out);
        free(out);
    }
}

static void test_forklift_inventory__provider_id(void **state)
{
    struct inv *inv = *state;
    const char *id = NULL;
    struct mtv_error err;

    assert_int_equal(
        mtv_forklift_inv_provider_id(&id, inv->providers,
                                     "auto-ab12-source-vsphere-8-0-p7r2",
                                     "auto-ab12", NULL),
        0);
    assert_string_equal(id, "8c0e1f1e-2b8e-4a56-9b1e-5d1b3d9f0a11");
    assert_int_equal(mtv_forklift_inv_provider_id(&id, inv->providers,
                                                  "vcenter", NULL, NULL),
                     0);
    assert_string_equal(id, "7a9d0000-0000-4000-8000-000000000001");
    assert_int_equal(mtv_forklift_inv_provider_id(&id, inv->providers,
                                                  "vcenter", "other-ns", &err),
                     MTV_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'vcenter' is not in the inventory"));
    assert_int_equal(
        mtv_forklift_inv_provider_id(&id, inv->vms, "x", NULL, &err),
        MTV_ENOTFOUND);
    assert_int_equal(mtv_forklift_inv_provider_id(&id, mtv_json_at(inv->vms, 0),
                                                  "x", NULL, &err),
                     MTV_EPROTO);
}

static void test_forklift_inventory__find_vm(void **state)
{
    struct inv *inv = *state;
    const struct mtv_json *vm = NULL;
    struct mtv_error err;

    assert_int_equal(
        mtv_forklift_inv_find_vm(&vm, inv->vms, "win2022-db", NULL), 0);
    assert_string_equal(mtv_json_string_or(vm, "id", ""), "vm-2002");
    assert_int_equal(mtv_forklift_inv_find_vm(&vm, inv->vms, "nope", &err),
                     MTV_ENOTFOUND);
    assert_string_equal(err.msg, "VM 'nope' not in the inventory; it has 2 "
                                 "VMs: 'rhel9-web', 'win2022-db'");
}

static void test_forklift_inventory__datastores_and_networks(void **state)
{
    struct inv *inv = *state;
    const struct mtv_json *web = mtv_json_at(inv->vms, 0);
    const struct mtv_json *db = mtv_json_at(inv->vms, 1);
    struct mtv_strv ds = MTV_STRV_INIT;
    struct mtv_strv nets = MTV_STRV_INIT;

    /* rhel9-web: two disks on datastore1 -> one name */
    assert_int_equal(
        mtv_forklift_inv_vm_datastores(&ds, web, inv->datastores, NULL), 0);
    assert_int_equal(ds.len, 1);
    assert_string_equal(ds.items[0], "datastore1");
    /* appending a second VM keeps first-seen order, no duplicates */
    assert_int_equal(
        mtv_forklift_inv_vm_datastores(&ds, db, inv->datastores, NULL), 0);
    assert_int_equal(ds.len, 2);
    assert_string_equal(ds.items[1], "datastore2");
    assert_int_equal(
        mtv_forklift_inv_vm_networks(&nets, db, inv->networks, NULL), 0);
    assert_int_equal(nets.len, 2);
    assert_string_equal(nets.items[0], "VM Network");
    assert_string_equal(nets.items[1], "Mgmt Network");
    assert_int_equal(
        mtv_forklift_inv_vm_networks(&nets, web, inv->networks, NULL), 0);
    assert_int_equal(nets.len, 2);
    mtv_strv_dispose(&ds);
    mtv_strv_dispose(&nets);
}

static void test_forklift_inventory__unknown_ids(void **state)
{
    struct inv *inv = *state;
    struct mtv_strv v = MTV_STRV_INIT;
    struct mtv_json *empty = mtv_json_new_array();
    struct mtv_json *nodisk = mtv_json_new_object();
    struct mtv_error err;

    assert_int_equal(mtv_forklift_inv_vm_datastores(
                         &v, mtv_json_at(inv->vms, 0), empty, &err),
                     MTV_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'datastore-11'"));
    assert_int_equal(
        mtv_forklift_inv_vm_networks(&v, nodisk, inv->networks, &err),
        MTV_ENOTFOUND);
    assert_non_null(strstr(err.msg, "No networks found"));
    assert_int_equal(v.len, 0);
    mtv_json_free(empty);
    mtv_json_free(nodisk);
}

static void test_forklift_inventory__disks_in_order(void **state)
{
    struct inv *inv = *state;
    const struct mtv_json *db = mtv_json_at(inv->vms, 1);
    struct mtv_fl_inv_disk *d = NULL;
    size_t n = 0;

    assert_int_equal(mtv_forklift_inv_vm_disks(&d, &n, db, NULL), 0);
    assert_int_equal(n, 3);
    /* (controller_key, unit_number): scsi0:0, scsi0:1, sata0:0 */
    assert_int_equal(d[0].key, 2000);
    assert_int_equal(d[1].key, 2001);
    assert_int_equal(d[2].key, 16000);
    assert_string_equal(d[0].file, "[datastore1] win2022-db/win2022-db.vmdk");
    assert_string_equal(d[1].datastore_id, "datastore-12");
    free(d);
    assert_string_equal(mtv_forklift_inv_disk_file(db, 2001),
                        "[datastore2] win2022-db/win2022-db_1.vmdk");
    assert_null(mtv_forklift_inv_disk_file(db, 9999));
}

static void test_forklift_inventory__warm_ready(void **state)
{
    struct inv *inv = *state;
    struct mtv_buf why = MTV_BUF_INIT;
    struct mtv_json *snap = mtv_json_dup(mtv_json_at(inv->vms, 0));

    assert_true(mtv_forklift_inv_vm_warm_ready(mtv_json_at(inv->vms, 0), &why));
    assert_null(why.data);
    assert_false(
        mtv_forklift_inv_vm_warm_ready(mtv_json_at(inv->vms, 1), &why));
    assert_string_equal(why.data, "Changed Block Tracking (CBT) is not "
                                  "enabled");
    mtv_buf_reset(&why);
    assert_int_equal(mtv_json_set_string(snap, "snapshot.id", "snapshot-3117"),
                     0);
    assert_false(mtv_forklift_inv_vm_warm_ready(snap, &why));
    assert_string_equal(why.data, "the VM has a snapshot ('snapshot-3117')");
    mtv_buf_dispose(&why);
    mtv_json_free(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forklift_inventory__paths),
        cmocka_unit_test(test_forklift_inventory__provider_id),
        cmocka_unit_test(test_forklift_inventory__find_vm),
        cmocka_unit_test(test_forklift_inventory__datastores_and_networks),
        cmocka_unit_test(test_forklift_inventory__unknown_ids),
        cmocka_unit_test(test_forklift_inventory__disks_in_order),
        cmocka_unit_test(test_forklift_inventory__warm_ready),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
