/*
 * libFuzzer: the kubeconfig reader. Uses the in-memory entry point
 * mtv_kube__config_parse (src/lib/kube/kube_priv.h), which is what
 * mtv_kube_config_load runs on the file's text: the YAML-subset parser,
 * then clusters/contexts/users resolution and base64 "-data" fields.
 * Byte 0 chooses the context (current-context or a fixed name); the source
 * path points into a folder that does not exist so relative file
 * references fail fast.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/kube.h"
#include "mtv/util.h"

#include "../../src/lib/kube/kube_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtv_kube_config *c = NULL;
    struct mtv_error err = {0};
    const char *context = NULL;
    char *text = NULL;

    mtv_log_set_level(MTV_LOG_ERROR);
    if (size < 1 || size > 65536) {
        return 0;
    }
    context = (data[0] & 1) != 0 ? "c" : NULL;
    text = malloc(size);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (mtv_kube__config_parse(&c, text, "/nonexistent-mtv-fuzz/kubeconfig",
                               context, &err) == 0) {
        (void)strlen(c->server);
        (void)strlen(c->namespace);
    }
    mtv_kube_config_free(c);
    free(text);
    mtv_log_clear_secrets();
    return 0;
}
