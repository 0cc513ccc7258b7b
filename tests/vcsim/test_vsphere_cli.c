/*
 * `mtvtest vsphere vm NAME` against mtv-vcsim: the record as JSON on
 * stdout; a wrong password is one clear line on stderr and exit 3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mtv/json.h"
#include "vcsim_fixture.h"

extern char **environ;

static struct vcsim_fixture sim;

static int group_setup(void **state)
{
    (void)state;
    return vcsim_fixture_start(&sim, NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    vcsim_fixture_stop(&sim);
    return 0;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    struct mtv_buf b = MTV_BUF_INIT;
    char chunk[4096];
    size_t n = 0;

    assert_non_null(fp);
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        assert_int_equal(mtv_buf_append(&b, chunk, n), 0);
    }
    fclose(fp);
    return mtv_buf_detach(&b);
}

/* Write a providers file for the simulator with `password`. */
static void write_providers(const char *path, const char *password)
{
    struct mtv_buf b = MTV_BUF_INIT;
    FILE *fp = NULL;

    assert_int_equal(mtv_buf_printf(&b,
                                    "{\"vcsim\": {\"type\": \"vsphere\", "
                                    "\"version\": \"8.0\", \"fqdn\": "
                                    "\"127.0.0.1\", \"api_url\": \"%s\", "
                                    "\"username\": \"%s\", \"password\": \"%s\", "
                                    "\"cacert\": \"",
                                    sim.url, sim.user, password),
                     0);
    assert_int_equal(mtv_buf_put_json_escaped(&b, sim.ca_pem), 0);
    assert_int_equal(mtv_buf_puts(&b, "\"}}\n"), 0);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(b.data, fp);
    fclose(fp);
    chmod(path, 0600);
    mtv_buf_dispose(&b);
}

/* Run mtvtest with args; stdout/stderr into files; returns the exit code. */
static int run_mtvtest(const char *providers, const char *vm, const char *out,
                       const char *errf)
{
    const char *dir = getenv("MTV_BINARY_DIR");
    char bin[512];
    char *argv[] = {bin,          "vsphere",  "vm",
                    (char *)vm,   "--providers", (char *)providers,
                    "--set",      "source_provider=vcsim", NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid = 0;
    int status = 0;

    snprintf(bin, sizeof(bin), "%s/mtvtest", dir != NULL ? dir : MTV_BINARY_DIR);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&fa, 2, errf,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void paths(char *prov, char *out, char *errf, size_t size)
{
    snprintf(prov, size, "%s/providers.json", sim.dir);
    snprintf(out, size, "%s/stdout.txt", sim.dir);
    snprintf(errf, size, "%s/stderr.txt", sim.dir);
}

static void test_vsphere_cli__prints_record_json(void **state)
{
    char prov[512], out[512], errf[512];
    struct mtv_json *j = NULL;
    char *text = NULL;

    (void)state;
    paths(prov, out, errf, sizeof(prov));
    write_providers(prov, sim.password);
    assert_int_equal(run_mtvtest(prov, "mtv-win2022-ip-3disks", out, errf), 0);
    text = slurp(out);
    assert_int_equal(mtv_json_parse(&j, text, strlen(text), NULL, NULL), 0);
    assert_string_equal(mtv_json_string_or(j, "name", ""),
                        "mtv-win2022-ip-3disks");
    assert_true(mtv_json_bool_or(j, "win_os", false));
    assert_int_equal(mtv_json_size(mtv_json_get(j, "disks")), 3);
    assert_string_equal(mtv_json_string_or(j, "power_state", ""), "off");
    mtv_json_free(j);
    free(text);
    unlink(prov);
    unlink(out);
    unlink(errf);
}

static void test_vsphere_cli__bad_password_exit_3(void **state)
{
    char prov[512], out[512], errf[512];
    char *text = NULL;

    (void)state;
    paths(prov, out, errf, sizeof(prov));
    write_providers(prov, "definitely-Wrong-password");
    assert_int_equal(run_mtvtest(prov, "mtv-tests-rhel8", out, errf), 3);
    text = slurp(errf);
    assert_non_null(strstr(text, "mtvtest: error: "));
    assert_non_null(strstr(text, "InvalidLogin"));
    assert_null(strstr(text, "definitely-Wrong-password"));
    free(text);
    text = slurp(out);
    assert_string_equal(text, "");
    free(text);
    unlink(prov);
    unlink(out);
    unlink(errf);
}

static void test_vsphere_cli__missing_vm_exit_3(void **state)
{
    char prov[512], out[512], errf[512];
    char *text = NULL;

    (void)state;
    paths(prov, out, errf, sizeof(prov));
    write_providers(prov, sim.password);
    assert_int_equal(run_mtvtest(prov, "no-such-vm", out, errf), 3);
    text = slurp(errf);
    assert_non_null(strstr(text, "VirtualMachine 'no-such-vm' not found"));
    free(text);
    unlink(prov);
    unlink(out);
    unlink(errf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vsphere_cli__prints_record_json),
        cmocka_unit_test(test_vsphere_cli__bad_password_exit_3),
        cmocka_unit_test(test_vsphere_cli__missing_vm_exit_3),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
