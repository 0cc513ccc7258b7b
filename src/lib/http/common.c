/* http: responses, stream wrappers, transport dispatch, URL escaping. */
#include "mtv/http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void mtv_http_response_init(struct mtv_http_response *r, size_t max_body)
{
    r->status = 0;
    r->fail = MTV_HTTP_FAIL_NONE;
    r->stopped = false;
    r->headers = (struct mtv_strv)MTV_STRV_INIT;
    mtv_buf_init(&r->body, max_body);
}

void mtv_http_response_dispose(struct mtv_http_response *r)
{
    if (r == NULL) {
        return;
    }
    mtv_strv_dispose(&r->headers);
    mtv_buf_dispose(&r->body);
    r->status = 0;
    r->fail = MTV_HTTP_FAIL_NONE;
}

void mtv_http_response_reset(struct mtv_http_response *r)
{
    mtv_strv_dispose(&r->headers);
    mtv_buf_reset(&r->body);
    r->status = 0;
    r->fail = MTV_HTTP_FAIL_NONE;
    r->stopped = false;
}

const char *mtv_http_response_header(const struct mtv_http_response *r,
                                     const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < r->headers.len; i++) {
        const char *line = r->headers.items[i];
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ' || *v == '\t') {
                v++;
            }
            return v;
        }
    }
    return NULL;
}

int mtv_http_response_add_header(struct mtv_http_response *r,
                                 const char *line, size_t len)
{
    char *copy = NULL;

    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
                       line[len - 1] == ' ' || line[len - 1] == '\t')) {
        len--;
    }
    if (len == 0) {
        return 0;
    }
    copy = mtv_strndup(line, len);
    if (copy == NULL) {
        return MTV_ENOMEM;
    }
    return mtv_strv_push_take(&r->headers, copy);
}

/* ---------------------------------------------------------------- streams */

int mtv_http_stream_send(struct mtv_http_stream *s, const void *p, size_t n,
                         const struct mtv_deadline *deadline,
                         struct mtv_error *err)
{
    return s->ops->send(s, p, n, deadline, err);
}

int mtv_http_stream_recv(struct mtv_http_stream *s, void *p, size_t cap,
                         size_t *got, const struct mtv_deadline *deadline,
                         struct mtv_error *err)
{
    return s->ops->recv(s, p, cap, got, deadline, err);
}

int mtv_http_stream_fd(struct mtv_http_stream *s)
{
    return s->ops->fd != NULL ? s->ops->fd(s) : -1;
}

size_t mtv_http_stream_pending(struct mtv_http_stream *s)
{
    return s->ops->pending != NULL ? s->ops->pending(s) : 0;
}

void mtv_http_stream_close(struct mtv_http_stream *s)
{
    if (s != NULL) {
        s->ops->close(s);
    }
}

/* -------------------------------------------------------------- transport */

int mtv_http_perform(const struct mtv_http_transport *t,
                     const struct mtv_http_request *req,
                     struct mtv_http_response *resp, struct mtv_error *err)
{
    if (t == NULL || t->perform == NULL || req == NULL || resp == NULL ||
        req->method == NULL || req->url == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "http",
                             "perform: missing transport, method or url");
    }
    return t->perform(t->self, req, resp, err);
}

int mtv_http_upgrade(const struct mtv_http_transport *t,
                     struct mtv_http_stream **out,
                     const struct mtv_http_request *req,
                     struct mtv_http_response *head, struct mtv_error *err)
{
    if (t == NULL || t->upgrade == NULL || out == NULL || *out != NULL ||
        req == NULL || req->url == NULL || head == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "http",
                             "upgrade: transport cannot upgrade or bad "
                             "arguments");
    }
    return t->upgrade(t->self, out, req, head, err);
}

/* ------------------------------------------------------------------- urls */

int mtv_http_buf_put_escaped(struct mtv_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
         p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
            *p == '~') {
            rc = mtv_buf_append(b, p, 1);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = mtv_buf_append(b, enc, 3);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int default_port(const char *url)
{
    return mtv_str_has_prefix(url, "http://") ? 80 : 443;
}

int mtv_http_url_host_port(const char *url, char **host_out, int *port_out,
                           struct mtv_error *err)
{
    const char *p = strstr(url, "://");
    const char *end = NULL;
    const char *colon = NULL;
    long port = 0;
    char *host = NULL;

    if (p == NULL || *host_out != NULL) {
        return mtv_error_set(err, MTV_EINVAL, "http", "bad URL '%s'", url);
    }
    p += 3;
    end = p + strcspn(p, "/?#");
    if (*p == '[') { /* IPv6 literal */
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (rb == NULL) {
            return mtv_error_set(err, MTV_EINVAL, "http", "bad URL '%s'",
                                 url);
        }
        host = mtv_strndup(p + 1, (size_t)(rb - p - 1));
        colon = rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        host = mtv_strndup(p, (size_t)((colon != NULL ? colon : end) - p));
    }
    if (host == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "http", "out of memory");
    }
    port = default_port(url);
    if (colon != NULL) {
        char *digits = mtv_strndup(colon + 1, (size_t)(end - colon - 1));
        int rc = digits != NULL ? mtv_str_to_long(digits, &port) : MTV_ENOMEM;
        free(digits);
        if (rc != 0 || port <= 0 || port > 65535) {
            free(host);
            return mtv_error_set(err, MTV_EINVAL, "http",
                                 "bad port in URL '%s'", url);
        }
    }
    *host_out = host;
    *port_out = (int)port;
    return 0;
}
