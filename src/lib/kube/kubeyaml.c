/*
 * kube: a reader for the YAML subset kubeconfig files use (block mappings
 * and sequences, plain/quoted scalars, comments, empty flow collections),
 * producing a json tree. JSON input is accepted as is. libyaml belongs to
 * the config module; kubeconfigs written by kubectl/oc need no more.
 */
#include "kube_priv.h"

#include <stdlib.h>
#include <string.h>

struct yline {
    int indent;
    int lineno;
    char *text; /* owned copy without indent, comment, trailing blanks */
};

struct yparse {
    struct yline *lines;
    size_t n;
    size_t i;
    struct mtv_error *err;
};

/* Strip a comment outside quotes and trailing blanks, in place. */
static void strip_comment(char *s)
{
    char quote = 0;
    size_t len = 0;

    for (char *p = s; *p != '\0'; p++) {
        if (quote != 0) {
            quote = *p == quote ? 0 : quote;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            break;
        }
    }
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
                       s[len - 1] == '\r')) {
        s[--len] = '\0';
    }
}

static int split_lines(struct yparse *y, const char *text, size_t len)
{
    const char *end = text + len;
    int lineno = 0;

    for (const char *p = text; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        int indent = 0;
        lineno++;
        while ((size_t)indent < n && p[indent] == ' ') {
            indent++;
        }
        char *t = mtv_strndup(p + indent, n - (size_t)indent);
        if (t == NULL) {
            return MTV_ENOMEM;
        }
        strip_comment(t);
        if (t[0] == '\0' || strcmp(t, "---") == 0) {
            free(t);
        } else {
            struct yline *nl2 = realloc(y->lines,
                                        (y->n + 1) * sizeof(*y->lines));
            if (nl2 == NULL) {
                free(t);
                return MTV_ENOMEM;
            }
            y->lines = nl2;
            y->lines[y->n++] = (struct yline){indent, lineno, t};
        }
        p += n + (nl != NULL ? 1 : 0);
    }
    return 0;
}

static int yerr(struct yparse *y, const struct yline *l, const char *what)
{
    return mtv_error_set(y->err, MTV_ECONFIG, "k8s", "%d:%d: %s",
                         l != NULL ? l->lineno : 0,
                         l != NULL ? l->indent + 1 : 0, what);
}

static struct mtv_json *scalar(const char *s);

/* Trimmed copy of s[0..n). */
static char *trimmed(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    return mtv_strndup(s, n);
}

/* Add one "k: v" (map) or "v" (seq) item of a flat flow collection. */
static int flow_item(struct mtv_json *coll, bool map, const char *s,
                     size_t n)
{
    char *item = trimmed(s, n);
    const char *colon = item != NULL && map ? strstr(item, ": ") : NULL;
    int rc = item != NULL ? 0 : MTV_ENOMEM;

    if (rc == 0 && item[0] == '\0') {
        free(item);
        return 0;
    }
    if (rc == 0 && map && colon == NULL) {
        rc = MTV_EINVAL;
    } else if (rc == 0 && map) {
        char *k = trimmed(item, (size_t)(colon - item));
        struct mtv_json *ks = k != NULL ? scalar(k) : NULL;
        const char *key = mtv_json_string_value(ks);
        rc = key != NULL && strpbrk(key, ".[\\") == NULL
                 ? mtv_json_set_take(coll, key, scalar(colon + 2))
                 : MTV_EINVAL;
        mtv_json_free(ks);
        free(k);
    } else if (rc == 0) {
        rc = mtv_json_push_take(coll, scalar(item));
    }
    free(item);
    return rc;
}

/* A flat flow collection "{a: b, c: d}" or "[a, b]" (no nesting). */
static struct mtv_json *flow(const char *s, size_t n)
{
    bool map = s[0] == '{';
    struct mtv_json *coll = map ? mtv_json_new_object()
                                : mtv_json_new_array();
    const char *p = s + 1;
    const char *end = s + n - 1;
    char quote = 0;

    for (const char *q = p; coll != NULL && q <= end; q++) {
        if (quote != 0) {
            quote = *q == quote ? 0 : quote;
        } else if (*q == '\'' || *q == '"') {
            quote = *q;
        } else if (*q == '{' || *q == '[') {
            mtv_json_free(coll); /* nesting is not supported */
            return NULL;
        } else if (*q == ',' || q == end) {
            if (flow_item(coll, map, p, (size_t)(q - p)) != 0) {
                mtv_json_free(coll);
                return NULL;
            }
            p = q + 1;
        }
    }
    return coll;
}

/* Decode a scalar (plain or quoted) into a json value. */
static struct mtv_json *scalar(const char *s)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_json *v = NULL;
    size_t n = strlen(s);

    if (n >= 2 && ((s[0] == '{' && s[n - 1] == '}') ||
                   (s[0] == '[' && s[n - 1] == ']'))) {
        return flow(s, n);
    }
    if (strcmp(s, "null") == 0 || strcmp(s, "~") == 0) {
        return mtv_json_new_null();
    }
    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
        return mtv_json_new_bool(s[0] == 't');
    }
    if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'') {
        for (size_t i = 1; i + 1 < n; i++) {
            mtv_buf_append(&b, &s[i], 1);
            i += (s[i] == '\'' && s[i + 1] == '\'') ? 1 : 0;
        }
    } else if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        for (size_t i = 1; i + 1 < n; i++) {
            char ch = s[i];
            if (ch == '\\' && i + 2 < n) {
                ch = s[++i];
                ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
            }
            mtv_buf_append(&b, &ch, 1);
        }
    } else {
        mtv_buf_puts(&b, s);
    }
    v = mtv_json_new_string(b.data != NULL ? b.data : "");
    mtv_buf_dispose(&b);
    return v;
}

/* Position of the ':' ending a mapping key, or NULL. */
static const char *key_colon(const char *s)
{
    char quote = 0;

    if (s[0] == '-' && (s[1] == ' ' || s[1] == '\0')) {
        return NULL;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (quote != 0) {
            quote = *p == quote ? 0 : quote;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == ':' && (p[1] == ' ' || p[1] == '\0')) {
            return p;
        }
    }
    return NULL;
}

static bool is_seq_item(const char *s)
{
    return s[0] == '-' && (s[1] == ' ' || s[1] == '\0');
}

static int parse_node(struct yparse *y, int indent, struct mtv_json **out);

/* The value after "key:" with nothing on the line. */
static int nested_value(struct yparse *y, int indent, struct mtv_json **out)
{
    if (y->i < y->n && y->lines[y->i].indent > indent) {
        return parse_node(y, y->lines[y->i].indent, out);
    }
    if (y->i < y->n && y->lines[y->i].indent == indent &&
        is_seq_item(y->lines[y->i].text)) {
        return parse_node(y, indent, out); /* kubectl: "- " at key level */
    }
    *out = mtv_json_new_null();
    return *out != NULL ? 0 : MTV_ENOMEM;
}

static int parse_map(struct yparse *y, int indent, struct mtv_json **out)
{
    struct mtv_json *map = mtv_json_new_object();
    int rc = map != NULL ? 0 : MTV_ENOMEM;

    while (rc == 0 && y->i < y->n && y->lines[y->i].indent == indent &&
           !is_seq_item(y->lines[y->i].text)) {
        struct yline *l = &y->lines[y->i++];
        const char *colon = key_colon(l->text);
        struct mtv_json *k = NULL;
        struct mtv_json *v = NULL;
        if (colon == NULL) {
            rc = yerr(y, l, "expected 'key: value'");
            break;
        }
        char *ktext = mtv_strndup(l->text, (size_t)(colon - l->text));
        k = ktext != NULL ? scalar(ktext) : NULL;
        free(ktext);
        const char *rest = colon[1] == '\0' ? colon + 1 : colon + 2;
        while (*rest == ' ') {
            rest++;
        }
        if (*rest == '\0') {
            rc = nested_value(y, indent, &v);
        } else {
            v = scalar(rest);
            rc = v != NULL ? 0 : yerr(y, l, "unsupported value");
        }
        if (rc == 0 && (k == NULL || mtv_json_string_value(k) == NULL)) {
            rc = MTV_ENOMEM;
        }
        if (rc == 0) {
            /* escape dots: keys like "mtvtest.io/x" are plain members */
            struct mtv_buf path = MTV_BUF_INIT;
            for (const char *p = mtv_json_string_value(k); *p != '\0'; p++) {
                if (*p == '.' || *p == '[' || *p == '\\') {
                    mtv_buf_puts(&path, "\\");
                }
                mtv_buf_append(&path, p, 1);
            }
            rc = mtv_json_set_take(map, path.data != NULL ? path.data : "",
                                   v);
            v = NULL;
            mtv_buf_dispose(&path);
        }
        mtv_json_free(k);
        mtv_json_free(v);
    }
    if (rc != 0) {
        mtv_json_free(map);
        return rc;
    }
    *out = map;
    return 0;
}

static int parse_seq(struct yparse *y, int indent, struct mtv_json **out)
{
    struct mtv_json *arr = mtv_json_new_array();
    int rc = arr != NULL ? 0 : MTV_ENOMEM;

    while (rc == 0 && y->i < y->n && y->lines[y->i].indent == indent &&
           is_seq_item(y->lines[y->i].text)) {
        struct yline *l = &y->lines[y->i];
        struct mtv_json *v = NULL;
        const char *rest = l->text + 1;
        int off = 1;
        while (*rest == ' ') {
            rest++;
            off++;
        }
        if (*rest == '\0') {
            y->i++;
            rc = nested_value(y, indent, &v);
        } else if (key_colon(rest) != NULL || is_seq_item(rest)) {
            /* "- key: v": a nested node starting on this line */
            memmove(l->text, rest, strlen(rest) + 1);
            l->indent += off;
            rc = parse_node(y, l->indent, &v);
        } else {
            y->i++;
            v = scalar(rest);
            rc = v != NULL ? 0 : yerr(y, l, "unsupported value");
        }
        if (rc == 0) {
            rc = mtv_json_push_take(arr, v);
        }
    }
    if (rc != 0) {
        mtv_json_free(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

static int parse_node(struct yparse *y, int indent, struct mtv_json **out)
{
    const struct yline *l = &y->lines[y->i];

    if (is_seq_item(l->text)) {
        return parse_seq(y, indent, out);
    }
    if (key_colon(l->text) != NULL) {
        return parse_map(y, indent, out);
    }
    y->i++;
    *out = scalar(l->text);
    return *out != NULL ? 0 : MTV_ENOMEM;
}

int kube__yaml_parse(struct mtv_json **out, const char *text, size_t len,
                     struct mtv_error *err)
{
    struct yparse y = {NULL, 0, 0, err};
    int rc = 0;
    size_t skip = strspn(text, " \t\r\n");

    if (skip < len && text[skip] == '{') {
        return mtv_json_parse(out, text, len, NULL, err);
    }
    rc = split_lines(&y, text, len);
    if (rc == 0 && y.n == 0) {
        rc = yerr(&y, NULL, "empty document");
    }
    if (rc == 0) {
        rc = parse_node(&y, y.lines[0].indent, out);
    }
    if (rc == 0 && y.i < y.n) {
        mtv_json_free(*out);
        *out = NULL;
        rc = yerr(&y, &y.lines[y.i], "unexpected indentation");
    }
    if (rc == MTV_ENOMEM) {
        mtv_error_set(err, rc, "k8s", "out of memory");
    }
    for (size_t i = 0; i < y.n; i++) {
        mtv_str_free_secret(y.lines[i].text);
    }
    free(y.lines);
    return rc;
}
