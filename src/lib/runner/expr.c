/* runner: pytest's -m / -k boolean expressions. */
#include "mtv/runner.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPR_MAX_DEPTH 100

enum enode_kind { EN_TRUE, EN_IDENT, EN_NOT, EN_AND, EN_OR };

struct mtv_expr {
    enum enode_kind kind;
    char *ident;
    struct mtv_expr *a;
    struct mtv_expr *b;
};

enum tok_kind { TK_END, TK_LPAREN, TK_RPAREN, TK_AND, TK_OR, TK_NOT, TK_IDENT };

struct parser {
    const char *text;
    size_t pos;      /* scan position */
    enum tok_kind tk; /* current token */
    size_t tstart;   /* its start */
    size_t tlen;
    int depth;
    const char *option;
    struct mtv_error *err;
    bool failed;
};

static void next(struct parser *p)
{
    const char *t = p->text;

    while (t[p->pos] != '\0' && isspace((unsigned char)t[p->pos])) {
        p->pos++;
    }
    p->tstart = p->pos;
    p->tlen = 0;
    if (t[p->pos] == '\0') {
        p->tk = TK_END;
        return;
    }
    if (t[p->pos] == '(' || t[p->pos] == ')') {
        p->tk = t[p->pos] == '(' ? TK_LPAREN : TK_RPAREN;
        p->tlen = 1;
        p->pos++;
        return;
    }
    while (t[p->pos] != '\0' && !isspace((unsigned char)t[p->pos]) &&
           t[p->pos] != '(' && t[p->pos] != ')') {
        p->pos++;
    }
    p->tlen = p->pos - p->tstart;
    p->tk = TK_IDENT;
    if (p->tlen == 3 && strncmp(t + p->tstart, "and", 3) == 0) {
        p->tk = TK_AND;
    } else if (p->tlen == 2 && strncmp(t + p->tstart, "or", 2) == 0) {
        p->tk = TK_OR;
    } else if (p->tlen == 3 && strncmp(t + p->tstart, "not", 3) == 0) {
        p->tk = TK_NOT;
    }
}

static void fail(struct parser *p, const char *expected)
{
    char got[80];

    if (p->failed) {
        return;
    }
    p->failed = true;
    if (p->tk == TK_END) {
        snprintf(got, sizeof(got), "end of input");
    } else {
        snprintf(got, sizeof(got), "'%.*s'", (int)(p->tlen > 40 ? 40 : p->tlen),
                 p->text + p->tstart);
    }
    mtv_error_set(p->err, MTV_ECONFIG, "expr",
                  "%s '%.200s': at column %zu: expected %s; got %s", p->option,
                  p->text, p->tstart + 1, expected, got);
}

static struct mtv_expr *node(enum enode_kind k, struct mtv_expr *a,
                             struct mtv_expr *b)
{
    struct mtv_expr *e = calloc(1, sizeof(*e));

    if (e == NULL) {
        mtv_expr_free(a);
        mtv_expr_free(b);
        return NULL;
    }
    e->kind = k;
    e->a = a;
    e->b = b;
    return e;
}

static struct mtv_expr *parse_or(struct parser *p);

static struct mtv_expr *parse_not(struct parser *p)
{
    struct mtv_expr *e = NULL;

    if (++p->depth > EXPR_MAX_DEPTH) {
        fail(p, "a shallower expression");
        return NULL;
    }
    if (p->tk == TK_NOT) {
        next(p);
        e = parse_not(p);
        e = e ? node(EN_NOT, e, NULL) : NULL;
    } else if (p->tk == TK_LPAREN) {
        next(p);
        e = parse_or(p);
        if (e != NULL && p->tk != TK_RPAREN) {
            fail(p, "')'");
            mtv_expr_free(e);
            e = NULL;
        }
        next(p);
    } else if (p->tk == TK_IDENT) {
        e = node(EN_IDENT, NULL, NULL);
        if (e != NULL &&
            (e->ident = mtv_strndup(p->text + p->tstart, p->tlen)) == NULL) {
            mtv_expr_free(e);
            e = NULL;
        }
        next(p);
    } else {
        fail(p, "not, '(' or a name");
    }
    p->depth--;
    return e;
}

static struct mtv_expr *parse_and(struct parser *p)
{
    struct mtv_expr *e = parse_not(p);

    while (e != NULL && p->tk == TK_AND) {
        struct mtv_expr *b = NULL;

        next(p);
        b = parse_not(p);
        e = b ? node(EN_AND, e, b) : (mtv_expr_free(e), NULL);
    }
    return e;
}

static struct mtv_expr *parse_or(struct parser *p)
{
    struct mtv_expr *e = parse_and(p);

    while (e != NULL && p->tk == TK_OR) {
        struct mtv_expr *b = NULL;

        next(p);
        b = parse_and(p);
        e = b ? node(EN_OR, e, b) : (mtv_expr_free(e), NULL);
    }
    return e;
}

/* Strict markers: the first unknown ident is an error. */
static int check_markers(const struct mtv_expr *e, const struct parser *p)
{
    if (e == NULL) {
        return 0;
    }
    if (e->kind == EN_IDENT && !mtv_marker_is_known(e->ident)) {
        return mtv_error_set(p->err, MTV_ECONFIG, "expr",
                             "%s '%.200s': unknown marker '%.100s' (known: "
                             "tier0, warm, remote, copyoffload)",
                             p->option, p->text, e->ident);
    }
    if (check_markers(e->a, p) != 0) {
        return MTV_ECONFIG;
    }
    return check_markers(e->b, p);
}

static bool blank(const char *s)
{
    while (*s != '\0' && isspace((unsigned char)*s)) {
        s++;
    }
    return *s == '\0';
}

int mtv_expr_parse(struct mtv_expr **out, const char *text,
                   enum mtv_expr_kind kind, const char *option,
                   struct mtv_error *err)
{
    struct parser p = {text ? text : "", 0, TK_END, 0, 0, 0, option, err,
                       false};
    struct mtv_expr *e = NULL;

    if (blank(p.text)) {
        e = node(EN_TRUE, NULL, NULL);
        goto done;
    }
    next(&p);
    e = parse_or(&p);
    if (e != NULL && p.tk != TK_END) {
        fail(&p, "and, or or end of input");
    }
    if (p.failed || (kind == MTV_EXPR_MARKER && check_markers(e, &p) != 0)) {
        mtv_expr_free(e);
        return MTV_ECONFIG;
    }
done:
    if (e == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "expr", "out of memory");
    }
    *out = e;
    return 0;
}

void mtv_expr_free(struct mtv_expr *e)
{
    if (e == NULL) {
        return;
    }
    mtv_expr_free(e->a);
    mtv_expr_free(e->b);
    free(e->ident);
    free(e);
}

typedef bool (*ident_fn)(const char *ident, const void *payload);

static bool eval(const struct mtv_expr *e, ident_fn fn, const void *payload)
{
    switch (e->kind) {
    case EN_TRUE:
        return true;
    case EN_IDENT:
        return fn(e->ident, payload);
    case EN_NOT:
        return !eval(e->a, fn, payload);
    case EN_AND:
        return eval(e->a, fn, payload) && eval(e->b, fn, payload);
    case EN_OR:
        return eval(e->a, fn, payload) || eval(e->b, fn, payload);
    }
    return false;
}

static bool has_marker(const char *ident, const void *payload)
{
    return mtv_strv_contains(payload, ident);
}

static bool has_substring(const char *ident, const void *payload)
{
    const struct mtv_strv *names = payload;

    for (size_t i = 0; i < names->len; i++) {
        if (strcasestr(names->items[i], ident) != NULL) {
            return true;
        }
    }
    return false;
}

bool mtv_expr_match_markers(const struct mtv_expr *e,
                            const struct mtv_strv *markers)
{
    return e == NULL || eval(e, has_marker, markers);
}

bool mtv_expr_match_names(const struct mtv_expr *e,
                          const struct mtv_strv *names)
{
    return e == NULL || eval(e, has_substring, names);
}
