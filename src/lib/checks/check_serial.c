/* checks: serial (reference 3.12) - the SMBIOS serial preserved from the
 * vSphere BIOS UUID: "VMware-xx xx ...-xx xx ..." on OCP >= 4.20, the
 * plain UUID before; compared case-insensitively. */
#include "checks/checks_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "VMware-42 1a ... 3b-c4 ..." from the 32 hex digits of the UUID. */
static bool vmware_serial(const char *uuid, char *out, size_t size)
{
    char hex[33];
    size_t k = 0;
    size_t o = 0;
    size_t i;

    for (; *uuid != '\0' && k < 32; uuid++) {
        if (isxdigit((unsigned char)*uuid)) {
            hex[k++] = (char)toupper((unsigned char)*uuid);
        }
    }
    if (k != 32 || size < 56) {
        return false;
    }
    o = (size_t)snprintf(out, size, "VMware-");
    for (i = 0; i < 16; i++) {
        const char *sep = i == 0 ? "" : i == 8 ? "-" : " ";

        o += (size_t)snprintf(out + o, size - o, "%s%c%c", sep, hex[2 * i],
                              hex[2 * i + 1]);
    }
    return true;
}

/* 1 when version >= 4.20, 0 when older, -1 when unknown. */
static int at_least_4_20(const char *v)
{
    long major = 0;
    long minor = 0;
    char *end = NULL;

    if (v == NULL || !isdigit((unsigned char)v[0])) {
        return -1;
    }
    major = strtol(v, &end, 10);
    if (*end != '.') {
        return -1;
    }
    minor = strtol(end + 1, NULL, 10);
    return major > 4 || (major == 4 && minor >= 20);
}

void mtv_checks__serial(struct mtv_check_result *r, const struct check_ctx *ctx)
{
    const char *found = ctx->dest->serial;
    const char *uuid = ctx->src->uuid;
    char vmw[64] = "";
    int modern = at_least_4_20(ctx->plan->cluster_version);
    bool ok_vmw = false;
    bool ok_plain = false;

    if (!check_is_vsphere(ctx)) {
        check_set(r, MTV_CHECK_SKIP, "only checked for vsphere sources");
        return;
    }
    if (found == NULL || found[0] == '\0') {
        check_set(r, MTV_CHECK_FAIL,
                  "VM %s/%s has no "
                  "spec.template.spec.domain.firmware.serial",
                  ctx->dest->namespace, ctx->dest->name);
        return;
    }
    if (uuid == NULL || !vmware_serial(uuid, vmw, sizeof(vmw))) {
        check_set(r, MTV_CHECK_FAIL,
                  "the source VM has no usable BIOS UUID "
                  "(\"%s\")",
                  uuid != NULL ? uuid : "");
        return;
    }
    ok_vmw = mtv_str_case_eq(found, vmw);
    ok_plain = mtv_str_case_eq(found, uuid);
    if ((modern == 1 && ok_vmw) || (modern == 0 && ok_plain) ||
        (modern < 0 && (ok_vmw || ok_plain))) {
        check_set(r, MTV_CHECK_PASS, "serial \"%s\" preserved", found);
        return;
    }
    check_set(r, MTV_CHECK_FAIL,
              "domain.firmware.serial: expected \"%s\" "
              "(cluster version %s), found \"%s\"",
              modern == 0 ? uuid : vmw,
              ctx->plan->cluster_version != NULL ? ctx->plan->cluster_version
                                                 : "unknown",
              found);
}
