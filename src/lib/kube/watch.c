/* kube: the watch stream reader and the resuming watch loop. */
#include "kube_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_MAX_LINE ((size_t)16 * 1024 * 1024)
#define WATCH_MAX_SECONDS 300
#define WATCH_MAX_FAILURES 8
/* a stream silent this long past its timeoutSeconds is presumed dead */
#define WATCH_GRACE_MS 15000
/* a stream that ends sooner than this without an event counts as a failure
 * (backoff), so a server that ends every watch at once is not hammered */
#define WATCH_MIN_MS 1000

struct mtv_kube_watch_reader {
    struct mtv_buf buf;
    size_t scanned; /* bytes of buf known to hold no '\n' */
    size_t max_line;
};

int mtv_kube_watch_reader_new(struct mtv_kube_watch_reader **out,
                              size_t max_line, struct mtv_error *err)
{
    struct mtv_kube_watch_reader *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    r->max_line = max_line != 0 ? max_line : DEFAULT_MAX_LINE;
    mtv_buf_init(&r->buf, 0);
    *out = r;
    return 0;
}

void mtv_kube_watch_reader_free(struct mtv_kube_watch_reader *r)
{
    if (r == NULL) {
        return;
    }
    mtv_buf_dispose(&r->buf);
    free(r);
}

int mtv_kube_watch_reader_feed(struct mtv_kube_watch_reader *r,
                               const char *p, size_t n, struct mtv_error *err)
{
    if (r->buf.len - r->scanned + n > r->max_line &&
        memchr(p, '\n', n) == NULL) {
        return mtv_error_set(err, MTV_EPROTO, "k8s",
                             "watch event larger than %zu bytes",
                             r->max_line);
    }
    if (mtv_buf_append(&r->buf, p, n) != 0) {
        return mtv_error_set(err, MTV_EPROTO, "k8s", "watch buffer over cap");
    }
    return 0;
}

static const char *const type_names[] = {
    NULL, "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR",
};

static int parse_event(const char *line, size_t n, struct mtv_kube_event *ev,
                       struct mtv_error *err)
{
    struct mtv_json *root = NULL;
    const char *type = NULL;
    int rc = mtv_json_parse(&root, line, n, NULL, err);

    if (rc != 0) {
        mtv_error_prefix(err, "watch event");
        return rc;
    }
    type = mtv_json_string_or(root, "type", "");
    for (int i = 1; i <= MTV_KUBE_ERROR; i++) {
        if (strcmp(type, type_names[i]) == 0) {
            ev->type = (enum mtv_kube_event_type)i;
        }
    }
    if (ev->type == 0 || mtv_json_type(mtv_json_get(root, "object")) !=
                             MTV_JSON_OBJECT) {
        mtv_json_free(root);
        return mtv_error_set(err, MTV_EPROTO, "k8s",
                             "watch event without a known type and object");
    }
    ev->object = mtv_json_dup(mtv_json_get(root, "object"));
    mtv_json_free(root);
    if (ev->object == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    ev->resource_version = mtv_json_string_or(ev->object,
                                              "metadata.resourceVersion",
                                              NULL);
    return 1;
}

int mtv_kube_watch_reader_pop(struct mtv_kube_watch_reader *r,
                              struct mtv_kube_event *ev,
                              struct mtv_error *err)
{
    memset(ev, 0, sizeof(*ev));
    for (;;) {
        char *start = r->buf.data;
        char *nl = r->buf.len > r->scanned
                       ? memchr(start + r->scanned, '\n',
                                r->buf.len - r->scanned)
                       : NULL;
        if (nl == NULL) {
            r->scanned = r->buf.len;
            return 0;
        }
        size_t n = (size_t)(nl - start);
        size_t blank = 0;
        while (blank < n && strchr(" \t\r", start[blank]) != NULL) {
            blank++;
        }
        int rc = blank == n ? 0 : parse_event(start, n, ev, err);
        mtv_buf_consume(&r->buf, n + 1);
        r->scanned = 0;
        if (rc != 0) {
            return rc;
        }
    }
}

void mtv_kube_event_dispose(struct mtv_kube_event *ev)
{
    if (ev == NULL) {
        return;
    }
    mtv_json_free(ev->object);
    ev->object = NULL;
    ev->resource_version = NULL;
}

/* ------------------------------------------------------------ the loop */

struct watch_state {
    struct mtv_kube_watch_reader *reader;
    const struct mtv_kube_watch_options *o;
    char **rv;
    int rc;       /* set when the stream must stop */
    bool done;    /* fn asked to stop */
    bool gone;    /* 410: caller must relist */
    bool events;  /* at least one event in this request */
    int64_t started_ms; /* when the current request started */
    struct mtv_error *err;
};

static int set_rv(char **rv, const char *v)
{
    char *copy = NULL;

    if (v == NULL || v[0] == '\0') {
        return 0;
    }
    copy = mtv_strdup(v);
    if (copy == NULL) {
        return MTV_ENOMEM;
    }
    free(*rv);
    *rv = copy;
    return 0;
}

/* One event: ERROR handling, rv tracking, the callback. 1 = stop. */
static int handle_event(struct watch_state *st, const struct mtv_kube_event *ev)
{
    int rc = 0;

    if (ev->type == MTV_KUBE_ERROR) {
        long long code = mtv_json_int_or(ev->object, "code", 0);
        if (code == 410) {
            st->gone = true;
            return 1;
        }
        mtv_log(MTV_LOG_DEBUG, "k8s", "watch ERROR event %lld: %s", code,
                mtv_json_string_or(ev->object, "message", ""));
        return 1; /* treated as a drop: resume */
    }
    st->events = true;
    if (set_rv(st->rv, ev->resource_version) != 0) {
        st->rc = mtv_error_set(st->err, MTV_ENOMEM, "k8s", "out of memory");
        return 1;
    }
    rc = st->o->fn(ev, st->o->payload);
    if (rc != 0) {
        st->done = true;
        st->rc = rc < 0 ? rc : 0;
        return 1;
    }
    return 0;
}

static int on_watch_data(const char *p, size_t n, void *payload)
{
    struct watch_state *st = payload;
    struct mtv_kube_event ev;
    int rc = mtv_kube_watch_reader_feed(st->reader, p, n, st->err);
    int stop = 0;

    while (rc == 0 && stop == 0) {
        rc = mtv_kube_watch_reader_pop(st->reader, &ev, st->err);
        if (rc != 1) {
            break;
        }
        rc = 0;
        stop = handle_event(st, &ev);
        mtv_kube_event_dispose(&ev);
    }
    if (rc < 0) {
        st->rc = rc;
        return 1;
    }
    return stop;
}

static int watch_path(struct mtv_buf *b, const struct mtv_kube_watch_options *o,
                      const char *rv)
{
    struct mtv_kube_ref coll = *o->ref;
    int64_t left = mtv_deadline_remaining_ms(&o->deadline) / 1000 + 1;
    int rc = 0;

    coll.name = NULL;
    rc = mtv_kube_ref_path(b, &coll);
    rc = rc == 0 ? mtv_buf_printf(b, "?watch=1&allowWatchBookmarks=true"
                                     "&timeoutSeconds=%lld",
                                  (long long)(left > WATCH_MAX_SECONDS
                                                  ? WATCH_MAX_SECONDS
                                                  : left))
                 : rc;
    if (rc == 0 && rv != NULL) {
        rc = mtv_buf_puts(b, "&resourceVersion=");
        rc = rc == 0 ? mtv_http_buf_put_escaped(b, rv) : rc;
    }
    if (rc == 0 && o->field_selector != NULL) {
        rc = mtv_buf_puts(b, "&fieldSelector=");
        rc = rc == 0 ? mtv_http_buf_put_escaped(b, o->field_selector) : rc;
    }
    if (rc == 0 && o->label_selector != NULL) {
        rc = mtv_buf_puts(b, "&labelSelector=");
        rc = rc == 0 ? mtv_http_buf_put_escaped(b, o->label_selector) : rc;
    }
    return rc;
}

/* One watch request; the stream's outcome is in st. */
static int watch_once(struct mtv_kube_client *c, struct watch_state *st,
                      struct mtv_error *err)
{
    struct mtv_buf path = MTV_BUF_INIT;
    struct mtv_buf what = MTV_BUF_INIT;
    struct mtv_http_response resp;
    struct kube_req r;
    int rc = 0;

    mtv_http_response_init(&resp, 0);
    memset(&r, 0, sizeof(r));
    mtv_buf_reset(&st->reader->buf);
    st->reader->scanned = 0;
    rc = watch_path(&path, st->o, *st->rv);
    rc = rc == 0 ? kube__describe_ref(&what, "watch", st->o->ref) : rc;
    if (rc != 0) {
        rc = mtv_error_set(err, rc, "k8s", "cannot build watch path");
        goto out;
    }
    r.method = "GET";
    r.path = path.data;
    r.what = what.data;
    /* bound each request: a dead stream gets noticed and resumed */
    r.deadline = mtv_deadline_min(
        st->o->deadline,
        mtv_deadline_in(WATCH_MAX_SECONDS * 1000 + WATCH_GRACE_MS));
    r.on_data = on_watch_data;
    r.on_data_payload = st;
    r.no_retry = true;
    rc = kube__do(c, &r, &resp, NULL, err);
    if (rc != 0 && resp.status == 410) {
        st->gone = true;
    }
out:
    mtv_http_response_dispose(&resp);
    mtv_buf_dispose(&path);
    mtv_buf_dispose(&what);
    return rc;
}

static void pause_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* After a failed or ended stream: 0 = resume, else the final code. */
static int after_stream(struct mtv_kube_client *c, struct watch_state *st,
                        int rc, int *failures, struct mtv_error *err)
{
    if (mtv_deadline_expired(&st->o->deadline)) {
        return mtv_error_set(err, MTV_ETIMEOUT, "k8s",
                             "watch %s: deadline passed", st->o->ref->resource);
    }
    if (rc == 0 || rc == MTV_ETIMEOUT || rc == MTV_EIO) {
        bool quick = mtv_now_ms() - st->started_ms < WATCH_MIN_MS;
        *failures = st->events || (rc == 0 && !quick) ? 0 : *failures + 1;
        if (*failures > WATCH_MAX_FAILURES) {
            return rc;
        }
        if (*failures > 0) {
            int64_t d = mtv_http_backoff_ms(*failures, c->backoff_base_ms,
                                            c->backoff_cap_ms, NULL);
            int64_t left = mtv_deadline_remaining_ms(&st->o->deadline);
            pause_ms(d < left ? d : left);
        }
        mtv_log(MTV_LOG_DEBUG, "k8s", "watch %s: stream ended, resuming",
                st->o->ref->resource);
        mtv_error_clear(err);
        return 0;
    }
    return rc;
}

int mtv_kube_watch(struct mtv_kube_client *c, char **rv_inout,
                   const struct mtv_kube_watch_options *o,
                   struct mtv_error *err)
{
    struct watch_state st;
    int failures = 0;
    int rc = 0;

    if (rv_inout == NULL || o == NULL || o->ref == NULL || o->fn == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s", "watch: bad arguments");
    }
    memset(&st, 0, sizeof(st));
    st.o = o;
    st.rv = rv_inout;
    st.err = err;
    rc = mtv_kube_watch_reader_new(&st.reader, 0, err);
    while (rc == 0) {
        st.events = false;
        st.started_ms = mtv_now_ms();
        rc = watch_once(c, &st, err);
        if (st.done || st.rc != 0) {
            rc = st.rc;
            break;
        }
        if (st.gone) {
            rc = mtv_error_set(err, MTV_EREMOTE, "k8s",
                               "watch %s: resourceVersion too old (410)",
                               o->ref->resource);
            if (err != NULL) {
                err->http_status = 410;
            }
            break;
        }
        rc = after_stream(c, &st, rc, &failures, err);
    }
    mtv_kube_watch_reader_free(st.reader);
    return rc;
}
