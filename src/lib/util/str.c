/* util: strings and string vectors. */
#include "mtv/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *mtv_strdup(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

char *mtv_strndup(const char *s, size_t n)
{
    return s != NULL ? strndup(s, n) : NULL;
}

char *mtv_strdup_printf(const char *fmt, ...)
{
    struct mtv_buf b = MTV_BUF_INIT;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = mtv_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        mtv_buf_dispose(&b);
        return NULL;
    }
    return mtv_buf_detach(&b);
}

size_t mtv_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);

    if (size > 0) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

int mtv_str_to_llong(const char *s, long long *out)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
        return MTV_EINVAL;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        return MTV_EINVAL;
    }
    *out = v;
    return 0;
}

int mtv_str_to_long(const char *s, long *out)
{
    long long v = 0;
    int rc = mtv_str_to_llong(s, &v);

    if (rc < 0 || v < (long long)LONG_MIN || v > (long long)LONG_MAX) {
        return MTV_EINVAL;
    }
    *out = (long)v;
    return 0;
}

int mtv_str_to_double(const char *s, double *out)
{
    char *end = NULL;
    double v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
        return MTV_EINVAL;
    }
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v != v) {
        return MTV_EINVAL;
    }
    *out = v;
    return 0;
}

bool mtv_str_has_prefix(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool mtv_str_has_suffix(const char *s, const char *suffix)
{
    size_t n;
    size_t m;

    if (s == NULL) {
        return false;
    }
    n = strlen(s);
    m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool mtv_str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

bool mtv_str_case_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcasecmp(a, b) == 0;
}

char *mtv_str_lower(char *s)
{
    for (char *p = s; p != NULL && *p != '\0'; p++) {
        *p = (char)tolower((unsigned char)*p);
    }
    return s;
}

void mtv_str_free_secret(char *s)
{
    if (s == NULL) {
        return;
    }
    explicit_bzero(s, strlen(s));
    free(s);
}

static int strv_grow(struct mtv_strv *v)
{
    size_t cap;
    char **p;

    if (v->len + 1 < v->cap) {
        return 0;
    }
    cap = v->cap != 0 ? v->cap * 2 : 8;
    p = realloc(v->items, cap * sizeof(*p));
    if (p == NULL) {
        return MTV_ENOMEM;
    }
    v->items = p;
    v->cap = cap;
    return 0;
}

int mtv_strv_push_take(struct mtv_strv *v, char *s)
{
    if (s == NULL || strv_grow(v) < 0) {
        free(s);
        return MTV_ENOMEM;
    }
    v->items[v->len++] = s;
    v->items[v->len] = NULL;
    return 0;
}

int mtv_strv_push(struct mtv_strv *v, const char *s)
{
    return mtv_strv_push_take(v, mtv_strdup(s != NULL ? s : ""));
}

bool mtv_strv_contains(const struct mtv_strv *v, const char *s)
{
    for (size_t i = 0; i < v->len; i++) {
        if (strcmp(v->items[i], s) == 0) {
            return true;
        }
    }
    return false;
}

void mtv_strv_dispose(struct mtv_strv *v)
{
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; i < v->len; i++) {
        free(v->items[i]);
    }
    free(v->items);
    v->items = NULL;
    v->len = 0;
    v->cap = 0;
}
