/*
 * fake_http: a cmocka-driven struct mtv_http_transport for unit tests.
 *
 *   struct mtv_http_transport t = fake_http_transport();
 *   fake_http_expect("GET", "/api/v1/namespaces/x");        optional checks
 *   fake_http_expect_header("Authorization: Bearer abc");   on that request
 *   fake_http_will_respond(200, "Content-Type: application/json",
 *                          "{\"kind\":\"Namespace\"}");     queued response
 *   ... code under test performs through t ...
 *   fake_http_reset();          asserts every expectation was met, frees
 *
 * Responses are queued with cmocka's will_return on fake_http_perform (a
 * request with nothing queued fails the test). Expectations are matched in
 * order against the requests; requests beyond the expectations are not
 * checked. Every request is recorded for inspection.
 */
#ifndef MTV_FAKE_HTTP_H
#define MTV_FAKE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "mtv/http.h"
#include "mtv/util.h"

/* A recorded request (copies). path is the URL without scheme://host. */
struct fake_http_record {
    char *method;
    char *url;
    char *path;
    struct mtv_strv headers;
    char *body;
};

/* The fake transport (perform and upgrade). */
struct mtv_http_transport fake_http_transport(void);

/* The perform function (will_return target). */
int fake_http_perform(void *self, const struct mtv_http_request *req,
                      struct mtv_http_response *resp, struct mtv_error *err);

/*
 * Queue a response: status, header lines separated by '\n' (NULL = none),
 * body (NULL = empty).
 */
void fake_http_will_respond(int status, const char *headers, const char *body);

/* Queue a response whose body is the file tests/data/<relpath>. */
void fake_http_will_respond_file(int status, const char *headers,
                                 const char *relpath);

/* Queue a transport failure: perform returns rc with resp->fail = fail. */
void fake_http_will_fail(int rc, int fail);

/*
 * Queue a 2xx response whose body is delivered (to a streaming on_data
 * request) and then the connection fails with rc / fail (a dropped watch).
 */
void fake_http_will_stream_then_fail(int status, const char *headers,
                                     const char *body, int rc, int fail);

/*
 * Streaming requests (req->on_data) get the body in pieces of n bytes
 * (0 = all at once, the default; reset by fake_http_reset).
 */
void fake_http_set_chunk_size(size_t n);

/*
 * Queue an upgrade result (for mtv_http_upgrade through the fake): status
 * (101 for success), header lines, and the bytes the stream will yield
 * before EOF. Bytes sent on the stream are recorded
 * (fake_http_stream_sent()).
 */
void fake_http_will_upgrade(int status, const char *headers,
                            const void *server_bytes, size_t n);

/* Everything sent on the last fake stream (borrowed, until reset). */
const struct mtv_buf *fake_http_stream_sent(void);

/*
 * Expect the next unchecked request to have this method and path (with
 * query; NULL = any).
 */
void fake_http_expect(const char *method, const char *path);
/* Add to the last expectation: this exact header line must be present. */
void fake_http_expect_header(const char *line);
/* Add to the last expectation: the body must contain s. */
void fake_http_expect_body_contains(const char *s);

/* Number of requests performed since the last reset. */
size_t fake_http_count(void);
/* Request i (0-based). Borrowed, valid until reset. */
const struct fake_http_record *fake_http_record(size_t i);
/* Header value of request i by name, or NULL. Borrowed. */
const char *fake_http_record_header(size_t i, const char *name);

/* Assert all expectations were used, then free records and state. */
void fake_http_reset(void);

/* Read tests/data/<relpath> into a new string. Caller frees. */
char *fake_http_read_data(const char *relpath);

#endif
