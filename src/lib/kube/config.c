/* kube: kubeconfig resolution and in-cluster configuration. */
#include "kube_priv.h"

#include "mtv/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define FILE_MAX ((size_t)16 * 1024 * 1024)

/* -------------------------------------------------------------- base64 */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *kube__base64(const void *p, size_t n)
{
    const unsigned char *s = p;
    struct mtv_buf b = MTV_BUF_INIT;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        char q[4];
        v |= i + 1 < n ? (unsigned)s[i + 1] << 8 : 0;
        v |= i + 2 < n ? s[i + 2] : 0;
        q[0] = b64[(v >> 18) & 63];
        q[1] = b64[(v >> 12) & 63];
        q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? b64[v & 63] : '=';
        if (mtv_buf_append(&b, q, 4) != 0) {
            mtv_buf_dispose_secret(&b);
            return NULL;
        }
    }
    return mtv_buf_detach(&b);
}

int kube__base64_decode(struct mtv_buf *out, const char *s)
{
    unsigned v = 0;
    int bits = 0;

    for (const char *p = s; *p != '\0' && *p != '='; p++) {
        const char *k = strchr(b64, *p);
        if (*p == '\n' || *p == '\r' || *p == ' ') {
            continue;
        }
        if (k == NULL) {
            return MTV_EINVAL;
        }
        v = (v << 6) | (unsigned)(k - b64);
        bits += 6;
        if (bits >= 8) {
            char ch = (char)((v >> (bits - 8)) & 0xff);
            bits -= 8;
            if (mtv_buf_append(out, &ch, 1) != 0) {
                return MTV_ENOMEM;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- files */

static int read_file(char **out, const char *path, struct mtv_error *err)
{
    FILE *f = fopen(path, "rb");
    struct mtv_buf b = MTV_BUF_INIT;
    char chunk[4096];
    size_t n = 0;
    int rc = 0;

    if (f == NULL) {
        return mtv_error_set(err, MTV_ECONFIG, "k8s", "cannot read '%s': %s",
                             path, strerror(errno));
    }
    mtv_buf_init(&b, FILE_MAX);
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = mtv_buf_append(&b, chunk, n);
    }
    explicit_bzero(chunk, sizeof(chunk));
    fclose(f);
    if (rc != 0) {
        mtv_buf_dispose_secret(&b);
        return mtv_error_set(err, MTV_ECONFIG, "k8s", "'%s' is too large",
                             path);
    }
    *out = mtv_buf_detach(&b);
    return *out != NULL ? 0 : mtv_error_set(err, MTV_ENOMEM, "k8s", "oom");
}

/* A path from the kubeconfig: relative ones are relative to its folder. */
static char *resolve_path(const char *source, const char *path)
{
    const char *slash = strrchr(source, '/');

    if (path[0] == '/' || slash == NULL) {
        return mtv_strdup(path);
    }
    return mtv_strdup_printf("%.*s/%s", (int)(slash - source), source, path);
}

/* ------------------------------------------------------------- parsing */

struct kc_ctx {
    const char *source;
    struct mtv_kube_config *cfg;
    struct mtv_error *err;
};

static int kc_err(struct kc_ctx *k, const char *what, const char *name)
{
    return mtv_error_set(k->err, MTV_ECONFIG, "k8s", "kubeconfig %s: %s%s%s%s",
                         k->source, what, name != NULL ? " \"" : "",
                         name != NULL ? name : "", name != NULL ? "\"" : "");
}

/* The entry of list[] whose name is `name`, member `member`. Borrowed. */
static const struct mtv_json *named(const struct mtv_json *root,
                                    const char *list, const char *name,
                                    const char *member)
{
    const struct mtv_json *arr = mtv_json_get(root, list);

    for (const struct mtv_json *e = mtv_json_first(arr); e != NULL;
         e = mtv_json_next(e)) {
        if (mtv_str_eq(mtv_json_string_or(e, "name", NULL), name)) {
            return mtv_json_get(e, member);
        }
    }
    return NULL;
}

/* Read "<field>-data" (base64) or "<field>" (a file) into *out. */
static int data_or_file(struct kc_ctx *k, const struct mtv_json *obj,
                        const char *field, char **out)
{
    char key[64];
    const char *data = NULL;
    const char *file = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    char *path = NULL;
    int rc = 0;

    snprintf(key, sizeof(key), "%s-data", field);
    data = mtv_json_string_or(obj, key, NULL);
    file = mtv_json_string_or(obj, field, NULL);
    if (data != NULL && data[0] != '\0') {
        if (kube__base64_decode(&b, data) != 0 || b.len == 0) {
            mtv_buf_dispose_secret(&b);
            return kc_err(k, "invalid base64 in", key);
        }
        *out = mtv_buf_detach(&b);
        return *out != NULL ? 0 : MTV_ENOMEM;
    }
    if (file == NULL || file[0] == '\0') {
        return 0;
    }
    path = resolve_path(k->source, file);
    rc = path != NULL ? read_file(out, path, k->err) : MTV_ENOMEM;
    if (rc != 0) {
        mtv_error_prefix(k->err, "kubeconfig %s: %s", k->source, field);
    }
    free(path);
    return rc;
}

static int load_cluster(struct kc_ctx *k, const struct mtv_json *cluster,
                        const char *name)
{
    const char *server = mtv_json_string_or(cluster, "server", NULL);
    size_t n = 0;

    if (cluster == NULL) {
        return kc_err(k, "no cluster named", name);
    }
    if (server == NULL || server[0] == '\0') {
        return kc_err(k, "no server for cluster", name);
    }
    if (!mtv_str_has_prefix(server, "https://") &&
        !mtv_str_has_prefix(server, "http://")) {
        return kc_err(k, "server is not an http(s) URL in cluster", name);
    }
    k->cfg->server = mtv_strdup(server);
    if (k->cfg->server == NULL) {
        return MTV_ENOMEM;
    }
    n = strlen(k->cfg->server);
    while (n > 0 && k->cfg->server[n - 1] == '/') {
        k->cfg->server[--n] = '\0';
    }
    k->cfg->insecure = mtv_json_bool_or(cluster, "insecure-skip-tls-verify",
                                        false) ||
                       mtv_str_eq(mtv_json_string_or(
                                      cluster, "insecure-skip-tls-verify",
                                      NULL),
                                  "true");
    return data_or_file(k, cluster, "certificate-authority",
                        &k->cfg->ca_pem);
}

static int load_token(struct kc_ctx *k, const struct mtv_json *user)
{
    const char *token = mtv_json_string_or(user, "token", NULL);
    const char *file = mtv_json_string_or(user, "tokenFile", NULL);
    char *path = NULL;
    int rc = 0;

    if (token != NULL && token[0] != '\0') {
        k->cfg->token = mtv_strdup(token);
        return k->cfg->token != NULL ? 0 : MTV_ENOMEM;
    }
    if (file == NULL || file[0] == '\0') {
        return 0;
    }
    path = resolve_path(k->source, file);
    rc = path != NULL ? read_file(&k->cfg->token, path, k->err) : MTV_ENOMEM;
    free(path);
    if (rc == 0) {
        k->cfg->token[strcspn(k->cfg->token, "\r\n")] = '\0';
    }
    return rc;
}

static int load_user(struct kc_ctx *k, const struct mtv_json *user,
                     const char *name)
{
    int rc = 0;

    if (user == NULL) {
        return kc_err(k, "no user named", name);
    }
    if (mtv_json_get(user, "exec") != NULL ||
        mtv_json_get(user, "auth-provider") != NULL) {
        return kc_err(k, "exec and auth-provider credentials are not "
                         "supported (use a token or a client certificate) "
                         "for user",
                      name);
    }
    rc = load_token(k, user);
    if (rc == 0) {
        rc = data_or_file(k, user, "client-certificate", &k->cfg->cert_pem);
    }
    if (rc == 0) {
        rc = data_or_file(k, user, "client-key", &k->cfg->key_pem);
    }
    if (rc == 0 && (k->cfg->cert_pem == NULL) != (k->cfg->key_pem == NULL)) {
        rc = kc_err(k, "client certificate and key must both be set for "
                       "user",
                    name);
    }
    return rc;
}

static int load_context(struct kc_ctx *k, const struct mtv_json *root,
                        const char *want)
{
    const char *ctxname = want != NULL && want[0] != '\0'
                              ? want
                              : mtv_json_string_or(root, "current-context",
                                                   NULL);
    const struct mtv_json *ctx = NULL;
    const char *cluster = NULL;
    const char *user = NULL;
    int rc = 0;

    if (ctxname == NULL || ctxname[0] == '\0') {
        return kc_err(k, "no current-context (pass --context NAME)", NULL);
    }
    ctx = named(root, "contexts", ctxname, "context");
    if (ctx == NULL) {
        return kc_err(k, "no context named", ctxname);
    }
    cluster = mtv_json_string_or(ctx, "cluster", "");
    user = mtv_json_string_or(ctx, "user", NULL);
    k->cfg->context = mtv_strdup(ctxname);
    k->cfg->namespace = mtv_strdup(mtv_json_string_or(ctx, "namespace",
                                                      "default"));
    k->cfg->user = mtv_strdup(user != NULL ? user : "");
    if (k->cfg->context == NULL || k->cfg->namespace == NULL ||
        k->cfg->user == NULL) {
        return MTV_ENOMEM;
    }
    rc = load_cluster(k, named(root, "clusters", cluster, "cluster"),
                      cluster);
    if (rc == 0 && user != NULL && user[0] != '\0') {
        rc = load_user(k, named(root, "users", user, "user"), user);
    }
    return rc;
}

static void register_secrets(const struct mtv_kube_config *c)
{
    if (c->token != NULL) {
        mtv_log_add_secret(c->token);
    }
}

int mtv_kube__config_parse(struct mtv_kube_config **out, const char *text,
                           const char *source, const char *context,
                           struct mtv_error *err)
{
    struct mtv_json *root = NULL;
    struct kc_ctx k = {source, NULL, err};
    int rc = 0;

    rc = mtv_config_yaml_to_json(&root, source, text, strlen(text), err);
    if (rc != 0) {
        mtv_error_prefix(err, "kubeconfig %s", source);
        return rc == MTV_ENOMEM ? rc : MTV_ECONFIG;
    }
    k.cfg = calloc(1, sizeof(*k.cfg));
    if (k.cfg == NULL || (k.cfg->source = mtv_strdup(source)) == NULL) {
        rc = mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    if (rc == 0) {
        rc = load_context(&k, root, context);
    }
    if (rc == MTV_ENOMEM && err != NULL && err->code != MTV_ENOMEM) {
        mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    mtv_json_free(root);
    if (rc != 0) {
        mtv_kube_config_free(k.cfg);
        return rc;
    }
    register_secrets(k.cfg);
    *out = k.cfg;
    return 0;
}

/* ------------------------------------------------------------ in-cluster */

static int in_cluster(struct mtv_kube_config **out, const char *sa_dir,
                      struct mtv_error *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    struct mtv_kube_config *c = calloc(1, sizeof(*c));
    char *path = NULL;
    int rc = c != NULL ? 0 : MTV_ENOMEM;

    if (rc == 0) {
        bool v6 = strchr(host, ':') != NULL;
        c->server = mtv_strdup_printf("https://%s%s%s:%s", v6 ? "[" : "",
                                      host, v6 ? "]" : "",
                                      port != NULL ? port : "443");
        c->source = mtv_strdup("in-cluster");
        c->context = mtv_strdup("");
        c->user = mtv_strdup("serviceaccount");
        path = mtv_strdup_printf("%s/token", sa_dir);
        rc = path != NULL ? read_file(&c->token, path, err) : MTV_ENOMEM;
        free(path);
    }
    if (rc == 0) {
        c->token[strcspn(c->token, "\r\n")] = '\0';
        path = mtv_strdup_printf("%s/ca.crt", sa_dir);
        rc = path != NULL ? read_file(&c->ca_pem, path, err) : MTV_ENOMEM;
        free(path);
    }
    if (rc == 0) {
        path = mtv_strdup_printf("%s/namespace", sa_dir);
        if (path == NULL || read_file(&c->namespace, path, NULL) != 0) {
            c->namespace = mtv_strdup("default");
        }
        free(path);
        if (c->namespace != NULL) {
            c->namespace[strcspn(c->namespace, "\r\n")] = '\0';
        }
    }
    if (rc == 0 && (c->server == NULL || c->source == NULL ||
                    c->context == NULL || c->user == NULL ||
                    c->namespace == NULL)) {
        rc = mtv_error_set(err, MTV_ENOMEM, "k8s", "out of memory");
    }
    if (rc != 0) {
        mtv_error_prefix(err, "in-cluster config");
        mtv_kube_config_free(c);
        return rc;
    }
    register_secrets(c);
    *out = c;
    return 0;
}

/* ---------------------------------------------------------------- load */

/* The kubeconfig path to use, or NULL when none exists. Caller frees. */
static char *pick_path(const struct mtv_kube_config_options *o)
{
    const char *env = getenv("KUBECONFIG");
    const char *home = getenv("HOME");
    struct stat st;
    char *path = NULL;

    if (o != NULL && o->kubeconfig != NULL && o->kubeconfig[0] != '\0') {
        return mtv_strdup(o->kubeconfig);
    }
    if (env != NULL && env[0] != '\0') {
        return mtv_strndup(env, strcspn(env, ":"));
    }
    if (home != NULL && home[0] != '\0') {
        path = mtv_strdup_printf("%s/.kube/config", home);
        if (path != NULL && stat(path, &st) == 0) {
            return path;
        }
        free(path);
    }
    return NULL;
}

int mtv_kube_config_load(struct mtv_kube_config **out,
                         const struct mtv_kube_config_options *o,
                         struct mtv_error *err)
{
    char *path = NULL;
    char *text = NULL;
    int rc = 0;

    if (out == NULL || *out != NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s", "config_load: bad out");
    }
    path = pick_path(o);
    if (path == NULL && getenv("KUBERNETES_SERVICE_HOST") != NULL) {
        return in_cluster(out, o != NULL && o->sa_dir != NULL ? o->sa_dir
                                                              : SA_DIR,
                          err);
    }
    if (path == NULL) {
        return mtv_error_set(err, MTV_ECONFIG, "k8s",
                             "no kubeconfig: pass --kubeconfig FILE, set "
                             "KUBECONFIG, or create ~/.kube/config");
    }
    rc = read_file(&text, path, err);
    if (rc != 0) {
        mtv_error_prefix(err, "kubeconfig");
    }
    if (rc == 0) {
        rc = mtv_kube__config_parse(out, text, path,
                                    o != NULL ? o->context : NULL, err);
    }
    mtv_str_free_secret(text);
    free(path);
    return rc;
}

void mtv_kube_config_free(struct mtv_kube_config *c)
{
    if (c == NULL) {
        return;
    }
    free(c->source);
    free(c->context);
    free(c->server);
    free(c->namespace);
    free(c->user);
    free(c->ca_pem);
    mtv_str_free_secret(c->token);
    free(c->cert_pem);
    mtv_str_free_secret(c->key_pem);
    free(c);
}
