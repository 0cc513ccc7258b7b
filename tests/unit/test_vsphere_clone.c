/*
 * vsphere clone through the fake transport: the request matches the one
 * recorded against vcsim (relocate spec, NIC edit with a generated MAC,
 * CBT keys), the ledger callback runs as soon as the task exists, and a
 * MAC "in use" task error is retried once without the NIC edits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_http.h"
#include "mtv/vsphere.h"

#define NAME "auto-b000-mtv-tests-rhel8-ceph-rbd-4-20-warm-c7ah"

static struct mtv_http_transport transport;
static int ledger_calls;

static int on_task(const char *clone_name, const struct mtv_moref *task,
                   void *payload)
{
    (void)payload;
    assert_string_equal(clone_name, NAME);
    assert_string_equal(task->value, "task-68");
    ledger_calls++;
    return 0;
}

static struct mtv_vsphere *connect_fake(void)
{
    struct mtv_vsphere_options o = MTV_VSPHERE_OPTIONS_INIT;
    struct mtv_vsphere *vs = NULL;

    transport = fake_http_transport();
    o.url = "https://vc.example/sdk";
    o.username = "u@vsphere.local";
    o.password = "p4ssw0rd-long";
    o.transport = &transport;
    fake_http_will_respond_file(200, NULL, "vsphere/service_content.xml");
    fake_http_will_respond_file(200, "Set-Cookie: vmware_soap_session=c1",
                                "vsphere/login.xml");
    assert_int_equal(mtv_vsphere_connect(&vs, &o, NULL), 0);
    return vs;
}

static void queue_lookup_and_source(void)
{
    fake_http_will_respond_file(200, NULL, "vsphere/create_container_view.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/view_vm_names.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/destroy_view.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/clone_source.xml");
}

static void queue_clone_wait(bool first, const char *wait_file)
{
    fake_http_will_respond_file(200, NULL, "vsphere/clone_task.xml");
    if (first) {
        fake_http_will_respond_file(200, NULL,
                                    "vsphere/create_property_collector.xml");
    }
    fake_http_will_respond_file(200, NULL, "vsphere/create_filter.xml");
    fake_http_will_respond_file(200, NULL, wait_file);
    fake_http_will_respond_file(200, NULL, "vsphere/destroy_filter.xml");
}

static struct mtv_vsphere_clone_spec spec_for_test(void)
{
    struct mtv_vsphere_clone_spec spec = MTV_VSPHERE_CLONE_SPEC_INIT;

    spec.source = "mtv-tests-rhel8";
    spec.name = NAME;
    spec.warm = true;
    spec.on_task = on_task;
    return spec;
}

static void test_vsphere_clone__request_matches_recording(void **state)
{
    struct mtv_vsphere *vs = connect_fake();
    struct mtv_vsphere_clone_spec spec = spec_for_test();
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_error err = {0};
    char *golden = fake_http_read_data("vsphere/clone_request.xml");

    (void)state;
    ledger_calls = 0;
    queue_lookup_and_source();
    queue_clone_wait(true, "vsphere/wait_task_success.xml");
    assert_int_equal(mtv_vsphere_clone_vm(vs, &spec, &vm, &err), 0);
    assert_string_equal(vm.value, "vm-70");
    assert_int_equal(ledger_calls, 1);
    assert_string_equal(fake_http_record(6)->body, golden);
    assert_non_null(strstr(golden, "<addressType>generated</addressType>"));
    assert_null(strstr(golden, "<macAddress>"));
    assert_non_null(strstr(golden, "<key>scsi0:0.ctkEnabled</key>"));
    assert_non_null(strstr(golden, "<powerOn>false</powerOn>"));
    free(golden);
    fake_http_will_respond_file(200, NULL, "vsphere/logout.xml");
    mtv_vsphere_free(vs);
    fake_http_reset();
}

static void test_vsphere_clone__mac_in_use_retried_without_edits(void **state)
{
    struct mtv_vsphere *vs = connect_fake();
    struct mtv_vsphere_clone_spec spec = spec_for_test();
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_error err = {0};
    const char *retry = NULL;

    (void)state;
    ledger_calls = 0;
    queue_lookup_and_source();
    queue_clone_wait(true, "vsphere/wait_task_mac_in_use.xml");
    queue_clone_wait(false, "vsphere/wait_task_success.xml");
    assert_int_equal(mtv_vsphere_clone_vm(vs, &spec, &vm, &err), 0);
    assert_int_equal(ledger_calls, 2);
    assert_non_null(strstr(fake_http_record(6)->body, "<operation>edit"));
    retry = fake_http_record(11)->body;
    assert_non_null(strstr(retry, "<CloneVM_Task "));
    assert_null(strstr(retry, "<operation>edit"));
    assert_non_null(strstr(retry, "<key>ctkEnabled</key>"));
    assert_non_null(strstr(retry, "<key>scsi0:0.ctkEnabled</key>"));
    fake_http_will_respond_file(200, NULL, "vsphere/logout.xml");
    mtv_vsphere_free(vs);
    fake_http_reset();
}

static void test_vsphere_clone__other_task_error_not_retried(void **state)
{
    struct mtv_vsphere *vs = connect_fake();
    struct mtv_vsphere_clone_spec spec = spec_for_test();
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_error err = {0};

    (void)state;
    ledger_calls = 0;
    queue_lookup_and_source();
    queue_clone_wait(true, "vsphere/wait_task_error.xml");
    assert_int_equal(mtv_vsphere_clone_vm(vs, &spec, &vm, &err), MTV_EREMOTE);
    assert_int_equal(ledger_calls, 1);
    assert_non_null(strstr(err.msg, "clone '" NAME "' from 'mtv-tests-rhel8'"));
    assert_non_null(strstr(err.remote, "current state"));
    assert_int_equal(fake_http_count(), 11);
    fake_http_will_respond_file(200, NULL, "vsphere/logout.xml");
    mtv_vsphere_free(vs);
    fake_http_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vsphere_clone__request_matches_recording),
        cmocka_unit_test(test_vsphere_clone__mac_in_use_retried_without_edits),
        cmocka_unit_test(test_vsphere_clone__other_task_error_not_retried),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
