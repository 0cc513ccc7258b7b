/* tmpl: the parser (text and actions into a node tree). */
#include "tmpl/tmpl_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NESTING 100

enum term { TERM_EOF, TERM_END, TERM_ELSE, TERM_ELSE_IF };

struct parser {
    const char *s;
    size_t len;
    size_t pos;
    bool trim_next; /* the previous action ended with " -}}" */
    int depth;      /* if/with nesting */
    int parens;     /* ( nesting */
    int rec;        /* parse_if_rest recursion */
    struct tpipe *else_if_pipe;
    struct mtv_tmpl_pos *epos;
    struct mtv_error *err;
};

static int parse_list(struct parser *p, struct tnode **out, enum term *term);
static int parse_pipe(struct parser *p, struct tpipe **out, bool in_paren);

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool is_ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static void where(const struct parser *p, size_t at, int *line, int *col)
{
    size_t i;

    *line = 1;
    *col = 1;
    for (i = 0; i < at && i < p->len; i++) {
        if (p->s[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* Set a "LINE:COL: what" error at byte offset `at`. */
static int fail_at(struct parser *p, size_t at, const char *what)
{
    int line = 0;
    int col = 0;

    where(p, at, &line, &col);
    if (p->epos != NULL) {
        p->epos->line = line;
        p->epos->col = col;
    }
    return mtv_error_set(p->err, MTV_EINVAL, "tmpl", "%d:%d: %s", line, col,
                         what);
}

static int oom(struct parser *p)
{
    return mtv_error_set(p->err, MTV_ENOMEM, "tmpl", "out of memory");
}

static char peek(const struct parser *p, size_t ahead)
{
    return p->pos + ahead < p->len ? p->s[p->pos + ahead] : '\0';
}

static void skip_space(struct parser *p)
{
    while (p->pos < p->len && is_space(p->s[p->pos])) {
        p->pos++;
    }
}

/* At " -}}" or "}}"? Sets *n to the number of bytes of the delimiter. */
static bool at_right_delim(const struct parser *p, size_t *n, bool *trim)
{
    const char *r = p->s + p->pos;
    size_t left = p->len - p->pos;

    if (left >= 2 && r[0] == '}' && r[1] == '}') {
        *n = 2;
        *trim = false;
        return true;
    }
    if (left >= 3 && r[0] == '-' && r[1] == '}' && r[2] == '}' && p->pos > 0 &&
        is_space(p->s[p->pos - 1])) {
        *n = 3;
        *trim = true;
        return true;
    }
    return false;
}

static int expect_right_delim(struct parser *p)
{
    size_t n = 0;
    bool trim = false;

    skip_space(p);
    if (!at_right_delim(p, &n, &trim)) {
        return fail_at(p, p->pos,
                       p->pos < p->len ? "unexpected token in action"
                                       : "unclosed action");
    }
    p->pos += n;
    p->trim_next = trim;
    return 0;
}

static struct tnode *node_new(struct parser *p, enum node_kind kind, size_t at)
{
    struct tnode *n = calloc(1, sizeof(*n));

    if (n != NULL) {
        n->kind = kind;
        where(p, at, &n->line, &n->col);
    }
    return n;
}

static int push_arg(struct parser *p, struct tcmd *c, struct targ *a)
{
    struct targ *v = realloc(c->args, (c->n + 1) * sizeof(*v));

    if (v == NULL) {
        return oom(p);
    }
    c->args = v;
    c->args[c->n++] = *a;
    return 0;
}

static int push_cmd(struct parser *p, struct tpipe *pp, struct tcmd *c)
{
    struct tcmd *v = realloc(pp->cmds, (pp->n + 1) * sizeof(*v));

    if (v == NULL) {
        return oom(p);
    }
    pp->cmds = v;
    pp->cmds[pp->n++] = *c;
    return 0;
}

/* Decode one escape after '\\' into b; advances p->pos. */
static int lex_escape(struct parser *p, struct mtv_buf *b)
{
    static const char from[] = "ntr\\\"'abfv0";
    static const char to[] = "\n\t\r\\\"'\a\b\f\v\0";
    const char *hit = NULL;
    char c = peek(p, 0);
    char hex[3] = {0};
    char *end = NULL;
    char v;

    if (c == 'x' && isxdigit((unsigned char)peek(p, 1)) &&
        isxdigit((unsigned char)peek(p, 2))) {
        hex[0] = peek(p, 1);
        hex[1] = peek(p, 2);
        v = (char)strtol(hex, &end, 16);
        p->pos += 3;
        return mtv_buf_append(b, &v, 1);
    }
    hit = c != '\0' ? strchr(from, c) : NULL;
    if (hit == NULL) {
        return fail_at(p, p->pos - 1, "unknown escape sequence");
    }
    p->pos++;
    return mtv_buf_append(b, &to[hit - from], 1);
}

/* "..." or `...` into a string constant. */
static int lex_string(struct parser *p, struct targ *a)
{
    struct mtv_buf b = MTV_BUF_INIT;
    size_t start = p->pos;
    char q = p->s[p->pos++];
    int rc = 0;

    for (;;) {
        char c = peek(p, 0);

        if (p->pos >= p->len || (q == '"' && c == '\n')) {
            rc = fail_at(p, start, "unterminated quoted string");
            goto out;
        }
        p->pos++;
        if (c == q) {
            break;
        }
        rc = (c == '\\' && q == '"') ? lex_escape(p, &b)
                                     : mtv_buf_append(&b, &c, 1);
        if (rc == MTV_ENOMEM) {
            rc = oom(p);
        }
        if (rc < 0) {
            goto out;
        }
    }
    a->kind = A_CONST;
    rc = tval_set_string(&a->val, b.data != NULL ? b.data : "", b.len);
    if (rc < 0) {
        rc = oom(p);
    }
out:
    mtv_buf_dispose(&b);
    return rc;
}

static int lex_number(struct parser *p, struct targ *a)
{
    size_t start = p->pos;
    char text[64];
    char *end = NULL;
    bool is_float = false;
    size_t n;

    while (p->pos < p->len && (isalnum((unsigned char)p->s[p->pos]) ||
                               strchr(".+-_", p->s[p->pos]) != NULL)) {
        char c = p->s[p->pos];

        if ((c == '+' || c == '-') && p->pos > start &&
            tolower((unsigned char)p->s[p->pos - 1]) != 'e') {
            break;
        }
        p->pos++;
    }
    n = p->pos - start;
    if (n >= sizeof(text)) {
        return fail_at(p, start, "bad number syntax");
    }
    memcpy(text, p->s + start, n);
    text[n] = '\0';
    is_float = strpbrk(text, ".eE") != NULL && strpbrk(text, "xX") == NULL;
    errno = 0;
    a->kind = A_CONST;
    if (is_float) {
        a->val.t = MTV_TMPL_FLOAT;
        a->val.f = strtod(text, &end);
    } else {
        a->val.t = MTV_TMPL_INT;
        a->val.i = strtoll(text, &end, 0);
    }
    if (end == text || *end != '\0' || errno != 0) {
        return fail_at(p, start, "bad number syntax");
    }
    return 0;
}

static int lex_char(struct parser *p, struct targ *a)
{
    size_t start = p->pos;
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = 0;

    p->pos++;
    if (peek(p, 0) == '\\') {
        p->pos++;
        rc = lex_escape(p, &b);
    } else if (p->pos < p->len) {
        rc = mtv_buf_append(&b, &p->s[p->pos++], 1);
    }
    if (rc == 0 && (b.len != 1 || peek(p, 0) != '\'')) {
        rc = fail_at(p, start, "malformed character constant");
    }
    if (rc == 0) {
        p->pos++;
        a->kind = A_CONST;
        a->val.t = MTV_TMPL_INT;
        a->val.i = (unsigned char)b.data[0];
    }
    mtv_buf_dispose(&b);
    return rc;
}

/* .Name(.Name)* or a lone dot. */
static int lex_field(struct parser *p, struct targ *a)
{
    size_t start = p->pos;

    if (!is_ident_start(peek(p, 1))) {
        p->pos++;
        a->kind = A_DOT;
        return 0;
    }
    while (peek(p, 0) == '.' && is_ident_start(peek(p, 1))) {
        p->pos++;
        while (p->pos < p->len && is_ident_char(p->s[p->pos])) {
            p->pos++;
        }
    }
    a->kind = A_FIELD;
    a->s = mtv_strndup(p->s + start + 1, p->pos - start - 1);
    return a->s != NULL ? 0 : oom(p);
}

static int lex_ident(struct parser *p, struct targ *a)
{
    static const char *const unsupported[] = {
        "range",    "define", "template", "block", "break",
        "continue", "if",     "else",     "end",   "with",
    };
    size_t start = p->pos;
    char msg[160];
    size_t i;

    while (p->pos < p->len && is_ident_char(p->s[p->pos])) {
        p->pos++;
    }
    a->s = mtv_strndup(p->s + start, p->pos - start);
    if (a->s == NULL) {
        return oom(p);
    }
    if (strcmp(a->s, "true") == 0 || strcmp(a->s, "false") == 0) {
        a->kind = A_CONST;
        a->val.t = MTV_TMPL_BOOL;
        a->val.b = a->s[0] == 't';
        return 0;
    }
    if (strcmp(a->s, "nil") == 0) {
        a->kind = A_CONST;
        a->val.t = MTV_TMPL_NIL;
        return 0;
    }
    for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        if (strcmp(a->s, unsupported[i]) == 0) {
            snprintf(msg, sizeof(msg), "unexpected \"%s\" in command", a->s);
            return fail_at(p, start, msg);
        }
    }
    if (tmpl_func_lookup(a->s) == NULL) {
        snprintf(msg, sizeof(msg), "function \"%.100s\" not defined", a->s);
        return fail_at(p, start, msg);
    }
    a->kind = A_FUNC;
    return 0;
}

static int lex_paren(struct parser *p, struct targ *a)
{
    int rc;

    if (++p->parens > MAX_NESTING) {
        return fail_at(p, p->pos, "too deeply nested");
    }
    p->pos++;
    a->kind = A_PIPE;
    rc = parse_pipe(p, &a->pipe, true);
    p->parens--;
    if (rc < 0) {
        return rc;
    }
    if (peek(p, 0) != ')') {
        return fail_at(p, p->pos, "unclosed left paren");
    }
    p->pos++;
    return 0;
}

/* One operand at p->pos. */
static int lex_arg(struct parser *p, struct targ *a)
{
    char c = peek(p, 0);
    char msg[64];

    where(p, p->pos, &a->line, &a->col);
    if (c == '"' || c == '`') {
        return lex_string(p, a);
    }
    if (c == '\'') {
        return lex_char(p, a);
    }
    if (c == '.' && !isdigit((unsigned char)peek(p, 1))) {
        return lex_field(p, a);
    }
    if (isdigit((unsigned char)c) || c == '.' ||
        ((c == '-' || c == '+') && isdigit((unsigned char)peek(p, 1)))) {
        return lex_number(p, a);
    }
    if (is_ident_start(c)) {
        return lex_ident(p, a);
    }
    if (c == '(') {
        return lex_paren(p, a);
    }
    if (c == '$') {
        return fail_at(p, p->pos, "variables are not supported");
    }
    snprintf(msg, sizeof(msg), "unexpected \"%c\" in command", c);
    return fail_at(p, p->pos, msg);
}

/* Is the command's end here: '|', ')' or the right delimiter? */
static bool at_cmd_end(const struct parser *p)
{
    size_t n = 0;
    bool trim = false;
    char c = peek(p, 0);

    return p->pos >= p->len || c == '|' || c == ')' ||
           at_right_delim(p, &n, &trim);
}

static int parse_cmd(struct parser *p, struct tcmd *c)
{
    int rc = 0;

    skip_space(p);
    c->off = p->pos;
    where(p, p->pos, &c->line, &c->col);
    while (rc == 0) {
        struct targ a;

        skip_space(p);
        if (at_cmd_end(p)) {
            break;
        }
        memset(&a, 0, sizeof(a));
        rc = lex_arg(p, &a);
        if (rc == 0) {
            rc = push_arg(p, c, &a);
        }
        if (rc < 0) {
            tmpl_arg_dispose(&a);
        }
    }
    if (rc == 0 && c->n == 0) {
        rc = fail_at(p, p->pos, "missing value for command");
    }
    return rc;
}

static int check_stage(struct parser *p, const struct tpipe *pp)
{
    char msg[80];
    const struct tcmd *c = &pp->cmds[pp->n - 1];

    if (pp->n > 1 && c->args[0].kind != A_FUNC) {
        snprintf(msg, sizeof(msg),
                 "non executable command in pipeline stage %zu", pp->n);
        return fail_at(p, c->off, msg);
    }
    return 0;
}

static int parse_pipe(struct parser *p, struct tpipe **out, bool in_paren)
{
    struct tpipe *pp = calloc(1, sizeof(*pp));
    int rc = 0;

    if (pp == NULL) {
        return oom(p);
    }
    skip_space(p);
    where(p, p->pos, &pp->line, &pp->col);
    for (;;) {
        struct tcmd c;

        memset(&c, 0, sizeof(c));
        rc = parse_cmd(p, &c);
        rc = rc == 0 ? push_cmd(p, pp, &c) : rc;
        if (rc < 0) {
            tmpl_cmd_dispose(&c);
            goto out;
        }
        if ((rc = check_stage(p, pp)) < 0) {
            goto out;
        }
        if (peek(p, 0) != '|') {
            break;
        }
        p->pos++;
    }
    if (!in_paren && peek(p, 0) == ')') {
        rc = fail_at(p, p->pos, "unexpected right paren");
    }
out:
    if (rc < 0) {
        tmpl_pipe_free(pp);
        return rc;
    }
    *out = pp;
    return 0;
}

/* Skip a comment "/ * ... * /" right after the left delimiter. */
static int skip_comment(struct parser *p, size_t at)
{
    const char *end = NULL;

    end = memmem(p->s + p->pos, p->len - p->pos, "*/", 2);
    if (end == NULL) {
        return fail_at(p, at, "unclosed comment");
    }
    p->pos = (size_t)(end - p->s) + 2;
    if (peek(p, 0) == ' ' && peek(p, 1) == '-') {
        p->pos++;
    }
    if (!(peek(p, 0) == '}' && peek(p, 1) == '}') &&
        !(peek(p, 0) == '-' && peek(p, 1) == '}' && peek(p, 2) == '}')) {
        return fail_at(p, p->pos, "comment ends before closing delimiter");
    }
    p->trim_next = peek(p, 0) == '-';
    p->pos += p->trim_next ? 3 : 2;
    return 0;
}

/* Text up to the next "{{" (or the end) as a node; handles trimming. */
static int parse_text(struct parser *p, struct tnode **out, size_t *lt)
{
    const char *hit = memmem(p->s + p->pos, p->len - p->pos, "{{", 2);
    size_t start = p->pos;
    size_t end = hit != NULL ? (size_t)(hit - p->s) : p->len;
    struct tnode *n = NULL;

    *lt = end;
    if (p->trim_next) {
        while (start < end && is_space(p->s[start])) {
            start++;
        }
        p->trim_next = false;
    }
    if (hit != NULL && end + 3 < p->len && p->s[end + 2] == '-' &&
        is_space(p->s[end + 3])) {
        while (end > start && is_space(p->s[end - 1])) {
            end--;
        }
    }
    p->pos = hit != NULL ? *lt : p->len;
    *out = NULL;
    if (end == start) {
        return 0;
    }
    n = node_new(p, N_TEXT, start);
    if (n == NULL ||
        (n->text = mtv_strndup(p->s + start, end - start)) == NULL) {
        free(n);
        return oom(p);
    }
    n->len = end - start;
    *out = n;
    return 0;
}

/* Read a keyword at p->pos if it is one of ours. */
static const char *keyword(struct parser *p)
{
    static const char *const kw[] = {"if", "else", "end", "with"};
    size_t i;

    for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
        size_t n = strlen(kw[i]);

        if (p->len - p->pos >= n && memcmp(p->s + p->pos, kw[i], n) == 0 &&
            !is_ident_char(peek(p, n))) {
            p->pos += n;
            return kw[i];
        }
    }
    return NULL;
}

/* {{if pipe}} / {{with pipe}}: n->pipe is set; parse body and else.
 * Recursion (nested ifs and else-if chains) is capped. */
static int parse_if_rest(struct parser *p, struct tnode *n)
{
    enum term t = TERM_EOF;
    struct tnode *e = NULL;
    int rc;

    if (p->rec >= MAX_NESTING) {
        return fail_at(p, p->pos, "too deeply nested");
    }
    p->rec++;
    p->depth++;
    rc = parse_list(p, &n->list, &t);
    p->depth--;
    if (rc == 0 && t == TERM_ELSE) {
        p->depth++;
        rc = parse_list(p, &n->else_list, &t);
        p->depth--;
        if (rc == 0 && t != TERM_END) {
            rc = fail_at(p, p->pos,
                         t == TERM_EOF ? "unexpected EOF"
                                       : "expected end; found else");
        }
    } else if (rc == 0 && t == TERM_ELSE_IF) {
        e = node_new(p, n->kind, p->pos);
        rc = e == NULL ? oom(p) : 0;
        if (e != NULL) {
            e->pipe = p->else_if_pipe;
            p->else_if_pipe = NULL;
            n->else_list = e;
            rc = parse_if_rest(p, e);
        }
    } else if (rc == 0 && t != TERM_END) {
        rc = fail_at(p, p->pos, "unexpected EOF");
    }
    p->rec--;
    return rc;
}

static int parse_control(struct parser *p, const char *kw, size_t at,
                         struct tnode **out)
{
    struct tnode *n = node_new(p, kw[0] == 'i' ? N_IF : N_WITH, at);
    int rc;

    if (n == NULL) {
        return oom(p);
    }
    *out = n;
    skip_space(p);
    {
        size_t dn = 0;
        bool trim = false;

        if (at_right_delim(p, &dn, &trim)) {
            return fail_at(p, p->pos,
                           kw[0] == 'i' ? "missing value for if"
                                        : "missing value for with");
        }
    }
    rc = parse_pipe(p, &n->pipe, false);
    rc = rc == 0 ? expect_right_delim(p) : rc;
    return rc == 0 ? parse_if_rest(p, n) : rc;
}

/* After "else": "}}" or "if pipe }}". */
static int parse_else(struct parser *p, size_t at, enum term *term)
{
    skip_space(p);
    if (p->depth == 0) {
        return fail_at(p, at, "unexpected {{else}}");
    }
    if (keyword(p) != NULL) {
        if (strncmp(p->s + p->pos - 2, "if", 2) != 0) {
            return fail_at(p, at, "unexpected keyword after else");
        }
        skip_space(p);
        int rc = parse_pipe(p, &p->else_if_pipe, false);

        if (rc < 0) {
            return rc;
        }
        *term = TERM_ELSE_IF;
    } else {
        *term = TERM_ELSE;
    }
    return expect_right_delim(p);
}

/* One action starting at "{{". Sets *n (maybe NULL) or *term. */
static int parse_action(struct parser *p, struct tnode **n, enum term *term)
{
    size_t at = p->pos;
    const char *kw = NULL;
    int rc;

    p->pos += 2;
    if (peek(p, 0) == '-' && is_space(peek(p, 1))) {
        p->pos += 2;
    }
    if (peek(p, 0) == '/' && peek(p, 1) == '*') {
        return skip_comment(p, at);
    }
    skip_space(p);
    kw = keyword(p);
    if (kw != NULL && strcmp(kw, "end") == 0) {
        if (p->depth == 0) {
            return fail_at(p, at, "unexpected {{end}}");
        }
        *term = TERM_END;
        return expect_right_delim(p);
    }
    if (kw != NULL && strcmp(kw, "else") == 0) {
        return parse_else(p, at, term);
    }
    if (kw != NULL) {
        return parse_control(p, kw, at, n);
    }
    *n = node_new(p, N_ACTION, at);
    if (*n == NULL) {
        return oom(p);
    }
    rc = parse_pipe(p, &(*n)->pipe, false);
    return rc == 0 ? expect_right_delim(p) : rc;
}

static int parse_list(struct parser *p, struct tnode **out, enum term *term)
{
    struct tnode **tail = out;
    int rc = 0;

    *term = TERM_EOF;
    while (p->pos < p->len && rc == 0) {
        struct tnode *n = NULL;
        size_t lt = 0;

        rc = parse_text(p, &n, &lt);
        if (n != NULL) {
            *tail = n;
            tail = &n->next;
            n = NULL;
        }
        if (rc < 0 || p->pos >= p->len) {
            break;
        }
        rc = parse_action(p, &n, term);
        if (n != NULL) {
            *tail = n;
            tail = &n->next;
        }
        if (*term != TERM_EOF) {
            break;
        }
    }
    return rc;
}

int mtv_tmpl_parse(struct mtv_tmpl **out, const char *text,
                   struct mtv_tmpl_pos *pos, struct mtv_error *err)
{
    struct parser p;
    struct mtv_tmpl *t = NULL;
    enum term term = TERM_EOF;
    int rc;

    memset(&p, 0, sizeof(p));
    p.s = text != NULL ? text : "";
    p.len = strlen(p.s);
    p.epos = pos;
    p.err = err;
    if (pos != NULL) {
        pos->line = 0;
        pos->col = 0;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return oom(&p);
    }
    rc = parse_list(&p, &t->root, &term);
    tmpl_pipe_free(p.else_if_pipe);
    if (rc < 0) {
        mtv_tmpl_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void mtv_tmpl_free(struct mtv_tmpl *t)
{
    if (t == NULL) {
        return;
    }
    tmpl_nodes_free(t->root);
    free(t);
}
