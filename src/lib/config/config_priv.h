/* config: private tree of YAML nodes with locations, merge, overrides. */
#ifndef MTV_CONFIG_PRIV_H
#define MTV_CONFIG_PRIV_H

#include "mtv/config.h"

enum cnode_kind {
    CN_SCALAR = 0,
    CN_SEQ,
    CN_MAP,
};

/* Where a node came from. file is borrowed from the loader's sources. */
struct cloc {
    const char *file;
    int line; /* 1-based; 0: no position (an override) */
    int col;
};

struct cnode {
    enum cnode_kind kind;
    struct cloc loc;
    char *text;  /* scalar value */
    bool plain;  /* unquoted scalar (null/bool forms apply) */
    size_t n;    /* seq items / map pairs */
    size_t cap;
    struct cnode **items; /* values */
    char **keys;          /* map keys (NULL for seq) */
    struct cloc *key_locs;
};

/* Limits against alias bombs and deep nesting. */
#define CNODE_MAX_DEPTH 64
#define CNODE_MAX_NODES 200000

/* "FILE:LINE:COL" (or "FILE" when line is 0) into out. Returns out. */
const char *cloc_format(const struct cloc *l, char *out, size_t size);

struct cnode *cnode_new(enum cnode_kind kind, const struct cloc *loc);
void cnode_free(struct cnode *n);
/* Map: value for key (borrowed) or NULL. */
struct cnode *cnode_map_get(const struct cnode *map, const char *key,
                            size_t *index_out);
/* Append a pair / item, taking the value. Returns 0 or MTV_ENOMEM. */
int cnode_map_put_take(struct cnode *map, const char *key,
                       const struct cloc *kloc, struct cnode *value);
int cnode_seq_push_take(struct cnode *seq, struct cnode *value);
/* True for a plain null scalar: "", "~", "null", "Null", "NULL". */
bool cnode_is_null(const struct cnode *n);

/*
 * Parse YAML text into a tree. `file` is borrowed and must outlive the
 * tree. An empty document gives an empty map; the root may be any kind. Errors go to diag with the
 * file position; returns 0 or MTV_ECONFIG / MTV_ENOMEM.
 */
int cyaml_parse(struct cnode **out, const char *file, const char *text,
                size_t len, struct mtv_diag *diag);

/* Merge src into dst (maps merge, everything else replaces). Takes src. */
void cnode_merge_take(struct cnode *dst, struct cnode *src);

/*
 * Apply one "key=value" (or "key:value" when tc) override to root. `origin`
 * (borrowed, outlives the tree) names it in messages. Errors to diag.
 */
int cset_apply(struct cnode *root, const char *spec, bool tc,
               const char *origin, struct mtv_diag *diag);

/* Decode the merged tree into a config. Errors to diag. */
int cdecode_config(struct mtv_config *c, const struct cnode *root,
                   struct mtv_diag *diag);

/* Convert a subtree to JSON (YAML core schema for plain scalars). */
struct mtv_json *cnode_to_json(const struct cnode *n);

/* Scalar parsers shared by decode and overrides. */
bool cparse_bool(const struct cnode *n, bool *out);

void mtv_config__scenario_dispose(struct mtv_scenario *s);

#endif
