/*
 * soap: the client and mtv_soap_call(): build, execute, check, decode.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "mtv/soap.h"
#include "soap/soap_priv.h"

#define SOAP_ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define COOKIE_NAME "vmware_soap_session"

struct mtv_soap_client {
    char *url;
    char action[96];
    struct mtv_http_transport *transport;
    size_t max_response;
    int64_t timeout_ms;
    char *cookie;
    uint64_t round_trips;
    char last_fault[128];
};

struct mtv_soap_response {
    xmlDoc *doc;
    const xmlNode *first;
    size_t count;
};

/* ----------------------------------------------------------- fault table */

static const struct {
    const char *type;
    int code;
} fault_table[] = {
    {"NotAuthenticated", MTV_EAUTH},
    {"InvalidLogin", MTV_EAUTH},
    {"NoPermission", MTV_EAUTH},
    {"InvalidLocale", MTV_EINVAL},
    {"ManagedObjectNotFound", MTV_ENOTFOUND},
    {"NotFound", MTV_ENOTFOUND},
    {"InvalidArgument", MTV_EINVAL},
    {"InvalidRequest", MTV_EINVAL},
    {"InvalidType", MTV_EINVAL},
    {"InvalidName", MTV_EINVAL},
    {"InvalidProperty", MTV_EINVAL},
    {"MethodNotFound", MTV_EPROTO},
};

int mtv_soap__fault_code(const char *fault_type)
{
    for (size_t i = 0; i < sizeof(fault_table) / sizeof(fault_table[0]);
         i++) {
        if (mtv_str_eq(fault_type, fault_table[i].type)) {
            return fault_table[i].code;
        }
    }
    return MTV_EREMOTE;
}

/* --------------------------------------------------------------- client */

/*
 * libxml2 must be initialised once, before threads parse (-j runs parallel
 * scenarios, each with its own vCenter session): xmlInitParser itself is
 * not safe to race.
 */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

int mtv_soap_client_new(struct mtv_soap_client **out,
                        const struct mtv_soap_options *opts,
                        struct mtv_error *err)
{
    struct mtv_soap_client *c = NULL;

    if (out == NULL || *out != NULL || opts == NULL || opts->url == NULL ||
        opts->transport == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "soap",
                             "soap client: missing url or transport");
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || (c->url = mtv_strdup(opts->url)) == NULL) {
        free(c);
        return mtv_error_set(err, MTV_ENOMEM, "soap", "out of memory");
    }
    snprintf(c->action, sizeof(c->action), "SOAPAction: \"urn:vim25/%s\"",
             opts->api_version != NULL ? opts->api_version : "7.0");
    c->transport = opts->transport;
    c->max_response = opts->max_response;
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 120000;
    *out = c;
    return 0;
}

void mtv_soap_client_free(struct mtv_soap_client *c)
{
    if (c == NULL) {
        return;
    }
    mtv_str_free_secret(c->cookie);
    free(c->url);
    free(c);
}

int mtv_soap_client_set_cookie(struct mtv_soap_client *c, const char *value)
{
    char *copy = NULL;

    if (value != NULL && (copy = mtv_strdup(value)) == NULL) {
        return MTV_ENOMEM;
    }
    mtv_str_free_secret(c->cookie);
    c->cookie = copy;
    if (copy != NULL) {
        mtv_log_add_secret(copy);
    }
    return 0;
}

const char *mtv_soap_client_cookie(const struct mtv_soap_client *c)
{
    return c != NULL ? c->cookie : NULL;
}

uint64_t mtv_soap_client_round_trips(const struct mtv_soap_client *c)
{
    return c != NULL ? c->round_trips : 0;
}

const char *mtv_soap_client_last_fault(const struct mtv_soap_client *c)
{
    return c != NULL ? c->last_fault : "";
}

bool mtv_soap__cookie_from_header(const char *set_cookie, char *out,
                                  size_t size)
{
    const char *p = NULL;
    size_t len = 0;

    if (set_cookie == NULL ||
        !mtv_str_has_prefix(set_cookie, COOKIE_NAME "=")) {
        return false;
    }
    p = set_cookie + strlen(COOKIE_NAME "=");
    len = strcspn(p, ";");
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
        len--;
    }
    if (len == 0 || len >= size) {
        return false;
    }
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}

static void pick_cookie(struct mtv_soap_client *c,
                        const struct mtv_http_response *resp)
{
    char value[512];

    for (size_t i = 0; i < resp->headers.len; i++) {
        const char *line = resp->headers.items[i];

        if (strncasecmp(line, "Set-Cookie:", 11) != 0) {
            continue;
        }
        line += 11;
        line += strspn(line, " \t");
        if (mtv_soap__cookie_from_header(line, value, sizeof(value))) {
            mtv_soap_client_set_cookie(c, value);
        }
    }
    explicit_bzero(value, sizeof(value));
}

/* ------------------------------------------------------------ response */

void mtv_soap_response_free(struct mtv_soap_response *r)
{
    if (r == NULL) {
        return;
    }
    xmlFreeDoc(r->doc);
    free(r);
}

const struct mtv_soap_node *
mtv_soap_response_value(const struct mtv_soap_response *r)
{
    return r != NULL ? (const struct mtv_soap_node *)r->first : NULL;
}

size_t mtv_soap_response_count(const struct mtv_soap_response *r)
{
    return r != NULL ? r->count : 0;
}

static const xmlNode *first_element(const xmlNode *parent, const char *name)
{
    for (const xmlNode *c = parent != NULL ? parent->children : NULL;
         c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE &&
            (name == NULL || strcmp((const char *)c->name, name) == 0)) {
            return c;
        }
    }
    return NULL;
}

/* The soapenv:Body element, or NULL. */
static const xmlNode *soap_body(xmlDoc *doc)
{
    const xmlNode *env = xmlDocGetRootElement(doc);

    if (env == NULL || strcmp((const char *)env->name, "Envelope") != 0) {
        return NULL;
    }
    return first_element(env, "Body");
}

static void fault_type_of(const xmlNode *fault, char *out, size_t size)
{
    const xmlNode *detail = first_element(fault, "detail");
    const xmlNode *d = first_element(detail, NULL);
    const char *t = NULL;
    size_t len = 0;

    out[0] = '\0';
    if (d == NULL) {
        return;
    }
    t = mtv_soap_node_type((const struct mtv_soap_node *)d);
    if (t != NULL) {
        mtv_strlcpy(out, t, size);
        return;
    }
    mtv_strlcpy(out, (const char *)d->name, size);
    len = strlen(out);
    if (len > 5 && strcmp(out + len - 5, "Fault") == 0) {
        out[len - 5] = '\0';
    }
}

static int decode_fault(struct mtv_soap_client *c, const char *method,
                        const xmlNode *fault, struct mtv_error *err)
{
    char type[128];
    const char *fs = NULL;
    int code = 0;

    fault_type_of(fault, type, sizeof(type));
    fs = mtv_soap_node_text(
        (const struct mtv_soap_node *)first_element(fault, "faultstring"));
    if (c != NULL) {
        mtv_strlcpy(c->last_fault, type[0] != '\0' ? type : "Fault",
                    sizeof(c->last_fault));
    }
    code = mtv_soap__fault_code(type);
    mtv_error_set(err, code, "soap", "%s: %s fault", method,
                  type[0] != '\0' ? type : "SOAP");
    mtv_error_set_remote(err, fs);
    if (err != NULL) {
        err->http_status = 500;
    }
    return code;
}

static int check_card(const char *method, size_t count,
                      enum mtv_soap_card card, struct mtv_error *err)
{
    bool ok = false;

    switch (card) {
    case MTV_SOAP_NONE:
        ok = count == 0;
        break;
    case MTV_SOAP_REQUIRED:
        ok = count == 1;
        break;
    case MTV_SOAP_OPTIONAL:
        ok = count <= 1;
        break;
    case MTV_SOAP_LIST:
        ok = true;
        break;
    }
    if (!ok) {
        return mtv_error_set(err, MTV_EPROTO, "soap",
                             "%s: unexpected number of results (%zu)", method,
                             count);
    }
    return 0;
}

static int decode_result(struct mtv_soap_response *r, const char *method,
                         const xmlNode *body, enum mtv_soap_card card,
                         struct mtv_error *err)
{
    char want[160];
    const xmlNode *mr = first_element(body, NULL);

    snprintf(want, sizeof(want), "%sResponse", method);
    if (mr == NULL || strcmp((const char *)mr->name, want) != 0) {
        return mtv_error_set(err, MTV_EPROTO, "soap",
                             "%s: response has no '%s' element", method, want);
    }
    r->first = first_element(mr, "returnval");
    for (const xmlNode *c = r->first; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE &&
            strcmp((const char *)c->name, "returnval") == 0) {
            r->count++;
        }
    }
    return check_card(method, r->count, card, err);
}

int mtv_soap_parse_response(struct mtv_soap_response **out,
                            struct mtv_soap_client *c, const char *method,
                            int http_status, const char *data, size_t len,
                            enum mtv_soap_card card, struct mtv_error *err)
{
    struct mtv_soap_response *r = NULL;
    const xmlNode *body = NULL;
    const xmlNode *fault = NULL;
    int rc = 0;

    if (c != NULL) {
        c->last_fault[0] = '\0';
    }
    if (http_status != 200 && http_status != 500) {
        rc = mtv_error_set(err, MTV_EPROTO, "soap",
                           "%s: unexpected HTTP status %d", method,
                           http_status);
        if (err != NULL) {
            err->http_status = http_status;
        }
        return rc;
    }
    if ((r = calloc(1, sizeof(*r))) == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "soap", "out of memory");
    }
    pthread_once(&xml_once, xml_init);
    r->doc = xmlReadMemory(data, (int)len, "response.xml", NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR |
                               XML_PARSE_NOWARNING);
    body = r->doc != NULL ? soap_body(r->doc) : NULL;
    if (body == NULL || len > (size_t)INT32_MAX) {
        rc = mtv_error_set(err, MTV_EPROTO, "soap",
                           "%s: response (HTTP %d) is not a SOAP envelope",
                           method, http_status);
        goto out;
    }
    fault = first_element(body, "Fault");
    if (fault != NULL) {
        rc = decode_fault(c, method, fault, err);
        goto out;
    }
    if (http_status != 200) {
        rc = mtv_error_set(err, MTV_EPROTO, "soap",
                           "%s: HTTP 500 without a SOAP fault", method);
        goto out;
    }
    rc = decode_result(r, method, body, card, err);
out:
    if (rc == 0 && out != NULL) {
        *out = r;
        r = NULL;
    }
    mtv_soap_response_free(r);
    return rc;
}

/* ------------------------------------------------------------- execute */

static int execute(struct mtv_soap_client *c, const char *method,
                   const struct mtv_buf *envelope,
                   struct mtv_http_response *resp, struct mtv_error *err)
{
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    struct mtv_buf cookie = MTV_BUF_INIT;
    const char *headers[5] = {"Content-Type: text/xml; charset=utf-8",
                              c->action, NULL, NULL, NULL};
    int rc = 0;

    if (c->cookie != NULL) {
        rc = mtv_buf_printf(&cookie, "Cookie: " COOKIE_NAME "=%s",
                            c->cookie);
        if (rc != 0) {
            return mtv_error_set(err, rc, "soap", "out of memory");
        }
        headers[2] = cookie.data;
    }
    req.method = "POST";
    req.url = c->url;
    req.headers = headers;
    req.body = envelope->data;
    req.body_len = envelope->len;
    req.timeout_ms = c->timeout_ms;
    req.body_max = c->max_response;
    c->round_trips++;
    mtv_log(MTV_LOG_DEBUG, "soap", "call %s", method);
    rc = mtv_http_perform(c->transport, &req, resp, err);
    if (rc != 0) {
        mtv_error_prefix(err, "%s", method);
    }
    mtv_buf_dispose_secret(&cookie);
    return rc;
}

int mtv_soap_call(struct mtv_soap_response **out, struct mtv_soap_client *c,
                  const char *method, const struct mtv_buf *body,
                  enum mtv_soap_card card, struct mtv_error *err)
{
    struct mtv_buf env = MTV_BUF_INIT;
    struct mtv_http_response resp;
    int rc = 0;

    if (c == NULL || method == NULL || (out != NULL && *out != NULL)) {
        return mtv_error_set(err, MTV_EINVAL, "soap", "soap call: bad args");
    }
    mtv_http_response_init(&resp, c->max_response);
    rc = mtv_soap_build_envelope(&env, method, body);
    if (rc != 0) {
        mtv_error_set(err, rc, "soap", "%s: cannot build request", method);
        goto out;
    }
    rc = execute(c, method, &env, &resp, err);
    if (rc != 0) {
        goto out;
    }
    pick_cookie(c, &resp);
    rc = mtv_soap_parse_response(out, c, method, resp.status, resp.body.data,
                                 resp.body.len, card, err);
out:
    mtv_buf_dispose_secret(&env);
    mtv_http_response_dispose(&resp);
    return rc;
}
