/*
 * libFuzzer: the Go-template engine (mtv_tmpl_parse + mtv_tmpl_execute)
 * with a fixed data object shaped like Forklift's PVC name template data.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/tmpl.h"
#include "mtv/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct mtv_tmpl_var vars[] = {
    {"VmName", MTV_TMPL_STRING, "auto-ab12-mtv-win2022-ip-3disks", 0, 0, 0},
    {"TargetVmName", MTV_TMPL_STRING, "rhel9-web", 0, 0, 0},
    {"PlanName", MTV_TMPL_STRING, "warm-plan", 0, 0, 0},
    {"DiskIndex", MTV_TMPL_INT, NULL, 1, 0, 0},
    {"RootDiskIndex", MTV_TMPL_INT, NULL, 0, 0, 0},
    {"FileName", MTV_TMPL_STRING, "mtv_win2022_ip_3disks_1.vmdk", 0, 0, 0},
    {"Shared", MTV_TMPL_BOOL, NULL, 0, 0, false},
    {"Ratio", MTV_TMPL_FLOAT, NULL, 0, 2.5, 0},
    {"Empty", MTV_TMPL_STRING, "", 0, 0, 0},
    {"Nil", MTV_TMPL_NIL, NULL, 0, 0, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct mtv_tmpl_data d = {vars, sizeof(vars) / sizeof(vars[0])};
    struct mtv_tmpl *t = NULL;
    struct mtv_tmpl_pos pos = {0, 0};
    struct mtv_error err = {0};
    char *text = NULL;
    char *out = NULL;

    mtv_log_set_level(MTV_LOG_ERROR);
    if (size > 4096) {
        return 0; /* PVC name templates are short */
    }
    text = malloc(size + 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    if (mtv_tmpl_parse(&t, text, &pos, &err) == 0) {
        if (mtv_tmpl_execute(&out, t, &d, &pos, &err) == 0) {
            (void)strlen(out);
        }
        free(out);
    }
    mtv_tmpl_free(t);
    free(text);
    return 0;
}
