/* cli: the built binary — outputs, exit codes, files, no secrets. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mtv/util.h"

#define DATA MTV_TEST_DATA_DIR
#define GOOD_PROVIDERS DATA "/providers/good.json"
#define CLUSTER_SECRET "Cluster-Secret-Value-99"

static char workdir[] = "/tmp/mtv-cli-XXXXXX";
static char binary[4096];

struct result {
    int rc;
    struct mtv_buf out;
    struct mtv_buf err;
};

static void drain(int *fds, struct mtv_buf *bufs)
{
    char chunk[4096];

    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};

        if (poll(p, 2, 30000) <= 0) {
            fail_msg("mtvtest produced no output for 30 s");
        }
        for (int i = 0; i < 2; i++) {
            ssize_t n = 0;

            if (fds[i] < 0 || p[i].revents == 0) {
                continue;
            }
            n = read(fds[i], chunk, sizeof(chunk));
            if (n <= 0) {
                close(fds[i]);
                fds[i] = -1;
            } else {
                mtv_buf_append(&bufs[i], chunk, (size_t)n);
            }
        }
    }
}

/* Run the binary in workdir with argv (NULL-terminated, no argv[0]). */
static void run(struct result *r, const char *const *args)
{
    const char *argv[40] = {binary};
    int out[2];
    int err[2];
    int fds[2];
    struct mtv_buf bufs[2] = {MTV_BUF_INIT, MTV_BUF_INIT};
    int status = 0;
    pid_t pid;

    for (size_t i = 0; args[i] != NULL && i < 38; i++) {
        argv[i + 1] = args[i];
    }
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]);
        close(err[0]);
        if (chdir(workdir) != 0) {
            _exit(99);
        }
        execv(binary, (char *const *)argv);
        _exit(98);
    }
    close(out[1]);
    close(err[1]);
    fds[0] = out[0];
    fds[1] = err[0];
    drain(fds, bufs);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    r->rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    mtv_buf_puts(&bufs[0], "");
    mtv_buf_puts(&bufs[1], "");
    r->out = bufs[0];
    r->err = bufs[1];
}

static void dispose(struct result *r)
{
    mtv_buf_dispose(&r->out);
    mtv_buf_dispose(&r->err);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct mtv_buf b = MTV_BUF_INIT;
    char chunk[4096];
    size_t n = 0;

    if (f == NULL) {
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        mtv_buf_append(&b, chunk, n);
    }
    fclose(f);
    return mtv_buf_detach(&b);
}

static int group_setup(void **state)
{
    const char *dir = getenv("MTV_BINARY_DIR");

    (void)state;
    snprintf(binary, sizeof(binary), "%s/mtvtest",
             dir != NULL ? dir : MTV_BINARY_DIR);
    if (mkdtemp(workdir) == NULL) {
        return -1;
    }
    unsetenv("MTVTEST_CONFIG");
    unsetenv("PROVIDERS_JSON_PATH");
    return access(binary, X_OK);
}

static int group_teardown(void **state)
{
    char *cmd = mtv_strdup_printf("rm -rf '%s'", workdir);
    int rc = system(cmd);

    (void)state;
    free(cmd);
    return rc == 0 ? 0 : -1;
}

struct list_case {
    const char *marker;
    size_t lines;
    const char *stderr_has; /* NULL: empty stderr */
};

static const struct list_case list_cases[] = {
    {"warm", 5, NULL},
    {"warm and not remote", 4, "mtvtest: note: 1 scenario deselected"},
    {"tier0", 2, "mtvtest: note: 3 scenarios deselected"},
};

static void test_cli_list__marker_counts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
        const char *args[] = {"list", "-m", list_cases[i].marker, NULL};
        struct result r;

        run(&r, args);
        assert_int_equal(r.rc, 0);
        assert_int_equal(count_lines(r.out.data), list_cases[i].lines);
        if (list_cases[i].stderr_has == NULL) {
            assert_string_equal(r.err.data, "");
        } else {
            assert_non_null(strstr(r.err.data, list_cases[i].stderr_has));
        }
        dispose(&r);
    }
}

static void test_cli_list__line_format(void **state)
{
    const char *args[] = {"list", "--marker", "warm", NULL};
    struct result r;

    (void)state;
    run(&r, args);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out.data,
                           "test_sanity_warm_mtv_migration[rhel8]  tier0,warm"
                           "  will run\n"));
    assert_non_null(strstr(r.out.data,
                           "test_warm_remote_ocp[MTV-394]  warm,remote  "
                           "skipped: No remote OCP cluster provided\n"));
    dispose(&r);
}

struct exit_case {
    const char *args[12];
    int rc;
    const char *stderr_has;
};

static const struct exit_case exit_cases[] = {
    {{NULL}, 2, "mtvtest: error: no command given"},
    {{"frobnicate", NULL}, 2, "unknown command 'frobnicate'"},
    {{"list", "--frob", NULL}, 2, "unknown option '--frob'"},
    {{"list", "-m", NULL}, 2, "option '-m' needs a value (EXPR)"},
    {{"list", "-m", "nightly", NULL}, 2, "unknown marker 'nightly'"},
    {{"list", "-k", "a and", NULL}, 2, "-k 'a and': at column 6"},
    {{"list", "--dry-run", NULL}, 2, "option '--dry-run' is not accepted"},
    {{"run", "-j", "0", "--dry-run", NULL}, 2, "-j: expected an integer"},
    {{"run", "--junit-classname", "x", NULL}, 2, "--junit-classname"},
    {{"validate", "--config", DATA "/config/bad_int.yaml", NULL}, 2,
     "bad_int.yaml:1:21: key 'snapshots_interval': expected integer, got "
     "\"abc\""},
    {{"validate", "--providers", DATA "/providers/pragma.json", NULL}, 2,
     "pragma.json:8:45: comments are not allowed in JSON"},
    {{"list", "--providers-json", DATA "/providers/none.json", NULL}, 2,
     "none.json: cannot read providers file"},
    {{"validate", "--providers", GOOD_PROVIDERS, "--set",
      "source_provider=nope", NULL},
     2, "source_provider 'nope' not found in"},
    {{"list", "--providers", GOOD_PROVIDERS, "--tc",
      "source_provider:vs-noco", NULL},
     2, "Copy-offload configuration not found"},
    {{"run", "--providers", GOOD_PROVIDERS, NULL}, 2,
     "key 'source_provider' is required to run"},
    {{"run", "--dry-run", "--set", "snapshots_interval=x", NULL}, 2,
     "--set 'snapshots_interval=x': key 'snapshots_interval': expected "
     "integer"},
    {{"clean", NULL}, 2, "exactly one of --ledger FILE or --session ID"},
    {{"validate", "--providers", GOOD_PROVIDERS, NULL}, 0, NULL},
    {{"help", "nope", NULL}, 2, "unknown command 'nope'"},
#if !defined(__has_include) || !__has_include("mtv/flow.h")
    {{"run", "--providers", GOOD_PROVIDERS, "--set", "source_provider=vs",
      "--set", "storage_class=sc", "--no-junit", NULL},
     4, "the live run is not implemented yet"},
#endif
};

static void test_cli_exit__codes_and_messages(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(exit_cases) / sizeof(exit_cases[0]); i++) {
        const struct exit_case *ec = &exit_cases[i];
        struct result r;

        run(&r, ec->args);
        if (r.rc != ec->rc ||
            (ec->stderr_has && !strstr(r.err.data, ec->stderr_has))) {
            fail_msg("case %zu (%s): rc %d, stderr: %s", i,
                     ec->args[0] ? ec->args[0] : "-", r.rc, r.err.data);
        }
        dispose(&r);
    }
}

static void test_cli_info__version_and_help(void **state)
{
    const char *v[] = {"version", NULL};
    const char *h[] = {"help", "run", NULL};
    const char *h2[] = {"list", "--help", NULL};
    struct result r;

    (void)state;
    run(&r, v);
    assert_int_equal(r.rc, 0);
    assert_true(mtv_str_has_prefix(r.out.data, "mtvtest "));
    dispose(&r);
    run(&r, h);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out.data, "--dry-run"));
    assert_non_null(strstr(r.out.data, "--known-issue-resolved ID"));
    dispose(&r);
    run(&r, h2);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out.data, "-m, --marker EXPR"));
    assert_null(strstr(r.out.data, "--dry-run"));
    dispose(&r);
}

static void test_cli_run__dry_run_reports(void **state)
{
    char *junit = mtv_strdup_printf("%s/j.xml", workdir);
    char *results = mtv_strdup_printf("%s/rep/results.json", workdir);
    const char *args[] = {"run",        "--marker",      "warm",
                          "--dry-run",  "--providers",   GOOD_PROVIDERS,
                          "--set",      "source_provider=vs",
                          "--junit-xml", "j.xml",        "--report",
                          "rep",        "--junit-classname", "reference",
                          NULL};
    struct result r;
    char *text = NULL;
    size_t n = 0;

    (void)state;
    run(&r, args);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out.data, "dry run: session auto-"));
    assert_non_null(strstr(r.out.data, "test_warm_migration_comprehensive"
                                       "[comprehensive-warm]  tier0,warm  "
                                       "will run\n"));
    assert_non_null(strstr(r.out.data, "steps: test_create_storagemap, "));
    assert_non_null(strstr(r.out.data,
                           "test_sanity_warm_mtv_migration::test_check_vms"
                           "[rhel8] SKIPPED (0.00s): dry run\n"));
    assert_non_null(strstr(r.out.data, "== 26 skipped in "));
    text = slurp(junit);
    assert_non_null(text);
    for (const char *p = text; (p = strstr(p, "<testcase ")) != NULL; p++) {
        n++;
    }
    assert_int_equal(n, 26);
    assert_non_null(strstr(text, "classname=\"tests.warm."
                                 "test_mtv_warm_migration."
                                 "TestSanityWarmMtvMigration\""));
    free(text);
    text = slurp(results);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"dry_run\":\ttrue"));
    free(text);
    unlink(junit);
    unlink(results);
    dispose(&r);
    free(junit);
    free(results);
}

static void test_cli_run__default_junit_and_no_junit(void **state)
{
    char *junit = mtv_strdup_printf("%s/junit-report.xml", workdir);
    const char *a1[] = {"run", "-m", "tier0", "--collect-only", NULL};
    const char *a2[] = {"run", "-m", "tier0", "--dry-run", "--no-junit",
                        NULL};
    struct result r;

    (void)state;
    unlink(junit);
    run(&r, a1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(access(junit, R_OK), 0);
    dispose(&r);
    unlink(junit);
    run(&r, a2);
    assert_int_equal(r.rc, 0);
    assert_int_not_equal(access(junit, R_OK), 0);
    dispose(&r);
    free(junit);
}

/* No password in any output, JUnit or results.json, even at -vv and
 * even when a password is echoed back in an error. */
static void test_cli_secrets__never_printed(void **state)
{
    char *junit = mtv_strdup_printf("%s/s.xml", workdir);
    char *results = mtv_strdup_printf("%s/srep/results.json", workdir);
    const char *secrets[] = {CLUSTER_SECRET, "vc-Secret-Password-1",
                             "guest-Secret-Password-2",
                             "storage-Secret-Password-3"};
    const char *a1[] = {"run", "-v", "-v", "--dry-run", "--providers",
                        GOOD_PROVIDERS, "--set", "source_provider=vs",
                        "--set", "cluster_password=" CLUSTER_SECRET,
                        "--junit-xml", "s.xml", "--report", "srep", NULL};
    const char *a2[] = {"validate", "--providers", GOOD_PROVIDERS, "--set",
                        "plan_wait_timeout=vc-Secret-Password-1", NULL};
    struct result r1;
    struct result r2;
    char *j = NULL;
    char *res = NULL;

    (void)state;
    run(&r1, a1);
    assert_int_equal(r1.rc, 0);
    run(&r2, a2);
    assert_int_equal(r2.rc, 2);
    assert_non_null(strstr(r2.err.data, "got \"***\""));
    j = slurp(junit);
    res = slurp(results);
    assert_non_null(j);
    assert_non_null(res);
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        assert_null(strstr(r1.out.data, secrets[i]));
        assert_null(strstr(r1.err.data, secrets[i]));
        assert_null(strstr(r2.out.data, secrets[i]));
        assert_null(strstr(r2.err.data, secrets[i]));
        assert_null(strstr(j, secrets[i]));
        assert_null(strstr(res, secrets[i]));
    }
    free(j);
    free(res);
    dispose(&r1);
    dispose(&r2);
    free(junit);
    free(results);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_list__marker_counts),
        cmocka_unit_test(test_cli_list__line_format),
        cmocka_unit_test(test_cli_exit__codes_and_messages),
        cmocka_unit_test(test_cli_info__version_and_help),
        cmocka_unit_test(test_cli_run__dry_run_reports),
        cmocka_unit_test(test_cli_run__default_junit_and_no_junit),
        cmocka_unit_test(test_cli_secrets__never_printed),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
