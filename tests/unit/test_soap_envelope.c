/*
 * soap: envelopes, escaping, re-emitting nodes, cookies, cardinality and
 * responses that are not SOAP.
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

static void test_soap_envelope__escapes_text_and_wraps_method(void **state)
{
    struct mtv_buf body = MTV_BUF_INIT;
    struct mtv_buf env = MTV_BUF_INIT;

    (void)state;
    assert_int_equal(mtv_soap_put_moref(&body, "_this", "SessionManager",
                                        "SessionManager"),
                     0);
    assert_int_equal(mtv_soap_put_text(&body, "userName", "a<b>&\"c'"), 0);
    assert_int_equal(mtv_soap_put_long(&body, "n", -12), 0);
    assert_int_equal(mtv_soap_put_bool(&body, "b", true), 0);
    assert_int_equal(mtv_soap_build_envelope(&env, "Login", &body), 0);
    assert_non_null(strstr(env.data, "<soapenv:Body><Login xmlns=\"urn:vim25\">"
                                     "<_this type=\"SessionManager\">"
                                     "SessionManager</_this>"));
    assert_non_null(
        strstr(env.data, "<userName>a&lt;b&gt;&amp;&quot;c&apos;</userName>"));
    assert_non_null(strstr(env.data, "<n>-12</n><b>true</b>"));
    assert_non_null(strstr(env.data, "</Login></soapenv:Body>"));
    mtv_buf_dispose(&body);
    mtv_buf_dispose(&env);
}

static void test_soap_envelope__moref_value_is_escaped(void **state)
{
    struct mtv_buf b = MTV_BUF_INIT;

    (void)state;
    assert_int_equal(mtv_soap_put_moref(&b, "obj", "Datastore",
                                        "/tmp/ds&x@folder-5"),
                     0);
    assert_string_equal(b.data,
                        "<obj type=\"Datastore\">/tmp/ds&amp;x@folder-5</obj>");
    mtv_buf_dispose(&b);
}

static const struct {
    const char *header;
    bool found;
    const char *value;
} cookie_cases[] = {
    {"vmware_soap_session=abc-123; Path=/; HttpOnly", true, "abc-123"},
    {"vmware_soap_session=\"52a1\"; Path=/", true, "\"52a1\""},
    {"vmware_soap_session=x", true, "x"},
    {"other=1; Path=/", false, NULL},
    {"vmware_soap_session=; Path=/", false, NULL},
};

static void test_soap_envelope__cookie_table(void **state)
{
    char out[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cookie_cases) / sizeof(cookie_cases[0]);
         i++) {
        bool f = mtv_soap__cookie_from_header(cookie_cases[i].header, out,
                                              sizeof(out));
        assert_int_equal(f, cookie_cases[i].found);
        if (f) {
            assert_string_equal(out, cookie_cases[i].value);
        }
    }
}

static struct mtv_soap_client *client(struct mtv_http_transport *t)
{
    struct mtv_soap_client *c = NULL;
    struct mtv_soap_options o = {"https://vc.example:443/sdk", NULL, t, 0, 0};

    assert_int_equal(mtv_soap_client_new(&c, &o, NULL), 0);
    return c;
}

static void test_soap_envelope__call_posts_and_keeps_cookie(void **state)
{
    struct mtv_http_transport t = fake_http_transport();
    struct mtv_soap_client *c = client(&t);
    struct mtv_soap_response *r = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_error err = {0};

    (void)state;
    fake_http_expect("POST", "/sdk");
    fake_http_expect_header("SOAPAction: \"urn:vim25/7.0\"");
    fake_http_expect_body_contains("<Login xmlns=\"urn:vim25\">");
    fake_http_will_respond_file(
        200, "Set-Cookie: vmware_soap_session=sess-1; Path=/; HttpOnly",
        "vsphere/login.xml");
    fake_http_will_respond_file(200, NULL, "vsphere/logout.xml");
    assert_int_equal(mtv_soap_call(&r, c, "Login", &b, MTV_SOAP_REQUIRED, &err),
                     0);
    assert_string_equal(mtv_soap_client_cookie(c), "sess-1");
    assert_true(strlen(mtv_soap_node_path_text(mtv_soap_response_value(r),
                                               "key", "")) > 0);
    assert_int_equal(mtv_soap_call(NULL, c, "Logout", &b, MTV_SOAP_NONE, &err),
                     0);
    assert_string_equal(fake_http_record_header(1, "Cookie"),
                        "vmware_soap_session=sess-1");
    assert_int_equal(mtv_soap_client_round_trips(c), 2);
    mtv_soap_response_free(r);
    mtv_soap_client_free(c);
    fake_http_reset();
}

static void test_soap_envelope__cardinality_checked(void **state)
{
    struct mtv_soap_response *r = NULL;
    struct mtv_error err = {0};
    char *login = fake_http_read_data("vsphere/login.xml");
    char *logout = fake_http_read_data("vsphere/logout.xml");

    (void)state;
    /* one returnval where none is allowed */
    assert_int_equal(mtv_soap_parse_response(&r, NULL, "Login", 200, login,
                                             strlen(login), MTV_SOAP_NONE,
                                             &err),
                     MTV_EPROTO);
    assert_non_null(strstr(err.msg, "unexpected number of results (1)"));
    /* none where one is required */
    assert_int_equal(mtv_soap_parse_response(&r, NULL, "Logout", 200, logout,
                                             strlen(logout), MTV_SOAP_REQUIRED,
                                             &err),
                     MTV_EPROTO);
    /* the wrong response element */
    assert_int_equal(mtv_soap_parse_response(&r, NULL, "Logout", 200, login,
                                             strlen(login), MTV_SOAP_OPTIONAL,
                                             &err),
                     MTV_EPROTO);
    assert_null(r);
    assert_int_equal(mtv_soap_parse_response(&r, NULL, "Login", 200, login,
                                             strlen(login), MTV_SOAP_OPTIONAL,
                                             &err),
                     0);
    assert_int_equal(mtv_soap_response_count(r), 1);
    mtv_soap_response_free(r);
    free(login);
    free(logout);
}

static const struct {
    int status;
    const char *body;
    int code;
    const char *msg;
} bad_cases[] = {
    {404, "<html>not here</html>", MTV_EPROTO, "unexpected HTTP status 404"},
    {503, "", MTV_EPROTO, "unexpected HTTP status 503"},
    {200, "<html>proxy login</html>", MTV_EPROTO, "not a SOAP envelope"},
    {200, "garbage <<<", MTV_EPROTO, "not a SOAP envelope"},
    {500,
     "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/"
     "envelope/\"><soapenv:Body/></soapenv:Envelope>",
     MTV_EPROTO, "HTTP 500 without a SOAP fault"},
};

static void test_soap_envelope__non_soap_answers_are_eproto(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct mtv_soap_response *r = NULL;
        struct mtv_error err = {0};
        int rc = mtv_soap_parse_response(&r, NULL, "Login", bad_cases[i].status,
                                         bad_cases[i].body,
                                         strlen(bad_cases[i].body),
                                         MTV_SOAP_LIST, &err);
        assert_int_equal(rc, bad_cases[i].code);
        assert_non_null(strstr(err.msg, bad_cases[i].msg));
        assert_null(r);
    }
}

static void test_soap_envelope__put_node_reemits_device(void **state)
{
    struct mtv_soap_response *r = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    char *src = fake_http_read_data("vsphere/clone_source.xml");
    const struct mtv_soap_node *o = NULL;
    const struct mtv_soap_node *val = NULL;

    (void)state;
    assert_int_equal(mtv_soap_parse_response(&r, NULL, "RetrievePropertiesEx",
                                             200, src, strlen(src),
                                             MTV_SOAP_REQUIRED, NULL),
                     0);
    o = mtv_soap_node_child(mtv_soap_response_value(r), "objects");
    for (const struct mtv_soap_node *p = mtv_soap_node_child(o, "propSet");
         p != NULL; p = mtv_soap_node_next(p, "propSet")) {
        if (strcmp(mtv_soap_node_path_text(p, "name", ""), "parent") == 0) {
            val = mtv_soap_node_child(p, "val");
        }
    }
    assert_non_null(val);
    assert_string_equal(mtv_soap_node_type(val), "ManagedObjectReference");
    assert_int_equal(mtv_soap_put_node(&b, val, "folder"), 0);
    assert_string_equal(b.data, "<folder xsi:type=\"ManagedObjectReference\" "
                                "type=\"Folder\">folder-3</folder>");
    mtv_buf_dispose(&b);
    mtv_soap_response_free(r);
    free(src);
}

static void test_soap_envelope__put_node_keeps_xsd_types(void **state)
{
    struct mtv_soap_response *r = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    char *src = fake_http_read_data("vsphere/vm_record_powered_on.xml");
    const struct mtv_soap_node *o = NULL;
    int found = 0;

    (void)state;
    assert_int_equal(mtv_soap_parse_response(&r, NULL, "RetrievePropertiesEx",
                                             200, src, strlen(src),
                                             MTV_SOAP_REQUIRED, NULL),
                     0);
    o = mtv_soap_node_child(mtv_soap_response_value(r), "objects");
    /* the server writes XMLSchema-instance:type="xsd:int" */
    for (const struct mtv_soap_node *p = mtv_soap_node_child(o, "propSet");
         p != NULL; p = mtv_soap_node_next(p, "propSet")) {
        const struct mtv_soap_node *v = mtv_soap_node_child(p, "val");
        if (mtv_str_eq(mtv_soap_node_type(v), "int")) {
            mtv_buf_reset(&b);
            assert_int_equal(mtv_soap_put_node(&b, v, "x"), 0);
            assert_true(mtv_str_has_prefix(b.data, "<x xsi:type=\"xsd:int\">"));
            found++;
        }
    }
    assert_true(found >= 3);
    mtv_buf_dispose(&b);
    mtv_soap_response_free(r);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soap_envelope__escapes_text_and_wraps_method),
        cmocka_unit_test(test_soap_envelope__moref_value_is_escaped),
        cmocka_unit_test(test_soap_envelope__cookie_table),
        cmocka_unit_test(test_soap_envelope__call_posts_and_keeps_cookie),
        cmocka_unit_test(test_soap_envelope__cardinality_checked),
        cmocka_unit_test(test_soap_envelope__non_soap_answers_are_eproto),
        cmocka_unit_test(test_soap_envelope__put_node_reemits_device),
        cmocka_unit_test(test_soap_envelope__put_node_keeps_xsd_types),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
