/*
 * soap: faults recorded from vcsim decode into struct mtv_error with the
 * fault type and the faultstring.
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
#include "mtv/soap.h"
#include "soap/soap_priv.h"

static const struct {
    const char *file;
    int code;
    const char *type;
    const char *faultstring;
} faults[] = {
    {"vsphere/fault_not_authenticated.xml", MTV_EAUTH, "NotAuthenticated",
     "The session is not authenticated"},
    {"vsphere/fault_invalid_login.xml", MTV_EAUTH, "InvalidLogin",
     "Login failure"},
    {"vsphere/fault_managed_object_not_found.xml", MTV_ENOTFOUND,
     "ManagedObjectNotFound",
     "The object has already been deleted or has not been completely created"},
};

static void test_soap_fault__maps_faultstring(void **state)
{
    struct mtv_http_transport t = fake_http_transport();
    struct mtv_soap_options o = {"https://vc:443/sdk", NULL, &t, 0, 0};
    struct mtv_soap_client *c = NULL;
    struct mtv_buf body = MTV_BUF_INIT;

    (void)state;
    assert_int_equal(mtv_soap_client_new(&c, &o, NULL), 0);
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        struct mtv_soap_response *r = NULL;
        struct mtv_error err = {0};
        char want[128];

        fake_http_will_respond_file(500, NULL, faults[i].file);
        assert_int_equal(mtv_soap_call(&r, c, "RetrievePropertiesEx", &body,
                                       MTV_SOAP_OPTIONAL, &err),
                         faults[i].code);
        assert_null(r);
        assert_string_equal(mtv_soap_client_last_fault(c), faults[i].type);
        snprintf(want, sizeof(want), "RetrievePropertiesEx: %s fault",
                 faults[i].type);
        assert_string_equal(err.msg, want);
        assert_string_equal(err.remote, faults[i].faultstring);
        assert_int_equal(err.http_status, 500);
    }
    /* a successful call clears the last fault */
    fake_http_will_respond_file(200, NULL, "vsphere/logout.xml");
    assert_int_equal(mtv_soap_call(NULL, c, "Logout", &body, MTV_SOAP_NONE,
                                   NULL),
                     0);
    assert_string_equal(mtv_soap_client_last_fault(c), "");
    mtv_soap_client_free(c);
    fake_http_reset();
}

static const struct {
    const char *type;
    int code;
} codes[] = {
    {"NotAuthenticated", MTV_EAUTH},     {"InvalidLogin", MTV_EAUTH},
    {"NoPermission", MTV_EAUTH},         {"ManagedObjectNotFound", MTV_ENOTFOUND},
    {"InvalidArgument", MTV_EINVAL},     {"InvalidPowerState", MTV_EREMOTE},
    {"FileAlreadyExists", MTV_EREMOTE},  {"", MTV_EREMOTE},
};

static void test_soap_fault__code_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_int_equal(mtv_soap__fault_code(codes[i].type), codes[i].code);
    }
}

static void test_soap_fault__fault_without_xsi_type_uses_element(void **state)
{
    const char *doc =
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/"
        "envelope/\"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode"
        "</faultcode><faultstring>gone</faultstring><detail>"
        "<ManagedObjectNotFoundFault xmlns=\"urn:vim25\"/></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>";
    struct mtv_error err = {0};

    (void)state;
    assert_int_equal(mtv_soap_parse_response(NULL, NULL, "Destroy_Task", 500,
                                             doc, strlen(doc), MTV_SOAP_REQUIRED,
                                             &err),
                     MTV_ENOTFOUND);
    assert_string_equal(err.msg, "Destroy_Task: ManagedObjectNotFound fault");
    assert_string_equal(err.remote, "gone");
}

static void test_soap_fault__transport_error_names_method(void **state)
{
    struct mtv_http_transport t = fake_http_transport();
    struct mtv_soap_options o = {"https://vc:443/sdk", NULL, &t, 0, 0};
    struct mtv_soap_client *c = NULL;
    struct mtv_buf body = MTV_BUF_INIT;
    struct mtv_error err = {0};

    (void)state;
    assert_int_equal(mtv_soap_client_new(&c, &o, NULL), 0);
    fake_http_will_fail(MTV_EIO, MTV_HTTP_FAIL_CONNECT);
    assert_int_equal(mtv_soap_call(NULL, c, "Login", &body, MTV_SOAP_REQUIRED,
                                   &err),
                     MTV_EIO);
    assert_true(mtv_str_has_prefix(err.msg, "Login: "));
    mtv_soap_client_free(c);
    fake_http_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soap_fault__maps_faultstring),
        cmocka_unit_test(test_soap_fault__code_table),
        cmocka_unit_test(test_soap_fault__fault_without_xsi_type_uses_element),
        cmocka_unit_test(test_soap_fault__transport_error_names_method),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
