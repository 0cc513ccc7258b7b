/* ws: RFC 6455 client framing against recorded byte streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtv/ws.h"

/* ------------------------------------------------------ helpers and fakes */

/* Parse "xx xx | xx # comment" into bytes; '|' ends a read chunk. */
struct chunks {
    struct mtv_buf bytes;
    size_t ends[256]; /* end offset of each chunk */
    size_t n;
};

static void load_hex(struct chunks *c, const char *name)
{
    char path[512];
    char line[4096];
    FILE *f = NULL;

    memset(c, 0, sizeof(*c));
    snprintf(path, sizeof(path), "%s/ws/%s", MTV_TEST_DATA_DIR, name);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = line;

        if (line[0] == '#') {
            continue;
        }
        while (*p != '\0') {
            char *end = NULL;
            unsigned long v;

            if (*p == '|') {
                c->ends[c->n++] = c->bytes.len;
                p++;
                continue;
            }
            v = strtoul(p, &end, 16);
            if (end == p) {
                p++;
                continue;
            }
            unsigned char b = (unsigned char)v;
            assert_int_equal(mtv_buf_append(&c->bytes, &b, 1), 0);
            p = end;
        }
    }
    fclose(f);
    c->ends[c->n++] = c->bytes.len;
}

/* A byte stream that returns the recorded chunks and keeps what is sent. */
struct fake_stream {
    struct mtv_http_stream base;
    struct chunks *in;
    size_t chunk;
    size_t off;
    struct mtv_buf sent;
    bool closed;
};

static int fs_send(struct mtv_http_stream *s, const void *p, size_t n,
                   const struct mtv_deadline *d, struct mtv_error *err)
{
    struct fake_stream *fs = s->self;

    (void)d;
    (void)err;
    return mtv_buf_append(&fs->sent, p, n);
}

static int fs_recv(struct mtv_http_stream *s, void *p, size_t cap, size_t *got,
                   const struct mtv_deadline *d, struct mtv_error *err)
{
    struct fake_stream *fs = s->self;
    size_t end;

    (void)d;
    (void)err;
    *got = 0;
    if (fs->chunk >= fs->in->n) {
        return 0; /* EOF */
    }
    end = fs->in->ends[fs->chunk];
    *got = end - fs->off < cap ? end - fs->off : cap;
    memcpy(p, fs->in->bytes.data + fs->off, *got);
    fs->off += *got;
    if (fs->off == end) {
        fs->chunk++;
    }
    return 0;
}

static int fs_fd(struct mtv_http_stream *s)
{
    (void)s;
    return -1;
}

static size_t fs_pending(struct mtv_http_stream *s)
{
    struct fake_stream *fs = s->self;

    return fs->chunk < fs->in->n ? 1 : 0;
}

static void fs_close(struct mtv_http_stream *s)
{
    struct fake_stream *fs = s->self;

    fs->closed = true;
}

static const struct mtv_http_stream_ops fs_ops = {
    fs_send, fs_recv, fs_fd, fs_pending, fs_close,
};

static void fixed_mask(uint8_t mask[4], void *payload)
{
    (void)payload;
    mask[0] = 0x37;
    mask[1] = 0xfa;
    mask[2] = 0x21;
    mask[3] = 0x3d;
}

/* Decode the client's (masked) frames: checks the mask bit is set. */
struct client_frame {
    int opcode;
    bool fin;
    uint8_t payload[256];
    size_t len;
};

static size_t parse_client_frames(const struct mtv_buf *b,
                                  struct client_frame *out, size_t max)
{
    size_t off = 0;
    size_t n = 0;

    while (off < b->len && n < max) {
        const uint8_t *p = (const uint8_t *)b->data + off;
        size_t len = p[1] & 0x7f;
        size_t h = 2;
        size_t i;

        assert_true((p[1] & 0x80) != 0); /* every client frame is masked */
        if (len == 126) {
            len = ((size_t)p[2] << 8) | p[3];
            h = 4;
        }
        out[n].opcode = p[0] & 0x0f;
        out[n].fin = (p[0] & 0x80) != 0;
        out[n].len = len;
        for (i = 0; i < len && i < sizeof(out[n].payload); i++) {
            out[n].payload[i] = p[h + 4 + i] ^ p[h + (i % 4)];
        }
        off += h + 4 + len;
        n++;
    }
    assert_int_equal(off, b->len);
    return n;
}

/* ------------------------------------------------------------- handshake */

static void test_ws_framing__accept_rfc_vector(void **state)
{
    char accept[29];
    char key[25];
    struct mtv_error err;

    (void)state;
    assert_int_equal(
        mtv_ws_accept_for("dGhlIHNhbXBsZSBub25jZQ==", accept, NULL), 0);
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_int_equal(mtv_ws_check_accept("dGhlIHNhbXBsZSBub25jZQ==",
                                         "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", NULL),
                     0);
    mtv_error_clear(&err);
    assert_int_equal(
        mtv_ws_check_accept("dGhlIHNhbXBsZSBub25jZQ==", "nope", &err),
        MTV_EPROTO);
    assert_int_equal(mtv_ws_key_new(key, NULL), 0);
    assert_int_equal(strlen(key), 24);
    assert_int_equal(key[22], '=');
}

/* ---------------------------------------------------------------- encode */

static void test_ws_framing__encode_masks_and_lengths(void **state)
{
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    /* RFC 6455 5.7: a masked "Hello" */
    static const uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                    0x7f, 0x9f, 0x4d, 0x51, 0x58};
    struct mtv_buf b = MTV_BUF_INIT;
    char big[70000];

    (void)state;
    assert_int_equal(mtv_ws_encode(&b, MTV_WS_TEXT, "Hello", 5, mask), 0);
    assert_int_equal(b.len, sizeof(hello));
    assert_memory_equal(b.data, hello, sizeof(hello));
    mtv_buf_reset(&b);
    memset(big, 'x', sizeof(big));
    assert_int_equal(mtv_ws_encode(&b, MTV_WS_BINARY, big, 256, mask), 0);
    assert_int_equal((uint8_t)b.data[0], 0x82);
    assert_int_equal((uint8_t)b.data[1], 0x80 | 126);
    assert_int_equal((uint8_t)b.data[2], 0x01);
    assert_int_equal((uint8_t)b.data[3], 0x00);
    assert_int_equal(b.len, 4 + 4 + 256);
    mtv_buf_reset(&b);
    assert_int_equal(mtv_ws_encode(&b, MTV_WS_BINARY, big, 65536, mask), 0);
    assert_int_equal((uint8_t)b.data[1], 0x80 | 127);
    assert_int_equal((uint8_t)b.data[7], 0x01);
    assert_int_equal((uint8_t)b.data[8], 0x00);
    assert_int_equal(b.len, 10 + 4 + 65536);
    mtv_buf_reset(&b);
    assert_int_equal(mtv_ws_encode(&b, MTV_WS_PING, big, 126, mask),
                     MTV_EINVAL);
    assert_int_equal(mtv_ws_encode_close(&b, 1000, mask), 0);
    assert_int_equal((uint8_t)b.data[0], 0x88);
    assert_int_equal((uint8_t)b.data[1], 0x82);
    assert_int_equal((uint8_t)b.data[6] ^ 0x37, 0x03);
    assert_int_equal((uint8_t)b.data[7] ^ 0xfa, 0xe8);
    mtv_buf_dispose(&b);
}

/* ---------------------------------------------------------------- decode */

struct decode_case {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    bool reassemble;
    int want_rc;     /* of the last next() call */
    int want_opcode; /* of the first popped frame */
    const char *want_payload;
};

static const uint8_t d_hello[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
static const uint8_t d_frag[] = {0x01, 0x03, 'H', 'e', 'l',
                                 0x80, 0x02, 'l', 'o'};
static const uint8_t d_frag_ping[] = {0x02, 0x02, 'a',  'b',  0x89,
                                      0x01, 'p',  0x80, 0x01, 'c'};
static const uint8_t d_masked[] = {0x82, 0x81, 1, 2, 3, 4, 'x'};
static const uint8_t d_rsv[] = {0xc2, 0x01, 'x'};
static const uint8_t d_orphan_cont[] = {0x80, 0x01, 'x'};
static const uint8_t d_frag_ping_bad[] = {0x09, 0x01, 'x'};
static const uint8_t d_big_ping[] = {0x89, 0x7e, 0x00, 0x80};
static const uint8_t d_nested[] = {0x02, 0x01, 'a', 0x82, 0x01, 'b'};
static const uint8_t d_opcode[] = {0x83, 0x00};
static const uint8_t d_close[] = {0x88, 0x04, 0x03, 0xe9, 'o', 'k'};
static const uint8_t d_partial[] = {0x82, 0x05, 'a', 'b'};

static const struct decode_case decodes[] = {
    {"unmasked text", d_hello, sizeof(d_hello), false, 1, MTV_WS_TEXT, "Hello"},
    {"fragments reassembled", d_frag, sizeof(d_frag), true, 1, MTV_WS_TEXT,
     "Hello"},
    {"ping between fragments pops first", d_frag_ping, sizeof(d_frag_ping),
     true, 1, MTV_WS_PING, "p"},
    {"fragment pops alone", d_frag, sizeof(d_frag), false, 1, MTV_WS_TEXT,
     "Hel"},
    {"close code", d_close, sizeof(d_close), false, 1, MTV_WS_CLOSE, NULL},
    {"incomplete frame", d_partial, sizeof(d_partial), false, 0, -1, NULL},
    {"masked server frame", d_masked, sizeof(d_masked), false, MTV_EPROTO, -1,
     NULL},
    {"rsv bits", d_rsv, sizeof(d_rsv), false, MTV_EPROTO, -1, NULL},
    {"orphan continuation", d_orphan_cont, sizeof(d_orphan_cont), false,
     MTV_EPROTO, -1, NULL},
    {"fragmented ping", d_frag_ping_bad, sizeof(d_frag_ping_bad), false,
     MTV_EPROTO, -1, NULL},
    {"ping over 125 bytes", d_big_ping, sizeof(d_big_ping), false, MTV_EPROTO,
     -1, NULL},
    {"message inside a message", d_nested, sizeof(d_nested), true, MTV_EPROTO,
     -1, NULL},
    {"unknown opcode", d_opcode, sizeof(d_opcode), false, MTV_EPROTO, -1, NULL},
};

static void test_ws_framing__decode_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(decodes) / sizeof(decodes[0]); i++) {
        const struct decode_case *c = &decodes[i];
        struct mtv_ws_decoder d;
        struct mtv_ws_frame f;
        struct mtv_error err;
        int rc;
        int first_opcode = -1;
        char first[64] = "";

        print_message("decode: %s\n", c->name);
        mtv_error_clear(&err);
        mtv_ws_decoder_init(&d, c->reassemble, 1024);
        assert_int_equal(mtv_ws_decoder_feed(&d, c->bytes, c->len, &err), 0);
        while ((rc = mtv_ws_decoder_next(&d, &f, &err)) == 1) {
            if (first_opcode < 0) {
                first_opcode = (int)f.opcode;
                snprintf(first, sizeof(first), "%.*s", (int)f.len,
                         (const char *)f.payload);
                if (f.opcode == MTV_WS_CLOSE) {
                    assert_int_equal(f.close_code, 1001);
                }
            }
        }
        assert_int_equal(rc, c->want_rc < 0 ? c->want_rc : 0);
        if (c->want_opcode >= 0) {
            assert_int_equal(first_opcode, c->want_opcode);
        }
        if (c->want_payload != NULL) {
            assert_string_equal(first, c->want_payload);
        }
        if (c->want_rc < 0) {
            assert_int_equal(err.code, MTV_EPROTO);
        }
        mtv_ws_decoder_dispose(&d);
    }
}

static void test_ws_framing__byte_at_a_time_reassembly(void **state)
{
    struct mtv_ws_decoder d;
    struct mtv_ws_frame f;
    size_t i;
    int pings = 0;
    int messages = 0;

    (void)state;
    mtv_ws_decoder_init(&d, true, 0);
    for (i = 0; i < sizeof(d_frag_ping); i++) {
        assert_int_equal(mtv_ws_decoder_feed(&d, &d_frag_ping[i], 1, NULL), 0);
        while (mtv_ws_decoder_next(&d, &f, NULL) == 1) {
            if (f.opcode == MTV_WS_PING) {
                pings++;
                assert_int_equal(messages, 0);
            } else {
                assert_int_equal(f.opcode, MTV_WS_BINARY);
                assert_true(f.fin);
                assert_int_equal(f.len, 3);
                assert_memory_equal(f.payload, "abc", 3);
                messages++;
            }
        }
    }
    assert_int_equal(pings, 1);
    assert_int_equal(messages, 1);
    mtv_ws_decoder_dispose(&d);
}

static void test_ws_framing__oversized_frame_is_rejected(void **state)
{
    static const uint8_t hdr[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0};
    struct mtv_ws_decoder d;
    struct mtv_ws_frame f;
    struct mtv_error err;

    (void)state;
    mtv_error_clear(&err);
    mtv_ws_decoder_init(&d, false, 4096);
    assert_int_equal(mtv_ws_decoder_feed(&d, hdr, sizeof(hdr), NULL), 0);
    assert_int_equal(mtv_ws_decoder_next(&d, &f, &err), MTV_EPROTO);
    assert_non_null(strstr(err.msg, "cap"));
    mtv_ws_decoder_dispose(&d);
}

/* ------------------------------------------------------- stream adapter */

static struct mtv_ws_conn *open_conn(struct fake_stream *fs, struct chunks *c)
{
    struct mtv_ws_conn *conn = NULL;
    struct mtv_ws_conn_opts opts;

    memset(fs, 0, sizeof(*fs));
    memset(&opts, 0, sizeof(opts));
    fs->base.ops = &fs_ops;
    fs->base.self = fs;
    fs->in = c;
    opts.mask_fn = fixed_mask;
    assert_int_equal(mtv_ws_conn_new(&conn, &fs->base, &opts, NULL), 0);
    return conn;
}

static void test_ws_framing__recorded_tunnel_ends_with_eof(void **state)
{
    struct chunks c;
    struct fake_stream fs;
    struct mtv_ws_conn *conn = NULL;
    struct mtv_buf got = MTV_BUF_INIT;
    struct client_frame frames[16];
    struct mtv_deadline dl = mtv_deadline_in(5000);
    char buf[1000]; /* small reads: data is handed out across calls */
    char path[512];
    FILE *f = NULL;
    char *want = NULL;
    long want_len;
    size_t n;
    size_t i;

    (void)state;
    load_hex(&c, "portforward-eof.hex");
    conn = open_conn(&fs, &c);
    for (;;) {
        size_t k = 0;

        assert_int_equal(
            mtv_ws_conn_recv(conn, buf, sizeof(buf), &k, &dl, NULL), 0);
        if (k == 0) {
            break;
        }
        assert_int_equal(mtv_buf_append(&got, buf, k), 0);
    }
    assert_true(mtv_ws_conn_eof(conn));
    snprintf(path, sizeof(path), "%s/ws/portforward-eof.payload.bin",
             MTV_TEST_DATA_DIR);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    want_len = ftell(f);
    rewind(f);
    want = malloc((size_t)want_len);
    assert_int_equal(fread(want, 1, (size_t)want_len, f), (size_t)want_len);
    fclose(f);
    /* binary + continuation payloads in order; text frame dropped */
    assert_int_equal(got.len, (size_t)want_len);
    assert_memory_equal(got.data, want, got.len);
    /* both pings answered with masked pongs echoing "keep alive" */
    assert_int_equal(mtv_ws_conn_pongs_sent(conn), 2);
    n = parse_client_frames(&fs.sent, frames, 16);
    assert_int_equal(n, 2);
    for (i = 0; i < n; i++) {
        assert_int_equal(frames[i].opcode, MTV_WS_PONG);
        assert_true(frames[i].fin);
        assert_int_equal(frames[i].len, 10);
        assert_memory_equal(frames[i].payload, "keep alive", 10);
    }
    /* EOF already seen: freeing sends no close frame */
    mtv_ws_conn_free(conn, &dl);
    assert_true(fs.closed);
    n = parse_client_frames(&fs.sent, frames, 16);
    assert_int_equal(n, 2);
    free(want);
    mtv_buf_dispose(&got);
    mtv_buf_dispose(&fs.sent);
    mtv_buf_dispose(&c.bytes);
}

static void test_ws_framing__send_and_close_handshake(void **state)
{
    struct chunks c;
    struct fake_stream fs;
    struct mtv_ws_conn *conn = NULL;
    struct client_frame frames[16];
    struct mtv_deadline dl = mtv_deadline_in(5000);
    char big[100];
    char buf[64];
    size_t k = 0;
    size_t n;

    (void)state;
    load_hex(&c, "portforward-close.hex");
    conn = open_conn(&fs, &c);
    memset(big, 'z', sizeof(big));
    assert_int_equal(mtv_ws_conn_send(conn, "SSH-2.0-x\r\n", 11, &dl, NULL), 0);
    assert_int_equal(mtv_ws_conn_recv(conn, buf, sizeof(buf), &k, &dl, NULL),
                     0);
    assert_int_equal(k, 5);
    assert_memory_equal(buf, "hello", 5);
    /* the server's close: answered, then end of stream; later data dropped */
    assert_int_equal(mtv_ws_conn_recv(conn, buf, sizeof(buf), &k, &dl, NULL),
                     0);
    assert_int_equal(k, 0);
    assert_true(mtv_ws_conn_eof(conn));
    assert_int_equal(mtv_ws_conn_send(conn, big, sizeof(big), &dl, NULL),
                     MTV_EIO);
    mtv_ws_conn_free(conn, &dl);
    n = parse_client_frames(&fs.sent, frames, 16);
    assert_int_equal(n, 2);
    assert_int_equal(frames[0].opcode, MTV_WS_BINARY);
    assert_memory_equal(frames[0].payload, "SSH-2.0-x\r\n", 11);
    assert_int_equal(frames[1].opcode, MTV_WS_CLOSE);
    assert_int_equal(frames[1].payload[0], 0x03);
    assert_int_equal(frames[1].payload[1], 0xe8);
    mtv_buf_dispose(&fs.sent);
    mtv_buf_dispose(&c.bytes);
}

static void test_ws_framing__client_close_waits_for_echo(void **state)
{
    struct chunks c;
    struct fake_stream fs;
    struct mtv_ws_conn *conn = NULL;
    struct client_frame frames[4];
    struct mtv_deadline dl = mtv_deadline_in(5000);
    char big[40000];
    size_t n;

    (void)state;
    load_hex(&c, "portforward-close.hex");
    conn = open_conn(&fs, &c);
    memset(big, 'q', sizeof(big));
    /* 40000 bytes go out as a 32768-byte frame and a 7232-byte frame */
    assert_int_equal(mtv_ws_conn_send(conn, big, sizeof(big), &dl, NULL), 0);
    assert_int_equal(fs.sent.len, (4 + 4 + 32768) + (4 + 4 + 7232));
    mtv_buf_reset(&fs.sent);
    mtv_ws_conn_free(conn, &dl); /* sends close 1000, reads until the echo */
    n = parse_client_frames(&fs.sent, frames, 4);
    assert_int_equal(n, 1);
    assert_int_equal(frames[0].opcode, MTV_WS_CLOSE);
    assert_int_equal(frames[0].len, 2);
    assert_int_equal(fs.chunk, 2); /* stopped at the echo, before the rest */
    mtv_buf_dispose(&fs.sent);
    mtv_buf_dispose(&c.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws_framing__accept_rfc_vector),
        cmocka_unit_test(test_ws_framing__encode_masks_and_lengths),
        cmocka_unit_test(test_ws_framing__decode_table),
        cmocka_unit_test(test_ws_framing__byte_at_a_time_reassembly),
        cmocka_unit_test(test_ws_framing__oversized_frame_is_rejected),
        cmocka_unit_test(test_ws_framing__recorded_tunnel_ends_with_eof),
        cmocka_unit_test(test_ws_framing__send_and_close_handshake),
        cmocka_unit_test(test_ws_framing__client_close_waits_for_echo),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
