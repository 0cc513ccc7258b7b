/* checks: labels (reference 3.10) - every target label (null values mean
 * the session id) on spec.template.metadata.labels; extras allowed. */
#include "checks/checks_priv.h"

void mtv_checks__labels(struct mtv_check_result *r, const struct check_ctx *ctx)
{
    const struct mtv_json *want = ctx->plan->target_labels;
    const struct mtv_json *have = ctx->dest->labels;
    const struct mtv_json *e = NULL;
    struct mtv_buf b = MTV_BUF_INIT;

    if (want == NULL) {
        check_set(r, MTV_CHECK_SKIP, "the plan sets no target_labels");
        return;
    }
    if (have == NULL || mtv_json_size(have) == 0) {
        check_set(r, MTV_CHECK_FAIL,
                  "VM %s/%s has no "
                  "spec.template.metadata.labels; expected %zu target "
                  "label(s)",
                  ctx->dest->namespace, ctx->dest->name, mtv_json_size(want));
        return;
    }
    for (e = mtv_json_first(want); e != NULL; e = mtv_json_next(e)) {
        const char *key = mtv_json_key(e);
        const char *value = mtv_json_type(e) == MTV_JSON_NULL
                                ? ctx->plan->session_id
                                : mtv_json_string_value(e);
        const struct mtv_json *got = NULL;

        for (got = mtv_json_first(have); got != NULL;
             got = mtv_json_next(got)) {
            if (mtv_str_eq(mtv_json_key(got), key)) {
                break;
            }
        }
        if (got == NULL) {
            check_problem(&b, "label %s: expected \"%s\", missing", key,
                          value != NULL ? value : "");
        } else if (!mtv_str_eq(mtv_json_string_value(got), value)) {
            check_problem(&b, "label %s: expected \"%s\", found \"%s\"", key,
                          value != NULL ? value : "",
                          mtv_json_string_value(got) != NULL
                              ? mtv_json_string_value(got)
                              : "(not a string)");
        }
    }
    check_finish(r, &b, "%zu target label(s) present", mtv_json_size(want));
    mtv_buf_dispose(&b);
}
