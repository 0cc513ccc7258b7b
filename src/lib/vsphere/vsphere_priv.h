/* vsphere: private declarations shared by the module's files and tests. */
#ifndef MTV_VSPHERE_PRIV_H
#define MTV_VSPHERE_PRIV_H

#include "mtv/soap.h"
#include "mtv/vsphere.h"

struct mtv_vsphere {
    struct mtv_http_client *http; /* owned; NULL with an injected transport */
    struct mtv_http_transport transport;
    struct mtv_soap_client *soap;
    char *username;
    char *password;
    struct mtv_moref root_folder;
    struct mtv_moref property_collector;
    struct mtv_moref view_manager;
    struct mtv_moref session_manager;
    struct mtv_moref file_manager; /* empty when the server has none */
    struct mtv_moref waiter; /* our own PropertyCollector for waits */
    char session_key[128];
    bool logged_in;
    unsigned relogins;
};

/* A callback per ObjectContent of a RetrievePropertiesEx result. */
typedef int (*vs_object_fn)(const struct mtv_soap_node *object,
                            void *payload);

/*
 * Call a method with one transparent re-login when it faults with
 * NotAuthenticated. Same contract as mtv_soap_call.
 */
int mtv_vsphere__call(struct mtv_vsphere *vs, struct mtv_soap_response **out,
                      const char *method, const struct mtv_buf *body,
                      enum mtv_soap_card card, struct mtv_error *err);

/*
 * RetrievePropertiesEx with `spec` (the children of one
 * PropertyFilterSpec); calls fn for every returned object, continuing
 * with ContinueRetrievePropertiesEx only while a token comes back.
 */
int mtv_vsphere__retrieve(struct mtv_vsphere *vs, const struct mtv_buf *spec,
                          vs_object_fn fn, void *payload,
                          struct mtv_error *err);

/* Append a PropertySpec and an ObjectSpec for one object and its paths. */
int mtv_vsphere__put_object_spec(struct mtv_buf *b,
                                 const struct mtv_moref *obj,
                                 const char *const *paths, size_t n_paths);

/* The <val> of propSet `name` in an ObjectContent, or NULL. Borrowed. */
const struct mtv_soap_node *
mtv_vsphere__prop(const struct mtv_soap_node *object, const char *name);

/* Read a moref element (type attribute + text) into out. 0 or EPROTO. */
int mtv_vsphere__moref_from(const struct mtv_soap_node *n,
                            struct mtv_moref *out);

/* Set a moref from type and value (truncation is EINVAL). */
int mtv_vsphere__moref_set(struct mtv_moref *m, const char *type,
                           const char *value);

/* Calls fn(name, val or NULL when removed) for every change seen. */
typedef int (*vs_change_fn)(const char *name, const struct mtv_soap_node *val,
                            void *payload);
/* Returns true when the watched condition holds. */
typedef bool (*vs_done_fn)(void *payload);

/*
 * Watch `paths` of `obj` with WaitForUpdatesEx until done() or the
 * deadline (MTV_ETIMEOUT naming `what`).
 */
int mtv_vsphere__watch(struct mtv_vsphere *vs, const struct mtv_moref *obj,
                       const char *const *paths, size_t n_paths,
                       vs_change_fn change, vs_done_fn done, void *payload,
                       int64_t timeout_ms, const char *what,
                       struct mtv_error *err);

/* Call a *_Task method (body includes _this) and wait for the task. */
int mtv_vsphere__run_task(struct mtv_vsphere *vs, const char *method,
                          const struct mtv_buf *body, int64_t timeout_ms,
                          struct mtv_moref *result, struct mtv_error *err);

/*
 * Fill the NICs' IPv4 addresses of a powered-on VM from guest.net and the
 * gateways from guest.ipStack's default route (reference §1.15.E).
 */
int mtv_vsphere__record_ips(struct mtv_vm_record *r,
                            const struct mtv_soap_node *net,
                            const struct mtv_soap_node *ip_stack);

/* Log in again (clears the cookie first). */
int mtv_vsphere__login(struct mtv_vsphere *vs, struct mtv_error *err);

#endif
