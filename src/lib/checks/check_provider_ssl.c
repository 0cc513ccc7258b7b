/* checks: provider_ssl (reference 3.13) - the source Provider's Secret
 * carries insecureSkipVerify as configured. */
#include "checks/checks_priv.h"

#include <stdlib.h>
#include <string.h>

void mtv_checks__provider_ssl(struct mtv_check_result *r,
                              const struct check_ctx *ctx)
{
    const struct mtv_checks_plan *p = ctx->plan;
    const char *want = p->source_insecure_skip_verify ? "true" : "false";
    const char *sname =
        mtv_json_string_or(p->provider, "spec.secret.name", NULL);
    const char *sns =
        mtv_json_string_or(p->provider, "spec.secret.namespace", "");
    const char *b64 = NULL;
    char *found = NULL;

    if (!check_is_vsphere(ctx) && !mtv_str_eq(p->source_type, "ovirt") &&
        !mtv_str_eq(p->source_type, "openstack")) {
        check_set(r, MTV_CHECK_SKIP, "not checked for %s sources",
                  p->source_type);
        return;
    }
    if (p->provider == NULL || sname == NULL) {
        check_set(r, MTV_CHECK_SKIP, "the source Provider has no spec.secret");
        return;
    }
    if (p->provider_secret == NULL) {
        check_set(r, MTV_CHECK_FAIL,
                  "Secret %s/%s of the source Provider not "
                  "found",
                  sns, sname);
        return;
    }
    b64 =
        mtv_json_string_or(p->provider_secret, "data.insecureSkipVerify", NULL);
    if (b64 == NULL) {
        check_set(r, MTV_CHECK_FAIL,
                  "Secret %s/%s: data.insecureSkipVerify "
                  "missing, expected \"%s\"",
                  sns, sname, want);
        return;
    }
    if (check_base64_decode(b64, &found) < 0) {
        check_set(r, MTV_CHECK_FAIL,
                  "Secret %s/%s: data.insecureSkipVerify "
                  "is not base64",
                  sns, sname);
        return;
    }
    if (strcmp(found, want) != 0) {
        check_set(r, MTV_CHECK_FAIL,
                  "Secret %s/%s data.insecureSkipVerify: "
                  "expected \"%s\", found \"%.40s\"",
                  sns, sname, want, found);
    } else {
        check_set(r, MTV_CHECK_PASS,
                  "Secret %s/%s insecureSkipVerify is "
                  "\"%s\"",
                  sns, sname, found);
    }
    free(found);
}
