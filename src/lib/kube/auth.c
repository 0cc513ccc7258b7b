/* kube: OpenShift OAuth login, TokenRequest, ensure_token. */
#include "kube_priv.h"

#include <stdlib.h>
#include <string.h>

#define CHALLENGING_CLIENT "openshift-challenging-client"
/* base64("openshift-challenging-client:") */
#define CHALLENGING_BASIC "b3BlbnNoaWZ0LWNoYWxsZW5naW5nLWNsaWVudDo="

struct oauth {
    const struct mtv_kube_oauth_options *o;
    const struct mtv_http_transport *t;
    struct mtv_http_response resp;
    char *authorize; /* authorization_endpoint */
    char *token_url; /* token_endpoint */
    char *code;      /* secret */
};

static int oauth_get(struct oauth *a, const char *url,
                     const char *const *headers, struct mtv_error *err)
{
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;

    req.method = "GET";
    req.url = url;
    req.headers = headers;
    req.no_redirect = true;
    req.timeout_ms = 30000;
    return mtv_http_perform(a->t, &req, &a->resp, err);
}

/* The server's words for a failed step: Status.message, error_description
 * or the start of the body. */
static int oauth_fail(struct oauth *a, int code, const char *step,
                      struct mtv_error *err)
{
    struct mtv_json *j = NULL;
    const char *msg = NULL;

    if (a->resp.body.len > 0 &&
        mtv_json_parse(&j, a->resp.body.data, a->resp.body.len, NULL,
                       NULL) == 0) {
        msg = mtv_json_string_or(j, "message",
                                 mtv_json_string_or(j, "error_description",
                                                    mtv_json_string_or(
                                                        j, "error", NULL)));
    }
    mtv_error_set(err, code, "k8s", "OAuth login to %s: %s: HTTP %d",
                  a->o->api_url, step, a->resp.status);
    if (err != NULL) {
        err->http_status = a->resp.status;
        mtv_error_set_remote(err, msg != NULL ? msg
                                              : (a->resp.body.data != NULL
                                                     ? a->resp.body.data
                                                     : ""));
    }
    mtv_json_free(j);
    return code;
}

static int discover(struct oauth *a, struct mtv_error *err)
{
    static const char *const h[] = {"Accept: application/json", NULL};
    char *url = mtv_strdup_printf("%s/.well-known/oauth-authorization-server",
                                  a->o->api_url);
    struct mtv_json *doc = NULL;
    int rc = url != NULL ? oauth_get(a, url, h, err) : MTV_ENOMEM;

    free(url);
    if (rc != 0) {
        return rc == MTV_ENOMEM ? mtv_error_set(err, rc, "k8s", "oom") : rc;
    }
    if (a->resp.status != 200) {
        return oauth_fail(a, MTV_EREMOTE, "discovery document", err);
    }
    rc = mtv_json_parse(&doc, a->resp.body.data, a->resp.body.len, NULL, err);
    if (rc == 0) {
        a->authorize = mtv_strdup(mtv_json_string_or(
            doc, "authorization_endpoint", NULL));
        a->token_url = mtv_strdup(mtv_json_string_or(doc, "token_endpoint",
                                                     NULL));
        if (a->authorize == NULL || a->token_url == NULL) {
            rc = mtv_error_set(err, MTV_EPROTO, "k8s",
                               "OAuth discovery document lacks the "
                               "authorization or token endpoint");
        }
    }
    mtv_json_free(doc);
    return rc;
}

/* The "code" query parameter of a Location URL. */
static char *location_code(const char *loc)
{
    const char *q = loc != NULL ? strchr(loc, '?') : NULL;

    while (q != NULL) {
        q++;
        if (strncmp(q, "code=", 5) == 0) {
            return mtv_strndup(q + 5, strcspn(q + 5, "&#"));
        }
        q = strchr(q, '&');
    }
    return NULL;
}

static int authorize(struct oauth *a, struct mtv_error *err)
{
    struct mtv_buf url = MTV_BUF_INIT;
    struct mtv_buf cred = MTV_BUF_INIT;
    char *b64 = NULL;
    char *basic = NULL;
    char *csrf = NULL;
    int rc = 0;

    mtv_buf_printf(&url, "%s?client_id=" CHALLENGING_CLIENT
                         "&response_type=code&code_challenge_method=S256"
                         "&state=",
                   a->authorize);
    mtv_http_buf_put_escaped(&url, a->o->username);
    mtv_buf_printf(&cred, "%s:%s", a->o->username, a->o->password);
    b64 = cred.data != NULL ? kube__base64(cred.data, cred.len) : NULL;
    basic = b64 != NULL ? mtv_strdup_printf("Authorization: Basic %s", b64)
                        : NULL;
    csrf = mtv_strdup_printf("X-CSRF-Token: %s", a->o->username);
    if (url.data == NULL || basic == NULL || csrf == NULL) {
        rc = mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
        goto out;
    }
    const char *h[] = {basic, csrf, "Accept: application/json", NULL};
    rc = oauth_get(a, url.data, h, err);
    if (rc == 0 && a->resp.status == 401) {
        rc = oauth_fail(a, MTV_EAUTH, "user or password rejected", err);
    } else if (rc == 0 && a->resp.status != 302) {
        rc = oauth_fail(a, MTV_EAUTH, "authorize", err);
    } else if (rc == 0) {
        a->code = location_code(mtv_http_response_header(&a->resp,
                                                         "Location"));
        rc = a->code != NULL ? 0
                             : mtv_error_set(err, MTV_EPROTO, "k8s",
                                             "OAuth authorize: no code in "
                                             "the redirect");
    }
out:
    mtv_buf_dispose(&url);
    mtv_buf_dispose_secret(&cred);
    mtv_str_free_secret(b64);
    mtv_str_free_secret(basic);
    free(csrf);
    return rc;
}

static int exchange(struct oauth *a, char **token_out, struct mtv_error *err)
{
    static const char *const h[] = {
        "Content-Type: application/x-www-form-urlencoded",
        "Accept: application/json",
        "Authorization: Basic " CHALLENGING_BASIC, NULL};
    struct mtv_http_request req = MTV_HTTP_REQUEST_INIT;
    struct mtv_buf body = MTV_BUF_INIT;
    struct mtv_json *j = NULL;
    const char *tok = NULL;
    int rc = mtv_buf_puts(&body, "grant_type=authorization_code&code=");

    rc = rc == 0 ? mtv_http_buf_put_escaped(&body, a->code) : rc;
    rc = rc == 0 ? mtv_buf_puts(&body, "&client_id=" CHALLENGING_CLIENT) : rc;
    req.method = "POST";
    req.url = a->token_url;
    req.headers = h;
    req.body = body.data;
    req.body_len = body.len;
    req.no_redirect = true;
    req.timeout_ms = 30000;
    rc = rc == 0 ? mtv_http_perform(a->t, &req, &a->resp, err) : rc;
    if (rc == 0 && a->resp.status != 200) {
        rc = oauth_fail(a, MTV_EAUTH, "token exchange", err);
    }
    if (rc == 0 && mtv_json_parse(&j, a->resp.body.data, a->resp.body.len,
                                  NULL, err) == 0) {
        tok = mtv_json_string_or(j, "access_token", NULL);
    }
    if (rc == 0 && (tok == NULL || (*token_out = mtv_strdup(tok)) == NULL)) {
        rc = mtv_error_set(err, MTV_EPROTO, "k8s",
                           "OAuth token exchange: no access_token");
    }
    if (j != NULL && tok != NULL) {
        explicit_bzero((char *)tok, strlen(tok));
    }
    mtv_json_free(j);
    mtv_buf_dispose_secret(&body);
    return rc;
}

static int make_transport(struct mtv_http_client **own,
                          struct mtv_http_transport *t,
                          const struct mtv_kube_oauth_options *o,
                          struct mtv_error *err)
{
    struct mtv_http_options ho = MTV_HTTP_OPTIONS_INIT;

    if (o->transport != NULL) {
        *t = *o->transport;
        return 0;
    }
    int rc = 0;

    ho.insecure = o->insecure;
    ho.ca_pem = o->ca_pem;
    rc = mtv_http_client_new(own, &ho, err);
    if (rc != 0) {
        return rc;
    }
    *t = mtv_http_client_transport(*own);
    return 0;
}

int mtv_kube_oauth_login(char **token_out,
                         const struct mtv_kube_oauth_options *o,
                         struct mtv_error *err)
{
    struct mtv_http_client *own = NULL;
    struct mtv_http_transport t;
    struct oauth a;
    char *token = NULL;
    int rc = 0;

    if (token_out == NULL || *token_out != NULL || o == NULL ||
        o->api_url == NULL || o->username == NULL || o->password == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s",
                             "OAuth login: api_url, username and password "
                             "are required");
    }
    mtv_log_add_secret(o->password);
    memset(&a, 0, sizeof(a));
    a.o = o;
    a.t = &t;
    mtv_http_response_init(&a.resp, 1024 * 1024);
    rc = make_transport(&own, &t, o, err);
    rc = rc == 0 ? discover(&a, err) : rc;
    rc = rc == 0 ? authorize(&a, err) : rc;
    if (rc == 0) {
        mtv_log_add_secret(a.code);
        rc = exchange(&a, &token, err);
    }
    if (rc == 0) {
        mtv_log_add_secret(token);
        *token_out = token;
    }
    mtv_buf_dispose_secret(&a.resp.body);
    mtv_http_response_dispose(&a.resp);
    free(a.authorize);
    free(a.token_url);
    mtv_str_free_secret(a.code);
    mtv_http_client_free(own);
    return rc;
}

/* ------------------------------------------------------ client re-login */

void kube__oauth_options_free(struct mtv_kube_oauth_options *o)
{
    if (o == NULL) {
        return;
    }
    free((char *)o->api_url);
    free((char *)o->username);
    mtv_str_free_secret((char *)o->password);
    free((char *)o->ca_pem);
    free(o);
}

static struct mtv_kube_oauth_options *
oauth_options_dup(const struct mtv_kube_oauth_options *o)
{
    struct mtv_kube_oauth_options *d = calloc(1, sizeof(*d));

    if (d == NULL) {
        return NULL;
    }
    d->api_url = mtv_strdup(o->api_url);
    d->username = mtv_strdup(o->username);
    d->password = mtv_strdup(o->password);
    d->ca_pem = mtv_strdup(o->ca_pem);
    d->insecure = o->insecure;
    if (d->api_url == NULL || d->username == NULL || d->password == NULL ||
        (o->ca_pem != NULL && d->ca_pem == NULL)) {
        kube__oauth_options_free(d);
        return NULL;
    }
    return d;
}

static int login_and_use(struct mtv_kube_client *c,
                         const struct mtv_kube_oauth_options *o,
                         struct mtv_error *err)
{
    char *token = NULL;
    int rc = mtv_kube_oauth_login(&token, o, err);

    if (rc == 0) {
        rc = mtv_kube_client_set_token(c, token, err);
    }
    mtv_str_free_secret(token);
    return rc;
}

int mtv_kube_client_oauth_login(struct mtv_kube_client *c,
                                const struct mtv_kube_oauth_options *o,
                                struct mtv_error *err)
{
    struct mtv_kube_oauth_options *copy = NULL;
    int rc = login_and_use(c, o, err);

    if (rc != 0) {
        return rc;
    }
    copy = oauth_options_dup(o);
    if (copy == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    kube__oauth_options_free(c->relogin);
    c->relogin = copy;
    c->relogin_transport = o->transport;
    return 0;
}

int kube__relogin(struct mtv_kube_client *c, struct mtv_error *err)
{
    struct mtv_kube_oauth_options o;

    if (c->relogin == NULL) {
        return mtv_error_set(err, MTV_EAUTH, "k8s", "no credentials to log "
                                                    "in again");
    }
    o = *c->relogin;
    o.transport = c->relogin_transport;
    mtv_log(MTV_LOG_INFO, "k8s", "token rejected (401): logging in again "
                                 "as '%s'",
            o.username);
    return login_and_use(c, &o, err);
}

/* ----------------------------------------------------------- TokenRequest */

int mtv_kube_token_request(char **token_out, struct mtv_kube_client *c,
                           const char *ns, const char *name,
                           struct mtv_error *err)
{
    struct mtv_kube_ref ref = {"", "v1", "serviceaccounts", ns, name,
                               "token"};
    struct mtv_kube_call call = {
        "POST", &ref, NULL,
        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":"
        "\"TokenRequest\",\"spec\":{\"expirationSeconds\":86400}}",
        NULL};
    struct mtv_json *j = NULL;
    char *text = NULL;
    const char *tok = NULL;
    int rc = 0;

    if (token_out == NULL || *token_out != NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s", "token_request: bad out");
    }
    rc = mtv_kube_call(&text, c, &call, err);
    if (rc == 0) {
        rc = mtv_json_parse(&j, text, strlen(text), NULL, err);
    }
    tok = rc == 0 ? mtv_json_string_or(j, "status.token", NULL) : NULL;
    if (rc == 0 && (tok == NULL || (*token_out = mtv_strdup(tok)) == NULL)) {
        rc = mtv_error_set(err, MTV_EPROTO, "k8s",
                           "TokenRequest for %s/%s returned no token", ns,
                           name);
    }
    if (rc == 0) {
        mtv_log_add_secret(*token_out);
    }
    if (tok != NULL) {
        explicit_bzero((char *)tok, strlen(tok));
    }
    mtv_json_free(j);
    mtv_str_free_secret(text);
    return rc;
}

int mtv_kube_ensure_token(struct mtv_kube_client *c,
                          const char *service_account,
                          struct mtv_error *err)
{
    const char *slash = NULL;
    char *ns = NULL;
    char *token = NULL;
    int rc = 0;

    if (mtv_kube_client_token(c) != NULL) {
        return 0;
    }
    slash = service_account != NULL ? strchr(service_account, '/') : NULL;
    if (slash == NULL || slash == service_account || slash[1] == '\0') {
        return mtv_error_set(
            err, MTV_ECONFIG, "k8s",
            "the kubeconfig (%s) authenticates with a client certificate, "
            "but a bearer token is needed (provider Secret, inventory, "
            "port-forward): pass --token-service-account NS/NAME to mint "
            "one, or use a token kubeconfig or cluster_username/password",
            c->config->source);
    }
    ns = mtv_strndup(service_account, (size_t)(slash - service_account));
    rc = ns != NULL ? mtv_kube_token_request(&token, c, ns, slash + 1, err)
                    : mtv_error_set(err, MTV_ENOMEM, "k8s", "oom");
    if (rc == 0) {
        rc = mtv_kube_client_set_token(c, token, err);
    }
    mtv_str_free_secret(token);
    free(ns);
    return rc;
}
