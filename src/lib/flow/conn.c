/* flow: connections to the cluster, vCenter and the Forklift inventory. */
#include "flow_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool oauth_configured(const struct mtv_config *cfg)
{
    return cfg->cluster_host != NULL && cfg->cluster_host[0] != '\0' &&
           cfg->cluster_username != NULL && cfg->cluster_username[0] != '\0' &&
           cfg->cluster_password != NULL && cfg->cluster_password[0] != '\0';
}

/* A kubeconfig-less configuration for OAuth: the API URL only. */
static int oauth_only_config(struct mtv_kube_config **out,
                             const struct mtv_config *cfg)
{
    struct mtv_kube_config *kc = calloc(1, sizeof(*kc));

    if (kc == NULL) {
        return MTV_ENOMEM;
    }
    kc->source = mtv_strdup("cluster_host");
    kc->context = mtv_strdup("");
    kc->namespace = mtv_strdup("default");
    kc->user = mtv_strdup(cfg->cluster_username);
    kc->server = mtv_strdup(cfg->cluster_host);
    if (kc->source == NULL || kc->server == NULL || kc->user == NULL) {
        mtv_kube_config_free(kc);
        return MTV_ENOMEM;
    }
    *out = kc;
    return 0;
}

/* OAuth replaces the kubeconfig's server and credentials. */
static int use_oauth_server(struct mtv_kube_config *kc,
                            const struct mtv_config *cfg)
{
    char *server = mtv_strdup(cfg->cluster_host);
    size_t n;

    if (server == NULL) {
        return MTV_ENOMEM;
    }
    n = strlen(server);
    while (n > 0 && server[n - 1] == '/') {
        server[--n] = '\0';
    }
    free(kc->server);
    kc->server = server;
    mtv_str_free_secret(kc->token);
    mtv_str_free_secret(kc->key_pem);
    free(kc->cert_pem);
    kc->token = NULL;
    kc->key_pem = NULL;
    kc->cert_pem = NULL;
    return 0;
}

static int load_kube_config(struct mtv_kube_config **kc,
                            const struct mtv_run_options *opts,
                            const struct mtv_config *cfg, struct mtv_error *err)
{
    struct mtv_kube_config_options ko = {opts->kubeconfig, opts->context, NULL};
    bool oauth = oauth_configured(cfg);
    int rc = mtv_kube_config_load(kc, &ko, err);

    if (rc != 0 && !oauth) {
        return rc;
    }
    if (rc != 0) {
        mtv_error_clear(err);
        rc = oauth_only_config(kc, cfg);
    } else if (oauth) {
        rc = use_oauth_server(*kc, cfg);
    }
    if (rc == MTV_ENOMEM) {
        return mtv_error_set(err, rc, "flow", "out of memory");
    }
    if (cfg->insecure_verify_skip) {
        (*kc)->insecure = true;
    }
    return 0;
}

static int oauth_login(struct flow_conn *c, const struct mtv_kube_config *kc,
                       const struct mtv_config *cfg, struct mtv_error *err)
{
    struct mtv_kube_oauth_options o;
    int rc;

    memset(&o, 0, sizeof(o));
    o.api_url = kc->server;
    o.username = cfg->cluster_username;
    o.password = cfg->cluster_password;
    o.ca_pem = kc->ca_pem;
    o.insecure = kc->insecure;
    /* The client logs in again by itself when the token expires (401). */
    rc = mtv_kube_client_oauth_login(c->kube, &o, err);
    if (rc != 0) {
        mtv_error_prefix(err, "OpenShift OAuth login to '%s' as '%s'",
                         kc->server, cfg->cluster_username);
    }
    return rc;
}

int flow_conn_kube(struct flow_conn *c, const struct mtv_run_options *opts,
                   const struct mtv_config *cfg,
                   struct mtv_kube_config **kc_out, struct mtv_error *err)
{
    struct mtv_kube_client_options o = MTV_KUBE_CLIENT_OPTIONS_INIT;
    struct mtv_kube_config *kc = NULL;
    int rc = load_kube_config(&kc, opts, cfg, err);

    if (rc != 0) {
        return rc;
    }
    o.config = kc;
    rc = mtv_kube_client_new(&c->kube, &o, err);
    if (rc == 0 && oauth_configured(cfg)) {
        rc = oauth_login(c, kc, cfg, err);
    } else if (rc == 0) {
        rc = mtv_kube_ensure_token(c->kube, opts->token_service_account, err);
    }
    if (rc == 0 && kc_out != NULL) {
        *kc_out = kc;
        kc = NULL;
    }
    mtv_kube_config_free(kc);
    return rc;
}

int flow_conn_vsphere(struct flow_conn *c, const struct mtv_provider *src,
                      const struct mtv_config *cfg, struct mtv_error *err)
{
    struct mtv_vsphere_options o = MTV_VSPHERE_OPTIONS_INIT;
    bool insecure = cfg->source_provider_insecure_skip_verify;
    int rc = 0;

    if (src->cacert != NULL && src->cacert[0] != '\0') {
        c->vcenter_ca = mtv_strdup(src->cacert);
    } else if (!insecure) {
        rc = mtv_vsphere_fetch_ca_pem(&c->vcenter_ca, src->api_url, 30000, err);
        if (rc != 0) {
            return mtv_error_prefix(err,
                                    "fetch the certificate chain of "
                                    "vCenter '%s'",
                                    src->api_url);
        }
    }
    o.url = src->api_url;
    o.username = src->username;
    o.password = src->password;
    o.ca_pem = insecure ? NULL : c->vcenter_ca;
    o.insecure = insecure;
    /* the vsphere module's errors already name the URL and the user */
    return mtv_vsphere_connect(&c->vs, &o, err);
}

static int inventory_client(struct flow_conn *c, const struct mtv_config *cfg,
                            struct mtv_error *err)
{
    struct mtv_http_options o = MTV_HTTP_OPTIONS_INIT;
    const struct mtv_kube_config *kc = mtv_kube_client_config(c->kube);

    o.insecure = cfg->insecure_verify_skip || kc->insecure;
    o.ca_pem = kc->ca_pem;
    o.timeout_ms = 60000;
    o.connect_timeout_ms = 15000;
    return mtv_http_client_new(&c->inv, &o, err);
}

int flow_conn_clone(struct flow_conn *dst, const struct flow_conn *from,
                    const struct mtv_kube_config *kc,
                    const struct mtv_provider *src,
                    const struct mtv_config *cfg, struct mtv_error *err)
{
    struct mtv_kube_client_options o = MTV_KUBE_CLIENT_OPTIONS_INIT;
    int rc;

    memset(dst, 0, sizeof(*dst));
    o.config = kc;
    rc = mtv_kube_client_new(&dst->kube, &o, err);
    if (rc == 0 && oauth_configured(cfg)) {
        rc = oauth_login(dst, kc, cfg, err);
    } else if (rc == 0) {
        rc = mtv_kube_client_set_token(dst->kube,
                                       mtv_kube_client_token(from->kube), err);
    }
    rc = rc ? rc : flow_conn_vsphere(dst, src, cfg, err);
    if (rc == 0 && from->inv_base != NULL) {
        dst->inv_base = mtv_strdup(from->inv_base);
        rc = inventory_client(dst, cfg, err);
    }
    return rc;
}

int flow_conn_inventory(struct flow_conn *c, const struct mtv_config *cfg,
                        struct mtv_error *err)
{
    struct mtv_json *route = NULL;
    const char *host = NULL;
    int rc;

    rc = flow_get(&route, c->kube, "Route", cfg->mtv_namespace,
                  FLOW_INVENTORY_ROUTE, err);
    if (rc == 0) {
        rc = mtv_json_get_string(route, "spec.host", &host, err);
    }
    if (rc != 0) {
        mtv_json_free(route);
        return mtv_error_prefix(err, "the Forklift inventory route '%s/%s'",
                                cfg->mtv_namespace, FLOW_INVENTORY_ROUTE);
    }
    c->inv_base = mtv_strdup_printf("https://%s", host);
    mtv_json_free(route);
    return inventory_client(c, cfg, err);
}

/* One inventory GET: 0 with *out, 1 when the answer says "ask again". */
static int inventory_once(struct mtv_json **out, struct flow_conn *c,
                          const char *url, struct mtv_error *err)
{
    struct mtv_http_transport t = mtv_http_client_transport(c->inv);
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    struct mtv_http_response resp;
    char *auth = mtv_strdup_printf("Authorization: Bearer %s",
                                   mtv_kube_client_token(c->kube));
    const char *headers[] = {auth, "Accept: application/json", NULL};
    int rc;

    mtv_http_response_init(&resp, 0);
    req.method = "GET";
    req.url = url;
    req.headers = headers;
    rc = mtv_http_perform(&t, &req, &resp, err);
    mtv_str_free_secret(auth);
    if (rc != 0) {
        rc = resp.fail == MTV_HTTP_FAIL_OTHER ? rc : 1;
    } else if (resp.status == 206 || resp.status == 503 || resp.status == 502) {
        rc = 1;
    } else if (resp.status == 401 || resp.status == 403) {
        rc = mtv_error_set(err, MTV_EAUTH, "inventory",
                           "inventory GET '%s': HTTP %d", url, resp.status);
        mtv_error_set_remote(err, resp.body.data);
    } else if (resp.status != 200) {
        rc = mtv_error_set(err, MTV_EREMOTE, "inventory",
                           "inventory GET '%s': HTTP %d", url, resp.status);
        mtv_error_set_remote(err, resp.body.data);
    } else {
        rc = mtv_json_parse(out, resp.body.data ? resp.body.data : "",
                            resp.body.len, NULL, err);
    }
    mtv_http_response_dispose(&resp);
    return rc;
}

int flow_inventory_get(struct mtv_json **out, struct flow_conn *c,
                       const char *path, struct mtv_deadline deadline,
                       struct mtv_error *err)
{
    char *url = mtv_strdup_printf("%s%s", c->inv_base, path);
    int64_t pause = 250;
    int rc;

    if (url == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "flow", "out of memory");
    }
    /* The inventory has no watch API: ask again while it is loading. */
    while ((rc = inventory_once(out, c, url, err)) == 1) {
        if (mtv_deadline_expired(&deadline)) {
            rc = mtv_error_set(
                err, mtv_interrupted() ? MTV_EINTR : MTV_ETIMEOUT, "inventory",
                "inventory GET '%s' did not answer in time", url);
            break;
        }
        flow_sleep_ms(pause);
        pause = pause < 2000 ? pause * 2 : 2000;
    }
    free(url);
    return rc;
}

void flow_conn_dispose(struct flow_conn *c)
{
    mtv_vsphere_free(c->vs);
    mtv_http_client_free(c->inv);
    mtv_kube_client_free(c->kube);
    free(c->inv_base);
    free(c->vcenter_ca);
    memset(c, 0, sizeof(*c));
}
