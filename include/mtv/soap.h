/*
 * soap: vSphere SOAP (vim25) envelopes, escaping, one call function and
 * fault decoding. The only user of libxml2; nothing of it leaks here.
 *
 * Shape (after libvirt's esx_vi.c): a request body is built into a
 * struct mtv_buf with the mtv_soap_put_* helpers, mtv_soap_call() wraps it
 * in an envelope, POSTs it, accepts HTTP 200 and 500 only, turns a
 * soapenv:Fault into a struct mtv_error (faultstring in err->remote, the
 * fault type in err->msg and in mtv_soap_client_last_fault()) and checks
 * the number of <returnval> elements centrally.
 *
 * Responses are read through struct mtv_soap_node, an opaque borrowed view
 * of one XML element, valid until its mtv_soap_response is freed.
 */
#ifndef MTV_SOAP_H
#define MTV_SOAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtv/http.h"
#include "mtv/util.h"

struct mtv_soap_client;
struct mtv_soap_response;
struct mtv_soap_node;

/* How many <returnval> elements a method's response must carry. */
enum mtv_soap_card {
    MTV_SOAP_NONE = 0,     /* exactly 0 */
    MTV_SOAP_REQUIRED = 1, /* exactly 1 */
    MTV_SOAP_OPTIONAL = 2, /* 0 or 1 */
    MTV_SOAP_LIST = 3,     /* any number */
};

struct mtv_soap_options {
    const char *url;           /* https://host:port/sdk */
    const char *api_version;   /* SOAPAction "urn:vim25/<v>"; NULL: 7.0 */
    struct mtv_http_transport *transport; /* borrowed; must outlive */
    size_t max_response;       /* 0: MTV_BUF_DEFAULT_MAX */
    int64_t timeout_ms;        /* per call; 0: 120000 */
};

/*
 * Create a client. Copies the url. *out must be NULL. Caller frees with
 * mtv_soap_client_free. Returns 0 or MTV_EINVAL / MTV_ENOMEM.
 */
int mtv_soap_client_new(struct mtv_soap_client **out,
                        const struct mtv_soap_options *opts,
                        struct mtv_error *err);

/* Free a client (NULL allowed); the cookie is wiped. */
void mtv_soap_client_free(struct mtv_soap_client *c);

/*
 * The session cookie value sent as "vmware_soap_session" (NULL clears).
 * The client also picks it up from every response's Set-Cookie.
 */
int mtv_soap_client_set_cookie(struct mtv_soap_client *c, const char *value);
/* Borrowed; NULL when there is none. */
const char *mtv_soap_client_cookie(const struct mtv_soap_client *c);

/* Number of HTTP round trips made so far. */
uint64_t mtv_soap_client_round_trips(const struct mtv_soap_client *c);

/*
 * The fault type of the last failed call ("NotAuthenticated",
 * "InvalidLogin", ...), "" when the last call did not fault. Borrowed.
 */
const char *mtv_soap_client_last_fault(const struct mtv_soap_client *c);

/*
 * Call `method` with `body` (the method element's children, already built
 * with the put helpers). On success *out holds the parsed response whose
 * returnval count matched `card`. Caller frees *out with
 * mtv_soap_response_free. out may be NULL for MTV_SOAP_NONE.
 *
 * Errors: MTV_EIO (transport), MTV_EPROTO (not 200/500, not XML, too
 * large, wrong cardinality), and for faults the code of the fault table:
 * MTV_EAUTH (NotAuthenticated, InvalidLogin, NoPermission),
 * MTV_ENOTFOUND (ManagedObjectNotFound), MTV_EINVAL (InvalidArgument,
 * InvalidName...), MTV_EREMOTE (others); err->remote is the faultstring.
 */
int mtv_soap_call(struct mtv_soap_response **out, struct mtv_soap_client *c,
                  const char *method, const struct mtv_buf *body,
                  enum mtv_soap_card card, struct mtv_error *err);

/* Free a response (NULL allowed). */
void mtv_soap_response_free(struct mtv_soap_response *r);

/* The first <returnval>, NULL when there is none. Borrowed. */
const struct mtv_soap_node *
mtv_soap_response_value(const struct mtv_soap_response *r);

/* Number of <returnval> elements. */
size_t mtv_soap_response_count(const struct mtv_soap_response *r);

/* ------------------------------------------------------------ building */

/* <tag>escaped text</tag>. */
int mtv_soap_put_text(struct mtv_buf *b, const char *tag, const char *text);
/* <tag>value</tag> for integers and booleans. */
int mtv_soap_put_long(struct mtv_buf *b, const char *tag, long long v);
int mtv_soap_put_bool(struct mtv_buf *b, const char *tag, bool v);
/* <tag type="TYPE">VALUE</tag>: a managed object reference. */
int mtv_soap_put_moref(struct mtv_buf *b, const char *tag, const char *type,
                       const char *value);
/* <tag> / <tag xsi:type="TYPE"> and </tag>; TYPE may be NULL. */
int mtv_soap_open(struct mtv_buf *b, const char *tag, const char *xsi_type);
int mtv_soap_close(struct mtv_buf *b, const char *tag);

/*
 * Re-emit a response element (and its subtree) as request XML, named
 * as_name (NULL: its own name), keeping xsi:type and moref type
 * attributes with this module's prefixes. For echoing a device back.
 */
int mtv_soap_put_node(struct mtv_buf *b, const struct mtv_soap_node *n,
                      const char *as_name);

/*
 * The full envelope for `method` around `body` (exposed for tests and
 * the trace log). Appends to out.
 */
int mtv_soap_build_envelope(struct mtv_buf *out, const char *method,
                            const struct mtv_buf *body);

/* -------------------------------------------------------------- reading */

/* Local name of the element. Borrowed. */
const char *mtv_soap_node_name(const struct mtv_soap_node *n);
/* The xsi:type attribute (prefix stripped), or NULL. Borrowed. */
const char *mtv_soap_node_type(const struct mtv_soap_node *n);
/* The "type" attribute of a moref element, or NULL. Borrowed. */
const char *mtv_soap_node_attr(const struct mtv_soap_node *n,
                               const char *name);
/* Text content, "" when empty. Borrowed (cached in the response). */
const char *mtv_soap_node_text(const struct mtv_soap_node *n);
/* First child element, optionally with local name `name`. Borrowed. */
const struct mtv_soap_node *mtv_soap_node_child(const struct mtv_soap_node *n,
                                                const char *name);
/* Next sibling element, optionally with local name `name`. Borrowed. */
const struct mtv_soap_node *mtv_soap_node_next(const struct mtv_soap_node *n,
                                               const char *name);
/* Follow a path of child names separated by '/' ("a/b/c"). Borrowed. */
const struct mtv_soap_node *mtv_soap_node_path(const struct mtv_soap_node *n,
                                               const char *path);
/* Text at path, or def when absent. Borrowed. */
const char *mtv_soap_node_path_text(const struct mtv_soap_node *n,
                                    const char *path, const char *def);
/* Integer at path, or def when absent or not a number. */
long long mtv_soap_node_path_long(const struct mtv_soap_node *n,
                                  const char *path, long long def);

/*
 * Parse a whole response document (a SOAP envelope) as mtv_soap_call
 * does after the transport: for unit tests with recorded payloads and the
 * fuzzer. http_status is 200 or 500.
 */
int mtv_soap_parse_response(struct mtv_soap_response **out,
                            struct mtv_soap_client *c, const char *method,
                            int http_status, const char *data, size_t len,
                            enum mtv_soap_card card, struct mtv_error *err);

#endif
