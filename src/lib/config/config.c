/* config: loading in layers (defaults, files, overrides), freeing. */
#include "config_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_FILE_MAX ((size_t)16 * 1024 * 1024)

const char *const mtv_known_markers[] = {"tier0", "warm", "remote",
                                         "copyoffload", NULL};

bool mtv_marker_is_known(const char *name)
{
    for (size_t i = 0; mtv_known_markers[i] != NULL; i++) {
        if (strcmp(mtv_known_markers[i], name) == 0) {
            return true;
        }
    }
    return false;
}

bool mtv_scenario_has_marker(const struct mtv_scenario *s, const char *m)
{
    return mtv_strv_contains(&s->markers, m);
}

/* ------------------------------------------------------------ diagnostics */

void mtv_diag_init(struct mtv_diag *d)
{
    memset(d, 0, sizeof(*d));
}

void mtv_diag_dispose(struct mtv_diag *d)
{
    if (d == NULL) {
        return;
    }
    mtv_strv_dispose(&d->errors);
    mtv_strv_dispose(&d->warnings);
}

/* Append one formatted line to v (NULL: the line is dropped). */
static void diag_push(struct mtv_strv *v, const char *fmt, va_list ap)
    MTV_PRINTF(2, 0);

static void diag_push(struct mtv_strv *v, const char *fmt, va_list ap)
{
    struct mtv_buf b = MTV_BUF_INIT;

    mtv_buf_vprintf(&b, fmt, ap);
    if (v != NULL && b.data != NULL) {
        mtv_strv_push_take(v, mtv_buf_detach(&b));
    }
    mtv_buf_dispose(&b);
}

int mtv_diag_error(struct mtv_diag *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_push(d != NULL ? &d->errors : NULL, fmt, ap);
    va_end(ap);
    return MTV_ECONFIG;
}

void mtv_diag_warning(struct mtv_diag *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_push(d != NULL ? &d->warnings : NULL, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- free */

static void vm_dispose(struct mtv_config_vm *vm)
{
    free(vm->name);
    free(vm->source_vm_power);
    free(vm->disk_type);
    free(vm->clone_name);
    free(vm->target_datastore_id);
    free(vm->target_esxi_host);
    for (size_t i = 0; i < vm->n_add_disks; i++) {
        struct mtv_config_disk *dk = &vm->add_disks[i];

        free(dk->disk_mode);
        free(dk->provision_type);
        free(dk->datastore_path);
        free(dk->datastore_id);
        free(dk->rdm_type);
    }
    free(vm->add_disks);
}

void mtv_config__scenario_dispose(struct mtv_scenario *s)
{
    free(s->name);
    free(s->id);
    free(s->origin);
    mtv_strv_dispose(&s->markers);
    for (size_t i = 0; i < s->n_vms; i++) {
        vm_dispose(&s->vms[i]);
    }
    free(s->vms);
    free(s->target_power_state);
    free(s->vm_target_namespace);
    free(s->multus_namespace);
    free(s->pvc_name_template);
    for (size_t i = 0; i < s->n_target_labels; i++) {
        free(s->target_labels[i].key);
        free(s->target_labels[i].value);
    }
    free(s->target_labels);
    mtv_json_free(s->target_affinity);
    mtv_json_free(s->target_node_selector);
    mtv_json_free(s->pre_hook);
    mtv_json_free(s->post_hook);
    free(s->expected_migration_result);
}

void mtv_config_free(struct mtv_config *c)
{
    if (c == NULL) {
        return;
    }
    free(c->source_provider);
    free(c->storage_class);
    free(c->mtv_namespace);
    free(c->target_namespace_prefix);
    free(c->remote_ocp_cluster);
    free(c->cluster_host);
    free(c->cluster_username);
    mtv_str_free_secret(c->cluster_password);
    free(c->target_ocp_version);
    for (size_t i = 0; i < c->n_scenarios; i++) {
        mtv_config__scenario_dispose(&c->scenarios[i]);
    }
    free(c->scenarios);
    mtv_strv_dispose(&c->sources);
    free(c);
}

const struct mtv_scenario *mtv_config_scenario(const struct mtv_config *c,
                                               const char *name)
{
    for (size_t i = 0; c != NULL && i < c->n_scenarios; i++) {
        if (strcmp(c->scenarios[i].name, name) == 0) {
            return &c->scenarios[i];
        }
    }
    return NULL;
}

int mtv_config_check_run(const struct mtv_config *c, struct mtv_diag *diag)
{
    int rc = 0;

    if (c->source_provider == NULL || c->source_provider[0] == '\0') {
        rc = mtv_diag_error(diag, "key 'source_provider' is required to run "
                                  "(set it in a config file or with --set "
                                  "source_provider=NAME)");
    }
    if (c->storage_class == NULL || c->storage_class[0] == '\0') {
        rc = mtv_diag_error(diag, "key 'storage_class' is required to run "
                                  "(set it in a config file or with --set "
                                  "storage_class=NAME)");
    }
    return rc;
}

/* --------------------------------------------------------------- loading */

static int read_file(const char *path, struct mtv_buf *b,
                     struct mtv_diag *diag)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n = 0;

    if (f == NULL) {
        return mtv_diag_error(diag, "%s: cannot read: %s", path,
                              strerror(errno));
    }
    mtv_buf_init(b, CONFIG_FILE_MAX);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (mtv_buf_append(b, chunk, n) != 0) {
            fclose(f);
            return mtv_diag_error(diag, "%s: file too large", path);
        }
    }
    if (ferror(f)) {
        fclose(f);
        return mtv_diag_error(diag, "%s: read error", path);
    }
    fclose(f);
    return mtv_buf_puts(b, "") == 0 ? 0 : MTV_ENOMEM;
}

/* Parse text named `name` (kept in c->sources) and merge it into *root. */
static int merge_text(struct cnode **root, struct mtv_config *c,
                      const char *name, const char *text, size_t len,
                      struct mtv_diag *diag)
{
    struct cnode *n = NULL;
    char where[600];
    int rc = mtv_strv_push(&c->sources, name);

    if (rc != 0) {
        return rc;
    }
    name = c->sources.items[c->sources.len - 1];
    rc = cyaml_parse(&n, name, text, len, diag);
    if (rc != 0) {
        return rc;
    }
    if (n->kind != CN_MAP) {
        rc = mtv_diag_error(diag, "%s: expected a mapping of settings",
                            cloc_format(&n->loc, where, sizeof(where)));
        cnode_free(n);
        return rc;
    }
    if (*root == NULL) {
        *root = n;
    } else {
        cnode_merge_take(*root, n);
    }
    return 0;
}

static int merge_file(struct cnode **root, struct mtv_config *c,
                      const char *path, struct mtv_diag *diag)
{
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = read_file(path, &b, diag);

    if (rc == 0) {
        rc = merge_text(root, c, path, b.data, b.len, diag);
    }
    mtv_buf_dispose_secret(&b); /* may hold cluster_password */
    return rc;
}

/* "--set 'key=value'" for messages; the value of a password key is
 * masked (it is not registered as a secret yet). Caller frees. */
static char *set_origin(const char *spec, bool tc)
{
    const char *sep = strchr(spec, tc ? ':' : '=');
    char *key = sep ? mtv_strndup(spec, (size_t)(sep - spec)) : NULL;
    char *out = NULL;

    if (key != NULL && (strcasestr(key, "password") != NULL ||
                        strcasestr(key, "token") != NULL)) {
        out = mtv_strdup_printf("%s '%s%c***'", tc ? "--tc" : "--set", key,
                                *sep);
    } else {
        out = mtv_strdup_printf("%s '%s'", tc ? "--tc" : "--set", spec);
    }
    free(key);
    return out;
}

static int apply_sets(struct cnode *root, struct mtv_config *c,
                      const struct mtv_config_sources *src,
                      struct mtv_diag *diag)
{
    int first = 0;

    for (size_t i = 0; i < src->n_sets; i++) {
        bool tc = src->set_is_tc != NULL && src->set_is_tc[i];
        char *origin = set_origin(src->sets[i], tc);
        int rc = 0;

        if (origin == NULL ||
            mtv_strv_push_take(&c->sources, origin) != 0) {
            return MTV_ENOMEM;
        }
        rc = cset_apply(root, src->sets[i], tc,
                        c->sources.items[c->sources.len - 1], diag);
        if (rc == MTV_ENOMEM) {
            return rc;
        }
        first = first ? first : rc;
    }
    return first;
}

/* "" for the string keys whose default is "" (null written in a file). */
static int normalise(struct mtv_config *c)
{
    char **fields[] = {&c->remote_ocp_cluster, &c->cluster_host,
                       &c->cluster_username, &c->cluster_password,
                       &c->target_ocp_version};

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (*fields[i] == NULL && (*fields[i] = mtv_strdup("")) == NULL) {
            return MTV_ENOMEM;
        }
    }
    if (c->cluster_password[0] != '\0') {
        mtv_log_add_secret(c->cluster_password);
    }
    return 0;
}

static int load_layers(struct mtv_config *c, struct cnode **root,
                       const struct mtv_config_sources *src,
                       const char *text, size_t len, struct mtv_diag *diag)
{
    const char *def = mtv_config_default_yaml();
    int rc = merge_text(root, c, "<built-in defaults>", def, strlen(def),
                        diag);
    int first = 0;

    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; src != NULL && i < src->n_files; i++) {
        rc = merge_file(root, c, src->files[i], diag);
        if (rc == MTV_ENOMEM) {
            return rc;
        }
        first = first ? first : rc;
    }
    if (text != NULL) {
        first = merge_text(root, c, src->files[0], text, len, diag);
    }
    if (first != 0) {
        return first; /* no point decoding half the layers */
    }
    return src != NULL ? apply_sets(*root, c, src, diag) : 0;
}

/* Sort key of an error line: (source index, line, col) from its prefix. */
static void err_key(const struct mtv_strv *sources, const char *e,
                    long key[3])
{
    key[0] = (long)sources->len;
    key[1] = 0;
    key[2] = 0;
    for (size_t i = 0; i < sources->len; i++) {
        size_t n = strlen(sources->items[i]);

        if (strncmp(e, sources->items[i], n) == 0 && e[n] == ':') {
            key[0] = (long)i;
            sscanf(e + n, ":%ld:%ld", &key[1], &key[2]);
            return;
        }
    }
}

static bool err_before(const struct mtv_strv *sources, const char *a,
                       const char *b)
{
    long ka[3];
    long kb[3];

    err_key(sources, a, ka);
    err_key(sources, b, kb);
    for (int i = 0; i < 3; i++) {
        if (ka[i] != kb[i]) {
            return ka[i] < kb[i];
        }
    }
    return false;
}

/* Errors from `from` on, in file order (stable insertion sort). */
static void sort_errors(const struct mtv_strv *sources, struct mtv_diag *d,
                        size_t from)
{
    char **v = d->errors.items;

    for (size_t i = from + 1; d != NULL && i < d->errors.len; i++) {
        char *cur = v[i];
        size_t j = i;

        while (j > from && err_before(sources, cur, v[j - 1])) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = cur;
    }
}

static int load(struct mtv_config **out, const struct mtv_config_sources *src,
                const char *text, size_t len, struct mtv_diag *diag)
{
    struct mtv_config *c = calloc(1, sizeof(*c));
    struct cnode *root = NULL;
    size_t first_err = diag ? diag->errors.len : 0;
    int rc = 0;

    if (c == NULL) {
        return MTV_ENOMEM;
    }
    rc = load_layers(c, &root, src, text, len, diag);
    if (rc == 0 || rc == MTV_ECONFIG) {
        /* decode even after a bad --set so every problem is listed */
        int drc = root ? cdecode_config(c, root, diag) : 0;

        rc = rc ? rc : drc;
    }
    if (rc == 0) {
        rc = normalise(c);
    }
    if (diag != NULL) {
        sort_errors(&c->sources, diag, first_err);
    }
    cnode_free(root);
    if (rc != 0) {
        mtv_config_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int mtv_config_load(struct mtv_config **out,
                    const struct mtv_config_sources *src,
                    struct mtv_diag *diag)
{
    return load(out, src, NULL, 0, diag);
}

int mtv_config_load_text(struct mtv_config **out, const char *name,
                         const char *text, size_t len, struct mtv_diag *diag)
{
    const char *files[] = {name};
    struct mtv_config_sources src = {files, 0, NULL, 0, NULL};

    return load(out, &src, text, len, diag);
}
