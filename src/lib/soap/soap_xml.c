/*
 * soap: building request XML and reading response elements (libxml2).
 */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "mtv/soap.h"
#include "soap/soap_priv.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* ------------------------------------------------------------ building */

int mtv_soap_put_text(struct mtv_buf *b, const char *tag, const char *text)
{
    int rc = mtv_buf_printf(b, "<%s>", tag);

    if (rc == 0) {
        rc = mtv_buf_put_xml_escaped(b, text != NULL ? text : "");
    }
    if (rc == 0) {
        rc = mtv_buf_printf(b, "</%s>", tag);
    }
    return rc;
}

int mtv_soap_put_long(struct mtv_buf *b, const char *tag, long long v)
{
    return mtv_buf_printf(b, "<%s>%lld</%s>", tag, v, tag);
}

int mtv_soap_put_bool(struct mtv_buf *b, const char *tag, bool v)
{
    return mtv_buf_printf(b, "<%s>%s</%s>", tag, v ? "true" : "false", tag);
}

int mtv_soap_put_moref(struct mtv_buf *b, const char *tag, const char *type,
                       const char *value)
{
    int rc = mtv_buf_printf(b, "<%s type=\"", tag);

    if (rc == 0) {
        rc = mtv_buf_put_xml_escaped(b, type);
    }
    if (rc == 0) {
        rc = mtv_buf_puts(b, "\">");
    }
    if (rc == 0) {
        rc = mtv_buf_put_xml_escaped(b, value);
    }
    if (rc == 0) {
        rc = mtv_buf_printf(b, "</%s>", tag);
    }
    return rc;
}

int mtv_soap_open(struct mtv_buf *b, const char *tag, const char *xsi_type)
{
    if (xsi_type == NULL) {
        return mtv_buf_printf(b, "<%s>", tag);
    }
    return mtv_buf_printf(b, "<%s xsi:type=\"%s\">", tag, xsi_type);
}

int mtv_soap_close(struct mtv_buf *b, const char *tag)
{
    return mtv_buf_printf(b, "</%s>", tag);
}

int mtv_soap_build_envelope(struct mtv_buf *out, const char *method,
                            const struct mtv_buf *body)
{
    int rc = mtv_buf_printf(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<soapenv:Envelope"
        " xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\""
        " xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
        " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
        " xmlns:xsi=\"" XSI_NS "\">"
        "<soapenv:Body><%s xmlns=\"urn:vim25\">",
        method);

    if (rc == 0 && body != NULL && body->len > 0) {
        rc = mtv_buf_append(out, body->data, body->len);
    }
    if (rc == 0) {
        rc = mtv_buf_printf(out, "</%s></soapenv:Body></soapenv:Envelope>",
                            method);
    }
    return rc;
}

/* -------------------------------------------------------------- reading */

static const xmlNode *X(const struct mtv_soap_node *n)
{
    return (const xmlNode *)n;
}

static const struct mtv_soap_node *N(const xmlNode *x)
{
    return (const struct mtv_soap_node *)x;
}

const char *mtv_soap_node_name(const struct mtv_soap_node *n)
{
    return n != NULL ? (const char *)X(n)->name : NULL;
}

static const char *attr_value(const xmlNode *x, const char *name,
                              const char *ns)
{
    for (const xmlAttr *a = x->properties; a != NULL; a = a->next) {
        if (strcmp((const char *)a->name, name) != 0) {
            continue;
        }
        if (ns != NULL &&
            (a->ns == NULL || strcmp((const char *)a->ns->href, ns) != 0)) {
            continue;
        }
        if (a->children != NULL && a->children->content != NULL) {
            return (const char *)a->children->content;
        }
        return "";
    }
    return NULL;
}

const char *mtv_soap_node_type(const struct mtv_soap_node *n)
{
    const char *t = NULL;
    const char *colon = NULL;

    if (n == NULL) {
        return NULL;
    }
    t = attr_value(X(n), "type", XSI_NS);
    if (t == NULL) {
        return NULL;
    }
    colon = strchr(t, ':');
    return colon != NULL ? colon + 1 : t;
}

const char *mtv_soap_node_attr(const struct mtv_soap_node *n,
                               const char *name)
{
    if (n == NULL) {
        return NULL;
    }
    for (const xmlAttr *a = X(n)->properties; a != NULL; a = a->next) {
        if (a->ns == NULL && strcmp((const char *)a->name, name) == 0 &&
            a->children != NULL && a->children->content != NULL) {
            return (const char *)a->children->content;
        }
    }
    return NULL;
}

const char *mtv_soap_node_text(const struct mtv_soap_node *n)
{
    if (n == NULL) {
        return "";
    }
    for (const xmlNode *c = X(n)->children; c != NULL; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
            c->content != NULL) {
            return (const char *)c->content;
        }
    }
    return "";
}

static bool name_matches(const xmlNode *x, const char *name)
{
    return x->type == XML_ELEMENT_NODE &&
           (name == NULL || strcmp((const char *)x->name, name) == 0);
}

const struct mtv_soap_node *mtv_soap_node_child(const struct mtv_soap_node *n,
                                                const char *name)
{
    if (n == NULL) {
        return NULL;
    }
    for (const xmlNode *c = X(n)->children; c != NULL; c = c->next) {
        if (name_matches(c, name)) {
            return N(c);
        }
    }
    return NULL;
}

const struct mtv_soap_node *mtv_soap_node_next(const struct mtv_soap_node *n,
                                               const char *name)
{
    if (n == NULL) {
        return NULL;
    }
    for (const xmlNode *c = X(n)->next; c != NULL; c = c->next) {
        if (name_matches(c, name)) {
            return N(c);
        }
    }
    return NULL;
}

const struct mtv_soap_node *mtv_soap_node_path(const struct mtv_soap_node *n,
                                               const char *path)
{
    char part[128];
    const char *p = path;

    while (n != NULL && p != NULL && *p != '\0') {
        const char *slash = strchr(p, '/');
        size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);

        if (len >= sizeof(part)) {
            return NULL;
        }
        memcpy(part, p, len);
        part[len] = '\0';
        n = mtv_soap_node_child(n, part);
        p = slash != NULL ? slash + 1 : NULL;
    }
    return n;
}

const char *mtv_soap_node_path_text(const struct mtv_soap_node *n,
                                    const char *path, const char *def)
{
    const struct mtv_soap_node *c = mtv_soap_node_path(n, path);

    return c != NULL ? mtv_soap_node_text(c) : def;
}

long long mtv_soap_node_path_long(const struct mtv_soap_node *n,
                                  const char *path, long long def)
{
    const struct mtv_soap_node *c = mtv_soap_node_path(n, path);
    long long v = 0;

    if (c == NULL || mtv_str_to_llong(mtv_soap_node_text(c), &v) != 0) {
        return def;
    }
    return v;
}

/* ------------------------------------------------------------ re-emit */

/*
 * The xsi:type of x as this module writes it: vim25 types unprefixed,
 * XML Schema types as "xsd:<type>" whatever prefix the server used.
 */
static void type_for_request(const xmlNode *x, char *out, size_t size)
{
    const char *raw = attr_value(x, "type", XSI_NS);
    const char *colon = raw != NULL ? strchr(raw, ':') : NULL;
    const xmlNs *ns = NULL;
    char prefix[64];

    out[0] = '\0';
    if (raw == NULL) {
        return;
    }
    if (colon == NULL || (size_t)(colon - raw) >= sizeof(prefix)) {
        mtv_strlcpy(out, colon != NULL ? colon + 1 : raw, size);
        return;
    }
    memcpy(prefix, raw, (size_t)(colon - raw));
    prefix[colon - raw] = '\0';
    ns = xmlSearchNs(x->doc, (xmlNode *)x, (const xmlChar *)prefix);
    snprintf(out, size, "%s%s",
             ns != NULL && strcmp((const char *)ns->href,
                                  "http://www.w3.org/2001/XMLSchema") == 0
                 ? "xsd:"
                 : "",
             colon + 1);
}

static int put_node_rec(struct mtv_buf *b, const xmlNode *x, const char *name,
                        int depth)
{
    char type[128];
    const char *t = type;
    const char *mt = mtv_soap_node_attr(N(x), "type");
    bool has_child = false;
    int rc = 0;

    if (depth > 64) {
        return MTV_EPROTO;
    }
    type_for_request(x, type, sizeof(type));
    rc = mtv_buf_printf(b, "<%s", name);
    if (rc == 0 && t[0] != '\0') {
        rc = mtv_buf_printf(b, " xsi:type=\"%s\"", t);
    }
    if (rc == 0 && mt != NULL) {
        rc = mtv_buf_puts(b, " type=\"");
        rc = rc == 0 ? mtv_buf_put_xml_escaped(b, mt) : rc;
        rc = rc == 0 ? mtv_buf_puts(b, "\"") : rc;
    }
    rc = rc == 0 ? mtv_buf_puts(b, ">") : rc;
    for (const xmlNode *c = x->children; rc == 0 && c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            has_child = true;
            rc = put_node_rec(b, c, (const char *)c->name, depth + 1);
        }
    }
    if (rc == 0 && !has_child) {
        rc = mtv_buf_put_xml_escaped(b, mtv_soap_node_text(N(x)));
    }
    return rc == 0 ? mtv_buf_printf(b, "</%s>", name) : rc;
}

int mtv_soap_put_node(struct mtv_buf *b, const struct mtv_soap_node *n,
                      const char *as_name)
{
    if (n == NULL) {
        return MTV_EINVAL;
    }
    return put_node_rec(b, X(n), as_name != NULL ? as_name : (const char *)
                                                                 X(n)->name,
                        0);
}
