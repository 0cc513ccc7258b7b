/*
 * libFuzzer: the WebSocket frame decoder (struct mtv_ws_decoder), with and
 * without reassembly. Byte 0: bit 0 reassemble, bits 1-2 the frame cap
 * (default, 16, 200, 4096 bytes), the rest seeds the chunk sizes the
 * server bytes (the remainder of the input) are fed in. Frames are popped
 * after every feed, as mtv_ws_conn does; popped payloads are read in full
 * so ASan sees any out-of-bounds view.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtv/util.h"
#include "mtv/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

/* Pop everything; < 0 on a protocol error. */
static int drain(struct mtv_ws_decoder *d, int reassemble)
{
    struct mtv_ws_frame fr;
    struct mtv_error err = {0};
    int rc = 0;

    while ((rc = mtv_ws_decoder_next(d, &fr, &err)) == 1) {
        uint8_t x = 0;
        size_t i = 0;

        for (i = 0; i < fr.len; i++) {
            x ^= fr.payload[i];
        }
        sink = x;
        if (fr.opcode == MTV_WS_CLOSE) {
            sink = (uint8_t)fr.close_code;
        }
        if (reassemble &&
            (fr.opcode == MTV_WS_TEXT || fr.opcode == MTV_WS_BINARY) &&
            !fr.fin) {
            __builtin_trap(); /* reassembly pops whole messages only */
        }
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[4] = {0, 16, 200, 4096};
    struct mtv_ws_decoder d;
    struct mtv_error err = {0};
    uint32_t seed = 0;
    size_t off = 1;
    int reassemble = 0;

    mtv_log_set_level(MTV_LOG_ERROR);
    if (size < 1) {
        return 0;
    }
    reassemble = data[0] & 1;
    seed = data[0] | 1u;
    mtv_ws_decoder_init(&d, reassemble != 0, caps[(data[0] >> 1) & 3]);
    while (off < size) {
        size_t n = 0;

        seed = seed * 1103515245u + 12345u;
        n = 1 + (seed >> 16) % 97;
        if (n > size - off) {
            n = size - off;
        }
        if (mtv_ws_decoder_feed(&d, data + off, n, &err) != 0) {
            break;
        }
        off += n;
        if (drain(&d, reassemble) < 0) {
            break;
        }
    }
    mtv_ws_decoder_dispose(&d);
    return 0;
}
