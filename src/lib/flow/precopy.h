/*
 * flow: the precopy-interval lease on the ForkliftController (docs/run.md
 * "Precopy interval").
 *
 * The ForkliftController's spec.controller_precopy_interval is cluster-wide,
 * so overlapping runs share it through two annotations on the object:
 *   mtvtest.io/precopy-holders   JSON list of {session, minutes, expires}
 *   mtvtest.io/precopy-original  JSON value before the first holder
 *                                (a number, a string as read, or null)
 * Every change is a GET, an edit by the pure functions below, and a PUT
 * carrying metadata.resourceVersion (409 Conflict: start over).
 *
 * Acquire: expired holders are pruned; with no live holder the run takes
 * the lease (saves the original unless a crashed holder left it, sets the
 * interval); with live holders of the same interval it joins; with live
 * holders of another interval nothing is changed (BUSY) and the caller
 * waits or fails. Release: the session and expired holders are removed;
 * the last one out restores the original and removes both annotations.
 */
#ifndef MTV_FLOW_PRECOPY_H
#define MTV_FLOW_PRECOPY_H

#include <stdbool.h>
#include <stdint.h>

#include "mtv/json.h"
#include "mtv/util.h"

#define FLOW_PRECOPY_HOLDERS "mtvtest.io/precopy-holders"
#define FLOW_PRECOPY_ORIGINAL "mtvtest.io/precopy-original"

enum flow_precopy_outcome {
    FLOW_PRECOPY_TAKEN = 0, /* first live holder: original saved, set */
    FLOW_PRECOPY_JOINED,    /* live holders with the same interval */
    FLOW_PRECOPY_BUSY,      /* live holders with another one: unchanged */
    FLOW_PRECOPY_KEPT,      /* left; other live holders keep the interval */
    FLOW_PRECOPY_RESTORED,  /* last holder left: original put back */
    FLOW_PRECOPY_NOLEASE,   /* release: no lease on the object at all */
};

/* "taken", "joined", "busy", "kept", "restored", "no-lease". */
const char *flow_precopy_outcome_name(enum flow_precopy_outcome o);

struct flow_precopy_req {
    const char *session; /* required */
    long minutes;        /* >= 1 */
    int64_t now_ms;      /* wall clock */
    int64_t expires_ms;  /* wall clock: the entry's expiry */
};

/*
 * Acquire the lease on fc (a ForkliftController object the caller owns,
 * edited in place unless BUSY). On BUSY, `why` (may be NULL) gets the live
 * holders ("session auto-x (2 minute(s), until T)", joined by ", ") and
 * *next_expiry_ms (may be NULL) the earliest live expiry. MTV_EINVAL for
 * bad arguments; invalid holder entries count as expired.
 */
int flow_precopy_acquire(struct mtv_json *fc, const struct flow_precopy_req *r,
                         enum flow_precopy_outcome *out, struct mtv_buf *why,
                         int64_t *next_expiry_ms, struct mtv_error *err);

/*
 * Leave the lease held by `session` on fc (edited in place): KEPT (other
 * live holders remain; the holders list is rewritten without the session
 * and expired entries), RESTORED (no live holder left: the original value
 * is put back — null removes the field — and both annotations removed),
 * NOLEASE (neither annotation present: nothing changed). `kept_by` (may be
 * NULL) gets the remaining holders on KEPT.
 */
int flow_precopy_release(struct mtv_json *fc, const char *session,
                         int64_t now_ms, enum flow_precopy_outcome *out,
                         struct mtv_buf *kept_by, struct mtv_error *err);

/*
 * Whether a ledger restore patch is a lease restore (it names the lease
 * annotations), as opposed to a plain merge patch of an older ledger.
 */
bool flow_precopy_is_lease_restore(const struct mtv_json *patch);

/*
 * The ledger's restore patch for the controller `name`: what the last
 * holder's leave amounts to (annotations null, the interval `previous`).
 * Teardown does not apply it blindly: it leaves the lease.
 */
int flow_precopy_build_restore(struct mtv_json **out, const char *name,
                               const struct mtv_json *previous,
                               struct mtv_error *err);

/* ---- cluster side (precopy.c), for session.c, teardown.c and clean.c */

struct mtv_kube_client;

/*
 * Leave `session`'s lease on ns/name: GET, release, PUT with
 * resourceVersion, retried on 409. *out gets the outcome (NOLEASE also
 * when the object is gone: MTV_ENOTFOUND is not an error here).
 */
int flow_precopy_leave(struct mtv_kube_client *kube, const char *ns,
                       const char *name, const char *session,
                       enum flow_precopy_outcome *out, struct mtv_error *err);

struct flow_session;

/*
 * Session set-up: acquire the lease for fs->sid and snapshots_interval
 * on fs->fc_name (recording the ledger entry before the first PUT). While
 * another interval is held, waits (watching the controller, and until the
 * earliest holder expiry) up to provider_ready_timeout, then fails with
 * MTV_EREMOTE naming the holders.
 */
int flow_precopy_enter(struct flow_session *fs, struct mtv_error *err);

/* The name of the (first) ForkliftController in ns; caller frees. */
int flow_precopy_controller_name(char **out, struct mtv_kube_client *kube,
                                 const char *ns, struct mtv_error *err);

#endif
