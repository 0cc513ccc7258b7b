/*
 * tmpl: a Go text/template subset with Forklift's Sprig functions, used to
 * predict PVC names from a Plan's pvcNameTemplate.
 *
 * Supported: text, {{ pipeline }} actions, {{- / -}} trim markers,
 * comments, fields (.Name), dot, string/raw-string/number/bool/nil
 * literals, parenthesised pipelines, "|" pipelines (the piped value is the
 * last argument), {{if}} / {{else if}} / {{else}} / {{end}}, {{with}}, the
 * Go builtins and eq ne lt le gt ge not and or len print println printf,
 * and Forklift's Sprig subset with Sprig's argument order:
 *   lower upper contains replace trim trimAll trimSuffix trimPrefix title
 *   untitle repeat substr nospace trunc initials hasPrefix hasSuffix
 *   mustRegexReplaceAll add add1 sub div mod mul max min floor ceil round
 * Not supported (a parse error names them): variables, range, define,
 * template, block, break, continue.
 *
 * Errors carry "LINE:COL: what" (1-based line and column of the offending
 * token) in err->msg with code MTV_EINVAL, and the position in *pos.
 */
#ifndef MTV_TMPL_H
#define MTV_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "mtv/util.h"

struct mtv_tmpl;

enum mtv_tmpl_type {
    MTV_TMPL_NIL = 0,
    MTV_TMPL_STRING,
    MTV_TMPL_INT,
    MTV_TMPL_FLOAT,
    MTV_TMPL_BOOL,
};

/* One named value of the template data (the fields of "."). */
struct mtv_tmpl_var {
    const char *name;
    enum mtv_tmpl_type type;
    const char *s; /* MTV_TMPL_STRING */
    long long i;   /* MTV_TMPL_INT */
    double f;      /* MTV_TMPL_FLOAT */
    bool b;        /* MTV_TMPL_BOOL */
};

/* The template's "." : a flat set of named fields. Borrowed by execute. */
struct mtv_tmpl_data {
    const struct mtv_tmpl_var *vars;
    size_t n;
};

/* Where an error is: 1-based line and column (0, 0 when unknown). */
struct mtv_tmpl_pos {
    int line;
    int col;
};

/*
 * Parse template text. Unknown functions are parse errors (as in Go).
 * pos may be NULL. Caller frees *out with mtv_tmpl_free.
 * Returns 0, MTV_EINVAL (syntax; err->msg "LINE:COL: ...") or MTV_ENOMEM.
 */
int mtv_tmpl_parse(struct mtv_tmpl **out, const char *text,
                   struct mtv_tmpl_pos *pos, struct mtv_error *err);

/* Free a parsed template (NULL allowed). */
void mtv_tmpl_free(struct mtv_tmpl *t);

/*
 * Execute against data. *out is the rendered text; caller frees with
 * free(). Returns 0, MTV_EINVAL (execution error such as a missing field or
 * a wrong argument type, "LINE:COL: ...") or MTV_ENOMEM.
 */
int mtv_tmpl_execute(char **out, const struct mtv_tmpl *t,
                     const struct mtv_tmpl_data *data, struct mtv_tmpl_pos *pos,
                     struct mtv_error *err);

/* Parse and execute in one call; same contract as the two above. */
int mtv_tmpl_render(char **out, const char *text,
                    const struct mtv_tmpl_data *data, struct mtv_error *err);

#endif
