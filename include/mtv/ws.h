/*
 * ws: RFC 6455 WebSocket client framing, in one place (module http).
 *
 * Two layers:
 *   1. An I/O-free codec: mtv_ws_encode() builds masked client frames;
 *      struct mtv_ws_decoder is fed server bytes and pops frames (hiredis
 *      style), validating them, optionally reassembling fragmented
 *      messages; control frames between fragments pop out as they come.
 *   2. struct mtv_ws_conn, an adapter over a byte stream (an upgraded HTTP
 *      connection from http.h): recv returns the payload bytes of binary
 *      (and continuation) frames as one byte stream, answers every ping
 *      with a masked pong, answers a close, treats EOF without a close
 *      frame as end of stream (KubeVirt's port-forward ends that way) and
 *      drops text frames. send wraps bytes in masked binary frames.
 * Handshake helpers compute Sec-WebSocket-Key/Accept (the http module
 * sends the request; see docs/ssh.md for why the framing is hand-written).
 */
#ifndef MTV_WS_H
#define MTV_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtv/http.h"
#include "mtv/util.h"

enum mtv_ws_opcode {
    MTV_WS_CONT = 0x0,
    MTV_WS_TEXT = 0x1,
    MTV_WS_BINARY = 0x2,
    MTV_WS_CLOSE = 0x8,
    MTV_WS_PING = 0x9,
    MTV_WS_PONG = 0xA,
};

#define MTV_WS_CLOSE_NORMAL 1000
#define MTV_WS_MAX_FRAME_DEFAULT ((size_t)16 * 1024 * 1024)

/* ------------------------------------------------------------- handshake */

/* A fresh Sec-WebSocket-Key (base64 of 16 random bytes) into key[25]. */
int mtv_ws_key_new(char key[25], struct mtv_error *err);

/* base64(SHA1(key + GUID)) into accept[29]. */
int mtv_ws_accept_for(const char *key, char accept[29], struct mtv_error *err);

/* 0 when `accept` is right for `key`, else MTV_EPROTO. */
int mtv_ws_check_accept(const char *key, const char *accept,
                        struct mtv_error *err);

/* ---------------------------------------------------------------- encode */

/*
 * Append one client frame with FIN set: opcode, payload masked with mask[4]
 * (callers pass fresh random bytes; tests pass fixed ones). Control frames
 * over 125 bytes are MTV_EINVAL. Returns 0 or MTV_ENOMEM/MTV_EPROTO.
 */
int mtv_ws_encode(struct mtv_buf *out, enum mtv_ws_opcode opcode,
                  const void *payload, size_t len, const uint8_t mask[4]);

/* Same for a close frame carrying code (and no reason). */
int mtv_ws_encode_close(struct mtv_buf *out, uint16_t code,
                        const uint8_t mask[4]);

/* ---------------------------------------------------------------- decode */

/* One frame (or, when reassembling, one whole data message). */
struct mtv_ws_frame {
    enum mtv_ws_opcode opcode; /* continuation frames report the message's */
    bool fin;                  /* last fragment of its message */
    const uint8_t *payload;    /* borrowed until the next feed/next call */
    size_t len;
    uint16_t close_code; /* MTV_WS_CLOSE: 1005 when absent */
};

struct mtv_ws_decoder {
    struct mtv_buf in;      /* unparsed bytes */
    struct mtv_buf message; /* reassembly of a fragmented data message */
    size_t consumed;        /* bytes of `in` already popped */
    int msg_opcode;         /* opcode of the message in progress, or -1 */
    bool reassemble;        /* pop whole messages instead of fragments */
    size_t max_frame;       /* cap for one frame / message */
};

/*
 * Initialise. reassemble: pop whole data messages (control frames still
 * pop immediately, even between fragments); else pop each data fragment.
 * max_frame 0: MTV_WS_MAX_FRAME_DEFAULT.
 */
void mtv_ws_decoder_init(struct mtv_ws_decoder *d, bool reassemble,
                         size_t max_frame);
void mtv_ws_decoder_dispose(struct mtv_ws_decoder *d);

/* Append received bytes. MTV_EPROTO past the size cap. */
int mtv_ws_decoder_feed(struct mtv_ws_decoder *d, const void *p, size_t n,
                        struct mtv_error *err);

/*
 * Pop the next frame: returns 1 and fills *out, 0 when more bytes are
 * needed, MTV_EPROTO on a protocol violation (masked server frame, RSV
 * bits, unknown opcode, fragmented or oversized control frame, a
 * continuation with no message, a new message inside a fragmented one,
 * frame over max_frame).
 */
int mtv_ws_decoder_next(struct mtv_ws_decoder *d, struct mtv_ws_frame *out,
                        struct mtv_error *err);

/* ------------------------------------------------------- stream adapter */

struct mtv_ws_conn;

/* Options; zero values pick the defaults. */
struct mtv_ws_conn_opts {
    size_t max_frame;  /* 0: MTV_WS_MAX_FRAME_DEFAULT */
    size_t send_chunk; /* bytes per binary frame sent; 0: 32 KiB */
    /* Mask source for tests (NULL: getrandom). */
    void (*mask_fn)(uint8_t mask[4], void *payload);
    void *mask_payload;
};

/*
 * Wrap an upgraded stream. Takes ownership of stream (closed by
 * mtv_ws_conn_free, also on error). opts may be NULL. Caller frees *out
 * with mtv_ws_conn_free.
 */
int mtv_ws_conn_new(struct mtv_ws_conn **out, struct mtv_http_stream *stream,
                    const struct mtv_ws_conn_opts *opts, struct mtv_error *err);

/* Send n bytes as binary frames (masked). */
int mtv_ws_conn_send(struct mtv_ws_conn *c, const void *p, size_t n,
                     const struct mtv_deadline *deadline,
                     struct mtv_error *err);

/*
 * Receive up to cap payload bytes. Waits until some arrive or the deadline
 * passes (MTV_ETIMEOUT). Pings are answered, pongs and text frames
 * dropped. *got == 0 with return 0 means end of stream: a close frame
 * (answered) or EOF without one.
 */
int mtv_ws_conn_recv(struct mtv_ws_conn *c, void *p, size_t cap, size_t *got,
                     const struct mtv_deadline *deadline,
                     struct mtv_error *err);

/*
 * Read what the stream has without waiting past `deadline` and process it
 * (pings answered, data kept for recv). Call it from an idle loop so the
 * server's keepalive pings keep getting pongs. 0 or an error.
 */
int mtv_ws_conn_service(struct mtv_ws_conn *c,
                        const struct mtv_deadline *deadline,
                        struct mtv_error *err);

/* Payload bytes already decoded and waiting for recv. */
size_t mtv_ws_conn_pending(const struct mtv_ws_conn *c);

/* The socket to poll (or -1); bytes may also be buffered: check
 * mtv_ws_conn_pending() and mtv_ws_conn_stream_pending() first. */
int mtv_ws_conn_fd(const struct mtv_ws_conn *c);
size_t mtv_ws_conn_stream_pending(const struct mtv_ws_conn *c);

/* True once the peer ended the stream (close frame or EOF). */
bool mtv_ws_conn_eof(const struct mtv_ws_conn *c);

/* Pings answered so far (diagnostics, tests). */
unsigned mtv_ws_conn_pongs_sent(const struct mtv_ws_conn *c);

/*
 * Send a close frame (1000) unless the peer already closed, wait for the
 * peer's close until the deadline, close the stream and free (NULL
 * allowed). Never fails: a slow peer is simply dropped.
 */
void mtv_ws_conn_free(struct mtv_ws_conn *c,
                      const struct mtv_deadline *deadline);

#endif
