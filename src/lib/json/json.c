/* json: typed access over cJSON. struct mtv_json is a cJSON in disguise. */
#include "mtv/json.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CJ(j) ((cJSON *)(j))
#define CCJ(j) ((const cJSON *)(j))
#define MJ(c) ((struct mtv_json *)(c))

static void pos_of(const char *text, const char *at, const char *end,
                   struct mtv_json_pos *pos)
{
    pos->line = 1;
    pos->col = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n') {
            pos->line++;
            pos->col = 1;
        } else {
            pos->col++;
        }
    }
    pos->ch = at < end ? *at : '\0'; /* text need not be NUL-terminated */
}

/*
 * First '#' or '/' outside a string before `limit`: a comment, which cJSON
 * reports one character late. NULL when there is none.
 */
static const char *find_comment(const char *text, const char *limit)
{
    bool in_str = false;

    for (const char *p = text; p < limit; p++) {
        if (in_str) {
            if (*p == '\\' && p + 1 < limit) {
                p++;
            } else if (*p == '"') {
                in_str = false;
            }
        } else if (*p == '"') {
            in_str = true;
        } else if (*p == '#' || *p == '/') {
            return p;
        }
    }
    return NULL;
}

/* True when the text ends inside a string or an open array/object. */
static bool truncated(const char *text, size_t len)
{
    bool in_str = false;
    long depth = 0;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_str) {
            if (c == '\\' && i + 1 < len) {
                i++;
            } else if (c == '"') {
                in_str = false;
            }
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return in_str || depth > 0;
}

static int parse_fail(const char *text, size_t len, const char *at,
                      struct mtv_json_pos *pos, struct mtv_error *err)
{
    struct mtv_json_pos p;
    const char *comment;

    if (at == NULL || at < text || at > text + len) {
        at = text + len;
    }
    comment = find_comment(text, at < text + len ? at + 1 : at);
    if (comment != NULL) {
        at = comment;
    } else if (truncated(text, len)) {
        at = text + len;
    }
    pos_of(text, at, text + len, &p);
    if (at == text + len) {
        p.ch = '\0';
    }
    if (pos != NULL) {
        *pos = p;
    }
    if (p.ch == '\0') {
        return mtv_error_set(err, MTV_EPROTO, "json",
                             "%d:%d: invalid JSON: unexpected end of input",
                             p.line, p.col);
    }
    return mtv_error_set(err, MTV_EPROTO, "json",
                         "%d:%d: invalid JSON near '%c'", p.line, p.col,
                         isprint((unsigned char)p.ch) ? p.ch : '?');
}

int mtv_json_parse(struct mtv_json **out, const char *text, size_t len,
                   struct mtv_json_pos *pos, struct mtv_error *err)
{
    const char *end = NULL;
    cJSON *root;

    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL) {
        return parse_fail(text, len, end, pos, err);
    }
    while (end != NULL && end < text + len &&
           (isspace((unsigned char)*end) || *end == '\0')) {
        if (*end == '\0' && end + 1 == text + len) {
            end++;
            break;
        }
        end++;
    }
    if (end != NULL && end < text + len) {
        cJSON_Delete(root);
        return parse_fail(text, len, end, pos, err);
    }
    *out = MJ(root);
    return 0;
}

void mtv_json_free(struct mtv_json *j)
{
    cJSON_Delete(CJ(j));
}

char *mtv_json_print(const struct mtv_json *j, bool pretty)
{
    if (j == NULL) {
        return NULL;
    }
    return pretty ? cJSON_Print(CCJ(j)) : cJSON_PrintUnformatted(CCJ(j));
}

struct mtv_json *mtv_json_dup(const struct mtv_json *j)
{
    return j != NULL ? MJ(cJSON_Duplicate(CCJ(j), 1)) : NULL;
}

bool mtv_json_equal(const struct mtv_json *a, const struct mtv_json *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return cJSON_Compare(CCJ(a), CCJ(b), 1) != 0;
}

enum mtv_json_type mtv_json_type(const struct mtv_json *j)
{
    const cJSON *c = CCJ(j);

    if (c == NULL) {
        return MTV_JSON_INVALID;
    }
    switch (c->type & 0xff) {
    case cJSON_NULL:
        return MTV_JSON_NULL;
    case cJSON_False:
    case cJSON_True:
        return MTV_JSON_BOOL;
    case cJSON_Number:
        return MTV_JSON_NUMBER;
    case cJSON_String:
        return MTV_JSON_STRING;
    case cJSON_Array:
        return MTV_JSON_ARRAY;
    case cJSON_Object:
        return MTV_JSON_OBJECT;
    default:
        return MTV_JSON_INVALID;
    }
}

/* ---- paths */

struct seg {
    char name[256];
    bool has_name;
    long index; /* -1: none */
};

/*
 * Read the next segment from *p: "name", "name[3]" or "[3]" (one index per
 * call; a following "[4]" comes as its own nameless segment). 0 at the end,
 * 1 for a segment, -1 on a malformed path.
 */
static int next_seg(const char **p, struct seg *s)
{
    size_t n = 0;
    const char *q = *p;

    s->has_name = false;
    s->index = -1;
    if (*q == '\0') {
        return 0;
    }
    if (*q == '.') {
        q++;
    }
    while (*q != '\0' && *q != '.' && *q != '[') {
        if (*q == '\\' && q[1] != '\0') {
            q++;
        }
        if (n + 1 >= sizeof(s->name)) {
            return -1;
        }
        s->name[n++] = *q++;
        s->has_name = true;
    }
    s->name[n] = '\0';
    if (!s->has_name && *q == '[') {
        char *end = NULL;
        s->index = strtol(q + 1, &end, 10);
        if (end == q + 1 || *end != ']' || s->index < 0) {
            return -1;
        }
        q = end + 1;
    } else if (!s->has_name) {
        return -1;
    }
    *p = q;
    return 1;
}

static cJSON *step(cJSON *c, const struct seg *s)
{
    if (c == NULL) {
        return NULL;
    }
    if (s->has_name) {
        return cJSON_IsObject(c) ? cJSON_GetObjectItemCaseSensitive(c, s->name)
                                 : NULL;
    }
    return cJSON_IsArray(c) ? cJSON_GetArrayItem(c, (int)s->index) : NULL;
}

struct mtv_json *mtv_json_get_mut(struct mtv_json *j, const char *path)
{
    cJSON *c = CJ(j);
    const char *p = path != NULL ? path : "";
    struct seg s;
    int rc;

    while (c != NULL && (rc = next_seg(&p, &s)) != 0) {
        if (rc < 0) {
            return NULL;
        }
        c = step(c, &s);
    }
    return MJ(c);
}

const struct mtv_json *mtv_json_get(const struct mtv_json *j,
                                    const char *path)
{
    return mtv_json_get_mut((struct mtv_json *)j, path);
}

static const char *type_name(const struct mtv_json *j)
{
    static const char *const names[] = {"nothing", "null",  "boolean",
                                        "number",  "string", "array",
                                        "object"};
    return names[mtv_json_type(j)];
}

static int typed(const struct mtv_json *j, const char *path,
                 enum mtv_json_type want, const struct mtv_json **out,
                 struct mtv_error *err)
{
    static const char *const names[] = {"nothing", "null",  "boolean",
                                        "number",  "string", "array",
                                        "object"};
    const struct mtv_json *v = mtv_json_get(j, path);

    if (v == NULL) {
        return mtv_error_set(err, MTV_ENOTFOUND, "json", "%s: missing",
                             path);
    }
    if (mtv_json_type(v) != want) {
        return mtv_error_set(err, MTV_EPROTO, "json",
                             "%s: expected %s, got %s", path, names[want],
                             type_name(v));
    }
    *out = v;
    return 0;
}

int mtv_json_get_string(const struct mtv_json *j, const char *path,
                        const char **out, struct mtv_error *err)
{
    const struct mtv_json *v = NULL;
    int rc = typed(j, path, MTV_JSON_STRING, &v, err);

    if (rc == 0) {
        *out = CCJ(v)->valuestring;
    }
    return rc;
}

int mtv_json_get_double(const struct mtv_json *j, const char *path,
                        double *out, struct mtv_error *err)
{
    const struct mtv_json *v = NULL;
    int rc = typed(j, path, MTV_JSON_NUMBER, &v, err);

    if (rc == 0) {
        *out = CCJ(v)->valuedouble;
    }
    return rc;
}

int mtv_json_get_int(const struct mtv_json *j, const char *path,
                     long long *out, struct mtv_error *err)
{
    double d = 0;
    int rc = mtv_json_get_double(j, path, &d, err);

    if (rc < 0) {
        return rc;
    }
    if (d != floor(d) || fabs(d) > 9007199254740992.0) {
        return mtv_error_set(err, MTV_EPROTO, "json",
                             "%s: expected integer, got %g", path, d);
    }
    *out = (long long)d;
    return 0;
}

int mtv_json_get_bool(const struct mtv_json *j, const char *path, bool *out,
                      struct mtv_error *err)
{
    const struct mtv_json *v = NULL;
    int rc = typed(j, path, MTV_JSON_BOOL, &v, err);

    if (rc == 0) {
        *out = cJSON_IsTrue(CCJ(v)) != 0;
    }
    return rc;
}

const char *mtv_json_string_or(const struct mtv_json *j, const char *path,
                               const char *def)
{
    const cJSON *c = CCJ(mtv_json_get(j, path));

    return cJSON_IsString(c) ? c->valuestring : def;
}

long long mtv_json_int_or(const struct mtv_json *j, const char *path,
                          long long def)
{
    const cJSON *c = CCJ(mtv_json_get(j, path));

    return cJSON_IsNumber(c) ? (long long)c->valuedouble : def;
}

double mtv_json_double_or(const struct mtv_json *j, const char *path,
                          double def)
{
    const cJSON *c = CCJ(mtv_json_get(j, path));

    return cJSON_IsNumber(c) ? c->valuedouble : def;
}

bool mtv_json_bool_or(const struct mtv_json *j, const char *path, bool def)
{
    const cJSON *c = CCJ(mtv_json_get(j, path));

    return cJSON_IsBool(c) ? cJSON_IsTrue(c) != 0 : def;
}

const char *mtv_json_string_value(const struct mtv_json *j)
{
    return cJSON_IsString(CCJ(j)) ? CCJ(j)->valuestring : NULL;
}

double mtv_json_number_value(const struct mtv_json *j)
{
    return cJSON_IsNumber(CCJ(j)) ? CCJ(j)->valuedouble : 0.0;
}

bool mtv_json_is_true(const struct mtv_json *j)
{
    return cJSON_IsTrue(CCJ(j)) != 0;
}

size_t mtv_json_size(const struct mtv_json *j)
{
    const cJSON *c = CCJ(j);

    if (!cJSON_IsArray(c) && !cJSON_IsObject(c)) {
        return 0;
    }
    return (size_t)cJSON_GetArraySize(c);
}

const struct mtv_json *mtv_json_at(const struct mtv_json *j, size_t i)
{
    const cJSON *c = CCJ(j);

    if (!cJSON_IsArray(c) && !cJSON_IsObject(c)) {
        return NULL;
    }
    return MJ(cJSON_GetArrayItem(c, (int)i));
}

const struct mtv_json *mtv_json_first(const struct mtv_json *j)
{
    const cJSON *c = CCJ(j);

    if (!cJSON_IsArray(c) && !cJSON_IsObject(c)) {
        return NULL;
    }
    return MJ(c->child);
}

const struct mtv_json *mtv_json_next(const struct mtv_json *j)
{
    return j != NULL ? MJ(CCJ(j)->next) : NULL;
}

const char *mtv_json_key(const struct mtv_json *j)
{
    return j != NULL ? CCJ(j)->string : NULL;
}

/* ---- writing */

struct mtv_json *mtv_json_new_object(void)
{
    return MJ(cJSON_CreateObject());
}

struct mtv_json *mtv_json_new_array(void)
{
    return MJ(cJSON_CreateArray());
}

struct mtv_json *mtv_json_new_string(const char *s)
{
    return MJ(cJSON_CreateString(s != NULL ? s : ""));
}

struct mtv_json *mtv_json_new_number(double v)
{
    return MJ(cJSON_CreateNumber(v));
}

struct mtv_json *mtv_json_new_bool(bool v)
{
    return MJ(cJSON_CreateBool(v));
}

struct mtv_json *mtv_json_new_null(void)
{
    return MJ(cJSON_CreateNull());
}

/* Walk to the parent object of the last segment, creating objects. */
static cJSON *parent_for_set(cJSON *c, const char *path, struct seg *last)
{
    const char *p = path;
    struct seg s;
    int rc = next_seg(&p, &s);

    while (rc > 0) {
        struct seg nxt;
        const char *q = p;
        int rc2 = next_seg(&q, &nxt);
        if (rc2 == 0) {
            *last = s;
            return s.has_name && cJSON_IsObject(c) ? c : NULL;
        }
        if (rc2 < 0) {
            return NULL;
        }
        cJSON *child = step(c, &s);
        if (child == NULL && s.has_name && cJSON_IsObject(c)) {
            child = cJSON_AddObjectToObject(c, s.name);
        }
        c = child;
        if (c == NULL) {
            return NULL;
        }
        s = nxt;
        p = q;
    }
    return NULL;
}

int mtv_json_set_take(struct mtv_json *obj, const char *path,
                      struct mtv_json *value)
{
    struct seg last;
    cJSON *parent;

    if (value == NULL) {
        return MTV_ENOMEM;
    }
    parent = parent_for_set(CJ(obj), path, &last);
    if (parent == NULL) {
        cJSON_Delete(CJ(value));
        return MTV_EINVAL;
    }
    if (cJSON_GetObjectItemCaseSensitive(parent, last.name) != NULL) {
        cJSON_ReplaceItemInObjectCaseSensitive(parent, last.name, CJ(value));
        return 0;
    }
    if (!cJSON_AddItemToObject(parent, last.name, CJ(value))) {
        cJSON_Delete(CJ(value));
        return MTV_ENOMEM;
    }
    return 0;
}

int mtv_json_set_string(struct mtv_json *obj, const char *path,
                        const char *s)
{
    return mtv_json_set_take(obj, path, mtv_json_new_string(s));
}

int mtv_json_set_number(struct mtv_json *obj, const char *path, double v)
{
    return mtv_json_set_take(obj, path, mtv_json_new_number(v));
}

int mtv_json_set_bool(struct mtv_json *obj, const char *path, bool v)
{
    return mtv_json_set_take(obj, path, mtv_json_new_bool(v));
}

int mtv_json_set_null(struct mtv_json *obj, const char *path)
{
    return mtv_json_set_take(obj, path, mtv_json_new_null());
}

int mtv_json_set_copy(struct mtv_json *obj, const char *path,
                      const struct mtv_json *value)
{
    if (value == NULL) {
        return MTV_EINVAL;
    }
    return mtv_json_set_take(obj, path, mtv_json_dup(value));
}

void mtv_json_remove(struct mtv_json *obj, const char *path)
{
    struct seg last;
    cJSON *parent = parent_for_set(CJ(obj), path, &last);

    if (parent != NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(parent, last.name);
    }
}

int mtv_json_push_take(struct mtv_json *arr, struct mtv_json *value)
{
    if (value == NULL) {
        return MTV_ENOMEM;
    }
    if (!cJSON_IsArray(CJ(arr)) || !cJSON_AddItemToArray(CJ(arr), CJ(value))) {
        cJSON_Delete(CJ(value));
        return MTV_EINVAL;
    }
    return 0;
}

int mtv_json_push_string(struct mtv_json *arr, const char *s)
{
    return mtv_json_push_take(arr, mtv_json_new_string(s));
}
