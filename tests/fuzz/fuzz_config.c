/* libFuzzer: the scenario YAML loader (layered on the defaults). */
#include <stddef.h>
#include <stdint.h>

#include "mtv/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtv_config *c = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;

    mtv_log_set_level(MTV_LOG_ERROR);
    if (mtv_config_load_text(&c, "fuzz.yaml", (const char *)data, size,
                             &diag) == 0) {
        mtv_config_check_run(c, &diag);
    }
    mtv_config_free(c);
    mtv_diag_dispose(&diag);
    mtv_log_clear_secrets();
    return 0;
}
