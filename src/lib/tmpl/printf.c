/* tmpl: Go's fmt.Sprintf for the template builtin printf. */
#include "tmpl/tmpl_priv.h"

#include <stdio.h>
#include <string.h>

struct spec {
    char flags[8];
    int width; /* -1: none */
    int prec;  /* -1: none */
    char verb;
};

/* "%!v(type=value)" as Go prints a bad verb/argument pair. */
static int bad_verb(struct mtv_buf *b, char verb, const struct tval *v)
{
    if (v == NULL) {
        return mtv_buf_printf(b, "%%!%c(MISSING)", verb);
    }
    if (v->t == MTV_TMPL_NIL) {
        return mtv_buf_printf(b, "%%!%c(<nil>)", verb);
    }
    if (mtv_buf_printf(b, "%%!%c(%s=", verb, tval_type_name(v->t)) < 0 ||
        tval_print(b, v) < 0) {
        return MTV_ENOMEM;
    }
    return mtv_buf_puts(b, ")");
}

static void c_format(char *fmt, size_t size, const struct spec *s,
                     const char *len, char conv)
{
    char w[16] = "";
    char p[16] = "";

    if (s->width >= 0) {
        snprintf(w, sizeof(w), "%d", s->width);
    }
    if (s->prec >= 0) {
        snprintf(p, sizeof(p), ".%d", s->prec);
    }
    snprintf(fmt, size, "%%%s%s%s%s%c", s->flags, w, p, len, conv);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int put_int(struct mtv_buf *b, const struct spec *s, long long v,
                   char conv)
{
    char fmt[48];

    c_format(fmt, sizeof(fmt), s, "ll", conv);
    return mtv_buf_printf(b, fmt, v);
}

static int put_float(struct mtv_buf *b, const struct spec *s, double v,
                     char conv)
{
    char fmt[48];
    struct spec t = *s;

    if (t.prec < 0 && (conv == 'f' || conv == 'F' || conv == 'e')) {
        t.prec = 6;
    }
    c_format(fmt, sizeof(fmt), &t, "", conv);
    return mtv_buf_printf(b, fmt, v);
}

static int put_str(struct mtv_buf *b, const struct spec *s, const char *v)
{
    char fmt[48];
    struct spec t = *s;

    t.flags[strcspn(t.flags, "0")] = '\0';
    c_format(fmt, sizeof(fmt), &t, "", 's');
    return mtv_buf_printf(b, fmt, v);
}
#pragma GCC diagnostic pop

static int put_quoted(struct mtv_buf *b, const struct spec *s, const char *v)
{
    struct mtv_buf q = MTV_BUF_INIT;
    int rc = mtv_buf_puts(&q, "\"");
    const unsigned char *c;
    struct spec t = *s;

    for (c = (const unsigned char *)v; rc == 0 && *c != '\0'; c++) {
        if (*c == '"' || *c == '\\') {
            rc = mtv_buf_printf(&q, "\\%c", *c);
        } else if (*c == '\n') {
            rc = mtv_buf_puts(&q, "\\n");
        } else if (*c == '\t') {
            rc = mtv_buf_puts(&q, "\\t");
        } else if (*c < 0x20 || *c == 0x7f) {
            rc = mtv_buf_printf(&q, "\\x%02x", *c);
        } else {
            rc = mtv_buf_append(&q, c, 1);
        }
    }
    rc = rc == 0 ? mtv_buf_puts(&q, "\"") : rc;
    t.prec = -1;
    rc = rc == 0 ? put_str(b, &t, q.data) : rc;
    mtv_buf_dispose(&q);
    return rc;
}

static int put_hex_string(struct mtv_buf *b, const char *v, bool upper)
{
    int rc = 0;

    for (; rc == 0 && *v != '\0'; v++) {
        rc = mtv_buf_printf(b, upper ? "%02X" : "%02x", (unsigned char)*v);
    }
    return rc;
}

static int put_value(struct mtv_buf *b, const struct spec *s,
                     const struct tval *v)
{
    char num[64];

    switch (v->t) {
    case MTV_TMPL_INT:
        return put_int(b, s, v->i, 'd');
    case MTV_TMPL_FLOAT:
        if (s->prec >= 0) {
            return put_float(b, s, v->f, 'g');
        }
        tval_format_float(v->f, num, sizeof(num));
        return put_str(b, s, num);
    case MTV_TMPL_BOOL:
        return put_str(b, s, v->b ? "true" : "false");
    case MTV_TMPL_STRING:
        return put_str(b, s, v->s);
    case MTV_TMPL_NIL:
        break;
    }
    return put_str(b, s, "<nil>");
}

static int put_verb(struct mtv_buf *b, const struct spec *s,
                    const struct tval *v)
{
    const char *verb = strchr("vsqdxXcfFeEgGtbo", s->verb);
    enum mtv_tmpl_type t = v->t;

    if (verb == NULL) {
        return bad_verb(b, s->verb, v);
    }
    if (s->verb == 'v') {
        return put_value(b, s, v);
    }
    if (t == MTV_TMPL_STRING && strchr("sqxX", s->verb) != NULL) {
        return s->verb == 's'   ? put_str(b, s, v->s)
               : s->verb == 'q' ? put_quoted(b, s, v->s)
                                : put_hex_string(b, v->s, s->verb == 'X');
    }
    if (t == MTV_TMPL_INT && strchr("dxXcob", s->verb) != NULL) {
        if (s->verb == 'c') {
            char c[2] = {(char)v->i, '\0'};
            return put_str(b, s, c);
        }
        return s->verb == 'b' ? bad_verb(b, 'b', v)
                              : put_int(b, s, v->i, s->verb);
    }
    if (t == MTV_TMPL_FLOAT && strchr("fFeEgG", s->verb) != NULL) {
        return put_float(b, s, v->f, s->verb);
    }
    if (t == MTV_TMPL_BOOL && s->verb == 't') {
        return put_str(b, s, v->b ? "true" : "false");
    }
    return bad_verb(b, s->verb, v);
}

/* Parse flags, width, precision and verb after '%'. Returns bytes used. */
static size_t parse_spec(const char *f, struct spec *s)
{
    size_t i = 0;
    size_t nf = 0;

    memset(s, 0, sizeof(*s));
    s->width = -1;
    s->prec = -1;
    while (f[i] != '\0' && strchr("-+# 0", f[i]) != NULL) {
        if (nf < sizeof(s->flags) - 1) {
            s->flags[nf++] = f[i];
        }
        i++;
    }
    for (; f[i] >= '0' && f[i] <= '9'; i++) {
        s->width = (s->width < 0 ? 0 : s->width) * 10 + (f[i] - '0');
        s->width = s->width > 1000 ? 1000 : s->width;
    }
    if (f[i] == '.') {
        s->prec = 0;
        for (i++; f[i] >= '0' && f[i] <= '9'; i++) {
            s->prec = s->prec * 10 + (f[i] - '0');
            s->prec = s->prec > 1000 ? 1000 : s->prec;
        }
    }
    s->verb = f[i];
    return f[i] != '\0' ? i + 1 : i;
}

static int put_extra(struct mtv_buf *b, const struct tval *args, size_t from,
                     size_t n)
{
    size_t i;
    int rc = mtv_buf_puts(b, "%!(EXTRA ");

    for (i = from; rc == 0 && i < n; i++) {
        rc = mtv_buf_printf(b, "%s%s=", i > from ? ", " : "",
                            tval_type_name(args[i].t));
        rc = rc == 0 ? tval_print(b, &args[i]) : rc;
    }
    return rc == 0 ? mtv_buf_puts(b, ")") : rc;
}

int tmpl_sprintf(struct mtv_buf *b, const char *fmt, const struct tval *args,
                 size_t n)
{
    size_t used = 0;
    int rc = 0;

    while (*fmt != '\0' && rc == 0) {
        struct spec s;
        const char *pct = strchr(fmt, '%');

        if (pct == NULL) {
            return mtv_buf_puts(b, fmt);
        }
        rc = mtv_buf_append(b, fmt, (size_t)(pct - fmt));
        fmt = pct + 1 + parse_spec(pct + 1, &s);
        if (rc < 0) {
            break;
        }
        if (s.verb == '%') {
            rc = mtv_buf_puts(b, "%");
        } else if (s.verb == '\0') {
            rc = mtv_buf_puts(b, "%!(NOVERB)");
        } else if (used >= n) {
            rc = bad_verb(b, s.verb, NULL);
        } else {
            rc = put_verb(b, &s, &args[used++]);
        }
    }
    if (rc == 0 && used < n) {
        rc = put_extra(b, args, used, n);
    }
    return rc;
}
