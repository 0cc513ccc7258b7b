/* libFuzzer: the providers JSON parser and the copy-offload rules. */
#include <stddef.h>
#include <stdint.h>

#include "mtv/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtv_providers *p = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;

    mtv_log_set_level(MTV_LOG_ERROR);
    if (mtv_providers_parse(&p, "fuzz.json", (const char *)data, size,
                            &diag) == 0) {
        for (size_t i = 0; i < p->n; i++) {
            mtv_copyoffload_check(&p->items[i], "p: ", &diag);
        }
    }
    mtv_providers_free(p);
    mtv_diag_dispose(&diag);
    mtv_log_clear_secrets();
    return 0;
}
