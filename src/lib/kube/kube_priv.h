/* kube: private declarations (also used by the unit tests). */
#ifndef MTV_KUBE_PRIV_H
#define MTV_KUBE_PRIV_H

#include "mtv/kube.h"

struct mtv_kube_client {
    struct mtv_kube_config *config;  /* owned copy */
    struct mtv_http_client *http;    /* owned, NULL with injected transport */
    struct mtv_http_transport transport;
    char *auth_header;               /* "Authorization: Bearer ..." secret */
    int max_attempts;
    int64_t backoff_base_ms;
    int64_t backoff_cap_ms;
    int64_t timeout_ms;
    struct mtv_kube_stats stats;
    struct mtv_kube_oauth_options *relogin; /* owned copy, or NULL */
    const struct mtv_http_transport *relogin_transport; /* tests only */
};

/* Log in again with c->relogin (after a 401). MTV_EAUTH when not set. */
int kube__relogin(struct mtv_kube_client *c, struct mtv_error *err);

/* Free an owned copy of OAuth options (wipes the password). */
void kube__oauth_options_free(struct mtv_kube_oauth_options *o);

/* One request to the API server (path relative to the server URL). */
struct kube_req {
    const char *method;
    const char *path;         /* "/api/v1/namespaces?x=y", encoded */
    const char *body;         /* NULL for none */
    const char *content_type; /* NULL = application/json */
    const char *what;         /* "create plans.forklift.konveyor.io ns/x" */
    struct mtv_deadline deadline; /* at_ms 0 = none */
    mtv_http_data_fn on_data; /* streaming (watch) */
    void *on_data_payload;
    bool no_retry;            /* the caller handles retries (watch) */
    const char *const *extra_headers; /* NULL-terminated, or NULL */
};

/*
 * Perform with retries; then check the status: 2xx → 0; else the Status
 * is decoded into err. resp is filled either way. `retried` (may be NULL)
 * tells whether more than one attempt was made.
 */
int kube__do(struct mtv_kube_client *c, const struct kube_req *r,
             struct mtv_http_response *resp, bool *retried,
             struct mtv_error *err);

/* Decode a non-2xx response into err (never allocates beyond parsing). */
int kube__status_error(const struct mtv_http_response *resp,
                       const char *method, const char *what,
                       struct mtv_error *err);

/*
 * The retry decision for the Kubernetes API: the http table plus the
 * reference's transient messages (webhook failures, "etcdserver: leader
 * changed" for POST; 403 "context deadline exceeded"; 409 Conflict on a
 * PATCH without resourceVersion).
 */
bool mtv_kube__should_retry(const char *method, int rc,
                            const struct mtv_http_response *resp);

/* "verb resource ns/name" for messages. Appends to b. */
int kube__describe_ref(struct mtv_buf *b, const char *verb,
                       const struct mtv_kube_ref *ref);

/* Build a config from kubeconfig text (tests). */
int mtv_kube__config_parse(struct mtv_kube_config **out, const char *text,
                           const char *source, const char *context,
                           struct mtv_error *err);

/* Base64 encode n bytes to a new string. Caller frees. */
char *kube__base64(const void *p, size_t n);
/* Base64 decode (standard alphabet, padding optional). */
int kube__base64_decode(struct mtv_buf *out, const char *s);

#endif
