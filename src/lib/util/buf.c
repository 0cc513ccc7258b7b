/* util: growable buffers with a size cap. */
#include "mtv/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mtv_buf_init(struct mtv_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void mtv_buf_dispose(struct mtv_buf *b)
{
    if (b == NULL) {
        return;
    }
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void mtv_buf_dispose_secret(struct mtv_buf *b)
{
    if (b == NULL) {
        return;
    }
    if (b->data != NULL) {
        explicit_bzero(b->data, b->cap);
    }
    mtv_buf_dispose(b);
}

void mtv_buf_reset(struct mtv_buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

static size_t buf_max(const struct mtv_buf *b)
{
    return b->max != 0 ? b->max : MTV_BUF_DEFAULT_MAX;
}

static int buf_reserve(struct mtv_buf *b, size_t extra)
{
    size_t need;
    size_t cap;
    char *p;

    if (extra > buf_max(b) || b->len > buf_max(b) - extra) {
        return MTV_EPROTO;
    }
    need = b->len + extra + 1;
    if (need <= b->cap) {
        return 0;
    }
    cap = b->cap != 0 ? b->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (p == NULL) {
        return MTV_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int mtv_buf_append(struct mtv_buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);

    if (rc < 0) {
        return rc;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int mtv_buf_puts(struct mtv_buf *b, const char *s)
{
    return mtv_buf_append(b, s, strlen(s));
}

int mtv_buf_vprintf(struct mtv_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    int rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return MTV_EINVAL;
    }
    rc = buf_reserve(b, (size_t)n);
    if (rc < 0) {
        return rc;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int mtv_buf_printf(struct mtv_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = mtv_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void mtv_buf_consume(struct mtv_buf *b, size_t n)
{
    if (n >= b->len) {
        mtv_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

char *mtv_buf_detach(struct mtv_buf *b)
{
    char *out = b->data;

    if (out == NULL) {
        out = calloc(1, 1);
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return out;
}

int mtv_buf_put_json_escaped(struct mtv_buf *b, const char *s)
{
    int rc = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0;
         p++) {
        switch (*p) {
        case '"':
            rc = mtv_buf_puts(b, "\\\"");
            break;
        case '\\':
            rc = mtv_buf_puts(b, "\\\\");
            break;
        case '\n':
            rc = mtv_buf_puts(b, "\\n");
            break;
        case '\r':
            rc = mtv_buf_puts(b, "\\r");
            break;
        case '\t':
            rc = mtv_buf_puts(b, "\\t");
            break;
        default:
            if (*p < 0x20) {
                rc = mtv_buf_printf(b, "\\u%04x", *p);
            } else {
                rc = mtv_buf_append(b, p, 1);
            }
        }
    }
    return rc;
}

int mtv_buf_put_xml_escaped(struct mtv_buf *b, const char *s)
{
    int rc = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0;
         p++) {
        switch (*p) {
        case '&':
            rc = mtv_buf_puts(b, "&amp;");
            break;
        case '<':
            rc = mtv_buf_puts(b, "&lt;");
            break;
        case '>':
            rc = mtv_buf_puts(b, "&gt;");
            break;
        case '"':
            rc = mtv_buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = mtv_buf_puts(b, "&apos;");
            break;
        default:
            /* XML 1.0 forbids most control characters even escaped. */
            if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') {
                rc = mtv_buf_puts(b, "?");
            } else {
                rc = mtv_buf_append(b, p, 1);
            }
        }
    }
    return rc;
}
