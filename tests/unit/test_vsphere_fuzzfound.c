/*
 * vsphere: regressions found by the libFuzzer targets (tests/fuzz/).
 * Each test is the minimal reproducer of one finding.
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
    fake_http_will_respond_file(200, NULL, "vsphere/login.xml");
    assert_int_equal(mtv_vsphere_connect(&vs, &o, &err), 0);
    return vs;
}

static void disconnect(struct mtv_vsphere *vs)
{
    fake_http_will_respond_file(200, NULL, "vsphere/logout.xml");
    mtv_vsphere_free(vs);
    fake_http_reset();
}

static char *read_data(const char *rel)
{
    char path[512];
    FILE *f = NULL;
    char *s = NULL;
    long n = 0;

    snprintf(path, sizeof(path), "%s/%s", MTV_TEST_DATA_DIR, rel);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    s = calloc(1, (size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

/*
 * fuzz_vmrecord: a RetrievePropertiesEx answer with the VM's ObjectContent
 * twice made read_vm read the basics twice, overwriting (leaking) id, name,
 * uuid, guest id and power state, and listing the devices twice. A second
 * object is now a protocol error.
 */
static void test_vsphere_fuzzfound__record_two_objects(void **state)
{
    struct mtv_vsphere *vs = connect_fake();
    struct mtv_moref vm = {"VirtualMachine", "vm-70"};
    struct mtv_vm_record *r = NULL;
    struct mtv_error err = {0};
    char *xml = read_data("vsphere/vm_record_powered_on.xml");
    const char *open = strstr(xml, "<objects>");
    const char *close = strstr(xml, "</objects>");
    struct mtv_buf twice = MTV_BUF_INIT;

    (void)state;
    assert_non_null(open);
    assert_non_null(close);
    close += strlen("</objects>");
    /* ...<objects>A</objects><objects>A</objects>... */
    assert_int_equal(mtv_buf_append(&twice, xml, (size_t)(close - xml)), 0);
    assert_int_equal(mtv_buf_append(&twice, open, (size_t)(close - open)), 0);
    assert_int_equal(mtv_buf_puts(&twice, close), 0);
    fake_http_will_respond(200, NULL, twice.data);
    assert_int_equal(mtv_vsphere_lookup_vm_record(&r, vs, &vm, &err),
                     MTV_EPROTO);
    assert_null(r);
    assert_non_null(strstr(err.msg, "vm-70"));
    mtv_buf_dispose(&twice);
    free(xml);
    disconnect(vs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vsphere_fuzzfound__record_two_objects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
