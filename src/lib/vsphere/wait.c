/*
 * vsphere: waiting by watching property updates (WaitForUpdatesEx) with a
 * deadline: tasks and the guest. No sleep loops.
 */
#include <stdio.h>
#include <string.h>

#include "vsphere/vsphere_priv.h"

#define MAX_WAIT_SLICE_S 10

static int ensure_waiter(struct mtv_vsphere *vs, struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_soap_response *r = NULL;
    int rc = 0;

    if (vs->waiter.value[0] != '\0') {
        return 0;
    }
    rc = mtv_soap_put_moref(&b, "_this", vs->property_collector.type,
                            vs->property_collector.value);
    if (rc == 0) {
        rc = mtv_soap_call(&r, vs->soap, "CreatePropertyCollector", &b,
                           MTV_SOAP_REQUIRED, err);
    }
    if (rc == 0 &&
        mtv_vsphere__moref_from(mtv_soap_response_value(r), &vs->waiter) != 0) {
        rc = mtv_error_set(err, MTV_EPROTO, "vsphere",
                           "CreatePropertyCollector: no collector returned");
    }
    mtv_soap_response_free(r);
    mtv_buf_dispose(&b);
    return rc;
}

static int create_filter(struct mtv_vsphere *vs, const struct mtv_moref *obj,
                         const char *const *paths, size_t n,
                         struct mtv_moref *filter, struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_soap_response *r = NULL;
    int rc = mtv_soap_put_moref(&b, "_this", vs->waiter.type, vs->waiter.value);

    if (rc == 0) {
        rc = mtv_buf_puts(&b, "<spec>");
    }
    if (rc == 0) {
        rc = mtv_vsphere__put_object_spec(&b, obj, paths, n);
    }
    if (rc == 0) {
        rc = mtv_buf_puts(&b, "</spec><partialUpdates>false</partialUpdates>");
    }
    if (rc == 0) {
        rc = mtv_soap_call(&r, vs->soap, "CreateFilter", &b, MTV_SOAP_REQUIRED,
                           err);
    }
    if (rc == 0 &&
        mtv_vsphere__moref_from(mtv_soap_response_value(r), filter) != 0) {
        rc = mtv_error_set(err, MTV_EPROTO, "vsphere",
                           "CreateFilter: no filter returned");
    }
    mtv_soap_response_free(r);
    mtv_buf_dispose(&b);
    return rc;
}

static void destroy_filter(struct mtv_vsphere *vs,
                           const struct mtv_moref *filter)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_error e = {0};

    if (mtv_soap_put_moref(&b, "_this", filter->type, filter->value) == 0 &&
        mtv_soap_call(NULL, vs->soap, "DestroyPropertyFilter", &b,
                      MTV_SOAP_NONE, &e) != 0) {
        mtv_log(MTV_LOG_INFO, "vsphere", "DestroyPropertyFilter: %s", e.msg);
    }
    mtv_buf_dispose(&b);
}

struct watch {
    vs_change_fn change;
    vs_done_fn done;
    void *payload;
};

static int apply_changes(const struct mtv_soap_node *set, struct watch *w)
{
    int rc = 0;

    for (const struct mtv_soap_node *fs = mtv_soap_node_child(set, "filterSet");
         fs != NULL; fs = mtv_soap_node_next(fs, "filterSet")) {
        for (const struct mtv_soap_node *os =
                 mtv_soap_node_child(fs, "objectSet");
             os != NULL; os = mtv_soap_node_next(os, "objectSet")) {
            for (const struct mtv_soap_node *c =
                     mtv_soap_node_child(os, "changeSet");
                 rc == 0 && c != NULL; c = mtv_soap_node_next(c, "changeSet")) {
                rc = w->change(mtv_soap_node_path_text(c, "name", ""),
                               mtv_soap_node_child(c, "val"), w->payload);
            }
        }
    }
    return rc;
}

static int build_wait(struct mtv_vsphere *vs, struct mtv_buf *b,
                      const char *version, const struct mtv_deadline *d)
{
    int64_t s = (mtv_deadline_remaining_ms(d) + 999) / 1000;
    int rc = 0;

    if (s > MAX_WAIT_SLICE_S) {
        s = MAX_WAIT_SLICE_S;
    }
    mtv_buf_reset(b);
    rc = mtv_soap_put_moref(b, "_this", vs->waiter.type, vs->waiter.value);
    if (rc == 0 && version[0] != '\0') {
        rc = mtv_soap_put_text(b, "version", version);
    }
    if (rc == 0) {
        rc = mtv_buf_printf(b, "<options><maxWaitSeconds>%lld</maxWaitSeconds>"
                               "</options>",
                            (long long)(s < 1 ? 1 : s));
    }
    return rc;
}

/* One WaitForUpdatesEx; updates version. *empty when nothing came back. */
static int wait_once(struct mtv_vsphere *vs, struct watch *w, char *version,
                     size_t vsize, const struct mtv_deadline *d, bool *empty,
                     struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_soap_response *r = NULL;
    const struct mtv_soap_node *set = NULL;
    int rc = build_wait(vs, &b, version, d);

    if (rc == 0) {
        rc = mtv_soap_call(&r, vs->soap, "WaitForUpdatesEx", &b,
                           MTV_SOAP_OPTIONAL, err);
    }
    set = mtv_soap_response_value(r);
    *empty = rc == 0 && set == NULL;
    if (rc == 0 && set != NULL) {
        mtv_strlcpy(version, mtv_soap_node_path_text(set, "version", ""),
                    vsize);
        rc = apply_changes(set, w);
    }
    mtv_soap_response_free(r);
    mtv_buf_dispose(&b);
    return rc;
}

struct reread {
    struct watch *w;
};

static int feed_object(const struct mtv_soap_node *o, void *payload)
{
    struct watch *w = payload;
    int rc = 0;

    for (const struct mtv_soap_node *p = mtv_soap_node_child(o, "propSet");
         rc == 0 && p != NULL; p = mtv_soap_node_next(p, "propSet")) {
        rc = w->change(mtv_soap_node_path_text(p, "name", ""),
                       mtv_soap_node_child(p, "val"), w->payload);
    }
    return rc;
}

/* A plain read of the watched paths (after an empty wait slice). */
static int reread(struct mtv_vsphere *vs, const struct mtv_moref *obj,
                  const char *const *paths, size_t n, struct watch *w,
                  struct mtv_error *err)
{
    struct mtv_buf spec = MTV_BUF_INIT;
    int rc = mtv_vsphere__put_object_spec(&spec, obj, paths, n);

    if (rc == 0) {
        rc = mtv_vsphere__retrieve(vs, &spec, feed_object, w, err);
    }
    mtv_buf_dispose(&spec);
    return rc;
}

#define WATCH_RESTART 1    /* the session was renewed under us */
#define MAX_WATCH_RELOGINS 10

static int watch_loop(struct mtv_vsphere *vs, const struct mtv_moref *obj,
                      const char *const *paths, size_t n, struct watch *w,
                      const struct mtv_deadline *d, struct mtv_error *err)
{
    char version[128] = "";
    bool empty = false;
    unsigned relogins = vs->relogins;
    int rc = 0;

    while (rc == 0 && !w->done(w->payload)) {
        if (mtv_deadline_expired(d)) {
            return MTV_ETIMEOUT;
        }
        rc = wait_once(vs, w, version, sizeof(version), d, &empty, err);
        if (rc == 0 && empty) {
            rc = reread(vs, obj, paths, n, w, err);
        }
        if (rc == 0 && vs->relogins != relogins) {
            return WATCH_RESTART;
        }
    }
    return rc;
}

/* One attempt: our collector, a filter, the loop, the filter destroyed. */
static int watch_attempt(struct mtv_vsphere *vs, const struct mtv_moref *obj,
                         const char *const *paths, size_t n, struct watch *w,
                         const struct mtv_deadline *d, struct mtv_error *err)
{
    struct mtv_moref filter = {{0}, {0}};
    int rc = ensure_waiter(vs, err);

    if (rc == 0) {
        rc = create_filter(vs, obj, paths, n, &filter, err);
    }
    if (rc != 0) {
        return rc;
    }
    rc = watch_loop(vs, obj, paths, n, w, d, err);
    if (rc != WATCH_RESTART) {
        destroy_filter(vs, &filter);
    }
    return rc;
}

static bool session_lost(const struct mtv_vsphere *vs, int rc)
{
    return rc == MTV_EAUTH &&
           strcmp(mtv_soap_client_last_fault(vs->soap), "NotAuthenticated") == 0;
}

int mtv_vsphere__watch(struct mtv_vsphere *vs, const struct mtv_moref *obj,
                       const char *const *paths, size_t n_paths,
                       vs_change_fn change, vs_done_fn done, void *payload,
                       int64_t timeout_ms, const char *what,
                       struct mtv_error *err)
{
    struct mtv_deadline d = mtv_deadline_in(timeout_ms);
    struct watch w = {change, done, payload};
    int rc = 0;

    for (unsigned i = 0; i <= MAX_WATCH_RELOGINS; i++) {
        rc = watch_attempt(vs, obj, paths, n_paths, &w, &d, err);
        if (rc == WATCH_RESTART) {
            continue;
        }
        if (!session_lost(vs, rc) || i == MAX_WATCH_RELOGINS) {
            break;
        }
        mtv_log(MTV_LOG_INFO, "vsphere", "session lost watching %s, logging in "
                "again", what);
        mtv_error_clear(err);
        rc = mtv_vsphere__login(vs, err);
        if (rc != 0) {
            break;
        }
        vs->relogins++;
    }
    if (rc == MTV_ETIMEOUT) {
        mtv_error_set(err, rc, "vsphere", "%s: not done after %lld ms", what,
                      (long long)timeout_ms);
    } else if (rc != 0) {
        mtv_error_prefix(err, "watch %s", what);
    }
    return rc;
}

/* ----------------------------------------------------------------- tasks */

struct task_state {
    char state[32];
    char message[512];
    char fault[96];
    struct mtv_moref result;
    bool has_result;
};

static int task_change(const char *name, const struct mtv_soap_node *val,
                       void *payload)
{
    struct task_state *t = payload;

    if (strcmp(name, "info.state") == 0 || strcmp(name, "info") == 0) {
        const struct mtv_soap_node *s =
            strcmp(name, "info") == 0 ? mtv_soap_node_child(val, "state") : val;
        mtv_strlcpy(t->state, mtv_soap_node_text(s), sizeof(t->state));
    } else if (strcmp(name, "info.error") == 0 && val != NULL) {
        mtv_strlcpy(t->message,
                    mtv_soap_node_path_text(val, "localizedMessage", ""),
                    sizeof(t->message));
        mtv_strlcpy(t->fault,
                    mtv_soap_node_type(mtv_soap_node_child(val, "fault")) != NULL
                        ? mtv_soap_node_type(mtv_soap_node_child(val, "fault"))
                        : "",
                    sizeof(t->fault));
    } else if (strcmp(name, "info.result") == 0 && val != NULL) {
        t->has_result = mtv_vsphere__moref_from(val, &t->result) == 0;
    }
    return 0;
}

static bool task_done(void *payload)
{
    const struct task_state *t = payload;

    return strcmp(t->state, "success") == 0 || strcmp(t->state, "error") == 0;
}

int mtv_vsphere_wait_task(struct mtv_vsphere *vs, const struct mtv_moref *task,
                          int64_t timeout_ms, struct mtv_moref *result,
                          struct mtv_error *err)
{
    static const char *const paths[] = {"info.state", "info.error",
                                        "info.result"};
    struct task_state t;
    char what[160];
    int rc = 0;

    memset(&t, 0, sizeof(t));
    snprintf(what, sizeof(what), "task '%s'", task->value);
    rc = mtv_vsphere__watch(vs, task, paths, 3, task_change, task_done, &t,
                            timeout_ms, what, err);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(t.state, "error") == 0) {
        mtv_error_set(err, MTV_EREMOTE, "vsphere", "task '%s' failed%s%s",
                      task->value, t.fault[0] != '\0' ? ": " : "", t.fault);
        mtv_error_set_remote(err, t.message[0] != '\0' ? t.message : t.fault);
        return MTV_EREMOTE;
    }
    if (result != NULL && t.has_result) {
        *result = t.result;
    }
    return 0;
}

int mtv_vsphere__run_task(struct mtv_vsphere *vs, const char *method,
                          const struct mtv_buf *body, int64_t timeout_ms,
                          struct mtv_moref *result, struct mtv_error *err)
{
    struct mtv_soap_response *r = NULL;
    struct mtv_moref task = {{0}, {0}};
    int rc = mtv_vsphere__call(vs, &r, method, body, MTV_SOAP_REQUIRED, err);

    if (rc == 0 &&
        mtv_vsphere__moref_from(mtv_soap_response_value(r), &task) != 0) {
        rc = mtv_error_set(err, MTV_EPROTO, "vsphere", "%s: no task returned",
                           method);
    }
    mtv_soap_response_free(r);
    if (rc == 0) {
        rc = mtv_vsphere_wait_task(vs, &task, timeout_ms, result, err);
    }
    if (rc != 0) {
        mtv_error_prefix(err, "%s", method);
    }
    return rc;
}

/* ----------------------------------------------------------------- guest */

struct guest_state {
    bool powered_on;
    bool tools_ok;
    bool tools_running;
    bool has_net;
};

static int guest_change(const char *name, const struct mtv_soap_node *val,
                        void *payload)
{
    struct guest_state *g = payload;
    const char *text = mtv_soap_node_text(val);

    if (strcmp(name, "runtime.powerState") == 0) {
        g->powered_on = strcmp(text, "poweredOn") == 0;
    } else if (strcmp(name, "guest.toolsStatus") == 0) {
        g->tools_ok = strcmp(text, "toolsOk") == 0;
    } else if (strcmp(name, "guest.toolsRunningStatus") == 0) {
        g->tools_running = strcmp(text, "guestToolsRunning") == 0;
    } else if (strcmp(name, "guest.net") == 0) {
        g->has_net = val != NULL && mtv_soap_node_child(val, NULL) != NULL;
    }
    return 0;
}

static bool guest_done(void *payload)
{
    const struct guest_state *g = payload;

    return g->powered_on && (g->tools_ok || g->tools_running) && g->has_net;
}

int mtv_vsphere_wait_guest(struct mtv_vsphere *vs, const struct mtv_moref *vm,
                           int64_t timeout_ms, struct mtv_error *err)
{
    static const char *const paths[] = {"runtime.powerState",
                                        "guest.toolsStatus",
                                        "guest.toolsRunningStatus",
                                        "guest.net"};
    struct guest_state g = {false, false, false, false};
    char what[160];

    snprintf(what, sizeof(what), "guest of VM '%s'", vm->value);
    return mtv_vsphere__watch(vs, vm, paths, 4, guest_change, guest_done, &g,
                              timeout_ms, what, err);
}

/* ----------------------------------------------------------- power state */

struct power_wait {
    const char *want;
    char state[32];
};

static int power_change(const char *name, const struct mtv_soap_node *val,
                        void *payload)
{
    struct power_wait *p = payload;

    if (strcmp(name, "runtime.powerState") == 0) {
        mtv_strlcpy(p->state, mtv_soap_node_text(val), sizeof(p->state));
    }
    return 0;
}

static bool power_done(void *payload)
{
    const struct power_wait *p = payload;

    return strcmp(p->state, p->want) == 0;
}

int mtv_vsphere_wait_power_state(struct mtv_vsphere *vs,
                                 const struct mtv_moref *vm,
                                 const char *state, int64_t timeout_ms,
                                 struct mtv_error *err)
{
    static const char *const paths[] = {"runtime.powerState"};
    struct power_wait p = {state, ""};
    char what[160];

    snprintf(what, sizeof(what), "VM '%s' %s", vm->value, state);
    return mtv_vsphere__watch(vs, vm, paths, 1, power_change, power_done, &p,
                              timeout_ms, what, err);
}
