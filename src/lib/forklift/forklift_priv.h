/* forklift: helpers shared by the forklift module's files. */
#ifndef MTV_FORKLIFT_PRIV_H
#define MTV_FORKLIFT_PRIV_H

#include "mtv/forklift.h"

/*
 * Set obj[key] = value where key is a literal member name (dots and
 * brackets escaped for the json path syntax). Takes value (freed on error).
 */
int fl_put(struct mtv_json *obj, const char *key, struct mtv_json *value);

/* obj[key] = string copy. */
int fl_put_str(struct mtv_json *obj, const char *key, const char *s);

/*
 * A new {apiVersion, kind, metadata: {name, namespace, labels:
 * {mtvtest.io/session}}}. Validates meta. *out must be NULL.
 */
int fl_new_object(struct mtv_json **out, const char *api_version,
                  const char *kind, const struct mtv_fl_meta *meta,
                  struct mtv_error *err);

/* {name, namespace} ObjectReference object (namespace omitted if NULL). */
struct mtv_json *fl_ref(const struct mtv_fl_ref *ref);

/* {source: ref, destination: ref}. */
struct mtv_json *fl_providers(const struct mtv_fl_providers *p);

/* A merge patch {metadata: {name}}. */
int fl_new_patch(struct mtv_json **out, const char *name,
                 struct mtv_error *err);

/* Set err to "out of memory" in domain forklift and return MTV_ENOMEM. */
int fl_nomem(struct mtv_error *err);

/* Run state from a conditions array (a VM's `conditions`). */
enum mtv_fl_run_state fl_run_state_conds(const struct mtv_json *conds);

#endif
