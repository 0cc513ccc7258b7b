/*
 * The VM record of every seeded template, and of a warm clone of each
 * once powered on (CBT keys per disk, regenerated MACs, guest IPs with
 * prefix, origin and gateway), against mtv-vcsim.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtv/vsphere.h"
#include "vcsim_fixture.h"

static struct vcsim_fixture sim;
static struct mtv_vsphere *vs;

struct expect {
    const char *name;
    const char *guest_id;
    bool win;
    int cores;
    int sockets;
    long long memory_mb;
    size_t disks;
    size_t nics;
    const char *datastore;
    const char *second_network; /* NULL when one NIC */
    bool static_ip;
};

static const struct expect templates[] = {
    {"mtv-tests-rhel8", "rhel8_64Guest", false, 2, 1, 2048, 1, 1,
     "LocalDS_0", NULL, true},
    {"mtv-rhel8-warm-2disks2nics", "rhel8_64Guest", false, 1, 2, 3072, 2, 2,
     "LocalDS_0", "DC0_DVPG0", false},
    {"mtv-win2022-ip-3disks", "windows2019srvNext_64Guest", true, 4, 1, 4096,
     3, 1, "LocalDS_0", NULL, true},
    {"xcopy-template-test", "rhel8_64Guest", false, 1, 1, 1024, 1, 1,
     "LocalDS_1", NULL, false},
};

static int group_setup(void **state)
{
    struct mtv_vsphere_options o = MTV_VSPHERE_OPTIONS_INIT;
    struct mtv_error err = {0};

    (void)state;
    if (vcsim_fixture_start(&sim, NULL) != 0) {
        return -1;
    }
    o = vcsim_fixture_options(&sim);
    if (mtv_vsphere_connect(&vs, &o, &err) != 0) {
        fprintf(stderr, "connect: %s: %s\n", err.msg, err.remote);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    mtv_vsphere_free(vs);
    vcsim_fixture_stop(&sim);
    return 0;
}

static struct mtv_vm_record *record_of(const struct mtv_moref *vm)
{
    struct mtv_vm_record *rec = NULL;
    struct mtv_error err = {0};

    if (mtv_vsphere_lookup_vm_record(&rec, vs, vm, &err) != 0) {
        fail_msg("record: %s: %s", err.msg, err.remote);
    }
    return rec;
}

static void check_shape(const struct mtv_vm_record *r, const struct expect *e)
{
    assert_string_equal(r->guest_id, e->guest_id);
    assert_int_equal(r->win_os, e->win);
    assert_int_equal(r->num_cores_per_socket, e->cores);
    assert_int_equal(r->num_sockets, e->sockets);
    assert_int_equal(r->memory_mb, e->memory_mb);
    assert_int_equal(r->n_disks, e->disks);
    assert_int_equal(r->n_nics, e->nics);
    assert_true(strlen(r->uuid) > 0);
    for (size_t i = 0; i < r->n_disks; i++) {
        assert_string_equal(r->disks[i].datastore, e->datastore);
        assert_true(r->disks[i].capacity_kb > 0);
        assert_true(r->disks[i].scsi);
        assert_non_null(r->disks[i].file_name);
    }
    assert_string_equal(r->nics[0].network, "VM Network");
    if (e->second_network != NULL) {
        assert_string_equal(r->nics[1].network, e->second_network);
    }
}

static void check_guest(const struct mtv_vm_record *r, const struct expect *e)
{
    assert_string_equal(r->power_state, "on");
    assert_true(r->guest_agent_running);
    for (size_t i = 0; i < r->n_nics; i++) {
        const struct mtv_vm_nic *n = &r->nics[i];
        assert_true(n->n_ips >= 1);
        assert_true(n->ips[0].prefix_length > 0);
        assert_non_null(n->ips[0].origin);
        assert_int_equal(n->ips[0].is_static, e->static_ip ? 1 : 0);
        assert_string_equal(n->ips[0].origin, e->static_ip ? "manual" : "dhcp");
    }
    /* the first NIC carries the default route */
    assert_non_null(r->nics[0].ips[0].gateway);
}

static void check_ctk(const struct mtv_vm_record *r)
{
    assert_true(r->ctk_enabled);
    for (size_t i = 0; i < r->n_disks; i++) {
        char key[64];
        snprintf(key, sizeof(key), "scsi%d:%d.ctkEnabled",
                 r->disks[i].bus_number, r->disks[i].unit_number);
        assert_true(mtv_strv_contains(&r->ctk_keys, key));
    }
    assert_int_equal(r->ctk_keys.len, r->n_disks);
}

static void clone_and_check(const struct expect *e,
                            const struct mtv_vm_record *tmpl)
{
    struct mtv_vsphere_clone_spec spec = MTV_VSPHERE_CLONE_SPEC_INIT;
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_vm_record *r = NULL;
    struct mtv_error err = {0};
    char name[64];

    assert_int_equal(vcsim_clone_name(name, "auto-tpl", e->name), 0);
    spec.source = e->name;
    spec.name = name;
    spec.warm = true;
    if (mtv_vsphere_clone_vm(vs, &spec, &vm, &err) != 0) {
        fail_msg("clone: %s: %s", err.msg, err.remote);
    }
    assert_int_equal(mtv_vsphere_power_on(vs, &vm, 0, &err), 0);
    assert_int_equal(mtv_vsphere_wait_guest(vs, &vm, 30000, &err), 0);
    r = record_of(&vm);
    check_shape(r, e);
    check_ctk(r);
    check_guest(r, e);
    for (size_t i = 0; i < r->n_nics; i++) {
        assert_false(mtv_str_case_eq(r->nics[i].mac, tmpl->nics[i].mac));
    }
    mtv_vm_record_free(r);
    assert_int_equal(mtv_vsphere_destroy_vm(vs, &vm, 0, &err), 0);
}

static void test_vsphere_templates__records_and_warm_clones(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
        const struct expect *e = &templates[i];
        struct mtv_moref vm = {{0}, {0}};
        struct mtv_vm_record *r = NULL;
        struct mtv_error err = {0};

        assert_int_equal(mtv_vsphere_lookup_vm(vs, e->name, &vm, &err), 0);
        r = record_of(&vm);
        assert_string_equal(r->name, e->name);
        assert_string_equal(r->power_state, "off");
        assert_false(r->guest_agent_running);
        check_shape(r, e);
        clone_and_check(e, r);
        mtv_vm_record_free(r);
    }
}

static void test_vsphere_templates__record_json_keys(void **state)
{
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_vm_record *r = NULL;
    struct mtv_json *j = NULL;
    struct mtv_error err = {0};

    (void)state;
    assert_int_equal(mtv_vsphere_lookup_vm(vs, "mtv-rhel8-warm-2disks2nics",
                                           &vm, &err),
                     0);
    r = record_of(&vm);
    assert_int_equal(mtv_vm_record_to_json(&j, r, &err), 0);
    assert_string_equal(mtv_json_string_or(j, "name", ""),
                        "mtv-rhel8-warm-2disks2nics");
    assert_int_equal(mtv_json_int_or(j, "cpu.num_sockets", 0), 2);
    assert_int_equal(mtv_json_int_or(j, "memory_in_mb", 0), 3072);
    assert_string_equal(
        mtv_json_string_or(j, "network_interfaces[1].network.name", ""),
        "DC0_DVPG0");
    assert_string_equal(mtv_json_string_or(j, "disks[0].storage.name", ""),
                        "LocalDS_0");
    assert_int_equal(mtv_json_size(mtv_json_get(j, "snapshots_data")), 0);
    mtv_json_free(j);
    mtv_vm_record_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vsphere_templates__records_and_warm_clones),
        cmocka_unit_test(test_vsphere_templates__record_json_keys),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
