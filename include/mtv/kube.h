/*
 * kube: a small Kubernetes/OpenShift REST client on http and json.
 *
 *   - configuration: kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config)
 *     or in-cluster service account; OpenShift OAuth login; TokenRequest
 *   - generic access on (group, version, resource, namespace, name,
 *     subresource): get, list (selectors, continue), create (generateName),
 *     replace, merge patch, JSON patch, delete (propagation), raw calls
 *   - a kind table (no discovery round trips), and a discover call
 *   - Status errors decoded into struct mtv_error
 *   - retries of transient failures (idempotent requests only, POST when
 *     provably not applied) with capped exponential backoff and jitter
 *   - watch: a feed-bytes / pop-events reader, resume from the last
 *     resourceVersion, relist on 410, bookmarks; wait_for on top of it
 *   - upgraded connections (port-forward) through the same transport
 *
 * Objects are struct mtv_json trees (json.h); no generated model.
 */
#ifndef MTV_KUBE_H
#define MTV_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtv/http.h"
#include "mtv/json.h"
#include "mtv/util.h"

/* ------------------------------------------------------------------ kinds */

/* One row of the kind table. group "" is the core group. */
struct mtv_kube_kind {
    const char *kind;     /* "Plan" */
    const char *group;    /* "forklift.konveyor.io" */
    const char *version;  /* "v1beta1" */
    const char *resource; /* "plans" */
    bool namespaced;
};

/*
 * Look a kind up by Kind ("Plan"), by resource plural ("plans") or by
 * "plural.group" ("plans.forklift.konveyor.io"). NULL when unknown.
 * Borrowed (static).
 */
const struct mtv_kube_kind *mtv_kube_kind_find(const char *name);

/* The whole table (count in *n). Borrowed (static). */
const struct mtv_kube_kind *mtv_kube_kinds(size_t *n);

/* "group/version", or "v1" for core, into out. Returns out. */
const char *mtv_kube_kind_api_version(const struct mtv_kube_kind *k,
                                      char *out, size_t size);

/* ------------------------------------------------------------- references */

/*
 * What a request addresses. Strings are borrowed.
 *   namespace: NULL for cluster-scoped resources (or all namespaces)
 *   name:      NULL for the collection
 *   subresource: NULL, "status", "log", "start", "stop", "portforward/22"
 */
struct mtv_kube_ref {
    const char *group;
    const char *version;
    const char *resource;
    const char *namespace;
    const char *name;
    const char *subresource;
};

/*
 * Fill *out from the kind table. MTV_EINVAL for an unknown kind, or a
 * namespaced kind without namespace when name is given.
 */
int mtv_kube_ref_for_kind(struct mtv_kube_ref *out, const char *kind,
                          const char *ns, const char *name,
                          struct mtv_error *err);

/* Append the API path of ref ("/apis/g/v/namespaces/ns/r/name/sub"). */
int mtv_kube_ref_path(struct mtv_buf *b, const struct mtv_kube_ref *ref);

/* ------------------------------------------------------------ configuration */

/*
 * A resolved cluster configuration. Secrets (token, key_pem) are wiped on
 * free and registered with mtv_log_add_secret when loaded.
 */
struct mtv_kube_config {
    char *source;    /* kubeconfig path, or "in-cluster" */
    char *context;   /* context name ("" in-cluster) */
    char *server;    /* "https://host:port", no trailing slash */
    char *namespace; /* context namespace, else "default" */
    char *user;      /* user entry name (for messages) */
    char *ca_pem;    /* certificate-authority(-data) read into memory */
    bool insecure;   /* insecure-skip-tls-verify */
    char *token;     /* bearer token (token or tokenFile), or NULL */
    char *cert_pem;  /* client-certificate(-data), or NULL */
    char *key_pem;   /* client-key(-data), or NULL */
};

/*
 * Where to look (strings borrowed, all optional):
 *   kubeconfig: --kubeconfig FILE (wins over everything)
 *   context:    --context NAME (else current-context)
 *   sa_dir:     service-account directory for in-cluster config (NULL =
 *               /var/run/secrets/kubernetes.io/serviceaccount), for tests
 */
struct mtv_kube_config_options {
    const char *kubeconfig;
    const char *context;
    const char *sa_dir;
};

/*
 * Resolve the configuration: --kubeconfig, else the first file of
 * $KUBECONFIG, else ~/.kube/config; when none of those exists and
 * KUBERNETES_SERVICE_HOST is set, the in-cluster service account.
 * Errors are MTV_ECONFIG with the file and the missing/bad field named
 * ("kubeconfig /x: context \"c\" not found"). *out must be NULL; caller
 * frees with mtv_kube_config_free.
 */
int mtv_kube_config_load(struct mtv_kube_config **out,
                         const struct mtv_kube_config_options *o,
                         struct mtv_error *err);

/* Free (NULL allowed), wiping secrets. */
void mtv_kube_config_free(struct mtv_kube_config *c);

/* --------------------------------------------------------------- client */

struct mtv_kube_client;

/*
 * Client options:
 *   config:     required; copied
 *   transport:  NULL = a libcurl client built from config (CA, cert/key,
 *               insecure); else borrowed (tests: the fake transport)
 *   max_attempts: total attempts for a retryable request (0 = 5)
 *   backoff_base_ms / backoff_cap_ms: 0 = 250 ms / 8 s
 *   timeout_ms: per request (0 = 60 s); waits use their own deadline
 *   trace:      --trace-http
 */
struct mtv_kube_client_options {
    const struct mtv_kube_config *config;
    const struct mtv_http_transport *transport;
    int max_attempts;
    int64_t backoff_base_ms;
    int64_t backoff_cap_ms;
    int64_t timeout_ms;
    bool trace;
};

#define MTV_KUBE_CLIENT_OPTIONS_INIT {NULL, NULL, 0, 0, 0, 0, false}

/* Create a client. *out must be NULL. Caller frees with _free. */
int mtv_kube_client_new(struct mtv_kube_client **out,
                        const struct mtv_kube_client_options *o,
                        struct mtv_error *err);

/* Free (NULL allowed), wiping the token. */
void mtv_kube_client_free(struct mtv_kube_client *c);

/* The API server URL. Borrowed. */
const char *mtv_kube_client_server(const struct mtv_kube_client *c);

/* The config the client was made from (its copy). Borrowed. */
const struct mtv_kube_config *
mtv_kube_client_config(const struct mtv_kube_client *c);

/*
 * The bearer token in use, or NULL (client-certificate auth). Borrowed;
 * a secret: never log it.
 */
const char *mtv_kube_client_token(const struct mtv_kube_client *c);

/* Use this bearer token from now on (copied, registered as a secret). */
int mtv_kube_client_set_token(struct mtv_kube_client *c, const char *token,
                              struct mtv_error *err);

/* The transport requests go through (for upgrades). Borrowed. */
const struct mtv_http_transport *
mtv_kube_client_transport(const struct mtv_kube_client *c);

/*
 * Counters: requests sent (including retries and watch requests) and the
 * bytes of request and response bodies. With the real transport, http
 * (headers included) is filled from the libcurl client too.
 */
struct mtv_kube_stats {
    uint64_t requests;
    uint64_t retries;
    uint64_t body_bytes_sent;
    uint64_t body_bytes_received;
    struct mtv_http_stats http; /* zero with an injected transport */
};

void mtv_kube_client_stats(const struct mtv_kube_client *c,
                           struct mtv_kube_stats *out);

/* ------------------------------------------------------------ auth extras */

/*
 * OpenShift OAuth "challenging client" login (reference §1.2): discovery
 * document, code flow with Basic auth (no redirects followed), token
 * exchange. api_url is the cluster API ("https://api.x:6443").
 * transport NULL = a libcurl client with ca_pem/insecure.
 * On success *token_out is the access token (registered as a secret);
 * caller frees with mtv_str_free_secret. A rejected password is MTV_EAUTH
 * carrying the server's message.
 */
struct mtv_kube_oauth_options {
    const char *api_url;
    const char *username;
    const char *password;
    const char *ca_pem;
    bool insecure;
    const struct mtv_http_transport *transport;
};

int mtv_kube_oauth_login(char **token_out,
                         const struct mtv_kube_oauth_options *o,
                         struct mtv_error *err);

/*
 * OAuth login (as mtv_kube_oauth_login) and use the token for c. The client
 * keeps a copy of the options (the password wiped on free; o->transport is
 * not kept) and, when a request later gets 401 (the token expired), logs in
 * again once and repeats the request.
 */
int mtv_kube_client_oauth_login(struct mtv_kube_client *c,
                                const struct mtv_kube_oauth_options *o,
                                struct mtv_error *err);

/*
 * Mint a token for service account ns/name through the TokenRequest API
 * (POST .../serviceaccounts/NAME/token). Caller frees *token_out with
 * mtv_str_free_secret.
 */
int mtv_kube_token_request(char **token_out, struct mtv_kube_client *c,
                           const char *ns, const char *name,
                           struct mtv_error *err);

/*
 * Make sure the client has a bearer token: nothing to do when it has one;
 * with a client-certificate config, mint one for `service_account`
 * ("NS/NAME", --token-service-account) and use it; without it fail with
 * MTV_ECONFIG (exit 2) explaining that a bearer token is needed.
 */
int mtv_kube_ensure_token(struct mtv_kube_client *c,
                          const char *service_account,
                          struct mtv_error *err);

/* ------------------------------------------------------------- operations */

/*
 * Every operation returns 0 or a negative enum mtv_err with err set:
 *   MTV_ENOTFOUND (404), MTV_EAUTH (401/403, with a hint naming the verb
 *   and resource), MTV_EREMOTE (other statuses; err->remote holds
 *   Status.message, for 422 followed by the field causes), MTV_EIO /
 *   MTV_ETIMEOUT (transport, after retries), MTV_EPROTO (bad JSON).
 * err->http_status carries the status; mtv_kube_error_is() tests the
 * Status reason. Returned trees: caller frees with mtv_json_free.
 */

/* Does err carry this Status reason ("AlreadyExists", "Conflict")? */
bool mtv_kube_error_is(const struct mtv_error *err, const char *reason);

/* GET one object. */
int mtv_kube_get(struct mtv_json **out, struct mtv_kube_client *c,
                 const struct mtv_kube_ref *ref, struct mtv_error *err);

/*
 * List options (all optional). limit > 0 pages with `continue`; the pages
 * are merged into one list whose metadata.resourceVersion is the last
 * page's.
 */
struct mtv_kube_list_options {
    const char *label_selector;
    const char *field_selector;
    long limit;
};

int mtv_kube_list(struct mtv_json **out, struct mtv_kube_client *c,
                  const struct mtv_kube_ref *ref,
                  const struct mtv_kube_list_options *o,
                  struct mtv_error *err);

/*
 * POST obj to the collection of ref (ref->name ignored; generateName is
 * honoured by the server). *out (may be NULL) gets the created object.
 * A create retried after a provably-unapplied failure that then meets 409
 * AlreadyExists reads the object back and returns it when its labels
 * match obj's.
 */
int mtv_kube_create(struct mtv_json **out, struct mtv_kube_client *c,
                    const struct mtv_kube_ref *ref,
                    const struct mtv_json *obj, struct mtv_error *err);

/* PUT obj (carry metadata.resourceVersion for optimistic locking). */
int mtv_kube_replace(struct mtv_json **out, struct mtv_kube_client *c,
                     const struct mtv_kube_ref *ref,
                     const struct mtv_json *obj, struct mtv_error *err);

/* PATCH application/merge-patch+json (RFC 7386). *out may be NULL. */
int mtv_kube_merge_patch(struct mtv_json **out, struct mtv_kube_client *c,
                         const struct mtv_kube_ref *ref,
                         const struct mtv_json *patch,
                         struct mtv_error *err);

/* PATCH application/json-patch+json (RFC 6902 array). *out may be NULL. */
int mtv_kube_json_patch(struct mtv_json **out, struct mtv_kube_client *c,
                        const struct mtv_kube_ref *ref,
                        const struct mtv_json *ops, struct mtv_error *err);

/*
 * DELETE with propagationPolicy ("Background", "Foreground", "Orphan";
 * NULL = server default). 404 is MTV_ENOTFOUND (callers that do not care
 * test for it). *out (may be NULL) gets the returned object or Status.
 */
int mtv_kube_delete(struct mtv_json **out, struct mtv_kube_client *c,
                    const struct mtv_kube_ref *ref, const char *propagation,
                    struct mtv_error *err);

/*
 * A raw call for subresources and anything else: method, ref (with
 * subresource), query ("a=b&c=d", already encoded, or NULL), body and its
 * content type (NULL = application/json). The response body (2xx) goes to
 * *out (may be NULL) as text; caller frees with free(). Non-2xx is an
 * error as above. Retried like any request of that method.
 */
struct mtv_kube_call {
    const char *method;
    const struct mtv_kube_ref *ref;
    const char *query;
    const char *body;
    const char *content_type;
};

int mtv_kube_call(char **out, struct mtv_kube_client *c,
                  const struct mtv_kube_call *call, struct mtv_error *err);

/*
 * Diagnostics: GET /version, /api and /apis; *out is
 * {"server": URL, "version": {...}, "groups": ["apps/v1", ...]}.
 */
int mtv_kube_discover(struct mtv_json **out, struct mtv_kube_client *c,
                      struct mtv_error *err);

/* ------------------------------------------------------------------ watch */

enum mtv_kube_event_type {
    MTV_KUBE_ADDED = 1,
    MTV_KUBE_MODIFIED,
    MTV_KUBE_DELETED,
    MTV_KUBE_BOOKMARK,
    MTV_KUBE_ERROR,
};

/* One watch event. object is owned by the event. */
struct mtv_kube_event {
    enum mtv_kube_event_type type;
    struct mtv_json *object;
    const char *resource_version; /* borrowed from object, may be NULL */
};

/* Free the event's object and clear it. */
void mtv_kube_event_dispose(struct mtv_kube_event *ev);

/*
 * The I/O-free watch stream reader (hiredis style): feed bytes as they
 * arrive, pop complete events. Events may straddle feeds; one feed may
 * hold many events. Lines over max_line (0 = 16 MiB) are MTV_EPROTO.
 */
struct mtv_kube_watch_reader;

int mtv_kube_watch_reader_new(struct mtv_kube_watch_reader **out,
                              size_t max_line, struct mtv_error *err);
void mtv_kube_watch_reader_free(struct mtv_kube_watch_reader *r);

/* Append bytes. MTV_EPROTO when a line grows over the cap. */
int mtv_kube_watch_reader_feed(struct mtv_kube_watch_reader *r,
                               const char *p, size_t n,
                               struct mtv_error *err);

/*
 * Pop the next complete event into *ev (which the caller disposes).
 * Returns 1 with an event, 0 when more bytes are needed, or MTV_EPROTO for
 * a line that is not a watch event.
 */
int mtv_kube_watch_reader_pop(struct mtv_kube_watch_reader *r,
                              struct mtv_kube_event *ev,
                              struct mtv_error *err);

/*
 * Watch a collection from resource_version, calling fn for every event
 * (bookmarks included). fn returns 0 to go on, 1 to stop (watch returns
 * 0), negative to fail (watch returns it). Dropped connections are resumed
 * from the last resourceVersion seen; on 410 (HTTP or ERROR event) the
 * watch returns MTV_EREMOTE with http_status 410 so the caller relists.
 * Returns MTV_ETIMEOUT at the deadline. *rv_inout (may hold NULL) is the
 * starting and, on return, the last seen resourceVersion (caller frees).
 */
typedef int (*mtv_kube_event_fn)(const struct mtv_kube_event *ev,
                                 void *payload);

struct mtv_kube_watch_options {
    const struct mtv_kube_ref *ref; /* collection (name ignored) */
    const char *label_selector;
    const char *field_selector;
    struct mtv_deadline deadline;
    mtv_kube_event_fn fn;
    void *payload;
};

int mtv_kube_watch(struct mtv_kube_client *c, char **rv_inout,
                   const struct mtv_kube_watch_options *o,
                   struct mtv_error *err);

/* --------------------------------------------------------------- wait_for */

/*
 * A predicate over the current object (NULL when it does not exist).
 * Returns 1 when satisfied, 0 to keep waiting, negative to give up (a
 * terminal state that can never satisfy it; the wait returns MTV_EREMOTE).
 */
typedef int (*mtv_kube_predicate_fn)(const struct mtv_json *obj,
                                     void *payload);

/* Built-in predicates. */
int mtv_kube_pred_exists(const struct mtv_json *obj, void *payload);
int mtv_kube_pred_gone(const struct mtv_json *obj, void *payload);

/* payload: struct mtv_kube_cond (status.conditions[type].status) */
struct mtv_kube_cond {
    const char *type;   /* "Ready" */
    const char *status; /* "True" */
};
int mtv_kube_pred_condition(const struct mtv_json *obj, void *payload);

/*
 * payload: struct mtv_kube_phase: status.phase == want; a phase listed in
 * `fail` (NULL-terminated, may be NULL) makes the wait fail at once.
 */
struct mtv_kube_phase {
    const char *want;
    const char *const *fail;
};
int mtv_kube_pred_phase(const struct mtv_json *obj, void *payload);

/*
 * What to wait for: kind (table) or ref, namespace/name, predicate,
 * deadline, and `what` ("be Ready", for messages).
 */
struct mtv_kube_wait {
    const char *kind;               /* or NULL and ref set */
    const struct mtv_kube_ref *ref; /* used when kind is NULL */
    const char *namespace;
    const char *name;
    mtv_kube_predicate_fn predicate;
    void *payload;
    struct mtv_deadline deadline;
    const char *what;
};

/*
 * Wait by watching (list with fieldSelector metadata.name, then watch from
 * the list's resourceVersion; resume after drops; relist on 410) until the
 * predicate holds. *out (may be NULL; must be NULL on entry) gets the last
 * object seen (NULL when absent); caller frees with mtv_json_free.
 * MTV_ETIMEOUT at the deadline, with the last state seen (phase and
 * conditions) in err->remote.
 */
int mtv_kube_wait_for(struct mtv_json **out, struct mtv_kube_client *c,
                      const struct mtv_kube_wait *w, struct mtv_error *err);

/*
 * One line describing an object's state for messages: "phase=Running
 * Ready=True(...) ...", or "absent". Appends to b.
 */
int mtv_kube_describe_state(struct mtv_buf *b, const struct mtv_json *obj);

/* ---------------------------------------------------------------- upgrade */

/*
 * Open an upgraded connection to ref's path (e.g. a KubeVirt portforward
 * subresource) with the client's auth, TLS and proxy settings, adding the
 * caller's headers (Upgrade, Connection, Sec-WebSocket-*). See
 * mtv_http_upgrade for *out and head. A non-101 answer is decoded like any
 * Status error.
 */
int mtv_kube_upgrade(struct mtv_http_stream **out, struct mtv_kube_client *c,
                     const struct mtv_kube_ref *ref,
                     const char *const *headers,
                     struct mtv_http_response *head, struct mtv_error *err);

#endif
