/* flow: the precopy-interval lease on the ForkliftController (precopy.h). */
#include "precopy.h"

#include "flow_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANN_HOLDERS "metadata.annotations.mtvtest\\.io/precopy-holders"
#define ANN_ORIGINAL "metadata.annotations.mtvtest\\.io/precopy-original"
#define SPEC_INTERVAL "spec.controller_precopy_interval"
/* PUT attempts before giving up on 409 Conflicts. */
#define LEASE_ATTEMPTS 20

const char *flow_precopy_outcome_name(enum flow_precopy_outcome o)
{
    static const char *const names[] = {"taken", "joined",   "busy",
                                        "kept",  "restored", "no-lease"};

    return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

/* ------------------------------------------------------------ pure part */

/* Whether a holder entry is well-formed and not expired at now. */
static bool holder_live(const struct mtv_json *h, int64_t now_ms,
                        int64_t *expires_ms)
{
    const char *s = mtv_json_string_or(h, "session", NULL);
    const char *exp = mtv_json_string_or(h, "expires", NULL);
    const struct mtv_json *m = mtv_json_get(h, "minutes");
    int64_t t = 0;

    if (s == NULL || s[0] == '\0' || exp == NULL ||
        mtv_json_type(m) != MTV_JSON_NUMBER ||
        mtv_time_parse_rfc3339(exp, &t) != 0) {
        return false;
    }
    if (expires_ms != NULL) {
        *expires_ms = t;
    }
    return t > now_ms;
}

/*
 * The live holders of fc other than `session` (a new array; unparsable
 * annotation or entries count as expired). *had_holders: the annotation
 * is present at all.
 */
static struct mtv_json *live_holders(const struct mtv_json *fc,
                                     const char *session, int64_t now_ms,
                                     bool *had_holders)
{
    const char *text = mtv_json_string_or(fc, ANN_HOLDERS, NULL);
    struct mtv_json *parsed = NULL, *out = mtv_json_new_array();

    *had_holders = text != NULL;
    if (out == NULL || text == NULL ||
        mtv_json_parse(&parsed, text, strlen(text), NULL, NULL) != 0) {
        return out;
    }
    for (const struct mtv_json *h = mtv_json_first(parsed); h != NULL;
         h = mtv_json_next(h)) {
        if (holder_live(h, now_ms, NULL) &&
            strcmp(mtv_json_string_or(h, "session", ""), session) != 0) {
            mtv_json_push_take(out, mtv_json_dup(h));
        }
    }
    mtv_json_free(parsed);
    return out;
}

static void describe_holders(const struct mtv_json *holders,
                             struct mtv_buf *why)
{
    for (const struct mtv_json *h = mtv_json_first(holders);
         why != NULL && h != NULL; h = mtv_json_next(h)) {
        mtv_buf_printf(why, "%ssession %s (%lld minute(s), until %s)",
                       h == mtv_json_first(holders) ? "" : ", ",
                       mtv_json_string_or(h, "session", "?"),
                       mtv_json_int_or(h, "minutes", 0),
                       mtv_json_string_or(h, "expires", "?"));
    }
}

static int set_holders(struct mtv_json *fc, const struct mtv_json *holders,
                       struct mtv_error *err)
{
    char *text = mtv_json_print(holders, false);
    int rc =
        text != NULL ? mtv_json_set_string(fc, ANN_HOLDERS, text) : MTV_ENOMEM;

    free(text);
    return rc != 0 ? mtv_error_set(err, rc, "flow",
                                   "cannot set the precopy holders annotation")
                   : 0;
}

static int set_interval(struct mtv_json *fc, long minutes)
{
    const struct mtv_json *cur = mtv_json_get(fc, SPEC_INTERVAL);

    if (mtv_json_type(cur) == MTV_JSON_NUMBER &&
        mtv_json_number_value(cur) == (double)minutes) {
        return 0;
    }
    return mtv_json_set_number(fc, SPEC_INTERVAL, (double)minutes);
}

int flow_precopy_acquire(struct mtv_json *fc, const struct flow_precopy_req *r,
                         enum flow_precopy_outcome *out, struct mtv_buf *why,
                         int64_t *next_expiry_ms, struct mtv_error *err)
{
    struct mtv_json *holders = NULL, *me = NULL;
    char exp[40];
    bool had = false;
    int rc = 0;

    if (fc == NULL || r == NULL || r->session == NULL || r->minutes < 1 ||
        out == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "flow",
                             "precopy lease: bad arguments");
    }
    holders = live_holders(fc, r->session, r->now_ms, &had);
    if (holders == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "flow", "out of memory");
    }
    *out =
        mtv_json_size(holders) == 0 ? FLOW_PRECOPY_TAKEN : FLOW_PRECOPY_JOINED;
    for (const struct mtv_json *h = mtv_json_first(holders); h != NULL;
         h = mtv_json_next(h)) {
        int64_t t = 0;
        holder_live(h, r->now_ms, &t);
        if (next_expiry_ms != NULL &&
            (h == mtv_json_first(holders) || t < *next_expiry_ms)) {
            *next_expiry_ms = t;
        }
        if (mtv_json_int_or(h, "minutes", 0) != r->minutes) {
            *out = FLOW_PRECOPY_BUSY;
        }
    }
    if (*out == FLOW_PRECOPY_BUSY) {
        describe_holders(holders, why);
        mtv_json_free(holders);
        return 0;
    }
    /* The first holder saves the original, unless a crashed (expired)
     * holder left it: then the spec holds that holder's value. */
    if (*out == FLOW_PRECOPY_TAKEN && mtv_json_get(fc, ANN_ORIGINAL) == NULL) {
        struct mtv_json *saved = NULL;
        char *text = NULL;
        rc = mtv_forklift_precopy_save(&saved, fc, err);
        text = rc == 0 ? mtv_json_print(saved, false) : NULL;
        if (rc == 0) {
            rc = text != NULL ? mtv_json_set_string(fc, ANN_ORIGINAL, text)
                              : MTV_ENOMEM;
        }
        free(text);
        mtv_json_free(saved);
    }
    me = mtv_json_new_object();
    rc = rc ? rc : (me != NULL ? 0 : MTV_ENOMEM);
    rc = rc ? rc : mtv_json_set_string(me, "session", r->session);
    rc = rc ? rc : mtv_json_set_number(me, "minutes", (double)r->minutes);
    rc = rc ? rc
            : mtv_json_set_string(
                  me, "expires",
                  mtv_time_rfc3339(r->expires_ms, exp, sizeof(exp)));
    if (rc == 0) {
        rc = mtv_json_push_take(holders, me);
        me = NULL;
    }
    mtv_json_free(me);
    rc = rc ? rc : set_interval(fc, r->minutes);
    if (rc != 0 && err != NULL && err->code == 0) {
        mtv_error_set(err, rc, "flow",
                      "precopy lease: cannot edit the "
                      "ForkliftController");
    }
    rc = rc ? rc : set_holders(fc, holders, err);
    mtv_json_free(holders);
    return rc;
}

int flow_precopy_release(struct mtv_json *fc, const char *session,
                         int64_t now_ms, enum flow_precopy_outcome *out,
                         struct mtv_buf *kept_by, struct mtv_error *err)
{
    const char *orig_text = NULL;
    struct mtv_json *holders = NULL, *orig = NULL;
    bool had = false;
    int rc = 0;

    if (fc == NULL || session == NULL || out == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "flow",
                             "precopy lease: bad arguments");
    }
    holders = live_holders(fc, session, now_ms, &had);
    if (holders == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "flow", "out of memory");
    }
    orig_text = mtv_json_string_or(fc, ANN_ORIGINAL, NULL);
    if (!had && orig_text == NULL) {
        *out = FLOW_PRECOPY_NOLEASE;
        mtv_json_free(holders);
        return 0;
    }
    if (mtv_json_size(holders) > 0) {
        *out = FLOW_PRECOPY_KEPT;
        describe_holders(holders, kept_by);
        rc = set_holders(fc, holders, err);
        mtv_json_free(holders);
        return rc;
    }
    mtv_json_free(holders);
    *out = FLOW_PRECOPY_RESTORED;
    if (orig_text != NULL) {
        /* An unparsable original counts as unset: the operator default. */
        if (mtv_json_parse(&orig, orig_text, strlen(orig_text), NULL, NULL) !=
                0 ||
            mtv_json_type(orig) == MTV_JSON_NULL) {
            mtv_json_remove(fc, SPEC_INTERVAL);
        } else {
            rc = mtv_json_set_copy(fc, SPEC_INTERVAL, orig);
        }
        mtv_json_free(orig);
    }
    mtv_json_remove(fc, ANN_HOLDERS);
    mtv_json_remove(fc, ANN_ORIGINAL);
    return rc != 0 ? mtv_error_set(err, rc, "flow",
                                   "precopy lease: cannot edit the "
                                   "ForkliftController")
                   : 0;
}

bool flow_precopy_is_lease_restore(const struct mtv_json *patch)
{
    return mtv_json_get(patch, ANN_HOLDERS) != NULL;
}

int flow_precopy_build_restore(struct mtv_json **out, const char *name,
                               const struct mtv_json *previous,
                               struct mtv_error *err)
{
    int rc = mtv_forklift_build_precopy_restore(out, name, previous, err);

    rc = rc ? rc : mtv_json_set_null(*out, ANN_HOLDERS);
    rc = rc ? rc : mtv_json_set_null(*out, ANN_ORIGINAL);
    if (rc != 0 && err != NULL && err->code == 0) {
        mtv_error_set(err, rc, "flow", "out of memory");
    }
    return rc;
}

/* --------------------------------------------------------- cluster side */

static int fc_ref(struct mtv_kube_ref *ref, const char *ns, const char *name,
                  struct mtv_error *err)
{
    return flow_ref(ref, "ForkliftController", ns, name, err);
}

static bool is_conflict(int rc, const struct mtv_error *err)
{
    return rc != 0 && err != NULL && err->http_status == 409;
}

int flow_precopy_controller_name(char **out, struct mtv_kube_client *kube,
                                 const char *ns, struct mtv_error *err)
{
    struct mtv_kube_list_options lo = {NULL, NULL, 0};
    struct mtv_json *list = NULL;
    struct mtv_kube_ref ref;
    const char *name = NULL;
    int rc = fc_ref(&ref, ns, NULL, err);

    rc = rc ? rc : mtv_kube_list(&list, kube, &ref, &lo, err);
    name = mtv_json_string_or(mtv_json_at(mtv_json_get(list, "items"), 0),
                              "metadata.name", NULL);
    if (rc == 0 && name == NULL) {
        rc = mtv_error_set(err, MTV_ENOTFOUND, "flow",
                           "no ForkliftController in namespace '%s'", ns);
    }
    if (rc == 0) {
        *out = mtv_strdup(name);
    }
    mtv_json_free(list);
    return rc;
}

int flow_precopy_leave(struct mtv_kube_client *kube, const char *ns,
                       const char *name, const char *session,
                       enum flow_precopy_outcome *out, struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    struct mtv_buf kept = MTV_BUF_INIT;
    int rc = fc_ref(&ref, ns, name, err);

    *out = FLOW_PRECOPY_NOLEASE;
    for (int i = 0; rc == 0 && i < LEASE_ATTEMPTS; i++) {
        struct mtv_json *fc = NULL, *before = NULL;
        mtv_buf_dispose(&kept);
        rc = mtv_kube_get(&fc, kube, &ref, err);
        if (rc == MTV_ENOTFOUND) {
            mtv_error_clear(err);
            return 0;
        }
        before = rc == 0 ? mtv_json_dup(fc) : NULL;
        rc = rc ? rc
                : flow_precopy_release(fc, session, mtv_wall_ms(), out, &kept,
                                       err);
        if (rc == 0 && !mtv_json_equal(before, fc)) {
            rc = mtv_kube_replace(NULL, kube, &ref, fc, err);
        }
        mtv_json_free(before);
        mtv_json_free(fc);
        if (is_conflict(rc, err) && i + 1 < LEASE_ATTEMPTS) {
            mtv_error_clear(err);
            rc = 0;
            continue;
        }
        break;
    }
    if (rc == 0 && *out == FLOW_PRECOPY_KEPT) {
        mtv_log(MTV_LOG_NOTE, "flow",
                "precopy interval: session %s left the lease; kept for %s",
                session, kept.data ? kept.data : "");
    } else if (rc == 0 && *out == FLOW_PRECOPY_RESTORED) {
        mtv_log(MTV_LOG_INFO, "flow",
                "precopy interval: session %s was the last holder; original "
                "value restored",
                session);
    }
    mtv_buf_dispose(&kept);
    return rc;
}

/* Whether the controller changed since resourceVersion `payload`. */
static int fc_changed(const struct mtv_json *obj, void *payload)
{
    const char *rv = payload;

    return obj == NULL ||
           strcmp(mtv_json_string_or(obj, "metadata.resourceVersion", ""),
                  rv) != 0;
}

/* The lease entry's lifetime: every selected scenario's longest wait,
 * plus an hour. */
static int64_t lease_expiry(const struct flow_session *fs)
{
    const struct mtv_config *c = fs->cfg;
    size_t n = 0;
    int64_t per;

    for (size_t i = 0; fs->ctx->selection && i < fs->ctx->selection->n; i++) {
        n += fs->ctx->selection->items[i].skipped ? 0 : 1;
    }
    per = (int64_t)c->plan_wait_timeout + c->plan_ready_timeout +
          c->provider_ready_timeout + (int64_t)(c->mins_before_cutover * 60) +
          600;
    return mtv_wall_ms() + ((int64_t)(n ? n : 1) * per + 3600) * 1000;
}

/* Record the ledger entry (once, before the first PUT). */
static int record_once(struct flow_session *fs, const struct mtv_json *fc,
                       size_t *seq, struct mtv_error *err)
{
    struct mtv_json *saved = NULL, *restore = NULL;
    struct mtv_ledger_obj lo;
    int rc;

    if (*seq != 0) {
        return 0;
    }
    rc = mtv_forklift_precopy_save(&saved, fc, err);
    rc =
        rc ? rc : flow_precopy_build_restore(&restore, fs->fc_name, saved, err);
    if (rc == 0) {
        memset(&lo, 0, sizeof(lo));
        lo.kind = "ForkliftController";
        lo.api_version = MTV_FL_API_VERSION;
        lo.ns = fs->cfg->mtv_namespace;
        lo.name = fs->fc_name;
        lo.restore = restore;
        rc = mtv_ledger_record(fs->ledger, &lo, seq, err);
    }
    mtv_json_free(saved);
    mtv_json_free(restore);
    return rc;
}

int flow_precopy_enter(struct flow_session *fs, struct mtv_error *err)
{
    const char *ns = fs->cfg->mtv_namespace;
    struct flow_precopy_req req = {fs->sid, fs->cfg->snapshots_interval, 0, 0};
    struct mtv_deadline dl = flow_seconds(fs->cfg->provider_ready_timeout);
    struct mtv_buf why = MTV_BUF_INIT;
    struct mtv_kube_ref ref;
    enum flow_precopy_outcome out = FLOW_PRECOPY_BUSY;
    bool told = false;
    size_t seq = 0;
    int conflicts = 0;
    int rc = fc_ref(&ref, ns, fs->fc_name, err);

    while (rc == 0) {
        struct mtv_json *fc = NULL, *before = NULL;
        int64_t next = 0;
        char rv[64];
        mtv_buf_dispose(&why);
        rc = mtv_kube_get(&fc, fs->conn.kube, &ref, err);
        req.now_ms = mtv_wall_ms();
        req.expires_ms = lease_expiry(fs);
        before = rc == 0 ? mtv_json_dup(fc) : NULL;
        rc = rc ? rc : flow_precopy_acquire(fc, &req, &out, &why, &next, err);
        mtv_strlcpy(rv,
                    mtv_json_string_or(before, "metadata.resourceVersion", ""),
                    sizeof(rv));
        if (rc == 0 && out != FLOW_PRECOPY_BUSY) {
            rc = record_once(fs, before, &seq, err);
            rc = rc ? rc : mtv_kube_replace(NULL, fs->conn.kube, &ref, fc, err);
            mtv_json_free(before);
            mtv_json_free(fc);
            if (is_conflict(rc, err) && ++conflicts < LEASE_ATTEMPTS) {
                mtv_error_clear(err);
                rc = 0;
                continue;
            }
            break;
        }
        mtv_json_free(before);
        mtv_json_free(fc);
        if (rc != 0) {
            break;
        }
        /* BUSY: wait for a change or the earliest expiry, up to the
         * deadline (provider_ready_timeout). */
        {
            int64_t left_ms = mtv_deadline_remaining_ms(&dl);
            int64_t to_exp = next - mtv_wall_ms() + 1000;
            long secs;
            if (left_ms <= 0) {
                rc = mtv_error_set(
                    err, MTV_EREMOTE, "flow",
                    "the ForkliftController '%s/%s' precopy interval is held "
                    "with another interval by %s; this run needs %ld "
                    "minute(s) and waited %lds (provider_ready_timeout). A "
                    "holder whose run is gone is freed by 'mtvtest clean "
                    "--session <its session id>'",
                    ns, fs->fc_name, why.data ? why.data : "?", req.minutes,
                    fs->cfg->provider_ready_timeout);
                break;
            }
            if (!told) {
                flow_progress(fs,
                              "precopy interval: waiting up to %lds for %s "
                              "(this run needs %ld minute(s))",
                              fs->cfg->provider_ready_timeout,
                              why.data ? why.data : "?", req.minutes);
                told = true;
            }
            if (to_exp < left_ms) {
                left_ms = to_exp < 1000 ? 1000 : to_exp;
            }
            secs = (long)((left_ms + 999) / 1000);
            rc = flow_wait(NULL, fs->conn.kube, "ForkliftController", ns,
                           fs->fc_name, fc_changed, rv, secs,
                           "change its precopy lease", err);
            if (rc == MTV_ETIMEOUT) {
                mtv_error_clear(err);
                rc = 0;
            }
        }
    }
    if (rc == 0) {
        rc = mtv_ledger_mark(fs->ledger, seq, MTV_LEDGER_CREATED, err);
        flow_progress(fs, "precopy interval: lease %s (%ld minute(s))",
                      flow_precopy_outcome_name(out), req.minutes);
    }
    mtv_buf_dispose(&why);
    return rc;
}
