/* kube: get, list, create, replace, patch, delete, raw calls, discover. */
#include "kube_priv.h"

#include <stdlib.h>
#include <string.h>

/* Path of ref plus an optional query into b, and "verb what" into w. */
static int prepare(struct mtv_buf *path, struct mtv_buf *what,
                   const char *verb, const struct mtv_kube_ref *ref,
                   const char *query)
{
    int rc = mtv_kube_ref_path(path, ref);

    if (rc == 0 && query != NULL && query[0] != '\0') {
        rc = mtv_buf_printf(path, "?%s", query);
    }
    if (rc == 0) {
        rc = kube__describe_ref(what, verb, ref);
    }
    return rc;
}

/* Parse a 2xx body into *out (out may be NULL: nothing kept). */
static int decode(struct mtv_json **out, const struct mtv_http_response *resp,
                  const char *what, struct mtv_error *err)
{
    int rc = 0;

    if (out == NULL) {
        return 0;
    }
    rc = mtv_json_parse(out, resp->body.data != NULL ? resp->body.data : "",
                        resp->body.len, NULL, err);
    if (rc != 0) {
        mtv_error_prefix(err, "%s: response", what);
    }
    return rc;
}

/* Run one JSON request: method on ref (+query) with body; decode. */
static int json_call(struct mtv_json **out, struct mtv_kube_client *c,
                     const struct mtv_kube_call *call, const char *verb,
                     bool *retried, struct mtv_error *err)
{
    struct mtv_buf path = MTV_BUF_INIT;
    struct mtv_buf what = MTV_BUF_INIT;
    struct mtv_http_response resp;
    struct kube_req r;
    int rc = 0;

    mtv_http_response_init(&resp, 0);
    memset(&r, 0, sizeof(r));
    rc = prepare(&path, &what, verb, call->ref, call->query);
    if (rc != 0) {
        rc = mtv_error_set(err, rc, "k8s", "cannot build request path");
        goto out;
    }
    r.method = call->method;
    r.path = path.data;
    r.body = call->body;
    r.content_type = call->content_type;
    r.what = what.data;
    rc = kube__do(c, &r, &resp, retried, err);
    if (rc == 0) {
        rc = decode(out, &resp, what.data, err);
    }
out:
    mtv_http_response_dispose(&resp);
    mtv_buf_dispose(&path);
    mtv_buf_dispose(&what);
    return rc;
}

static int check_out(struct mtv_json **out, const struct mtv_kube_ref *ref,
                     struct mtv_error *err)
{
    if ((out != NULL && *out != NULL) || ref == NULL ||
        ref->resource == NULL || ref->version == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s",
                             "bad arguments (out must be NULL, ref set)");
    }
    return 0;
}

int mtv_kube_get(struct mtv_json **out, struct mtv_kube_client *c,
                 const struct mtv_kube_ref *ref, struct mtv_error *err)
{
    struct mtv_kube_call call = {"GET", ref, NULL, NULL, NULL};
    int rc = check_out(out, ref, err);

    return rc != 0 ? rc : json_call(out, c, &call, "get", NULL, err);
}

/* --------------------------------------------------------------- list */

static int list_query(struct mtv_buf *q, const struct mtv_kube_list_options *o,
                      const char *cont)
{
    int rc = 0;
    const char *sep = "";

    if (o != NULL && o->label_selector != NULL) {
        rc = mtv_buf_puts(q, "labelSelector=");
        rc = rc == 0 ? mtv_http_buf_put_escaped(q, o->label_selector) : rc;
        sep = "&";
    }
    if (rc == 0 && o != NULL && o->field_selector != NULL) {
        rc = mtv_buf_printf(q, "%sfieldSelector=", sep);
        rc = rc == 0 ? mtv_http_buf_put_escaped(q, o->field_selector) : rc;
        sep = "&";
    }
    if (rc == 0 && o != NULL && o->limit > 0) {
        rc = mtv_buf_printf(q, "%slimit=%ld", sep, o->limit);
        sep = "&";
    }
    if (rc == 0 && cont != NULL) {
        rc = mtv_buf_printf(q, "%scontinue=", sep);
        rc = rc == 0 ? mtv_http_buf_put_escaped(q, cont) : rc;
    }
    return rc;
}

/* Move page's items into all (taking them over); set its metadata. */
static int merge_page(struct mtv_json *all, struct mtv_json *page)
{
    struct mtv_json *items = mtv_json_get_mut(all, "items");
    const struct mtv_json *pitems = mtv_json_get(page, "items");
    int rc = 0;

    for (const struct mtv_json *it = mtv_json_first(pitems);
         rc == 0 && it != NULL; it = mtv_json_next(it)) {
        rc = mtv_json_push_take(items, mtv_json_dup(it));
    }
    if (rc == 0) {
        rc = mtv_json_set_copy(all, "metadata.resourceVersion",
                               mtv_json_get(page,
                                            "metadata.resourceVersion"));
    }
    return rc;
}

static int list_page(struct mtv_json **page, struct mtv_kube_client *c,
                     const struct mtv_kube_ref *ref,
                     const struct mtv_kube_list_options *o, const char *cont,
                     struct mtv_error *err)
{
    struct mtv_buf q = MTV_BUF_INIT;
    struct mtv_kube_call call = {"GET", ref, NULL, NULL, NULL};
    int rc = list_query(&q, o, cont);

    call.query = q.data;
    if (rc == 0) {
        rc = json_call(page, c, &call, "list", NULL, err);
    } else {
        rc = mtv_error_set(err, rc, "k8s", "cannot build list query");
    }
    mtv_buf_dispose(&q);
    if (rc == 0 && mtv_json_type(mtv_json_get(*page, "items")) !=
                       MTV_JSON_ARRAY) {
        mtv_json_free(*page);
        *page = NULL;
        rc = mtv_error_set(err, MTV_EPROTO, "k8s",
                           "list %s: response has no items array",
                           ref->resource);
    }
    return rc;
}

int mtv_kube_list(struct mtv_json **out, struct mtv_kube_client *c,
                  const struct mtv_kube_ref *ref,
                  const struct mtv_kube_list_options *o,
                  struct mtv_error *err)
{
    struct mtv_json *all = NULL;
    struct mtv_json *page = NULL;
    char *cont = NULL;
    int rc = check_out(out, ref, err);

    while (rc == 0) {
        rc = list_page(&page, c, ref, o, cont, err);
        free(cont);
        cont = NULL;
        if (rc != 0) {
            break;
        }
        const char *next = mtv_json_string_or(page, "metadata.continue", "");
        cont = next[0] != '\0' ? mtv_strdup(next) : NULL;
        if (all == NULL) {
            all = page;
            page = NULL;
        } else {
            rc = merge_page(all, page);
            mtv_json_free(page);
            page = NULL;
        }
        if (cont == NULL) {
            break;
        }
    }
    free(cont);
    if (rc != 0) {
        mtv_json_free(all);
        return rc;
    }
    mtv_json_remove(all, "metadata.continue");
    *out = all;
    return 0;
}

/* ------------------------------------------------------------- writes */

static int body_call(struct mtv_json **out, struct mtv_kube_client *c,
                     struct mtv_kube_call *call, const struct mtv_json *body,
                     const char *verb, bool *retried,
                     struct mtv_error *err)
{
    char *text = mtv_json_print(body, false);
    int rc = 0;

    if (text == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    call->body = text;
    rc = json_call(out, c, call, verb, retried, err);
    free(text);
    return rc;
}

/* Does every label of want appear with the same value in have? */
static bool labels_match(const struct mtv_json *want,
                         const struct mtv_json *have)
{
    const struct mtv_json *wl = mtv_json_get(want, "metadata.labels");
    const struct mtv_json *hl = mtv_json_get(have, "metadata.labels");

    for (const struct mtv_json *l = mtv_json_first(wl); l != NULL;
         l = mtv_json_next(l)) {
        const struct mtv_json *h = NULL;
        for (h = mtv_json_first(hl); h != NULL; h = mtv_json_next(h)) {
            if (mtv_str_eq(mtv_json_key(h), mtv_json_key(l))) {
                break;
            }
        }
        if (h == NULL || !mtv_json_equal(h, l)) {
            return false;
        }
    }
    return true;
}

/* A retried create met 409 AlreadyExists: is it our own first attempt? */
static int read_back(struct mtv_json **out, struct mtv_kube_client *c,
                     const struct mtv_kube_ref *ref,
                     const struct mtv_json *obj, struct mtv_error *err)
{
    struct mtv_kube_ref named = *ref;
    struct mtv_json *got = NULL;
    struct mtv_error saved = *err;

    named.name = mtv_json_string_or(obj, "metadata.name", NULL);
    named.namespace = ref->namespace;
    if (named.name == NULL || mtv_kube_get(&got, c, &named, NULL) != 0 ||
        !labels_match(obj, got)) {
        mtv_json_free(got);
        *err = saved;
        return err->code;
    }
    mtv_log(MTV_LOG_INFO, "k8s", "create %s '%s': retried create found the "
                                 "object already there, using it",
            ref->resource, named.name);
    mtv_error_clear(err);
    if (out != NULL) {
        *out = got;
    } else {
        mtv_json_free(got);
    }
    return 0;
}

int mtv_kube_create(struct mtv_json **out, struct mtv_kube_client *c,
                    const struct mtv_kube_ref *ref,
                    const struct mtv_json *obj, struct mtv_error *err)
{
    struct mtv_kube_ref coll = {0};
    struct mtv_kube_call call = {"POST", &coll, NULL, NULL, NULL};
    struct mtv_error local;
    struct mtv_error *e = err != NULL ? err : &local;
    bool retried = false;
    int rc = check_out(out, ref, err);

    if (rc != 0) {
        return rc;
    }
    coll = *ref;
    coll.name = NULL;
    rc = body_call(out, c, &call, obj, "create", &retried, e);
    if (rc != 0 && retried && e->http_status == 409 &&
        mtv_kube_error_is(e, "AlreadyExists")) {
        rc = read_back(out, c, ref, obj, e);
    }
    return rc;
}

int mtv_kube_replace(struct mtv_json **out, struct mtv_kube_client *c,
                     const struct mtv_kube_ref *ref,
                     const struct mtv_json *obj, struct mtv_error *err)
{
    struct mtv_kube_call call = {"PUT", ref, NULL, NULL, NULL};
    int rc = check_out(out, ref, err);

    return rc != 0 ? rc : body_call(out, c, &call, obj, "replace", NULL, err);
}

int mtv_kube_merge_patch(struct mtv_json **out, struct mtv_kube_client *c,
                         const struct mtv_kube_ref *ref,
                         const struct mtv_json *patch, struct mtv_error *err)
{
    struct mtv_kube_call call = {"PATCH", ref, NULL, NULL,
                                 "application/merge-patch+json"};
    int rc = check_out(out, ref, err);

    return rc != 0 ? rc : body_call(out, c, &call, patch, "patch", NULL, err);
}

int mtv_kube_json_patch(struct mtv_json **out, struct mtv_kube_client *c,
                        const struct mtv_kube_ref *ref,
                        const struct mtv_json *ops, struct mtv_error *err)
{
    struct mtv_kube_call call = {"PATCH", ref, NULL, NULL,
                                 "application/json-patch+json"};
    int rc = check_out(out, ref, err);

    return rc != 0 ? rc : body_call(out, c, &call, ops, "patch", NULL, err);
}

int mtv_kube_delete(struct mtv_json **out, struct mtv_kube_client *c,
                    const struct mtv_kube_ref *ref, const char *propagation,
                    struct mtv_error *err)
{
    struct mtv_kube_call call = {"DELETE", ref, NULL, NULL, NULL};
    char *body = NULL;
    int rc = check_out(out, ref, err);

    if (rc != 0) {
        return rc;
    }
    if (propagation != NULL) {
        body = mtv_strdup_printf("{\"kind\":\"DeleteOptions\",\"apiVersion\":"
                                 "\"v1\",\"propagationPolicy\":\"%s\"}",
                                 propagation);
        if (body == NULL) {
            return mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
        }
    }
    call.body = body;
    rc = json_call(out, c, &call, "delete", NULL, err);
    free(body);
    return rc;
}

/* ----------------------------------------------------------- raw calls */

int mtv_kube_call(char **out, struct mtv_kube_client *c,
                  const struct mtv_kube_call *call, struct mtv_error *err)
{
    struct mtv_buf path = MTV_BUF_INIT;
    struct mtv_buf what = MTV_BUF_INIT;
    struct mtv_http_response resp;
    struct kube_req r;
    int rc = 0;

    if ((out != NULL && *out != NULL) || call == NULL || call->ref == NULL ||
        call->method == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s", "call: bad arguments");
    }
    mtv_http_response_init(&resp, 0);
    memset(&r, 0, sizeof(r));
    rc = prepare(&path, &what, mtv_str_eq(call->method, "GET") ? "get"
                                                                : call->method,
                 call->ref, call->query);
    r.method = call->method;
    r.path = path.data;
    r.body = call->body;
    r.content_type = call->content_type;
    r.what = what.data;
    rc = rc == 0 ? kube__do(c, &r, &resp, NULL, err)
                 : mtv_error_set(err, rc, "k8s", "cannot build path");
    if (rc == 0 && out != NULL) {
        *out = mtv_buf_detach(&resp.body);
        rc = *out != NULL ? 0 : mtv_error_set(err, MTV_ENOMEM, "k8s", "oom");
    }
    mtv_http_response_dispose(&resp);
    mtv_buf_dispose(&path);
    mtv_buf_dispose(&what);
    return rc;
}

/* ------------------------------------------------------------ discover */

static int get_path(struct mtv_json **out, struct mtv_kube_client *c,
                    const char *path, struct mtv_error *err)
{
    struct mtv_http_response resp;
    struct kube_req r;
    int rc = 0;

    mtv_http_response_init(&resp, 0);
    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.path = path;
    r.what = path;
    rc = kube__do(c, &r, &resp, NULL, err);
    if (rc == 0) {
        rc = decode(out, &resp, path, err);
    }
    mtv_http_response_dispose(&resp);
    return rc;
}

static int add_groups(struct mtv_json *groups, const struct mtv_json *apis)
{
    int rc = 0;

    for (const struct mtv_json *g = mtv_json_first(
             mtv_json_get(apis, "groups"));
         rc == 0 && g != NULL; g = mtv_json_next(g)) {
        rc = mtv_json_push_string(
            groups, mtv_json_string_or(g, "preferredVersion.groupVersion",
                                       "?"));
    }
    return rc;
}

int mtv_kube_discover(struct mtv_json **out, struct mtv_kube_client *c,
                      struct mtv_error *err)
{
    struct mtv_json *version = NULL;
    struct mtv_json *apis = NULL;
    struct mtv_json *res = mtv_json_new_object();
    struct mtv_json *groups = mtv_json_new_array();
    int rc = res != NULL && groups != NULL
                 ? 0
                 : mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");

    rc = rc == 0 ? get_path(&version, c, "/version", err) : rc;
    rc = rc == 0 ? get_path(&apis, c, "/apis", err) : rc;
    if (rc == 0) {
        rc = mtv_json_push_string(groups, "v1");
        rc = rc == 0 ? add_groups(groups, apis) : rc;
        rc = rc == 0 ? mtv_json_set_string(res, "server", c->config->server)
                     : rc;
        rc = rc == 0 ? mtv_json_set_take(res, "version", version) : rc;
        version = NULL;
        rc = rc == 0 ? mtv_json_set_take(res, "groups", groups) : rc;
        groups = NULL;
    }
    mtv_json_free(version);
    mtv_json_free(apis);
    mtv_json_free(groups);
    if (rc != 0) {
        mtv_json_free(res);
        return rc;
    }
    *out = res;
    return 0;
}

/* ------------------------------------------------------------- upgrade */

int mtv_kube_upgrade(struct mtv_http_stream **out, struct mtv_kube_client *c,
                     const struct mtv_kube_ref *ref,
                     const char *const *headers,
                     struct mtv_http_response *head, struct mtv_error *err)
{
    struct mtv_buf url = MTV_BUF_INIT;
    struct mtv_buf what = MTV_BUF_INIT;
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    const char *h[24];
    size_t n = 0;
    int rc = mtv_buf_puts(&url, c->config->server);

    rc = rc == 0 ? prepare(&url, &what, "get", ref, NULL) : rc;
    if (c->auth_header != NULL) {
        h[n++] = c->auth_header;
    }
    for (size_t i = 0; headers != NULL && headers[i] != NULL && n < 23; i++) {
        h[n++] = headers[i];
    }
    h[n] = NULL;
    req.method = "GET";
    req.url = url.data;
    req.headers = h;
    req.timeout_ms = c->timeout_ms;
    rc = rc == 0 ? mtv_http_upgrade(&c->transport, out, &req, head, err)
                 : mtv_error_set(err, rc, "k8s", "cannot build path");
    c->stats.requests++;
    if (rc == MTV_EREMOTE && head->status != 0) {
        rc = kube__status_error(head, "GET", what.data, err);
    }
    mtv_buf_dispose(&url);
    mtv_buf_dispose(&what);
    return rc;
}
