/*
 * tool_kube: a small driver of the kube module for the e2e tests
 * (tests/e2e/test_kube_client.py). Not installed.
 *
 *   tool_kube [--kubeconfig F] [--context C] [--oauth URL USER PASSFILE]
 *             [--token-service-account NS/NAME] [--stats] [--verbose] [--trace]
 *             VERB ARGS...
 *
 *   get KIND NS NAME            print the object
 *   list KIND NS [LABELSEL]     print the names, one a line
 *   create KIND NS JSON         print the created object's name
 *   patch KIND NS NAME JSON     merge patch; print resourceVersion
 *   delete KIND NS NAME
 *   wait KIND NS NAME COND SECS COND: exists | gone | phase=P | cond=T=S
 *   watch KIND NS N SECS [RV]   print "TYPE name rv" for N non-bookmark events
 *   nscycle NAME SECS           create namespace, wait Active, delete,
 *                               wait gone
 *   portforward NS VMI PORT     open the KubeVirt port-forward (WebSocket
 *                               upgrade) and print the first binary frame's
 *                               payload (e.g. the guest's SSH banner)
 *   discover                    print the discovery summary
 *   token                       print "yes" when a bearer token is held
 *
 * NS "-" means cluster-scoped. --stats prints one JSON line with the
 * client's counters on stderr at the end. Exit: 0, 1 (operation failed),
 * 2 (usage/config), 3 (auth).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/kube.h"

struct tool {
    struct mtv_kube_client *c;
    bool stats;
};

static const char *ns_arg(const char *s)
{
    return strcmp(s, "-") == 0 ? NULL : s;
}

static int fail(int rc, const struct mtv_error *err)
{
    char text[1100];

    fprintf(stderr, "tool_kube: error: %s\n",
            mtv_error_text(err, text, sizeof(text)));
    if (rc == MTV_ECONFIG || rc == MTV_EINVAL) {
        return 2;
    }
    return rc == MTV_EAUTH ? 3 : 1;
}

static int print_json(const struct mtv_json *j)
{
    char *s = mtv_json_print(j, false);
    printf("%s\n", s != NULL ? s : "null");
    free(s);
    return 0;
}

static int parse_json(struct mtv_json **out, const char *text,
                      struct mtv_error *err)
{
    return mtv_json_parse(out, text, strlen(text), NULL, err);
}

static int do_get(struct tool *t, char **a, struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    struct mtv_json *obj = NULL;
    int rc = mtv_kube_ref_for_kind(&ref, a[0], ns_arg(a[1]), a[2], err);

    rc = rc == 0 ? mtv_kube_get(&obj, t->c, &ref, err) : rc;
    if (rc == 0) {
        print_json(obj);
    }
    mtv_json_free(obj);
    return rc;
}

static int do_list(struct tool *t, char **a, int n, struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    struct mtv_kube_list_options lo = {n > 2 ? a[2] : NULL, NULL, 2};
    struct mtv_json *list = NULL;
    int rc = mtv_kube_ref_for_kind(&ref, a[0], ns_arg(a[1]), NULL, err);

    rc = rc == 0 ? mtv_kube_list(&list, t->c, &ref, &lo, err) : rc;
    for (const struct mtv_json *it = mtv_json_first(
             mtv_json_get(list, "items"));
         rc == 0 && it != NULL; it = mtv_json_next(it)) {
        printf("%s\n", mtv_json_string_or(it, "metadata.name", "?"));
    }
    mtv_json_free(list);
    return rc;
}

static int do_create(struct tool *t, char **a, struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    struct mtv_json *body = NULL;
    struct mtv_json *obj = NULL;
    int rc = mtv_kube_ref_for_kind(&ref, a[0], ns_arg(a[1]), NULL, err);

    rc = rc == 0 ? parse_json(&body, a[2], err) : rc;
    rc = rc == 0 ? mtv_kube_create(&obj, t->c, &ref, body, err) : rc;
    if (rc == 0) {
        printf("%s\n", mtv_json_string_or(obj, "metadata.name", "?"));
    }
    mtv_json_free(body);
    mtv_json_free(obj);
    return rc;
}

static int do_patch(struct tool *t, char **a, struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    struct mtv_json *body = NULL;
    struct mtv_json *obj = NULL;
    int rc = mtv_kube_ref_for_kind(&ref, a[0], ns_arg(a[1]), a[2], err);

    rc = rc == 0 ? parse_json(&body, a[3], err) : rc;
    rc = rc == 0 ? mtv_kube_merge_patch(&obj, t->c, &ref, body, err) : rc;
    if (rc == 0) {
        printf("%s\n", mtv_json_string_or(obj, "metadata.resourceVersion",
                                          "?"));
    }
    mtv_json_free(body);
    mtv_json_free(obj);
    return rc;
}

static int do_delete(struct tool *t, char **a, struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    int rc = mtv_kube_ref_for_kind(&ref, a[0], ns_arg(a[1]), a[2], err);

    return rc == 0 ? mtv_kube_delete(NULL, t->c, &ref, "Background", err)
                   : rc;
}

/* Payloads for the COND argument. */
struct cond_arg {
    char buf[128];
    struct mtv_kube_cond cond;
    struct mtv_kube_phase phase;
};

static int pick_predicate(struct mtv_kube_wait *w, struct cond_arg *ca,
                          const char *cond)
{
    snprintf(ca->buf, sizeof(ca->buf), "%s", cond);
    if (strcmp(cond, "exists") == 0) {
        w->predicate = mtv_kube_pred_exists;
    } else if (strcmp(cond, "gone") == 0) {
        w->predicate = mtv_kube_pred_gone;
    } else if (strncmp(cond, "phase=", 6) == 0) {
        ca->phase.want = ca->buf + 6;
        w->predicate = mtv_kube_pred_phase;
        w->payload = &ca->phase;
    } else if (strncmp(cond, "cond=", 5) == 0 && strchr(cond + 5, '=')) {
        char *eq = strchr(ca->buf + 5, '=');
        *eq = '\0';
        ca->cond.type = ca->buf + 5;
        ca->cond.status = eq + 1;
        w->predicate = mtv_kube_pred_condition;
        w->payload = &ca->cond;
    } else {
        return MTV_EINVAL;
    }
    return 0;
}

static int wait_cond(struct tool *t, const char *kind, const char *ns,
                     const char *name, const char *cond, long secs,
                     struct mtv_error *err)
{
    struct mtv_kube_wait w;
    struct cond_arg ca;
    struct mtv_json *last = NULL;
    int rc = 0;

    memset(&w, 0, sizeof(w));
    memset(&ca, 0, sizeof(ca));
    w.kind = kind;
    w.namespace = ns;
    w.name = name;
    w.deadline = mtv_deadline_in(secs * 1000);
    w.what = cond;
    if (pick_predicate(&w, &ca, cond) != 0) {
        return mtv_error_set(err, MTV_EINVAL, "tool", "bad condition '%s'",
                             cond);
    }
    rc = mtv_kube_wait_for(&last, t->c, &w, err);
    mtv_json_free(last);
    return rc;
}

static int do_wait(struct tool *t, char **a, struct mtv_error *err)
{
    return wait_cond(t, a[0], ns_arg(a[1]), a[2], a[3], strtol(a[4], NULL, 10),
                     err);
}

struct watch_count {
    long want;
    long seen;
};

static int print_event(const struct mtv_kube_event *ev, void *payload)
{
    static const char *const names[] = {"?", "ADDED", "MODIFIED", "DELETED",
                                        "BOOKMARK", "ERROR"};
    struct watch_count *wc = payload;

    if (ev->type == MTV_KUBE_BOOKMARK) {
        return 0;
    }
    printf("%s %s %s\n", names[ev->type],
           mtv_json_string_or(ev->object, "metadata.name", "?"),
           ev->resource_version != NULL ? ev->resource_version : "");
    fflush(stdout);
    return ++wc->seen >= wc->want ? 1 : 0;
}

static int do_watch(struct tool *t, char **a, int n, struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    struct watch_count wc = {strtol(a[2], NULL, 10), 0};
    struct mtv_kube_watch_options o;
    char *rv = n > 4 ? mtv_strdup(a[4]) : NULL;
    int rc = mtv_kube_ref_for_kind(&ref, a[0], ns_arg(a[1]), NULL, err);

    memset(&o, 0, sizeof(o));
    o.ref = &ref;
    o.deadline = mtv_deadline_in(strtol(a[3], NULL, 10) * 1000);
    o.fn = print_event;
    o.payload = &wc;
    rc = rc == 0 ? mtv_kube_watch(t->c, &rv, &o, err) : rc;
    free(rv);
    return rc;
}

static int do_nscycle(struct tool *t, char **a, struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    struct mtv_json *body = NULL;
    long secs = strtol(a[1], NULL, 10);
    int rc = mtv_kube_ref_for_kind(&ref, "Namespace", NULL, a[0], err);

    body = mtv_json_new_object();
    rc = rc == 0 ? mtv_json_set_string(body, "metadata.name", a[0]) : rc;
    rc = rc == 0 ? mtv_kube_create(NULL, t->c, &ref, body, err) : rc;
    rc = rc == 0 ? wait_cond(t, "Namespace", NULL, a[0], "phase=Active", secs,
                             err)
                 : rc;
    rc = rc == 0 ? mtv_kube_delete(NULL, t->c, &ref, NULL, err) : rc;
    rc = rc == 0 ? wait_cond(t, "Namespace", NULL, a[0], "gone", secs, err)
                 : rc;
    mtv_json_free(body);
    return rc;
}

/* Read until one whole unmasked server frame (len < 126) is buffered. */
static int first_frame(struct mtv_http_stream *s, struct mtv_buf *b,
                       struct mtv_error *err)
{
    struct mtv_deadline dl = mtv_deadline_in(10000);
    char chunk[512];
    size_t got = 0;
    int rc = 0;

    while (rc == 0 && (b->len < 2 || b->len < 2 + (size_t)(b->data[1] & 0x7f))) {
        rc = mtv_http_stream_recv(s, chunk, sizeof(chunk), &got, &dl, err);
        if (rc == 0 && got == 0) {
            rc = mtv_error_set(err, MTV_EIO, "tool", "stream ended early");
        }
        rc = rc == 0 ? mtv_buf_append(b, chunk, got) : rc;
    }
    return rc;
}

static int do_portforward(struct tool *t, char **a, struct mtv_error *err)
{
    static const char *const h[] = {
        "Upgrade: websocket", "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: plain.kubevirt.io", NULL};
    char sub[64];
    struct mtv_kube_ref ref = {"subresources.kubevirt.io", "v1",
                               "virtualmachineinstances", a[0], a[1], sub};
    struct mtv_http_response head;
    struct mtv_http_stream *s = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = 0;

    snprintf(sub, sizeof(sub), "portforward/%s/tcp", a[2]);
    mtv_http_response_init(&head, 0);
    rc = mtv_kube_upgrade(&s, t->c, &ref, h, &head, err);
    if (rc == 0) {
        printf("%d %s\n", head.status,
               mtv_http_response_header(&head, "Sec-WebSocket-Accept"));
        rc = first_frame(s, &b, err);
    }
    if (rc == 0) {
        int n = b.data[1] & 0x7f;
        printf("opcode=%d %.*s\n", b.data[0] & 0x0f, n, b.data + 2);
    }
    mtv_http_stream_close(s);
    mtv_http_response_dispose(&head);
    mtv_buf_dispose(&b);
    return rc;
}

static int do_discover(struct tool *t, struct mtv_error *err)
{
    struct mtv_json *d = NULL;
    int rc = mtv_kube_discover(&d, t->c, err);

    if (rc == 0) {
        print_json(d);
    }
    mtv_json_free(d);
    return rc;
}

struct verb {
    const char *name;
    int nargs;
};

static const struct verb verbs[] = {
    {"get", 3},   {"list", 2},    {"create", 3},   {"patch", 4},
    {"delete", 3}, {"wait", 5},   {"watch", 4},    {"nscycle", 2},
    {"discover", 0}, {"token", 0},   {"portforward", 3},
};

static int dispatch(struct tool *t, const char *v, char **a, int n,
                    struct mtv_error *err)
{
    const char *tok = NULL;

    if (strcmp(v, "get") == 0) {
        return do_get(t, a, err);
    }
    if (strcmp(v, "list") == 0) {
        return do_list(t, a, n, err);
    }
    if (strcmp(v, "create") == 0) {
        return do_create(t, a, err);
    }
    if (strcmp(v, "patch") == 0) {
        return do_patch(t, a, err);
    }
    if (strcmp(v, "delete") == 0) {
        return do_delete(t, a, err);
    }
    if (strcmp(v, "wait") == 0) {
        return do_wait(t, a, err);
    }
    if (strcmp(v, "watch") == 0) {
        return do_watch(t, a, n, err);
    }
    if (strcmp(v, "nscycle") == 0) {
        return do_nscycle(t, a, err);
    }
    if (strcmp(v, "discover") == 0) {
        return do_discover(t, err);
    }
    if (strcmp(v, "portforward") == 0) {
        return do_portforward(t, a, err);
    }
    tok = mtv_kube_client_token(t->c);
    printf("%s\n", tok != NULL ? "yes" : "no");
    return 0;
}

static void print_stats(const struct tool *t)
{
    struct mtv_kube_stats st;

    mtv_kube_client_stats(t->c, &st);
    fprintf(stderr,
            "{\"requests\": %llu, \"retries\": %llu, \"body_bytes_sent\": "
            "%llu, \"body_bytes_received\": %llu, \"connects\": %llu, "
            "\"bytes_sent\": %llu, \"bytes_received\": %llu}\n",
            (unsigned long long)st.requests, (unsigned long long)st.retries,
            (unsigned long long)st.body_bytes_sent,
            (unsigned long long)st.body_bytes_received,
            (unsigned long long)st.http.connects,
            (unsigned long long)st.http.bytes_sent,
            (unsigned long long)st.http.bytes_received);
}

struct args {
    struct mtv_kube_config_options co;
    const char *oauth[3];
    const char *token_sa;
    bool stats;
    bool trace;
    int first;
};

static int parse_args(struct args *a, int argc, char **argv)
{
    int i = 1;

    memset(a, 0, sizeof(*a));
    while (i < argc && strncmp(argv[i], "--", 2) == 0) {
        if (strcmp(argv[i], "--stats") == 0) {
            a->stats = true;
            i++;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            mtv_log_set_level(MTV_LOG_DEBUG);
            i++;
        } else if (strcmp(argv[i], "--trace") == 0) {
            mtv_log_set_level(MTV_LOG_TRACE);
            a->trace = true;
            i++;
        } else if (strcmp(argv[i], "--oauth") == 0 && i + 3 < argc) {
            a->oauth[0] = argv[i + 1];
            a->oauth[1] = argv[i + 2];
            a->oauth[2] = argv[i + 3];
            i += 4;
        } else if (i + 1 < argc && strcmp(argv[i], "--kubeconfig") == 0) {
            a->co.kubeconfig = argv[i + 1];
            i += 2;
        } else if (i + 1 < argc && strcmp(argv[i], "--context") == 0) {
            a->co.context = argv[i + 1];
            i += 2;
        } else if (i + 1 < argc &&
                   strcmp(argv[i], "--token-service-account") == 0) {
            a->token_sa = argv[i + 1];
            i += 2;
        } else {
            return -1;
        }
    }
    a->first = i;
    return i < argc ? 0 : -1;
}

static int verb_ok(const char *v, int n)
{
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(verbs[i].name, v) == 0) {
            return n >= verbs[i].nargs;
        }
    }
    return 0;
}

/* Read a one-line secret file; caller frees with mtv_str_free_secret. */
static char *read_secret(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512] = "";
    char *s = NULL;

    if (f == NULL) {
        return NULL;
    }
    if (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        s = mtv_strdup(line);
    }
    explicit_bzero(line, sizeof(line));
    fclose(f);
    return s;
}

static int oauth_login(struct tool *t, const struct args *a,
                       const struct mtv_kube_config *cfg,
                       struct mtv_error *err)
{
    struct mtv_kube_oauth_options o;
    char *pass = read_secret(a->oauth[2]);
    int rc = 0;

    memset(&o, 0, sizeof(o));
    o.api_url = a->oauth[0];
    o.username = a->oauth[1];
    o.password = pass != NULL ? pass : "";
    o.ca_pem = cfg->ca_pem;
    o.insecure = cfg->insecure;
    rc = mtv_kube_client_oauth_login(t->c, &o, err);
    mtv_str_free_secret(pass);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a;
    struct tool t = {NULL, false};
    struct mtv_kube_config *cfg = NULL;
    struct mtv_kube_client_options o = MTV_KUBE_CLIENT_OPTIONS_INIT;
    struct mtv_error err;
    int rc = 0;

    mtv_error_clear(&err);
    if (parse_args(&a, argc, argv) != 0 ||
        !verb_ok(argv[a.first], argc - a.first - 1)) {
        fprintf(stderr, "usage: tool_kube [options] VERB ARGS (see source)\n");
        return 2;
    }
    t.stats = a.stats;
    rc = mtv_kube_config_load(&cfg, &a.co, &err);
    o.config = cfg;
    o.trace = a.trace;
    rc = rc == 0 ? mtv_kube_client_new(&t.c, &o, &err) : rc;
    if (rc == 0 && a.oauth[0] != NULL) {
        rc = oauth_login(&t, &a, cfg, &err);
    }
    if (rc == 0 && a.token_sa != NULL) {
        rc = mtv_kube_ensure_token(t.c, a.token_sa, &err);
    }
    if (rc == 0) {
        rc = dispatch(&t, argv[a.first], argv + a.first + 1,
                      argc - a.first - 1, &err);
    }
    if (t.c != NULL && t.stats) {
        print_stats(&t);
    }
    mtv_kube_client_free(t.c);
    mtv_kube_config_free(cfg);
    mtv_log_clear_secrets();
    return rc == 0 ? 0 : fail(rc, &err);
}
