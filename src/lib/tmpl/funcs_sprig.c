/* tmpl: the Sprig functions Forklift registers, with Sprig's argument order
 * (the piped value comes last). */
#include "tmpl/tmpl_priv.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int oom(char *msg, size_t size)
{
    snprintf(msg, size, "out of memory");
    return -1;
}

static int ret_str(struct tval *out, const char *s, size_t n, char *msg,
                   size_t size)
{
    return tval_set_string(out, s, n) < 0 ? oom(msg, size) : 0;
}

static int ret_buf(struct tval *out, struct mtv_buf *b, int rc, char *msg,
                   size_t size)
{
    if (rc == 0) {
        rc = tval_set_string(out, b->data != NULL ? b->data : "", b->len);
    }
    mtv_buf_dispose(b);
    return rc < 0 ? oom(msg, size) : 0;
}

static int ret_bool(struct tval *out, bool v)
{
    out->t = MTV_TMPL_BOOL;
    out->b = v;
    return 0;
}

static int ret_int(struct tval *out, long long v)
{
    out->t = MTV_TMPL_INT;
    out->i = v;
    return 0;
}

static int ret_float(struct tval *out, double v)
{
    out->t = MTV_TMPL_FLOAT;
    out->f = v;
    return 0;
}

/* Case mapping over ASCII; mode 0 lower, 1 upper. */
static int map_case(struct tval *out, const struct tval *a, int mode, char *msg,
                    size_t size)
{
    const char *s = NULL;
    size_t i;

    if (targ_string(&a[0], 1, &s, msg, size) < 0 ||
        ret_str(out, s, strlen(s), msg, size) < 0) {
        return -1;
    }
    for (i = 0; out->s[i] != '\0'; i++) {
        out->s[i] = (char)(mode ? toupper((unsigned char)out->s[i])
                                : tolower((unsigned char)out->s[i]));
    }
    return 0;
}

static int fn_lower(struct tval *out, const struct tval *a, size_t n, char *msg,
                    size_t size)
{
    (void)n;
    return map_case(out, a, 0, msg, size);
}

static int fn_upper(struct tval *out, const struct tval *a, size_t n, char *msg,
                    size_t size)
{
    (void)n;
    return map_case(out, a, 1, msg, size);
}

/* strings.Title: upper-case letters that follow a separator. */
static int fn_title(struct tval *out, const struct tval *a, size_t n, char *msg,
                    size_t size)
{
    bool sep = true;
    size_t i;
    const char *s = NULL;

    (void)n;
    if (targ_string(&a[0], 1, &s, msg, size) < 0 ||
        ret_str(out, s, strlen(s), msg, size) < 0) {
        return -1;
    }
    for (i = 0; out->s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)out->s[i];

        if (sep) {
            out->s[i] = (char)toupper(c);
        }
        sep = c < 0x80 && !isalnum(c) && c != '_';
    }
    return 0;
}

/* goutils Uncapitalize (untitle) and Initials: whitespace-delimited words. */
static int words(struct tval *out, const struct tval *a, bool initials,
                 char *msg, size_t size)
{
    struct mtv_buf b = MTV_BUF_INIT;
    const char *s = NULL;
    bool start = true;
    int rc = 0;

    if (targ_string(&a[0], 1, &s, msg, size) < 0) {
        return -1;
    }
    rc = mtv_buf_puts(&b, "");
    for (; rc == 0 && *s != '\0'; s++) {
        char c = *s;
        bool space = isspace((unsigned char)c) != 0;

        if (initials) {
            rc = (start && !space) ? mtv_buf_append(&b, &c, 1) : 0;
        } else {
            c = start ? (char)tolower((unsigned char)c) : c;
            rc = mtv_buf_append(&b, &c, 1);
        }
        start = space;
    }
    return ret_buf(out, &b, rc, msg, size);
}

static int fn_untitle(struct tval *out, const struct tval *a, size_t n,
                      char *msg, size_t size)
{
    (void)n;
    return words(out, a, false, msg, size);
}

static int fn_initials(struct tval *out, const struct tval *a, size_t n,
                       char *msg, size_t size)
{
    (void)n;
    return words(out, a, true, msg, size);
}

/* Two string arguments (Sprig order: the operand, then the piped s). */
static int two_strings_at(const struct tval *a, int base, const char **x,
                          const char **s, char *msg, size_t size)
{
    return (targ_string(&a[0], base, x, msg, size) < 0 ||
            targ_string(&a[1], base + 1, s, msg, size) < 0)
               ? -1
               : 0;
}

static int two_strings(const struct tval *a, const char **x, const char **s,
                       char *msg, size_t size)
{
    return (targ_string(&a[0], 1, x, msg, size) < 0 ||
            targ_string(&a[1], 2, s, msg, size) < 0)
               ? -1
               : 0;
}

static int fn_contains(struct tval *out, const struct tval *a, size_t n,
                       char *msg, size_t size)
{
    const char *sub = NULL;
    const char *s = NULL;

    (void)n;
    if (two_strings(a, &sub, &s, msg, size) < 0) {
        return -1;
    }
    return ret_bool(out, strstr(s, sub) != NULL);
}

static int fn_has_prefix(struct tval *out, const struct tval *a, size_t n,
                         char *msg, size_t size)
{
    const char *x = NULL;
    const char *s = NULL;

    (void)n;
    if (two_strings(a, &x, &s, msg, size) < 0) {
        return -1;
    }
    return ret_bool(out, mtv_str_has_prefix(s, x));
}

static int fn_has_suffix(struct tval *out, const struct tval *a, size_t n,
                         char *msg, size_t size)
{
    const char *x = NULL;
    const char *s = NULL;

    (void)n;
    if (two_strings(a, &x, &s, msg, size) < 0) {
        return -1;
    }
    return ret_bool(out, mtv_str_has_suffix(s, x));
}

static int fn_trim_suffix(struct tval *out, const struct tval *a, size_t n,
                          char *msg, size_t size)
{
    const char *x = NULL;
    const char *s = NULL;
    size_t len;

    (void)n;
    if (two_strings(a, &x, &s, msg, size) < 0) {
        return -1;
    }
    len = strlen(s);
    if (mtv_str_has_suffix(s, x)) {
        len -= strlen(x);
    }
    return ret_str(out, s, len, msg, size);
}

static int fn_trim_prefix(struct tval *out, const struct tval *a, size_t n,
                          char *msg, size_t size)
{
    const char *x = NULL;
    const char *s = NULL;

    (void)n;
    if (two_strings(a, &x, &s, msg, size) < 0) {
        return -1;
    }
    if (mtv_str_has_prefix(s, x)) {
        s += strlen(x);
    }
    return ret_str(out, s, strlen(s), msg, size);
}

/* strings.Trim(s, cutset) / TrimSpace. */
static int trim_set(struct tval *out, const char *s, const char *set, char *msg,
                    size_t size)
{
    size_t start = 0;
    size_t end = strlen(s);

    while (start < end && strchr(set, s[start]) != NULL) {
        start++;
    }
    while (end > start && strchr(set, s[end - 1]) != NULL) {
        end--;
    }
    return ret_str(out, s + start, end - start, msg, size);
}

static int fn_trim(struct tval *out, const struct tval *a, size_t n, char *msg,
                   size_t size)
{
    const char *s = NULL;

    (void)n;
    if (targ_string(&a[0], 1, &s, msg, size) < 0) {
        return -1;
    }
    return trim_set(out, s, " \t\n\r\v\f", msg, size);
}

static int fn_trim_all(struct tval *out, const struct tval *a, size_t n,
                       char *msg, size_t size)
{
    const char *set = NULL;
    const char *s = NULL;

    (void)n;
    if (two_strings(a, &set, &s, msg, size) < 0) {
        return -1;
    }
    return trim_set(out, s, set, msg, size);
}

/* replace OLD NEW s: strings.Replace(s, OLD, NEW, -1). */
static int fn_replace(struct tval *out, const struct tval *a, size_t n,
                      char *msg, size_t size)
{
    struct mtv_buf b = MTV_BUF_INIT;
    const char *old = NULL;
    const char *new = NULL;
    const char *s = NULL;
    size_t olen;
    int rc = 0;

    (void)n;
    if (targ_string(&a[0], 1, &old, msg, size) < 0 ||
        two_strings_at(a + 1, 2, &new, &s, msg, size) < 0) {
        return -1;
    }
    olen = strlen(old);
    rc = mtv_buf_puts(&b, "");
    while (rc == 0 && *s != '\0') {
        const char *hit = olen > 0 ? strstr(s, old) : NULL;

        if (hit == NULL) {
            rc = mtv_buf_puts(&b, s);
            break;
        }
        rc = mtv_buf_append(&b, s, (size_t)(hit - s));
        rc = rc == 0 ? mtv_buf_puts(&b, new) : rc;
        s = hit + olen;
    }
    return ret_buf(out, &b, rc, msg, size);
}

static int fn_nospace(struct tval *out, const struct tval *a, size_t n,
                      char *msg, size_t size)
{
    struct mtv_buf b = MTV_BUF_INIT;
    const char *s = NULL;
    int rc;

    (void)n;
    if (targ_string(&a[0], 1, &s, msg, size) < 0) {
        return -1;
    }
    rc = mtv_buf_puts(&b, "");
    for (; rc == 0 && *s != '\0'; s++) {
        rc = isspace((unsigned char)*s) ? 0 : mtv_buf_append(&b, s, 1);
    }
    return ret_buf(out, &b, rc, msg, size);
}

static int fn_repeat(struct tval *out, const struct tval *a, size_t n,
                     char *msg, size_t size)
{
    struct mtv_buf b = MTV_BUF_INIT;
    const char *s = NULL;
    long long count = 0;
    int rc;

    (void)n;
    if (targ_int(&a[0], 1, &count, msg, size) < 0 ||
        targ_string(&a[1], 2, &s, msg, size) < 0) {
        return -1;
    }
    if (count < 0) {
        snprintf(msg, size, "strings: negative Repeat count");
        return -1;
    }
    mtv_buf_init(&b, 1024 * 1024);
    rc = mtv_buf_puts(&b, "");
    for (; rc == 0 && count > 0; count--) {
        rc = mtv_buf_puts(&b, s);
    }
    if (rc == MTV_EPROTO) {
        mtv_buf_dispose(&b);
        snprintf(msg, size, "repeat result too long");
        return -1;
    }
    return ret_buf(out, &b, rc, msg, size);
}

/* substr START END s (Sprig's substring). */
static int fn_substr(struct tval *out, const struct tval *a, size_t n,
                     char *msg, size_t size)
{
    long long start = 0;
    long long end = 0;
    const char *s = NULL;
    long long len;

    (void)n;
    if (targ_int(&a[0], 1, &start, msg, size) < 0 ||
        targ_int(&a[1], 2, &end, msg, size) < 0 ||
        targ_string(&a[2], 3, &s, msg, size) < 0) {
        return -1;
    }
    len = (long long)strlen(s);
    if (start < 0) {
        start = 0;
    } else if (end < 0 || end > len) {
        end = len;
    }
    if (start > len || end < start || end > len) {
        snprintf(msg, size, "slice bounds out of range [%lld:%lld]", start,
                 end);
        return -1;
    }
    return ret_str(out, s + start, (size_t)(end - start), msg, size);
}

/* trunc N s: first N bytes, or the last -N bytes when N < 0. */
static int fn_trunc(struct tval *out, const struct tval *a, size_t n, char *msg,
                    size_t size)
{
    long long c = 0;
    const char *s = NULL;
    long long len;

    (void)n;
    if (targ_int(&a[0], 1, &c, msg, size) < 0 ||
        targ_string(&a[1], 2, &s, msg, size) < 0) {
        return -1;
    }
    len = (long long)strlen(s);
    if (c < 0 && len + c > 0) {
        return ret_str(out, s + len + c, (size_t)-c, msg, size);
    }
    if (c >= 0 && len > c) {
        return ret_str(out, s, (size_t)c, msg, size);
    }
    return ret_str(out, s, (size_t)len, msg, size);
}

/* mustRegexReplaceAll REGEX s REPL */
static int fn_regex_replace(struct tval *out, const struct tval *a, size_t n,
                            char *msg, size_t size)
{
    const char *re = NULL;
    const char *s = NULL;
    const char *repl = NULL;

    (void)n;
    if (targ_string(&a[0], 1, &re, msg, size) < 0 ||
        two_strings_at(a + 1, 2, &s, &repl, msg, size) < 0) {
        return -1;
    }
    return tmpl_regex_replace_all(out, re, s, repl, msg, size);
}

/* ------------------------------------------------------------ arithmetic */

/* int64 arithmetic that wraps like Go's instead of overflowing (UB in C). */
static long long wrap_add(long long a, long long b)
{
    return (long long)((unsigned long long)a + (unsigned long long)b);
}

static long long wrap_mul(long long a, long long b)
{
    return (long long)((unsigned long long)a * (unsigned long long)b);
}

static int fn_add(struct tval *out, const struct tval *a, size_t n, char *msg,
                  size_t size)
{
    long long sum = 0;
    size_t i;

    (void)msg;
    (void)size;
    for (i = 0; i < n; i++) {
        sum = wrap_add(sum, tcast_int64(&a[i]));
    }
    return ret_int(out, sum);
}

static int fn_add1(struct tval *out, const struct tval *a, size_t n, char *msg,
                   size_t size)
{
    (void)n;
    (void)msg;
    (void)size;
    return ret_int(out, wrap_add(tcast_int64(&a[0]), 1));
}

static int fn_sub(struct tval *out, const struct tval *a, size_t n, char *msg,
                  size_t size)
{
    (void)n;
    (void)msg;
    (void)size;
    return ret_int(
        out, wrap_add(tcast_int64(&a[0]), wrap_mul(tcast_int64(&a[1]), -1)));
}

static int divide(struct tval *out, const struct tval *a, bool mod, char *msg,
                  size_t size)
{
    long long x = tcast_int64(&a[0]);
    long long y = tcast_int64(&a[1]);

    if (y == 0) {
        snprintf(msg, size, "runtime error: integer divide by zero");
        return -1;
    }
    if (y == -1) { /* Go: MinInt64 / -1 wraps to MinInt64, % -1 is 0 */
        return ret_int(out, mod ? 0 : wrap_mul(x, -1));
    }
    return ret_int(out, mod ? x % y : x / y);
}

static int fn_div(struct tval *out, const struct tval *a, size_t n, char *msg,
                  size_t size)
{
    (void)n;
    return divide(out, a, false, msg, size);
}

static int fn_mod(struct tval *out, const struct tval *a, size_t n, char *msg,
                  size_t size)
{
    (void)n;
    return divide(out, a, true, msg, size);
}

static int fn_mul(struct tval *out, const struct tval *a, size_t n, char *msg,
                  size_t size)
{
    long long r = tcast_int64(&a[0]);
    size_t i;

    (void)msg;
    (void)size;
    for (i = 1; i < n; i++) {
        r = wrap_mul(r, tcast_int64(&a[i]));
    }
    return ret_int(out, r);
}

static int extreme(struct tval *out, const struct tval *a, size_t n,
                   bool want_max)
{
    long long r = tcast_int64(&a[0]);
    size_t i;

    for (i = 1; i < n; i++) {
        long long v = tcast_int64(&a[i]);

        r = (want_max ? v > r : v < r) ? v : r;
    }
    return ret_int(out, r);
}

static int fn_max(struct tval *out, const struct tval *a, size_t n, char *msg,
                  size_t size)
{
    (void)msg;
    (void)size;
    return extreme(out, a, n, true);
}

static int fn_min(struct tval *out, const struct tval *a, size_t n, char *msg,
                  size_t size)
{
    (void)msg;
    (void)size;
    return extreme(out, a, n, false);
}

static int fn_floor(struct tval *out, const struct tval *a, size_t n, char *msg,
                    size_t size)
{
    (void)n;
    (void)msg;
    (void)size;
    return ret_float(out, floor(tcast_float64(&a[0])));
}

static int fn_ceil(struct tval *out, const struct tval *a, size_t n, char *msg,
                   size_t size)
{
    (void)n;
    (void)msg;
    (void)size;
    return ret_float(out, ceil(tcast_float64(&a[0])));
}

/* round A PLACES [ROUND_ON=.5] */
static int fn_round(struct tval *out, const struct tval *a, size_t n, char *msg,
                    size_t size)
{
    long long places = 0;
    double round_on = n > 2 ? tcast_float64(&a[2]) : 0.5;
    double pow10;
    double digit;
    double ipart;

    if (targ_int(&a[1], 2, &places, msg, size) < 0) {
        return -1;
    }
    pow10 = pow(10.0, (double)places);
    digit = pow10 * tcast_float64(&a[0]);
    return ret_float(
        out,
        (modf(digit, &ipart) >= round_on ? ceil(digit) : floor(digit)) / pow10);
}

const struct tfunc tmpl_sprig_funcs[] = {
    {"lower", 1, 1, fn_lower},
    {"upper", 1, 1, fn_upper},
    {"contains", 2, 2, fn_contains},
    {"replace", 3, 3, fn_replace},
    {"trim", 1, 1, fn_trim},
    {"trimAll", 2, 2, fn_trim_all},
    {"trimSuffix", 2, 2, fn_trim_suffix},
    {"trimPrefix", 2, 2, fn_trim_prefix},
    {"title", 1, 1, fn_title},
    {"untitle", 1, 1, fn_untitle},
    {"repeat", 2, 2, fn_repeat},
    {"substr", 3, 3, fn_substr},
    {"nospace", 1, 1, fn_nospace},
    {"trunc", 2, 2, fn_trunc},
    {"initials", 1, 1, fn_initials},
    {"hasPrefix", 2, 2, fn_has_prefix},
    {"hasSuffix", 2, 2, fn_has_suffix},
    {"mustRegexReplaceAll", 3, 3, fn_regex_replace},
    {"add", 0, -1, fn_add},
    {"add1", 1, 1, fn_add1},
    {"sub", 2, 2, fn_sub},
    {"div", 2, 2, fn_div},
    {"mod", 2, 2, fn_mod},
    {"mul", 1, -1, fn_mul},
    {"max", 1, -1, fn_max},
    {"min", 1, -1, fn_min},
    {"floor", 1, 1, fn_floor},
    {"ceil", 1, 1, fn_ceil},
    {"round", 2, 3, fn_round},
};

const size_t tmpl_sprig_nfuncs =
    sizeof(tmpl_sprig_funcs) / sizeof(tmpl_sprig_funcs[0]);
