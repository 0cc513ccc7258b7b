/* fake_http: cmocka-driven fake transport (see fake_http.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fake_reply {
    int status;
    char *headers;
    char *body;
    size_t body_len;
    int rc;
    int fail;
    bool upgrade;
};

struct fake_expect {
    char *method;
    char *path;
    struct mtv_strv headers;
    struct mtv_strv body_parts;
};

static struct fake_http_record *records;
static size_t nrecords;
static struct fake_expect *expects;
static size_t nexpects;
static size_t next_expect;
static struct mtv_buf stream_sent = MTV_BUF_INIT;
static size_t chunk_size;

void fake_http_set_chunk_size(size_t n)
{
    chunk_size = n;
}

/* ------------------------------------------------------------- queueing */

static struct fake_reply *reply_new(int status, const char *headers)
{
    struct fake_reply *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    r->status = status;
    r->headers = mtv_strdup(headers);
    return r;
}

void fake_http_will_respond(int status, const char *headers, const char *body)
{
    struct fake_reply *r = reply_new(status, headers);

    r->body = mtv_strdup(body != NULL ? body : "");
    r->body_len = strlen(r->body);
    will_return(fake_http_perform, r);
}

char *fake_http_read_data(const char *relpath)
{
    char *path = mtv_strdup_printf("%s/%s", MTV_TEST_DATA_DIR, relpath);
    FILE *f = fopen(path, "rb");
    struct mtv_buf b = MTV_BUF_INIT;
    char chunk[4096];
    size_t n = 0;

    if (f == NULL) {
        fail_msg("cannot open test data %s", path);
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        assert_int_equal(mtv_buf_append(&b, chunk, n), 0);
    }
    fclose(f);
    free(path);
    return mtv_buf_detach(&b);
}

void fake_http_will_respond_file(int status, const char *headers,
                                 const char *relpath)
{
    struct fake_reply *r = reply_new(status, headers);

    r->body = fake_http_read_data(relpath);
    r->body_len = strlen(r->body);
    will_return(fake_http_perform, r);
}

void fake_http_will_fail(int rc, int fail)
{
    struct fake_reply *r = reply_new(0, NULL);

    r->rc = rc;
    r->fail = fail;
    will_return(fake_http_perform, r);
}

void fake_http_will_upgrade(int status, const char *headers,
                            const void *server_bytes, size_t n)
{
    struct fake_reply *r = reply_new(status, headers);

    r->body = malloc(n + 1);
    assert_non_null(r->body);
    if (n > 0) {
        memcpy(r->body, server_bytes, n);
    }
    r->body[n] = '\0';
    r->body_len = n;
    r->upgrade = true;
    will_return(fake_http_perform, r);
}

void fake_http_will_stream_then_fail(int status, const char *headers,
                                     const char *body, int rc, int fail)
{
    struct fake_reply *r = reply_new(status, headers);

    r->body = mtv_strdup(body != NULL ? body : "");
    r->body_len = strlen(r->body);
    r->rc = rc;
    r->fail = fail;
    will_return(fake_http_perform, r);
}

static void reply_free(struct fake_reply *r)
{
    free(r->headers);
    free(r->body);
    free(r);
}

/* ---------------------------------------------------------- expectations */

void fake_http_expect(const char *method, const char *path)
{
    struct fake_expect *e = NULL;

    expects = realloc(expects, (nexpects + 1) * sizeof(*expects));
    assert_non_null(expects);
    e = &expects[nexpects++];
    memset(e, 0, sizeof(*e));
    e->method = mtv_strdup(method);
    e->path = mtv_strdup(path);
}

void fake_http_expect_header(const char *line)
{
    assert_true(nexpects > 0);
    mtv_strv_push(&expects[nexpects - 1].headers, line);
}

void fake_http_expect_body_contains(const char *s)
{
    assert_true(nexpects > 0);
    mtv_strv_push(&expects[nexpects - 1].body_parts, s);
}

static const char *url_path(const char *url)
{
    const char *p = strstr(url, "://");

    if (p == NULL) {
        return url;
    }
    p += 3;
    p += strcspn(p, "/?");
    return *p != '\0' ? p : "/";
}

static bool has_header(const struct mtv_http_request *req, const char *line)
{
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL;
         i++) {
        if (strcmp(req->headers[i], line) == 0) {
            return true;
        }
    }
    return false;
}

static void check_expect(const struct mtv_http_request *req)
{
    const struct fake_expect *e = NULL;

    if (next_expect >= nexpects) {
        return;
    }
    e = &expects[next_expect++];
    if (e->method != NULL) {
        assert_string_equal(req->method, e->method);
    }
    if (e->path != NULL) {
        assert_string_equal(url_path(req->url), e->path);
    }
    for (size_t i = 0; i < e->headers.len; i++) {
        if (!has_header(req, e->headers.items[i])) {
            fail_msg("request %s %s lacks header '%s'", req->method,
                     req->url, e->headers.items[i]);
        }
    }
    for (size_t i = 0; i < e->body_parts.len; i++) {
        if (req->body == NULL ||
            strstr(req->body, e->body_parts.items[i]) == NULL) {
            fail_msg("request body lacks '%s': %s", e->body_parts.items[i],
                     req->body != NULL ? req->body : "(none)");
        }
    }
}

/* -------------------------------------------------------------- records */

static void record(const struct mtv_http_request *req)
{
    struct fake_http_record *r = NULL;

    records = realloc(records, (nrecords + 1) * sizeof(*records));
    assert_non_null(records);
    r = &records[nrecords++];
    memset(r, 0, sizeof(*r));
    r->method = mtv_strdup(req->method);
    r->url = mtv_strdup(req->url);
    r->path = mtv_strdup(url_path(req->url));
    r->body = req->body != NULL ? mtv_strndup(req->body, req->body_len)
                                : NULL;
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL;
         i++) {
        mtv_strv_push(&r->headers, req->headers[i]);
    }
}

size_t fake_http_count(void)
{
    return nrecords;
}

const struct fake_http_record *fake_http_record(size_t i)
{
    assert_true(i < nrecords);
    return &records[i];
}

const char *fake_http_record_header(size_t i, const char *name)
{
    const struct fake_http_record *r = fake_http_record(i);
    size_t n = strlen(name);

    for (size_t k = 0; k < r->headers.len; k++) {
        const char *line = r->headers.items[k];
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            return line[n + 1] == ' ' ? line + n + 2 : line + n + 1;
        }
    }
    return NULL;
}

void fake_http_reset(void)
{
    size_t unmet = nexpects - next_expect;

    for (size_t i = 0; i < nrecords; i++) {
        free(records[i].method);
        free(records[i].url);
        free(records[i].path);
        free(records[i].body);
        mtv_strv_dispose(&records[i].headers);
    }
    free(records);
    records = NULL;
    nrecords = 0;
    for (size_t i = 0; i < nexpects; i++) {
        free(expects[i].method);
        free(expects[i].path);
        mtv_strv_dispose(&expects[i].headers);
        mtv_strv_dispose(&expects[i].body_parts);
    }
    free(expects);
    expects = NULL;
    nexpects = 0;
    next_expect = 0;
    mtv_buf_dispose(&stream_sent);
    chunk_size = 0;
    assert_int_equal(unmet, 0);
}

/* ------------------------------------------------------------- perform */

static void fill_response(const struct fake_reply *r,
                          struct mtv_http_response *resp)
{
    resp->status = r->status;
    for (const char *p = r->headers; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, "\n");
        assert_int_equal(mtv_http_response_add_header(resp, p, n), 0);
        p += n;
        p += *p == '\n' ? 1 : 0;
    }
}

/* Deliver the body to on_data in chunks; true when the callee stopped. */
static bool stream_body(const struct fake_reply *r,
                        const struct mtv_http_request *req)
{
    size_t step = chunk_size != 0 ? chunk_size : r->body_len;

    for (size_t off = 0; off < r->body_len; off += step) {
        size_t n = r->body_len - off < step ? r->body_len - off : step;
        if (req->on_data(r->body + off, n, req->on_data_payload) != 0) {
            return true;
        }
    }
    return false;
}

static int fake_fail(struct fake_reply *r, const struct mtv_http_request *req,
                     struct mtv_http_response *resp, struct mtv_error *err)
{
    int rc = 0;

    resp->fail = r->fail;
    rc = mtv_error_set(err, r->rc, "http", "%s %s: fake transport failure",
                       req->method, req->url);
    reply_free(r);
    return rc;
}

int fake_http_perform(void *self, const struct mtv_http_request *req,
                      struct mtv_http_response *resp, struct mtv_error *err)
{
    struct fake_reply *r = NULL;
    int rc = 0;

    (void)self;
    record(req);
    check_expect(req);
    r = mock_ptr_type(struct fake_reply *);
    mtv_http_response_reset(resp);
    if (req->on_data != NULL && r->status >= 200 && r->status < 300) {
        fill_response(r, resp);
        resp->stopped = stream_body(r, req);
        if (r->rc != 0 && !resp->stopped) {
            return fake_fail(r, req, resp, err);
        }
        reply_free(r);
        return 0;
    }
    if (r->rc != 0) {
        resp->fail = r->fail;
        rc = mtv_error_set(err, r->rc, "http", "%s %s: fake transport "
                                               "failure",
                           req->method, req->url);
        reply_free(r);
        return rc;
    }
    fill_response(r, resp);
    rc = mtv_buf_append(&resp->body, r->body, r->body_len);
    reply_free(r);
    if (rc != 0) {
        resp->fail = MTV_HTTP_FAIL_OTHER;
        return mtv_error_set(err, rc, "http", "body over cap");
    }
    return 0;
}

/* --------------------------------------------------------- fake streams */

struct fake_stream {
    struct mtv_http_stream base;
    char *data;
    size_t len;
    size_t off;
};

static int fs_send(struct mtv_http_stream *s, const void *p, size_t n,
                   const struct mtv_deadline *dl, struct mtv_error *err)
{
    (void)s;
    (void)dl;
    (void)err;
    return mtv_buf_append(&stream_sent, p, n);
}

static int fs_recv(struct mtv_http_stream *s, void *p, size_t cap,
                   size_t *got, const struct mtv_deadline *dl,
                   struct mtv_error *err)
{
    struct fake_stream *fs = s->self;

    (void)dl;
    (void)err;
    *got = fs->len - fs->off < cap ? fs->len - fs->off : cap;
    memcpy(p, fs->data + fs->off, *got);
    fs->off += *got;
    return 0;
}

static size_t fs_pending(struct mtv_http_stream *s)
{
    struct fake_stream *fs = s->self;
    return fs->len - fs->off;
}

static int fs_fd(struct mtv_http_stream *s)
{
    (void)s;
    return -1;
}

static void fs_close(struct mtv_http_stream *s)
{
    struct fake_stream *fs = s->self;
    free(fs->data);
    free(fs);
}

static const struct mtv_http_stream_ops fs_ops = {
    fs_send, fs_recv, fs_fd, fs_pending, fs_close,
};

const struct mtv_buf *fake_http_stream_sent(void)
{
    return &stream_sent;
}

static int fake_http_upgrade(void *self, struct mtv_http_stream **out,
                             const struct mtv_http_request *req,
                             struct mtv_http_response *head,
                             struct mtv_error *err)
{
    struct fake_reply *r = NULL;
    struct fake_stream *fs = NULL;

    (void)self;
    record(req);
    check_expect(req);
    /* replies are queued on fake_http_perform for both calls */
    r = (struct fake_reply *)(uintptr_t)_mock("fake_http_perform", __FILE__,
                                              __LINE__);
    mtv_http_response_reset(head);
    fill_response(r, head);
    if (r->status != 101) {
        mtv_buf_append(&head->body, r->body, r->body_len);
        mtv_error_set(err, MTV_EREMOTE, "http", "upgrade %s: HTTP %d",
                      req->url, r->status);
        if (err != NULL) {
            err->http_status = r->status;
        }
        reply_free(r);
        return MTV_EREMOTE;
    }
    fs = calloc(1, sizeof(*fs));
    assert_non_null(fs);
    fs->base.ops = &fs_ops;
    fs->base.self = fs;
    fs->data = r->body;
    fs->len = r->body_len;
    r->body = NULL;
    reply_free(r);
    mtv_buf_reset(&stream_sent);
    *out = &fs->base;
    return 0;
}

struct mtv_http_transport fake_http_transport(void)
{
    struct mtv_http_transport t = {fake_http_perform, NULL,
                                   fake_http_upgrade};
    return t;
}
