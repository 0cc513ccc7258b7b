/*
 * libFuzzer: vSphere VM record decoding (mtv_vsphere_lookup_vm_record and
 * mtv_vm_record_to_json) over a fake transport. The session is connected
 * once (canned RetrieveServiceContent and Login answers); every input is
 * then the answer(s) to the record's two RetrievePropertiesEx calls: the
 * VM's properties, then the datastore/network names. The input is split at
 * the first "\n--\n": before it the first answer, after it the second
 * (absent: an empty names answer). Byte 0 bit 0 picks HTTP 500 for the
 * first answer (a fault). Login/Logout requests get canned answers, so a
 * NotAuthenticated fault runs the re-login path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/http.h"
#include "mtv/json.h"
#include "mtv/util.h"
#include "mtv/vsphere.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENV_OPEN                                                               \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"                               \
    "<soapenv:Envelope "                                                       \
    "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "             \
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "                          \
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>"
#define ENV_CLOSE "</soapenv:Body></soapenv:Envelope>"

static const char service_content[] = ENV_OPEN
    "<RetrieveServiceContentResponse xmlns=\"urn:vim25\"><returnval>"
    "<rootFolder type=\"Folder\">group-d1</rootFolder>"
    "<propertyCollector type=\"PropertyCollector\">propertyCollector"
    "</propertyCollector>"
    "<viewManager type=\"ViewManager\">ViewManager</viewManager>"
    "<sessionManager type=\"SessionManager\">SessionManager</sessionManager>"
    "<fileManager type=\"FileManager\">FileManager</fileManager>"
    "</returnval></RetrieveServiceContentResponse>" ENV_CLOSE;

static const char login[] =
    ENV_OPEN "<LoginResponse xmlns=\"urn:vim25\"><returnval><key>k-1</key>"
             "<userName>u</userName></returnval></LoginResponse>" ENV_CLOSE;

static const char logout[] =
    ENV_OPEN "<LogoutResponse xmlns=\"urn:vim25\"></LogoutResponse>" ENV_CLOSE;

static const char empty_props[] =
    ENV_OPEN "<RetrievePropertiesExResponse xmlns=\"urn:vim25\">"
             "</RetrievePropertiesExResponse>" ENV_CLOSE;

struct answer {
    const char *body;
    size_t len;
    int status;
};

/* The answers for this input's RetrievePropertiesEx calls, in order. */
static struct answer queue[2];
static size_t queued, served;

static int fake_perform(void *self, const struct mtv_http_request *req,
                        struct mtv_http_response *resp, struct mtv_error *err)
{
    const char *b = req->body != NULL ? req->body : "";
    struct answer a = {empty_props, sizeof(empty_props) - 1, 200};

    (void)self;
    (void)err;
    mtv_http_response_reset(resp);
    if (strstr(b, "<RetrieveServiceContent") != NULL) {
        a.body = service_content;
        a.len = sizeof(service_content) - 1;
    } else if (strstr(b, "<Login ") != NULL || strstr(b, "<Login>") != NULL) {
        a.body = login;
        a.len = sizeof(login) - 1;
    } else if (strstr(b, "<Logout") != NULL) {
        a.body = logout;
        a.len = sizeof(logout) - 1;
    } else if (served < queued) {
        a = queue[served++];
    }
    resp->status = a.status;
    if (a.len > 0 && mtv_buf_append(&resp->body, a.body, a.len) != 0) {
        resp->fail = MTV_HTTP_FAIL_OTHER;
        return MTV_EPROTO;
    }
    return 0;
}

static struct mtv_http_transport transport = {fake_perform, NULL, NULL};
static struct mtv_vsphere *vs;

static void done(void)
{
    mtv_vsphere_free(vs);
    vs = NULL;
}

static struct mtv_vsphere *session(void)
{
    struct mtv_vsphere_options o = MTV_VSPHERE_OPTIONS_INIT;
    struct mtv_error err = {0};

    if (vs != NULL) {
        return vs;
    }
    o.url = "https://vc.example/sdk";
    o.username = "u";
    o.password = "p";
    o.transport = &transport;
    if (mtv_vsphere_connect(&vs, &o, &err) != 0) {
        abort(); /* the canned answers must log in */
    }
    atexit(done);
    return vs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char sep[] = "\n--\n";
    const struct mtv_moref vm = {"VirtualMachine", "vm-42"};
    struct mtv_vm_record *rec = NULL;
    struct mtv_json *j = NULL;
    struct mtv_error err = {0};
    const char *p = NULL;
    const char *cut = NULL;
    size_t n = 0;

    mtv_log_set_level(MTV_LOG_ERROR);
    if (size < 1) {
        return 0;
    }
    session();
    p = (const char *)data + 1;
    n = size - 1;
    cut = memmem(p, n, sep, sizeof(sep) - 1);
    queue[0].body = p;
    queue[0].len = cut != NULL ? (size_t)(cut - p) : n;
    queue[0].status = (data[0] & 1) != 0 ? 500 : 200;
    queue[1].body = empty_props;
    queue[1].len = sizeof(empty_props) - 1;
    queue[1].status = 200;
    if (cut != NULL) {
        queue[1].body = cut + sizeof(sep) - 1;
        queue[1].len = n - queue[0].len - (sizeof(sep) - 1);
    }
    queued = 2;
    served = 0;
    if (mtv_vsphere_lookup_vm_record(&rec, vs, &vm, &err) == 0) {
        if (mtv_vm_record_to_json(&j, rec, &err) == 0) {
            mtv_json_free(j);
        }
    }
    mtv_vm_record_free(rec);
    queued = 0;
    return 0;
}
