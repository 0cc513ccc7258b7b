/*
 * vsphere session through the fake transport with recorded payloads:
 * login, cookie, re-login once on NotAuthenticated, bad password, task
 * errors, the VM record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_http.h"
#include "mtv/vsphere.h"

#define COOKIE1 "Set-Cookie: vmware_soap_session=first-cookie; Path=/"
#define COOKIE2 "Set-Cookie: vmware_soap_session=second-cookie; Path=/"

static struct mtv_http_transport transport;

static struct mtv_vsphere *connect_fake(void)
{
    struct mtv_vsphere_options o = MTV_VSPHERE_OPTIONS_INIT;
    struct mtv_vsphere *vs = NULL;
    struct mtv_error err = {0};

    transport = fake_http_transport();
    o.url = "https://vc.example:443/sdk";
    o.username = "administrator@vsphere.local";
    o.password = "s3cret-Passw0rd";
    o.transport = &transport;
    fake_http_will_respond_file(200, NULL, "vsphere/service_content.xml");
    fake_http_will_respond_file(200, COOKIE1, "vsphere/login.xml");
    assert_int_equal(mtv_vsphere_connect(&vs, &o, &err), 0);
    return vs;
}

static void disconnect(struct mtv_vsphere *vs)
{
    fake_http_will_respond_file(200, NULL, "vsphere/logout.xml");
    mtv_vsphere_free(vs);
    fake_http_reset();
}

static void test_vsphere_session__login_sends_credentials_once(void **state)
{
    struct mtv_vsphere *vs = NULL;

    (void)state;
    fake_http_expect("POST", "/sdk");
    fake_http_expect_body_contains("<RetrieveServiceContent");
    fake_http_expect("POST", "/sdk");
    fake_http_expect_body_contains("<userName>administrator@vsphere.local");
    vs = connect_fake();
    assert_int_equal(fake_http_count(), 2);
    assert_null(fake_http_record_header(0, "Cookie"));
    assert_true(strlen(mtv_vsphere_session_key(vs)) > 0);
    assert_int_equal(mtv_vsphere_round_trips(vs), 2);
    disconnect(vs);
}

static void test_vsphere_session__relogin_once_on_not_authenticated(void **state)
{
    struct mtv_vsphere *vs = connect_fake();
    struct mtv_error err = {0};

    (void)state;
    fake_http_will_respond_file(500, NULL, "vsphere/fault_not_authenticated.xml");
    fake_http_will_respond_file(200, COOKIE2, "vsphere/login.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/vm_record_names.xml");
    assert_int_equal(mtv_vsphere_ping(vs, &err), 0);
    assert_int_equal(mtv_vsphere_relogins(vs), 1);
    /* the failed call carried the old cookie, the re-login none, the retry
     * the new one */
    assert_string_equal(fake_http_record_header(2, "Cookie"),
                        "vmware_soap_session=first-cookie");
    assert_null(fake_http_record_header(3, "Cookie"));
    assert_non_null(strstr(fake_http_record(3)->body, "<Login "));
    assert_string_equal(fake_http_record_header(4, "Cookie"),
                        "vmware_soap_session=second-cookie");
    disconnect(vs);
}

static void test_vsphere_session__relogin_only_once(void **state)
{
    struct mtv_vsphere *vs = connect_fake();
    struct mtv_error err = {0};

    (void)state;
    fake_http_will_respond_file(500, NULL, "vsphere/fault_not_authenticated.xml");
    fake_http_will_respond_file(200, COOKIE2, "vsphere/login.xml");
    fake_http_will_respond_file(500, NULL, "vsphere/fault_not_authenticated.xml");
    assert_int_equal(mtv_vsphere_ping(vs, &err), MTV_EAUTH);
    assert_int_equal(fake_http_count(), 5);
    assert_string_equal(err.remote, "The session is not authenticated");
    disconnect(vs);
}

static void test_vsphere_session__bad_password_is_eauth(void **state)
{
    struct mtv_vsphere_options o = MTV_VSPHERE_OPTIONS_INIT;
    struct mtv_vsphere *vs = NULL;
    struct mtv_error err = {0};

    (void)state;
    transport = fake_http_transport();
    o.url = "https://vc.example:443/sdk";
    o.username = "administrator@vsphere.local";
    o.password = "wrong-Passw0rd-xyz";
    o.transport = &transport;
    fake_http_will_respond_file(200, NULL, "vsphere/service_content.xml");
    fake_http_will_respond_file(500, NULL, "vsphere/fault_invalid_login.xml");
    assert_int_equal(mtv_vsphere_connect(&vs, &o, &err), MTV_EAUTH);
    assert_null(vs);
    assert_string_equal(err.msg,
                        "vCenter 'https://vc.example:443/sdk': login as "
                        "'administrator@vsphere.local' failed: Login: "
                        "InvalidLogin fault");
    assert_string_equal(err.remote, "Login failure");
    assert_null(strstr(err.msg, "wrong-Passw0rd-xyz"));
    fake_http_reset();
}

static void queue_wait(const char *result_file)
{
    fake_http_will_respond_file(200, NULL, "vsphere/create_property_collector.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/create_filter.xml");
    fake_http_will_respond_file(200, NULL, result_file);
    fake_http_will_respond_file(200, NULL, "vsphere/destroy_filter.xml");
}

static void test_vsphere_session__task_error_carries_message(void **state)
{
    struct mtv_vsphere *vs = connect_fake();
    struct mtv_moref task = {"Task", "task-69"};
    struct mtv_error err = {0};

    (void)state;
    queue_wait("vsphere/wait_task_error.xml");
    assert_int_equal(mtv_vsphere_wait_task(vs, &task, 5000, NULL, &err),
                     MTV_EREMOTE);
    assert_string_equal(err.msg, "task 'task-69' failed: InvalidPowerState");
    assert_string_equal(err.remote, "The attempted operation cannot be "
                                    "performed in the current state (Powered "
                                    "on)");
    assert_non_null(strstr(fake_http_record(3)->body, "<pathSet>info.state"));
    disconnect(vs);
}

static void test_vsphere_session__task_success_returns_result(void **state)
{
    struct mtv_vsphere *vs = connect_fake();
    struct mtv_moref task = {"Task", "task-68"};
    struct mtv_moref result = {{0}, {0}};
    struct mtv_error err = {0};

    (void)state;
    queue_wait("vsphere/wait_task_success.xml");
    assert_int_equal(mtv_vsphere_wait_task(vs, &task, 5000, &result, &err), 0);
    assert_string_equal(result.type, "VirtualMachine");
    assert_string_equal(result.value, "vm-70");
    disconnect(vs);
}

static void test_vsphere_session__record_from_recorded_payloads(void **state)
{
    struct mtv_vsphere *vs = connect_fake();
    struct mtv_moref vm = {"VirtualMachine", "vm-70"};
    struct mtv_vm_record *r = NULL;
    struct mtv_error err = {0};

    (void)state;
    fake_http_will_respond_file(200, NULL, "vsphere/vm_record_powered_on.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/vm_record_names.xml");
    assert_int_equal(mtv_vsphere_lookup_vm_record(&r, vs, &vm, &err), 0);
    assert_int_equal(fake_http_count(), 4);
    assert_string_equal(r->id, "vm-70");
    assert_string_equal(r->guest_id, "rhel8_64Guest");
    assert_false(r->win_os);
    assert_string_equal(r->power_state, "on");
    assert_true(r->guest_agent_running);
    assert_int_equal(r->num_cores_per_socket, 2);
    assert_int_equal(r->num_sockets, 1);
    assert_int_equal(r->memory_mb, 2048);
    assert_int_equal(r->n_disks, 1);
    assert_string_equal(r->disks[0].datastore, "LocalDS_0");
    assert_int_equal(r->disks[0].unit_number, 0);
    assert_true(r->ctk_enabled);
    assert_true(mtv_strv_contains(&r->ctk_keys, "scsi0:0.ctkEnabled"));
    assert_int_equal(r->n_nics, 1);
    assert_string_equal(r->nics[0].network, "VM Network");
    assert_int_equal(r->nics[0].n_ips, 1);
    assert_string_equal(r->nics[0].ips[0].address, "127.42.1.1");
    assert_int_equal(r->nics[0].ips[0].prefix_length, 24);
    assert_string_equal(r->nics[0].ips[0].origin, "manual");
    assert_int_equal(r->nics[0].ips[0].is_static, 1);
    assert_non_null(r->nics[0].ips[0].gateway);
    mtv_vm_record_free(r);
    disconnect(vs);
}

static void test_vsphere_session__retrieve_continues_with_token(void **state)
{
    struct mtv_vsphere *vs = connect_fake();
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_error err = {0};

    (void)state;
    fake_http_will_respond_file(200, NULL, "vsphere/create_container_view.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/view_vm_names_page1.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/view_vm_names_page2.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/destroy_view.xml");
    assert_int_equal(mtv_vsphere_lookup_vm(vs, "page-two-vm", &vm, &err), 0);
    assert_string_equal(vm.value, "vm-900");
    assert_non_null(strstr(fake_http_record(4)->body,
                           "<ContinueRetrievePropertiesEx xmlns=\"urn:vim25\">"));
    assert_non_null(strstr(fake_http_record(4)->body, "<token>page-2</token>"));
    assert_non_null(strstr(fake_http_record(5)->body, "<DestroyView "));
    /* no token: no continuation */
    fake_http_will_respond_file(200, NULL, "vsphere/create_container_view.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/view_vm_names.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/destroy_view.xml");
    assert_int_equal(mtv_vsphere_lookup_vm(vs, "page-two-vm", &vm, &err),
                     MTV_ENOTFOUND);
    assert_int_equal(fake_http_count(), 9);
    disconnect(vs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vsphere_session__login_sends_credentials_once),
        cmocka_unit_test(test_vsphere_session__relogin_once_on_not_authenticated),
        cmocka_unit_test(test_vsphere_session__relogin_only_once),
        cmocka_unit_test(test_vsphere_session__bad_password_is_eauth),
        cmocka_unit_test(test_vsphere_session__task_error_carries_message),
        cmocka_unit_test(test_vsphere_session__task_success_returns_result),
        cmocka_unit_test(test_vsphere_session__record_from_recorded_payloads),
        cmocka_unit_test(test_vsphere_session__retrieve_continues_with_token),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
