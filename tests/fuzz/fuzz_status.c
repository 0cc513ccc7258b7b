/*
 * libFuzzer: the Forklift status readers and the destination model builder
 * over arbitrary JSON (parsed with mtv_json_parse first):
 * mtv_forklift_progress_read (+ progress_line/changed),
 * mtv_forklift_run_state, mtv_forklift_format_blockers, the readiness
 * readers, and mtv_checks_dest_build with the document as the VM, as the
 * VMI (members "vm", "vmi", "pvcs" when present) and as the PVC list.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtv/checks.h"
#include "mtv/forklift.h"
#include "mtv/json.h"
#include "mtv/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void status(const struct mtv_json *j)
{
    struct mtv_fl_progress p = MTV_FL_PROGRESS_INIT;
    struct mtv_error err = {0};
    struct mtv_buf b = MTV_BUF_INIT;
    size_t i = 0;

    (void)mtv_forklift_run_state_name(mtv_forklift_run_state(j));
    (void)mtv_forklift_format_blockers(&b, j);
    mtv_buf_reset(&b);
    (void)mtv_forklift_provider_readiness(j, &b);
    mtv_buf_reset(&b);
    (void)mtv_forklift_plan_readiness(j, &b);
    (void)mtv_forklift_pred_finished(j, NULL);
    if (mtv_forklift_progress_read(&p, j, &err) == 0) {
        for (i = 0; i < p.n_vms; i++) {
            mtv_buf_reset(&b);
            (void)mtv_forklift_progress_line(&b, &p.vms[i]);
            (void)mtv_forklift_progress_changed(i > 0 ? &p.vms[i - 1] : NULL,
                                                &p.vms[i]);
            if (p.vms[i].name != NULL) {
                (void)mtv_forklift_progress_vm(&p, p.vms[i].name);
            }
        }
    }
    mtv_forklift_progress_dispose(&p);
    mtv_buf_dispose(&b);
}

static void dest(const struct mtv_json *vm, const struct mtv_json *vmi,
                 const struct mtv_json *pvcs)
{
    struct mtv_checks_dest_input in = {vm, vmi, pvcs};
    struct mtv_checks_dest *d = NULL;
    struct mtv_error err = {0};

    if (vm == NULL) {
        return;
    }
    (void)mtv_checks_dest_build(&d, &in, &err);
    mtv_checks_dest_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtv_json *j = NULL;
    struct mtv_error err = {0};

    mtv_log_set_level(MTV_LOG_ERROR);
    if (mtv_json_parse(&j, (const char *)data, size, NULL, &err) != 0) {
        return 0;
    }
    status(j);
    dest(j, NULL, NULL);
    dest(j, j, j);
    dest(mtv_json_get(j, "vm"), mtv_json_get(j, "vmi"),
         mtv_json_get(j, "pvcs"));
    mtv_json_free(j);
    return 0;
}
