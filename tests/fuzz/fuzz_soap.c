/*
 * libFuzzer: SOAP responses and faults (mtv_soap_parse_response, the same
 * parser mtv_soap_call runs after the transport) and the response reader
 * (node walk, path lookups, re-emission with mtv_soap_put_node).
 *
 * Input: byte 0 picks the HTTP status (200 or 500), the cardinality and
 * whether the document goes through mtv_soap_call with a fake transport
 * (so the Set-Cookie path runs too); the rest is the response body.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mtv/http.h"
#include "mtv/soap.h"
#include "mtv/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fake {
    const uint8_t *body;
    size_t len;
    int status;
};

static int fake_perform(void *self, const struct mtv_http_request *req,
                        struct mtv_http_response *resp, struct mtv_error *err)
{
    struct fake *f = self;

    (void)req;
    (void)err;
    mtv_http_response_reset(resp);
    resp->status = f->status;
    mtv_http_response_add_header(
        resp, "Set-Cookie: vmware_soap_session=\"x1\"; Path=/",
        strlen("Set-Cookie: vmware_soap_session=\"x1\"; Path=/"));
    if (f->len > 0 && mtv_buf_append(&resp->body, f->body, f->len) != 0) {
        resp->fail = MTV_HTTP_FAIL_OTHER;
        return MTV_EPROTO;
    }
    return 0;
}

/* Walk the subtree the way the vsphere readers do; bounded by the doc. */
static void walk(const struct mtv_soap_node *n, int depth)
{
    const struct mtv_soap_node *c = NULL;

    if (n == NULL || depth > 64) {
        return;
    }
    (void)mtv_soap_node_name(n);
    (void)mtv_soap_node_type(n);
    (void)mtv_soap_node_attr(n, "type");
    (void)mtv_soap_node_text(n);
    (void)mtv_soap_node_path_text(n, "propSet/val", "");
    (void)mtv_soap_node_path_long(n, "val", -1);
    (void)mtv_soap_node_path(n, "obj");
    (void)mtv_soap_node_child(n, "val");
    for (c = mtv_soap_node_child(n, NULL); c != NULL;
         c = mtv_soap_node_next(c, NULL)) {
        walk(c, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum mtv_soap_card cards[4] = {
        MTV_SOAP_NONE, MTV_SOAP_REQUIRED, MTV_SOAP_OPTIONAL, MTV_SOAP_LIST};
    struct fake f = {NULL, 0, 200};
    struct mtv_http_transport t = {fake_perform, &f, NULL};
    struct mtv_soap_options o = {"https://vc.example/sdk", NULL, &t, 0, 0};
    struct mtv_soap_client *c = NULL;
    struct mtv_soap_response *r = NULL;
    struct mtv_error err = {0};
    struct mtv_buf body = MTV_BUF_INIT;
    enum mtv_soap_card card = MTV_SOAP_LIST;
    const struct mtv_soap_node *v = NULL;
    int rc = 0;

    mtv_log_set_level(MTV_LOG_ERROR);
    if (size < 1) {
        return 0;
    }
    f.status = (data[0] & 1) != 0 ? 500 : 200;
    card = cards[(data[0] >> 1) & 3];
    f.body = data + 1;
    f.len = size - 1;
    if (mtv_soap_client_new(&c, &o, &err) != 0) {
        return 0;
    }
    if ((data[0] & 8) != 0) {
        rc = mtv_soap_call(&r, c, "RetrievePropertiesEx", &body, card, &err);
    } else {
        rc = mtv_soap_parse_response(&r, c, "RetrievePropertiesEx", f.status,
                                     (const char *)f.body, f.len, card, &err);
    }
    (void)mtv_soap_client_last_fault(c);
    if (rc == 0 && r != NULL) {
        (void)mtv_soap_response_count(r);
        for (v = mtv_soap_response_value(r); v != NULL;
             v = mtv_soap_node_next(v, "returnval")) {
            walk(v, 0);
            mtv_buf_reset(&body);
            (void)mtv_soap_put_node(&body, v, NULL);
            (void)mtv_soap_put_node(&body, v, "device");
        }
    }
    mtv_soap_response_free(r);
    mtv_buf_dispose(&body);
    mtv_soap_client_free(c);
    return 0;
}
