/* http: the libcurl client (one easy handle per client, reused). */
#include "http_priv.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_TIMEOUT_MS 60000

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ------------------------------------------------------------- callbacks */

static size_t on_header(char *p, size_t size, size_t n, void *payload)
{
    struct mtv_http_client *c = payload;
    size_t len = size * n;

    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* a new response head (after 100-continue or a proxy CONNECT) */
        mtv_strv_dispose(&c->cur->headers);
        return len;
    }
    if (mtv_http_response_add_header(c->cur, p, len) != 0) {
        return 0;
    }
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *payload)
{
    struct mtv_http_client *c = payload;
    const struct mtv_http_request *req = c->cur_req;
    size_t len = size * n;
    long status = 0;

    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    if (req->on_data != NULL && status >= 200 && status < 300) {
        if (req->on_data(p, len, req->on_data_payload) != 0) {
            c->cur->stopped = true;
            return 0;
        }
        return len;
    }
    if (mtv_buf_append(&c->cur->body, p, len) != 0) {
        c->over_cap = true;
        return 0;
    }
    return len;
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size,
                    void *payload)
{
    static const char *const tags[] = {"*", "<", ">", NULL, NULL, NULL, NULL};
    const char *end = data + size;

    (void)h;
    (void)payload;
    if ((size_t)type >= sizeof(tags) / sizeof(tags[0]) ||
        tags[type] == NULL) {
        return 0; /* bodies and TLS data are never logged */
    }
    /* one log line per header line; mtv_log redacts credentials */
    for (const char *p = data; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = NULL;
        while (n > 0 && p[n - 1] == '\r') {
            n--;
        }
        line = n > 0 ? mtv_strndup(p, n) : NULL;
        if (line != NULL) {
            mtv_log(MTV_LOG_TRACE, "http", "%s %s", tags[type], line);
            mtv_str_free_secret(line);
        }
        p = nl != NULL ? nl + 1 : end;
    }
    return 0;
}

/* ------------------------------------------------------------ base setup */

static int set_blob(CURL *h, CURLoption opt, const char *pem)
{
    struct curl_blob blob;

    blob.data = (void *)pem;
    blob.len = strlen(pem);
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(h, opt, &blob) == CURLE_OK ? 0 : MTV_EINVAL;
}

static int apply_tls(struct mtv_http_client *c, CURL *h)
{
    int rc = 0;
    long verify = c->opts.insecure ? 0L : 1L;

    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify * 2L);
    if (c->ca_pem != NULL) {
        rc = set_blob(h, CURLOPT_CAINFO_BLOB, c->ca_pem);
    }
    if (rc == 0 && c->cert_pem != NULL) {
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        rc = set_blob(h, CURLOPT_SSLCERT_BLOB, c->cert_pem);
    }
    if (rc == 0 && c->key_pem != NULL) {
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
        rc = set_blob(h, CURLOPT_SSLKEY_BLOB, c->key_pem);
    }
    return rc;
}

int http__apply_base(struct mtv_http_client *c, CURL *h)
{
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)c->opts.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->opts.no_env_proxy) {
        curl_easy_setopt(h, CURLOPT_PROXY, "");
    }
    if (c->opts.trace) {
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    }
    return apply_tls(c, h);
}

/* -------------------------------------------------------- create / free */

static int copy_opts(struct mtv_http_client *c,
                     const struct mtv_http_options *o)
{
    c->opts = *o;
    c->ca_pem = mtv_strdup(o->ca_pem);
    c->cert_pem = mtv_strdup(o->client_cert_pem);
    c->key_pem = mtv_strdup(o->client_key_pem);
    c->user_agent = o->user_agent != NULL
                        ? mtv_strdup(o->user_agent)
                        : mtv_strdup("mtvtest/" MTV_VERSION_STRING);
    if ((o->ca_pem != NULL && c->ca_pem == NULL) ||
        (o->client_cert_pem != NULL && c->cert_pem == NULL) ||
        (o->client_key_pem != NULL && c->key_pem == NULL) ||
        c->user_agent == NULL) {
        return MTV_ENOMEM;
    }
    c->opts.ca_pem = c->ca_pem;
    c->opts.client_cert_pem = c->cert_pem;
    c->opts.client_key_pem = c->key_pem;
    c->opts.user_agent = c->user_agent;
    if (c->opts.connect_timeout_ms <= 0) {
        c->opts.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    }
    if (c->opts.timeout_ms <= 0) {
        c->opts.timeout_ms = DEFAULT_TIMEOUT_MS;
    }
    return 0;
}

/*
 * Options of the handle that never change: set once, the handle is never
 * reset (so the connection, TLS session and cookie jar stay with it).
 */
static int setup_handle(struct mtv_http_client *c)
{
    CURL *h = c->easy;

    if (http__apply_base(c, h) != 0) {
        return MTV_EINVAL;
    }
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                     c->opts.http1_only ? (long)CURL_HTTP_VERSION_1_1
                                        : (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (c->opts.cookies) {
        /* "" turns the in-memory cookie engine on without reading a file */
        curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");
    }
    return 0;
}

int mtv_http_client_new(struct mtv_http_client **out,
                        const struct mtv_http_options *opts,
                        struct mtv_error *err)
{
    static const struct mtv_http_options defaults = MTV_HTTP_OPTIONS_INIT;
    struct mtv_http_client *c = NULL;
    int rc = 0;

    if (out == NULL || *out != NULL) {
        return mtv_error_set(err, MTV_EINVAL, "http", "client_new: bad out");
    }
    if ((opts != NULL) &&
        ((opts->client_cert_pem == NULL) != (opts->client_key_pem == NULL))) {
        return mtv_error_set(err, MTV_EINVAL, "http",
                             "client certificate and key must be given "
                             "together");
    }
    pthread_once(&global_once, global_init);
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "http", "out of memory");
    }
    rc = copy_opts(c, opts != NULL ? opts : &defaults);
    if (rc == 0) {
        c->easy = curl_easy_init();
        rc = c->easy != NULL ? 0 : MTV_ENOMEM;
    }
    if (rc == 0) {
        rc = setup_handle(c);
    }
    if (rc != 0) {
        mtv_http_client_free(c);
        return mtv_error_set(err, rc, "http", "cannot create HTTP client");
    }
    *out = c;
    return 0;
}

void mtv_http_client_free(struct mtv_http_client *c)
{
    if (c == NULL) {
        return;
    }
    if (c->easy != NULL) {
        curl_easy_cleanup(c->easy);
    }
    free(c->ca_pem);
    free(c->cert_pem);
    mtv_str_free_secret(c->key_pem);
    free(c->user_agent);
    free(c);
}

static int client_perform(void *self, const struct mtv_http_request *req,
                          struct mtv_http_response *resp,
                          struct mtv_error *err);

struct mtv_http_transport mtv_http_client_transport(struct mtv_http_client *c)
{
    struct mtv_http_transport t = {client_perform, c, http__upgrade};
    return t;
}

void mtv_http_client_stats(const struct mtv_http_client *c,
                           struct mtv_http_stats *out)
{
    *out = c->stats;
}

/* ---------------------------------------------------------------- perform */

int64_t http__effective_timeout(const struct mtv_http_client *c,
                                const struct mtv_http_request *req)
{
    int64_t t = req->timeout_ms > 0 ? req->timeout_ms : c->opts.timeout_ms;

    if (req->deadline.at_ms != 0) {
        int64_t left = mtv_deadline_remaining_ms(&req->deadline);
        if (left < t) {
            t = left;
        }
    }
    return t;
}

static int set_method(CURL *h, const struct mtv_http_request *req)
{
    /* back to a plain GET: clears NOBODY, POST data and a custom method
     * left by the previous request on this handle */
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL); /* this one sets POST */
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    if (strcmp(req->method, "GET") == 0 && req->body == NULL) {
        return 0;
    }
    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        return 0;
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->body != NULL || strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)req->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                         req->body != NULL ? req->body : "");
    }
    return 0;
}

static int build_headers(struct curl_slist **out,
                         const struct mtv_http_request *req)
{
    struct curl_slist *list = NULL;
    struct curl_slist *tmp = NULL;

    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL;
         i++) {
        tmp = curl_slist_append(list, req->headers[i]);
        if (tmp == NULL) {
            curl_slist_free_all(list);
            return MTV_ENOMEM;
        }
        list = tmp;
    }
    tmp = curl_slist_append(list, "Expect:");
    if (tmp == NULL) {
        curl_slist_free_all(list);
        return MTV_ENOMEM;
    }
    *out = tmp;
    return 0;
}

static int setup_request(struct mtv_http_client *c,
                         const struct mtv_http_request *req,
                         struct curl_slist *hdrs, int64_t timeout)
{
    CURL *h = c->easy;

    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout > 0 ? timeout : 1));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    return set_method(h, req);
}

/* Transport error kinds by curl code. */
struct curl_map {
    CURLcode cc;
    int code;
    int fail;
};

static const struct curl_map curl_map[] = {
    {CURLE_COULDNT_RESOLVE_HOST, MTV_EIO, MTV_HTTP_FAIL_CONNECT},
    {CURLE_COULDNT_RESOLVE_PROXY, MTV_EIO, MTV_HTTP_FAIL_CONNECT},
    {CURLE_COULDNT_CONNECT, MTV_EIO, MTV_HTTP_FAIL_CONNECT},
    {CURLE_SSL_CONNECT_ERROR, MTV_EIO, MTV_HTTP_FAIL_CONNECT},
    {CURLE_PEER_FAILED_VERIFICATION, MTV_EIO, MTV_HTTP_FAIL_CONNECT},
    {CURLE_SSL_CACERT_BADFILE, MTV_ECONFIG, MTV_HTTP_FAIL_OTHER},
    {CURLE_SSL_CERTPROBLEM, MTV_ECONFIG, MTV_HTTP_FAIL_OTHER},
    {CURLE_SSL_ISSUER_ERROR, MTV_EIO, MTV_HTTP_FAIL_CONNECT},
    {CURLE_SEND_ERROR, MTV_EIO, MTV_HTTP_FAIL_SEND},
    {CURLE_RECV_ERROR, MTV_EIO, MTV_HTTP_FAIL_RECV},
    {CURLE_GOT_NOTHING, MTV_EIO, MTV_HTTP_FAIL_RECV},
    {CURLE_PARTIAL_FILE, MTV_EIO, MTV_HTTP_FAIL_RECV},
    {CURLE_HTTP2, MTV_EIO, MTV_HTTP_FAIL_RECV},
    {CURLE_HTTP2_STREAM, MTV_EIO, MTV_HTTP_FAIL_RECV},
    {CURLE_URL_MALFORMAT, MTV_EINVAL, MTV_HTTP_FAIL_OTHER},
    {CURLE_UNSUPPORTED_PROTOCOL, MTV_EINVAL, MTV_HTTP_FAIL_OTHER},
    {CURLE_BAD_CONTENT_ENCODING, MTV_EPROTO, MTV_HTTP_FAIL_OTHER},
    {CURLE_WEIRD_SERVER_REPLY, MTV_EPROTO, MTV_HTTP_FAIL_RECV},
};

int http__map_curl_error(CURLcode cc, bool sent, int *fail)
{
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        *fail = sent ? MTV_HTTP_FAIL_RECV : MTV_HTTP_FAIL_CONNECT;
        return MTV_ETIMEOUT;
    }
    for (size_t i = 0; i < sizeof(curl_map) / sizeof(curl_map[0]); i++) {
        if (curl_map[i].cc == cc) {
            *fail = curl_map[i].fail;
            return curl_map[i].code;
        }
    }
    *fail = MTV_HTTP_FAIL_OTHER;
    return MTV_EIO;
}

static void update_stats(struct mtv_http_client *c)
{
    long conns = 0;
    long req_size = 0;
    long hdr_size = 0;
    curl_off_t up = 0;
    curl_off_t down = 0;

    curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &conns);
    curl_easy_getinfo(c->easy, CURLINFO_REQUEST_SIZE, &req_size);
    curl_easy_getinfo(c->easy, CURLINFO_HEADER_SIZE, &hdr_size);
    curl_easy_getinfo(c->easy, CURLINFO_SIZE_UPLOAD_T, &up);
    curl_easy_getinfo(c->easy, CURLINFO_SIZE_DOWNLOAD_T, &down);
    c->stats.requests++;
    c->stats.connects += (uint64_t)conns;
    c->stats.bytes_sent += (uint64_t)req_size + (uint64_t)up;
    c->stats.bytes_received += (uint64_t)hdr_size + (uint64_t)down;
}

static int finish(struct mtv_http_client *c, CURLcode cc,
                  const struct mtv_http_request *req,
                  struct mtv_http_response *resp, struct mtv_error *err,
                  const char *errbuf)
{
    curl_off_t pretransfer = 0;
    long status = 0;
    int rc = 0;

    update_stats(c);
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    resp->status = (int)status;
    if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && resp->stopped)) {
        return 0;
    }
    if (c->over_cap) {
        resp->fail = MTV_HTTP_FAIL_OTHER;
        return mtv_error_set(err, MTV_EPROTO, "http",
                             "%s %s: response body larger than the cap",
                             req->method, req->url);
    }
    curl_easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    rc = http__map_curl_error(cc, pretransfer > 0, &resp->fail);
    return mtv_error_set(err, rc, "http", "%s %s: %s", req->method, req->url,
                         errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
}

static int client_perform(void *self, const struct mtv_http_request *req,
                          struct mtv_http_response *resp,
                          struct mtv_error *err)
{
    struct mtv_http_client *c = self;
    struct curl_slist *hdrs = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    int64_t timeout = http__effective_timeout(c, req);
    CURLcode cc = CURLE_OK;
    int rc = 0;

    mtv_http_response_reset(resp);
    resp->body.max = req->body_max != 0 ? req->body_max : c->opts.body_max;
    if (req->deadline.at_ms != 0 && timeout <= 0) {
        resp->fail = MTV_HTTP_FAIL_CONNECT;
        return mtv_error_set(err, MTV_ETIMEOUT, "http",
                             "%s %s: deadline passed before the request",
                             req->method, req->url);
    }
    rc = build_headers(&hdrs, req);
    if (rc == 0) {
        rc = setup_request(c, req, hdrs, timeout);
    }
    if (rc != 0) {
        curl_slist_free_all(hdrs);
        resp->fail = MTV_HTTP_FAIL_OTHER;
        return mtv_error_set(err, rc, "http", "%s %s: cannot set up request",
                             req->method, req->url);
    }
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, errbuf);
    c->cur = resp;
    c->cur_req = req;
    c->over_cap = false;
    cc = curl_easy_perform(c->easy);
    rc = finish(c, cc, req, resp, err, errbuf);
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    c->cur = NULL;
    c->cur_req = NULL;
    return rc;
}

/* ---------------------------------------------------------------- cookies */

char *mtv_http_client_cookie(struct mtv_http_client *c, const char *name)
{
    struct curl_slist *list = NULL;
    char *value = NULL;

    if (curl_easy_getinfo(c->easy, CURLINFO_COOKIELIST, &list) != CURLE_OK) {
        return NULL;
    }
    for (struct curl_slist *l = list; l != NULL && value == NULL;
         l = l->next) {
        /* domain \t flag \t path \t secure \t expiry \t name \t value */
        const char *p = l->data;
        for (int field = 0; field < 5 && p != NULL; field++) {
            p = strchr(p, '\t');
            p = p != NULL ? p + 1 : NULL;
        }
        const char *tab = p != NULL ? strchr(p, '\t') : NULL;
        if (tab != NULL && (size_t)(tab - p) == strlen(name) &&
            strncmp(p, name, strlen(name)) == 0) {
            value = mtv_strdup(tab + 1);
        }
    }
    curl_slist_free_all(list);
    return value;
}
