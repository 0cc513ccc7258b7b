/* tmpl: Go's text/template builtins and the function lookup. */
#include "tmpl/tmpl_priv.h"

#include <stdio.h>
#include <string.h>

static int set_oom(char *msg, size_t size)
{
    snprintf(msg, size, "out of memory");
    return -1;
}

static int set_bool(struct tval *out, bool b)
{
    out->t = MTV_TMPL_BOOL;
    out->b = b;
    return 0;
}

/* -1, 0, 1 for a < b; -2 with msg when the kinds do not compare. */
static int compare(const struct tval *a, const struct tval *b, bool order,
                   char *msg, size_t size)
{
    if (a->t != b->t || a->t == MTV_TMPL_NIL) {
        snprintf(msg, size,
                 a->t == MTV_TMPL_NIL || b->t == MTV_TMPL_NIL
                     ? "invalid type for comparison"
                     : "incompatible types for comparison");
        return -2;
    }
    switch (a->t) {
    case MTV_TMPL_STRING: {
        int c = strcmp(a->s, b->s);
        return c < 0 ? -1 : c > 0;
    }
    case MTV_TMPL_INT:
        return a->i < b->i ? -1 : a->i > b->i;
    case MTV_TMPL_FLOAT:
        return a->f < b->f ? -1 : a->f > b->f;
    case MTV_TMPL_BOOL:
        if (order) {
            snprintf(msg, size, "invalid type for comparison");
            return -2;
        }
        return a->b != b->b;
    case MTV_TMPL_NIL:
        break;
    }
    return -2;
}

static int fn_eq(struct tval *out, const struct tval *a, size_t n, char *msg,
                 size_t size)
{
    size_t i;

    for (i = 1; i < n; i++) {
        int c = compare(&a[0], &a[i], false, msg, size);

        if (c == -2) {
            return -1;
        }
        if (c == 0) {
            return set_bool(out, true);
        }
    }
    return set_bool(out, false);
}

static int fn_ne(struct tval *out, const struct tval *a, size_t n, char *msg,
                 size_t size)
{
    int c = compare(&a[0], &a[1], false, msg, size);

    (void)n;
    return c == -2 ? -1 : set_bool(out, c != 0);
}

static int ordered(struct tval *out, const struct tval *a, char *msg,
                   size_t size, int want_lo, int want_hi)
{
    int c = compare(&a[0], &a[1], true, msg, size);

    return c == -2 ? -1 : set_bool(out, c >= want_lo && c <= want_hi);
}

static int fn_lt(struct tval *out, const struct tval *a, size_t n, char *msg,
                 size_t size)
{
    (void)n;
    return ordered(out, a, msg, size, -1, -1);
}

static int fn_le(struct tval *out, const struct tval *a, size_t n, char *msg,
                 size_t size)
{
    (void)n;
    return ordered(out, a, msg, size, -1, 0);
}

static int fn_gt(struct tval *out, const struct tval *a, size_t n, char *msg,
                 size_t size)
{
    (void)n;
    return ordered(out, a, msg, size, 1, 1);
}

static int fn_ge(struct tval *out, const struct tval *a, size_t n, char *msg,
                 size_t size)
{
    (void)n;
    return ordered(out, a, msg, size, 0, 1);
}

static int fn_not(struct tval *out, const struct tval *a, size_t n, char *msg,
                  size_t size)
{
    (void)n;
    (void)msg;
    (void)size;
    return set_bool(out, !tval_truth(&a[0]));
}

/* and: the first falsy argument, or the last; or: the first truthy one. */
static int pick(struct tval *out, const struct tval *a, size_t n, bool want,
                char *msg, size_t size)
{
    size_t i;

    for (i = 0; i + 1 < n; i++) {
        if (tval_truth(&a[i]) == want) {
            break;
        }
    }
    return tval_copy(out, &a[i]) < 0 ? set_oom(msg, size) : 0;
}

static int fn_and(struct tval *out, const struct tval *a, size_t n, char *msg,
                  size_t size)
{
    return pick(out, a, n, false, msg, size);
}

static int fn_or(struct tval *out, const struct tval *a, size_t n, char *msg,
                 size_t size)
{
    return pick(out, a, n, true, msg, size);
}

static int fn_len(struct tval *out, const struct tval *a, size_t n, char *msg,
                  size_t size)
{
    (void)n;
    if (a[0].t != MTV_TMPL_STRING) {
        snprintf(msg, size, "len of type %s", tval_type_name(a[0].t));
        return -1;
    }
    out->t = MTV_TMPL_INT;
    out->i = (long long)strlen(a[0].s);
    return 0;
}

/* fmt.Sprint / Sprintln spacing rules. */
static int print_common(struct tval *out, const struct tval *a, size_t n,
                        bool ln, char *msg, size_t size)
{
    struct mtv_buf b = MTV_BUF_INIT;
    size_t i;
    int rc = mtv_buf_puts(&b, "");

    for (i = 0; rc == 0 && i < n; i++) {
        bool space = ln || (i > 0 && a[i].t != MTV_TMPL_STRING &&
                            a[i - 1].t != MTV_TMPL_STRING);

        if (i > 0 && space) {
            rc = mtv_buf_puts(&b, " ");
        }
        rc = rc == 0 ? tval_print(&b, &a[i]) : rc;
    }
    if (rc == 0 && ln) {
        rc = mtv_buf_puts(&b, "\n");
    }
    rc = rc == 0 ? tval_set_string(out, b.data, b.len) : rc;
    mtv_buf_dispose(&b);
    return rc < 0 ? set_oom(msg, size) : 0;
}

static int fn_print(struct tval *out, const struct tval *a, size_t n, char *msg,
                    size_t size)
{
    return print_common(out, a, n, false, msg, size);
}

static int fn_println(struct tval *out, const struct tval *a, size_t n,
                      char *msg, size_t size)
{
    return print_common(out, a, n, true, msg, size);
}

static int fn_printf(struct tval *out, const struct tval *a, size_t n,
                     char *msg, size_t size)
{
    struct mtv_buf b = MTV_BUF_INIT;
    const char *fmt = NULL;
    int rc;

    if (targ_string(&a[0], 1, &fmt, msg, size) < 0) {
        return -1;
    }
    rc = mtv_buf_puts(&b, "");
    rc = rc == 0 ? tmpl_sprintf(&b, fmt, a + 1, n - 1) : rc;
    rc = rc == 0 ? tval_set_string(out, b.data, b.len) : rc;
    mtv_buf_dispose(&b);
    return rc < 0 ? set_oom(msg, size) : 0;
}

static const struct tfunc go_funcs[] = {
    {"and", 1, -1, fn_and},       {"or", 1, -1, fn_or},
    {"not", 1, 1, fn_not},        {"eq", 2, -1, fn_eq},
    {"ne", 2, 2, fn_ne},          {"lt", 2, 2, fn_lt},
    {"le", 2, 2, fn_le},          {"gt", 2, 2, fn_gt},
    {"ge", 2, 2, fn_ge},          {"len", 1, 1, fn_len},
    {"print", 0, -1, fn_print},   {"println", 0, -1, fn_println},
    {"printf", 1, -1, fn_printf},
};

const struct tfunc *tmpl_func_lookup(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(go_funcs) / sizeof(go_funcs[0]); i++) {
        if (strcmp(go_funcs[i].name, name) == 0) {
            return &go_funcs[i];
        }
    }
    for (i = 0; i < tmpl_sprig_nfuncs; i++) {
        if (strcmp(tmpl_sprig_funcs[i].name, name) == 0) {
            return &tmpl_sprig_funcs[i];
        }
    }
    return NULL;
}
