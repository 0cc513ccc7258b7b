/* crd_schema: CRD openAPIV3Schema loading (libyaml) and checking. */
#include "crd_schema.h"

#include <math.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "mtv/util.h"

/* ------------------------------------------------------------ loading */

static struct mtv_json *scalar(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;
    long long i = 0;

    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return mtv_json_new_string(v);
    }
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        return mtv_json_new_bool(v[0] == 't');
    }
    if (strcmp(v, "null") == 0 || strcmp(v, "~") == 0) {
        return mtv_json_new_null();
    }
    if (mtv_str_to_llong(v, &i) == 0) {
        return mtv_json_new_number((double)i);
    }
    return mtv_json_new_string(v);
}

static struct mtv_json *convert(yaml_document_t *doc, const yaml_node_t *n,
                                int depth)
{
    struct mtv_json *o = NULL;

    if (n == NULL || depth > 200) {
        return NULL;
    }
    if (n->type == YAML_SCALAR_NODE) {
        return scalar(n);
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        o = mtv_json_new_array();
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             o != NULL && it < n->data.sequence.items.top; it++) {
            struct mtv_json *c =
                convert(doc, yaml_document_get_node(doc, *it), depth + 1);
            if (c == NULL || mtv_json_push_take(o, c) < 0) {
                mtv_json_free(o);
                return NULL;
            }
        }
        return o;
    }
    o = mtv_json_new_object();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         o != NULL && p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        struct mtv_json *c =
            convert(doc, yaml_document_get_node(doc, p->value), depth + 1);
        struct mtv_buf path = MTV_BUF_INIT;
        int rc = c != NULL && k != NULL && k->type == YAML_SCALAR_NODE ? 0 : -1;
        for (const char *s = rc == 0 ? (const char *)k->data.scalar.value : "";
             rc == 0 && *s; s++) {
            if (*s == '.' || *s == '[' || *s == '\\') {
                rc = mtv_buf_append(&path, "\\", 1);
            }
            rc = rc < 0 ? rc : mtv_buf_append(&path, s, 1);
        }
        rc = rc < 0 ? (mtv_json_free(c), rc)
                    : mtv_json_set_take(o, path.data, c);
        mtv_buf_dispose(&path);
        if (rc < 0) {
            mtv_json_free(o);
            return NULL;
        }
    }
    return o;
}

int crd_schema_load(struct mtv_json **out, const char *path, char *msg,
                    size_t size)
{
    FILE *f = fopen(path, "r");
    yaml_parser_t parser;
    yaml_document_t doc;
    struct mtv_json *crd = NULL;
    const struct mtv_json *schema = NULL;

    if (f == NULL) {
        snprintf(msg, size, "cannot open %s", path);
        return -1;
    }
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(msg, size, "%s: YAML error line %zu", path,
                 parser.problem_mark.line + 1);
        yaml_parser_delete(&parser);
        fclose(f);
        return -1;
    }
    crd = convert(&doc, yaml_document_get_root_node(&doc), 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    schema = mtv_json_get(crd, "spec.versions[0].schema.openAPIV3Schema");
    *out = schema != NULL ? mtv_json_dup(schema) : NULL;
    mtv_json_free(crd);
    if (*out == NULL) {
        snprintf(msg, size, "%s: no openAPIV3Schema", path);
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------------- checking */

struct ctx {
    char *msg;
    size_t size;
};

static int fail(struct ctx *c, const char *path, const char *what,
                const char *detail)
{
    snprintf(c->msg, c->size, "%s: %s%s%s", path[0] ? path : "<root>", what,
             detail ? " " : "", detail ? detail : "");
    return -1;
}

static int check(struct ctx *c, const struct mtv_json *s,
                 const struct mtv_json *v, const char *path);

static bool type_ok(const char *type, const struct mtv_json *v)
{
    enum mtv_json_type t = mtv_json_type(v);
    double d = mtv_json_number_value(v);

    if (type == NULL) {
        return true;
    }
    if (strcmp(type, "integer") == 0) {
        return t == MTV_JSON_NUMBER && floor(d) == d;
    }
    return (strcmp(type, "object") == 0 && t == MTV_JSON_OBJECT) ||
           (strcmp(type, "array") == 0 && t == MTV_JSON_ARRAY) ||
           (strcmp(type, "string") == 0 && t == MTV_JSON_STRING) ||
           (strcmp(type, "number") == 0 && t == MTV_JSON_NUMBER) ||
           (strcmp(type, "boolean") == 0 && t == MTV_JSON_BOOL);
}

static int check_string(struct ctx *c, const struct mtv_json *s, const char *v,
                        const char *path)
{
    const char *pattern = mtv_json_string_or(s, "pattern", NULL);
    const char *format = mtv_json_string_or(s, "format", NULL);
    long long minl = mtv_json_int_or(s, "minLength", -1);
    long long maxl = mtv_json_int_or(s, "maxLength", -1);
    int64_t t = 0;

    if ((minl >= 0 && (long long)strlen(v) < minl) ||
        (maxl >= 0 && (long long)strlen(v) > maxl)) {
        return fail(c, path, "bad length of", v);
    }
    if (format != NULL && strcmp(format, "date-time") == 0 &&
        mtv_time_parse_rfc3339(v, &t) < 0) {
        return fail(c, path, "not a date-time:", v);
    }
    if (pattern != NULL) {
        regex_t re;
        int rc;
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
            return fail(c, path, "schema pattern does not compile:", pattern);
        }
        rc = regexec(&re, v, 0, NULL, 0);
        regfree(&re);
        if (rc != 0) {
            return fail(c, path, "does not match pattern", pattern);
        }
    }
    return 0;
}

static int check_number(struct ctx *c, const struct mtv_json *s, double d,
                        const char *path)
{
    const struct mtv_json *mn = mtv_json_get(s, "minimum");
    const struct mtv_json *mx = mtv_json_get(s, "maximum");
    const char *format = mtv_json_string_or(s, "format", NULL);

    if ((mn != NULL && d < mtv_json_number_value(mn)) ||
        (mx != NULL && d > mtv_json_number_value(mx))) {
        return fail(c, path, "out of range", NULL);
    }
    if (format != NULL && strcmp(format, "int32") == 0 &&
        (d < -2147483648.0 || d > 2147483647.0)) {
        return fail(c, path, "does not fit int32", NULL);
    }
    return 0;
}

static int check_enum(struct ctx *c, const struct mtv_json *s,
                      const struct mtv_json *v, const char *path)
{
    const struct mtv_json *e = mtv_json_get(s, "enum");

    if (e == NULL) {
        return 0;
    }
    for (const struct mtv_json *x = mtv_json_first(e); x;
         x = mtv_json_next(x)) {
        if (mtv_json_equal(x, v)) {
            return 0;
        }
    }
    return fail(c, path, "not one of the enum values", NULL);
}

static int check_object(struct ctx *c, const struct mtv_json *s,
                        const struct mtv_json *v, const char *path)
{
    const struct mtv_json *props = mtv_json_get(s, "properties");
    const struct mtv_json *addl = mtv_json_get(s, "additionalProperties");
    bool preserve =
        mtv_json_bool_or(s, "x-kubernetes-preserve-unknown-fields", false);
    char sub[512];

    for (const struct mtv_json *r = mtv_json_first(mtv_json_get(s, "required"));
         r != NULL; r = mtv_json_next(r)) {
        const char *k = mtv_json_string_value(r);
        bool found = false;
        for (const struct mtv_json *m = mtv_json_first(v); m && !found;
             m = mtv_json_next(m)) {
            found = mtv_str_eq(mtv_json_key(m), k);
        }
        if (!found) {
            return fail(c, path, "missing required member", k);
        }
    }
    for (const struct mtv_json *m = mtv_json_first(v); m != NULL;
         m = mtv_json_next(m)) {
        const char *k = mtv_json_key(m);
        const struct mtv_json *ps = NULL;
        for (const struct mtv_json *p = mtv_json_first(props); p && !ps;
             p = mtv_json_next(p)) {
            ps = mtv_str_eq(mtv_json_key(p), k) ? p : NULL;
        }
        snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", k);
        if (ps == NULL && mtv_json_type(addl) == MTV_JSON_OBJECT) {
            ps = addl;
        }
        if (ps == NULL && (preserve || mtv_json_is_true(addl))) {
            continue;
        }
        if (ps == NULL) {
            return fail(c, sub, "unknown field (would be pruned)", NULL);
        }
        if (strcmp(sub, "metadata") != 0 && check(c, ps, m, sub) < 0) {
            return -1;
        }
    }
    return 0;
}

static int check(struct ctx *c, const struct mtv_json *s,
                 const struct mtv_json *v, const char *path)
{
    const char *type = mtv_json_string_or(s, "type", NULL);
    char sub[512];
    size_t i = 0;

    if (mtv_json_type(v) == MTV_JSON_NULL) {
        return mtv_json_bool_or(s, "nullable", false)
                   ? 0
                   : fail(c, path, "null is not allowed", NULL);
    }
    if (!type_ok(type, v)) {
        return fail(c, path, "expected", type);
    }
    if (check_enum(c, s, v, path) < 0) {
        return -1;
    }
    switch (mtv_json_type(v)) {
    case MTV_JSON_STRING:
        return check_string(c, s, mtv_json_string_value(v), path);
    case MTV_JSON_NUMBER:
        return check_number(c, s, mtv_json_number_value(v), path);
    case MTV_JSON_OBJECT:
        return check_object(c, s, v, path);
    case MTV_JSON_ARRAY:
        for (const struct mtv_json *e = mtv_json_first(v); e != NULL;
             e = mtv_json_next(e), i++) {
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            if (check(c, mtv_json_get(s, "items"), e, sub) < 0) {
                return -1;
            }
        }
        return 0;
    default:
        return 0;
    }
}

int crd_schema_check(const struct mtv_json *schema, const struct mtv_json *obj,
                     char *msg, size_t size)
{
    struct ctx c = {msg, size};

    msg[0] = '\0';
    return check(&c, schema, obj, "");
}
