/*
 * vsphere: PropertyCollector reads (RetrievePropertiesEx) and lookups by
 * name through a ContainerView.
 */
#include <string.h>

#include "vsphere/vsphere_priv.h"

int mtv_vsphere__put_object_spec(struct mtv_buf *b,
                                 const struct mtv_moref *obj,
                                 const char *const *paths, size_t n_paths)
{
    int rc = mtv_soap_open(b, "propSet", NULL);

    if (rc == 0) {
        rc = mtv_soap_put_text(b, "type", obj->type);
    }
    for (size_t i = 0; rc == 0 && i < n_paths; i++) {
        rc = mtv_soap_put_text(b, "pathSet", paths[i]);
    }
    if (rc == 0) {
        rc = mtv_soap_close(b, "propSet");
    }
    if (rc == 0) {
        rc = mtv_soap_open(b, "objectSet", NULL);
    }
    if (rc == 0) {
        rc = mtv_soap_put_moref(b, "obj", obj->type, obj->value);
    }
    if (rc == 0) {
        rc = mtv_buf_puts(b, "<skip>false</skip></objectSet>");
    }
    return rc;
}

const struct mtv_soap_node *
mtv_vsphere__prop(const struct mtv_soap_node *object, const char *name)
{
    for (const struct mtv_soap_node *p = mtv_soap_node_child(object, "propSet");
         p != NULL; p = mtv_soap_node_next(p, "propSet")) {
        if (strcmp(mtv_soap_node_path_text(p, "name", ""), name) == 0) {
            return mtv_soap_node_child(p, "val");
        }
    }
    return NULL;
}

/* Feed every ObjectContent of one RetrieveResult to fn. */
static int each_object(const struct mtv_soap_node *result, vs_object_fn fn,
                       void *payload)
{
    int rc = 0;

    if (fn == NULL) {
        return 0;
    }
    for (const struct mtv_soap_node *o = mtv_soap_node_child(result, "objects");
         rc == 0 && o != NULL; o = mtv_soap_node_next(o, "objects")) {
        rc = fn(o, payload);
    }
    return rc;
}

static int build_retrieve(struct mtv_vsphere *vs, struct mtv_buf *b,
                          const struct mtv_buf *spec)
{
    int rc = mtv_soap_put_moref(b, "_this", vs->property_collector.type,
                                vs->property_collector.value);

    if (rc == 0) {
        rc = mtv_buf_puts(b, "<specSet>");
    }
    if (rc == 0) {
        rc = mtv_buf_append(b, spec->data, spec->len);
    }
    if (rc == 0) {
        rc = mtv_buf_puts(b, "</specSet><options/>");
    }
    return rc;
}

static int build_continue(struct mtv_vsphere *vs, struct mtv_buf *b,
                          const char *token)
{
    int rc = 0;

    mtv_buf_reset(b);
    rc = mtv_soap_put_moref(b, "_this", vs->property_collector.type,
                            vs->property_collector.value);
    if (rc == 0) {
        rc = mtv_soap_put_text(b, "token", token);
    }
    return rc;
}

int mtv_vsphere__retrieve(struct mtv_vsphere *vs, const struct mtv_buf *spec,
                          vs_object_fn fn, void *payload,
                          struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_soap_response *r = NULL;
    const char *method = "RetrievePropertiesEx";
    const char *token = NULL;
    int rc = build_retrieve(vs, &b, spec);

    while (rc == 0) {
        rc = mtv_vsphere__call(vs, &r, method, &b, MTV_SOAP_OPTIONAL, err);
        if (rc != 0) {
            break;
        }
        rc = each_object(mtv_soap_response_value(r), fn, payload);
        token = mtv_soap_node_path_text(mtv_soap_response_value(r), "token",
                                        NULL);
        if (rc != 0 || token == NULL || token[0] == '\0') {
            break;
        }
        method = "ContinueRetrievePropertiesEx";
        rc = build_continue(vs, &b, token);
        mtv_soap_response_free(r);
        r = NULL;
    }
    if (rc == MTV_ENOMEM && (err == NULL || err->msg[0] == '\0')) {
        mtv_error_set(err, rc, "vsphere", "out of memory");
    }
    mtv_soap_response_free(r);
    mtv_buf_dispose(&b);
    return rc;
}

/* ------------------------------------------------------------- lookups */

static int create_view(struct mtv_vsphere *vs, const char *type,
                       struct mtv_moref *view, struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_soap_response *r = NULL;
    int rc = mtv_soap_put_moref(&b, "_this", vs->view_manager.type,
                                vs->view_manager.value);

    if (rc == 0) {
        rc = mtv_soap_put_moref(&b, "container", vs->root_folder.type,
                                vs->root_folder.value);
    }
    if (rc == 0) {
        rc = mtv_soap_put_text(&b, "type", type);
    }
    if (rc == 0) {
        rc = mtv_soap_put_bool(&b, "recursive", true);
    }
    if (rc == 0) {
        rc = mtv_vsphere__call(vs, &r, "CreateContainerView", &b,
                               MTV_SOAP_REQUIRED, err);
    }
    if (rc == 0 &&
        mtv_vsphere__moref_from(mtv_soap_response_value(r), view) != 0) {
        rc = mtv_error_set(err, MTV_EPROTO, "vsphere",
                           "CreateContainerView: no view in the response");
    }
    mtv_soap_response_free(r);
    mtv_buf_dispose(&b);
    return rc;
}

static void destroy_view(struct mtv_vsphere *vs, const struct mtv_moref *view)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_error e = {0};

    if (mtv_soap_put_moref(&b, "_this", view->type, view->value) == 0 &&
        mtv_vsphere__call(vs, NULL, "DestroyView", &b, MTV_SOAP_NONE, &e) !=
            0) {
        mtv_log(MTV_LOG_WARN, "vsphere", "DestroyView '%s': %s", view->value,
                e.msg);
    }
    mtv_buf_dispose(&b);
}

static int build_view_spec(struct mtv_buf *b, const struct mtv_moref *view,
                           const char *type)
{
    int rc = mtv_buf_puts(b, "<propSet>");

    if (rc == 0) {
        rc = mtv_soap_put_text(b, "type", type);
    }
    if (rc == 0) {
        rc = mtv_buf_puts(b, "<pathSet>name</pathSet></propSet><objectSet>");
    }
    if (rc == 0) {
        rc = mtv_soap_put_moref(b, "obj", view->type, view->value);
    }
    if (rc == 0) {
        rc = mtv_buf_puts(b, "<skip>true</skip>"
                             "<selectSet xsi:type=\"TraversalSpec\">"
                             "<name>view</name><type>ContainerView</type>"
                             "<path>view</path><skip>false</skip>"
                             "</selectSet></objectSet>");
    }
    return rc;
}

struct find_ctx {
    const char *name;
    struct mtv_moref *out;
    bool found;
};

static int match_name(const struct mtv_soap_node *o, void *payload)
{
    struct find_ctx *f = payload;
    const struct mtv_soap_node *val = mtv_vsphere__prop(o, "name");
    const struct mtv_soap_node *obj = mtv_soap_node_child(o, "obj");

    if (f->found || val == NULL) {
        return 0;
    }
    if (f->name == NULL || strcmp(mtv_soap_node_text(val), f->name) == 0 ||
        strcmp(mtv_soap_node_text(obj), f->name) == 0) {
        f->found = mtv_vsphere__moref_from(obj, f->out) == 0;
    }
    return 0;
}

/* Run fn over every (name, obj) of `type` through a ContainerView. */
static int scan_view(struct mtv_vsphere *vs, const char *type, vs_object_fn fn,
                     void *payload, struct mtv_error *err)
{
    struct mtv_moref view = {{0}, {0}};
    struct mtv_buf spec = MTV_BUF_INIT;
    int rc = create_view(vs, type, &view, err);

    if (rc != 0) {
        return rc;
    }
    rc = build_view_spec(&spec, &view, type);
    if (rc == 0) {
        rc = mtv_vsphere__retrieve(vs, &spec, fn, payload, err);
    }
    destroy_view(vs, &view);
    mtv_buf_dispose(&spec);
    return rc;
}

int mtv_vsphere_lookup_by_name(struct mtv_vsphere *vs, const char *type,
                               const char *name, struct mtv_moref *out,
                               struct mtv_error *err)
{
    struct find_ctx f = {name, out, false};
    int rc = scan_view(vs, type, match_name, &f, err);

    if (rc != 0) {
        return mtv_error_prefix(err, "find %s '%s'", type,
                                name != NULL ? name : "*");
    }
    if (!f.found) {
        return mtv_error_set(err, MTV_ENOTFOUND, "vsphere",
                             "%s '%s' not found", type,
                             name != NULL ? name : "*");
    }
    return 0;
}

struct list_ctx {
    mtv_vsphere_list_fn fn;
    void *payload;
};

static int list_one(const struct mtv_soap_node *o, void *payload)
{
    struct list_ctx *l = payload;
    struct mtv_moref ref = {{0}, {0}};
    const struct mtv_soap_node *val = mtv_vsphere__prop(o, "name");

    if (val == NULL ||
        mtv_vsphere__moref_from(mtv_soap_node_child(o, "obj"), &ref) != 0) {
        return 0;
    }
    return l->fn(mtv_soap_node_text(val), &ref, l->payload);
}

int mtv_vsphere_list(struct mtv_vsphere *vs, const char *type,
                     mtv_vsphere_list_fn fn, void *payload,
                     struct mtv_error *err)
{
    struct list_ctx l = {fn, payload};
    int rc = scan_view(vs, type, list_one, &l, err);

    if (rc != 0) {
        mtv_error_prefix(err, "list %s", type);
    }
    return rc;
}

int mtv_vsphere_lookup_vm(struct mtv_vsphere *vs, const char *name,
                          struct mtv_moref *out, struct mtv_error *err)
{
    return mtv_vsphere_lookup_by_name(vs, "VirtualMachine", name, out, err);
}
