/* tmpl: private types shared by the parser, executor and functions. */
#ifndef MTV_TMPL_PRIV_H
#define MTV_TMPL_PRIV_H

#include "mtv/tmpl.h"

/* A runtime value. s is owned by the value. */
struct tval {
    enum mtv_tmpl_type t;
    char *s;
    long long i;
    double f;
    bool b;
};

enum arg_kind {
    A_FIELD, /* .Name (s = "Name"; chained fields joined with '.') */
    A_DOT,   /* . */
    A_FUNC,  /* identifier naming a function */
    A_CONST, /* literal: val */
    A_PIPE,  /* ( pipeline ) */
};

struct tpipe;

struct targ {
    enum arg_kind kind;
    char *s;
    struct tval val;
    struct tpipe *pipe;
    int line;
    int col;
};

struct tcmd {
    struct targ *args;
    size_t n;
    size_t off; /* byte offset in the text */
    int line;
    int col;
};

struct tpipe {
    struct tcmd *cmds;
    size_t n;
    int line;
    int col;
};

enum node_kind { N_TEXT, N_ACTION, N_IF, N_WITH };

struct tnode {
    enum node_kind kind;
    char *text;
    size_t len;
    struct tpipe *pipe;
    struct tnode *list;      /* if/with body */
    struct tnode *else_list; /* if/with else */
    struct tnode *next;
    int line;
    int col;
};

struct mtv_tmpl {
    struct tnode *root;
};

/* Function table entry. Returns 0 or -1 with msg set. */
typedef int (*tfunc_fn)(struct tval *out, const struct tval *args, size_t n,
                        char *msg, size_t msg_size);

struct tfunc {
    const char *name;
    int min_args;
    int max_args; /* -1: variadic */
    tfunc_fn fn;
};

/* Forklift's Sprig subset (funcs_sprig.c). */
extern const struct tfunc tmpl_sprig_funcs[];
extern const size_t tmpl_sprig_nfuncs;

/* Lookup a function by name (Go builtins, then Sprig). NULL if unknown. */
const struct tfunc *tmpl_func_lookup(const char *name);

/* Value helpers. */
void tval_clear(struct tval *v);
int tval_copy(struct tval *dst, const struct tval *src);
int tval_set_string(struct tval *v, const char *s, size_t n);
bool tval_truth(const struct tval *v);
const char *tval_type_name(enum mtv_tmpl_type t);
/* Append the value as Go's %v would print it. */
int tval_print(struct mtv_buf *b, const struct tval *v);
/* Format a float like Go's %v (shortest representation). */
void tval_format_float(double f, char *out, size_t size);

/* Argument coercions as Go/Sprig apply them; -1 with msg on type error. */
int targ_string(const struct tval *v, int idx, const char **out, char *msg,
                size_t msg_size);
int targ_int(const struct tval *v, int idx, long long *out, char *msg,
             size_t msg_size);
long long tcast_int64(const struct tval *v);
double tcast_float64(const struct tval *v);

/* Go-style printf into b. */
int tmpl_sprintf(struct mtv_buf *b, const char *fmt, const struct tval *args,
                 size_t n);

/* Sprig's regexReplaceAll with Go-style $1 / ${1} expansion. */
int tmpl_regex_replace_all(struct tval *out, const char *re, const char *s,
                           const char *repl, char *msg, size_t msg_size);

void tmpl_nodes_free(struct tnode *n);
void tmpl_arg_dispose(struct targ *a);
void tmpl_cmd_dispose(struct tcmd *c);
void tmpl_pipe_free(struct tpipe *p);

#endif
