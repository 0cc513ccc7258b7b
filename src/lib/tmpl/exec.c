/* tmpl: executing a parsed template against flat data. */
#include "tmpl/tmpl_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 16

struct exec {
    const struct mtv_tmpl_data *data;
    const struct tval *dot; /* NULL: dot is the data itself */
    struct mtv_buf out;
    struct mtv_tmpl_pos *pos;
    struct mtv_error *err;
};

static int eval_pipe(struct exec *ex, const struct tpipe *pp, struct tval *out);

static int fail(struct exec *ex, int line, int col, const char *what)
{
    if (ex->pos != NULL) {
        ex->pos->line = line;
        ex->pos->col = col;
    }
    return mtv_error_set(ex->err, MTV_EINVAL, "tmpl", "%d:%d: %s", line, col,
                         what);
}

static int oom(struct exec *ex)
{
    return mtv_error_set(ex->err, MTV_ENOMEM, "tmpl", "out of memory");
}

static const struct mtv_tmpl_var *lookup_var(const struct mtv_tmpl_data *d,
                                             const char *name, size_t n)
{
    size_t i;

    for (i = 0; d != NULL && i < d->n; i++) {
        if (strlen(d->vars[i].name) == n &&
            strncmp(d->vars[i].name, name, n) == 0) {
            return &d->vars[i];
        }
    }
    return NULL;
}

static int var_value(const struct mtv_tmpl_var *v, struct tval *out)
{
    out->t = v->type;
    out->i = v->i;
    out->f = v->f;
    out->b = v->b;
    if (v->type == MTV_TMPL_STRING) {
        return tval_set_string(out, v->s != NULL ? v->s : "",
                               v->s != NULL ? strlen(v->s) : 0);
    }
    return 0;
}

static int eval_field(struct exec *ex, const struct targ *a, struct tval *out)
{
    const char *dot = strchr(a->s, '.');
    size_t n = dot != NULL ? (size_t)(dot - a->s) : strlen(a->s);
    const struct mtv_tmpl_var *v = NULL;
    char msg[200];

    if (ex->dot != NULL) {
        snprintf(msg, sizeof(msg), "can't evaluate field %.*s in type %s",
                 (int)n, a->s, tval_type_name(ex->dot->t));
        return fail(ex, a->line, a->col, msg);
    }
    v = lookup_var(ex->data, a->s, n);
    if (v == NULL) {
        snprintf(msg, sizeof(msg), "can't evaluate field %.*s", (int)n, a->s);
        return fail(ex, a->line, a->col, msg);
    }
    if (dot != NULL) {
        snprintf(msg, sizeof(msg), "can't evaluate field %.60s in type %s",
                 dot + 1, tval_type_name(v->type));
        return fail(ex, a->line, a->col, msg);
    }
    return var_value(v, out) < 0 ? oom(ex) : 0;
}

static int call_func(struct exec *ex, const struct targ *fa,
                     const struct tval *args, size_t n, struct tval *out)
{
    const struct tfunc *f = tmpl_func_lookup(fa->s);
    char msg[256];
    char what[400];

    if (f == NULL) {
        snprintf(what, sizeof(what), "function \"%.100s\" not defined", fa->s);
        return fail(ex, fa->line, fa->col, what);
    }
    if ((int)n < f->min_args || (f->max_args >= 0 && (int)n > f->max_args)) {
        snprintf(what, sizeof(what),
                 "wrong number of args for %s: want %d got %zu", f->name,
                 f->min_args, n);
        return fail(ex, fa->line, fa->col, what);
    }
    msg[0] = '\0';
    if (f->fn(out, args, n, msg, sizeof(msg)) < 0) {
        if (strcmp(msg, "out of memory") == 0) {
            return oom(ex);
        }
        snprintf(what, sizeof(what), "error calling %s: %s", f->name, msg);
        return fail(ex, fa->line, fa->col, what);
    }
    return 0;
}

static int eval_arg(struct exec *ex, const struct targ *a, struct tval *out)
{
    switch (a->kind) {
    case A_FIELD:
        return eval_field(ex, a, out);
    case A_DOT:
        if (ex->dot == NULL) {
            return fail(ex, a->line, a->col,
                        "the data itself cannot be used as a value");
        }
        return tval_copy(out, ex->dot) < 0 ? oom(ex) : 0;
    case A_CONST:
        return tval_copy(out, &a->val) < 0 ? oom(ex) : 0;
    case A_PIPE:
        return eval_pipe(ex, a->pipe, out);
    case A_FUNC:
        return call_func(ex, a, NULL, 0, out);
    }
    return fail(ex, a->line, a->col, "bad argument");
}

static void clear_args(struct tval *args, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        tval_clear(&args[i]);
    }
}

/* One command; piped is the previous stage's value (NULL for the first). */
static int eval_cmd(struct exec *ex, const struct tcmd *c, struct tval *piped,
                    struct tval *out)
{
    struct tval args[MAX_ARGS];
    size_t n = 0;
    size_t i;
    int rc = 0;
    char msg[160];

    memset(args, 0, sizeof(args));
    if (c->args[0].kind != A_FUNC) {
        if (c->n > 1 || piped != NULL) {
            snprintf(msg, sizeof(msg), "can't give argument to non-function");
            return fail(ex, c->line, c->col, msg);
        }
        return eval_arg(ex, &c->args[0], out);
    }
    if (c->n > MAX_ARGS - 1) {
        return fail(ex, c->line, c->col, "too many arguments");
    }
    for (i = 1; i < c->n && rc == 0; i++) {
        rc = eval_arg(ex, &c->args[i], &args[n++]);
    }
    if (rc == 0 && piped != NULL) {
        args[n++] = *piped;
        memset(piped, 0, sizeof(*piped));
    }
    if (rc == 0) {
        rc = call_func(ex, &c->args[0], args, n, out);
    }
    clear_args(args, n);
    return rc;
}

static int eval_pipe(struct exec *ex, const struct tpipe *pp, struct tval *out)
{
    struct tval cur;
    struct tval next;
    size_t i;
    int rc = 0;

    memset(&cur, 0, sizeof(cur));
    for (i = 0; i < pp->n && rc == 0; i++) {
        memset(&next, 0, sizeof(next));
        rc = eval_cmd(ex, &pp->cmds[i], i == 0 ? NULL : &cur, &next);
        tval_clear(&cur);
        cur = next;
    }
    if (rc < 0) {
        tval_clear(&cur);
        return rc;
    }
    *out = cur;
    return 0;
}

static int exec_list(struct exec *ex, const struct tnode *n);

static int exec_cond(struct exec *ex, const struct tnode *n)
{
    struct tval v;
    const struct tval *saved = ex->dot;
    int rc;

    memset(&v, 0, sizeof(v));
    rc = eval_pipe(ex, n->pipe, &v);
    if (rc == 0 && tval_truth(&v)) {
        if (n->kind == N_WITH) {
            ex->dot = &v;
        }
        rc = exec_list(ex, n->list);
        ex->dot = saved;
    } else if (rc == 0) {
        rc = exec_list(ex, n->else_list);
    }
    tval_clear(&v);
    return rc;
}

static int exec_list(struct exec *ex, const struct tnode *n)
{
    int rc = 0;

    for (; n != NULL && rc == 0; n = n->next) {
        struct tval v;

        memset(&v, 0, sizeof(v));
        switch (n->kind) {
        case N_TEXT:
            rc = mtv_buf_append(&ex->out, n->text, n->len);
            break;
        case N_ACTION:
            rc = eval_pipe(ex, n->pipe, &v);
            rc = rc == 0 ? tval_print(&ex->out, &v) : rc;
            break;
        case N_IF:
        case N_WITH:
            rc = exec_cond(ex, n);
            break;
        }
        tval_clear(&v);
        if (rc == MTV_ENOMEM || rc == MTV_EPROTO) {
            rc = oom(ex);
        }
    }
    return rc;
}

int mtv_tmpl_execute(char **out, const struct mtv_tmpl *t,
                     const struct mtv_tmpl_data *data, struct mtv_tmpl_pos *pos,
                     struct mtv_error *err)
{
    struct exec ex;
    int rc;

    memset(&ex, 0, sizeof(ex));
    ex.data = data;
    ex.pos = pos;
    ex.err = err;
    mtv_buf_init(&ex.out, 1024 * 1024);
    if (pos != NULL) {
        pos->line = 0;
        pos->col = 0;
    }
    rc = exec_list(&ex, t->root);
    if (rc == 0) {
        *out = mtv_buf_detach(&ex.out);
        rc = *out != NULL ? 0 : oom(&ex);
    }
    mtv_buf_dispose(&ex.out);
    return rc;
}

int mtv_tmpl_render(char **out, const char *text,
                    const struct mtv_tmpl_data *data, struct mtv_error *err)
{
    struct mtv_tmpl *t = NULL;
    int rc;

    rc = mtv_tmpl_parse(&t, text, NULL, err);
    if (rc == 0) {
        rc = mtv_tmpl_execute(out, t, data, NULL, err);
    }
    mtv_tmpl_free(t);
    return rc;
}
