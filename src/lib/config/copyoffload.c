/* config: the copy-offload fail-early rules (warm-flow spec §5.3). */
#include "config_priv.h"

#include <stddef.h>
#include <string.h>

const char *const mtv_copyoffload_vendors[] = {
    "ontap",    "vantara",    "primera3par", "pureFlashArray", "powerflex",
    "powermax", "powerstore", "infinibox",   "flashsystem",    NULL};

#define C(f) offsetof(struct mtv_copyoffload, f)

/* Vendor-specific required fields (rule 6). */
static const struct {
    const char *vendor;
    const char *field;
    size_t off;
} vendor_fields[] = {
    {"ontap", "ontap_svm", C(ontap_svm)},
    {"vantara", "vantara_storage_id", C(vantara_storage_id)},
    {"vantara", "vantara_storage_port", C(vantara_storage_port)},
    {"vantara", "vantara_hostgroup_id_list", C(vantara_hostgroup_id_list)},
    {"pureFlashArray", "pure_cluster_prefix", C(pure_cluster_prefix)},
    {"powerflex", "powerflex_system_id", C(powerflex_system_id)},
    {"powermax", "powermax_symmetrix_id", C(powermax_symmetrix_id)},
};

static bool empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

static const char *pfx(const char *prefix)
{
    return prefix ? prefix : "";
}

static int rule_credentials(const struct mtv_copyoffload *co,
                            const char *prefix, struct mtv_diag *diag)
{
    const char *names[] = {"storage_hostname", "storage_username",
                           "storage_password"};
    const char *vals[] = {co->storage_hostname, co->storage_username,
                          co->storage_password};
    struct mtv_buf miss = MTV_BUF_INIT;
    struct mtv_buf envs = MTV_BUF_INIT;
    int rc = 0;

    mtv_buf_puts(&miss, "");
    mtv_buf_puts(&envs, "");
    for (size_t i = 0; i < 3; i++) {
        if (!empty(vals[i])) {
            continue;
        }
        mtv_buf_printf(&miss, "%s'%s'", miss.len ? ", " : "", names[i]);
        mtv_buf_printf(&envs, "%sCOPYOFFLOAD_%s", envs.len ? ", " : "",
                       i == 0   ? "STORAGE_HOSTNAME"
                       : i == 1 ? "STORAGE_USERNAME"
                                : "STORAGE_PASSWORD");
    }
    if (miss.len > 0) {
        rc = mtv_diag_error(diag,
                            "%sRequired storage credentials not found: [%s]; "
                            "add them to the 'copyoffload' section or set "
                            "the environment variables %s",
                            pfx(prefix), miss.data, envs.data);
    }
    mtv_buf_dispose(&miss);
    mtv_buf_dispose(&envs);
    return rc;
}

static bool vendor_known(const char *v)
{
    for (size_t i = 0; mtv_copyoffload_vendors[i] != NULL; i++) {
        if (strcmp(v, mtv_copyoffload_vendors[i]) == 0) {
            return true;
        }
    }
    return false;
}

static int rule_vendor(const struct mtv_copyoffload *co, const char *prefix,
                       struct mtv_diag *diag)
{
    const char *v = co->storage_vendor_product;
    int rc = 0;

    if (empty(v)) {
        return 0; /* rule 4 */
    }
    if (!vendor_known(v)) {
        return mtv_diag_error(diag,
                              "%sUnsupported storage_vendor_product '%s'. "
                              "Valid values: ontap, vantara, primera3par, "
                              "pureFlashArray, powerflex, powermax, "
                              "powerstore, infinibox, flashsystem",
                              pfx(prefix), v);
    }
    for (size_t i = 0; i < sizeof(vendor_fields) / sizeof(vendor_fields[0]);
         i++) {
        const char *fv = *(char *const *)((const char *)co +
                                          vendor_fields[i].off);
        char env[64];

        if (strcmp(vendor_fields[i].vendor, v) != 0 || !empty(fv)) {
            continue;
        }
        mtv_strlcpy(env, vendor_fields[i].field, sizeof(env));
        for (char *q = env; *q != '\0'; q++) {
            *q = (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
        }
        rc = mtv_diag_error(diag,
                            "%sRequired vendor-specific field '%s' not found "
                            "for vendor '%s'; add it to the 'copyoffload' "
                            "section or set environment variable "
                            "COPYOFFLOAD_%s",
                            pfx(prefix), vendor_fields[i].field, v, env);
    }
    return rc;
}

int mtv_copyoffload_check(const struct mtv_provider *prov, const char *prefix,
                          struct mtv_diag *diag)
{
    const struct mtv_copyoffload *co = prov->copyoffload;
    int rc = 0;

    if (prov->type != MTV_PROVIDER_VSPHERE) {
        return mtv_diag_error(diag,
                              "%sCopy-offload tests require vSphere provider, "
                              "but got '%s'",
                              pfx(prefix), mtv_provider_type_name(prov->type));
    }
    if (co == NULL) {
        return mtv_diag_error(diag,
                              "%sCopy-offload configuration not found in "
                              "source provider data. Add 'copyoffload' "
                              "section to provider '%s'",
                              pfx(prefix), prov->key);
    }
    rc = rule_credentials(co, prefix, diag);
    if (empty(co->storage_vendor_product) || empty(co->datastore_id)) {
        rc = mtv_diag_error(
            diag, "%sMissing required copy-offload parameters in config: %s%s%s",
            pfx(prefix),
            empty(co->storage_vendor_product) ? "storage_vendor_product" : "",
            empty(co->storage_vendor_product) && empty(co->datastore_id)
                ? ", "
                : "",
            empty(co->datastore_id) ? "datastore_id" : "");
    }
    rc = rule_vendor(co, prefix, diag) ? MTV_ECONFIG : rc;
    if (co->esxi_clone_method != NULL &&
        strcmp(co->esxi_clone_method, "vib") != 0 &&
        strcmp(co->esxi_clone_method, "ssh") != 0) {
        rc = mtv_diag_error(diag,
                            "%sesxi_clone_method must be \"vib\" or \"ssh\", "
                            "got \"%s\"",
                            pfx(prefix), co->esxi_clone_method);
    }
    return rc;
}
