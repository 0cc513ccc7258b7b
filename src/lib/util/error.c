/* util: the error type. */
#include "mtv/util.h"

#include <stdio.h>
#include <string.h>

void mtv_error_clear(struct mtv_error *err)
{
    if (err == NULL) {
        return;
    }
    err->code = MTV_OK;
    err->domain = NULL;
    err->http_status = 0;
    err->msg[0] = '\0';
    err->remote[0] = '\0';
}

/* Replace control characters so a message stays on one line. */
static void one_line(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\n' || *s == '\r' || *s == '\t') {
            *s = ' ';
        }
    }
}

int mtv_error_set(struct mtv_error *err, int code, const char *domain,
                  const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return code;
    }
    err->code = code;
    err->domain = domain;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    one_line(err->msg);
    return code;
}

void mtv_error_set_remote(struct mtv_error *err, const char *remote)
{
    size_t n;

    if (err == NULL) {
        return;
    }
    mtv_strlcpy(err->remote, remote != NULL ? remote : "",
                sizeof(err->remote));
    one_line(err->remote);
    n = strlen(err->remote);
    while (n > 0 && (err->remote[n - 1] == ' ' || err->remote[n - 1] == '.')) {
        err->remote[--n] = '\0';
    }
}

int mtv_error_prefix(struct mtv_error *err, const char *fmt, ...)
{
    char prefix[256];
    char old[sizeof(err->msg)];
    va_list ap;

    if (err == NULL) {
        return MTV_EINVAL;
    }
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    if (old[0] == '\0') {
        mtv_strlcpy(err->msg, prefix, sizeof(err->msg));
    } else if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) >=
               (int)sizeof(err->msg)) {
        /* truncated: the message stays one readable line */
    }
    one_line(err->msg);
    return err->code;
}

static const struct {
    int code;
    const char *name;
} err_names[] = {
    {MTV_OK, "ok"},
    {MTV_EINVAL, "invalid argument"},
    {MTV_ENOMEM, "out of memory"},
    {MTV_EIO, "I/O error"},
    {MTV_ETIMEOUT, "timeout"},
    {MTV_ENOTFOUND, "not found"},
    {MTV_EAUTH, "authentication failed"},
    {MTV_EPROTO, "protocol error"},
    {MTV_EREMOTE, "server error"},
    {MTV_ECONFIG, "configuration error"},
    {MTV_EINTR, "interrupted"},
};

const char *mtv_err_name(int code)
{
    for (size_t i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++) {
        if (err_names[i].code == code) {
            return err_names[i].name;
        }
    }
    return "unknown error";
}

const char *mtv_error_text(const struct mtv_error *err, char *out,
                           size_t size)
{
    const char *msg;

    if (size == 0) {
        return out;
    }
    if (err == NULL) {
        out[0] = '\0';
        return out;
    }
    msg = err->msg[0] != '\0' ? err->msg : mtv_err_name(err->code);
    if (err->remote[0] != '\0' && strstr(msg, err->remote) == NULL) {
        if (snprintf(out, size, "%s: %s", msg, err->remote) >= (int)size) {
            /* truncated to the caller's size */
        }
    } else {
        mtv_strlcpy(out, msg, size);
    }
    return out;
}
