/*
 * naming: every name mtvtest gives to what it creates (reference spec
 * mtv-api-tests-warm-flow.md section 2, with its PORT NOTEs applied).
 *
 * Pure functions: no I/O except the random characters, which a caller can
 * pass in (struct mtv_name_spec.rand) to get deterministic results.
 *
 * Differences from the Python suite, on purpose:
 * - names longer than 63 characters are cut in the middle (the body), never
 *   at the head: the session id always stays, so `mtvtest clean --session`
 *   finds everything by name as well as by label;
 * - the warm Migration is named `<base>-<rand4>-warm` (not `-cold`);
 * - NAD names are unique per session and scenario and at most 15 chars;
 * - a non-default target_namespace_prefix is joined with a '-' (the
 *   reference produces an invalid `auto-ab12mtv-`).
 */
#ifndef MTV_NAMING_H
#define MTV_NAMING_H

#include <stdbool.h>
#include <stddef.h>

#include "mtv/util.h"

#define MTV_NAME_MAX 63      /* DNS-1123 label, Kubernetes object names */
#define MTV_NAD_NAME_MAX 15  /* Linux bridge name limit */
#define MTV_SESSION_ID_LEN 9 /* "auto-" + 4 */
#define MTV_SESSION_LABEL "mtvtest.io/session"

/*
 * Write a fresh session id "auto-" + 4 chars of [2-9a-z] into out
 * (size >= MTV_SESSION_ID_LEN + 1). Returns 0, MTV_EINVAL (small buffer)
 * or MTV_EIO (no randomness).
 */
int mtv_naming_session_id(char *out, size_t size, struct mtv_error *err);

/*
 * Whether s can be a session id: 1..32 chars of [a-z0-9-], starting and
 * ending with a letter or digit. What `clean --session ID` accepts.
 */
bool mtv_naming_session_valid(const char *s);

/*
 * DNS-1123 label sanitisation (section 2.2): '_' and '.' become '-',
 * lower-case, every run of characters outside [a-z0-9-] becomes one '-',
 * leading/trailing non-alphanumerics are stripped, the result is cut to
 * max (0: 63) and trailing '-' stripped again. *out must be NULL; caller
 * frees with free(). MTV_EINVAL when the result is empty.
 */
int mtv_naming_dns1123(char **out, const char *name, size_t max,
                       struct mtv_error *err);

/* Whether s is a valid DNS-1123 label of at most 63 characters. */
bool mtv_naming_is_dns1123(const char *s);

/*
 * A composed name: "<session>-<body>-<rand><tail>".
 * The body is sanitised (DNS-1123); when the whole is longer than max the
 * body is cut from its end (never the session, the random part or the
 * tail). An empty body gives "<session>-<rand><tail>".
 */
struct mtv_name_spec {
    const char *session; /* required, kept whole at the head */
    const char *body;    /* may be NULL/empty; trimmed when too long */
    const char *tail;    /* NULL or e.g. "-warm"; kept whole */
    const char *rand;    /* NULL: 4 fresh chars of [2-9a-z] */
    size_t max;          /* 0: MTV_NAME_MAX */
};

/*
 * Compose a name from spec. *out must be NULL; caller frees with free().
 * MTV_EINVAL when the session is invalid or the fixed parts alone exceed
 * max; MTV_EIO when no randomness is available.
 */
int mtv_naming_compose(char **out, const struct mtv_name_spec *spec,
                       struct mtv_error *err);

/*
 * The session's base resource name (section 1.3 step 3):
 * "<session>-source-<type>-<version, '.'->'-'>" plus "-xcopy" when the
 * provider has a copyoffload section. Sanitised, at most 63 chars, the
 * session kept. *out must be NULL; caller frees with free().
 */
int mtv_naming_base_resource(char **out, const char *session,
                             const char *provider_type,
                             const char *provider_version, bool copyoffload,
                             struct mtv_error *err);

/* The tail of an auto name. */
enum mtv_name_tail {
    MTV_NAME_PLAIN = 0, /* Secret, Provider, StorageMap, NetworkMap */
    MTV_NAME_WARM,      /* warm Plan and warm Migration (PORT NOTE) */
    MTV_NAME_COLD,      /* cold Plan and Migration */
};

/*
 * Auto name "<base>-<rand4>[-warm|-cold]" (section 2.3). base must start
 * with session (it is mtv_naming_base_resource's result); only the part
 * after the session is ever cut. *out must be NULL; caller frees.
 */
int mtv_naming_auto(char **out, const char *session, const char *base,
                    enum mtv_name_tail tail, struct mtv_error *err);

/*
 * VM-name suffix (section 2.2): "-<last two '-' tokens of storage_class>-
 * <target_ocp_version, '.'->'-'>-warm" ("-cold" when !warm), lower-case.
 * "ocs-storagecluster-ceph-rbd" + "4.20" -> "-ceph-rbd-4-20-warm";
 * an empty version gives "-ceph-rbd--warm" like the reference.
 * *out must be NULL; caller frees with free().
 */
int mtv_naming_vm_suffix(char **out, const char *storage_class,
                         const char *target_ocp_version, bool warm,
                         struct mtv_error *err);

/*
 * Clone name "<session>-<template><suffix>-<rand4>" sanitised to DNS-1123
 * (so the clone name is also the destination VM name), at most 63 chars,
 * the middle cut when too long. rand: NULL for fresh random characters.
 * *out must be NULL; caller frees with free().
 */
int mtv_naming_clone(char **out, const char *session, const char *template_name,
                     const char *suffix, const char *rand,
                     struct mtv_error *err);

/*
 * The session's target namespace (section 1.3 step 7, fixed): the session
 * id, plus "-<rest>" when target_namespace_prefix with every "auto"
 * removed leaves something ("auto" or "" -> "auto-ab12"; "mtv-auto" ->
 * "auto-ab12-mtv"). Sanitised, at most 63, session kept. Caller frees.
 */
int mtv_naming_target_namespace(char **out, const char *session,
                                const char *prefix, struct mtv_error *err);

/*
 * NetworkAttachmentDefinition name, unique per session and scenario, at
 * most 15 characters: "cb-<4 session chars>-<scenario index base36>-<i>"
 * e.g. "cb-ab12-0-1". The 4 session chars are the last 4 alphanumerics of
 * the session id. i is 1-based (the first network goes to the pod
 * network, section 1.6). out must hold MTV_NAD_NAME_MAX + 1 bytes.
 * MTV_EINVAL when it would not fit (scenario_index >= 1296 or i > 99).
 */
int mtv_naming_nad(char *out, size_t size, const char *session,
                   unsigned scenario_index, unsigned i, struct mtv_error *err);

#endif
