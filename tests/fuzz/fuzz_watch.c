/*
 * libFuzzer: the Kubernetes watch stream reader
 * (mtv_kube_watch_reader_feed/pop). The input is fed in chunks whose sizes
 * come from the input itself: byte 0 seeds a small chunk-size generator,
 * byte 1 picks the line cap (small caps exercise the MTV_EPROTO path); the
 * rest is the stream. Events are popped after every feed, as mtv_kube_watch
 * does.
 */
#include <stddef.h>
#include <stdint.h>

#include "mtv/json.h"
#include "mtv/kube.h"
#include "mtv/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Pop everything; returns < 0 on a protocol error. */
static int drain(struct mtv_kube_watch_reader *r)
{
    struct mtv_kube_event ev = {0};
    struct mtv_error err = {0};
    int rc = 0;

    while ((rc = mtv_kube_watch_reader_pop(r, &ev, &err)) == 1) {
        (void)ev.type;
        (void)ev.resource_version;
        (void)mtv_json_string_or(ev.object, "metadata.name", NULL);
        mtv_kube_event_dispose(&ev);
    }
    mtv_kube_event_dispose(&ev);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtv_kube_watch_reader *r = NULL;
    struct mtv_error err = {0};
    uint32_t seed = 0;
    size_t max_line = 0;
    size_t off = 2;

    mtv_log_set_level(MTV_LOG_ERROR);
    if (size < 2) {
        return 0;
    }
    seed = data[0] | 1u;
    max_line = data[1] < 128 ? 0 : (size_t)(data[1] - 120) * 8;
    if (mtv_kube_watch_reader_new(&r, max_line, &err) != 0) {
        return 0;
    }
    while (off < size) {
        size_t n = 0;

        seed = seed * 1103515245u + 12345u;
        n = 1 + (seed >> 16) % 64;
        if (n > size - off) {
            n = size - off;
        }
        if (mtv_kube_watch_reader_feed(r, (const char *)data + off, n, &err) !=
            0) {
            break;
        }
        off += n;
        if (drain(r) < 0) {
            break;
        }
    }
    mtv_kube_watch_reader_free(r);
    return 0;
}
