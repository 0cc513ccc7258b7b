/* checks: power_state (reference 3.3) - target_power_state, else the
 * scenario's source_vm_power, against the destination VM's state. */
#include "checks/checks_priv.h"

#include <string.h>

void mtv_checks__power_state(struct mtv_check_result *r,
                             const struct check_ctx *ctx)
{
    const char *want = ctx->plan->target_power_state;
    const char *from = "target_power_state";
    const char *found = ctx->dest->running ? "on" : "off";

    if (want == NULL || want[0] == '\0') {
        want = ctx->vm->source_vm_power;
        from = "source_vm_power";
    }
    if (want == NULL || want[0] == '\0') {
        check_set(r, MTV_CHECK_SKIP,
                  "no target_power_state and no "
                  "source_vm_power in the scenario");
        return;
    }
    if (strcmp(want, "on") != 0 && strcmp(want, "off") != 0) {
        check_set(r, MTV_CHECK_FAIL,
                  "%s must be \"on\" or \"off\", found "
                  "\"%s\"",
                  from, want);
        return;
    }
    if (strcmp(want, found) != 0) {
        check_set(r, MTV_CHECK_FAIL,
                  "VM %s/%s power state: expected \"%s\" "
                  "(%s), found \"%s\" (printableStatus %s)",
                  ctx->dest->namespace, ctx->dest->name, want, from, found,
                  ctx->dest->printable_status != NULL
                      ? ctx->dest->printable_status
                      : "unknown");
        return;
    }
    check_set(r, MTV_CHECK_PASS, "power state \"%s\" as %s", found, from);
}
