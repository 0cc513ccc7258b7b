/* flow: creating, reading and waiting on cluster objects. */
#include "flow_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int flow_ref(struct mtv_kube_ref *out, const char *kind, const char *ns,
             const char *name, struct mtv_error *err)
{
    return mtv_kube_ref_for_kind(out, kind, ns, name, err);
}

static int record(struct flow_session *fs, const char *scenario,
                  const char *kind, const struct mtv_json *obj, size_t *seq,
                  struct mtv_error *err)
{
    struct mtv_ledger_obj lo;

    memset(&lo, 0, sizeof(lo));
    lo.kind = kind;
    lo.api_version = mtv_json_string_or(obj, "apiVersion", NULL);
    lo.ns = mtv_json_string_or(obj, "metadata.namespace", NULL);
    lo.name = mtv_json_string_or(obj, "metadata.name", NULL);
    lo.scenario = scenario;
    if (lo.name == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "flow",
                             "%s without metadata.name", kind);
    }
    return mtv_ledger_record(fs->ledger, &lo, seq, err);
}

int flow_create(struct mtv_json **out, struct flow_session *fs,
                struct mtv_kube_client *kube, const char *scenario,
                const char *kind, const struct mtv_json *obj,
                struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    size_t seq = 0;
    const char *ns = mtv_json_string_or(obj, "metadata.namespace", NULL);
    const char *name = mtv_json_string_or(obj, "metadata.name", "");
    int rc;

    rc = flow_ref(&ref, kind, ns, NULL, err);
    if (rc == 0) {
        rc = record(fs, scenario, kind, obj, &seq, err);
    }
    if (rc == 0) {
        rc = mtv_kube_create(out, kube, &ref, obj, err);
        if (rc != 0) {
            mtv_error_prefix(err, "create %s '%s'", kind, name);
        }
    }
    if (rc == 0) {
        mtv_log(MTV_LOG_INFO, "flow", "created %s %s%s%s", kind, ns ? ns : "",
                ns ? "/" : "", name);
        rc = mtv_ledger_mark(fs->ledger, seq, MTV_LEDGER_CREATED, err);
    }
    return rc;
}

int flow_get(struct mtv_json **out, struct mtv_kube_client *kube,
             const char *kind, const char *ns, const char *name,
             struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    int rc = flow_ref(&ref, kind, ns, name, err);

    return rc != 0 ? rc : mtv_kube_get(out, kube, &ref, err);
}

struct mtv_deadline flow_seconds(long seconds)
{
    return mtv_deadline_in(seconds < 0 ? -1 : (int64_t)seconds * 1000);
}

int flow_wait(struct mtv_json **out, struct mtv_kube_client *kube,
              const char *kind, const char *ns, const char *name,
              mtv_kube_predicate_fn pred, void *payload, long seconds,
              const char *what, struct mtv_error *err)
{
    struct mtv_kube_wait w;
    int rc;

    memset(&w, 0, sizeof(w));
    w.kind = kind;
    w.namespace = ns;
    w.name = name;
    w.predicate = pred;
    w.payload = payload;
    w.deadline = flow_seconds(seconds);
    w.what = what;
    rc = mtv_kube_wait_for(out, kube, &w, err);
    if (rc != 0 && mtv_interrupted() != 0) {
        rc = mtv_error_set(err, MTV_EINTR, "flow",
                           "interrupted while waiting for %s '%s' to %s", kind,
                           name, what);
    }
    return rc;
}

void flow_sleep_ms(int64_t ms)
{
    struct timespec ts;

    if (ms <= 0 || mtv_interrupted() != 0) {
        return;
    }
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    /* A signal ends the sleep early (EINTR); that is what we want. */
    nanosleep(&ts, NULL);
}

void flow_progress(const struct flow_session *fs, const char *fmt, ...)
{
    struct mtv_buf b = MTV_BUF_INIT;
    char ts[32];
    va_list ap;

    if (fs != NULL && fs->ctx != NULL && fs->ctx->opts != NULL &&
        fs->ctx->opts->verbosity < 0) {
        return;
    }
    va_start(ap, fmt);
    mtv_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (b.data != NULL) {
        mtv_redact(&b);
        mtv_time_rfc3339(mtv_wall_ms(), ts, sizeof(ts));
        fprintf(stderr, "%s %s\n", ts, b.data);
    }
    mtv_buf_dispose(&b);
}
