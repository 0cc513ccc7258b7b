/*
 * http: the one HTTP transport of mtvtest (the only user of libcurl).
 *
 * Everything above this module (soap, kube, the inventory client, the
 * port-forward) talks to a `struct mtv_http_transport`: a perform function
 * and its self pointer. The real implementation is a libcurl client
 * (`mtv_http_client_new`): one easy handle per client, reused (keep-alive),
 * TLS verification on by default, CA / client certificate / key from
 * memory, mandatory connect and total timeouts, proxies from the usual
 * environment variables, an in-memory cookie jar. Tests swap in the fake
 * transport from tests/support/fake_http.h.
 *
 * A transport returns 0 whenever an HTTP response was received, whatever
 * its status: the caller decides what a status means. A negative return is
 * a transport failure (connect, TLS, reset, timeout, body over its cap);
 * resp->fail then says how far the request got, which is what a retry
 * decision needs (see mtv_http_retry_decide).
 *
 * Upgraded connections: mtv_http_upgrade() opens an HTTP/1.1 request with
 * the caller's `Upgrade:` headers over the same TLS/CA/proxy settings and
 * hands the connection out as a byte stream (`struct mtv_http_stream`).
 * WebSocket framing lives in ws.h, above this.
 */
#ifndef MTV_HTTP_H
#define MTV_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtv/util.h"

/* ---------------------------------------------------------------- request */

/*
 * One request. Everything is borrowed for the duration of the call.
 *   method:   "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"
 *   url:      absolute ("https://host:port/path?query"), already
 *             percent-encoded (see mtv_http_buf_put_escaped)
 *   headers:  NULL-terminated array of "Name: value" lines, or NULL.
 *             A line "Name:" (empty value) removes a default header.
 *   body:     request body (body_len bytes) or NULL
 *   timeout_ms: total time for this request; 0 = the client's default.
 *   deadline: an absolute bound; the effective timeout is the smaller of
 *             the two. Zero-initialised (at_ms == 0) means none.
 *   no_redirect: do not follow redirects (the OAuth flow reads Location).
 *             Redirects are never followed by default either; the flag is
 *             kept for clarity at call sites.
 *   body_max: cap for the response body; 0 = the client's default (64 MiB)
 *   on_data:  streaming (watch): when set and the status is 2xx, body bytes
 *             are passed to on_data as they arrive instead of being kept in
 *             resp->body (non-2xx bodies are still collected). Returning
 *             non-zero stops the transfer: perform then returns 0 with
 *             resp->stopped set.
 */
typedef int (*mtv_http_data_fn)(const char *p, size_t n, void *payload);

struct mtv_http_request {
    const char *method;
    const char *url;
    const char *const *headers;
    const char *body;
    size_t body_len;
    int64_t timeout_ms;
    struct mtv_deadline deadline;
    bool no_redirect;
    size_t body_max;
    mtv_http_data_fn on_data;
    void *on_data_payload;
};

#define MTV_HTTP_REQUEST_INIT                                                 \
    {NULL, NULL, NULL, NULL, 0, 0, {0}, false, 0, NULL, NULL}

/* --------------------------------------------------------------- response */

/* How far a failed request got (resp->fail), for retry decisions. */
enum mtv_http_fail {
    MTV_HTTP_FAIL_NONE = 0,    /* a response was received (rc == 0) */
    MTV_HTTP_FAIL_CONNECT = 1, /* never reached the server: DNS, refused,
                                  connect timeout, TLS handshake/verify.
                                  The request was provably not applied. */
    MTV_HTTP_FAIL_SEND = 2,    /* failed while sending: maybe applied */
    MTV_HTTP_FAIL_RECV = 3,    /* sent, then reset/EOF/timeout while waiting
                                  for or reading the response: maybe
                                  applied */
    MTV_HTTP_FAIL_OTHER = 4,   /* local problem (cap exceeded, ENOMEM, bad
                                  URL): not retryable */
};

/*
 * A response. Init before use, dispose after; a response can be reused for
 * several requests (perform resets it).
 *   status:  HTTP status of the final response (0 when none)
 *   headers: "Name: value" lines of the final response (no status line,
 *            no CRLF)
 *   body:    the body, captured for every status, capped (MTV_EPROTO when
 *            the cap is exceeded)
 *   fail:    enum mtv_http_fail, set on transport failure
 *   stopped: the request's on_data callback stopped the transfer
 */
struct mtv_http_response {
    int status;
    struct mtv_strv headers;
    struct mtv_buf body;
    int fail;
    bool stopped;
};

/* Initialise an empty response (body cap `max_body`, 0 = 64 MiB). */
void mtv_http_response_init(struct mtv_http_response *r, size_t max_body);

/* Free the insides (headers and body). */
void mtv_http_response_dispose(struct mtv_http_response *r);

/* Empty the response for reuse (keeps the body cap). */
void mtv_http_response_reset(struct mtv_http_response *r);

/*
 * Value of the first header named `name` (case-insensitive), leading and
 * trailing blanks stripped, or NULL. Borrowed from r (valid until r is
 * reset or disposed).
 */
const char *mtv_http_response_header(const struct mtv_http_response *r,
                                     const char *name);

/* Append a "Name: value" header line to r (used by transports). */
int mtv_http_response_add_header(struct mtv_http_response *r,
                                 const char *line, size_t len);

/* ---------------------------------------------------------------- streams */

/*
 * A bidirectional byte stream (an upgraded HTTP connection, or a fake).
 * Implementations fill the ops; users call the mtv_http_stream_* wrappers.
 */
struct mtv_http_stream;

struct mtv_http_stream_ops {
    /* Send all n bytes before the deadline. */
    int (*send)(struct mtv_http_stream *s, const void *p, size_t n,
                const struct mtv_deadline *deadline, struct mtv_error *err);
    /*
     * Receive up to cap bytes; waits until at least one byte is available
     * or the deadline passes (MTV_ETIMEOUT). *got == 0 with return 0 means
     * orderly end of stream.
     */
    int (*recv)(struct mtv_http_stream *s, void *p, size_t cap, size_t *got,
                const struct mtv_deadline *deadline, struct mtv_error *err);
    /* The socket to poll for readability, or -1. */
    int (*fd)(struct mtv_http_stream *s);
    /* Bytes already buffered in user space (readable without polling). */
    size_t (*pending)(struct mtv_http_stream *s);
    /* Close and free the stream. */
    void (*close)(struct mtv_http_stream *s);
};

struct mtv_http_stream {
    const struct mtv_http_stream_ops *ops;
    void *self;
};

/* Wrappers over the ops (s must not be NULL except for _close). */
int mtv_http_stream_send(struct mtv_http_stream *s, const void *p, size_t n,
                         const struct mtv_deadline *deadline,
                         struct mtv_error *err);
int mtv_http_stream_recv(struct mtv_http_stream *s, void *p, size_t cap,
                         size_t *got, const struct mtv_deadline *deadline,
                         struct mtv_error *err);
/* Socket fd for poll(POLLIN), or -1. Check _pending() before polling. */
int mtv_http_stream_fd(struct mtv_http_stream *s);
/* Bytes buffered in user space that recv returns without blocking. */
size_t mtv_http_stream_pending(struct mtv_http_stream *s);
/* Close and free (NULL allowed). */
void mtv_http_stream_close(struct mtv_http_stream *s);

/* -------------------------------------------------------------- transport */

/*
 * Perform one request. Returns 0 when a response was received (any status;
 * resp filled), else a negative enum mtv_err with err set and resp->fail
 * saying how far the request got: MTV_EIO (connect/TLS/reset),
 * MTV_ETIMEOUT, MTV_EPROTO (body over cap, malformed response).
 */
typedef int (*mtv_http_perform_fn)(void *self,
                                   const struct mtv_http_request *req,
                                   struct mtv_http_response *resp,
                                   struct mtv_error *err);

/*
 * Open an upgraded connection: send `req` (method GET, the caller's
 * Upgrade/Connection/Sec-WebSocket-* and Authorization headers) over
 * HTTP/1.1 and read the response head. On 101 sets *out to the stream and
 * returns 0; head gets the status and headers. Any bytes the server sent
 * after the head are NOT lost: the stream's first recv calls return them
 * (mtv_http_stream_pending() counts them). On any other status reads the
 * body into head->body (for the Status message), sets err (MTV_EREMOTE,
 * http_status) and returns MTV_EREMOTE. Caller closes *out with
 * mtv_http_stream_close.
 */
typedef int (*mtv_http_upgrade_fn)(void *self, struct mtv_http_stream **out,
                                   const struct mtv_http_request *req,
                                   struct mtv_http_response *head,
                                   struct mtv_error *err);

struct mtv_http_transport {
    mtv_http_perform_fn perform;
    void *self;
    mtv_http_upgrade_fn upgrade; /* NULL when the transport cannot */
};

/* t->perform(t->self, ...) with argument checks. */
int mtv_http_perform(const struct mtv_http_transport *t,
                     const struct mtv_http_request *req,
                     struct mtv_http_response *resp, struct mtv_error *err);

/* t->upgrade(...); MTV_EINVAL when the transport has no upgrade. */
int mtv_http_upgrade(const struct mtv_http_transport *t,
                     struct mtv_http_stream **out,
                     const struct mtv_http_request *req,
                     struct mtv_http_response *head, struct mtv_error *err);

/* ------------------------------------------------------------ real client */

/*
 * Options of the libcurl client. Strings are copied by mtv_http_client_new.
 *   insecure:        skip TLS peer and host verification (off by default)
 *   ca_pem:          trust these CA certificates (PEM text) instead of the
 *                    system store; NULL = system store
 *   client_cert_pem, client_key_pem: client TLS authentication from memory
 *   connect_timeout_ms: 0 = 10 s
 *   timeout_ms:      default total time per request; 0 = 60 s
 *   body_max:        default response body cap; 0 = 64 MiB
 *   cookies:         keep an in-memory cookie jar (vSphere's
 *                    vmware_soap_session)
 *   no_env_proxy:    ignore HTTPS_PROXY/HTTP_PROXY/NO_PROXY (honoured by
 *                    default)
 *   http1_only:      never negotiate HTTP/2 (default: h2 when offered
 *                    over TLS)
 *   user_agent:      NULL = "mtvtest/<version>"
 *   trace:           log every request/response line at MTV_LOG_TRACE
 *                    (redacted), --trace-http
 */
struct mtv_http_options {
    bool insecure;
    const char *ca_pem;
    const char *client_cert_pem;
    const char *client_key_pem;
    int64_t connect_timeout_ms;
    int64_t timeout_ms;
    size_t body_max;
    bool cookies;
    bool no_env_proxy;
    bool http1_only;
    const char *user_agent;
    bool trace;
};

#define MTV_HTTP_OPTIONS_INIT                                                 \
    {false, NULL, NULL, NULL, 0, 0, 0, false, false, false, NULL, false}

struct mtv_http_client;

/*
 * Create a client. *out must be NULL. MTV_EINVAL on bad options,
 * MTV_ENOMEM. Caller frees with mtv_http_client_free. Secrets in opts
 * (the key) are copied and wiped on free. One thread at a time.
 */
int mtv_http_client_new(struct mtv_http_client **out,
                        const struct mtv_http_options *opts,
                        struct mtv_error *err);

/* Free (NULL allowed): closes the connection, wipes key and cookies. */
void mtv_http_client_free(struct mtv_http_client *c);

/* The client as a transport (perform and upgrade). Borrows c. */
struct mtv_http_transport mtv_http_client_transport(struct mtv_http_client *c);

/* Counters since the client was created. */
struct mtv_http_stats {
    uint64_t requests;       /* performed requests (incl. failed) */
    uint64_t connects;       /* new TCP/TLS connections opened */
    uint64_t bytes_sent;     /* request bytes incl. headers */
    uint64_t bytes_received; /* response bytes incl. headers */
};

/* Copy the counters into *out. */
void mtv_http_client_stats(const struct mtv_http_client *c,
                           struct mtv_http_stats *out);

/*
 * Value of a cookie in the client's jar for any domain, or NULL.
 * Caller frees with mtv_str_free_secret.
 */
char *mtv_http_client_cookie(struct mtv_http_client *c, const char *name);

/* ----------------------------------------------------- server certificates */

/*
 * Connect with TLS to host:port (no verification), and return the chain
 * the server presents as concatenated PEM blocks, leaf first.
 * *out must be NULL; caller frees with free(). MTV_EIO when unreachable,
 * MTV_ETIMEOUT, MTV_EPROTO when no certificate is presented.
 */
int mtv_http_fetch_cert_chain(char **out, const char *host, int port,
                              int64_t timeout_ms, struct mtv_error *err);

/*
 * SHA-1 fingerprint of the first certificate in `pem`, as upper-case hex
 * pairs separated by ':' ("AB:CD:..."), into out (at least 60 bytes).
 * MTV_EINVAL when pem holds no certificate.
 */
int mtv_http_cert_sha1_fingerprint(const char *pem, char *out, size_t size,
                                   struct mtv_error *err);

/* ------------------------------------------------------------------- urls */

/*
 * Append s percent-encoded (everything but ALPHA / DIGIT / "-._~") to b.
 * For path segments and query values.
 */
int mtv_http_buf_put_escaped(struct mtv_buf *b, const char *s);

/* Split "https://host:port/path" into parts (copies). Caller frees each. */
int mtv_http_url_host_port(const char *url, char **host_out, int *port_out,
                           struct mtv_error *err);

/* ----------------------------------------------------------------- retries */

enum mtv_http_retry {
    MTV_HTTP_NO_RETRY = 0,
    MTV_HTTP_RETRY = 1,
};

/*
 * The retry decision table: should a request with `method` that ended with
 * rc (0 or negative) and resp (status, fail, Retry-After) be retried?
 *   - idempotent methods (GET, HEAD, PUT, DELETE, PATCH): retried on
 *     429, 500, 502, 503, 504 and on transport failures (connect, send,
 *     recv, timeout)
 *   - POST: retried only when provably not applied: FAIL_CONNECT, or 429
 *     and 503 (rejected before processing)
 *   - never: other statuses, FAIL_OTHER, MTV_EPROTO
 * Does not look at attempt counts; see mtv_http_backoff_ms.
 */
enum mtv_http_retry mtv_http_retry_decide(const char *method, int rc,
                                          const struct mtv_http_response *resp);

/*
 * Delay before retry number `attempt` (1 = first retry): capped
 * exponential backoff base*2^(attempt-1), at most cap_ms, with full jitter
 * in [delay/2, delay]; a Retry-After header (seconds) in resp, when
 * present, sets a floor (still capped at 60 s). resp may be NULL.
 */
int64_t mtv_http_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms,
                            const struct mtv_http_response *resp);

#endif
