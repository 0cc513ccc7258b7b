/* libFuzzer: the -m / -k expression parser and evaluator. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mtv/runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = mtv_strndup((const char *)data, size);
    struct mtv_strv names = MTV_STRV_INIT;
    struct mtv_expr *e = NULL;
    struct mtv_error err;

    if (text == NULL) {
        return 0;
    }
    mtv_strv_push(&names, "warm");
    mtv_strv_push(&names, "tier0");
    if (mtv_expr_parse(&e, text, MTV_EXPR_MARKER, "-m", &err) == 0) {
        mtv_expr_match_markers(e, &names);
    }
    mtv_expr_free(e);
    e = NULL;
    if (mtv_expr_parse(&e, text, MTV_EXPR_KEYWORD, "-k", &err) == 0) {
        mtv_expr_match_names(e, &names);
    }
    mtv_expr_free(e);
    mtv_strv_dispose(&names);
    free(text);
    return 0;
}
