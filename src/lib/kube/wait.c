/* kube: wait_for (list + watch with resume and relist), predicates. */
#include "kube_priv.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ predicates */

int mtv_kube_pred_exists(const struct mtv_json *obj, void *payload)
{
    (void)payload;
    return obj != NULL ? 1 : 0;
}

int mtv_kube_pred_gone(const struct mtv_json *obj, void *payload)
{
    (void)payload;
    return obj == NULL ? 1 : 0;
}

int mtv_kube_pred_condition(const struct mtv_json *obj, void *payload)
{
    const struct mtv_kube_cond *want = payload;
    const struct mtv_json *conds = mtv_json_get(obj, "status.conditions");

    for (const struct mtv_json *c = mtv_json_first(conds); c != NULL;
         c = mtv_json_next(c)) {
        if (mtv_str_eq(mtv_json_string_or(c, "type", NULL), want->type) &&
            mtv_str_eq(mtv_json_string_or(c, "status", NULL),
                       want->status)) {
            return 1;
        }
    }
    return 0;
}

int mtv_kube_pred_phase(const struct mtv_json *obj, void *payload)
{
    const struct mtv_kube_phase *want = payload;
    const char *phase = mtv_json_string_or(obj, "status.phase", NULL);

    if (phase == NULL) {
        return 0;
    }
    if (mtv_str_eq(phase, want->want)) {
        return 1;
    }
    for (size_t i = 0; want->fail != NULL && want->fail[i] != NULL; i++) {
        if (strcmp(phase, want->fail[i]) == 0) {
            return -1;
        }
    }
    return 0;
}

int mtv_kube_describe_state(struct mtv_buf *b, const struct mtv_json *obj)
{
    const char *phase = mtv_json_string_or(obj, "status.phase", NULL);
    const char *sep = "";
    int rc = 0;

    if (obj == NULL) {
        return mtv_buf_puts(b, "absent");
    }
    if (phase != NULL) {
        rc = mtv_buf_printf(b, "phase=%s", phase);
        sep = " ";
    }
    if (mtv_json_get(obj, "metadata.deletionTimestamp") != NULL) {
        rc = mtv_buf_printf(b, "%sdeleting", sep);
        sep = " ";
    }
    for (const struct mtv_json *c = mtv_json_first(
             mtv_json_get(obj, "status.conditions"));
         rc == 0 && c != NULL; c = mtv_json_next(c)) {
        const char *msg = mtv_json_string_or(c, "message", "");
        rc = mtv_buf_printf(b, "%s%s=%s%s%.160s%s", sep,
                            mtv_json_string_or(c, "type", "?"),
                            mtv_json_string_or(c, "status", "?"),
                            msg[0] != '\0' ? " (" : "", msg,
                            msg[0] != '\0' ? ")" : "");
        sep = " ";
    }
    if (rc == 0 && sep[0] == '\0') {
        rc = mtv_buf_puts(b, "exists (no status)");
    }
    return rc;
}

/* ----------------------------------------------------------------- wait */

struct wait_state {
    const struct mtv_kube_wait *w;
    struct mtv_json *last; /* owned; NULL = absent */
    int verdict;           /* predicate result on last */
};

static int remember(struct wait_state *ws, const struct mtv_json *obj)
{
    struct mtv_json *copy = obj != NULL ? mtv_json_dup(obj) : NULL;

    if (obj != NULL && copy == NULL) {
        return MTV_ENOMEM;
    }
    mtv_json_free(ws->last);
    ws->last = copy;
    ws->verdict = ws->w->predicate(ws->last, ws->w->payload);
    return 0;
}

static int on_event(const struct mtv_kube_event *ev, void *payload)
{
    struct wait_state *ws = payload;
    int rc = 0;

    if (ev->type == MTV_KUBE_BOOKMARK) {
        return 0;
    }
    if (!mtv_str_eq(mtv_json_string_or(ev->object, "metadata.name", NULL),
                    ws->w->name)) {
        return 0; /* a server ignoring the field selector */
    }
    rc = remember(ws, ev->type == MTV_KUBE_DELETED ? NULL : ev->object);
    if (rc != 0) {
        return rc;
    }
    return ws->verdict != 0 ? 1 : 0;
}

/* List by name: the current state and the list's resourceVersion. */
static int relist(struct mtv_kube_client *c, struct wait_state *ws,
                  const struct mtv_kube_ref *coll, const char *selector,
                  char **rv, struct mtv_error *err)
{
    struct mtv_kube_list_options lo = {NULL, selector, 0};
    struct mtv_json *list = NULL;
    const struct mtv_json *found = NULL;
    int rc = mtv_kube_list(&list, c, coll, &lo, err);

    if (rc != 0) {
        return rc;
    }
    for (const struct mtv_json *it = mtv_json_first(
             mtv_json_get(list, "items"));
         it != NULL; it = mtv_json_next(it)) {
        if (mtv_str_eq(mtv_json_string_or(it, "metadata.name", NULL),
                       ws->w->name)) {
            found = it;
        }
    }
    free(*rv);
    *rv = mtv_strdup(mtv_json_string_or(list, "metadata.resourceVersion",
                                        NULL));
    rc = remember(ws, found);
    mtv_json_free(list);
    return rc != 0 ? mtv_error_set(err, rc, "k8s", "out of memory") : 0;
}

static int wait_ref(struct mtv_kube_ref *coll, const struct mtv_kube_wait *w,
                    struct mtv_error *err)
{
    if (w->predicate == NULL || w->name == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s",
                             "wait_for: predicate and name are required");
    }
    if (w->kind != NULL) {
        return mtv_kube_ref_for_kind(coll, w->kind, w->namespace, NULL, err);
    }
    if (w->ref == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s",
                             "wait_for: kind or ref is required");
    }
    *coll = *w->ref;
    coll->namespace = w->namespace != NULL ? w->namespace : w->ref->namespace;
    coll->name = NULL;
    coll->subresource = NULL;
    return 0;
}

static int wait_failed(struct wait_state *ws, const struct mtv_kube_ref *coll,
                       int code, struct mtv_error *err)
{
    struct mtv_buf state = MTV_BUF_INIT;
    const struct mtv_kube_wait *w = ws->w;

    mtv_buf_puts(&state, "last state: ");
    mtv_kube_describe_state(&state, ws->last);
    mtv_error_set(err, code, "k8s", "%s %s%s%s %s %s",
                  code == MTV_ETIMEOUT ? "timed out waiting for"
                                       : "gave up waiting for",
                  coll->resource, coll->namespace != NULL ? " " : "",
                  coll->namespace != NULL ? coll->namespace : "", w->name,
                  w->what != NULL ? w->what : "to reach the wanted state");
    if (err != NULL) {
        err->http_status = 0;
        mtv_error_set_remote(err, state.data != NULL ? state.data : "");
    }
    mtv_buf_dispose(&state);
    return code;
}

static int wait_loop(struct mtv_kube_client *c, struct wait_state *ws,
                     const struct mtv_kube_ref *coll, const char *selector,
                     struct mtv_error *err)
{
    struct mtv_kube_watch_options wo = {coll, NULL, selector,
                                        ws->w->deadline, on_event, ws};
    char *rv = NULL;
    int rc = relist(c, ws, coll, selector, &rv, err);

    while (rc == 0 && ws->verdict == 0) {
        mtv_log(MTV_LOG_DEBUG, "k8s", "wait %s %s: watching from "
                                      "resourceVersion %s",
                coll->resource, ws->w->name, rv != NULL ? rv : "(none)");
        rc = mtv_kube_watch(c, &rv, &wo, err);
        if (rc == MTV_EREMOTE && err != NULL && err->http_status == 410) {
            mtv_log(MTV_LOG_DEBUG, "k8s", "watch %s: 410, relisting",
                    coll->resource);
            mtv_error_clear(err);
            rc = relist(c, ws, coll, selector, &rv, err);
        }
    }
    free(rv);
    return rc;
}

int mtv_kube_wait_for(struct mtv_json **out, struct mtv_kube_client *c,
                      const struct mtv_kube_wait *w, struct mtv_error *err)
{
    struct mtv_kube_ref coll;
    struct wait_state ws = {w, NULL, 0};
    struct mtv_error local;
    char *selector = NULL;
    int rc = 0;

    if (err == NULL) {
        err = &local; /* the loop reads http_status to spot a 410 */
    }
    if (out != NULL && *out != NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s", "wait_for: bad out");
    }
    rc = wait_ref(&coll, w, err);
    if (rc != 0) {
        return rc;
    }
    selector = mtv_strdup_printf("metadata.name=%s", w->name);
    if (selector == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    rc = wait_loop(c, &ws, &coll, selector, err);
    if (rc == MTV_ETIMEOUT) {
        rc = wait_failed(&ws, &coll, MTV_ETIMEOUT, err);
    } else if (rc == 0 && ws.verdict < 0) {
        rc = wait_failed(&ws, &coll, MTV_EREMOTE, err);
    }
    if (out != NULL) {
        *out = ws.last;
        ws.last = NULL;
    }
    mtv_json_free(ws.last);
    free(selector);
    return rc;
}
