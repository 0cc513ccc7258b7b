/* ledger: crash-safe record of created objects and the teardown order. */
#include "ledger_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct entry {
    size_t seq;
    char *kind;
    char *api_version;
    char *ns;
    char *name;
    char *moref;
    char *scenario;
    struct mtv_json *restore;
    enum mtv_ledger_state state;
    int64_t recorded_ms;
};

struct mtv_ledger {
    pthread_mutex_t mu;
    char *path;
    char *session;
    char *cluster_url;
    char *vcenter_url;
    int64_t created_ms;
    struct entry *e;
    size_t len;
    size_t cap;
    size_t next_seq;
};

static mtv_ledger_fault_fn fault_fn;
static void *fault_payload;

void mtv_ledger__set_fault(mtv_ledger_fault_fn fn, void *payload)
{
    fault_fn = fn;
    fault_payload = payload;
}

static int fault(const char *stage)
{
    return fault_fn != NULL ? fault_fn(stage, fault_payload) : 0;
}

static const char *const state_names[] = {"recorded", "created", "gone"};

/* ------------------------------------------------------------- helpers */

static int nomem(struct mtv_error *err)
{
    return mtv_error_set(err, MTV_ENOMEM, "ledger", "out of memory");
}

/* Copy of url without "user:password@" (no credentials in the ledger). */
static char *strip_userinfo(const char *url)
{
    const char *scheme = url != NULL ? strstr(url, "://") : NULL;
    const char *host = scheme != NULL ? scheme + 3 : url;
    size_t hostlen;
    const char *at;

    if (url == NULL) {
        return NULL;
    }
    hostlen = strcspn(host, "/?#");
    at = memchr(host, '@', hostlen);
    if (at == NULL) {
        return mtv_strdup(url);
    }
    return mtv_strdup_printf("%.*s%s", (int)(host - url), url, at + 1);
}

static void entry_dispose(struct entry *e)
{
    free(e->kind);
    free(e->api_version);
    free(e->ns);
    free(e->name);
    free(e->moref);
    free(e->scenario);
    mtv_json_free(e->restore);
}

void mtv_ledger_free(struct mtv_ledger *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->len; i++) {
        entry_dispose(&l->e[i]);
    }
    free(l->e);
    free(l->path);
    free(l->session);
    free(l->cluster_url);
    free(l->vcenter_url);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static struct mtv_ledger *ledger_new(const char *path)
{
    struct mtv_ledger *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);
    l->next_seq = 1;
    l->path = mtv_strdup(path);
    if (l->path == NULL) {
        mtv_ledger_free(l);
        return NULL;
    }
    return l;
}

/* --------------------------------------------------------- serialising */

static int put_opt(struct mtv_json *o, const char *key, const char *s)
{
    return s != NULL ? mtv_json_set_string(o, key, s) : 0;
}

static struct mtv_json *entry_json(const struct entry *e)
{
    struct mtv_json *o = mtv_json_new_object();
    char t[32];
    int rc = o != NULL ? 0 : MTV_ENOMEM;

    rc = rc < 0 ? rc : mtv_json_set_number(o, "seq", (double)e->seq);
    rc = rc < 0 ? rc : mtv_json_set_string(o, "kind", e->kind);
    rc = rc < 0 ? rc : put_opt(o, "apiVersion", e->api_version);
    rc = rc < 0 ? rc : put_opt(o, "namespace", e->ns);
    rc = rc < 0 ? rc : mtv_json_set_string(o, "name", e->name);
    rc = rc < 0 ? rc : put_opt(o, "moref", e->moref);
    rc = rc < 0 ? rc : put_opt(o, "scenario", e->scenario);
    if (rc == 0 && e->restore != NULL) {
        rc = mtv_json_set_copy(o, "restore", e->restore);
    }
    rc = rc < 0 ? rc : mtv_json_set_string(o, "state", state_names[e->state]);
    mtv_time_rfc3339(e->recorded_ms, t, sizeof(t));
    rc = rc < 0 ? rc : mtv_json_set_string(o, "recorded", t);
    if (rc < 0) {
        mtv_json_free(o);
        return NULL;
    }
    return o;
}

static struct mtv_json *ledger_json(const struct mtv_ledger *l)
{
    struct mtv_json *o = mtv_json_new_object();
    struct mtv_json *objs = mtv_json_new_array();
    char t[32];
    int rc = o != NULL && objs != NULL ? 0 : MTV_ENOMEM;

    rc = rc < 0 ? rc : mtv_json_set_string(o, "format", MTV_LEDGER_FORMAT);
    rc = rc < 0 ? rc : mtv_json_set_string(o, "session_id", l->session);
    rc = rc < 0 ? rc : put_opt(o, "cluster_url", l->cluster_url);
    rc = rc < 0 ? rc : put_opt(o, "vcenter_url", l->vcenter_url);
    mtv_time_rfc3339(l->created_ms, t, sizeof(t));
    rc = rc < 0 ? rc : mtv_json_set_string(o, "created", t);
    for (size_t i = 0; i < l->len && rc == 0; i++) {
        rc = mtv_json_push_take(objs, entry_json(&l->e[i]));
    }
    if (rc == 0) {
        rc = mtv_json_set_take(o, "objects", objs);
        objs = NULL;
    }
    mtv_json_free(objs);
    if (rc < 0) {
        mtv_json_free(o);
        return NULL;
    }
    return o;
}

/* ------------------------------------------------------ atomic writing */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int io_fail(struct mtv_error *err, const char *what, const char *path)
{
    return mtv_error_set(err, MTV_EIO, "ledger", "%s '%s': %s", what, path,
                         errno != 0 ? strerror(errno) : "injected fault");
}

static int fsync_dir(const char *path, struct mtv_error *err)
{
    char *copy = mtv_strdup(path);
    const char *dir = copy != NULL ? dirname(copy) : NULL;
    int fd = dir != NULL ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    int rc = 0;

    if (fd < 0 || fsync(fd) < 0) {
        rc = io_fail(err, "cannot fsync the directory of", path);
    }
    if (fd >= 0) {
        close(fd);
    }
    free(copy);
    return rc;
}

/* Write text to tmp (two halves, with the fault stages), fsync, close. */
static int write_tmp(const char *tmp, const char *text, size_t n,
                     struct mtv_error *err)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = 0;

    if (fd < 0) {
        return io_fail(err, "cannot create", tmp);
    }
    errno = 0;
    if (write_all(fd, text, n / 2) < 0 || fault("half-written") < 0 ||
        write_all(fd, text + n / 2, n - n / 2) < 0 || fault("written") < 0 ||
        fsync(fd) < 0) {
        rc = io_fail(err, "cannot write", tmp);
    }
    if (close(fd) < 0 && rc == 0) {
        rc = io_fail(err, "cannot close", tmp);
    }
    return rc;
}

static int atomic_write(const char *path, const char *text,
                        struct mtv_error *err)
{
    char *tmp = mtv_strdup_printf("%s.tmp", path);
    int rc;

    if (tmp == NULL) {
        return nomem(err);
    }
    rc = write_tmp(tmp, text, strlen(text), err);
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = io_fail(err, "cannot rename the ledger to", path);
    }
    if (rc < 0) {
        unlink(tmp);
    }
    errno = 0;
    if (rc == 0 && fault("renamed") < 0) {
        rc = io_fail(err, "cannot sync", path);
    }
    rc = rc < 0 ? rc : fsync_dir(path, err);
    free(tmp);
    return rc;
}

/* Serialise and write. Caller holds the mutex. */
static int flush_locked(const struct mtv_ledger *l, struct mtv_error *err)
{
    struct mtv_json *j = ledger_json(l);
    struct mtv_buf b = MTV_BUF_INIT;
    char *text = NULL;
    int rc;

    text = j != NULL ? mtv_json_print(j, true) : NULL;
    mtv_json_free(j);
    if (text == NULL || mtv_buf_puts(&b, text) < 0) {
        free(text);
        mtv_buf_dispose(&b);
        return nomem(err);
    }
    /* defence in depth: no registered secret on disk, and say so */
    mtv_redact(&b);
    if (strcmp(b.data, text) != 0 || b.len != strlen(text)) {
        mtv_log(MTV_LOG_WARN, "ledger",
                "a secret appeared in the ledger text (an object name or "
                "URL?) and was replaced by '***' in '%s'",
                l->path);
    }
    free(text);
    rc = mtv_buf_puts(&b, "\n");
    rc = rc < 0 ? nomem(err) : atomic_write(l->path, b.data, err);
    mtv_buf_dispose(&b);
    return rc;
}

/* ------------------------------------------------------- create, load */

static int set_info(struct mtv_ledger *l, const struct mtv_ledger_info *info)
{
    l->session = mtv_strdup(info->session_id);
    l->cluster_url = strip_userinfo(info->cluster_url);
    l->vcenter_url = strip_userinfo(info->vcenter_url);
    if (l->session == NULL ||
        (info->cluster_url != NULL && l->cluster_url == NULL) ||
        (info->vcenter_url != NULL && l->vcenter_url == NULL)) {
        return MTV_ENOMEM;
    }
    return 0;
}

static int check_replaceable(const char *path, struct mtv_error *err);

int mtv_ledger_create(struct mtv_ledger **out, const char *path,
                      const struct mtv_ledger_info *info, struct mtv_error *err)
{
    struct mtv_ledger *l = NULL;
    int rc;

    if (out == NULL || *out != NULL || path == NULL || path[0] == '\0' ||
        info == NULL || info->session_id == NULL ||
        info->session_id[0] == '\0') {
        return mtv_error_set(err, MTV_EINVAL, "ledger",
                             "a path and a session id are required");
    }
    rc = check_replaceable(path, err);
    if (rc < 0) {
        return rc;
    }
    l = ledger_new(path);
    if (l == NULL || set_info(l, info) < 0) {
        mtv_ledger_free(l);
        return nomem(err);
    }
    l->created_ms = mtv_wall_ms();
    rc = flush_locked(l, err);
    if (rc < 0) {
        mtv_ledger_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

static int read_file(const char *path, struct mtv_buf *b, struct mtv_error *err)
{
    FILE *f = fopen(path, "re");
    char chunk[8192];
    size_t n;
    int rc = 0;

    if (f == NULL) {
        return mtv_error_set(err, errno == ENOENT ? MTV_ENOTFOUND : MTV_EIO,
                             "ledger", "cannot open '%s': %s", path,
                             strerror(errno));
    }
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = mtv_buf_append(b, chunk, n);
    }
    if (rc == 0 && ferror(f)) {
        rc = mtv_error_set(err, MTV_EIO, "ledger", "cannot read '%s'", path);
    } else if (rc < 0) {
        rc = mtv_error_set(err, rc, "ledger", "'%s' is too large", path);
    }
    fclose(f);
    return rc;
}

static int dup_field(char **dst, const struct mtv_json *j, const char *key,
                     bool required, struct mtv_error *err)
{
    const char *s = NULL;
    int rc = mtv_json_get_string(j, key, &s, err);

    if (rc == MTV_ENOTFOUND && !required) {
        mtv_error_clear(err);
        return 0;
    }
    if (rc < 0) {
        return rc;
    }
    *dst = mtv_strdup(s);
    return *dst != NULL ? 0 : nomem(err);
}

static int state_of(const char *s, enum mtv_ledger_state *out)
{
    for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
        if (mtv_str_eq(s, state_names[i])) {
            *out = (enum mtv_ledger_state)i;
            return 0;
        }
    }
    return MTV_EPROTO;
}

static int load_entry(struct entry *e, const struct mtv_json *j,
                      struct mtv_error *err)
{
    long long seq = 0;
    const char *st = mtv_json_string_or(j, "state", "recorded");
    const char *rec = mtv_json_string_or(j, "recorded", NULL);
    const struct mtv_json *restore = mtv_json_get(j, "restore");
    int rc = mtv_json_get_int(j, "seq", &seq, err);

    rc = rc < 0 ? rc : dup_field(&e->kind, j, "kind", true, err);
    rc = rc < 0 ? rc : dup_field(&e->name, j, "name", true, err);
    rc = rc < 0 ? rc : dup_field(&e->api_version, j, "apiVersion", false, err);
    rc = rc < 0 ? rc : dup_field(&e->ns, j, "namespace", false, err);
    rc = rc < 0 ? rc : dup_field(&e->moref, j, "moref", false, err);
    rc = rc < 0 ? rc : dup_field(&e->scenario, j, "scenario", false, err);
    if (rc == 0 && (seq < 1 || state_of(st, &e->state) < 0)) {
        rc = mtv_error_set(err, MTV_EPROTO, "ledger", "bad seq or state '%s'",
                           st);
    }
    if (rc == 0 && restore != NULL) {
        e->restore = mtv_json_dup(restore);
        rc = e->restore != NULL ? 0 : nomem(err);
    }
    e->seq = (size_t)seq;
    if (rec == NULL || mtv_time_parse_rfc3339(rec, &e->recorded_ms) < 0) {
        e->recorded_ms = 0;
    }
    return rc;
}

static int load_entries(struct mtv_ledger *l, const struct mtv_json *objs,
                        struct mtv_error *err)
{
    size_t n = mtv_json_size(objs);
    size_t i = 0;

    if (mtv_json_type(objs) != MTV_JSON_ARRAY) {
        return mtv_error_set(err, MTV_EPROTO, "ledger",
                             "objects: expected array");
    }
    l->e = calloc(n > 0 ? n : 1, sizeof(*l->e));
    if (l->e == NULL) {
        return nomem(err);
    }
    l->cap = n > 0 ? n : 1;
    for (const struct mtv_json *j = mtv_json_first(objs); j != NULL;
         j = mtv_json_next(j), i++) {
        l->len++;
        int rc = load_entry(&l->e[i], j, err);
        if (rc < 0) {
            return mtv_error_prefix(err, "objects[%zu]", i);
        }
        if (l->e[i].seq >= l->next_seq) {
            l->next_seq = l->e[i].seq + 1;
        }
    }
    return 0;
}

static int load_json(struct mtv_ledger *l, const struct mtv_json *j,
                     struct mtv_error *err)
{
    const char *created = mtv_json_string_or(j, "created", NULL);
    int rc = 0;

    if (!mtv_str_eq(mtv_json_string_or(j, "format", NULL), MTV_LEDGER_FORMAT)) {
        return mtv_error_set(err, MTV_EPROTO, "ledger", "format: expected '%s'",
                             MTV_LEDGER_FORMAT);
    }
    rc = dup_field(&l->session, j, "session_id", true, err);
    rc = rc < 0 ? rc : dup_field(&l->cluster_url, j, "cluster_url", false, err);
    rc = rc < 0 ? rc : dup_field(&l->vcenter_url, j, "vcenter_url", false, err);
    if (created == NULL ||
        mtv_time_parse_rfc3339(created, &l->created_ms) < 0) {
        l->created_ms = 0;
    }
    return rc < 0 ? rc : load_entries(l, mtv_json_get(j, "objects"), err);
}

int mtv_ledger_load(struct mtv_ledger **out, const char *path,
                    struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct mtv_json *j = NULL;
    struct mtv_ledger *l = NULL;
    int rc;

    if (out == NULL || *out != NULL || path == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "ledger", "bad arguments");
    }
    rc = read_file(path, &b, err);
    rc = rc < 0 ? rc
                : mtv_json_parse(&j, b.data != NULL ? b.data : "", b.len, NULL,
                                 err);
    if (rc == 0) {
        l = ledger_new(path);
        rc = l != NULL ? load_json(l, j, err) : nomem(err);
    }
    if (rc < 0) {
        mtv_error_prefix(err, "ledger '%s'", path);
        mtv_ledger_free(l);
        l = NULL;
    }
    mtv_json_free(j);
    mtv_buf_dispose(&b);
    if (rc == 0) {
        *out = l;
    }
    return rc;
}

/* An existing file may be replaced only when it is a fully torn-down ledger. */
static int check_replaceable(const char *path, struct mtv_error *err)
{
    struct mtv_ledger *old = NULL;
    struct mtv_error lerr;
    size_t live;
    int rc = mtv_ledger_load(&old, path, &lerr);

    if (rc == MTV_ENOTFOUND) {
        return 0;
    }
    if (rc < 0) {
        return mtv_error_set(err, MTV_ECONFIG, "ledger",
                             "'%s' exists and is not a readable ledger (%s); "
                             "remove it or pass another --ledger",
                             path, lerr.msg);
    }
    live = mtv_ledger_count_live(old);
    if (live > 0) {
        rc = mtv_error_set(err, MTV_ECONFIG, "ledger",
                           "ledger '%s' of session '%s' still lists %zu "
                           "objects; run 'mtvtest clean --ledger %s' first "
                           "or pass another --ledger",
                           path, old->session, live, path);
    }
    mtv_ledger_free(old);
    return rc;
}

const char *mtv_ledger_session(const struct mtv_ledger *l)
{
    return l->session;
}

const char *mtv_ledger_cluster_url(const struct mtv_ledger *l)
{
    return l->cluster_url;
}

const char *mtv_ledger_vcenter_url(const struct mtv_ledger *l)
{
    return l->vcenter_url;
}

const char *mtv_ledger_path(const struct mtv_ledger *l)
{
    return l->path;
}

/* ----------------------------------------------------------- recording */

static int entry_fill(struct entry *e, const struct mtv_ledger_obj *o)
{
    e->kind = mtv_strdup(o->kind);
    e->api_version = mtv_strdup(o->api_version);
    e->ns = mtv_strdup(o->ns);
    e->name = mtv_strdup(o->name);
    e->moref = mtv_strdup(o->moref);
    e->scenario = mtv_strdup(o->scenario);
    e->restore = o->restore != NULL ? mtv_json_dup(o->restore) : NULL;
    e->state = MTV_LEDGER_RECORDED;
    e->recorded_ms = mtv_wall_ms();
    if (e->kind == NULL || e->name == NULL ||
        (o->api_version != NULL && e->api_version == NULL) ||
        (o->ns != NULL && e->ns == NULL) ||
        (o->moref != NULL && e->moref == NULL) ||
        (o->scenario != NULL && e->scenario == NULL) ||
        (o->restore != NULL && e->restore == NULL)) {
        return MTV_ENOMEM;
    }
    return 0;
}

static int grow(struct mtv_ledger *l)
{
    size_t cap = l->cap == 0 ? 16 : l->cap * 2;
    struct entry *e = NULL;

    if (l->len < l->cap) {
        return 0;
    }
    e = realloc(l->e, cap * sizeof(*e));
    if (e == NULL) {
        return MTV_ENOMEM;
    }
    l->e = e;
    l->cap = cap;
    return 0;
}

int mtv_ledger_record(struct mtv_ledger *l, const struct mtv_ledger_obj *obj,
                      size_t *seq_out, struct mtv_error *err)
{
    struct entry *e = NULL;
    int rc;

    if (l == NULL || obj == NULL || obj->kind == NULL || obj->name == NULL ||
        obj->name[0] == '\0') {
        return mtv_error_set(err, MTV_EINVAL, "ledger",
                             "record: kind and name are required");
    }
    pthread_mutex_lock(&l->mu);
    rc = grow(l);
    if (rc == 0) {
        e = &l->e[l->len];
        memset(e, 0, sizeof(*e));
        e->seq = l->next_seq;
        rc = entry_fill(e, obj);
    }
    if (rc < 0) {
        rc = nomem(err);
    } else {
        l->len++;
        rc = flush_locked(l, err);
        if (rc < 0) {
            l->len--; /* in memory as on disk: the previous state */
        } else {
            l->next_seq++;
            if (seq_out != NULL) {
                *seq_out = e->seq;
            }
        }
    }
    if (rc < 0 && e != NULL) {
        entry_dispose(e);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static struct entry *find_locked(struct mtv_ledger *l, size_t seq)
{
    for (size_t i = 0; i < l->len; i++) {
        if (l->e[i].seq == seq) {
            return &l->e[i];
        }
    }
    return NULL;
}

int mtv_ledger_mark(struct mtv_ledger *l, size_t seq,
                    enum mtv_ledger_state state, struct mtv_error *err)
{
    struct entry *e = NULL;
    enum mtv_ledger_state old;
    int rc;

    if (l == NULL || (unsigned)state > MTV_LEDGER_GONE) {
        return mtv_error_set(err, MTV_EINVAL, "ledger", "mark: bad arguments");
    }
    pthread_mutex_lock(&l->mu);
    e = find_locked(l, seq);
    if (e == NULL) {
        rc = mtv_error_set(err, MTV_ENOTFOUND, "ledger", "no ledger entry %zu",
                           seq);
    } else {
        old = e->state;
        e->state = state;
        rc = flush_locked(l, err);
        if (rc < 0) {
            e->state = old;
        }
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int mtv_ledger_set_moref(struct mtv_ledger *l, size_t seq, const char *moref,
                         struct mtv_error *err)
{
    struct entry *e = NULL;
    char *copy = mtv_strdup(moref);
    int rc;

    if (l == NULL || copy == NULL) {
        free(copy);
        return mtv_error_set(err, MTV_EINVAL, "ledger",
                             "set moref: bad arguments");
    }
    pthread_mutex_lock(&l->mu);
    e = find_locked(l, seq);
    if (e == NULL) {
        rc = mtv_error_set(err, MTV_ENOTFOUND, "ledger", "no ledger entry %zu",
                           seq);
        free(copy);
    } else {
        char *old = e->moref;
        e->moref = copy;
        rc = flush_locked(l, err);
        if (rc < 0) {
            e->moref = old;
            free(copy);
        } else {
            free(old);
        }
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

size_t mtv_ledger_count(const struct mtv_ledger *l)
{
    size_t n;

    pthread_mutex_lock((pthread_mutex_t *)&l->mu);
    n = l->len;
    pthread_mutex_unlock((pthread_mutex_t *)&l->mu);
    return n;
}

size_t mtv_ledger_count_live(const struct mtv_ledger *l)
{
    size_t n = 0;

    pthread_mutex_lock((pthread_mutex_t *)&l->mu);
    for (size_t i = 0; i < l->len; i++) {
        n += l->e[i].state != MTV_LEDGER_GONE;
    }
    pthread_mutex_unlock((pthread_mutex_t *)&l->mu);
    return n;
}

int mtv_ledger_get_entry(const struct mtv_ledger *l, size_t i,
                         struct mtv_ledger_entry *out)
{
    const struct entry *e = NULL;
    int rc = 0;

    pthread_mutex_lock((pthread_mutex_t *)&l->mu);
    if (i >= l->len) {
        rc = MTV_EINVAL;
    } else {
        e = &l->e[i];
        *out = (struct mtv_ledger_entry){
            e->seq,   e->kind,     e->api_version, e->ns,   e->name,
            e->moref, e->scenario, e->restore,     e->state};
    }
    pthread_mutex_unlock((pthread_mutex_t *)&l->mu);
    return rc;
}
