/*
 * ledger: the record of everything a run creates (CONTRACTS.md section 5),
 * and the teardown order computed from it (reference section 1.13 with the
 * PORT NOTE: continue past errors).
 *
 * The ledger is a JSON file rewritten atomically on every change: the new
 * content goes to "<path>.tmp", which is written, fsync'd, renamed over
 * <path>, and the directory is fsync'd. A crash at any moment leaves either
 * the old or the new complete file; a partial temp file never replaces the
 * good one. Call mtv_ledger_record() *before* creating an object: if the
 * process dies right after the POST, the object is already in the ledger.
 *
 * The ledger holds no secret: names, kinds, namespaces, URLs (userinfo
 * stripped), morefs and scenario names only; the serialised text is also
 * passed through mtv_redact() before it is written.
 *
 * Thread-safe: one mutex per ledger; parallel workers share one handle.
 */
#ifndef MTV_LEDGER_H
#define MTV_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtv/json.h"
#include "mtv/util.h"

#define MTV_LEDGER_FORMAT "mtvtest-ledger/1"
/* kind used for vSphere clones (apiVersion NULL, moref instead of ns). */
#define MTV_LEDGER_KIND_CLONE "vsphere.VirtualMachine"

struct mtv_ledger;

/* Session-wide facts written at the top of the file. */
struct mtv_ledger_info {
    const char *session_id;  /* required */
    const char *cluster_url; /* API server URL (may be NULL) */
    const char *vcenter_url; /* vSphere SDK URL (may be NULL) */
};

/*
 * Create a new ledger at path and write the header at once. An existing
 * file there is replaced only when it is a ledger whose every entry is
 * gone; a ledger that still lists objects (a crashed or --skip-teardown
 * run) or a file that is not a ledger is kept and MTV_ECONFIG is returned
 * ("... run 'mtvtest clean --ledger FILE' first"). *out must be NULL; free
 * with mtv_ledger_free(). MTV_EIO with the path and errno text on I/O
 * errors.
 */
int mtv_ledger_create(struct mtv_ledger **out, const char *path,
                      const struct mtv_ledger_info *info,
                      struct mtv_error *err);

/*
 * Load an existing ledger (for `mtvtest clean --ledger`); later marks are
 * written back to the same path. MTV_ENOTFOUND when the file is missing,
 * MTV_EPROTO when it is not a ledger (with the JSON path). A stale
 * "<path>.tmp" from a crash is ignored.
 */
int mtv_ledger_load(struct mtv_ledger **out, const char *path,
                    struct mtv_error *err);

/* Free the handle (the file stays). NULL allowed. */
void mtv_ledger_free(struct mtv_ledger *l);

/* Borrowed header fields (valid until mtv_ledger_free). */
const char *mtv_ledger_session(const struct mtv_ledger *l);
const char *mtv_ledger_cluster_url(const struct mtv_ledger *l);
const char *mtv_ledger_vcenter_url(const struct mtv_ledger *l);
const char *mtv_ledger_path(const struct mtv_ledger *l);

/* One object to record. Strings are copied. */
struct mtv_ledger_obj {
    const char *kind;        /* "Plan", "Namespace", MTV_LEDGER_KIND_CLONE */
    const char *api_version; /* "forklift.konveyor.io/v1beta1"; NULL clone */
    const char *ns;          /* NULL for cluster-scoped kinds and clones */
    const char *name;        /* required */
    const char *moref;       /* clones: "vm-123" when known, else NULL */
    const char *scenario;    /* NULL for session-wide objects */
    /*
     * For objects mtvtest modified rather than created (the
     * ForkliftController): the merge patch that restores them. Teardown
     * then applies it instead of deleting. NULL for created objects.
     */
    const struct mtv_json *restore;
};

enum mtv_ledger_state {
    MTV_LEDGER_RECORDED = 0, /* written before the create/patch */
    MTV_LEDGER_CREATED,      /* the create/patch succeeded */
    MTV_LEDGER_GONE,         /* deleted (or restored) by teardown */
};

/*
 * Append obj and flush it to disk (atomic rewrite + fsync) before
 * returning. seq_out (may be NULL) gets the entry's sequence number
 * (1, 2, ...) for later marks. On error the in-memory ledger is unchanged
 * and the file on disk is the previous good one.
 */
int mtv_ledger_record(struct mtv_ledger *l, const struct mtv_ledger_obj *obj,
                      size_t *seq_out, struct mtv_error *err);

/* Mark entry seq created / gone, and flush. MTV_ENOTFOUND: no such seq. */
int mtv_ledger_mark(struct mtv_ledger *l, size_t seq,
                    enum mtv_ledger_state state, struct mtv_error *err);

/* Set a clone's moref once known, and flush. */
int mtv_ledger_set_moref(struct mtv_ledger *l, size_t seq, const char *moref,
                         struct mtv_error *err);

/* A read-only view of one entry; strings borrowed from the ledger. */
struct mtv_ledger_entry {
    size_t seq;
    const char *kind;
    const char *api_version;
    const char *ns;
    const char *name;
    const char *moref;
    const char *scenario;
    const struct mtv_json *restore;
    enum mtv_ledger_state state;
};

/*
 * Entry i (0 <= i < mtv_ledger_count), in recording order. Borrowed: valid
 * until the next mtv_ledger_set_moref on it or mtv_ledger_free. MTV_EINVAL
 * when i is out of range.
 */
int mtv_ledger_get_entry(const struct mtv_ledger *l, size_t i,
                         struct mtv_ledger_entry *out);

/* Number of entries, and how many are not GONE. */
size_t mtv_ledger_count(const struct mtv_ledger *l);
size_t mtv_ledger_count_live(const struct mtv_ledger *l);

/* ------------------------------------------------------------- teardown */

enum mtv_td_verb {
    MTV_TD_RESTORE = 0,   /* merge-patch `patch` onto the object */
    MTV_TD_CANCEL,        /* Migration: if Running, patch spec.cancel, wait */
    MTV_TD_ARCHIVE,       /* Plan: patch spec.archived=true, wait Archived */
    MTV_TD_DELETE,        /* DELETE, wait until 404 */
    MTV_TD_SWEEP,         /* list (ns, label/name filter), delete each, wait */
    MTV_TD_DESTROY_CLONE, /* vSphere: power off, Destroy_Task */
};

enum mtv_td_result {
    MTV_TD_PENDING = 0, /* not run yet */
    MTV_TD_DONE,        /* done (deleted, restored, canceled, ...) */
    MTV_TD_ABSENT,      /* nothing to do: already gone / not running */
    MTV_TD_FAILED,      /* error or timeout: a leftover */
    MTV_TD_SKIPPED,     /* --skip-teardown or interrupted */
};

/* Where a kind lives in the API (static strings). */
struct mtv_td_resource {
    const char *group;    /* "" for the core group */
    const char *version;  /* "v1", "v1beta1" */
    const char *resource; /* plural: "plans" */
    bool namespaced;
};

/*
 * One teardown action. The executor (in the flow) performs it, fills the
 * result slot, and on DONE/ABSENT calls mtv_ledger_mark(seq, GONE) when
 * seq != 0.
 */
struct mtv_td_action {
    enum mtv_td_verb verb;
    char *kind;                 /* "Plan", MTV_LEDGER_KIND_CLONE, ... */
    char *api_version;          /* NULL for clones */
    struct mtv_td_resource res; /* zeroed for clones and unknown kinds */
    char *ns;                   /* NULL: cluster-scoped / cluster-wide sweep */
    char *name;                 /* object, clone name; NULL for sweeps */
    char *moref;                /* clones, when known */
    char *scenario;             /* NULL for session-wide objects */
    /* SWEEP: filters (either or both): */
    char *name_contains;  /* names containing this (session id) */
    char *label_selector; /* "mtvtest.io/session=<id>" */
    /* RESTORE: the merge patch to apply; NULL otherwise. Owned. */
    struct mtv_json *patch;
    size_t seq; /* ledger entry to mark GONE; 0 for sweeps */
    /* result slot, filled by the executor */
    enum mtv_td_result result;
    char message[256];
    double duration_s;
};

struct mtv_td_plan {
    struct mtv_td_action *actions;
    size_t len;
};

#define MTV_TD_PLAN_INIT                                                       \
    {                                                                          \
        NULL, 0                                                                \
    }

/*
 * The ordered teardown of every entry not yet GONE (section 1.13, G10):
 *   1. RESTORE modified objects (the ForkliftController interval);
 *   2. CANCEL Migrations; 3. ARCHIVE Plans;
 *   4. DELETE Migrations, Plans, Providers, Hosts, Secrets, NADs,
 *      StorageMaps, NetworkMaps, VirtualMachines, Pods, then any other
 *      recorded kind (newest first within a kind);
 *   5. SWEEP each recorded Namespace: VirtualMachines (all), then Pods,
 *      DataVolumes, PVCs whose names contain the session id; then
 *      PersistentVolumes cluster-wide whose claim contains it;
 *   6. DELETE Namespaces; 7. DESTROY_CLONE vSphere clones.
 * Every action is independent: the executor continues past failures.
 * out must be empty (MTV_TD_PLAN_INIT); dispose with mtv_td_plan_dispose.
 */
int mtv_ledger_teardown_plan(struct mtv_td_plan *out,
                             const struct mtv_ledger *l, struct mtv_error *err);

/*
 * The ledger-less teardown of `clean --session ID`: for each kind of step
 * 4 and Namespaces, a SWEEP by label mtvtest.io/session=<id> in every
 * namespace (ns NULL: the executor lists across namespaces), preceded by
 * a cancel/archive sweep of Migrations/Plans, then the name sweeps of
 * step 5 across namespaces, then a DESTROY_CLONE sweep (name NULL,
 * name_contains = "<id>-") for vSphere VMs whose name starts with the id.
 */
int mtv_ledger_session_plan(struct mtv_td_plan *out, const char *session,
                            struct mtv_error *err);

void mtv_td_plan_dispose(struct mtv_td_plan *p);

/*
 * API location of a kind (from kube's kind table, strings static).
 * MTV_ENOTFOUND for unknown kinds and vSphere clones.
 */
int mtv_td_resource_of(struct mtv_td_resource *out, const char *kind);

/* "restore", "cancel", "archive", "delete", "sweep", "destroy-clone". */
const char *mtv_td_verb_name(enum mtv_td_verb v);
/* "pending", "done", "absent", "failed", "skipped". */
const char *mtv_td_result_name(enum mtv_td_result r);

/*
 * Append one line per FAILED or PENDING action ("<verb> <kind>
 * <ns>/<name>: <message>", joined by "; ") and return how many there were:
 * the leftovers that make the run exit 1.
 */
int mtv_td_plan_leftovers(const struct mtv_td_plan *p, struct mtv_buf *out);

#endif
