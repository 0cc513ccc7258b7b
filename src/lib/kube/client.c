/* kube: the client, the request loop with retries, Status errors. */
#include "kube_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_ATTEMPTS 5
#define DEFAULT_BACKOFF_BASE_MS 250
#define DEFAULT_BACKOFF_CAP_MS 8000

/* --------------------------------------------------------- create / free */

static struct mtv_kube_config *config_dup(const struct mtv_kube_config *s)
{
    struct mtv_kube_config *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return NULL;
    }
    c->source = mtv_strdup(s->source);
    c->context = mtv_strdup(s->context);
    c->server = mtv_strdup(s->server);
    c->namespace = mtv_strdup(s->namespace);
    c->user = mtv_strdup(s->user);
    c->ca_pem = mtv_strdup(s->ca_pem);
    c->insecure = s->insecure;
    c->token = mtv_strdup(s->token);
    c->cert_pem = mtv_strdup(s->cert_pem);
    c->key_pem = mtv_strdup(s->key_pem);
    if (c->server == NULL || (s->token != NULL && c->token == NULL) ||
        (s->key_pem != NULL && c->key_pem == NULL)) {
        mtv_kube_config_free(c);
        return NULL;
    }
    return c;
}

static int make_http(struct mtv_kube_client *c,
                     const struct mtv_kube_client_options *o,
                     struct mtv_error *err)
{
    struct mtv_http_options ho = MTV_HTTP_OPTIONS_INIT;
    int rc = 0;

    if (o->transport != NULL) {
        c->transport = *o->transport;
        return 0;
    }
    ho.insecure = c->config->insecure;
    ho.ca_pem = c->config->ca_pem;
    ho.client_cert_pem = c->config->cert_pem;
    ho.client_key_pem = c->config->key_pem;
    ho.timeout_ms = c->timeout_ms;
    ho.trace = o->trace;
    rc = mtv_http_client_new(&c->http, &ho, err);
    if (rc != 0) {
        return rc;
    }
    c->transport = mtv_http_client_transport(c->http);
    return 0;
}

int mtv_kube_client_new(struct mtv_kube_client **out,
                        const struct mtv_kube_client_options *o,
                        struct mtv_error *err)
{
    struct mtv_kube_client *c = NULL;
    int rc = 0;

    if (out == NULL || *out != NULL || o == NULL || o->config == NULL ||
        o->config->server == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s",
                             "client_new: missing configuration");
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || (c->config = config_dup(o->config)) == NULL) {
        free(c);
        return mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    c->max_attempts = o->max_attempts > 0 ? o->max_attempts : DEFAULT_ATTEMPTS;
    c->backoff_base_ms = o->backoff_base_ms > 0 ? o->backoff_base_ms
                                                : DEFAULT_BACKOFF_BASE_MS;
    c->backoff_cap_ms = o->backoff_cap_ms > 0 ? o->backoff_cap_ms
                                              : DEFAULT_BACKOFF_CAP_MS;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
    rc = make_http(c, o, err);
    if (rc == 0 && c->config->token != NULL) {
        rc = mtv_kube_client_set_token(c, c->config->token, err);
    }
    if (rc != 0) {
        mtv_kube_client_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void mtv_kube_client_free(struct mtv_kube_client *c)
{
    if (c == NULL) {
        return;
    }
    mtv_http_client_free(c->http);
    mtv_kube_config_free(c->config);
    mtv_str_free_secret(c->auth_header);
    kube__oauth_options_free(c->relogin);
    free(c);
}

const char *mtv_kube_client_server(const struct mtv_kube_client *c)
{
    return c->config->server;
}

const struct mtv_kube_config *
mtv_kube_client_config(const struct mtv_kube_client *c)
{
    return c->config;
}

const char *mtv_kube_client_token(const struct mtv_kube_client *c)
{
    return c->config->token;
}

int mtv_kube_client_set_token(struct mtv_kube_client *c, const char *token,
                              struct mtv_error *err)
{
    char *copy = mtv_strdup(token);
    char *header = mtv_strdup_printf("Authorization: Bearer %s", token);

    if (copy == NULL || header == NULL) {
        mtv_str_free_secret(copy);
        mtv_str_free_secret(header);
        return mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    mtv_log_add_secret(token);
    if (c->config->token != copy) {
        mtv_str_free_secret(c->config->token);
    }
    c->config->token = copy;
    mtv_str_free_secret(c->auth_header);
    c->auth_header = header;
    return 0;
}

const struct mtv_http_transport *
mtv_kube_client_transport(const struct mtv_kube_client *c)
{
    return &c->transport;
}

void mtv_kube_client_stats(const struct mtv_kube_client *c,
                           struct mtv_kube_stats *out)
{
    *out = c->stats;
    if (c->http != NULL) {
        mtv_http_client_stats(c->http, &out->http);
    }
}

/* --------------------------------------------------------- status errors */

struct status_map {
    int status;
    int code;
    const char *hint_pre; /* hint = pre + what + post, or NULL */
    const char *hint_post;
};

static const struct status_map status_map[] = {
    {401, MTV_EAUTH, "hint: the cluster rejected the credentials for '",
     "' (expired or wrong token or certificate?)"},
    {403, MTV_EAUTH, "hint: the user is not allowed to ",
     " (check its RBAC roles)"},
    {404, MTV_ENOTFOUND, NULL, NULL},
};

static void put_causes(struct mtv_buf *b, const struct mtv_json *status)
{
    const struct mtv_json *causes = mtv_json_get(status, "details.causes");
    const char *sep = " (causes: ";

    for (const struct mtv_json *c = mtv_json_first(causes); c != NULL;
         c = mtv_json_next(c)) {
        mtv_buf_printf(b, "%s%s: %s", sep,
                       mtv_json_string_or(c, "field", "?"),
                       mtv_json_string_or(c, "message",
                                          mtv_json_string_or(c, "reason",
                                                             "")));
        sep = "; ";
    }
    if (strcmp(sep, "; ") == 0) {
        mtv_buf_puts(b, ")");
    }
}

int kube__status_error(const struct mtv_http_response *resp,
                       const char *method, const char *what,
                       struct mtv_error *err)
{
    struct mtv_json *st = NULL;
    struct mtv_buf remote = MTV_BUF_INIT;
    const struct status_map *m = NULL;
    const char *reason = NULL;
    int code = MTV_EREMOTE;

    (void)method;
    if (resp->body.len > 0 &&
        mtv_json_parse(&st, resp->body.data, resp->body.len, NULL, NULL) ==
            0 &&
        mtv_str_eq(mtv_json_string_or(st, "kind", NULL), "Status")) {
        reason = mtv_json_string_or(st, "reason", NULL);
        mtv_buf_puts(&remote, mtv_json_string_or(st, "message", ""));
        put_causes(&remote, st);
    } else if (resp->body.len > 0) {
        mtv_buf_printf(&remote, "%.200s", resp->body.data);
    }
    for (size_t i = 0; i < sizeof(status_map) / sizeof(status_map[0]); i++) {
        if (status_map[i].status == resp->status) {
            m = &status_map[i];
            code = m->code;
        }
    }
    mtv_error_set(err, code, "k8s", "%s: HTTP %d %s", what, resp->status,
                  reason != NULL ? reason : "");
    if (err != NULL && m != NULL && m->hint_pre != NULL) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, "; %s%s%s", m->hint_pre,
                 what, m->hint_post);
    }
    if (err != NULL) {
        err->http_status = resp->status;
        mtv_error_set_remote(err, remote.data != NULL ? remote.data : "");
    }
    mtv_buf_dispose(&remote);
    mtv_json_free(st);
    return code;
}

bool mtv_kube_error_is(const struct mtv_error *err, const char *reason)
{
    const char *p = NULL;
    size_t n = strlen(reason);

    if (err == NULL || err->http_status == 0) {
        return false;
    }
    p = strstr(err->msg, ": HTTP ");
    if (p == NULL) {
        return false;
    }
    p += 7;
    p += strspn(p, "0123456789");
    p += *p == ' ' ? 1 : 0;
    return strncmp(p, reason, n) == 0 &&
           (p[n] == '\0' || p[n] == ';' || p[n] == ' ');
}

/* ---------------------------------------------------------------- retries */

static bool body_has(const struct mtv_http_response *resp, const char *s)
{
    return resp->body.data != NULL && strstr(resp->body.data, s) != NULL;
}

bool mtv_kube__should_retry(const char *method, int rc,
                            const struct mtv_http_response *resp)
{
    bool post = strcmp(method, "POST") == 0;

    if (rc == 0 && resp->status == 500 && post) {
        /* rejected before anything was stored */
        return body_has(resp, "failed calling webhook") ||
               body_has(resp, "etcdserver: leader changed");
    }
    if (rc == 0 && resp->status == 403) {
        return body_has(resp, "context deadline exceeded");
    }
    if (rc == 0 && resp->status == 409 && strcmp(method, "PATCH") == 0) {
        return body_has(resp, "\"Conflict\"");
    }
    return mtv_http_retry_decide(method, rc, resp) == MTV_HTTP_RETRY;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------ the request */

static int build_headers(struct mtv_kube_client *c, const struct kube_req *r,
                         const char **h, size_t cap, char *ctype,
                         size_t ctype_size)
{
    size_t n = 0;

    h[n++] = "Accept: application/json";
    if (r->body != NULL) {
        snprintf(ctype, ctype_size, "Content-Type: %s",
                 r->content_type != NULL ? r->content_type
                                         : "application/json");
        h[n++] = ctype;
    }
    if (c->auth_header != NULL) {
        h[n++] = c->auth_header;
    }
    for (size_t i = 0; r->extra_headers != NULL &&
                       r->extra_headers[i] != NULL && n + 1 < cap;
         i++) {
        h[n++] = r->extra_headers[i];
    }
    h[n] = NULL;
    return 0;
}

/* Sleep before the next attempt; false when the deadline forbids it. */
static bool back_off(struct mtv_kube_client *c, const struct kube_req *r,
                     int attempt, const struct mtv_http_response *resp)
{
    int64_t delay = mtv_http_backoff_ms(attempt, c->backoff_base_ms,
                                        c->backoff_cap_ms, resp);

    if (r->deadline.at_ms != 0 &&
        delay >= mtv_deadline_remaining_ms(&r->deadline)) {
        return false;
    }
    mtv_log(MTV_LOG_DEBUG, "k8s", "%s: attempt %d failed (HTTP %d), retrying "
                                  "in %lld ms",
            r->what, attempt, resp->status, (long long)delay);
    sleep_ms(delay);
    c->stats.retries++;
    return true;
}

int kube__do(struct mtv_kube_client *c, const struct kube_req *r,
             struct mtv_http_response *resp, bool *retried,
             struct mtv_error *err)
{
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    const char *headers[16];
    char ctype[96];
    char *url = mtv_strdup_printf("%s%s", c->config->server, r->path);
    int max = r->no_retry ? 1 : c->max_attempts;
    bool relogged = false;
    int rc = 0;

    if (url == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    build_headers(c, r, headers, 16, ctype, sizeof(ctype));
    req.method = r->method;
    req.url = url;
    req.headers = headers;
    req.body = r->body;
    req.body_len = r->body != NULL ? strlen(r->body) : 0;
    req.deadline = r->deadline;
    req.timeout_ms = r->deadline.at_ms != 0 ? INT32_MAX : 0;
    req.on_data = r->on_data;
    req.on_data_payload = r->on_data_payload;
    for (int attempt = 1;; attempt++) {
        mtv_error_clear(err);
        rc = mtv_http_perform(&c->transport, &req, resp, err);
        c->stats.requests++;
        c->stats.body_bytes_sent += req.body_len;
        c->stats.body_bytes_received += resp->body.len;
        if (retried != NULL) {
            *retried = attempt > 1;
        }
        if (rc == 0 && resp->status == 401 && c->relogin != NULL &&
            !relogged) {
            relogged = true;
            if (kube__relogin(c, NULL) == 0) {
                /* the Authorization line changed: rebuild the headers */
                build_headers(c, r, headers, 16, ctype, sizeof(ctype));
                attempt--;
                continue;
            }
        }
        if ((rc == 0 && resp->status >= 200 && resp->status < 300) ||
            attempt >= max || !mtv_kube__should_retry(r->method, rc, resp) ||
            !back_off(c, r, attempt, resp)) {
            break;
        }
    }
    free(url);
    if (rc != 0) {
        mtv_error_prefix(err, "%s", r->what);
        return rc;
    }
    if (resp->status < 200 || resp->status >= 300) {
        return kube__status_error(resp, r->method, r->what, err);
    }
    return 0;
}

int kube__describe_ref(struct mtv_buf *b, const char *verb,
                       const struct mtv_kube_ref *ref)
{
    int rc = mtv_buf_printf(b, "%s %s%s%s", verb, ref->resource,
                            ref->group != NULL && ref->group[0] != '\0' ? "."
                                                                        : "",
                            ref->group != NULL ? ref->group : "");

    if (rc == 0 && ref->subresource != NULL) {
        rc = mtv_buf_printf(b, "/%s", ref->subresource);
    }
    if (rc == 0 && (ref->name != NULL || ref->namespace != NULL)) {
        rc = mtv_buf_printf(b, " %s%s%s",
                            ref->namespace != NULL ? ref->namespace : "",
                            ref->namespace != NULL && ref->name != NULL ? "/"
                                                                        : "",
                            ref->name != NULL ? ref->name : "");
    }
    return rc;
}
