/*
 * libFuzzer: the guest-output parsers, `nmcli device show`
 * (mtv_guest_parse_nmcli) and `ipconfig /all` (mtv_guest_parse_ipconfig),
 * both run on every input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/checks.h"
#include "mtv/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use(const struct mtv_guest_ifaces *v)
{
    size_t i = 0, j = 0;

    for (i = 0; i < v->n; i++) {
        const struct mtv_guest_iface *f = &v->items[i];

        (void)(f->name != NULL ? strlen(f->name) : 0);
        (void)(f->mac != NULL ? strlen(f->mac) : 0);
        (void)(f->mask != NULL ? strlen(f->mask) : 0);
        (void)(f->gateway != NULL ? strlen(f->gateway) : 0);
        for (j = 0; j < f->ips.len; j++) {
            (void)strlen(f->ips.items[j]);
        }
        for (j = 0; j < f->gateways.len; j++) {
            (void)strlen(f->gateways.items[j]);
        }
        if (f->mac != NULL) {
            (void)mtv_checks_mac_equal(f->mac, "00:0c:29:ab:cd:ef");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtv_guest_ifaces v = {NULL, 0};
    struct mtv_error err = {0};
    char *text = malloc(size + 1);

    mtv_log_set_level(MTV_LOG_ERROR);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    if (mtv_guest_parse_nmcli(&v, text, &err) == 0) {
        use(&v);
    }
    mtv_guest_ifaces_dispose(&v);
    memset(&v, 0, sizeof(v));
    if (mtv_guest_parse_ipconfig(&v, text, &err) == 0) {
        use(&v);
    }
    mtv_guest_ifaces_dispose(&v);
    free(text);
    return 0;
}
