/*
 * json: a small typed layer over cJSON (the only user of cJSON).
 *
 * A `struct mtv_json` is an opaque JSON value. Trees are owned by whoever
 * created them (mtv_json_parse, mtv_json_new_*, mtv_json_dup) and freed with
 * mtv_json_free on the root. Values reached from a root are borrowed.
 *
 * Paths: dotted member names with optional [index], relative to the value
 * passed in: "metadata.name", "items[3].status.conditions". A member name
 * containing a dot or bracket can be escaped with a backslash
 * ("metadata.labels.mtvtest\\.io/session").
 */
#ifndef MTV_JSON_H
#define MTV_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "mtv/util.h"

struct mtv_json;

enum mtv_json_type {
    MTV_JSON_INVALID = 0,
    MTV_JSON_NULL,
    MTV_JSON_BOOL,
    MTV_JSON_NUMBER,
    MTV_JSON_STRING,
    MTV_JSON_ARRAY,
    MTV_JSON_OBJECT,
};

/* Where a parse failed: 1-based line and column, and the offending char. */
struct mtv_json_pos {
    int line;
    int col;
    char ch;
};

/*
 * Parse len bytes of strict JSON (no comments, no trailing commas).
 * On error sets err (MTV_EPROTO, "LINE:COL: invalid JSON near '<c>'") and,
 * when pos is non-NULL, the position. *out must be NULL. Caller frees *out
 * with mtv_json_free.
 */
int mtv_json_parse(struct mtv_json **out, const char *text, size_t len,
                   struct mtv_json_pos *pos, struct mtv_error *err);

/* Free a tree (NULL allowed). Only for roots you own. */
void mtv_json_free(struct mtv_json *j);

/* Serialise. Caller frees with free(). NULL on ENOMEM. */
char *mtv_json_print(const struct mtv_json *j, bool pretty);

/* Deep copy. Caller frees with mtv_json_free. */
struct mtv_json *mtv_json_dup(const struct mtv_json *j);

/* Deep equality (objects compare unordered). */
bool mtv_json_equal(const struct mtv_json *a, const struct mtv_json *b);

enum mtv_json_type mtv_json_type(const struct mtv_json *j);

/* ---------------------------------------------------------------- reading */

/* Value at path, or NULL when absent (or j is NULL). Borrowed. */
const struct mtv_json *mtv_json_get(const struct mtv_json *j,
                                    const char *path);
/* Mutable variant, for editing a tree you own. Borrowed. */
struct mtv_json *mtv_json_get_mut(struct mtv_json *j, const char *path);

/*
 * Typed getters. Missing → MTV_ENOTFOUND with "<path>: missing";
 * wrong type → MTV_EPROTO with "<path>: expected string, got number".
 * Returned strings are borrowed from the tree.
 */
int mtv_json_get_string(const struct mtv_json *j, const char *path,
                        const char **out, struct mtv_error *err);
int mtv_json_get_int(const struct mtv_json *j, const char *path,
                     long long *out, struct mtv_error *err);
int mtv_json_get_double(const struct mtv_json *j, const char *path,
                        double *out, struct mtv_error *err);
int mtv_json_get_bool(const struct mtv_json *j, const char *path, bool *out,
                      struct mtv_error *err);

/* Lenient getters: the value, or def when absent or of another type. */
const char *mtv_json_string_or(const struct mtv_json *j, const char *path,
                               const char *def);
long long mtv_json_int_or(const struct mtv_json *j, const char *path,
                          long long def);
double mtv_json_double_or(const struct mtv_json *j, const char *path,
                          double def);
bool mtv_json_bool_or(const struct mtv_json *j, const char *path, bool def);

/* The value itself (no path). NULL / 0 / false when of another type. */
const char *mtv_json_string_value(const struct mtv_json *j);
double mtv_json_number_value(const struct mtv_json *j);
bool mtv_json_is_true(const struct mtv_json *j);

/* Arrays and objects: number of elements/members (0 for others). */
size_t mtv_json_size(const struct mtv_json *j);
/* Element i of an array, or member i of an object. Borrowed. O(i). */
const struct mtv_json *mtv_json_at(const struct mtv_json *j, size_t i);

/*
 * Iterate children of an array or object:
 *   for (c = mtv_json_first(j); c != NULL; c = mtv_json_next(c))
 * mtv_json_key(c) is the member name (NULL for array elements).
 */
const struct mtv_json *mtv_json_first(const struct mtv_json *j);
const struct mtv_json *mtv_json_next(const struct mtv_json *j);
const char *mtv_json_key(const struct mtv_json *j);

/* ---------------------------------------------------------------- writing */

/* New empty object / array / scalar. Caller frees with mtv_json_free. */
struct mtv_json *mtv_json_new_object(void);
struct mtv_json *mtv_json_new_array(void);
struct mtv_json *mtv_json_new_string(const char *s);
struct mtv_json *mtv_json_new_number(double v);
struct mtv_json *mtv_json_new_bool(bool v);
struct mtv_json *mtv_json_new_null(void);

/*
 * Set a member at a dotted path inside an object, creating intermediate
 * objects; replaces an existing member. The _take variant takes ownership
 * of value (freed on error too). Returns 0, MTV_EINVAL (a path element is
 * not an object) or MTV_ENOMEM.
 */
int mtv_json_set_take(struct mtv_json *obj, const char *path,
                      struct mtv_json *value);
int mtv_json_set_string(struct mtv_json *obj, const char *path,
                        const char *s);
int mtv_json_set_number(struct mtv_json *obj, const char *path, double v);
int mtv_json_set_bool(struct mtv_json *obj, const char *path, bool v);
int mtv_json_set_null(struct mtv_json *obj, const char *path);
/* Set a deep copy of value. */
int mtv_json_set_copy(struct mtv_json *obj, const char *path,
                      const struct mtv_json *value);

/* Remove the member at path (no-op when absent). */
void mtv_json_remove(struct mtv_json *obj, const char *path);

/* Append to an array, taking ownership of value (freed on error too). */
int mtv_json_push_take(struct mtv_json *arr, struct mtv_json *value);
int mtv_json_push_string(struct mtv_json *arr, const char *s);

#endif
