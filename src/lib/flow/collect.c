/*
 * flow: diagnostics of a failed scenario (the must-gather of mtvtest).
 *
 * When a scenario ends with a failed or errored step, flow_collect_diagnostics
 * reads back what an engineer needs to debug it, before teardown deletes it,
 * into DIR/diagnostics/<scenario>/ (DIR = --report, else
 * ./mtvtest-diagnostics/<scenario>/):
 *
 *   summary.txt                 failed step, message, details, Plan blockers,
 *                               each VM's phase/error, files, warnings
 *   plan.json migration.json storagemap.json networkmap.json
 *   provider-source.json provider-destination.json nads.json
 *   secrets.txt                 names of the Secrets involved (never values)
 *   virtualmachines.json virtualmachineinstances.json
 *   datavolumes.json pvcs.json  in the VMs' target namespace
 *   events-target.json events-mtv.json
 *   pods.json                   the migration's pods (label migration=<uid>)
 *   logs/<pod>.<container>.log  forklift-controller pods (MTV namespace) and
 *                               the migration's pods, last FLOW_DIAG_TAIL lines
 *   source-vms.json             vSphere records before/after per clone
 *
 * Every file passes through mtv_redact() and is written atomically (tmp +
 * rename); each is capped at FLOW_DIAG_FILE_CAP and the whole collection at
 * FLOW_DIAG_TOTAL_CAP and FLOW_DIAG_SECONDS. Errors become warnings (log
 * and summary.txt) and never change the run's result. Secrets are never
 * read.
 */
#include "flow_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FLOW_DIAG_DEFAULT_DIR "mtvtest-diagnostics"
#define FLOW_DIAG_FILE_CAP ((size_t)8 * 1024 * 1024)
#define FLOW_DIAG_TOTAL_CAP ((size_t)64 * 1024 * 1024)
#define FLOW_DIAG_TAIL 2000
#define FLOW_DIAG_SECONDS 120
#define FLOW_DIAG_MAX_PODS 32

struct collect {
    struct flow_scenario *st;
    struct mtv_step_ctx *ctx;
    char *dir;
    struct mtv_deadline dl;
    size_t total;
    bool stopped; /* a cap or the deadline was reached */
    struct mtv_strv files;
    struct mtv_strv warnings;
    struct mtv_strv absent; /* objects not found (gone, or never made) */
};

static void warn(struct collect *c, const char *fmt, ...) MTV_PRINTF(2, 3);

static void warn(struct collect *c, const char *fmt, ...)
{
    struct mtv_buf b = MTV_BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    mtv_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (b.data != NULL) {
        mtv_log(MTV_LOG_WARN, "flow", "diagnostics of %s: %s", c->st->sc->name,
                b.data);
        mtv_strv_push(&c->warnings, b.data);
    }
    mtv_buf_dispose(&b);
}

static void warn_err(struct collect *c, const char *what,
                     const struct mtv_error *err)
{
    char text[1100];

    warn(c, "%s: %s", what, mtv_error_text(err, text, sizeof(text)));
}

/* Whether to go on: the deadline, the total cap, an interrupt. */
static bool go_on(struct collect *c)
{
    if (c->stopped) {
        return false;
    }
    if (mtv_interrupted() != 0) {
        warn(c, "interrupted: collection stopped");
        c->stopped = true;
    } else if (mtv_deadline_expired(&c->dl)) {
        warn(c, "collection stopped after %ds", FLOW_DIAG_SECONDS);
        c->stopped = true;
    } else if (c->total >= FLOW_DIAG_TOTAL_CAP) {
        warn(c, "collection stopped at %zu MiB", FLOW_DIAG_TOTAL_CAP >> 20);
        c->stopped = true;
    }
    return !c->stopped;
}

/* A name safe as one path component. */
static char *safe_component(const char *s)
{
    char *out = mtv_strdup(s != NULL && s[0] != '\0' ? s : "unnamed");

    for (char *p = out; p != NULL && *p != '\0'; p++) {
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20) {
            *p = '_';
        }
    }
    if (out != NULL && out[0] == '.') {
        out[0] = '_';
    }
    return out;
}

/* Write text (len bytes) to dir/name: capped, redacted, atomically. */
static void put_file(struct collect *c, const char *name, const char *text,
                     size_t len)
{
    struct mtv_buf b = MTV_BUF_INIT;
    static const char cut[] = "\n[mtvtest: truncated at the 8 MiB cap]\n";
    char *path = NULL, *tmp = NULL;
    char rnd[9];
    bool truncated = len > FLOW_DIAG_FILE_CAP;
    int fd = -1, rc = 0;

    if (truncated) {
        /* keep the end: the last lines of a log matter most */
        text += len - FLOW_DIAG_FILE_CAP;
        len = FLOW_DIAG_FILE_CAP;
    }
    mtv_buf_init(&b, FLOW_DIAG_FILE_CAP + sizeof(cut) + 1);
    rc = mtv_buf_append(&b, text != NULL ? text : "", text ? len : 0);
    rc = rc ? rc : truncated ? mtv_buf_puts(&b, cut) : 0;
    if (rc == 0 && b.data == NULL) {
        rc = mtv_buf_puts(&b, "");
    }
    if (rc == 0) {
        mtv_redact(&b);
    }
    path = mtv_strdup_printf("%s/%s", c->dir, name);
    if (rc == 0 && mtv_random_id(rnd, sizeof(rnd) - 1) != 0) {
        snprintf(rnd, sizeof(rnd), "%d", (int)getpid());
    }
    tmp = path ? mtv_strdup_printf("%s.tmp-%s", path, rnd) : NULL;
    if (rc == 0 && tmp != NULL) {
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (rc != 0 || tmp == NULL || fd < 0) {
        warn(c, "%s: cannot write: %s", name,
             rc ? mtv_err_name(rc) : strerror(errno));
        goto out;
    }
    for (size_t off = 0; off < b.len;) {
        ssize_t n = write(fd, b.data + off, b.len - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rc = MTV_EIO;
            break;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0 || rc != 0 || rename(tmp, path) != 0) {
        warn(c, "%s: cannot write: %s", name, strerror(errno));
        unlink(tmp);
        goto out;
    }
    c->total += b.len;
    mtv_strv_push(&c->files, name);
    if (truncated) {
        warn(c, "%s: truncated at %zu MiB", name, FLOW_DIAG_FILE_CAP >> 20);
    }
out:
    mtv_buf_dispose(&b);
    free(path);
    free(tmp);
}

static void put_json(struct collect *c, const char *name,
                     const struct mtv_json *j)
{
    char *text = mtv_json_print(j, true);

    if (text == NULL) {
        warn(c, "%s: cannot print JSON", name);
        return;
    }
    put_file(c, name, text, strlen(text));
    free(text);
}

/* GET kind ns/name; NULL (with a warning unless absent) on failure. */
static struct mtv_json *get_obj(struct collect *c, const char *kind,
                                const char *ns, const char *name)
{
    struct mtv_json *obj = NULL;
    struct mtv_error err;
    char what[300];

    if (name == NULL || name[0] == '\0' || !go_on(c)) {
        return NULL;
    }
    mtv_error_clear(&err);
    snprintf(what, sizeof(what), "get %s %s%s%s", kind, ns ? ns : "",
             ns ? "/" : "", name);
    if (flow_get(&obj, c->st->conn->kube, kind, ns, name, &err) != 0) {
        if (err.code == MTV_ENOTFOUND) {
            mtv_log(MTV_LOG_INFO, "flow", "diagnostics of %s: %s: not found",
                    c->st->sc->name, what);
            mtv_strv_push(&c->absent, what + 4); /* without "get " */
        } else {
            warn_err(c, what, &err);
        }
        mtv_json_free(obj);
        return NULL;
    }
    return obj;
}

/* GET an object into file name; returns it (caller frees) or NULL. */
static struct mtv_json *save_obj(struct collect *c, const char *file,
                                 const char *kind, const char *ns,
                                 const char *name)
{
    struct mtv_json *obj = get_obj(c, kind, ns, name);

    if (obj != NULL) {
        put_json(c, file, obj);
    }
    return obj;
}

/* LIST kind in ns (with a label selector) into *out; 0 or an error. */
static int list_objs(struct collect *c, struct mtv_json **out, const char *kind,
                     const char *ns, const char *selector)
{
    struct mtv_kube_list_options lo = {selector, NULL, 0};
    struct mtv_kube_ref ref;
    struct mtv_error err;
    char what[300];
    int rc;

    *out = NULL;
    if (!go_on(c)) {
        return MTV_ETIMEOUT;
    }
    if (mtv_kube_kind_find(kind) == NULL) {
        warn(c, "kind %s unknown to the kind table: not collected", kind);
        return MTV_EINVAL;
    }
    mtv_error_clear(&err);
    snprintf(what, sizeof(what), "list %s in %s%s%s", kind,
             ns ? ns : "every namespace", selector ? " -l " : "",
             selector ? selector : "");
    rc = flow_ref(&ref, kind, ns, NULL, &err);
    rc = rc ? rc : mtv_kube_list(out, c->st->conn->kube, &ref, &lo, &err);
    if (rc != 0) {
        warn_err(c, what, &err);
        mtv_json_free(*out);
        *out = NULL;
    }
    return rc;
}

static void save_list(struct collect *c, const char *file, const char *kind,
                      const char *ns, const char *selector)
{
    struct mtv_json *list = NULL;

    if (ns != NULL && list_objs(c, &list, kind, ns, selector) == 0) {
        put_json(c, file, list);
    }
    mtv_json_free(list);
}

/* ------------------------------------------------------------ objects */

/* NADs the NetworkMap points to (spec.map[].destination multus refs). */
static void save_nads(struct collect *c, const struct mtv_json *nmap)
{
    struct mtv_json *arr = mtv_json_new_array();
    const struct mtv_json *map = mtv_json_get(nmap, "spec.map");
    const char *def_ns = c->st->sc->multus_namespace
                             ? c->st->sc->multus_namespace
                             : c->st->vm_ns;

    for (const struct mtv_json *e = mtv_json_first(map);
         arr != NULL && e != NULL; e = mtv_json_next(e)) {
        const char *name = mtv_json_string_or(e, "destination.name", NULL);
        const char *ns = mtv_json_string_or(e, "destination.namespace", def_ns);
        struct mtv_json *nad = NULL;

        if (name == NULL) {
            continue;
        }
        nad = get_obj(c, "NetworkAttachmentDefinition", ns, name);
        if (nad != NULL) {
            mtv_json_push_take(arr, nad); /* frees nad on error */
        }
    }
    if (arr != NULL && mtv_json_size(arr) > 0) {
        put_json(c, "nads.json", arr);
    }
    mtv_json_free(arr);
}

static void add_secret_ref(struct mtv_strv *names, const struct mtv_json *obj,
                           const char *path)
{
    const char *name = mtv_json_string_or(obj, path, NULL);
    char p2[64];
    const char *ns;
    char *s;

    if (name == NULL) {
        return;
    }
    snprintf(p2, sizeof(p2), "%.*s.namespace",
             (int)(strlen(path) - strlen(".name")), path);
    ns = mtv_json_string_or(obj, p2,
                            mtv_json_string_or(obj, "metadata.namespace", ""));
    s = mtv_strdup_printf("%s/%s", ns, name);
    if (s != NULL && !mtv_strv_contains(names, s)) {
        mtv_strv_push(names, s);
    }
    free(s);
}

/* The Secrets involved, by name only: never read. */
static void save_secret_names(struct collect *c, const struct mtv_json *src,
                              const struct mtv_json *dst)
{
    struct mtv_strv names = MTV_STRV_INIT;
    struct mtv_buf b = MTV_BUF_INIT;

    add_secret_ref(&names, src, "spec.secret.name");
    add_secret_ref(&names, dst, "spec.secret.name");
    if (c->st->storage_secret != NULL) {
        char *s = mtv_strdup_printf("%s/%s", c->st->fs->target_ns,
                                    c->st->storage_secret);
        if (s != NULL && !mtv_strv_contains(&names, s)) {
            mtv_strv_push(&names, s);
        }
        free(s);
    }
    mtv_buf_puts(&b, "# Secrets involved (names only: their contents are "
                     "never read or written)\n");
    for (size_t i = 0; i < names.len; i++) {
        mtv_buf_printf(&b, "%s\n", names.items[i]);
    }
    put_file(c, "secrets.txt", b.data, b.len);
    mtv_buf_dispose(&b);
    mtv_strv_dispose(&names);
}

/* The scenario's VMs (by clone name) of kind in the target namespace. */
static void save_vms(struct collect *c, const char *kind, const char *file)
{
    struct mtv_json *arr = mtv_json_new_array();

    for (size_t i = 0; arr != NULL && i < c->st->n_vms; i++) {
        struct mtv_json *o =
            get_obj(c, kind, c->st->vm_ns, c->st->vms[i].clone_name);
        if (o != NULL) {
            mtv_json_push_take(arr, o); /* frees o on error */
        }
    }
    if (arr != NULL && mtv_json_size(arr) > 0) {
        put_json(c, file, arr);
    }
    mtv_json_free(arr);
}

/* --------------------------------------------------------------- logs */

static void save_pod_logs(struct collect *c, const struct mtv_json *pod)
{
    const char *ns = mtv_json_string_or(pod, "metadata.namespace", "");
    const char *name = mtv_json_string_or(pod, "metadata.name", "");
    const struct mtv_json *containers = mtv_json_get(pod, "spec.containers");

    for (const struct mtv_json *ct = mtv_json_first(containers);
         ct != NULL && go_on(c); ct = mtv_json_next(ct)) {
        const char *cname = mtv_json_string_or(ct, "name", "");
        struct mtv_kube_ref ref;
        struct mtv_kube_call call = {"GET", &ref, NULL, NULL, NULL};
        struct mtv_error err;
        char *query = NULL, *log = NULL, *file = NULL, *pc = NULL, *cc = NULL;
        char what[300];

        mtv_error_clear(&err);
        snprintf(what, sizeof(what), "log of pod %s/%s container %s", ns, name,
                 cname);
        query = mtv_strdup_printf("tailLines=%d&container=%s", FLOW_DIAG_TAIL,
                                  cname);
        call.query = query;
        if (flow_ref(&ref, "Pod", ns, name, &err) == 0) {
            ref.subresource = "log";
            if (mtv_kube_call(&log, c->st->conn->kube, &call, &err) != 0) {
                warn_err(c, what, &err);
            } else {
                pc = safe_component(name);
                cc = safe_component(cname);
                file = mtv_strdup_printf("logs/%s.%s.log", pc, cc);
                if (file != NULL) {
                    put_file(c, file, log ? log : "", log ? strlen(log) : 0);
                }
            }
        } else {
            warn_err(c, what, &err);
        }
        free(query);
        free(log);
        free(file);
        free(pc);
        free(cc);
    }
}

static void save_logs(struct collect *c)
{
    const char *mtv_ns = c->st->fs->cfg->mtv_namespace;
    struct mtv_json *pods = NULL;
    struct mtv_error err;
    char *logs = mtv_strdup_printf("%s/logs", c->dir);
    size_t n = 0;

    mtv_error_clear(&err);
    if (logs == NULL || mtv_mkdir_p(logs, &err) != 0) {
        warn_err(c, "logs folder", &err);
        free(logs);
        return;
    }
    free(logs);
    if (mtv_ns != NULL && list_objs(c, &pods, "Pod", mtv_ns, NULL) == 0) {
        for (const struct mtv_json *p =
                 mtv_json_first(mtv_json_get(pods, "items"));
             p != NULL && n < FLOW_DIAG_MAX_PODS; p = mtv_json_next(p)) {
            const char *name = mtv_json_string_or(p, "metadata.name", "");
            if (mtv_str_has_prefix(name, FLOW_FC_DEPLOYMENT "-")) {
                save_pod_logs(c, p);
                n++;
            }
        }
        if (n == 0) {
            warn(c, "no %s-* pod in %s", FLOW_FC_DEPLOYMENT, mtv_ns);
        }
    }
    mtv_json_free(pods);
    pods = NULL;
    /* the migration's populate / conversion pods (label migration=<uid>;
     * copy-offload populate pods may live elsewhere: every namespace) */
    if (c->st->migration_uid != NULL && c->st->migration_uid[0] != '\0') {
        char *sel = mtv_strdup_printf("migration=%s", c->st->migration_uid);

        n = 0;
        if (sel != NULL && list_objs(c, &pods, "Pod", NULL, sel) == 0) {
            put_json(c, "pods.json", pods);
            for (const struct mtv_json *p =
                     mtv_json_first(mtv_json_get(pods, "items"));
                 p != NULL && n < FLOW_DIAG_MAX_PODS; p = mtv_json_next(p)) {
                save_pod_logs(c, p);
                n++;
            }
        }
        free(sel);
        mtv_json_free(pods);
    }
}

/* ----------------------------------------------------- source records */

static void save_source_vms(struct collect *c, struct mtv_buf *summary)
{
    struct mtv_json *all = mtv_json_new_array();
    struct flow_scenario *st = c->st;

    for (size_t i = 0; all != NULL && i < st->n_vms; i++) {
        struct flow_vm *v = &st->vms[i];
        struct mtv_json *entry = mtv_json_new_object(), *j = NULL;
        struct mtv_vm_record *after = NULL;
        struct mtv_error err;
        const char *name = v->clone_name ? v->clone_name : v->cfg->name;

        mtv_error_clear(&err);
        if (entry == NULL) {
            break;
        }
        mtv_json_set_string(entry, "name", name);
        mtv_json_set_string(entry, "template", v->cfg->name);
        mtv_json_set_string(entry, "moref", v->moref.value);
        if (v->before != NULL &&
            mtv_vm_record_to_json(&j, v->before, &err) == 0) {
            mtv_json_set_take(entry, "before", j);
        } else {
            mtv_json_set_null(entry, "before");
        }
        j = NULL;
        if (st->conn->vs != NULL && v->moref.value[0] != '\0' && go_on(c)) {
            if (mtv_vsphere_lookup_vm_record(&after, st->conn->vs, &v->moref,
                                             &err) == 0 &&
                mtv_vm_record_to_json(&j, after, &err) == 0) {
                mtv_json_set_take(entry, "after", j);
            } else {
                warn_err(c, "source VM record after", &err);
                mtv_json_set_null(entry, "after");
            }
        } else {
            mtv_json_set_null(entry, "after");
        }
        mtv_buf_printf(
            summary, "  %s (from %s, %s): power before %s, after %s\n", name,
            v->cfg->name, v->moref.value[0] ? v->moref.value : "no moref",
            v->before ? v->before->power_state : "?",
            after ? after->power_state : "?");
        mtv_vm_record_free(after);
        mtv_json_push_take(all, entry); /* frees entry on error */
    }
    if (all != NULL && st->n_vms > 0) {
        put_json(c, "source-vms.json", all);
    }
    mtv_json_free(all);
}

/* ------------------------------------------------------------ summary */

static void summary_steps(struct collect *c, struct mtv_buf *b)
{
    const struct mtv_scenario_result *sr = c->ctx->result;
    const struct mtv_step_result *first = NULL;

    for (size_t i = 0; i < sr->n_steps; i++) {
        const struct mtv_step_result *s = &sr->steps[i];
        if (first == NULL &&
            (s->status == MTV_STATUS_FAILED || s->status == MTV_STATUS_ERROR)) {
            first = s;
        }
    }
    if (first != NULL) {
        mtv_buf_printf(b, "failed step: %s (%s)\nmessage: %s\n", first->name,
                       mtv_status_name(first->status),
                       first->message ? first->message : "(none)");
        if (first->details != NULL &&
            !mtv_str_eq(first->details, first->message)) {
            mtv_buf_printf(b, "details:\n%s\n", first->details);
        }
    }
    mtv_buf_puts(b, "\nsteps:\n");
    for (size_t i = 0; i < sr->n_steps; i++) {
        const struct mtv_step_result *s = &sr->steps[i];
        mtv_buf_printf(b, "  %-24s %-8s %6.1fs%s%s\n", s->name,
                       mtv_status_name(s->status), s->duration_s,
                       s->message ? "  " : "", s->message ? s->message : "");
    }
}

static void summary_state(struct mtv_buf *b, const char *label,
                          const char *name, const struct mtv_json *obj)
{
    if (name == NULL) {
        mtv_buf_printf(b, "%s: not created\n", label);
    } else if (obj == NULL) {
        mtv_buf_printf(b, "%s: %s (could not be read)\n", label, name);
    } else {
        mtv_buf_printf(
            b, "%s: %s, state %s\n", label, name,
            mtv_forklift_run_state_name(mtv_forklift_run_state(obj)));
    }
}

static void summary_progress(struct collect *c, struct mtv_buf *b,
                             const struct mtv_json *plan,
                             const struct mtv_json *mig)
{
    struct mtv_fl_progress p = MTV_FL_PROGRESS_INIT;
    const struct mtv_json *from = mig != NULL ? mig : plan;
    struct mtv_error err;

    if (from == NULL) {
        return;
    }
    mtv_error_clear(&err);
    if (mtv_forklift_progress_read(&p, from, &err) != 0) {
        warn_err(c, "VM progress", &err);
    } else if (p.n_vms == 0) {
        mtv_buf_puts(b, "migrated VMs: none started\n");
    } else {
        mtv_buf_puts(b, "migrated VMs:\n");
        for (size_t i = 0; i < p.n_vms; i++) {
            mtv_buf_puts(b, "  ");
            /* phase, pipeline step, precopies, state and error */
            mtv_forklift_progress_line(b, &p.vms[i]);
            mtv_buf_puts(b, "\n");
        }
    }
    mtv_forklift_progress_dispose(&p);
}

/* ----------------------------------------------------------- the entry */

static bool scenario_failed(const struct mtv_scenario_result *sr)
{
    for (size_t i = 0; sr != NULL && i < sr->n_steps; i++) {
        if (sr->steps[i].status == MTV_STATUS_FAILED ||
            sr->steps[i].status == MTV_STATUS_ERROR) {
            return true;
        }
    }
    return false;
}

static char *scenario_dir(const struct mtv_run_options *opts,
                          const char *scenario)
{
    char *comp = safe_component(scenario);
    char *dir = NULL;

    if (comp == NULL) {
        return NULL;
    }
    if (opts != NULL && opts->report_dir != NULL && opts->report_dir[0]) {
        dir = mtv_strdup_printf("%s/diagnostics/%s", opts->report_dir, comp);
    } else {
        dir = mtv_strdup_printf("%s/%s", FLOW_DIAG_DEFAULT_DIR, comp);
    }
    free(comp);
    return dir;
}

static void collect(struct collect *c)
{
    struct flow_scenario *st = c->st;
    struct flow_session *fs = st->fs;
    const char *ns = fs->target_ns;
    struct mtv_json *plan, *mig, *smap, *nmap, *src, *dst;
    struct mtv_buf sum = MTV_BUF_INIT, vms = MTV_BUF_INIT, blk = MTV_BUF_INIT;
    char now[40];
    int nblk;

    plan = save_obj(c, "plan.json", "Plan", ns, st->plan);
    mig = save_obj(c, "migration.json", "Migration", ns, st->migration);
    smap = save_obj(c, "storagemap.json", "StorageMap", ns, st->storage_map);
    nmap = save_obj(c, "networkmap.json", "NetworkMap", ns, st->network_map);
    src = save_obj(c, "provider-source.json", "Provider", ns, fs->src_provider);
    dst = save_obj(c, "provider-destination.json", "Provider", ns,
                   st->dst_provider);
    if (nmap != NULL) {
        save_nads(c, nmap);
    }
    save_secret_names(c, src, dst);
    save_vms(c, "VirtualMachine", "virtualmachines.json");
    save_vms(c, "VirtualMachineInstance", "virtualmachineinstances.json");
    save_list(c, "datavolumes.json", "DataVolume", st->vm_ns, NULL);
    save_list(c, "pvcs.json", "PersistentVolumeClaim", st->vm_ns, NULL);
    save_list(c, "events-target.json", "Event", st->vm_ns, NULL);
    if (!mtv_str_eq(fs->cfg->mtv_namespace, st->vm_ns)) {
        save_list(c, "events-mtv.json", "Event", fs->cfg->mtv_namespace, NULL);
    }
    save_logs(c);
    save_source_vms(c, &vms);

    /* summary.txt, written last so that it lists every file */
    mtv_buf_printf(&sum,
                   "mtvtest diagnostics\nscenario: %s\nsession: %s\n"
                   "collected: %s\n\n",
                   st->sc->name, fs->sid,
                   mtv_time_rfc3339(mtv_wall_ms(), now, sizeof(now)));
    summary_steps(c, &sum);
    mtv_buf_puts(&sum, "\n");
    summary_state(&sum, "plan", st->plan, plan);
    nblk = plan != NULL ? mtv_forklift_format_blockers(&blk, plan) : 0;
    if (plan != NULL) {
        mtv_buf_printf(&sum, "plan blocking conditions: %s\n",
                       nblk > 0 && blk.data ? blk.data : "none");
    }
    summary_state(&sum, "migration", st->migration, mig);
    summary_progress(c, &sum, plan, mig);
    mtv_buf_printf(&sum, "\nsource VMs:\n%s", vms.data ? vms.data : "  none\n");
    mtv_buf_puts(&sum, "\nfiles:\n");
    for (size_t i = 0; i < c->files.len; i++) {
        mtv_buf_printf(&sum, "  %s\n", c->files.items[i]);
    }
    mtv_buf_puts(&sum, "  summary.txt\n");
    mtv_buf_printf(&sum,
                   "\nnot found (deleted by the controller, or "
                   "never created) (%zu):\n",
                   c->absent.len);
    for (size_t i = 0; i < c->absent.len; i++) {
        mtv_buf_printf(&sum, "  %s\n", c->absent.items[i]);
    }
    mtv_buf_printf(&sum, "\nwarnings (%zu):\n", c->warnings.len);
    for (size_t i = 0; i < c->warnings.len; i++) {
        mtv_buf_printf(&sum, "  %s\n", c->warnings.items[i]);
    }
    c->stopped = false; /* the summary is always written */
    put_file(c, "summary.txt", sum.data, sum.len);
    mtv_buf_dispose(&sum);
    mtv_buf_dispose(&vms);
    mtv_buf_dispose(&blk);
    mtv_json_free(plan);
    mtv_json_free(mig);
    mtv_json_free(smap);
    mtv_json_free(nmap);
    mtv_json_free(src);
    mtv_json_free(dst);
}

void flow_collect_diagnostics(struct mtv_step_ctx *ctx)
{
    struct flow_scenario *st = ctx != NULL ? ctx->state : NULL;
    const struct mtv_run_options *opts =
        ctx != NULL && ctx->session != NULL ? ctx->session->opts : NULL;
    struct collect c;
    struct mtv_error err;

    if (st == NULL || st->fs == NULL || st->conn == NULL ||
        st->conn->kube == NULL || !scenario_failed(ctx->result)) {
        return;
    }
    if (mtv_interrupted() != 0) {
        /* a Ctrl-C asks for teardown now, not for a must-gather */
        mtv_log(MTV_LOG_NOTE, "flow",
                "diagnostics of %s not collected: interrupted", st->sc->name);
        return;
    }
    memset(&c, 0, sizeof(c));
    c.st = st;
    c.ctx = ctx;
    c.dl = flow_seconds(FLOW_DIAG_SECONDS);
    c.dir = scenario_dir(opts, st->sc->name);
    mtv_error_clear(&err);
    if (c.dir == NULL || mtv_mkdir_p(c.dir, &err) != 0) {
        char text[1100];
        mtv_log(MTV_LOG_WARN, "flow", "diagnostics of %s: %s", st->sc->name,
                c.dir ? mtv_error_text(&err, text, sizeof(text))
                      : "out of memory");
        free(c.dir);
        return;
    }
    flow_progress(st->fs, "%s: failed, collecting diagnostics into %s/",
                  st->sc->name, c.dir);
    collect(&c);
    free(ctx->result->diagnostics_dir);
    ctx->result->diagnostics_dir = c.dir;
    c.dir = NULL;
    mtv_strv_dispose(&c.files);
    mtv_strv_dispose(&c.warnings);
    mtv_strv_dispose(&c.absent);
}
