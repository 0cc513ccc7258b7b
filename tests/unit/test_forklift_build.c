/*
 * forklift builders: every built object against a golden file in
 * tests/data/forklift/build/ and, for the Forklift kinds, against the real
 * CRD schema (read in place from $MTV_FORKLIFT_CRDS, else
 * <source>/../shared/reference/forklift-crds, else
 * /work/shared/reference/forklift-crds; never copied into the project).
 * MTV_UPDATE_GOLDEN=1 rewrites the golden files (review the diff!).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crd_schema.h"
#include "mtv/forklift.h"
#include "mtv/naming.h"

#define GOLDEN_DIR MTV_TEST_DATA_DIR "/forklift/build/"
#define SESSION "auto-ab12"
#define NS "auto-ab12"

/* ------------------------------------------------------------ helpers */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    long n;

    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

static struct mtv_json *load_json(const char *path)
{
    size_t len = 0;
    char *text = slurp(path, &len);
    struct mtv_json *j = NULL;

    if (text == NULL) {
        fail_msg("cannot read %s", path);
    }
    assert_int_equal(mtv_json_parse(&j, text, len, NULL, NULL), 0);
    free(text);
    return j;
}

static void golden(const char *name, const struct mtv_json *got)
{
    char path[512];
    struct mtv_json *want = NULL;

    snprintf(path, sizeof(path), GOLDEN_DIR "%s.json", name);
    if (getenv("MTV_UPDATE_GOLDEN") != NULL) {
        char *text = mtv_json_print(got, true);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "%s\n", text);
        fclose(f);
        free(text);
    }
    want = load_json(path);
    if (!mtv_json_equal(want, got)) {
        char *g = mtv_json_print(got, true);
        print_error("built %s differs from %s:\n%s\n", name, path, g);
        free(g);
        mtv_json_free(want);
        fail();
    }
    mtv_json_free(want);
}

/* The directory holding the real Forklift CRDs (see the file comment). */
static const char *crd_dir(void)
{
    static const char *const dirs[] = {MTV_SOURCE_DIR
                                       "/../shared/reference/forklift-crds",
                                       "/work/shared/reference/forklift-crds"};
    const char *env = getenv("MTV_FORKLIFT_CRDS");
    char probe[512];

    if (env != NULL && env[0] != '\0') {
        return env;
    }
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(probe, sizeof(probe), "%s/forklift.konveyor.io_plans.yaml",
                 dirs[i]);
        if (access(probe, R_OK) == 0) {
            return dirs[i];
        }
    }
    fail_msg("the Forklift CRDs are not found: set MTV_FORKLIFT_CRDS");
    return NULL;
}

static int schema_check(const char *crd, const struct mtv_json *obj, char *msg,
                        size_t size)
{
    struct mtv_json *schema = NULL;
    char path[768];
    int rc;

    snprintf(path, sizeof(path), "%s/%s", crd_dir(), crd);
    if (crd_schema_load(&schema, path, msg, size) != 0) {
        fail_msg("%s", msg);
    }
    rc = crd_schema_check(schema, obj, msg, size);
    mtv_json_free(schema);
    return rc;
}

static void assert_schema_ok(const char *crd, const struct mtv_json *obj)
{
    char msg[512];

    if (schema_check(crd, obj, msg, sizeof(msg)) != 0) {
        fail_msg("schema %s: %s", crd, msg);
    }
}

static void assert_session_label(const struct mtv_json *obj)
{
    assert_string_equal(
        mtv_json_string_or(obj, "metadata.labels.mtvtest\\.io/session", ""),
        SESSION);
}

/* ------------------------------------------------------------- inputs */

static const struct mtv_fl_providers providers = {{"auto-ab12-source-x", NS},
                                                  {"auto-ab12-local", NS}};

static int b_namespace(struct mtv_json **out)
{
    struct mtv_fl_meta m = {NS, NULL, SESSION};
    return mtv_forklift_build_namespace(out, &m, NULL);
}

static int b_vsphere_secret(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-k3j9", NS, SESSION};
    struct mtv_fl_vsphere_secret s = {
        "https://vc.example.com/sdk", "administrator@vsphere.local",
        "golden-not-a-real-password", false,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"};
    return mtv_forklift_build_vsphere_secret(out, &m, &s, NULL);
}

static int b_token_secret(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-t0k3", NS, SESSION};
    return mtv_forklift_build_token_secret(out, &m, "sha256~golden-token", true,
                                           NULL);
}

static int b_storage_secret(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-xcopy-st0r", NS,
                            SESSION};
    struct mtv_fl_kv kv[] = {{"STORAGE_HOSTNAME", "array.example.com"},
                             {"STORAGE_USERNAME", "admin"},
                             {"STORAGE_PASSWORD", "golden-array-password"},
                             {"ONTAP_SVM", "svm1"}};
    return mtv_forklift_build_storage_secret(out, &m, kv, 4, NULL);
}

static int b_vsphere_provider(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-p7r2", NS, SESSION};
    struct mtv_fl_vsphere_provider p = {
        "https://vc.example.com/sdk",
        {"auto-ab12-source-vsphere-8-0-k3j9", NS},
        "quay.io/example/vddk:8.0.3",
        false,
        NULL};
    return mtv_forklift_build_vsphere_provider(out, &m, &p, NULL);
}

static int b_vsphere_provider_xcopy(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-xcopy-p7r2", NS,
                            SESSION};
    struct mtv_fl_vsphere_provider p = {
        "https://vc.example.com/sdk",
        {"auto-ab12-source-vsphere-8-0-xcopy-k3j9", NS},
        NULL,
        true,
        "ssh"};
    return mtv_forklift_build_vsphere_provider(out, &m, &p, NULL);
}

static int b_ocp_local(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-local-ocp-provider", NS, SESSION};
    return mtv_forklift_build_ocp_provider(out, &m, NULL, NULL, NULL);
}

static int b_ocp_remote(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-destination-ocp-provider", NS, SESSION};
    struct mtv_fl_ref sec = {"auto-ab12-source-vsphere-8-0-t0k3", NS};
    return mtv_forklift_build_ocp_provider(
        out, &m, "https://api.cluster.example.com:6443", &sec, NULL);
}

static int b_storage_map(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-s9m1", NS, SESSION};
    struct mtv_strv ds = MTV_STRV_INIT;
    struct mtv_fl_storage_map in = {providers, "ocs-storagecluster-ceph-rbd",
                                    &ds, NULL};
    int rc;

    /* two disks on datastore1: one entry (PORT NOTE) */
    mtv_strv_push(&ds, "datastore1");
    mtv_strv_push(&ds, "datastore1");
    mtv_strv_push(&ds, "nfs-ds2");
    rc = mtv_forklift_build_storage_map(out, &m, &in, NULL);
    mtv_strv_dispose(&ds);
    return rc;
}

static int b_storage_map_offload(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-xcopy-s9m1", NS,
                            SESSION};
    struct mtv_strv ds = MTV_STRV_INIT;
    struct mtv_fl_offload off = {"auto-ab12-source-vsphere-8-0-xcopy-st0r",
                                 "ontap"};
    struct mtv_fl_storage_map in = {providers, "ontap-san", &ds, &off};
    int rc;

    mtv_strv_push(&ds, "datastore-11");
    rc = mtv_forklift_build_storage_map(out, &m, &in, NULL);
    mtv_strv_dispose(&ds);
    return rc;
}

static int b_network_map(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-n3t1", NS, SESSION};
    struct mtv_strv nets = MTV_STRV_INIT;
    struct mtv_strv nads = MTV_STRV_INIT;
    struct mtv_fl_network_map in = {providers, &nets, &nads, "default"};
    int rc;

    mtv_strv_push(&nets, "VM Network");
    mtv_strv_push(&nets, "Mgmt Network");
    mtv_strv_push(&nets, "Storage Network");
    mtv_strv_push(&nads, "cb-ab12-3-1");
    mtv_strv_push(&nads, "cb-ab12-3-2");
    rc = mtv_forklift_build_network_map(out, &m, &in, NULL);
    mtv_strv_dispose(&nets);
    mtv_strv_dispose(&nads);
    return rc;
}

static int b_nad1(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"cb-ab12-3-1", "default", SESSION};
    return mtv_forklift_build_nad(out, &m, 1, NULL);
}

static int b_nad2(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"cb-ab12-3-2", "default", SESSION};
    return mtv_forklift_build_nad(out, &m, 2, NULL);
}

static const struct mtv_fl_plan_vm plan_vms[] = {
    {"vm-2001", "auto-ab12-mtv-tests-rhel8-ceph-rbd-4-20-warm-k3j9"}};

static struct mtv_fl_plan plan_base(void)
{
    struct mtv_fl_plan p;

    memset(&p, 0, sizeof(p));
    p.providers = providers;
    p.network_map =
        (struct mtv_fl_ref){"auto-ab12-source-vsphere-8-0-n3t1", NS};
    p.storage_map =
        (struct mtv_fl_ref){"auto-ab12-source-vsphere-8-0-s9m1", NS};
    p.target_namespace = NS;
    p.vms = plan_vms;
    p.n_vms = 1;
    p.warm = true;
    return p;
}

static int b_plan_sanity(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-q1w2-warm", NS,
                            SESSION};
    struct mtv_fl_plan p = plan_base();

    p.preserve_static_ips = true;
    return mtv_forklift_build_plan(out, &m, &p, NULL);
}

static const char comprehensive_json[] =
    "{\"labels\": {\"mtv-comprehensive-test\": null, \"static-label\": "
    "\"static-value\"},"
    " \"affinity\": {\"podAffinity\": "
    "{\"preferredDuringSchedulingIgnoredDuringExecution\": ["
    "{\"podAffinityTerm\": {\"labelSelector\": {\"matchLabels\": "
    "{\"app\": \"comprehensive-test\"}}, \"topologyKey\": "
    "\"kubernetes.io/hostname\"}, \"weight\": 75}]}}}";

static int b_plan_comprehensive(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-c0m9-warm", NS,
                            SESSION};
    struct mtv_fl_plan p = plan_base();
    struct mtv_json *scen = NULL;
    int rc;

    assert_int_equal(mtv_json_parse(&scen, comprehensive_json,
                                    strlen(comprehensive_json), NULL, NULL),
                     0);
    p.target_namespace = "custom-vm-namespace";
    p.preserve_static_ips = true;
    p.target_power_state = "on";
    p.pvc_name_template = "{{ .FileName | trimSuffix \".vmdk\" | replace \"_\" "
                          "\"-\" }}-{{.DiskIndex}}";
    p.pvc_name_template_use_generate_name = MTV_FL_TRUE;
    p.target_labels = mtv_json_get(scen, "labels");
    p.target_affinity = mtv_json_get(scen, "affinity");
    rc = mtv_forklift_build_plan(out, &m, &p, NULL);
    mtv_json_free(scen);
    return rc;
}

static int b_plan_copyoffload(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-xcopy-x1y2-warm", NS,
                            SESSION};
    struct mtv_fl_plan p = plan_base();

    p.copyoffload = true;
    return mtv_forklift_build_plan(out, &m, &p, NULL);
}

static int b_migration(struct mtv_json **out)
{
    struct mtv_fl_meta m = {"auto-ab12-source-vsphere-8-0-m5n6-warm", NS,
                            SESSION};
    struct mtv_fl_ref plan = {"auto-ab12-source-vsphere-8-0-q1w2-warm", NS};
    char cutover[32];

    /* 2025-06-10T11:55:00Z + 5 min */
    assert_int_equal(mtv_forklift_format_cutover(cutover, sizeof(cutover),
                                                 1749556500000LL, 5.0, NULL),
                     0);
    assert_string_equal(cutover, "2025-06-10T12:00:00Z");
    return mtv_forklift_build_migration(out, &m, &plan, cutover, NULL);
}

static int b_precopy_patch(struct mtv_json **out)
{
    return mtv_forklift_build_precopy_patch(out, "forklift-controller", 2,
                                            NULL);
}

static int b_plan_archive(struct mtv_json **out)
{
    return mtv_forklift_build_plan_archive(
        out, "auto-ab12-source-vsphere-8-0-q1w2-warm", NULL);
}

static int b_migration_cancel(struct mtv_json **out)
{
    struct mtv_json *plan = NULL;
    int rc;

    assert_int_equal(b_plan_sanity(&plan), 0);
    rc = mtv_forklift_build_migration_cancel(
        out, "auto-ab12-source-vsphere-8-0-m5n6-warm", plan, NULL);
    mtv_json_free(plan);
    return rc;
}

struct build_case {
    const char *golden;
    int (*build)(struct mtv_json **out);
    const char *crd; /* NULL: not a Forklift kind / a patch */
    bool labelled;   /* a created object (not a patch) */
};

static const struct build_case builds[] = {
    {"namespace", b_namespace, NULL, true},
    {"vsphere-secret", b_vsphere_secret, NULL, true},
    {"token-secret", b_token_secret, NULL, true},
    {"storage-secret", b_storage_secret, NULL, true},
    {"vsphere-provider", b_vsphere_provider,
     "forklift.konveyor.io_providers.yaml", true},
    {"vsphere-provider-xcopy", b_vsphere_provider_xcopy,
     "forklift.konveyor.io_providers.yaml", true},
    {"ocp-provider-local", b_ocp_local, "forklift.konveyor.io_providers.yaml",
     true},
    {"ocp-provider-remote", b_ocp_remote, "forklift.konveyor.io_providers.yaml",
     true},
    {"storagemap", b_storage_map, "forklift.konveyor.io_storagemaps.yaml",
     true},
    {"storagemap-offload", b_storage_map_offload,
     "forklift.konveyor.io_storagemaps.yaml", true},
    {"networkmap", b_network_map, "forklift.konveyor.io_networkmaps.yaml",
     true},
    {"nad-1", b_nad1, NULL, true},
    {"nad-2", b_nad2, NULL, true},
    {"plan-sanity", b_plan_sanity, "forklift.konveyor.io_plans.yaml", true},
    {"plan-comprehensive", b_plan_comprehensive,
     "forklift.konveyor.io_plans.yaml", true},
    {"plan-copyoffload", b_plan_copyoffload, "forklift.konveyor.io_plans.yaml",
     true},
    {"migration", b_migration, "forklift.konveyor.io_migrations.yaml", true},
    {"precopy-patch", b_precopy_patch,
     "forklift.konveyor.io_forkliftcontrollers.yaml", false},
    {"plan-archive", b_plan_archive, NULL, false},
    {"migration-cancel", b_migration_cancel, NULL, false},
};

/* -------------------------------------------------------------- tests */

static void test_forklift_build__golden_and_schema(void **state)
{
    (void)state;

    for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
        struct mtv_json *obj = NULL;
        assert_int_equal(builds[i].build(&obj), 0);
        assert_non_null(obj);
        golden(builds[i].golden, obj);
        if (builds[i].labelled) {
            assert_session_label(obj);
        }
        if (builds[i].crd != NULL) {
            assert_schema_ok(builds[i].crd, obj);
        }
        mtv_json_free(obj);
    }
}

static void test_forklift_build__storagemap_has_no_duplicates(void **state)
{
    struct mtv_json *o = NULL;
    (void)state;

    assert_int_equal(b_storage_map(&o), 0);
    assert_int_equal(mtv_json_size(mtv_json_get(o, "spec.map")), 2);
    assert_string_equal(mtv_json_string_or(o, "spec.map[0].source.name", ""),
                        "datastore1");
    assert_string_equal(mtv_json_string_or(o, "spec.map[1].source.name", ""),
                        "nfs-ds2");
    mtv_json_free(o);
}

static void test_forklift_build__plan_fields(void **state)
{
    struct mtv_json *o = NULL;
    (void)state;

    assert_int_equal(b_plan_comprehensive(&o), 0);
    /* None label values become the session id (section 3.10) */
    assert_string_equal(
        mtv_json_string_or(o, "spec.targetLabels.mtv-comprehensive-test", ""),
        SESSION);
    assert_true(mtv_json_bool_or(o, "spec.warm", false));
    assert_true(
        mtv_json_bool_or(o, "spec.pvcNameTemplateUseGenerateName", false));
    /* {id, name} only */
    assert_int_equal(mtv_json_size(mtv_json_get(o, "spec.vms[0]")), 2);
    mtv_json_free(o);
    assert_int_equal(b_plan_sanity(&o), 0);
    assert_null(mtv_json_get(o, "spec.targetLabels"));
    assert_null(mtv_json_get(o, "spec.pvcNameTemplate"));
    assert_null(mtv_json_get(o, "spec.targetPowerState"));
    mtv_json_free(o);
    assert_int_equal(b_plan_copyoffload(&o), 0);
    assert_string_equal(mtv_json_string_or(o, "spec.pvcNameTemplate", ""),
                        "pvc");
    assert_false(mtv_json_bool_or(o, "spec.preserveStaticIPs", true));
    mtv_json_free(o);
}

static void test_forklift_build__precopy_is_an_integer(void **state)
{
    struct mtv_json *o = NULL;
    char *text = NULL;
    (void)state;

    assert_int_equal(b_precopy_patch(&o), 0);
    text = mtv_json_print(o, false);
    assert_non_null(strstr(text, "\"controller_precopy_interval\":2}"));
    free(text);
    mtv_json_free(o);
    o = NULL;
    assert_int_equal(mtv_forklift_build_precopy_patch(&o, "fc", 0, NULL),
                     MTV_EINVAL);
    assert_null(o);
}

/* The checker is not vacuous: the reference's string, unknown fields and
 * missing required members are caught. */
static void test_forklift_build__schema_rejects_bad_objects(void **state)
{
    static const struct {
        const char *crd;
        const char *json;
        const char *where;
    } bad[] = {
        {"forklift.konveyor.io_forkliftcontrollers.yaml",
         "{\"spec\": {\"controller_precopy_interval\": \"2\"}}",
         "spec.controller_precopy_interval"},
        {"forklift.konveyor.io_forkliftcontrollers.yaml",
         "{\"spec\": {\"controller_precopy_interval\": 0}}",
         "spec.controller_precopy_interval"},
        {"forklift.konveyor.io_plans.yaml",
         "{\"spec\": {\"provider\": {\"source\": {}, \"destination\": {}},"
         " \"map\": {\"network\": {}, \"storage\": {}}, \"vms\": []}}",
         "targetNamespace"},
        {"forklift.konveyor.io_plans.yaml",
         "{\"spec\": {\"provider\": {\"source\": {}, \"destination\": {}},"
         " \"map\": {\"network\": {}, \"storage\": {}}, \"vms\": "
         "[{\"id\": \"vm-1\", \"source_vm_power\": \"on\"}],"
         " \"targetNamespace\": \"x\"}}",
         "spec.vms[0].source_vm_power"},
        {"forklift.konveyor.io_providers.yaml",
         "{\"spec\": {\"type\": \"vsphere\", \"secret\": {}, "
         "\"settings\": {\"vddkInitImage\": 5}}}",
         "spec.settings.vddkInitImage"},
        {"forklift.konveyor.io_networkmaps.yaml",
         "{\"spec\": {\"provider\": {\"source\": {}, \"destination\": {}},"
         " \"map\": [{\"source\": {\"name\": \"n\"}, \"destination\": "
         "{\"type\": \"bridge\"}}]}}",
         "spec.map[0].destination.type"},
    };
    char msg[512];
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mtv_json *o = NULL;
        assert_int_equal(
            mtv_json_parse(&o, bad[i].json, strlen(bad[i].json), NULL, NULL),
            0);
        if (schema_check(bad[i].crd, o, msg, sizeof(msg)) != -1) {
            fail_msg("case %zu: accepted", i);
        }
        if (strstr(msg, bad[i].where) == NULL) {
            fail_msg("case %zu: '%s' does not name '%s'", i, msg, bad[i].where);
        }
        mtv_json_free(o);
    }
}

static void test_forklift_build__invalid_inputs(void **state)
{
    struct mtv_fl_meta m = {"x", NS, SESSION};
    struct mtv_fl_meta nosession = {"x", NS, NULL};
    struct mtv_fl_vsphere_secret s = {"https://vc/sdk", "u", NULL, false, NULL};
    struct mtv_fl_ref plan = {"p", NS};
    struct mtv_strv empty = MTV_STRV_INIT;
    struct mtv_fl_storage_map sm = {providers, "sc", &empty, NULL};
    struct mtv_fl_plan p = plan_base();
    struct mtv_json *o = NULL;
    struct mtv_error err;
    (void)state;

    assert_int_equal(mtv_forklift_build_namespace(&o, &nosession, &err),
                     MTV_EINVAL);
    assert_int_equal(mtv_forklift_build_vsphere_secret(&o, &m, &s, &err),
                     MTV_EINVAL);
    assert_int_equal(mtv_forklift_build_storage_map(&o, &m, &sm, &err),
                     MTV_EINVAL);
    assert_int_equal(
        mtv_forklift_build_migration(&o, &m, &plan, "tomorrow", &err),
        MTV_EINVAL);
    assert_non_null(strstr(err.msg, "tomorrow"));
    p.n_vms = 0;
    assert_int_equal(mtv_forklift_build_plan(&o, &m, &p, &err), MTV_EINVAL);
    assert_int_equal(
        mtv_forklift_build_ocp_provider(&o, &m, "https://x", NULL, &err),
        MTV_EINVAL);
    assert_null(o);
}

static void test_forklift_build__cutover_format(void **state)
{
    static const struct {
        int64_t now;
        double mins;
        const char *out;
    } cases[] = {
        {1749556500000LL, 5.0, "2025-06-10T12:00:00Z"},
        {1749556500999LL, 0.0, "2025-06-10T11:55:00Z"},
        {1749556500000LL, 0.5, "2025-06-10T11:55:30Z"},
        {1749556500000LL, 1440.0, "2025-06-11T11:55:00Z"},
    };
    char out[32];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(mtv_forklift_format_cutover(out, sizeof(out),
                                                     cases[i].now,
                                                     cases[i].mins, NULL),
                         0);
        assert_string_equal(out, cases[i].out);
    }
    assert_int_equal(
        mtv_forklift_format_cutover(out, sizeof(out), 0, -1.0, NULL),
        MTV_EINVAL);
}

static void test_forklift_build__precopy_save_restore(void **state)
{
    static const struct {
        const char *controller;
        const char *restore; /* the restore patch's value */
        long is;             /* mtv_forklift_precopy_is(.., is) */
        bool equal;
    } cases[] = {
        {"{\"spec\": {\"controller_precopy_interval\": 60}}", "60", 60, true},
        {"{\"spec\": {\"controller_precopy_interval\": \"5\"}}", "\"5\"", 5,
         true},
        {"{\"spec\": {}}", "null", 60, false},
        {"{\"metadata\": {}}", "null", 2, false},
        {"{\"spec\": {\"controller_precopy_interval\": 2}}", "2", 3, false},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_json *c = NULL;
        struct mtv_json *saved = NULL;
        struct mtv_json *patch = NULL;
        struct mtv_json *want = NULL;
        assert_int_equal(mtv_json_parse(&c, cases[i].controller,
                                        strlen(cases[i].controller), NULL,
                                        NULL),
                         0);
        assert_int_equal(mtv_forklift_precopy_save(&saved, c, NULL), 0);
        assert_int_equal(mtv_forklift_precopy_is(c, cases[i].is),
                         cases[i].equal);
        assert_int_equal(mtv_forklift_build_precopy_restore(
                             &patch, "forklift-controller", saved, NULL),
                         0);
        assert_int_equal(mtv_json_parse(&want, cases[i].restore,
                                        strlen(cases[i].restore), NULL, NULL),
                         0);
        assert_true(mtv_json_equal(
            mtv_json_get(patch, "spec.controller_precopy_interval"), want));
        assert_string_equal(mtv_json_string_or(patch, "metadata.name", ""),
                            "forklift-controller");
        mtv_json_free(c);
        mtv_json_free(saved);
        mtv_json_free(patch);
        mtv_json_free(want);
    }
}

static void test_forklift_build__deployment_precopy(void **state)
{
    static const char dep[] =
        "{\"spec\": {\"template\": {\"spec\": {\"containers\": ["
        "{\"name\": \"main\", \"env\": [{\"name\": \"A\", \"value\": \"1\"},"
        " {\"name\": \"PRECOPY_INTERVAL\", \"value\": \"2\"}]},"
        "{\"name\": \"inventory\"}]}}}}";
    static const char bad[] =
        "{\"spec\": {\"template\": {\"spec\": {\"containers\": ["
        "{\"name\": \"main\", \"env\": [{\"name\": \"PRECOPY_INTERVAL\", "
        "\"value\": \"2m\"}]}]}}}}";
    struct mtv_json *j = NULL;
    long v = 0;
    (void)state;

    assert_int_equal(mtv_json_parse(&j, dep, strlen(dep), NULL, NULL), 0);
    assert_int_equal(mtv_forklift_deployment_precopy(&v, j, NULL), 0);
    assert_int_equal(v, 2);
    mtv_json_free(j);
    j = NULL;
    assert_int_equal(mtv_json_parse(&j, bad, strlen(bad), NULL, NULL), 0);
    assert_int_equal(mtv_forklift_deployment_precopy(&v, j, NULL), MTV_EPROTO);
    mtv_json_free(j);
    j = mtv_json_new_object();
    assert_int_equal(mtv_forklift_deployment_precopy(&v, j, NULL),
                     MTV_ENOTFOUND);
    mtv_json_free(j);
}

static void capture(enum mtv_log_level level, const char *domain,
                    const char *line, void *payload)
{
    (void)level;
    (void)domain;
    mtv_buf_puts(payload, line);
}

static void test_forklift_build__password_is_never_logged(void **state)
{
    struct mtv_buf logged = MTV_BUF_INIT;
    struct mtv_json *o = NULL;
    char *text = NULL;
    (void)state;

    mtv_log_set_sink(capture, &logged);
    assert_int_equal(b_vsphere_secret(&o), 0);
    text = mtv_json_print(o, false);
    /* whoever logs the object later: the password is redacted */
    mtv_log(MTV_LOG_ERROR, "test", "posting %s", text);
    free(text);
    mtv_json_free(o);
    o = NULL;
    /* storage secret: credentials redacted, the host name is not */
    assert_int_equal(b_storage_secret(&o), 0);
    mtv_log(MTV_LOG_ERROR, "test",
            "array golden-array-password at "
            "array.example.com");
    mtv_log_set_sink(NULL, NULL);
    assert_non_null(logged.data);
    assert_null(strstr(logged.data, "golden-not-a-real-password"));
    assert_null(strstr(logged.data, "golden-array-password"));
    assert_non_null(strstr(logged.data, "array.example.com"));
    mtv_json_free(o);
    mtv_buf_dispose(&logged);
    mtv_log_clear_secrets();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forklift_build__golden_and_schema),
        cmocka_unit_test(test_forklift_build__storagemap_has_no_duplicates),
        cmocka_unit_test(test_forklift_build__plan_fields),
        cmocka_unit_test(test_forklift_build__precopy_is_an_integer),
        cmocka_unit_test(test_forklift_build__schema_rejects_bad_objects),
        cmocka_unit_test(test_forklift_build__invalid_inputs),
        cmocka_unit_test(test_forklift_build__cutover_format),
        cmocka_unit_test(test_forklift_build__precopy_save_restore),
        cmocka_unit_test(test_forklift_build__deployment_precopy),
        cmocka_unit_test(test_forklift_build__password_is_never_logged),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
