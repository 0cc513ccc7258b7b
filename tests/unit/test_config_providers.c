/* config: the providers file, per-type fields, copy-offload rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mtv/config.h"

#define DATA MTV_TEST_DATA_DIR "/providers/"

static struct mtv_providers *load_ok(const char *path)
{
    struct mtv_providers *p = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;

    if (mtv_providers_load(&p, path, &diag) != 0) {
        fail_msg("%s: %s", path,
                 diag.errors.len ? diag.errors.items[0] : "error");
    }
    mtv_diag_dispose(&diag);
    return p;
}

static void test_providers_good__fields_per_type(void **state)
{
    struct mtv_providers *p = load_ok(DATA "good.json");
    const struct mtv_provider *vs = NULL;

    (void)state;
    assert_int_equal(p->n, 7);
    vs = mtv_providers_get(p, "vs");
    assert_non_null(vs);
    assert_int_equal(vs->type, MTV_PROVIDER_VSPHERE);
    assert_string_equal(vs->version, "8.0.1");
    assert_string_equal(vs->fqdn, "vc.example.com");
    assert_string_equal(vs->api_url, "https://vc.example.com/sdk");
    assert_string_equal(vs->password, "vc-Secret-Password-1");
    assert_int_equal(vs->guest_ssh_port, 2222);
    assert_null(vs->cacert);
    assert_non_null(vs->copyoffload);
    assert_string_equal(vs->copyoffload->ontap_svm, "svm0");
    assert_int_equal(mtv_providers_get(p, "vs-noco")->guest_ssh_port, 22);
    assert_null(mtv_providers_get(p, "vs-noco")->copyoffload);
    assert_int_equal(mtv_providers_get(p, "rhv")->type, MTV_PROVIDER_OVIRT);
    assert_int_equal(mtv_providers_get(p, "osp")->type,
                     MTV_PROVIDER_OPENSTACK);
    assert_string_equal(mtv_providers_get(p, "osp")->region_name, "r");
    assert_int_equal(mtv_providers_get(p, "ocp")->type,
                     MTV_PROVIDER_OPENSHIFT);
    assert_int_equal(mtv_providers_get(p, "ova")->type, MTV_PROVIDER_OVA);
    assert_null(mtv_providers_get(p, "nope"));
    mtv_providers_free(p);
}

/* Every password is registered: the log layer redacts it. */
static void test_providers_good__passwords_registered(void **state)
{
    struct mtv_providers *p = load_ok(DATA "good.json");
    const char *secrets[] = {"vc-Secret-Password-1", "guest-Secret-Password-2",
                             "storage-Secret-Password-3",
                             "ovirt-Secret-Password-4"};

    (void)state;
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        char *line = mtv_strdup_printf("value %s here", secrets[i]);
        char *r = mtv_redact_str(line);

        assert_null(strstr(r, secrets[i]));
        free(line);
        free(r);
    }
    mtv_providers_free(p);
    mtv_log_clear_secrets();
}

struct bad_case {
    const char *file;
    const char *errors[8];
};

static const struct bad_case bad_cases[] = {
    {"pragma.json",
     {"pragma.json:8:45: comments are not allowed in JSON", NULL}},
    {"empty.json", {"empty.json: providers file is empty", NULL}},
    {"array.json",
     {"array.json: expected a JSON object of providers at the top level",
      NULL}},
    {"bad_fields.json",
     {"bad_fields.json: provider 'a': key 'version': expected string",
      "bad_fields.json: provider 'a': key 'guest_ssh_port': expected an "
      "integer port (1-65535)",
      "bad_fields.json: provider 'a': key 'password': required for type "
      "'vsphere'",
      "bad_fields.json: provider 'b': key 'type': unknown type 'hyperv' "
      "(expected vsphere, ovirt, openstack, openshift or ova)",
      "bad_fields.json: provider 'c': key 'type': required",
      "bad_fields.json: provider 'd': expected object", NULL}},
    {"duplicate.json",
     {"duplicate.json: provider 'a': key 'version': duplicate key",
      "duplicate.json: duplicate provider 'a'", NULL}},
    {"no-such.json",
     {"no-such.json: cannot read providers file: No such file or directory",
      NULL}},
};

static void test_providers_bad__exact_errors(void **state)
{
    char cwd[4096];

    (void)state;
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(DATA), 0);
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *bc = &bad_cases[i];
        struct mtv_providers *p = NULL;
        struct mtv_diag diag = MTV_DIAG_INIT;
        size_t n = 0;
        int rc = mtv_providers_load(&p, bc->file, &diag);

        assert_true(rc == MTV_ECONFIG || rc == MTV_ENOTFOUND);
        assert_null(p);
        while (bc->errors[n] != NULL) {
            n++;
        }
        if (diag.errors.len != n) {
            fail_msg("%s: %zu errors (first: %s)", bc->file, diag.errors.len,
                     diag.errors.len ? diag.errors.items[0] : "-");
        }
        for (size_t j = 0; j < n; j++) {
            assert_string_equal(diag.errors.items[j], bc->errors[j]);
        }
        mtv_diag_dispose(&diag);
    }
    assert_int_equal(chdir(cwd), 0);
    mtv_log_clear_secrets();
}

static void test_providers_bad__unknown_key_warns(void **state)
{
    const char *text = "{\"o\": {\"type\": \"openshift\", \"version\": \"1\","
                       " \"colour\": \"blue\"}}";
    struct mtv_providers *p = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;

    (void)state;
    assert_int_equal(mtv_providers_parse(&p, "x.json", text, strlen(text),
                                         &diag),
                     0);
    assert_int_equal(diag.warnings.len, 1);
    assert_string_equal(diag.warnings.items[0],
                        "x.json: provider 'o': unknown key 'colour' "
                        "(ignored)");
    mtv_providers_free(p);
    mtv_diag_dispose(&diag);
}

static void test_providers_perm__warning_when_group_readable(void **state)
{
    char path[] = "/tmp/mtv-providers-XXXXXX";
    const char *text = "{\"o\": {\"type\": \"openshift\", \"version\": "
                       "\"1\"}}";
    int fd = mkstemp(path);
    struct mtv_providers *p = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(mtv_providers_load(&p, path, &diag), 0);
    assert_int_equal(diag.warnings.len, 0);
    mtv_providers_free(p);
    p = NULL;
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(mtv_providers_load(&p, path, &diag), 0);
    assert_int_equal(diag.warnings.len, 1);
    assert_non_null(strstr(diag.warnings.items[0], "readable by group or "
                                                   "others"));
    mtv_providers_free(p);
    mtv_diag_dispose(&diag);
    unlink(path);
}

static void test_copyoffload_rules__each_message(void **state)
{
    struct mtv_providers *p = load_ok(DATA "good.json");
    struct mtv_diag diag = MTV_DIAG_INIT;

    (void)state;
    assert_int_equal(mtv_copyoffload_check(mtv_providers_get(p, "vs"), NULL,
                                           &diag),
                     0);
    assert_int_equal(mtv_copyoffload_check(mtv_providers_get(p, "rhv"),
                                           "P: ", &diag),
                     MTV_ECONFIG);
    assert_string_equal(diag.errors.items[0],
                        "P: Copy-offload tests require vSphere provider, "
                        "but got 'ovirt'");
    assert_int_equal(mtv_copyoffload_check(mtv_providers_get(p, "vs-noco"),
                                           NULL, &diag),
                     MTV_ECONFIG);
    assert_string_equal(diag.errors.items[1],
                        "Copy-offload configuration not found in source "
                        "provider data. Add 'copyoffload' section to "
                        "provider 'vs-noco'");
    assert_int_equal(mtv_copyoffload_check(mtv_providers_get(p, "vs-badco"),
                                           NULL, &diag),
                     MTV_ECONFIG);
    assert_int_equal(diag.errors.len, 8);
    assert_string_equal(
        diag.errors.items[2],
        "Required storage credentials not found: ['storage_hostname', "
        "'storage_username', 'storage_password']; add them to the "
        "'copyoffload' section or set the environment variables "
        "COPYOFFLOAD_STORAGE_HOSTNAME, COPYOFFLOAD_STORAGE_USERNAME, "
        "COPYOFFLOAD_STORAGE_PASSWORD");
    assert_string_equal(diag.errors.items[3],
                        "Missing required copy-offload parameters in config: "
                        "datastore_id");
    assert_string_equal(diag.errors.items[4],
                        "Required vendor-specific field 'vantara_storage_id' "
                        "not found for vendor 'vantara'; add it to the "
                        "'copyoffload' section or set environment variable "
                        "COPYOFFLOAD_VANTARA_STORAGE_ID");
    assert_non_null(strstr(diag.errors.items[6], "vantara_hostgroup_id_list"));
    assert_string_equal(diag.errors.items[7],
                        "esxi_clone_method must be \"vib\" or \"ssh\", got "
                        "\"scp\"");
    mtv_providers_free(p);
    mtv_diag_dispose(&diag);
    mtv_log_clear_secrets();
}

static void test_copyoffload_env__overrides_win(void **state)
{
    struct mtv_providers *p = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;
    const struct mtv_provider *v = NULL;

    (void)state;
    setenv("COPYOFFLOAD_STORAGE_HOSTNAME", "env-host", 1);
    setenv("COPYOFFLOAD_DATASTORE_ID", "env-ds", 1);
    setenv("COPYOFFLOAD_STORAGE_USERNAME", "env-user", 1);
    setenv("COPYOFFLOAD_STORAGE_PASSWORD", "env-Secret-Password-8", 1);
    setenv("COPYOFFLOAD_VANTARA_STORAGE_ID", "1", 1);
    setenv("COPYOFFLOAD_VANTARA_STORAGE_PORT", "2", 1);
    setenv("COPYOFFLOAD_VANTARA_HOSTGROUP_ID_LIST", "3", 1);
    setenv("COPYOFFLOAD_ESXI_CLONE_METHOD", "ssh", 1);
    p = load_ok(DATA "good.json");
    v = mtv_providers_get(p, "vs");
    assert_string_equal(v->copyoffload->storage_hostname, "env-host");
    assert_string_equal(v->copyoffload->datastore_id, "env-ds");
    assert_int_equal(
        mtv_copyoffload_check(mtv_providers_get(p, "vs-badco"), NULL, &diag),
        0);
    assert_null(mtv_providers_get(p, "vs-noco")->copyoffload);
    unsetenv("COPYOFFLOAD_STORAGE_HOSTNAME");
    unsetenv("COPYOFFLOAD_DATASTORE_ID");
    unsetenv("COPYOFFLOAD_STORAGE_USERNAME");
    unsetenv("COPYOFFLOAD_STORAGE_PASSWORD");
    unsetenv("COPYOFFLOAD_VANTARA_STORAGE_ID");
    unsetenv("COPYOFFLOAD_VANTARA_STORAGE_PORT");
    unsetenv("COPYOFFLOAD_VANTARA_HOSTGROUP_ID_LIST");
    unsetenv("COPYOFFLOAD_ESXI_CLONE_METHOD");
    mtv_providers_free(p);
    mtv_diag_dispose(&diag);
    mtv_log_clear_secrets();
}

static void test_providers_example__valid(void **state)
{
    struct mtv_providers *p = load_ok(MTV_SOURCE_DIR
                                      "/providers.json.example");
    struct mtv_diag diag = MTV_DIAG_INIT;

    (void)state;
    assert_int_equal(p->n, 5);
    assert_int_equal(mtv_copyoffload_check(
                         mtv_providers_get(p, "vsphere-8.0.1"), NULL, &diag),
                     0);
    mtv_providers_free(p);
    mtv_diag_dispose(&diag);
    mtv_log_clear_secrets();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_providers_good__fields_per_type),
        cmocka_unit_test(test_providers_good__passwords_registered),
        cmocka_unit_test(test_providers_bad__exact_errors),
        cmocka_unit_test(test_providers_bad__unknown_key_warns),
        cmocka_unit_test(test_providers_perm__warning_when_group_readable),
        cmocka_unit_test(test_copyoffload_rules__each_message),
        cmocka_unit_test(test_copyoffload_env__overrides_win),
        cmocka_unit_test(test_providers_example__valid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
