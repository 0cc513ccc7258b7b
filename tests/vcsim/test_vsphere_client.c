/*
 * The vsphere client against the lab's mtv-vcsim (govmomi's simulator).
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

struct ctx {
    struct mtv_vsphere *vs;
};

static int group_setup(void **state)
{
    (void)state;
    return vcsim_fixture_start(&sim, NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    vcsim_fixture_stop(&sim);
    return 0;
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct mtv_vsphere_options o = vcsim_fixture_options(&sim);
    struct mtv_error err = {0};

    if (c == NULL || mtv_vsphere_connect(&c->vs, &o, &err) != 0) {
        fprintf(stderr, "connect: %s / %s\n", err.msg, err.remote);
        free(c);
        return -1;
    }
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;

    mtv_vsphere_free(c->vs);
    free(c);
    return 0;
}

static void make_name(char *out, const char *tmpl)
{
    char sid[9] = "auto-";

    mtv_random_id(sid + 5, 3);
    assert_int_equal(vcsim_clone_name(out, sid, tmpl), 0);
}

/* ------------------------------------------------------------ session */

static void test_vsphere_client__good_password_logs_in(void **state)
{
    struct ctx *c = *state;

    assert_true(strlen(mtv_vsphere_session_key(c->vs)) > 0);
    assert_int_equal(mtv_vsphere_ping(c->vs, NULL), 0);
}

static void test_vsphere_client__bad_password_is_eauth(void **state)
{
    struct mtv_vsphere_options o = vcsim_fixture_options(&sim);
    struct mtv_vsphere *vs = NULL;
    struct mtv_error err = {0};

    (void)state;
    o.password = "wrong-password-123";
    assert_int_equal(mtv_vsphere_connect(&vs, &o, &err), MTV_EAUTH);
    assert_null(vs);
    assert_non_null(strstr(err.msg, "InvalidLogin"));
    assert_non_null(strstr(err.msg, sim.user));
    assert_null(strstr(err.msg, "wrong-password-123"));
    assert_true(strlen(err.remote) > 0);
}

static void test_vsphere_client__relogin_after_terminate(void **state)
{
    struct ctx *c = *state;
    struct mtv_vsphere_options o = vcsim_fixture_options(&sim);
    struct mtv_vsphere *other = NULL;
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_error err = {0};

    assert_int_equal(mtv_vsphere_connect(&other, &o, &err), 0);
    assert_int_equal(mtv_vsphere_terminate_session(
                         other, mtv_vsphere_session_key(c->vs), &err),
                     0);
    mtv_vsphere_free(other);
    assert_int_equal(mtv_vsphere_relogins(c->vs), 0);
    assert_int_equal(mtv_vsphere_lookup_vm(c->vs, "mtv-tests-rhel8", &vm, &err),
                     0);
    assert_int_equal(mtv_vsphere_relogins(c->vs), 1);
    assert_string_equal(vm.type, "VirtualMachine");
}

/* ------------------------------------------------------------------ TLS */

static void test_vsphere_client__wrong_ca_rejected(void **state)
{
    struct mtv_vsphere_options o = vcsim_fixture_options(&sim);
    struct mtv_vsphere *vs = NULL;
    struct mtv_error err = {0};

    (void)state;
    o.ca_pem = sim.other_ca_pem;
    assert_int_equal(mtv_vsphere_connect(&vs, &o, &err), MTV_EIO);
    assert_null(vs);
}

static void test_vsphere_client__insecure_honoured(void **state)
{
    struct mtv_vsphere_options o = vcsim_fixture_options(&sim);
    struct mtv_vsphere *vs = NULL;
    struct mtv_error err = {0};

    (void)state;
    o.ca_pem = sim.other_ca_pem;
    o.insecure = true;
    assert_int_equal(mtv_vsphere_connect(&vs, &o, &err), 0);
    mtv_vsphere_free(vs);
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    struct mtv_buf b = MTV_BUF_INIT;
    char chunk[4096];
    size_t n = 0;

    assert_non_null(fp);
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        assert_int_equal(mtv_buf_append(&b, chunk, n), 0);
    }
    fclose(fp);
    return mtv_buf_detach(&b);
}

static void test_vsphere_client__right_ca_accepted_chain_fetched(void **state)
{
    struct mtv_vsphere_options o = vcsim_fixture_options(&sim);
    struct mtv_vsphere *vs = NULL;
    struct mtv_error err = {0};
    char *pem = NULL;
    char *server = NULL;
    char path[512];
    char fp1[64];
    char fp2[64];

    (void)state;
    /* the right CA (the fixture's) is accepted with verification on */
    assert_false(o.insecure);
    assert_int_equal(mtv_vsphere_connect(&vs, &o, &err), 0);
    mtv_vsphere_free(vs);
    /* the chain for a provider Secret's cacert is the server's */
    assert_int_equal(mtv_vsphere_fetch_ca_pem(&pem, sim.url, 10000, &err), 0);
    snprintf(path, sizeof(path), "%s/server.pem", sim.dir);
    server = read_text(path);
    assert_int_equal(mtv_http_cert_sha1_fingerprint(pem, fp1, sizeof(fp1), &err),
                     0);
    assert_int_equal(
        mtv_http_cert_sha1_fingerprint(server, fp2, sizeof(fp2), &err), 0);
    assert_string_equal(fp1, fp2);
    free(server);
    free(pem);
}

static int count_templates(const char *name, const struct mtv_moref *obj,
                           void *payload)
{
    int *n = payload;

    assert_string_equal(obj->type, "VirtualMachine");
    if (strcmp(name, "mtv-tests-rhel8") == 0 ||
        strcmp(name, "mtv-rhel8-warm-2disks2nics") == 0 ||
        strcmp(name, "mtv-win2022-ip-3disks") == 0 ||
        strcmp(name, "xcopy-template-test") == 0) {
        (*n)++;
    }
    return 0;
}

static void test_vsphere_client__list_vms(void **state)
{
    struct ctx *c = *state;
    struct mtv_error err = {0};
    int n = 0;

    assert_int_equal(mtv_vsphere_list(c->vs, "VirtualMachine", count_templates,
                                      &n, &err),
                     0);
    assert_int_equal(n, 4);
}

/* --------------------------------------------------------------- lookup */

static void test_vsphere_client__find_missing_is_enotfound(void **state)
{
    struct ctx *c = *state;
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_error err = {0};

    assert_int_equal(mtv_vsphere_lookup_vm(c->vs, "no-such-vm-xyz", &vm, &err),
                     MTV_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no-such-vm-xyz"));
}

/* ----------------------------------------------------- clone lifecycle */

static bool has_key(const struct mtv_vm_record *r, const char *key)
{
    return mtv_strv_contains(&r->ctk_keys, key);
}

static void test_vsphere_client__warm_clone_cycle(void **state)
{
    struct ctx *c = *state;
    struct mtv_vsphere_add_disk add[2] = {{1, "thin", NULL, NULL, NULL},
                                          {2, "thick-lazy", NULL, "LocalDS_1",
                                           "mtvtest/disks"}};
    char want_file[160];
    struct mtv_vsphere_clone_spec spec = MTV_VSPHERE_CLONE_SPEC_INIT;
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_moref snap = {{0}, {0}};
    struct mtv_moref snap2 = {{0}, {0}};
    struct mtv_vm_record *rec = NULL;
    struct mtv_error err = {0};
    char name[64];

    make_name(name, "mtv-tests-rhel8");
    spec.source = "mtv-tests-rhel8";
    spec.name = name;
    spec.warm = true;
    spec.add_disks = add;
    spec.n_add_disks = 2;
    if (mtv_vsphere_clone_vm(c->vs, &spec, &vm, &err) != 0) {
        fail_msg("clone: %s: %s", err.msg, err.remote);
    }
    assert_int_equal(mtv_vsphere_lookup_vm_record(&rec, c->vs, &vm, &err), 0);
    assert_string_equal(rec->name, name);
    assert_string_equal(rec->power_state, "off");
    assert_true(rec->ctk_enabled);
    assert_int_equal(rec->n_disks, 3);
    assert_int_equal(rec->disks[1].capacity_kb, 1024 * 1024);
    assert_string_equal(rec->disks[1].datastore, "LocalDS_0");
    assert_int_equal(rec->disks[2].capacity_kb, 2 * 1024 * 1024);
    assert_string_equal(rec->disks[2].datastore, "LocalDS_1");
    snprintf(want_file, sizeof(want_file),
             "[LocalDS_1] mtvtest/disks/%s_disk_2.vmdk", name);
    assert_string_equal(rec->disks[2].file_name, want_file);
    assert_int_equal(rec->disks[1].controller_key, rec->disks[0].controller_key);
    assert_int_equal(rec->disks[1].unit_number, 1);
    assert_int_equal(rec->disks[2].unit_number, 2);
    assert_int_equal(rec->ctk_keys.len, 3);
    for (size_t i = 0; i < rec->n_disks; i++) {
        char key[64];
        snprintf(key, sizeof(key), "scsi%d:%d.ctkEnabled",
                 rec->disks[i].bus_number, rec->disks[i].unit_number);
        assert_true(has_key(rec, key));
    }
    mtv_vm_record_free(rec);
    rec = NULL;

    assert_int_equal(mtv_vsphere_power_on(c->vs, &vm, 0, &err), 0);
    assert_int_equal(mtv_vsphere_wait_guest(c->vs, &vm, 30000, &err), 0);
    assert_int_equal(mtv_vsphere_lookup_vm_record(&rec, c->vs, &vm, &err), 0);
    assert_string_equal(rec->power_state, "on");
    assert_true(rec->guest_agent_running);
    assert_true(rec->n_nics >= 1);
    assert_true(rec->nics[0].n_ips >= 1);
    mtv_vm_record_free(rec);
    rec = NULL;

    assert_int_equal(mtv_vsphere_create_snapshot(c->vs, &vm, "s1", "d", false,
                                                 false, &snap, &err),
                     0);
    assert_string_equal(snap.type, "VirtualMachineSnapshot");
    assert_int_equal(mtv_vsphere_create_snapshot(c->vs, &vm, "s2", NULL, false,
                                                 false, &snap2, &err),
                     0);
    assert_int_equal(mtv_vsphere_lookup_vm_record(&rec, c->vs, &vm, &err), 0);
    assert_int_equal(rec->n_snapshots, 2);
    assert_string_equal(rec->snapshots[0].name, "s1");
    assert_int_equal(rec->snapshots[0].depth, 0);
    assert_string_equal(rec->snapshots[0].moref, snap.value);
    assert_string_equal(rec->snapshots[1].name, "s2");
    assert_int_equal(rec->snapshots[1].depth, 1);
    assert_string_equal(rec->snapshots[1].moref, snap2.value);
    assert_non_null(rec->snapshots[1].create_time);
    assert_string_equal(rec->snapshots[1].state, "poweredOn");
    mtv_vm_record_free(rec);
    rec = NULL;
    assert_int_equal(mtv_vsphere_remove_snapshot(c->vs, &snap, true, &err), 0);
    assert_int_equal(mtv_vsphere_lookup_vm_record(&rec, c->vs, &vm, &err), 0);
    assert_int_equal(rec->n_snapshots, 0);
    mtv_vm_record_free(rec);
    rec = NULL;

    assert_int_equal(mtv_vsphere_power_off(c->vs, &vm, 0, &err), 0);
    assert_int_equal(mtv_vsphere_destroy_vm(c->vs, &vm, 0, &err), 0);
    assert_int_equal(mtv_vsphere_lookup_vm(c->vs, name, &vm, &err),
                     MTV_ENOTFOUND);
}

struct ledger {
    int calls;
    char name[64];
    struct mtv_moref task;
};

static int record_clone(const char *clone_name, const struct mtv_moref *task,
                        void *payload)
{
    struct ledger *l = payload;

    l->calls++;
    mtv_strlcpy(l->name, clone_name, sizeof(l->name));
    l->task = *task;
    return 0;
}

static void test_vsphere_client__clone_error_is_recorded_first(void **state)
{
    struct ctx *c = *state;
    struct mtv_vsphere_clone_spec spec = MTV_VSPHERE_CLONE_SPEC_INIT;
    struct mtv_moref vm = {{0}, {0}};
    struct ledger l = {0, "", {{0}, {0}}};
    struct mtv_error err = {0};

    /* a clone named like an existing VM: the task fails (DuplicateName) */
    spec.source = "mtv-tests-rhel8";
    spec.name = "xcopy-template-test";
    spec.warm = true;
    spec.on_task = record_clone;
    spec.payload = &l;
    assert_int_equal(mtv_vsphere_clone_vm(c->vs, &spec, &vm, &err),
                     MTV_EREMOTE);
    assert_int_equal(l.calls, 1);
    assert_string_equal(l.name, "xcopy-template-test");
    assert_string_equal(l.task.type, "Task");
    assert_non_null(strstr(err.msg, "clone 'xcopy-template-test'"));
    assert_true(strlen(err.remote) > 0);
}

static void test_vsphere_client__thick_disks_must_fit(void **state)
{
    struct ctx *c = *state;
    struct mtv_vsphere_add_disk add[2] = {
        {400000, "thick-eager", NULL, NULL, NULL},
        {400000, "thick-lazy", NULL, NULL, NULL}};
    struct mtv_vsphere_clone_spec spec = MTV_VSPHERE_CLONE_SPEC_INIT;
    struct mtv_moref vm = {{0}, {0}};
    struct ledger l = {0, "", {{0}, {0}}};
    struct mtv_error err = {0};

    spec.source = "mtv-tests-rhel8";
    spec.name = "auto-zz-too-big";
    spec.add_disks = add;
    spec.n_add_disks = 2;
    spec.on_task = record_clone;
    spec.payload = &l;
    assert_int_equal(mtv_vsphere_clone_vm(c->vs, &spec, &vm, &err), MTV_EINVAL);
    assert_non_null(strstr(err.msg, "thick disks need 800000 GiB"));
    assert_int_equal(l.calls, 0);
}

static void test_vsphere_client__shutdown_guest_and_reconfigure(void **state)
{
    struct ctx *c = *state;
    struct mtv_vsphere_clone_spec spec = MTV_VSPHERE_CLONE_SPEC_INIT;
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_vm_record *rec = NULL;
    struct ledger l = {0, "", {{0}, {0}}};
    struct mtv_error err = {0};
    char name[64];

    make_name(name, "xcopy-template-test");
    spec.source = "xcopy-template-test";
    spec.name = name;
    spec.on_task = record_clone;
    spec.payload = &l;
    assert_int_equal(mtv_vsphere_clone_vm(c->vs, &spec, &vm, &err), 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(mtv_vsphere_lookup_vm_record(&rec, c->vs, &vm, &err), 0);
    assert_false(rec->ctk_enabled);
    assert_int_equal(rec->ctk_keys.len, 0);
    assert_string_equal(rec->disks[0].datastore, "LocalDS_1");
    mtv_vm_record_free(rec);
    rec = NULL;

    assert_int_equal(
        mtv_vsphere_reconfigure(c->vs, &vm,
                                "<extraConfig xsi:type=\"OptionValue\">"
                                "<key>ctkEnabled</key>"
                                "<value xsi:type=\"xsd:string\">true</value>"
                                "</extraConfig>",
                                0, &err),
        0);
    assert_int_equal(mtv_vsphere_lookup_vm_record(&rec, c->vs, &vm, &err), 0);
    assert_true(rec->ctk_enabled);
    mtv_vm_record_free(rec);

    assert_int_equal(mtv_vsphere_power_on(c->vs, &vm, 0, &err), 0);
    assert_int_equal(mtv_vsphere_wait_guest(c->vs, &vm, 30000, &err), 0);
    assert_int_equal(mtv_vsphere_shutdown_guest(c->vs, &vm, &err), 0);
    assert_int_equal(
        mtv_vsphere_wait_power_state(c->vs, &vm, "poweredOff", 30000, &err), 0);
    assert_int_equal(mtv_vsphere_destroy_vm(c->vs, &vm, 0, &err), 0);
}

static void test_vsphere_client__relogin_during_wait(void **state)
{
    struct ctx *c = *state;
    struct mtv_vsphere_options o = vcsim_fixture_options(&sim);
    struct mtv_vsphere *other = NULL;
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_error err = {0};

    assert_int_equal(mtv_vsphere_lookup_vm(c->vs, "mtv-tests-rhel8", &vm, &err),
                     0);
    /* our waiter collector exists now; kill the session under it */
    assert_int_equal(
        mtv_vsphere_wait_power_state(c->vs, &vm, "poweredOff", 10000, &err), 0);
    assert_int_equal(mtv_vsphere_connect(&other, &o, &err), 0);
    assert_int_equal(mtv_vsphere_terminate_session(
                         other, mtv_vsphere_session_key(c->vs), &err),
                     0);
    mtv_vsphere_free(other);
    assert_int_equal(
        mtv_vsphere_wait_power_state(c->vs, &vm, "poweredOff", 10000, &err), 0);
    assert_int_equal(mtv_vsphere_relogins(c->vs), 1);
}

static void test_vsphere_client__guest_wait_times_out(void **state)
{
    struct ctx *c = *state;
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_error err = {0};

    /* a powered-off template never gets a guest: a timeout, not a hang */
    assert_int_equal(mtv_vsphere_lookup_vm(c->vs, "mtv-tests-rhel8", &vm, &err),
                     0);
    assert_int_equal(mtv_vsphere_wait_guest(c->vs, &vm, 1500, &err),
                     MTV_ETIMEOUT);
    assert_non_null(strstr(err.msg, "not done after 1500 ms"));
    /* the session still works afterwards */
    assert_int_equal(mtv_vsphere_ping(c->vs, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_vsphere_client__good_password_logs_in, setup, teardown),
        cmocka_unit_test(test_vsphere_client__bad_password_is_eauth),
        cmocka_unit_test_setup_teardown(
            test_vsphere_client__relogin_after_terminate, setup, teardown),
        cmocka_unit_test(test_vsphere_client__wrong_ca_rejected),
        cmocka_unit_test(test_vsphere_client__insecure_honoured),
        cmocka_unit_test(test_vsphere_client__right_ca_accepted_chain_fetched),
        cmocka_unit_test_setup_teardown(
            test_vsphere_client__find_missing_is_enotfound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vsphere_client__list_vms, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_vsphere_client__warm_clone_cycle,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_vsphere_client__clone_error_is_recorded_first, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_vsphere_client__thick_disks_must_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_vsphere_client__shutdown_guest_and_reconfigure, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_vsphere_client__relogin_during_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_vsphere_client__guest_wait_times_out, setup, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
