/*
 * vsphere: the session (service content, login, re-login, logout, probe).
 */
#include <stdlib.h>
#include <string.h>

#include "vsphere/vsphere_priv.h"

int mtv_vsphere__moref_set(struct mtv_moref *m, const char *type,
                           const char *value)
{
    if (type == NULL || value == NULL ||
        mtv_strlcpy(m->type, type, sizeof(m->type)) >= sizeof(m->type) ||
        mtv_strlcpy(m->value, value, sizeof(m->value)) >= sizeof(m->value)) {
        return MTV_EINVAL;
    }
    return 0;
}

int mtv_vsphere__moref_from(const struct mtv_soap_node *n,
                            struct mtv_moref *out)
{
    if (n == NULL) {
        return MTV_EPROTO;
    }
    if (mtv_vsphere__moref_set(out, mtv_soap_node_attr(n, "type"),
                               mtv_soap_node_text(n)) != 0) {
        return MTV_EPROTO;
    }
    return 0;
}

static int read_service_content(struct mtv_vsphere *vs, struct mtv_error *err)
{
    struct mtv_soap_response *r = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    const struct mtv_soap_node *sc = NULL;
    int rc = mtv_soap_put_moref(&b, "_this", "ServiceInstance",
                                "ServiceInstance");

    if (rc == 0) {
        rc = mtv_soap_call(&r, vs->soap, "RetrieveServiceContent", &b,
                           MTV_SOAP_REQUIRED, err);
    }
    if (rc != 0) {
        goto out;
    }
    sc = mtv_soap_response_value(r);
    if (mtv_vsphere__moref_from(mtv_soap_node_child(sc, "rootFolder"),
                                &vs->root_folder) != 0 ||
        mtv_vsphere__moref_from(mtv_soap_node_child(sc, "propertyCollector"),
                                &vs->property_collector) != 0 ||
        mtv_vsphere__moref_from(mtv_soap_node_child(sc, "viewManager"),
                                &vs->view_manager) != 0 ||
        mtv_vsphere__moref_from(mtv_soap_node_child(sc, "sessionManager"),
                                &vs->session_manager) != 0) {
        rc = mtv_error_set(err, MTV_EPROTO, "vsphere",
                           "RetrieveServiceContent: incomplete service content");
    }
    mtv_vsphere__moref_from(mtv_soap_node_child(sc, "fileManager"),
                            &vs->file_manager);
out:
    mtv_soap_response_free(r);
    mtv_buf_dispose(&b);
    return rc;
}

static int build_login(struct mtv_vsphere *vs, struct mtv_buf *b)
{
    int rc = mtv_soap_put_moref(b, "_this", vs->session_manager.type,
                                vs->session_manager.value);

    if (rc == 0) {
        rc = mtv_soap_put_text(b, "userName", vs->username);
    }
    if (rc == 0) {
        rc = mtv_soap_put_text(b, "password", vs->password);
    }
    return rc;
}

int mtv_vsphere__login(struct mtv_vsphere *vs, struct mtv_error *err)
{
    struct mtv_soap_response *r = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = 0;

    mtv_soap_client_set_cookie(vs->soap, NULL);
    vs->logged_in = false;
    vs->waiter.value[0] = '\0';
    rc = build_login(vs, &b);
    if (rc == 0) {
        rc = mtv_soap_call(&r, vs->soap, "Login", &b, MTV_SOAP_REQUIRED, err);
    }
    if (rc == MTV_EAUTH) {
        mtv_error_prefix(err, "login as '%s' failed", vs->username);
    }
    if (rc == 0) {
        mtv_strlcpy(vs->session_key,
                    mtv_soap_node_path_text(mtv_soap_response_value(r), "key",
                                            ""),
                    sizeof(vs->session_key));
        vs->logged_in = true;
    }
    mtv_soap_response_free(r);
    mtv_buf_dispose_secret(&b);
    return rc;
}

int mtv_vsphere__call(struct mtv_vsphere *vs, struct mtv_soap_response **out,
                      const char *method, const struct mtv_buf *body,
                      enum mtv_soap_card card, struct mtv_error *err)
{
    int rc = mtv_soap_call(out, vs->soap, method, body, card, err);

    if (rc != MTV_EAUTH ||
        strcmp(mtv_soap_client_last_fault(vs->soap), "NotAuthenticated") !=
            0) {
        return rc;
    }
    mtv_log(MTV_LOG_INFO, "vsphere", "session lost during %s, logging in again",
            method);
    mtv_error_clear(err);
    rc = mtv_vsphere__login(vs, err);
    if (rc != 0) {
        return rc;
    }
    vs->relogins++;
    return mtv_soap_call(out, vs->soap, method, body, card, err);
}

static int make_transport(struct mtv_vsphere *vs,
                          const struct mtv_vsphere_options *o,
                          struct mtv_error *err)
{
    struct mtv_http_options ho = MTV_HTTP_OPTIONS_INIT;
    int rc = 0;

    if (o->transport != NULL) {
        vs->transport = *o->transport;
        return 0;
    }
    ho.insecure = o->insecure;
    ho.ca_pem = o->insecure ? NULL : o->ca_pem;
    ho.timeout_ms = o->timeout_ms;
    ho.http1_only = true;
    rc = mtv_http_client_new(&vs->http, &ho, err);
    if (rc == 0) {
        vs->transport = mtv_http_client_transport(vs->http);
    }
    return rc;
}

static int init_session(struct mtv_vsphere *vs,
                        const struct mtv_vsphere_options *o,
                        struct mtv_error *err)
{
    struct mtv_soap_options so = {0};
    int rc = 0;

    vs->username = mtv_strdup(o->username);
    vs->password = mtv_strdup(o->password);
    if (vs->username == NULL || vs->password == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "vsphere", "out of memory");
    }
    mtv_log_add_secret(o->password);
    rc = make_transport(vs, o, err);
    if (rc != 0) {
        return rc;
    }
    so.url = o->url;
    so.transport = &vs->transport;
    so.timeout_ms = o->timeout_ms;
    rc = mtv_soap_client_new(&vs->soap, &so, err);
    if (rc == 0) {
        rc = read_service_content(vs, err);
    }
    if (rc == 0) {
        rc = mtv_vsphere__login(vs, err);
    }
    return rc;
}

int mtv_vsphere_connect(struct mtv_vsphere **out,
                        const struct mtv_vsphere_options *opts,
                        struct mtv_error *err)
{
    struct mtv_vsphere *vs = NULL;
    int rc = 0;

    if (out == NULL || *out != NULL || opts == NULL || opts->url == NULL ||
        opts->username == NULL || opts->password == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "vsphere",
                             "vCenter: url, username and password are needed");
    }
    if ((vs = calloc(1, sizeof(*vs))) == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "vsphere", "out of memory");
    }
    rc = init_session(vs, opts, err);
    if (rc != 0) {
        mtv_error_prefix(err, "vCenter '%s'", opts->url);
        mtv_vsphere_free(vs);
        return rc;
    }
    *out = vs;
    return 0;
}

int mtv_vsphere_logout(struct mtv_vsphere *vs, struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = 0;

    if (vs == NULL || !vs->logged_in) {
        return 0;
    }
    rc = mtv_soap_put_moref(&b, "_this", vs->session_manager.type,
                            vs->session_manager.value);
    if (rc == 0) {
        rc = mtv_soap_call(NULL, vs->soap, "Logout", &b, MTV_SOAP_NONE, err);
    }
    vs->logged_in = false;
    mtv_soap_client_set_cookie(vs->soap, NULL);
    mtv_buf_dispose(&b);
    return rc;
}

void mtv_vsphere_free(struct mtv_vsphere *vs)
{
    if (vs == NULL) {
        return;
    }
    if (vs->soap != NULL) {
        mtv_vsphere_logout(vs, NULL);
    }
    mtv_soap_client_free(vs->soap);
    mtv_http_client_free(vs->http);
    free(vs->username);
    mtv_str_free_secret(vs->password);
    explicit_bzero(vs->session_key, sizeof(vs->session_key));
    free(vs);
}

int mtv_vsphere_ping(struct mtv_vsphere *vs, struct mtv_error *err)
{
    static const char *const paths[] = {"currentSession"};
    struct mtv_buf spec = MTV_BUF_INIT;
    int rc = 0;

    if (!vs->logged_in) {
        return mtv_vsphere__login(vs, err);
    }
    rc = mtv_vsphere__put_object_spec(&spec, &vs->session_manager, paths, 1);
    if (rc == 0) {
        rc = mtv_vsphere__retrieve(vs, &spec, NULL, NULL, err);
    }
    mtv_buf_dispose(&spec);
    return rc;
}

const char *mtv_vsphere_session_key(const struct mtv_vsphere *vs)
{
    return vs->session_key;
}

uint64_t mtv_vsphere_round_trips(const struct mtv_vsphere *vs)
{
    return mtv_soap_client_round_trips(vs->soap);
}

unsigned mtv_vsphere_relogins(const struct mtv_vsphere *vs)
{
    return vs->relogins;
}

int mtv_vsphere_terminate_session(struct mtv_vsphere *vs, const char *key,
                                  struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = mtv_soap_put_moref(&b, "_this", vs->session_manager.type,
                                vs->session_manager.value);

    if (rc == 0) {
        rc = mtv_soap_put_text(&b, "sessionId", key);
    }
    if (rc == 0) {
        rc = mtv_vsphere__call(vs, NULL, "TerminateSession", &b,
                               MTV_SOAP_NONE, err);
    }
    mtv_buf_dispose(&b);
    return rc;
}

int mtv_vsphere_fetch_ca_pem(char **out, const char *url, int64_t timeout_ms,
                             struct mtv_error *err)
{
    char *host = NULL;
    int port = 0;
    int rc = mtv_http_url_host_port(url, &host, &port, err);

    if (rc == 0) {
        rc = mtv_http_fetch_cert_chain(out, host, port, timeout_ms, err);
    }
    free(host);
    return rc;
}
