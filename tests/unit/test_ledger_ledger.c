/* ledger: crash-safe writes, reload, thread-safety, no secrets, teardown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mtv/ledger.h"
#include "runner/ledger_priv.h"

#define FL "forklift.konveyor.io/v1beta1"

struct fx {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/mtv-ledger-XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/ledger.json", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    char tmp[160];

    mtv_ledger__set_fault(NULL, NULL);
    snprintf(tmp, sizeof(tmp), "%s.tmp", fx->path);
    unlink(tmp);
    unlink(fx->path);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    struct mtv_buf b = MTV_BUF_INIT;
    char chunk[4096];
    size_t n;

    if (f == NULL) {
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        mtv_buf_append(&b, chunk, n);
    }
    fclose(f);
    return mtv_buf_detach(&b);
}

static const struct mtv_ledger_info info = {
    "auto-ab12", "https://api.lab.example:6443", "https://vc.example/sdk"};

static void record(struct mtv_ledger *l, const char *kind, const char *ns,
                   const char *name, size_t *seq)
{
    struct mtv_ledger_obj o = {kind, NULL, ns, name, NULL, NULL, NULL};
    struct mtv_td_resource r;
    char av[128];

    if (mtv_td_resource_of(&r, kind) == 0) {
        snprintf(av, sizeof(av), "%s%s%s", r.group, r.group[0] ? "/" : "",
                 r.version);
        o.api_version = av;
    }
    o.scenario = "test_sanity_warm_mtv_migration";
    assert_int_equal(mtv_ledger_record(l, &o, seq, NULL), 0);
}

static void test_ledger__written_before_return(void **state)
{
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    struct mtv_ledger *back = NULL;
    struct mtv_ledger_entry e;
    size_t seq = 0;

    assert_int_equal(mtv_ledger_create(&l, fx->path, &info, NULL), 0);
    assert_int_equal(access(fx->path, R_OK), 0); /* header at once */
    record(l, "Plan", "auto-ab12", "auto-ab12-source-vsphere-8-0-q1w2-warm",
           &seq);
    assert_int_equal(seq, 1);
    /* another reader (a crash right now) already sees the entry */
    assert_int_equal(mtv_ledger_load(&back, fx->path, NULL), 0);
    assert_int_equal(mtv_ledger_count(back), 1);
    assert_int_equal(mtv_ledger_get_entry(back, 0, &e), 0);
    assert_string_equal(e.kind, "Plan");
    assert_string_equal(e.api_version, FL);
    assert_string_equal(e.ns, "auto-ab12");
    assert_string_equal(e.scenario, "test_sanity_warm_mtv_migration");
    assert_int_equal(e.state, MTV_LEDGER_RECORDED);
    assert_string_equal(mtv_ledger_session(back), "auto-ab12");
    assert_string_equal(mtv_ledger_cluster_url(back),
                        "https://api.lab.example:6443");
    assert_string_equal(mtv_ledger_vcenter_url(back), "https://vc.example/sdk");
    mtv_ledger_free(back);
    mtv_ledger_free(l);
}

static void test_ledger__marks_and_moref_survive_reload(void **state)
{
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    struct mtv_ledger_obj clone = {MTV_LEDGER_KIND_CLONE,
                                   NULL,
                                   NULL,
                                   "auto-ab12-rhel8-nfs-warm-k3j9",
                                   NULL,
                                   "test_sanity_warm_mtv_migration",
                                   NULL};
    struct mtv_ledger_entry e;
    size_t s1 = 0;
    size_t s2 = 0;

    assert_int_equal(mtv_ledger_create(&l, fx->path, &info, NULL), 0);
    record(l, "Namespace", NULL, "auto-ab12", &s1);
    assert_int_equal(mtv_ledger_record(l, &clone, &s2, NULL), 0);
    assert_int_equal(mtv_ledger_mark(l, s1, MTV_LEDGER_CREATED, NULL), 0);
    assert_int_equal(mtv_ledger_set_moref(l, s2, "vm-77", NULL), 0);
    assert_int_equal(mtv_ledger_mark(l, s2, MTV_LEDGER_GONE, NULL), 0);
    assert_int_equal(mtv_ledger_mark(l, 99, MTV_LEDGER_GONE, NULL),
                     MTV_ENOTFOUND);
    mtv_ledger_free(l);
    l = NULL;
    assert_int_equal(mtv_ledger_load(&l, fx->path, NULL), 0);
    assert_int_equal(mtv_ledger_count(l), 2);
    assert_int_equal(mtv_ledger_count_live(l), 1);
    assert_int_equal(mtv_ledger_get_entry(l, 0, &e), 0);
    assert_int_equal(e.state, MTV_LEDGER_CREATED);
    assert_null(e.ns);
    assert_int_equal(mtv_ledger_get_entry(l, 1, &e), 0);
    assert_string_equal(e.moref, "vm-77");
    assert_int_equal(e.state, MTV_LEDGER_GONE);
    assert_int_equal(mtv_ledger_get_entry(l, 2, &e), MTV_EINVAL);
    /* appending after a reload continues the sequence */
    record(l, "Secret", "auto-ab12", "s", &s1);
    assert_int_equal(s1, 3);
    mtv_ledger_free(l);
}

static int kill_at_half(const char *stage, void *payload)
{
    (void)payload;
    if (strcmp(stage, "half-written") == 0) {
        raise(SIGKILL); /* a crash in the middle of the temp file */
    }
    return 0;
}

static void test_ledger__crash_mid_write_keeps_good_file(void **state)
{
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    char tmp[160];
    char *partial = NULL;
    struct mtv_json *j = NULL;
    int status = 0;
    size_t seq = 0;
    pid_t pid;

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct mtv_ledger *c = NULL;
        struct mtv_ledger_obj o = {"Plan", FL,   "auto-ab12", "p1",
                                   NULL,   NULL, NULL};
        if (mtv_ledger_create(&c, fx->path, &info, NULL) < 0 ||
            mtv_ledger_record(c, &o, NULL, NULL) < 0) {
            _exit(3);
        }
        o.name = "p2";
        if (mtv_ledger_record(c, &o, NULL, NULL) < 0) {
            _exit(3);
        }
        mtv_ledger__set_fault(kill_at_half, NULL);
        o.name = "p3-never-complete";
        mtv_ledger_record(c, &o, NULL, NULL);
        _exit(4); /* not reached */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* the partial temp file is there and is not valid JSON */
    snprintf(tmp, sizeof(tmp), "%s.tmp", fx->path);
    partial = slurp(tmp);
    assert_non_null(partial);
    assert_int_not_equal(
        mtv_json_parse(&j, partial, strlen(partial), NULL, NULL), 0);
    free(partial);
    /* the ledger is the last good one: p1 and p2 */
    assert_int_equal(mtv_ledger_load(&l, fx->path, NULL), 0);
    assert_int_equal(mtv_ledger_count(l), 2);
    record(l, "Migration", "auto-ab12", "m1", &seq);
    assert_int_equal(seq, 3);
    mtv_ledger_free(l);
    assert_int_not_equal(access(tmp, F_OK), 0); /* replaced by the rename */
}

static int fail_stage(const char *stage, void *payload)
{
    return strcmp(stage, payload) == 0 ? -1 : 0;
}

static void test_ledger__failed_write_changes_nothing(void **state)
{
    static const char *const stages[] = {"half-written", "written"};
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    struct mtv_ledger *back = NULL;
    struct mtv_error err;
    char tmp[160];
    size_t seq = 0;

    snprintf(tmp, sizeof(tmp), "%s.tmp", fx->path);
    assert_int_equal(mtv_ledger_create(&l, fx->path, &info, NULL), 0);
    record(l, "Plan", "auto-ab12", "p1", NULL);
    for (size_t i = 0; i < 2; i++) {
        struct mtv_ledger_obj o = {"Plan", FL,   "auto-ab12", "p2",
                                   NULL,   NULL, NULL};
        mtv_ledger__set_fault(fail_stage, (void *)stages[i]);
        assert_int_equal(mtv_ledger_record(l, &o, &seq, &err), MTV_EIO);
        assert_non_null(strstr(err.msg, "cannot write"));
        mtv_ledger__set_fault(NULL, NULL);
        assert_int_equal(mtv_ledger_count(l), 1);
        assert_int_not_equal(access(tmp, F_OK), 0); /* cleaned up */
        assert_int_equal(mtv_ledger_load(&back, fx->path, NULL), 0);
        assert_int_equal(mtv_ledger_count(back), 1);
        mtv_ledger_free(back);
        back = NULL;
    }
    record(l, "Plan", "auto-ab12", "p2", &seq);
    assert_int_equal(seq, 2);
    mtv_ledger_free(l);
}

static void capture(enum mtv_log_level level, const char *domain,
                    const char *line, void *payload)
{
    (void)level;
    (void)domain;
    mtv_buf_puts(payload, line);
}

static void test_ledger__holds_no_secret(void **state)
{
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    struct mtv_ledger_info with_creds = {
        "auto-ab12", "https://kubeadmin:Kube-Pass-Secret1@api.x:6443/",
        "https://administrator%40vsphere.local:VcPass-Secret2@vc.x/sdk"};
    struct mtv_ledger_obj o = {"Secret", "v1", "auto-ab12",
                               "s1",     NULL, "scenario-with-Token-Secret3",
                               NULL};
    char *text = NULL;
    struct mtv_buf logged = MTV_BUF_INIT;

    mtv_log_set_sink(capture, &logged);
    mtv_log_add_secret("Token-Secret3");
    assert_int_equal(mtv_ledger_create(&l, fx->path, &with_creds, NULL), 0);
    assert_int_equal(mtv_ledger_record(l, &o, NULL, NULL), 0);
    assert_string_equal(mtv_ledger_cluster_url(l), "https://api.x:6443/");
    assert_string_equal(mtv_ledger_vcenter_url(l), "https://vc.x/sdk");
    text = slurp(fx->path);
    assert_non_null(text);
    assert_null(strstr(text, "Kube-Pass-Secret1"));
    assert_null(strstr(text, "VcPass-Secret2"));
    assert_null(strstr(text, "administrator"));
    assert_null(strstr(text, "Token-Secret3"));
    assert_non_null(strstr(text, "\"session_id\""));
    assert_non_null(strstr(text, "scenario-with-***"));
    mtv_log_set_sink(NULL, NULL);
    assert_non_null(logged.data);
    assert_non_null(strstr(logged.data, "a secret appeared in the ledger"));
    mtv_buf_dispose(&logged);
    free(text);
    mtv_ledger_free(l);
    mtv_log_clear_secrets();
}

struct worker {
    struct mtv_ledger *l;
    int id;
};

static void *work(void *p)
{
    struct worker *w = p;
    char name[32];

    for (int i = 0; i < 25; i++) {
        struct mtv_ledger_obj o = {"Secret", "v1", "auto-ab12", name,
                                   NULL,     NULL, NULL};
        snprintf(name, sizeof(name), "w%d-%d", w->id, i);
        if (mtv_ledger_record(w->l, &o, NULL, NULL) < 0) {
            return (void *)1;
        }
    }
    return NULL;
}

static void test_ledger__parallel_workers(void **state)
{
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    struct mtv_ledger *back = NULL;
    pthread_t t[4];
    struct worker w[4];
    bool seen[101] = {false};

    assert_int_equal(mtv_ledger_create(&l, fx->path, &info, NULL), 0);
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){l, i};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *rc = NULL;
        assert_int_equal(pthread_join(t[i], &rc), 0);
        assert_null(rc);
    }
    assert_int_equal(mtv_ledger_load(&back, fx->path, NULL), 0);
    assert_int_equal(mtv_ledger_count(back), 100);
    for (size_t i = 0; i < 100; i++) {
        struct mtv_ledger_entry e;
        assert_int_equal(mtv_ledger_get_entry(back, i, &e), 0);
        assert_true(e.seq >= 1 && e.seq <= 100 && !seen[e.seq]);
        seen[e.seq] = true;
    }
    mtv_ledger_free(back);
    mtv_ledger_free(l);
}

static void test_ledger__load_errors(void **state)
{
    static const struct {
        const char *text;
        int rc;
        const char *msg;
    } cases[] = {
        {"{\"format\": \"other\"}", MTV_EPROTO, "format"},
        {"{\"format\": \"mtvtest-ledger/1\", \"objects\": []}", MTV_ENOTFOUND,
         "session_id"},
        {"{\"format\": \"mtvtest-ledger/1\", \"session_id\": \"a\", "
         "\"objects\": [{\"seq\": 1, \"kind\": \"Plan\"}]}",
         MTV_ENOTFOUND, "objects[0]"},
        {"{\"format\": \"mtvtest-ledger/1\", \"session_id\": \"a\", "
         "\"objects\": [{\"seq\": 1, \"kind\": \"Plan\", \"name\": \"p\", "
         "\"state\": \"exploded\"}]}",
         MTV_EPROTO, "state"},
        {"{\"format\": \"mtvtest-ledger/1\", \"ses", MTV_EPROTO, "invalid"},
    };
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    struct mtv_error err;

    assert_int_equal(mtv_ledger_load(&l, fx->path, &err), MTV_ENOTFOUND);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        FILE *f = fopen(fx->path, "w");
        fputs(cases[i].text, f);
        fclose(f);
        assert_int_equal(mtv_ledger_load(&l, fx->path, &err), cases[i].rc);
        assert_null(l);
        if (strstr(err.msg, cases[i].msg) == NULL) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
    }
}

static void test_ledger__create_keeps_a_live_ledger(void **state)
{
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    struct mtv_ledger *again = NULL;
    struct mtv_ledger_info other = {"auto-cd34", NULL, NULL};
    struct mtv_error err;
    FILE *f = NULL;
    size_t seq = 0;

    assert_int_equal(mtv_ledger_create(&l, fx->path, &info, NULL), 0);
    record(l, "Namespace", NULL, "auto-ab12", &seq);
    /* a second run must not clobber what the first one left */
    assert_int_equal(mtv_ledger_create(&again, fx->path, &other, &err),
                     MTV_ECONFIG);
    assert_null(again);
    assert_non_null(strstr(err.msg, "still lists 1 objects"));
    assert_non_null(strstr(err.msg, "mtvtest clean --ledger"));
    assert_int_equal(mtv_ledger_load(&again, fx->path, NULL), 0);
    assert_string_equal(mtv_ledger_session(again), "auto-ab12");
    mtv_ledger_free(again);
    again = NULL;
    /* once everything is gone, a new run may reuse the path */
    assert_int_equal(mtv_ledger_mark(l, seq, MTV_LEDGER_GONE, NULL), 0);
    assert_int_equal(mtv_ledger_create(&again, fx->path, &other, NULL), 0);
    assert_int_equal(mtv_ledger_count(again), 0);
    mtv_ledger_free(again);
    again = NULL;
    mtv_ledger_free(l);
    /* a file that is not a ledger is left alone */
    f = fopen(fx->path, "w");
    fputs("precious notes", f);
    fclose(f);
    assert_int_equal(mtv_ledger_create(&again, fx->path, &other, &err),
                     MTV_ECONFIG);
    assert_non_null(strstr(err.msg, "not a readable ledger"));
}

/* ---------------------------------------------------------- teardown */

struct want {
    enum mtv_td_verb verb;
    const char *kind;
    const char *ns;
    const char *name;
    const char *contains;
};

static void assert_plan(const struct mtv_td_plan *p, const struct want *w,
                        size_t n)
{
    for (size_t i = 0; i < n && i < p->len; i++) {
        const struct mtv_td_action *a = &p->actions[i];
        if (a->verb != w[i].verb || !mtv_str_eq(a->kind, w[i].kind) ||
            !mtv_str_eq(a->ns, w[i].ns) || !mtv_str_eq(a->name, w[i].name) ||
            !mtv_str_eq(a->name_contains, w[i].contains)) {
            fail_msg("action %zu: got %s %s %s/%s (%s)", i,
                     mtv_td_verb_name(a->verb), a->kind, a->ns ? a->ns : "-",
                     a->name ? a->name : "-",
                     a->name_contains ? a->name_contains : "-");
        }
    }
    assert_int_equal(p->len, n);
}

static void test_ledger__teardown_order(void **state)
{
    static const struct want want[] = {
        {MTV_TD_RESTORE, "ForkliftController", "openshift-mtv",
         "forklift-controller", NULL},
        {MTV_TD_CANCEL, "Migration", "auto-ab12", "mig", NULL},
        {MTV_TD_ARCHIVE, "Plan", "auto-ab12", "plan", NULL},
        {MTV_TD_DELETE, "Migration", "auto-ab12", "mig", NULL},
        {MTV_TD_DELETE, "Plan", "auto-ab12", "plan", NULL},
        {MTV_TD_DELETE, "Provider", "auto-ab12", "dst", NULL},
        {MTV_TD_DELETE, "Provider", "auto-ab12", "src", NULL},
        {MTV_TD_DELETE, "Secret", "auto-ab12", "src-secret", NULL},
        {MTV_TD_DELETE, "NetworkAttachmentDefinition", "default", "cb-ab12-0-2",
         NULL},
        {MTV_TD_DELETE, "NetworkAttachmentDefinition", "default", "cb-ab12-0-1",
         NULL},
        {MTV_TD_DELETE, "StorageMap", "auto-ab12", "sm", NULL},
        {MTV_TD_DELETE, "NetworkMap", "auto-ab12", "nm", NULL},
        {MTV_TD_DELETE, "VirtualMachine", "custom-vm-namespace", "vm1", NULL},
        {MTV_TD_DELETE, "Hook", "auto-ab12", "hook", NULL},
        {MTV_TD_SWEEP, "VirtualMachine", "auto-ab12", NULL, NULL},
        {MTV_TD_SWEEP, "Pod", "auto-ab12", NULL, "auto-ab12"},
        {MTV_TD_SWEEP, "DataVolume", "auto-ab12", NULL, "auto-ab12"},
        {MTV_TD_SWEEP, "PersistentVolumeClaim", "auto-ab12", NULL, "auto-ab12"},
        {MTV_TD_SWEEP, "PersistentVolume", NULL, NULL, "auto-ab12"},
        {MTV_TD_DELETE, "Namespace", NULL, "auto-ab12", NULL},
        {MTV_TD_DESTROY_CLONE, MTV_LEDGER_KIND_CLONE, NULL, "clone-b", NULL},
        {MTV_TD_DESTROY_CLONE, MTV_LEDGER_KIND_CLONE, NULL, "clone-a", NULL},
    };
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    struct mtv_td_plan plan = MTV_TD_PLAN_INIT;
    struct mtv_json *restore = mtv_json_new_object();
    struct mtv_ledger_obj fc = {"ForkliftController",
                                FL,
                                "openshift-mtv",
                                "forklift-controller",
                                NULL,
                                NULL,
                                restore};
    struct mtv_ledger_obj clone = {
        MTV_LEDGER_KIND_CLONE, NULL, NULL, "clone-a", "vm-1", "s", NULL};
    size_t gone = 0;

    assert_int_equal(
        mtv_json_set_null(restore, "spec.controller_precopy_interval"), 0);
    assert_int_equal(mtv_ledger_create(&l, fx->path, &info, NULL), 0);
    /* in the order the flow creates things */
    assert_int_equal(mtv_ledger_record(l, &fc, NULL, NULL), 0);
    record(l, "Namespace", NULL, "auto-ab12", NULL);
    record(l, "Secret", "auto-ab12", "src-secret", NULL);
    record(l, "Secret", "auto-ab12", "gone-secret", &gone);
    record(l, "Provider", "auto-ab12", "src", NULL);
    record(l, "Provider", "auto-ab12", "dst", NULL);
    assert_int_equal(mtv_ledger_record(l, &clone, NULL, NULL), 0);
    clone.name = "clone-b";
    assert_int_equal(mtv_ledger_record(l, &clone, NULL, NULL), 0);
    record(l, "StorageMap", "auto-ab12", "sm", NULL);
    record(l, "NetworkAttachmentDefinition", "default", "cb-ab12-0-1", NULL);
    record(l, "NetworkAttachmentDefinition", "default", "cb-ab12-0-2", NULL);
    record(l, "NetworkMap", "auto-ab12", "nm", NULL);
    record(l, "Hook", "auto-ab12", "hook", NULL);
    record(l, "Plan", "auto-ab12", "plan", NULL);
    record(l, "VirtualMachine", "custom-vm-namespace", "vm1", NULL);
    record(l, "Migration", "auto-ab12", "mig", NULL);
    assert_int_equal(mtv_ledger_mark(l, gone, MTV_LEDGER_GONE, NULL), 0);

    assert_int_equal(mtv_ledger_teardown_plan(&plan, l, NULL), 0);
    assert_plan(&plan, want, sizeof(want) / sizeof(want[0]));
    /* the details an executor needs */
    assert_string_equal(plan.actions[0].res.resource, "forkliftcontrollers");
    assert_true(mtv_json_equal(plan.actions[0].patch, restore));
    assert_string_equal(plan.actions[3].res.group, "forklift.konveyor.io");
    assert_string_equal(plan.actions[3].api_version, FL);
    assert_true(plan.actions[3].seq > 0);
    assert_string_equal(plan.actions[8].res.resource,
                        "network-attachment-definitions");
    assert_string_equal(plan.actions[8].api_version, "k8s.cni.cncf.io/v1");
    assert_string_equal(plan.actions[16].api_version,
                        "cdi.kubevirt.io/v1beta1"); /* DataVolume sweep */
    assert_string_equal(plan.actions[19].api_version, "v1");
    assert_false(plan.actions[19].res.namespaced);
    assert_string_equal(plan.actions[21].moref, "vm-1");
    assert_null(plan.actions[21].res.resource);
    assert_null(plan.actions[21].api_version);
    assert_int_equal(plan.actions[14].seq, 0);
    mtv_td_plan_dispose(&plan);
    mtv_json_free(restore);
    mtv_ledger_free(l);
}

static void test_ledger__teardown_after_partial_clean(void **state)
{
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    struct mtv_td_plan plan = MTV_TD_PLAN_INIT;
    size_t ns = 0;
    size_t sec = 0;

    assert_int_equal(mtv_ledger_create(&l, fx->path, &info, NULL), 0);
    record(l, "Namespace", NULL, "auto-ab12", &ns);
    record(l, "Secret", "auto-ab12", "s", &sec);
    assert_int_equal(mtv_ledger_mark(l, sec, MTV_LEDGER_GONE, NULL), 0);
    assert_int_equal(mtv_ledger_mark(l, ns, MTV_LEDGER_GONE, NULL), 0);
    assert_int_equal(mtv_ledger_teardown_plan(&plan, l, NULL), 0);
    /* only the cluster-wide PV sweep remains */
    assert_int_equal(plan.len, 1);
    assert_int_equal(plan.actions[0].verb, MTV_TD_SWEEP);
    assert_string_equal(plan.actions[0].kind, "PersistentVolume");
    mtv_td_plan_dispose(&plan);
    mtv_ledger_free(l);
}

static void test_ledger__session_plan(void **state)
{
    struct mtv_td_plan plan = MTV_TD_PLAN_INIT;
    const struct mtv_td_action *last = NULL;
    (void)state;

    assert_int_equal(mtv_ledger_session_plan(&plan, "auto-ab12", NULL), 0);
    assert_int_equal(plan.len, 2 + 10 + 4 + 1 + 1);
    assert_int_equal(plan.actions[0].verb, MTV_TD_CANCEL);
    assert_null(plan.actions[0].name);
    assert_string_equal(plan.actions[0].label_selector,
                        "mtvtest.io/session=auto-ab12");
    assert_int_equal(plan.actions[1].verb, MTV_TD_ARCHIVE);
    for (size_t i = 2; i < 12; i++) {
        assert_int_equal(plan.actions[i].verb, MTV_TD_SWEEP);
        assert_string_equal(plan.actions[i].label_selector,
                            "mtvtest.io/session=auto-ab12");
        assert_null(plan.actions[i].ns);
    }
    assert_string_equal(plan.actions[2].kind, "Migration");
    assert_string_equal(plan.actions[12].name_contains, "auto-ab12");
    assert_string_equal(plan.actions[16].kind, "Namespace");
    last = &plan.actions[plan.len - 1];
    assert_int_equal(last->verb, MTV_TD_DESTROY_CLONE);
    assert_string_equal(last->name_contains, "auto-ab12-");
    mtv_td_plan_dispose(&plan);
    assert_int_equal(mtv_ledger_session_plan(&plan, "Bad Id", NULL),
                     MTV_EINVAL);
}

static void test_ledger__leftovers(void **state)
{
    struct fx *fx = *state;
    struct mtv_ledger *l = NULL;
    struct mtv_td_plan plan = MTV_TD_PLAN_INIT;
    struct mtv_buf out = MTV_BUF_INIT;

    assert_int_equal(mtv_ledger_create(&l, fx->path, &info, NULL), 0);
    record(l, "Secret", "auto-ab12", "s1", NULL);
    record(l, "Plan", "auto-ab12", "p1", NULL);
    assert_int_equal(mtv_ledger_teardown_plan(&plan, l, NULL), 0);
    assert_int_equal(plan.len, 4); /* archive, delete plan, secret, PV sweep */
    for (size_t i = 0; i < plan.len; i++) {
        plan.actions[i].result = MTV_TD_DONE;
    }
    plan.actions[0].result = MTV_TD_ABSENT;
    plan.actions[2].result = MTV_TD_FAILED;
    snprintf(plan.actions[2].message, sizeof(plan.actions[2].message),
             "still there after 240 s");
    plan.actions[3].result = MTV_TD_PENDING;
    assert_int_equal(mtv_td_plan_leftovers(&plan, &out), 2);
    assert_string_equal(out.data, "delete Secret auto-ab12/s1: still there "
                                  "after 240 s; sweep PersistentVolume *: "
                                  "not run");
    assert_string_equal(mtv_td_result_name(MTV_TD_ABSENT), "absent");
    mtv_buf_dispose(&out);
    mtv_td_plan_dispose(&plan);
    mtv_ledger_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ledger__written_before_return,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ledger__marks_and_moref_survive_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ledger__crash_mid_write_keeps_good_file, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ledger__failed_write_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger__holds_no_secret, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ledger__parallel_workers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ledger__load_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ledger__create_keeps_a_live_ledger,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_ledger__teardown_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_ledger__teardown_after_partial_clean, setup, teardown),
        cmocka_unit_test(test_ledger__session_plan),
        cmocka_unit_test_setup_teardown(test_ledger__leftovers, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
