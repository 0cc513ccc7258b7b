/* kube: kubeconfig resolution (files, env, contexts, in-cluster). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_priv.h"
#include "mtv/config.h"
#include "mtv/kube.h"

#define DATA MTV_TEST_DATA_DIR "/kube/"

static const char CA_PEM[] =
    "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n";
static const char CERT_PEM[] =
    "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
static const char KEY_PEM[] = "-----BEGIN EC PRIVATE KEY-----\nMHcfake\n"
                              "-----END EC PRIVATE KEY-----\n";

static int clean_env(void **state)
{
    (void)state;
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    setenv("HOME", "/nonexistent-home-for-tests", 1);
    return 0;
}

static struct mtv_kube_config *load(const char *file, const char *context)
{
    struct mtv_kube_config_options o = {file, context, NULL};
    struct mtv_kube_config *c = NULL;
    struct mtv_error err;

    mtv_error_clear(&err);
    if (mtv_kube_config_load(&c, &o, &err) != 0) {
        fail_msg("load %s: %s", file, err.msg);
    }
    return c;
}

static void test_kube_config__token_current_context(void **state)
{
    struct mtv_kube_config *c = load(DATA "kubeconfig-token.yaml", NULL);

    (void)state;
    assert_string_equal(c->server, "https://api.lab.example:6443");
    assert_string_equal(c->context, "admin-ctx");
    assert_string_equal(c->namespace, "openshift-mtv");
    assert_string_equal(c->user, "kube:admin/api-lab-example:6443");
    assert_string_equal(c->token, "sha256~abcdefTOKEN123");
    assert_string_equal(c->ca_pem, CA_PEM);
    assert_false(c->insecure);
    assert_null(c->cert_pem);
    mtv_kube_config_free(c);
}

static void test_kube_config__context_flag_and_quotes(void **state)
{
    struct mtv_kube_config *c = load(DATA "kubeconfig-token.yaml",
                                     "other-ctx");

    (void)state;
    assert_string_equal(c->server, "http://127.0.0.1:8080");
    assert_true(c->insecure);
    assert_string_equal(c->token, "other'token");
    assert_string_equal(c->namespace, "default");
    assert_null(c->ca_pem);
    mtv_kube_config_free(c);
}

static void test_kube_config__cert_key_data(void **state)
{
    struct mtv_kube_config *c = load(DATA "kubeconfig-certdata.yaml", NULL);

    (void)state;
    assert_string_equal(c->server, "https://127.0.0.1:40000");
    assert_string_equal(c->cert_pem, CERT_PEM);
    assert_string_equal(c->key_pem, KEY_PEM);
    assert_string_equal(c->ca_pem, CA_PEM);
    assert_null(c->token);
    mtv_kube_config_free(c);
}

static void test_kube_config__files_relative_to_kubeconfig(void **state)
{
    struct mtv_kube_config *c = load(DATA "kubeconfig-files.yaml", NULL);
    struct mtv_kube_config *t = load(DATA "kubeconfig-files.yaml", "ctx2");

    (void)state;
    assert_string_equal(c->ca_pem, CA_PEM);
    assert_string_equal(c->cert_pem, CERT_PEM);
    assert_string_equal(c->key_pem, KEY_PEM);
    assert_string_equal(t->token, "file-token-0123456789");
    mtv_kube_config_free(c);
    mtv_kube_config_free(t);
}

static void test_kube_config__json_insecure(void **state)
{
    struct mtv_kube_config *c = load(DATA "kubeconfig-insecure.json", NULL);

    (void)state;
    assert_true(c->insecure);
    assert_string_equal(c->namespace, "ns1");
    assert_string_equal(c->token, "json-token-abcdef");
    mtv_kube_config_free(c);
}

static void test_kube_config__env_first_file(void **state)
{
    struct mtv_kube_config_options o = {NULL, NULL, NULL};
    struct mtv_kube_config *c = NULL;

    (void)state;
    setenv("KUBECONFIG", DATA "kubeconfig-insecure.json:" DATA
                              "kubeconfig-token.yaml",
           1);
    assert_int_equal(mtv_kube_config_load(&c, &o, NULL), 0);
    assert_string_equal(c->server, "https://lab:6443");
    mtv_kube_config_free(c);
    c = NULL;
    /* --kubeconfig wins over the environment */
    o.kubeconfig = DATA "kubeconfig-token.yaml";
    assert_int_equal(mtv_kube_config_load(&c, &o, NULL), 0);
    assert_string_equal(c->server, "https://api.lab.example:6443");
    mtv_kube_config_free(c);
}

static void test_kube_config__in_cluster(void **state)
{
    struct mtv_kube_config_options o = {NULL, NULL, DATA "sa"};
    struct mtv_kube_config *c = NULL;
    struct mtv_error err;

    (void)state;
    assert_int_equal(mtv_kube_config_load(&c, &o, &err), MTV_ECONFIG);
    assert_non_null(strstr(err.msg, "--kubeconfig"));
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(mtv_kube_config_load(&c, &o, &err), 0);
    assert_string_equal(c->server, "https://10.96.0.1:443");
    assert_string_equal(c->token, "sa-token-abcdef");
    assert_string_equal(c->namespace, "mtv-runner");
    assert_string_equal(c->source, "in-cluster");
    assert_non_null(strstr(c->ca_pem, "MIIBsa"));
    mtv_kube_config_free(c);
}

struct bad_case {
    const char *file;
    const char *context;
    const char *needle;
};

static void test_kube_config__errors_name_the_problem(void **state)
{
    static const struct bad_case cases[] = {
        {"kubeconfig-nocontext.yaml", NULL, "no current-context"},
        {"kubeconfig-token.yaml", "nope", "no context named \"nope\""},
        {"kubeconfig-badcluster.yaml", NULL, "no cluster named \"missing\""},
        {"kubeconfig-noserver.yaml", NULL, "no server for cluster \"a\""},
        {"kubeconfig-exec.yaml", NULL, "exec and auth-provider"},
        {"kubeconfig-certnokey.yaml", NULL, "certificate and key"},
        {"kubeconfig-badb64.yaml", NULL, "invalid base64"},
        {"does-not-exist.yaml", NULL, "cannot read"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[512];
        struct mtv_kube_config_options o = {path, cases[i].context, NULL};
        struct mtv_kube_config *c = NULL;
        struct mtv_error err;
        snprintf(path, sizeof(path), DATA "%s", cases[i].file);
        mtv_error_clear(&err);
        assert_int_equal(mtv_kube_config_load(&c, &o, &err), MTV_ECONFIG);
        assert_null(c);
        if (strstr(err.msg, cases[i].needle) == NULL) {
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
                     cases[i].needle);
        }
        assert_non_null(strstr(err.msg, cases[i].file));
    }
}

static void test_kube_config__yaml_subset(void **state)
{
    static const char text[] =
        "a:\n"
        "  b: 'x: y' # comment\n"
        "  c: \"q\\\"t\"\n"
        "  list:\n"
        "  - one\n"
        "  - k: v\n"
        "    k2: v2\n"
        "  - - nested\n"
        "  empty: []\n"
        "  dotted.key: yes\n"
        "  flow: {x: 1, y: 'a,b'}\n"
        "  seq: [p, \"q\"]\n";
    struct mtv_json *j = NULL;
    struct mtv_error err;

    (void)state;
    assert_int_equal(mtv_config_yaml_to_json(&j, "t.yaml", text, strlen(text), &err), 0);
    assert_string_equal(mtv_json_string_or(j, "a.b", ""), "x: y");
    assert_string_equal(mtv_json_string_or(j, "a.c", ""), "q\"t");
    assert_string_equal(mtv_json_string_or(j, "a.list[0]", ""), "one");
    assert_string_equal(mtv_json_string_or(j, "a.list[1].k2", ""), "v2");
    assert_string_equal(mtv_json_string_or(j, "a.list[2][0]", ""), "nested");
    assert_int_equal(mtv_json_size(mtv_json_get(j, "a.empty")), 0);
    assert_string_equal(mtv_json_string_or(j, "a.dotted\\.key", ""), "yes");
    assert_string_equal(mtv_json_string_or(j, "a.flow.y", ""), "a,b");
    assert_string_equal(mtv_json_string_or(j, "a.flow.x", ""), "1");
    assert_string_equal(mtv_json_string_or(j, "a.seq[1]", ""), "q");
    mtv_json_free(j);
    j = NULL;
    assert_int_equal(mtv_config_yaml_to_json(&j, "t.yaml", "a: 1\n   b: 2\n",
                                             13, &err),
                     MTV_ECONFIG);
    assert_non_null(strstr(err.msg, "t.yaml:2:"));
    assert_null(j);
    /* libyaml: nested flow collections and digits-only tokens */
    assert_int_equal(mtv_config_yaml_to_json(&j, "t.yaml",
                                             "a: {b: {c: d}}\nt: 0123\n", 22,
                                             &err),
                     0);
    assert_string_equal(mtv_json_string_or(j, "a.b.c", ""), "d");
    assert_string_equal(mtv_json_string_or(j, "t", ""), "0123");
    mtv_json_free(j);
    j = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_kube_config__token_current_context,
                               clean_env),
        cmocka_unit_test_setup(test_kube_config__context_flag_and_quotes,
                               clean_env),
        cmocka_unit_test_setup(test_kube_config__cert_key_data, clean_env),
        cmocka_unit_test_setup(test_kube_config__files_relative_to_kubeconfig,
                               clean_env),
        cmocka_unit_test_setup(test_kube_config__json_insecure, clean_env),
        cmocka_unit_test_setup(test_kube_config__env_first_file, clean_env),
        cmocka_unit_test_setup(test_kube_config__in_cluster, clean_env),
        cmocka_unit_test_setup(test_kube_config__errors_name_the_problem,
                               clean_env),
        cmocka_unit_test_setup(test_kube_config__yaml_subset, clean_env),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    mtv_log_clear_secrets();
    return rc;
}
