/*
 * http: upgraded connections (HTTP/1.1 Upgrade over CURLOPT_CONNECT_ONLY)
 * handed out as a byte stream.
 */
#include "http_priv.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_BUF 65536

struct curl_stream {
    struct mtv_http_stream base;
    CURL *easy;
    curl_socket_t fd;
    char *buf; /* bytes received but not yet returned */
    size_t off;
    size_t len;
    bool eof; /* the peer closed: no more reads from the connection */
};

static int wait_fd(curl_socket_t fd, short events,
                   const struct mtv_deadline *dl, struct mtv_error *err)
{
    struct pollfd pfd = {fd, events, 0};
    int64_t left = dl != NULL ? mtv_deadline_remaining_ms(dl) : -1;
    int n = 0;

    if (dl != NULL && dl->at_ms != INT64_MAX && left <= 0) {
        return mtv_error_set(err, MTV_ETIMEOUT, "http",
                             "stream: deadline passed");
    }
    n = poll(&pfd, 1, dl == NULL || dl->at_ms == INT64_MAX
                          ? -1
                          : (int)(left > 2000000000 ? 2000000000 : left));
    if (n == 0) {
        return mtv_error_set(err, MTV_ETIMEOUT, "http",
                             "stream: deadline passed");
    }
    return 0; /* n < 0 (EINTR): let the caller retry the I/O */
}

static int cs_send(struct mtv_http_stream *s, const void *p, size_t n,
                   const struct mtv_deadline *dl, struct mtv_error *err)
{
    struct curl_stream *cs = s->self;
    const char *q = p;

    while (n > 0) {
        size_t sent = 0;
        CURLcode cc = curl_easy_send(cs->easy, q, n, &sent);
        if (cc == CURLE_AGAIN) {
            int rc = wait_fd(cs->fd, POLLOUT, dl, err);
            if (rc != 0) {
                return rc;
            }
            continue;
        }
        if (cc != CURLE_OK) {
            return mtv_error_set(err, MTV_EIO, "http", "stream send: %s",
                                 curl_easy_strerror(cc));
        }
        q += sent;
        n -= sent;
    }
    return 0;
}

/*
 * Read everything the TLS layer can give without blocking into cs->buf
 * (so nothing stays hidden from poll). Returns 1 on EOF, 0 otherwise.
 */
static int cs_fill(struct curl_stream *cs, struct mtv_error *err)
{
    if (cs->off == cs->len) {
        cs->off = 0;
        cs->len = 0;
    }
    if (cs->eof) {
        return 1;
    }
    while (cs->len < STREAM_BUF) {
        size_t got = 0;
        CURLcode cc = curl_easy_recv(cs->easy, cs->buf + cs->len,
                                     STREAM_BUF - cs->len, &got);
        if (cc == CURLE_AGAIN) {
            return 0;
        }
        if (cc != CURLE_OK) {
            return mtv_error_set(err, MTV_EIO, "http", "stream recv: %s",
                                 curl_easy_strerror(cc));
        }
        if (got == 0) {
            cs->eof = true; /* bytes read before it are still in buf */
            return 1;
        }
        cs->len += got;
    }
    return 0;
}

static int cs_recv(struct mtv_http_stream *s, void *p, size_t cap,
                   size_t *got, const struct mtv_deadline *dl,
                   struct mtv_error *err)
{
    struct curl_stream *cs = s->self;
    int rc = 0;

    *got = 0;
    while (cs->off == cs->len) {
        rc = cs_fill(cs, err);
        if (rc < 0) {
            return rc;
        }
        if (cs->off < cs->len) {
            break;
        }
        if (rc == 1) {
            return 0; /* EOF */
        }
        rc = wait_fd(cs->fd, POLLIN, dl, err);
        if (rc != 0) {
            return rc;
        }
    }
    *got = cs->len - cs->off < cap ? cs->len - cs->off : cap;
    memcpy(p, cs->buf + cs->off, *got);
    cs->off += *got;
    return 0;
}

static int cs_fd(struct mtv_http_stream *s)
{
    return (int)((struct curl_stream *)s->self)->fd;
}

static size_t cs_pending(struct mtv_http_stream *s)
{
    struct curl_stream *cs = s->self;
    return cs->len - cs->off;
}

static void cs_close(struct mtv_http_stream *s)
{
    struct curl_stream *cs = s->self;

    if (cs->easy != NULL) {
        curl_easy_cleanup(cs->easy);
    }
    free(cs->buf);
    free(cs);
}

static const struct mtv_http_stream_ops cs_ops = {
    cs_send, cs_recv, cs_fd, cs_pending, cs_close,
};

/* ------------------------------------------------------------- handshake */

static int build_head(struct mtv_buf *b, const struct mtv_http_request *req)
{
    const char *p = strstr(req->url, "://");
    const char *path = NULL;
    int rc = 0;

    if (p == NULL) {
        return MTV_EINVAL;
    }
    p += 3;
    path = p + strcspn(p, "/?");
    rc = mtv_buf_printf(b, "%s %s%s HTTP/1.1\r\nHost: %.*s\r\n",
                        req->method != NULL ? req->method : "GET",
                        *path == '/' ? "" : "/", path, (int)(path - p), p);
    for (size_t i = 0; rc == 0 && req->headers != NULL &&
                       req->headers[i] != NULL;
         i++) {
        rc = mtv_buf_printf(b, "%s\r\n", req->headers[i]);
    }
    return rc == 0 ? mtv_buf_puts(b, "\r\n") : rc;
}

static int connect_only(struct mtv_http_client *c, struct curl_stream *cs,
                        const struct mtv_http_request *req,
                        struct mtv_error *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    int64_t timeout = http__effective_timeout(c, req);
    CURLcode cc = CURLE_OK;
    int fail = 0;
    int rc = 0;

    if (http__apply_base(c, cs->easy) != 0) {
        return mtv_error_set(err, MTV_EINVAL, "http", "upgrade: bad TLS "
                                                      "options");
    }
    curl_easy_setopt(cs->easy, CURLOPT_URL, req->url);
    curl_easy_setopt(cs->easy, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(cs->easy, CURLOPT_HTTP_VERSION,
                     (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(cs->easy, CURLOPT_SSL_ENABLE_ALPN, 0L);
    curl_easy_setopt(cs->easy, CURLOPT_TIMEOUT_MS,
                     (long)(timeout > 0 ? timeout : 1));
    curl_easy_setopt(cs->easy, CURLOPT_ERRORBUFFER, errbuf);
    cc = curl_easy_perform(cs->easy);
    curl_easy_setopt(cs->easy, CURLOPT_ERRORBUFFER, NULL);
    c->stats.connects++;
    if (cc != CURLE_OK) {
        rc = http__map_curl_error(cc, false, &fail);
        return mtv_error_set(err, rc, "http", "upgrade %s: %s", req->url,
                             errbuf[0] != '\0' ? errbuf
                                               : curl_easy_strerror(cc));
    }
    cc = curl_easy_getinfo(cs->easy, CURLINFO_ACTIVESOCKET, &cs->fd);
    if (cc != CURLE_OK || cs->fd == CURL_SOCKET_BAD) {
        return mtv_error_set(err, MTV_EIO, "http", "upgrade %s: no socket",
                             req->url);
    }
    return 0;
}

/* Parse "HTTP/1.1 101 ...\r\nName: v\r\n...\r\n\r\n" into head. */
static int parse_head(const char *text, size_t len,
                      struct mtv_http_response *head, struct mtv_error *err)
{
    const char *end = text + len;
    const char *eol = memchr(text, '\n', len);
    long status = 0;
    char code[4] = "";

    if (eol == NULL || len < 12 || strncmp(text, "HTTP/1.", 7) != 0) {
        return mtv_error_set(err, MTV_EPROTO, "http",
                             "upgrade: malformed response status line");
    }
    memcpy(code, text + 9, 3);
    if (mtv_str_to_long(code, &status) != 0) {
        return mtv_error_set(err, MTV_EPROTO, "http",
                             "upgrade: malformed response status");
    }
    head->status = (int)status;
    for (const char *p = eol + 1; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (mtv_http_response_add_header(head, p, n) != 0) {
            return mtv_error_set(err, MTV_ENOMEM, "http", "out of memory");
        }
        p += n + 1;
    }
    return 0;
}

/* Read until the blank line; leftover bytes stay in cs->buf. */
static int read_head(struct curl_stream *cs, struct mtv_http_response *head,
                     const struct mtv_deadline *dl, struct mtv_error *err)
{
    char *sep = NULL;
    int rc = 0;

    for (;;) {
        sep = cs->len > 0 ? memmem(cs->buf, cs->len, "\r\n\r\n", 4) : NULL;
        if (sep != NULL) {
            break;
        }
        if (cs->len >= STREAM_BUF) {
            return mtv_error_set(err, MTV_EPROTO, "http",
                                 "upgrade: response head too large");
        }
        rc = cs_fill(cs, err);
        if (rc < 0) {
            return rc;
        }
        if (memmem(cs->buf, cs->len, "\r\n\r\n", 4) != NULL) {
            continue; /* complete, even if the peer closed right after */
        }
        if (rc == 1) {
            return mtv_error_set(err, MTV_EIO, "http",
                                 "upgrade: connection closed before the "
                                 "response");
        }
        rc = wait_fd(cs->fd, POLLIN, dl, err);
        if (rc != 0) {
            return rc;
        }
    }
    rc = parse_head(cs->buf, (size_t)(sep - cs->buf) + 2, head, err);
    cs->off = (size_t)(sep - cs->buf) + 4;
    return rc;
}

/* Non-101: read the body (up to Content-Length or EOF) for the message. */
static void read_error_body(struct curl_stream *cs,
                            struct mtv_http_response *head,
                            const struct mtv_deadline *dl)
{
    const char *cl = mtv_http_response_header(head, "Content-Length");
    long want = -1;
    char chunk[4096];
    size_t got = 0;

    if (cl != NULL && mtv_str_to_long(cl, &want) != 0) {
        want = -1;
    }
    while (want < 0 || head->body.len < (size_t)want) {
        struct mtv_error ignored;
        if (cs_recv(&cs->base, chunk, sizeof(chunk), &got, dl, &ignored) !=
                0 ||
            got == 0 || mtv_buf_append(&head->body, chunk, got) != 0) {
            break;
        }
    }
}

static int upgrade_status(struct curl_stream *cs,
                          const struct mtv_http_request *req,
                          struct mtv_http_response *head,
                          const struct mtv_deadline *dl,
                          struct mtv_error *err)
{
    if (head->status == 101) {
        return 0;
    }
    read_error_body(cs, head, dl);
    mtv_error_set(err, MTV_EREMOTE, "http", "upgrade %s: HTTP %d", req->url,
                  head->status);
    if (err != NULL) {
        err->http_status = head->status;
    }
    return MTV_EREMOTE;
}

int http__upgrade(void *self, struct mtv_http_stream **out,
                  const struct mtv_http_request *req,
                  struct mtv_http_response *head, struct mtv_error *err)
{
    struct mtv_http_client *c = self;
    struct curl_stream *cs = calloc(1, sizeof(*cs));
    struct mtv_buf text = MTV_BUF_INIT;
    struct mtv_deadline dl = mtv_deadline_in(http__effective_timeout(c, req));
    int rc = 0;

    mtv_http_response_reset(head);
    if (cs != NULL) {
        cs->base.ops = &cs_ops;
        cs->base.self = cs;
        cs->fd = CURL_SOCKET_BAD;
    }
    if (cs == NULL || (cs->buf = malloc(STREAM_BUF)) == NULL ||
        (cs->easy = curl_easy_init()) == NULL) {
        rc = mtv_error_set(err, MTV_ENOMEM, "http", "out of memory");
        goto out;
    }
    rc = build_head(&text, req);
    if (rc != 0) {
        rc = mtv_error_set(err, rc, "http", "upgrade: bad URL '%s'",
                           req->url);
        goto out;
    }
    rc = connect_only(c, cs, req, err);
    if (rc == 0) {
        rc = cs_send(&cs->base, text.data, text.len, &dl, err);
    }
    if (rc == 0) {
        rc = read_head(cs, head, &dl, err);
    }
    if (rc == 0) {
        rc = upgrade_status(cs, req, head, &dl, err);
    }
    c->stats.requests++;
    c->stats.bytes_sent += text.len;
out:
    mtv_buf_dispose_secret(&text); /* holds the Authorization header */
    if (rc != 0 && cs != NULL) {
        cs_close(&cs->base);
        cs = NULL;
    }
    if (cs != NULL) {
        *out = &cs->base;
    }
    return rc;
}
