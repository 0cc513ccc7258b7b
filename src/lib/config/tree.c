/* config: the node tree (with locations), merging and --set overrides. */
#include "config_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cloc_format(const struct cloc *l, char *out, size_t size)
{
    if (l->line > 0) {
        snprintf(out, size, "%s:%d:%d", l->file, l->line, l->col);
    } else {
        snprintf(out, size, "%s", l->file);
    }
    return out;
}

struct cnode *cnode_new(enum cnode_kind kind, const struct cloc *loc)
{
    struct cnode *n = calloc(1, sizeof(*n));

    if (n == NULL) {
        return NULL;
    }
    n->kind = kind;
    n->loc = *loc;
    return n;
}

void cnode_free(struct cnode *n)
{
    if (n == NULL) {
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        cnode_free(n->items[i]);
        if (n->keys != NULL) {
            free(n->keys[i]);
        }
    }
    free(n->items);
    free(n->keys);
    free(n->key_locs);
    if (n->text != NULL) {
        explicit_bzero(n->text, strlen(n->text));
    }
    free(n->text);
    free(n);
}

struct cnode *cnode_map_get(const struct cnode *map, const char *key,
                            size_t *index_out)
{
    if (map == NULL || map->kind != CN_MAP) {
        return NULL;
    }
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i], key) == 0) {
            if (index_out != NULL) {
                *index_out = i;
            }
            return map->items[i];
        }
    }
    return NULL;
}

static int grow(struct cnode *n, bool with_keys)
{
    size_t cap = n->cap ? n->cap * 2 : 8;
    struct cnode **items = NULL;

    if (n->n < n->cap) {
        return 0;
    }
    items = realloc(n->items, cap * sizeof(*items));
    if (items == NULL) {
        return MTV_ENOMEM;
    }
    n->items = items;
    if (with_keys) {
        char **keys = realloc(n->keys, cap * sizeof(*keys));
        struct cloc *locs = NULL;

        if (keys == NULL) {
            return MTV_ENOMEM;
        }
        n->keys = keys;
        locs = realloc(n->key_locs, cap * sizeof(*locs));
        if (locs == NULL) {
            return MTV_ENOMEM;
        }
        n->key_locs = locs;
    }
    n->cap = cap;
    return 0;
}

int cnode_map_put_take(struct cnode *map, const char *key,
                       const struct cloc *kloc, struct cnode *value)
{
    char *k = mtv_strdup(key);

    if (k == NULL || grow(map, true) != 0) {
        free(k);
        cnode_free(value);
        return MTV_ENOMEM;
    }
    map->keys[map->n] = k;
    map->key_locs[map->n] = *kloc;
    map->items[map->n++] = value;
    return 0;
}

int cnode_seq_push_take(struct cnode *seq, struct cnode *value)
{
    if (grow(seq, false) != 0) {
        cnode_free(value);
        return MTV_ENOMEM;
    }
    seq->items[seq->n++] = value;
    return 0;
}

bool cnode_is_null(const struct cnode *n)
{
    static const char *const forms[] = {"", "~", "null", "Null", "NULL"};

    if (n == NULL || n->kind != CN_SCALAR || !n->plain) {
        return false;
    }
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        if (strcmp(n->text, forms[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Move every field of src into dst (dst's old insides are freed). */
static void cnode_replace_take(struct cnode *dst, struct cnode *src)
{
    struct cnode tmp = *dst;

    *dst = *src;
    tmp.loc = src->loc;
    *src = tmp;
    cnode_free(src);
}

void cnode_merge_take(struct cnode *dst, struct cnode *src)
{
    if (dst->kind != CN_MAP || src->kind != CN_MAP) {
        cnode_replace_take(dst, src);
        return;
    }
    for (size_t i = 0; i < src->n; i++) {
        struct cnode *mine = cnode_map_get(dst, src->keys[i], NULL);

        if (mine != NULL) {
            cnode_merge_take(mine, src->items[i]);
        } else {
            cnode_map_put_take(dst, src->keys[i], &src->key_locs[i],
                               src->items[i]);
        }
        src->items[i] = NULL;
    }
    cnode_free(src);
}

/* ------------------------------------------------------------ overrides */

static void relocate(struct cnode *n, const struct cloc *loc)
{
    n->loc = *loc;
    for (size_t i = 0; i < n->n; i++) {
        relocate(n->items[i], loc);
        if (n->key_locs != NULL) {
            n->key_locs[i] = *loc;
        }
    }
}

/* The override's value: a flow collection is parsed as YAML. */
static int set_value(struct cnode **out, const char *value,
                     const struct cloc *loc, struct mtv_diag *diag)
{
    struct cnode *n = NULL;

    if (value[0] == '[' || value[0] == '{') {
        if (cyaml_parse(&n, loc->file, value, strlen(value), diag) != 0) {
            return MTV_ECONFIG;
        }
        relocate(n, loc);
    } else {
        n = cnode_new(CN_SCALAR, loc);
        if (n == NULL || (n->text = mtv_strdup(value)) == NULL) {
            cnode_free(n);
            return MTV_ENOMEM;
        }
        n->plain = true;
    }
    *out = n;
    return 0;
}

/* Split a dotted key ("a.b\.c" → "a", "b.c"). */
static int split_key(struct mtv_strv *parts, const char *key)
{
    struct mtv_buf cur = MTV_BUF_INIT;
    int rc = 0;

    for (const char *p = key;; p++) {
        if (*p == '\\' && (p[1] == '.' || p[1] == '\\')) {
            p++;
            rc = mtv_buf_append(&cur, p, 1);
        } else if (*p == '.' || *p == '\0') {
            rc = mtv_strv_push_take(parts, mtv_buf_detach(&cur));
            if (*p == '\0') {
                break;
            }
        } else {
            rc = mtv_buf_append(&cur, p, 1);
        }
        if (rc != 0) {
            break;
        }
    }
    mtv_buf_dispose(&cur);
    return rc;
}

/* Map keys whose members are free-form names that may contain dots. */
static bool is_free_map(const char *key)
{
    return strcmp(key, "target_labels") == 0 ||
           strcmp(key, "target_node_selector") == 0;
}

/* Join parts[from..] with '.' into a new string. */
static char *join_from(const struct mtv_strv *parts, size_t from)
{
    struct mtv_buf b = MTV_BUF_INIT;

    for (size_t i = from; i < parts->len; i++) {
        if ((i > from && mtv_buf_puts(&b, ".") != 0) ||
            mtv_buf_puts(&b, parts->items[i]) != 0) {
            mtv_buf_dispose(&b);
            return NULL;
        }
    }
    return mtv_buf_detach(&b);
}

/* Step into seq[index] or map[key] (creating a map). NULL on error. */
static struct cnode *descend(struct cnode *cur, const char *comp,
                             const struct cloc *loc)
{
    struct cnode *child = NULL;
    long idx = 0;

    if (cur->kind == CN_SEQ) {
        if (mtv_str_to_long(comp, &idx) != 0 || idx < 0 ||
            (size_t)idx >= cur->n) {
            return NULL;
        }
        return cur->items[idx];
    }
    child = cnode_map_get(cur, comp, NULL);
    if (child != NULL && child->kind == CN_SCALAR && cnode_is_null(child)) {
        child->kind = CN_MAP;
    }
    if (child != NULL) {
        return child->kind == CN_SCALAR ? NULL : child;
    }
    child = cnode_new(CN_MAP, loc);
    if (child == NULL || cnode_map_put_take(cur, comp, loc, child) != 0) {
        return NULL;
    }
    return child;
}

static int put_last(struct cnode *cur, const char *key, struct cnode *value,
                    const struct cloc *loc)
{
    size_t i = 0;
    long idx = 0;

    if (cur->kind == CN_SEQ) {
        if (mtv_str_to_long(key, &idx) != 0 || idx < 0 ||
            (size_t)idx >= cur->n) {
            cnode_free(value);
            return MTV_EINVAL;
        }
        cnode_free(cur->items[idx]);
        cur->items[idx] = value;
        return 0;
    }
    if (cnode_map_get(cur, key, &i) != NULL) {
        cnode_free(cur->items[i]);
        cur->items[i] = value;
        return 0;
    }
    return cnode_map_put_take(cur, key, loc, value);
}

static int walk_and_put(struct cnode *root, const struct mtv_strv *parts,
                        struct cnode *value, const struct cloc *loc)
{
    struct cnode *cur = root;
    char *joined = NULL;
    int rc = 0;

    for (size_t i = 0; i + 1 < parts->len; i++) {
        cur = descend(cur, parts->items[i], loc);
        if (cur == NULL) {
            cnode_free(value);
            return MTV_EINVAL;
        }
        if (is_free_map(parts->items[i]) && i + 2 < parts->len) {
            joined = join_from(parts, i + 1);
            rc = joined ? put_last(cur, joined, value, loc) : MTV_ENOMEM;
            free(joined);
            return rc;
        }
    }
    return put_last(cur, parts->items[parts->len - 1], value, loc);
}

static bool parts_ok(const struct mtv_strv *parts)
{
    for (size_t i = 0; i < parts->len; i++) {
        if (parts->items[i][0] == '\0') {
            return false;
        }
    }
    return parts->len > 0;
}

int cset_apply(struct cnode *root, const char *spec, bool tc,
               const char *origin, struct mtv_diag *diag)
{
    struct mtv_strv parts = MTV_STRV_INIT;
    struct cloc loc = {origin, 0, 0};
    struct cnode *value = NULL;
    const char *sep = strchr(spec, tc ? ':' : '=');
    char *key = NULL;
    int rc = 0;

    if (sep == NULL || sep == spec) {
        return mtv_diag_error(diag, "%s: expected %s", origin,
                              tc ? "KEY:VALUE" : "KEY=VALUE");
    }
    key = mtv_strndup(spec, (size_t)(sep - spec));
    if (key == NULL || split_key(&parts, key) != 0) {
        rc = MTV_ENOMEM;
        goto out;
    }
    if (!parts_ok(&parts)) {
        rc = mtv_diag_error(diag, "%s: invalid key '%s'", origin, key);
        goto out;
    }
    rc = set_value(&value, sep + 1, &loc, diag);
    if (rc != 0) {
        goto out;
    }
    rc = walk_and_put(root, &parts, value, &loc);
    if (rc == MTV_EINVAL) {
        rc = mtv_diag_error(diag, "%s: key '%s' does not name a setting",
                            origin, key);
    }
out:
    free(key);
    mtv_strv_dispose(&parts);
    return rc;
}

/* ----------------------------------------------------------------- json */

static struct mtv_json *scalar_to_json(const struct cnode *n, bool typed)
{
    long long iv = 0;
    double dv = 0;
    bool bv = false;

    if (!n->plain) {
        return mtv_json_new_string(n->text);
    }
    if (cnode_is_null(n)) {
        return mtv_json_new_null();
    }
    if (!typed) {
        /* only true/false are booleans; "yes", "1" stay strings */
        if (mtv_str_case_eq(n->text, "true") ||
            mtv_str_case_eq(n->text, "false")) {
            return mtv_json_new_bool(mtv_str_case_eq(n->text, "true"));
        }
        return mtv_json_new_string(n->text);
    }
    if (cparse_bool(n, &bv)) {
        return mtv_json_new_bool(bv);
    }
    if (mtv_str_to_llong(n->text, &iv) == 0) {
        return mtv_json_new_number((double)iv);
    }
    if (mtv_str_to_double(n->text, &dv) == 0) {
        return mtv_json_new_number(dv);
    }
    return mtv_json_new_string(n->text);
}

/* A member name as a json path element: escape '.', '[', ']', '\\'. */
static char *escape_key(const char *key)
{
    struct mtv_buf b = MTV_BUF_INIT;

    mtv_buf_puts(&b, "");
    for (const char *p = key; *p != '\0'; p++) {
        if ((strchr(".[]\\", *p) != NULL && mtv_buf_puts(&b, "\\") != 0) ||
            mtv_buf_append(&b, p, 1) != 0) {
            mtv_buf_dispose(&b);
            return NULL;
        }
    }
    return mtv_buf_detach(&b);
}

static struct mtv_json *to_json(const struct cnode *n, bool typed)
{
    struct mtv_json *j = NULL;

    if (n->kind == CN_SCALAR) {
        return scalar_to_json(n, typed);
    }
    j = n->kind == CN_MAP ? mtv_json_new_object() : mtv_json_new_array();
    for (size_t i = 0; j != NULL && i < n->n; i++) {
        struct mtv_json *c = to_json(n->items[i], typed);
        int rc = MTV_ENOMEM;

        if (c != NULL && n->kind == CN_MAP) {
            char *k = escape_key(n->keys[i]);

            rc = k ? mtv_json_set_take(j, k, c) : MTV_ENOMEM;
            if (k == NULL) {
                mtv_json_free(c);
            }
            free(k);
        } else if (c != NULL) {
            rc = mtv_json_push_take(j, c);
        }
        if (rc != 0) {
            mtv_json_free(j);
            return NULL;
        }
    }
    return j;
}

struct mtv_json *cnode_to_json(const struct cnode *n)
{
    return to_json(n, true);
}

int mtv_config_yaml_to_json(struct mtv_json **out, const char *name,
                            const char *text, size_t len,
                            struct mtv_error *err)
{
    struct mtv_diag diag = MTV_DIAG_INIT;
    struct cnode *root = NULL;
    int rc = cyaml_parse(&root, name, text, len, &diag);

    if (rc != 0) {
        mtv_error_set(err, rc == MTV_ENOMEM ? rc : MTV_ECONFIG, "config",
                      "%s", diag.errors.len ? diag.errors.items[0]
                                            : "invalid YAML");
        mtv_diag_dispose(&diag);
        return rc == MTV_ENOMEM ? rc : MTV_ECONFIG;
    }
    *out = to_json(root, false);
    cnode_free(root);
    mtv_diag_dispose(&diag);
    return *out != NULL ? 0
                        : mtv_error_set(err, MTV_ENOMEM, "config",
                                        "out of memory");
}
