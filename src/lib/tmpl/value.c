/* tmpl: runtime values, Go-style printing and argument coercion. */
#include "tmpl/tmpl_priv.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tval_clear(struct tval *v)
{
    free(v->s);
    memset(v, 0, sizeof(*v));
}

int tval_set_string(struct tval *v, const char *s, size_t n)
{
    char *copy = mtv_strndup(s, n);

    if (copy == NULL) {
        return MTV_ENOMEM;
    }
    free(v->s);
    v->t = MTV_TMPL_STRING;
    v->s = copy;
    return 0;
}

int tval_copy(struct tval *dst, const struct tval *src)
{
    *dst = *src;
    dst->s = NULL;
    if (src->t == MTV_TMPL_STRING) {
        return tval_set_string(dst, src->s != NULL ? src->s : "",
                               src->s != NULL ? strlen(src->s) : 0);
    }
    return 0;
}

bool tval_truth(const struct tval *v)
{
    switch (v->t) {
    case MTV_TMPL_STRING:
        return v->s != NULL && v->s[0] != '\0';
    case MTV_TMPL_INT:
        return v->i != 0;
    case MTV_TMPL_FLOAT:
        return v->f != 0.0;
    case MTV_TMPL_BOOL:
        return v->b;
    case MTV_TMPL_NIL:
        break;
    }
    return false;
}

const char *tval_type_name(enum mtv_tmpl_type t)
{
    switch (t) {
    case MTV_TMPL_STRING:
        return "string";
    case MTV_TMPL_INT:
        return "int";
    case MTV_TMPL_FLOAT:
        return "float64";
    case MTV_TMPL_BOOL:
        return "bool";
    case MTV_TMPL_NIL:
        break;
    }
    return "nil";
}

/* Go's %v for float64 (strconv 'g', shortest): the fewest digits that
 * round-trip; exponent form when the exponent is < -4 or >= 6. */
void tval_format_float(double f, char *out, size_t size)
{
    char tmp[64];
    int prec;
    int exp = 0;
    const char *e = NULL;

    if (isnan(f) || isinf(f)) {
        snprintf(out, size, "%s", isnan(f) ? "NaN" : (f > 0 ? "+Inf" : "-Inf"));
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
        if (strtod(tmp, NULL) == f) {
            break;
        }
    }
    e = strchr(tmp, 'e');
    exp = e != NULL ? (int)strtol(e + 1, NULL, 10) : 0;
    if (f != 0.0 && (exp < -4 || exp >= 6)) {
        snprintf(out, size, "%s", tmp);
        return;
    }
    snprintf(out, size, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, f);
}

int tval_print(struct mtv_buf *b, const struct tval *v)
{
    char num[64];

    switch (v->t) {
    case MTV_TMPL_STRING:
        return mtv_buf_puts(b, v->s != NULL ? v->s : "");
    case MTV_TMPL_INT:
        return mtv_buf_printf(b, "%lld", v->i);
    case MTV_TMPL_FLOAT:
        tval_format_float(v->f, num, sizeof(num));
        return mtv_buf_puts(b, num);
    case MTV_TMPL_BOOL:
        return mtv_buf_puts(b, v->b ? "true" : "false");
    case MTV_TMPL_NIL:
        break;
    }
    return mtv_buf_puts(b, "<no value>");
}

int targ_string(const struct tval *v, int idx, const char **out, char *msg,
                size_t msg_size)
{
    if (v->t != MTV_TMPL_STRING) {
        snprintf(msg, msg_size,
                 "wrong type for argument %d; expected string; got %s", idx,
                 tval_type_name(v->t));
        return -1;
    }
    *out = v->s != NULL ? v->s : "";
    return 0;
}

int targ_int(const struct tval *v, int idx, long long *out, char *msg,
             size_t msg_size)
{
    if (v->t == MTV_TMPL_FLOAT && v->f == floor(v->f) && fabs(v->f) < 9e15) {
        *out = (long long)v->f;
        return 0;
    }
    if (v->t != MTV_TMPL_INT) {
        snprintf(msg, msg_size,
                 "wrong type for argument %d; expected int; got %s", idx,
                 tval_type_name(v->t));
        return -1;
    }
    *out = v->i;
    return 0;
}

/* spf13/cast ToInt64 as Sprig uses it: unparsable strings give 0. */
long long tcast_int64(const struct tval *v)
{
    char *end = NULL;
    long long r;

    switch (v->t) {
    case MTV_TMPL_INT:
        return v->i;
    case MTV_TMPL_FLOAT:
        /* out of range (and NaN) converts to MinInt64 on amd64 Go */
        return (v->f >= -9.2e18 && v->f <= 9.2e18) ? (long long)v->f
                                                   : LLONG_MIN;
    case MTV_TMPL_BOOL:
        return v->b ? 1 : 0;
    case MTV_TMPL_STRING:
        errno = 0;
        r = strtoll(v->s, &end, 0);
        return (end == v->s || *end != '\0' || errno != 0) ? 0 : r;
    case MTV_TMPL_NIL:
        break;
    }
    return 0;
}

double tcast_float64(const struct tval *v)
{
    char *end = NULL;
    double r;

    switch (v->t) {
    case MTV_TMPL_INT:
        return (double)v->i;
    case MTV_TMPL_FLOAT:
        return v->f;
    case MTV_TMPL_BOOL:
        return v->b ? 1.0 : 0.0;
    case MTV_TMPL_STRING:
        r = strtod(v->s, &end);
        return (end == v->s || *end != '\0') ? 0.0 : r;
    case MTV_TMPL_NIL:
        break;
    }
    return 0.0;
}
