/* config: the providers file (strict JSON), fields per provider type. */
#include "config_priv.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PROVIDERS_FILE_MAX ((size_t)16 * 1024 * 1024)

/* Bits of `need`: which types require the field. */
#define T_VS (1u << MTV_PROVIDER_VSPHERE)
#define T_OV (1u << MTV_PROVIDER_OVIRT)
#define T_OS (1u << MTV_PROVIDER_OPENSTACK)
#define T_OC (1u << MTV_PROVIDER_OPENSHIFT)
#define T_OVA (1u << MTV_PROVIDER_OVA)
#define T_ALL (T_VS | T_OV | T_OS | T_OC | T_OVA)

enum pkind { PK_STR, PK_PORT, PK_COPYOFFLOAD };

struct pfield {
    const char *name;
    enum pkind kind;
    size_t off;
    unsigned need; /* types that require it */
    bool secret;
};

#define P(f) offsetof(struct mtv_provider, f)

static const struct pfield provider_fields[] = {
    {"type", PK_STR, P(type_name), T_ALL, false},
    {"version", PK_STR, P(version), T_ALL, false},
    {"fqdn", PK_STR, P(fqdn), T_VS | T_OV | T_OS, false},
    {"api_url", PK_STR, P(api_url), T_VS | T_OV | T_OS | T_OVA, false},
    {"username", PK_STR, P(username), T_VS | T_OV | T_OS, false},
    {"password", PK_STR, P(password), T_VS | T_OV | T_OS, true},
    {"cacert", PK_STR, P(cacert), 0, false},
    {"guest_vm_linux_user", PK_STR, P(guest_vm_linux_user), 0, false},
    {"guest_vm_linux_password", PK_STR, P(guest_vm_linux_password), 0, true},
    {"guest_vm_win_user", PK_STR, P(guest_vm_win_user), 0, false},
    {"guest_vm_win_password", PK_STR, P(guest_vm_win_password), 0, true},
    {"guest_ssh_port", PK_PORT, P(guest_ssh_port), 0, false},
    {"vddk_init_image", PK_STR, P(vddk_init_image), 0, false},
    {"project_name", PK_STR, P(project_name), T_OS, false},
    {"user_domain_name", PK_STR, P(user_domain_name), T_OS, false},
    {"region_name", PK_STR, P(region_name), T_OS, false},
    {"user_domain_id", PK_STR, P(user_domain_id), T_OS, false},
    {"project_domain_id", PK_STR, P(project_domain_id), T_OS, false},
    {"copyoffload", PK_COPYOFFLOAD, 0, 0, false},
    {NULL, PK_STR, 0, 0, false},
};

#define C(f) offsetof(struct mtv_copyoffload, f)

struct cfield {
    const char *name;
    size_t off;
    bool secret;
};

static const struct cfield copyoffload_fields[] = {
    {"storage_vendor_product", C(storage_vendor_product), false},
    {"datastore_id", C(datastore_id), false},
    {"secondary_datastore_id", C(secondary_datastore_id), false},
    {"non_xcopy_datastore_id", C(non_xcopy_datastore_id), false},
    {"default_vm_name", C(default_vm_name), false},
    {"storage_hostname", C(storage_hostname), false},
    {"storage_username", C(storage_username), false},
    {"storage_password", C(storage_password), true},
    {"ontap_svm", C(ontap_svm), false},
    {"vantara_storage_id", C(vantara_storage_id), false},
    {"vantara_storage_port", C(vantara_storage_port), false},
    {"vantara_hostgroup_id_list", C(vantara_hostgroup_id_list), false},
    {"pure_cluster_prefix", C(pure_cluster_prefix), false},
    {"powerflex_system_id", C(powerflex_system_id), false},
    {"powermax_symmetrix_id", C(powermax_symmetrix_id), false},
    {"esxi_clone_method", C(esxi_clone_method), false},
    {"esxi_host", C(esxi_host), false},
    {"esxi_user", C(esxi_user), false},
    {"esxi_password", C(esxi_password), true},
    {"rdm_lun_uuid", C(rdm_lun_uuid), false},
    {NULL, 0, false},
};

static const char *const type_names[] = {
    [MTV_PROVIDER_UNKNOWN] = "unknown",     [MTV_PROVIDER_VSPHERE] = "vsphere",
    [MTV_PROVIDER_OVIRT] = "ovirt",         [MTV_PROVIDER_OPENSTACK] = "openstack",
    [MTV_PROVIDER_OPENSHIFT] = "openshift", [MTV_PROVIDER_OVA] = "ova",
};

const char *mtv_provider_type_name(enum mtv_provider_type t)
{
    if ((size_t)t >= sizeof(type_names) / sizeof(type_names[0])) {
        return "unknown";
    }
    return type_names[t];
}

static enum mtv_provider_type type_of(const char *s)
{
    for (size_t i = 1; s && i < sizeof(type_names) / sizeof(type_names[0]);
         i++) {
        if (strcmp(s, type_names[i]) == 0) {
            return (enum mtv_provider_type)i;
        }
    }
    return MTV_PROVIDER_UNKNOWN;
}

/* ----------------------------------------------------------------- free */

static void copyoffload_free(struct mtv_copyoffload *co)
{
    if (co == NULL) {
        return;
    }
    for (const struct cfield *f = copyoffload_fields; f->name; f++) {
        mtv_str_free_secret(*(char **)((char *)co + f->off));
    }
    free(co);
}

static void provider_dispose(struct mtv_provider *p)
{
    free(p->key);
    for (const struct pfield *f = provider_fields; f->name; f++) {
        if (f->kind == PK_STR) {
            mtv_str_free_secret(*(char **)((char *)p + f->off));
        }
    }
    copyoffload_free(p->copyoffload);
}

void mtv_providers_free(struct mtv_providers *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        provider_dispose(&p->items[i]);
    }
    free(p->items);
    free(p->path);
    free(p);
}

const struct mtv_provider *mtv_providers_get(const struct mtv_providers *p,
                                             const char *key)
{
    for (size_t i = 0; p != NULL && key != NULL && i < p->n; i++) {
        if (strcmp(p->items[i].key, key) == 0) {
            return &p->items[i];
        }
    }
    return NULL;
}

/* -------------------------------------------------------------- decoding */

struct pctx {
    const char *file;
    const char *key; /* provider */
    struct mtv_diag *diag;
    int rc;
};

static void perr(struct pctx *c, const char *field, const char *what)
{
    c->rc = mtv_diag_error(c->diag, "%s: provider '%s': key '%s': %s",
                           c->file, c->key, field, what);
}

static char *take_string(struct pctx *c, const struct mtv_json *v,
                         const char *field, bool secret)
{
    const char *s = mtv_json_string_value(v);
    char *copy = NULL;

    if (s == NULL) {
        perr(c, field, "expected string");
        return NULL;
    }
    copy = mtv_strdup(s);
    if (copy == NULL) {
        c->rc = MTV_ENOMEM;
    } else if (secret) {
        mtv_log_add_secret(copy);
    }
    return copy;
}

/* COPYOFFLOAD_<FIELD> environment overrides: env wins. */
static void copyoffload_env(struct pctx *c, struct mtv_copyoffload *co)
{
    char var[96];

    for (const struct cfield *f = copyoffload_fields; f->name; f++) {
        char **field = (char **)((char *)co + f->off);
        const char *v = NULL;

        snprintf(var, sizeof(var), "COPYOFFLOAD_%s", f->name);
        for (char *p = var; *p; p++) {
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        }
        v = getenv(var);
        if (v == NULL || v[0] == '\0') {
            continue;
        }
        mtv_str_free_secret(*field);
        *field = mtv_strdup(v);
        if (*field == NULL) {
            c->rc = MTV_ENOMEM;
        } else if (f->secret) {
            mtv_log_add_secret(*field);
        }
    }
}

static const struct cfield *cfield_find(const char *name)
{
    for (const struct cfield *f = copyoffload_fields; f->name; f++) {
        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }
    return NULL;
}

static void decode_copyoffload(struct pctx *c, struct mtv_provider *p,
                               const struct mtv_json *obj)
{
    struct mtv_copyoffload *co = NULL;
    char path[128];

    if (mtv_json_type(obj) != MTV_JSON_OBJECT) {
        perr(c, "copyoffload", "expected object");
        return;
    }
    co = calloc(1, sizeof(*co));
    if (co == NULL) {
        c->rc = MTV_ENOMEM;
        return;
    }
    p->copyoffload = co;
    for (const struct mtv_json *m = mtv_json_first(obj); m;
         m = mtv_json_next(m)) {
        const struct cfield *f = cfield_find(mtv_json_key(m));

        snprintf(path, sizeof(path), "copyoffload.%.100s", mtv_json_key(m));
        if (f == NULL) {
            mtv_diag_warning(c->diag, "%s: provider '%s': unknown key '%s' "
                             "(ignored)", c->file, c->key, path);
            continue;
        }
        if (*(char **)((char *)co + f->off) != NULL) {
            perr(c, path, "duplicate key");
            continue;
        }
        *(char **)((char *)co + f->off) = take_string(c, m, path, f->secret);
    }
    copyoffload_env(c, co);
}

static const struct pfield *pfield_find(const char *name)
{
    for (const struct pfield *f = provider_fields; f->name; f++) {
        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }
    return NULL;
}

static void decode_field(struct pctx *c, struct mtv_provider *p,
                         const struct pfield *f, const struct mtv_json *m)
{
    double port = 0;

    if ((f->kind == PK_STR && *(char **)((char *)p + f->off) != NULL) ||
        (f->kind == PK_COPYOFFLOAD && p->copyoffload != NULL)) {
        perr(c, f->name, "duplicate key");
        return;
    }
    if (f->kind == PK_STR) {
        *(char **)((char *)p + f->off) = take_string(c, m, f->name,
                                                     f->secret);
    } else if (f->kind == PK_COPYOFFLOAD) {
        decode_copyoffload(c, p, m);
    } else {
        port = mtv_json_number_value(m);
        if (mtv_json_type(m) != MTV_JSON_NUMBER || port != (long)port ||
            port < 1 || port > 65535) {
            perr(c, f->name, "expected an integer port (1-65535)");
        } else {
            p->guest_ssh_port = (long)port;
        }
    }
}

static void check_required(struct pctx *c, struct mtv_provider *p,
                           const struct mtv_json *obj)
{
    char what[160];

    if (p->type_name == NULL) {
        return; /* reported as missing below via the table */
    }
    p->type = type_of(p->type_name);
    if (p->type == MTV_PROVIDER_UNKNOWN) {
        snprintf(what, sizeof(what),
                 "unknown type '%.40s' (expected vsphere, ovirt, openstack, "
                 "openshift or ova)",
                 p->type_name);
        perr(c, "type", what);
        return;
    }
    for (const struct pfield *f = provider_fields; f->name; f++) {
        if ((f->need & (1u << p->type)) && f->kind == PK_STR &&
            mtv_json_get(obj, f->name) == NULL) {
            snprintf(what, sizeof(what), "required for type '%s'",
                     p->type_name);
            perr(c, f->name, what);
        }
    }
}

static void decode_provider(struct pctx *c, struct mtv_provider *p,
                            const struct mtv_json *obj)
{
    p->guest_ssh_port = 22;
    if (mtv_json_type(obj) != MTV_JSON_OBJECT) {
        c->rc = mtv_diag_error(c->diag, "%s: provider '%s': expected object",
                               c->file, c->key);
        return;
    }
    for (const struct mtv_json *m = mtv_json_first(obj); m;
         m = mtv_json_next(m)) {
        const struct pfield *f = pfield_find(mtv_json_key(m));

        if (f == NULL) {
            mtv_diag_warning(c->diag, "%s: provider '%s': unknown key '%s' "
                             "(ignored)", c->file, c->key, mtv_json_key(m));
            continue;
        }
        decode_field(c, p, f, m);
    }
    if (mtv_json_get(obj, "type") == NULL) {
        perr(c, "type", "required");
    }
    check_required(c, p, obj);
}

static int parse_error(const char *name, const struct mtv_json_pos *pos,
                       const struct mtv_error *err, struct mtv_diag *diag)
{
    if (pos->ch == '#' || pos->ch == '/') {
        return mtv_diag_error(diag, "%s:%d:%d: comments are not allowed in "
                              "JSON", name, pos->line, pos->col);
    }
    return mtv_diag_error(diag, "%s:%s", name, err->msg);
}

static bool blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!strchr(" \t\r\n", text[i])) {
            return false;
        }
    }
    return true;
}

static int decode_all(struct mtv_providers *ps, const char *name,
                      const struct mtv_json *root, struct mtv_diag *diag)
{
    struct pctx c = {name, NULL, diag, 0};
    size_t n = mtv_json_size(root);

    ps->items = calloc(n ? n : 1, sizeof(*ps->items));
    if (ps->items == NULL) {
        return MTV_ENOMEM;
    }
    for (const struct mtv_json *m = mtv_json_first(root); m;
         m = mtv_json_next(m)) {
        struct mtv_provider *p = NULL;

        if (mtv_providers_get(ps, mtv_json_key(m)) != NULL) {
            c.rc = mtv_diag_error(diag, "%s: duplicate provider '%s'", name,
                                  mtv_json_key(m));
            continue;
        }
        p = &ps->items[ps->n++];
        p->key = mtv_strdup(mtv_json_key(m));
        if (p->key == NULL) {
            return MTV_ENOMEM;
        }
        c.key = p->key;
        decode_provider(&c, p, m);
        if (c.rc == MTV_ENOMEM) {
            return c.rc;
        }
    }
    return c.rc;
}

int mtv_providers_parse(struct mtv_providers **out, const char *name,
                        const char *text, size_t len, struct mtv_diag *diag)
{
    struct mtv_providers *ps = NULL;
    struct mtv_json *root = NULL;
    struct mtv_json_pos pos = {0, 0, 0};
    struct mtv_error err;
    int rc = 0;

    mtv_error_clear(&err);
    if (blank(text, len)) {
        return mtv_diag_error(diag, "%s: providers file is empty", name);
    }
    if (mtv_json_parse(&root, text, len, &pos, &err) != 0) {
        return parse_error(name, &pos, &err, diag);
    }
    if (mtv_json_type(root) != MTV_JSON_OBJECT) {
        mtv_json_free(root);
        return mtv_diag_error(diag, "%s: expected a JSON object of providers "
                              "at the top level", name);
    }
    ps = calloc(1, sizeof(*ps));
    rc = ps ? 0 : MTV_ENOMEM;
    if (rc == 0 && (ps->path = mtv_strdup(name)) == NULL) {
        rc = MTV_ENOMEM;
    }
    if (rc == 0) {
        rc = decode_all(ps, name, root, diag);
    }
    mtv_json_free(root);
    if (rc != 0) {
        mtv_providers_free(ps);
        return rc;
    }
    *out = ps;
    return 0;
}

static int read_all(const char *path, struct mtv_buf *b,
                    struct mtv_diag *diag)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n = 0;
    int rc = 0;

    if (f == NULL) {
        mtv_diag_error(diag, "%s: cannot read providers file: %s", path,
                       strerror(errno));
        return errno == ENOENT ? MTV_ENOTFOUND : MTV_ECONFIG;
    }
    mtv_buf_init(b, PROVIDERS_FILE_MAX);
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (mtv_buf_append(b, chunk, n) != 0) {
            rc = mtv_diag_error(diag, "%s: file too large", path);
        }
    }
    fclose(f);
    return rc;
}

int mtv_providers_load(struct mtv_providers **out, const char *path,
                       struct mtv_diag *diag)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct stat st;
    int rc = read_all(path, &b, diag);

    if (rc == 0 && stat(path, &st) == 0 &&
        (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
        mtv_diag_warning(diag, "%s: the providers file holds passwords and "
                         "is readable by group or others (chmod 600 %s)",
                         path, path);
    }
    if (rc == 0) {
        rc = mtv_providers_parse(out, path, b.data ? b.data : "", b.len,
                                 diag);
    }
    mtv_buf_dispose_secret(&b);
    return rc;
}
