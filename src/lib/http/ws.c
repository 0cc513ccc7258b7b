/* ws: RFC 6455 client framing (codec) and the byte-stream adapter. */
#include "mtv/ws.h"

#include <openssl/evp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define RECV_CHUNK 32768

/* ------------------------------------------------------------- handshake */

int mtv_ws_key_new(char key[25], struct mtv_error *err)
{
    unsigned char raw[16];

    if (mtv_random_bytes(raw, sizeof(raw)) < 0) {
        return mtv_error_set(err, MTV_EIO, "ws", "no random bytes for the key");
    }
    EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
    return 0;
}

int mtv_ws_accept_for(const char *key, char accept[29], struct mtv_error *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *joined = mtv_strdup_printf("%s%s", key, WS_GUID);
    int ok;

    if (joined == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "ws", "out of memory");
    }
    ok = EVP_Digest(joined, strlen(joined), md, &mdlen, EVP_sha1(), NULL);
    free(joined);
    if (!ok || mdlen != 20) {
        return mtv_error_set(err, MTV_EIO, "ws", "SHA-1 failed");
    }
    EVP_EncodeBlock((unsigned char *)accept, md, 20);
    return 0;
}

int mtv_ws_check_accept(const char *key, const char *accept,
                        struct mtv_error *err)
{
    char want[29];
    int rc = mtv_ws_accept_for(key, want, err);

    if (rc < 0) {
        return rc;
    }
    if (accept == NULL || strcmp(accept, want) != 0) {
        return mtv_error_set(err, MTV_EPROTO, "ws",
                             "bad Sec-WebSocket-Accept \"%.40s\"",
                             accept != NULL ? accept : "");
    }
    return 0;
}

/* ---------------------------------------------------------------- encode */

static bool is_control(int opcode)
{
    return (opcode & 0x8) != 0;
}

int mtv_ws_encode(struct mtv_buf *out, enum mtv_ws_opcode opcode,
                  const void *payload, size_t len, const uint8_t mask[4])
{
    uint8_t h[14];
    size_t hn = 2;
    size_t start;
    size_t i;
    int rc;

    if (is_control(opcode) && len > 125) {
        return MTV_EINVAL;
    }
    h[0] = (uint8_t)(0x80 | opcode);
    if (len <= 125) {
        h[1] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        h[1] = 0x80 | 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        hn = 4;
    } else {
        h[1] = 0x80 | 127;
        for (i = 0; i < 8; i++) {
            h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        }
        hn = 10;
    }
    memcpy(h + hn, mask, 4);
    hn += 4;
    rc = mtv_buf_append(out, h, hn);
    start = out->len;
    rc = rc == 0 ? mtv_buf_append(out, payload, len) : rc;
    for (i = 0; rc == 0 && i < len; i++) {
        out->data[start + i] ^= (char)mask[i % 4];
    }
    return rc;
}

int mtv_ws_encode_close(struct mtv_buf *out, uint16_t code,
                        const uint8_t mask[4])
{
    uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};

    return mtv_ws_encode(out, MTV_WS_CLOSE, p, sizeof(p), mask);
}

/* ---------------------------------------------------------------- decode */

struct hdr {
    bool fin;
    int opcode;
    size_t hlen;
    uint64_t len;
};

void mtv_ws_decoder_init(struct mtv_ws_decoder *d, bool reassemble,
                         size_t max_frame)
{
    memset(d, 0, sizeof(*d));
    d->max_frame = max_frame != 0 ? max_frame : MTV_WS_MAX_FRAME_DEFAULT;
    mtv_buf_init(&d->in, d->max_frame + 64);
    mtv_buf_init(&d->message, d->max_frame);
    d->msg_opcode = -1;
    d->reassemble = reassemble;
}

void mtv_ws_decoder_dispose(struct mtv_ws_decoder *d)
{
    mtv_buf_dispose(&d->in);
    mtv_buf_dispose(&d->message);
}

static void compact(struct mtv_ws_decoder *d)
{
    if (d->consumed > 0) {
        mtv_buf_consume(&d->in, d->consumed);
        d->consumed = 0;
    }
}

int mtv_ws_decoder_feed(struct mtv_ws_decoder *d, const void *p, size_t n,
                        struct mtv_error *err)
{
    compact(d);
    if (mtv_buf_append(&d->in, p, n) < 0) {
        return mtv_error_set(err, MTV_EPROTO, "ws",
                             "incoming frame larger than %zu bytes",
                             d->max_frame);
    }
    return 0;
}

/* 1 with *h filled, 0 when more bytes are needed, or MTV_EPROTO. */
static int parse_header(const struct mtv_ws_decoder *d, struct hdr *h,
                        struct mtv_error *err)
{
    const uint8_t *p = (const uint8_t *)d->in.data + d->consumed;
    size_t avail = d->in.len - d->consumed;
    size_t i;
    uint8_t l7;

    if (avail < 2) {
        return 0;
    }
    h->fin = (p[0] & 0x80) != 0;
    h->opcode = p[0] & 0x0f;
    l7 = p[1] & 0x7f;
    if ((p[0] & 0x70) != 0) {
        return mtv_error_set(err, MTV_EPROTO, "ws", "frame with RSV bits set");
    }
    if ((p[1] & 0x80) != 0) {
        return mtv_error_set(err, MTV_EPROTO, "ws", "masked frame from server");
    }
    h->hlen = l7 == 126 ? 4 : l7 == 127 ? 10 : 2;
    if (avail < h->hlen) {
        return 0;
    }
    h->len = l7;
    if (l7 >= 126) {
        h->len = 0;
        for (i = 2; i < h->hlen; i++) {
            h->len = (h->len << 8) | p[i];
        }
    }
    return 1;
}

static int check_header(const struct mtv_ws_decoder *d, const struct hdr *h,
                        struct mtv_error *err)
{
    if (h->opcode > MTV_WS_BINARY && !is_control(h->opcode)) {
        return mtv_error_set(err, MTV_EPROTO, "ws", "unknown opcode 0x%x",
                             h->opcode);
    }
    if (is_control(h->opcode) &&
        (h->opcode > MTV_WS_PONG || !h->fin || h->len > 125)) {
        return mtv_error_set(err, MTV_EPROTO, "ws",
                             "bad control frame (opcode 0x%x, fin %d, %llu "
                             "bytes)",
                             h->opcode, h->fin, (unsigned long long)h->len);
    }
    if (h->len > d->max_frame) {
        return mtv_error_set(err, MTV_EPROTO, "ws",
                             "frame of %llu bytes over the %zu cap",
                             (unsigned long long)h->len, d->max_frame);
    }
    if (h->opcode == MTV_WS_CONT && d->msg_opcode < 0) {
        return mtv_error_set(err, MTV_EPROTO, "ws",
                             "continuation frame outside a message");
    }
    if ((h->opcode == MTV_WS_TEXT || h->opcode == MTV_WS_BINARY) &&
        d->msg_opcode >= 0) {
        return mtv_error_set(err, MTV_EPROTO, "ws",
                             "new data frame inside a fragmented message");
    }
    return 0;
}

static void fill(struct mtv_ws_frame *out, int opcode, bool fin,
                 const uint8_t *p, size_t len)
{
    memset(out, 0, sizeof(*out));
    out->opcode = (enum mtv_ws_opcode)opcode;
    out->fin = fin;
    out->payload = p;
    out->len = len;
    if (opcode == MTV_WS_CLOSE) {
        out->close_code = len >= 2 ? (uint16_t)((p[0] << 8) | p[1]) : 1005;
    }
}

/* A data frame: 1 when something pops, 0 when reassembly goes on. */
static int data_frame(struct mtv_ws_decoder *d, const struct hdr *h,
                      const uint8_t *p, struct mtv_ws_frame *out,
                      struct mtv_error *err)
{
    int opcode = h->opcode == MTV_WS_CONT ? d->msg_opcode : h->opcode;

    d->msg_opcode = h->fin ? -1 : opcode;
    if (!d->reassemble || (h->fin && h->opcode != MTV_WS_CONT)) {
        fill(out, opcode, h->fin, p, (size_t)h->len);
        return 1;
    }
    if (mtv_buf_append(&d->message, p, (size_t)h->len) < 0) {
        return mtv_error_set(err, MTV_EPROTO, "ws",
                             "message larger than %zu bytes", d->max_frame);
    }
    if (!h->fin) {
        return 0;
    }
    fill(out, opcode, true, (const uint8_t *)d->message.data, d->message.len);
    return 1;
}

int mtv_ws_decoder_next(struct mtv_ws_decoder *d, struct mtv_ws_frame *out,
                        struct mtv_error *err)
{
    if (d->msg_opcode < 0) {
        mtv_buf_reset(&d->message); /* the last popped message is done */
    }
    compact(d);
    for (;;) {
        struct hdr h;
        const uint8_t *p = NULL;
        int rc = parse_header(d, &h, err);

        if (rc <= 0) {
            return rc;
        }
        if ((rc = check_header(d, &h, err)) < 0) {
            return rc;
        }
        if (d->in.len - d->consumed < h.hlen + h.len) {
            return 0;
        }
        p = (const uint8_t *)d->in.data + d->consumed + h.hlen;
        d->consumed += h.hlen + (size_t)h.len;
        if (is_control(h.opcode)) {
            fill(out, h.opcode, true, p, (size_t)h.len);
            return 1;
        }
        rc = data_frame(d, &h, p, out, err);
        if (rc != 0) {
            return rc;
        }
    }
}

/* ------------------------------------------------------- stream adapter */

struct mtv_ws_conn {
    struct mtv_http_stream *stream;
    struct mtv_ws_decoder dec;
    struct mtv_buf data; /* decoded payload waiting for recv */
    struct mtv_ws_conn_opts opts;
    bool eof;
    bool close_sent;
    unsigned pongs;
};

static void new_mask(struct mtv_ws_conn *c, uint8_t mask[4])
{
    if (c->opts.mask_fn != NULL) {
        c->opts.mask_fn(mask, c->opts.mask_payload);
    } else if (mtv_random_bytes(mask, 4) < 0) {
        memset(mask, 0x5a, 4);
    }
}

static int send_frame(struct mtv_ws_conn *c, enum mtv_ws_opcode op,
                      const void *p, size_t n,
                      const struct mtv_deadline *deadline,
                      struct mtv_error *err)
{
    struct mtv_buf f = MTV_BUF_INIT;
    uint8_t mask[4];
    int rc;

    new_mask(c, mask);
    rc = mtv_ws_encode(&f, op, p, n, mask);
    if (rc < 0) {
        mtv_buf_dispose(&f);
        return mtv_error_set(err, rc, "ws", "cannot encode a frame");
    }
    rc = mtv_http_stream_send(c->stream, f.data, f.len, deadline, err);
    mtv_buf_dispose(&f);
    if (rc == 0 && op == MTV_WS_CLOSE) {
        c->close_sent = true;
    }
    return rc;
}

int mtv_ws_conn_new(struct mtv_ws_conn **out, struct mtv_http_stream *stream,
                    const struct mtv_ws_conn_opts *opts, struct mtv_error *err)
{
    struct mtv_ws_conn *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        mtv_http_stream_close(stream);
        return mtv_error_set(err, MTV_ENOMEM, "ws", "out of memory");
    }
    if (opts != NULL) {
        c->opts = *opts;
    }
    if (c->opts.send_chunk == 0) {
        c->opts.send_chunk = 32768;
    }
    c->stream = stream;
    mtv_ws_decoder_init(&c->dec, false, c->opts.max_frame);
    mtv_buf_init(&c->data, c->dec.max_frame * 2);
    *out = c;
    return 0;
}

int mtv_ws_conn_send(struct mtv_ws_conn *c, const void *p, size_t n,
                     const struct mtv_deadline *deadline, struct mtv_error *err)
{
    const char *b = p;
    int rc = 0;

    if (c->eof || c->close_sent) {
        return mtv_error_set(err, MTV_EIO, "ws", "send on a closed tunnel");
    }
    while (rc == 0 && n > 0) {
        size_t k = n < c->opts.send_chunk ? n : c->opts.send_chunk;

        rc = send_frame(c, MTV_WS_BINARY, b, k, deadline, err);
        b += k;
        n -= k;
    }
    return rc;
}

/* Handle one popped frame. */
static int on_frame(struct mtv_ws_conn *c, const struct mtv_ws_frame *f,
                    const struct mtv_deadline *deadline, struct mtv_error *err)
{
    switch (f->opcode) {
    case MTV_WS_BINARY:
    case MTV_WS_CONT:
        if (mtv_buf_append(&c->data, f->payload, f->len) < 0) {
            return mtv_error_set(err, MTV_EPROTO, "ws",
                                 "unread tunnel data over the cap");
        }
        return 0;
    case MTV_WS_PING:
        c->pongs++;
        return send_frame(c, MTV_WS_PONG, f->payload, f->len, deadline, err);
    case MTV_WS_CLOSE:
        c->eof = true;
        if (!c->close_sent) {
            uint16_t code =
                f->close_code == 1005 ? MTV_WS_CLOSE_NORMAL : f->close_code;
            uint8_t echo[2] = {(uint8_t)(code >> 8), (uint8_t)code};

            (void)send_frame(c, MTV_WS_CLOSE, echo, 2, deadline, NULL);
        }
        return 0;
    case MTV_WS_TEXT: /* port-forward never sends text: drop it */
    case MTV_WS_PONG:
        return 0;
    }
    return 0;
}

/* One stream read (waiting until the deadline), then every frame in it. */
static int read_some(struct mtv_ws_conn *c, const struct mtv_deadline *deadline,
                     struct mtv_error *err)
{
    char buf[RECV_CHUNK];
    struct mtv_ws_frame f;
    size_t got = 0;
    int rc;

    rc = mtv_http_stream_recv(c->stream, buf, sizeof(buf), &got, deadline, err);
    if (rc < 0) {
        return rc;
    }
    if (got == 0) {
        c->eof = true; /* EOF without a close frame: end of stream */
        return 0;
    }
    rc = mtv_ws_decoder_feed(&c->dec, buf, got, err);
    while (rc == 0 && !c->eof) {
        rc = mtv_ws_decoder_next(&c->dec, &f, err);
        if (rc <= 0) {
            break;
        }
        rc = on_frame(c, &f, deadline, err);
    }
    return rc < 0 ? rc : 0;
}

int mtv_ws_conn_recv(struct mtv_ws_conn *c, void *p, size_t cap, size_t *got,
                     const struct mtv_deadline *deadline, struct mtv_error *err)
{
    int rc = 0;

    *got = 0;
    while (c->data.len == 0 && !c->eof) {
        rc = read_some(c, deadline, err);
        if (rc < 0) {
            return rc;
        }
    }
    *got = c->data.len < cap ? c->data.len : cap;
    if (*got > 0) {
        memcpy(p, c->data.data, *got);
        mtv_buf_consume(&c->data, *got);
    }
    return 0;
}

int mtv_ws_conn_service(struct mtv_ws_conn *c,
                        const struct mtv_deadline *deadline,
                        struct mtv_error *err)
{
    struct pollfd pfd;
    int fd = mtv_http_stream_fd(c->stream);

    while (!c->eof) {
        if (mtv_http_stream_pending(c->stream) == 0) {
            if (fd < 0) {
                return 0;
            }
            pfd.fd = fd;
            pfd.events = POLLIN;
            pfd.revents = 0;
            if (poll(&pfd, 1, (int)mtv_deadline_remaining_ms(deadline)) <= 0) {
                return 0;
            }
        }
        if (read_some(c, deadline, err) < 0) {
            return err != NULL ? err->code : MTV_EIO;
        }
        if (mtv_deadline_expired(deadline)) {
            return 0;
        }
    }
    return 0;
}

size_t mtv_ws_conn_pending(const struct mtv_ws_conn *c)
{
    return c->data.len;
}

int mtv_ws_conn_fd(const struct mtv_ws_conn *c)
{
    return mtv_http_stream_fd(c->stream);
}

size_t mtv_ws_conn_stream_pending(const struct mtv_ws_conn *c)
{
    return mtv_http_stream_pending(c->stream);
}

bool mtv_ws_conn_eof(const struct mtv_ws_conn *c)
{
    return c->eof;
}

unsigned mtv_ws_conn_pongs_sent(const struct mtv_ws_conn *c)
{
    return c->pongs;
}

void mtv_ws_conn_free(struct mtv_ws_conn *c,
                      const struct mtv_deadline *deadline)
{
    struct mtv_deadline never = mtv_deadline_in(2000);

    if (c == NULL) {
        return;
    }
    if (deadline == NULL) {
        deadline = &never;
    }
    if (!c->eof && !c->close_sent) {
        uint8_t code[2] = {MTV_WS_CLOSE_NORMAL >> 8,
                           MTV_WS_CLOSE_NORMAL & 0xff};

        (void)send_frame(c, MTV_WS_CLOSE, code, 2, deadline, NULL);
    }
    while (!c->eof && c->close_sent && !mtv_deadline_expired(deadline)) {
        mtv_buf_reset(&c->data);
        if (read_some(c, deadline, NULL) < 0) {
            break;
        }
    }
    mtv_http_stream_close(c->stream);
    mtv_ws_decoder_dispose(&c->dec);
    mtv_buf_dispose(&c->data);
    free(c);
}
