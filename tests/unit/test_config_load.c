/* config: the YAML loader, layers, --set typing, every bad file's errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mtv/config.h"

#define DATA MTV_TEST_DATA_DIR "/config/"

static int load_files(struct mtv_config **out, const char *const *files,
                      size_t n, const char *const *sets, size_t n_sets,
                      struct mtv_diag *diag)
{
    struct mtv_config_sources src = {files, n, sets, n_sets, NULL};

    return mtv_config_load(out, &src, diag);
}

static void test_config_defaults__five_warm_scenarios(void **state)
{
    struct mtv_config *c = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;
    const struct mtv_scenario *s = NULL;

    (void)state;
    assert_int_equal(load_files(&c, NULL, 0, NULL, 0, &diag), 0);
    assert_int_equal(c->n_scenarios, 5);
    assert_null(c->source_provider);
    assert_int_equal(c->snapshots_interval, 2);
    assert_true(c->mins_before_cutover == 5.0);
    assert_int_equal(c->plan_wait_timeout, 3600);
    assert_int_equal(c->plan_ready_timeout, 360);
    assert_int_equal(c->guest_agent_timeout, 301);
    assert_int_equal(c->teardown_timeout, 240);
    assert_string_equal(c->mtv_namespace, "openshift-mtv");
    assert_string_equal(c->target_namespace_prefix, "auto");
    assert_true(c->insecure_verify_skip);
    assert_false(c->source_provider_insecure_skip_verify);
    assert_string_equal(c->remote_ocp_cluster, "");
    assert_string_equal(c->cluster_password, "");

    s = mtv_config_scenario(c, "test_sanity_warm_mtv_migration");
    assert_non_null(s);
    assert_string_equal(s->id, "rhel8");
    assert_int_equal(s->markers.len, 2);
    assert_true(mtv_scenario_has_marker(s, "tier0"));
    assert_int_equal(s->n_vms, 1);
    assert_string_equal(s->vms[0].name, "mtv-tests-rhel8");
    assert_string_equal(s->vms[0].source_vm_power, "on");
    assert_true(s->vms[0].guest_agent);
    assert_true(s->warm_migration && s->preserve_static_ips);

    s = mtv_config_scenario(c, "test_warm_migration_comprehensive");
    assert_non_null(s);
    assert_string_equal(s->target_power_state, "on");
    assert_string_equal(s->vm_target_namespace, "custom-vm-namespace");
    assert_string_equal(s->multus_namespace, "default");
    assert_string_equal(s->pvc_name_template,
                        "{{ .FileName | trimSuffix \".vmdk\" | replace \"_\" "
                        "\"-\" }}-{{.DiskIndex}}");
    assert_true(s->pvc_name_template_use_generate_name);
    assert_int_equal(s->n_target_labels, 2);
    assert_string_equal(s->target_labels[0].key, "mtv-comprehensive-test");
    assert_null(s->target_labels[0].value);
    assert_string_equal(s->target_labels[1].value, "static-value");
    assert_int_equal(
        mtv_json_int_or(s->target_affinity,
                        "podAffinity."
                        "preferredDuringSchedulingIgnoredDuringExecution[0]."
                        "weight",
                        0),
        75);
    assert_string_equal(
        mtv_json_string_or(s->target_affinity,
                           "podAffinity."
                           "preferredDuringSchedulingIgnoredDuringExecution[0]"
                           ".podAffinityTerm.topologyKey",
                           ""),
        "kubernetes.io/hostname");

    s = mtv_config_scenario(c, "test_copyoffload_warm_migration");
    assert_non_null(s);
    assert_string_equal(s->id, "MTV-577:copyoffload-warm");
    assert_true(s->copyoffload);
    assert_true(s->vms[0].clone);
    assert_string_equal(s->vms[0].disk_type, "thin");
    assert_string_equal(mtv_config_scenario(c, "test_mtv_migration_warm_"
                                               "2disks2nics")->id,
                        "MTV-200 rhel");
    assert_int_equal(diag.errors.len, 0);
    mtv_config_free(c);
    mtv_diag_dispose(&diag);
}

/* config/warm.yaml holds exactly the built-in defaults. */
static void test_config_defaults__match_warm_yaml(void **state)
{
    const char *files[] = {MTV_SOURCE_DIR "/config/warm.yaml"};
    struct mtv_config *a = NULL;
    struct mtv_config *b = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;

    (void)state;
    assert_int_equal(load_files(&a, NULL, 0, NULL, 0, &diag), 0);
    assert_int_equal(load_files(&b, files, 1, NULL, 0, &diag), 0);
    assert_int_equal(a->n_scenarios, b->n_scenarios);
    for (size_t i = 0; i < a->n_scenarios; i++) {
        const struct mtv_scenario *x = &a->scenarios[i];
        const struct mtv_scenario *y = &b->scenarios[i];

        assert_string_equal(x->name, y->name);
        assert_string_equal(x->id, y->id);
        assert_int_equal(x->markers.len, y->markers.len);
        assert_int_equal(x->n_vms, y->n_vms);
        assert_string_equal(x->vms[0].name, y->vms[0].name);
        assert_string_equal(x->vms[0].source_vm_power,
                            y->vms[0].source_vm_power);
        assert_int_equal(x->warm_migration, y->warm_migration);
        assert_int_equal(x->preserve_static_ips, y->preserve_static_ips);
        assert_int_equal(x->copyoffload, y->copyoffload);
        assert_true(mtv_str_eq(x->pvc_name_template, y->pvc_name_template));
        assert_true(mtv_json_equal(x->target_affinity, y->target_affinity) ||
                    (x->target_affinity == NULL &&
                     y->target_affinity == NULL));
    }
    assert_int_equal(a->plan_wait_timeout, b->plan_wait_timeout);
    assert_true(a->mins_before_cutover == b->mins_before_cutover);
    mtv_config_free(a);
    mtv_config_free(b);
    mtv_diag_dispose(&diag);
}

static void test_config_merge__later_wins_maps_merge_lists_replace(
    void **state)
{
    const char *files[] = {DATA "good_overlay.yaml", DATA "good_second.yaml"};
    struct mtv_config *c = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;
    const struct mtv_scenario *s = NULL;

    (void)state;
    assert_int_equal(load_files(&c, files, 2, NULL, 0, &diag), 0);
    assert_string_equal(c->source_provider, "vsphere-8.0.1");
    assert_string_equal(c->storage_class, "nfs"); /* later wins */
    assert_int_equal(c->snapshots_interval, 3);   /* quoted int */
    assert_true(c->mins_before_cutover == 1.5);
    assert_false(c->insecure_verify_skip);        /* "false" */
    assert_true(c->source_provider_insecure_skip_verify); /* yes */
    assert_string_equal(c->target_ocp_version, "4.20");
    /* null removes a scenario; a new one is added at the end */
    assert_null(mtv_config_scenario(c, "test_copyoffload_warm_migration"));
    assert_int_equal(c->n_scenarios, 5);
    s = mtv_config_scenario(c, "test_sanity_warm_mtv_migration");
    assert_int_equal(s->markers.len, 1); /* list replaced */
    assert_false(s->preserve_static_ips);
    assert_true(s->warm_migration); /* map merged: kept */
    s = mtv_config_scenario(c, "test_warm_migration_comprehensive");
    assert_int_equal(s->n_target_labels, 3); /* labels merged */
    s = mtv_config_scenario(c, "my_custom_scenario");
    assert_non_null(s);
    assert_int_equal(s->n_vms, 1); /* list replaced by the second file */
    assert_string_equal(s->vms[0].name, "vm-c");
    assert_true(s->warm_migration);
    assert_int_equal(c->sources.len, 3);
    mtv_config_free(c);
    mtv_diag_dispose(&diag);
}

struct set_case {
    const char *set;
    bool tc;
    const char *error; /* NULL: accepted */
};

static const struct set_case set_cases[] = {
    {"snapshots_interval=7", false, NULL},
    {"plan_wait_timeout:7200", true, NULL},
    {"mins_before_cutover=0.5", false, NULL},
    {"insecure_verify_skip=False", false, NULL},
    {"cluster_host:https://api.example.com:6443", true, NULL},
    {"tests_params.test_warm_migration_comprehensive.target_labels."
     "app.kubernetes.io/name=x",
     false, NULL},
    {"tests_params.test_sanity_warm_mtv_migration.markers=[warm]", false,
     NULL},
    {"tests_params.test_sanity_warm_mtv_migration.virtual_machines.0."
     "source_vm_power=off",
     false, NULL},
    {"snapshots_interval=abc", false,
     "--set 'snapshots_interval=abc': key 'snapshots_interval': expected "
     "integer, got \"abc\""},
    {"plan_wait_timeout:1h", true,
     "--tc 'plan_wait_timeout:1h': key 'plan_wait_timeout': expected "
     "integer, got \"1h\""},
    {"insecure_verify_skip=maybe", false,
     "--set 'insecure_verify_skip=maybe': key 'insecure_verify_skip': "
     "expected boolean, got \"maybe\""},
    {"no_such_key=1", false,
     "--set 'no_such_key=1': unknown key 'no_such_key'"},
    {"snapshots_interval", false, "--set 'snapshots_interval': expected "
                                  "KEY=VALUE"},
    {"a..b=1", false, "--set 'a..b=1': invalid key 'a..b'"},
    {"cluster_password.x=Pass-Word-Secret", false,
     "--set 'cluster_password.x=***': key 'cluster_password.x' does not "
     "name a setting"},
    {"snapshots_interval.x=1", false,
     "--set 'snapshots_interval.x=1': key 'snapshots_interval.x' does not "
     "name a setting"},
};

static void test_config_set__typed_by_declared_type(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
        const struct set_case *tc = &set_cases[i];
        const char *sets[] = {tc->set};
        const bool flags[] = {tc->tc};
        struct mtv_config_sources src = {NULL, 0, sets, 1, flags};
        struct mtv_config *c = NULL;
        struct mtv_diag diag = MTV_DIAG_INIT;
        int rc = mtv_config_load(&c, &src, &diag);

        if (tc->error == NULL) {
            if (rc != 0) {
                fail_msg("%s: %s", tc->set, diag.errors.items[0]);
            }
        } else {
            assert_int_equal(rc, MTV_ECONFIG);
            assert_int_equal(diag.errors.len, 1);
            assert_string_equal(diag.errors.items[0], tc->error);
        }
        mtv_config_free(c);
        mtv_diag_dispose(&diag);
    }
}

static void test_config_set__values(void **state)
{
    const char *sets[] = {
        "snapshots_interval=7", "plan_wait_timeout:7200",
        "cluster_host:https://api.example.com:6443",
        "tests_params.test_warm_migration_comprehensive.target_labels."
        "app.kubernetes.io/name=x",
        "tests_params.test_sanity_warm_mtv_migration.virtual_machines.0."
        "source_vm_power=off",
        "tests_params.new_one={virtual_machines: [{name: n}], markers: "
        "[warm]}"};
    const bool flags[] = {false, true, true, false, false, false};
    struct mtv_config_sources src = {NULL, 0, sets, 6, flags};
    struct mtv_config *c = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;
    const struct mtv_scenario *s = NULL;

    (void)state;
    assert_int_equal(mtv_config_load(&c, &src, &diag), 0);
    assert_int_equal(c->snapshots_interval, 7);
    assert_int_equal(c->plan_wait_timeout, 7200);
    assert_string_equal(c->cluster_host, "https://api.example.com:6443");
    s = mtv_config_scenario(c, "test_warm_migration_comprehensive");
    assert_int_equal(s->n_target_labels, 3);
    assert_string_equal(s->target_labels[2].key, "app.kubernetes.io/name");
    assert_string_equal(s->target_labels[2].value, "x");
    s = mtv_config_scenario(c, "test_sanity_warm_mtv_migration");
    assert_string_equal(s->vms[0].source_vm_power, "off");
    s = mtv_config_scenario(c, "new_one");
    assert_non_null(s);
    assert_string_equal(s->vms[0].name, "n");
    mtv_config_free(c);
    mtv_diag_dispose(&diag);
}

struct bad_case {
    const char *file;
    const char *errors[9]; /* relative to DATA, NULL-terminated */
};

static const struct bad_case bad_cases[] = {
    {"bad_int.yaml",
     {"bad_int.yaml:1:21: key 'snapshots_interval': expected integer, got "
      "\"abc\"",
      NULL}},
    {"bad_float.yaml",
     {"bad_float.yaml:1:22: key 'mins_before_cutover': expected a number >= "
      "0, got \"-1\"",
      NULL}},
    {"bad_many.yaml",
     {"bad_many.yaml:1:21: key 'snapshots_interval': expected an integer >= "
      "1, got \"0\"",
      "bad_many.yaml:2:20: key 'plan_wait_timeout': expected integer, got "
      "\"1h\"",
      "bad_many.yaml:3:23: key 'insecure_verify_skip': expected boolean, got "
      "\"maybe\"",
      "bad_many.yaml:4:1: unknown key 'unknown_global'",
      "bad_many.yaml:7:21: key 'tests_params.test_x.markers[1]': unknown "
      "marker 'nightly' (known: tier0, warm, remote, copyoffload)",
      "bad_many.yaml:10:26: key "
      "'tests_params.test_x.virtual_machines[0].source_vm_power': expected "
      "one of \"on\", \"off\", got \"true\"",
      "bad_many.yaml:11:9: unknown key "
      "'tests_params.test_x.virtual_machines[0].colour'",
      "bad_many.yaml:12:21: key 'tests_params.test_x.warm_migration': "
      "expected boolean, got \"yes please\"",
      NULL}},
    {"bad_no_vms.yaml",
     {"bad_no_vms.yaml:3:5: key 'tests_params.test_no_vms': missing "
      "required key 'virtual_machines'",
      NULL}},
    {"bad_vm_name.yaml",
     {"bad_vm_name.yaml:4:9: key 'tests_params.test_v.virtual_machines[0]': "
      "missing required key 'name'",
      NULL}},
    {"bad_syntax.yaml",
     {"bad_syntax.yaml:4:5: invalid YAML: did not find expected ',' or ']' "
      "while parsing a flow sequence",
      NULL}},
    {"bad_duplicate.yaml",
     {"bad_duplicate.yaml:2:1: duplicate key 'storage_class'", NULL}},
    {"bad_toplevel.yaml",
     {"bad_toplevel.yaml:1:1: expected a mapping of settings", NULL}},
    {"bad_types.yaml",
     {"bad_types.yaml:1:16: key 'mtv_namespace': expected a non-empty "
      "string, got \"\"",
      "bad_types.yaml:4:23: key 'tests_params.test_t.virtual_machines': "
      "expected a non-empty list of VMs, got an empty list",
      "bad_types.yaml:5:22: key 'tests_params.test_t.target_affinity': "
      "expected a mapping, got a list",
      "bad_types.yaml:6:20: key 'tests_params.test_t.target_labels': "
      "expected a mapping of labels, got \"label\"",
      "bad_types.yaml:7:5: unknown key 'tests_params.test_t.mins'", NULL}},
};

static void test_config_bad__every_error_with_location(void **state)
{
    char cwd[4096];

    (void)state;
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(DATA), 0); /* so messages name the bare file */
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *bc = &bad_cases[i];
        const char *files[] = {bc->file};
        struct mtv_config *c = NULL;
        struct mtv_diag diag = MTV_DIAG_INIT;
        size_t n = 0;

        assert_int_equal(load_files(&c, files, 1, NULL, 0, &diag),
                         MTV_ECONFIG);
        assert_null(c);
        while (bc->errors[n] != NULL) {
            n++;
        }
        if (diag.errors.len != n) {
            fail_msg("%s: %zu errors, expected %zu (first: %s)", bc->file,
                     diag.errors.len, n,
                     diag.errors.len ? diag.errors.items[0] : "-");
        }
        for (size_t j = 0; j < n; j++) {
            assert_string_equal(diag.errors.items[j], bc->errors[j]);
        }
        mtv_diag_dispose(&diag);
    }
    assert_int_equal(chdir(cwd), 0);
}

static void test_config_bad__missing_file(void **state)
{
    const char *files[] = {DATA "no-such.yaml"};
    struct mtv_config *c = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;

    (void)state;
    assert_int_equal(load_files(&c, files, 1, NULL, 0, &diag), MTV_ECONFIG);
    assert_int_equal(diag.errors.len, 1);
    assert_string_equal(diag.errors.items[0],
                        DATA "no-such.yaml: cannot read: No such file or "
                             "directory");
    mtv_diag_dispose(&diag);
}

struct text_case {
    const char *yaml;
    const char *error; /* NULL: accepted */
};

static const struct text_case text_cases[] = {
    {"", NULL},
    {"# only a comment\n", NULL},
    {"tests_params: {}\n", NULL},
    {"a: &x [1]\nb: *x\n", "t.yaml:1:1: unknown key 'a'"},
    {"---\na: 1\n---\nb: 2\n",
     "t.yaml:3:1: only one YAML document is allowed"},
    {"? [a]\n: 1\n", "t.yaml:1:3: mapping keys must be scalars"},
    {"insecure_verify_skip: \"yes\"\n",
     "t.yaml:1:23: key 'insecure_verify_skip': expected boolean, got "
     "\"yes\""},
    {"insecure_verify_skip: \"TRUE\"\n", NULL},
    {"insecure_verify_skip: ON\n", NULL},
    {"tests_params:\n  s:\n    virtual_machines: [{name: a, "
     "disk_type: thick}]\n",
     "t.yaml:3:45: key 'tests_params.s.virtual_machines[0].disk_type': "
     "expected one of \"thin\", \"thick-lazy\", \"thick-eager\", got "
     "\"thick\""},
    {"tests_params:\n  s:\n    virtual_machines: [{name: a}]\n    "
     "target_labels: {k: [1]}\n",
     "t.yaml:4:24: key 'tests_params.s.target_labels.k': expected a label "
     "value or null, got a list"},
};

static void test_config_text__cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
        const struct text_case *tc = &text_cases[i];
        struct mtv_config *c = NULL;
        struct mtv_diag diag = MTV_DIAG_INIT;
        int rc = mtv_config_load_text(&c, "t.yaml", tc->yaml,
                                      strlen(tc->yaml), &diag);

        if (tc->error == NULL) {
            if (rc != 0) {
                fail_msg("case %zu: %s", i, diag.errors.items[0]);
            }
        } else {
            assert_int_equal(rc, MTV_ECONFIG);
            if (diag.errors.len < 1 ||
                strcmp(diag.errors.items[0], tc->error) != 0) {
                fail_msg("case %zu: got '%s'", i,
                         diag.errors.len ? diag.errors.items[0] : "-");
            }
        }
        mtv_config_free(c);
        mtv_diag_dispose(&diag);
    }
}

static void test_config_check_run__requires_provider_and_class(void **state)
{
    struct mtv_config *c = NULL;
    struct mtv_diag diag = MTV_DIAG_INIT;

    (void)state;
    assert_int_equal(mtv_config_load_text(&c, "t.yaml", "", 0, &diag), 0);
    assert_int_equal(mtv_config_check_run(c, &diag), MTV_ECONFIG);
    assert_int_equal(diag.errors.len, 2);
    assert_non_null(strstr(diag.errors.items[0], "source_provider"));
    assert_non_null(strstr(diag.errors.items[1], "storage_class"));
    mtv_config_free(c);
    mtv_diag_dispose(&diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults__five_warm_scenarios),
        cmocka_unit_test(test_config_defaults__match_warm_yaml),
        cmocka_unit_test(
            test_config_merge__later_wins_maps_merge_lists_replace),
        cmocka_unit_test(test_config_set__typed_by_declared_type),
        cmocka_unit_test(test_config_set__values),
        cmocka_unit_test(test_config_bad__every_error_with_location),
        cmocka_unit_test(test_config_bad__missing_file),
        cmocka_unit_test(test_config_text__cases),
        cmocka_unit_test(test_config_check_run__requires_provider_and_class),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
