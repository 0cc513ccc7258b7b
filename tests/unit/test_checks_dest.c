/* checks: the destination model built from KubeVirt VM/VMI/PVC JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtv/checks.h"

static struct mtv_json *load(const char *name)
{
    char path[512];
    char buf[65536];
    struct mtv_json *j = NULL;
    FILE *f = NULL;
    size_t n;

    snprintf(path, sizeof(path), "%s/checks/%s", MTV_TEST_DATA_DIR, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_int_equal(mtv_json_parse(&j, buf, n, NULL, NULL), 0);
    return j;
}

static struct mtv_json *parse(const char *text)
{
    struct mtv_json *j = NULL;

    assert_int_equal(mtv_json_parse(&j, text, strlen(text), NULL, NULL), 0);
    return j;
}

struct quantity_case {
    const char *text;
    int rc;
    long long bytes;
};

static const struct quantity_case quantities[] = {
    {"4Gi", 0, 4294967296LL},    {"4096Mi", 0, 4294967296LL},
    {"8G", 0, 8000000000LL},     {"1.5Gi", 0, 1610612736LL},
    {"2e9", 0, 2000000000LL},    {"512Ki", 0, 524288},
    {"1000", 0, 1000},           {"500m", 0, 0},
    {"1Ti", 0, 1099511627776LL}, {"", MTV_EINVAL, 0},
    {"4GiB", MTV_EINVAL, 0},     {"Gi", MTV_EINVAL, 0},
    {"-1Gi", MTV_EINVAL, 0},     {" 4Gi", MTV_EINVAL, 0},
};

static void test_checks_dest__quantities(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(quantities) / sizeof(quantities[0]); i++) {
        long long v = -1;

        print_message("quantity \"%s\"\n", quantities[i].text);
        assert_int_equal(mtv_checks_parse_quantity(quantities[i].text, &v),
                         quantities[i].rc);
        if (quantities[i].rc == 0) {
            assert_int_equal(v, quantities[i].bytes);
        }
    }
}

static void test_checks_dest__running_vm_reads_the_vmi(void **state)
{
    struct mtv_json *vm = load("vm.json");
    struct mtv_json *vmi = load("vmi.json");
    struct mtv_json *pvcs = load("pvcs.json");
    struct mtv_checks_dest_input in = {vm, vmi, pvcs};
    struct mtv_checks_dest *d = NULL;

    (void)state;
    assert_int_equal(mtv_checks_dest_build(&d, &in, NULL), 0);
    assert_string_equal(d->namespace, "custom-vm-namespace");
    assert_true(d->running);
    assert_true(d->vmi_present);
    assert_true(d->agent_connected);
    assert_string_equal(d->node_name, "lab-node-1");
    assert_int_equal(d->cores, 2);
    assert_int_equal(d->sockets, 2);
    assert_int_equal(d->memory_mb, 8192);
    /* the interface without a network entry is ignored */
    assert_int_equal(d->n_nics, 2);
    assert_string_equal(d->nics[0].network, "pod");
    assert_string_equal(d->nics[0].mac, "00:50:56:AA:BB:01");
    assert_string_equal(d->nics[0].ip, "10.128.0.55");
    assert_string_equal(d->nics[1].network, "cb-3f2a1c-1");
    assert_int_equal(d->n_disks, 3);
    assert_string_equal(d->disks[1].pvc_name,
                        "mtv-win2022-ip-3disks-1-1-ab3de");
    assert_true(d->disks[1].pvc_found);
    assert_int_equal(d->disks[1].size_kb, 10 * 1024 * 1024);
    assert_string_equal(d->disks[1].storage_class, "lab-standard");
    assert_string_equal(d->disks[1].access_mode, "ReadWriteOnce");
    assert_int_equal(d->disks[2].unit_number, 2);
    assert_string_equal(
        d->serial, "VMware-42 1a 2b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8");
    assert_string_equal(mtv_json_string_or(d->labels, "static-label", ""),
                        "static-value");
    assert_non_null(mtv_json_get(d->affinity, "podAffinity"));
    mtv_checks_dest_free(d);
    mtv_json_free(vm);
    mtv_json_free(vmi);
    mtv_json_free(pvcs);
}

static void test_checks_dest__stopped_vm_reads_the_template(void **state)
{
    struct mtv_json *vm = parse(
        "{\"metadata\":{\"name\":\"vm1\",\"namespace\":\"ns\"},"
        "\"spec\":{\"runStrategy\":\"Halted\",\"template\":{\"spec\":{"
        "\"domain\":{\"cpu\":{\"cores\":1,\"sockets\":4},"
        "\"resources\":{\"requests\":{\"memory\":\"2048Mi\"}},"
        "\"devices\":{\"interfaces\":[{\"name\":\"net-0\",\"macAddress\":"
        "\"02:00:00:00:00:01\",\"masquerade\":{}}]}},"
        "\"networks\":[{\"name\":\"net-0\",\"pod\":{}}],"
        "\"volumes\":[{\"name\":\"vol-0\",\"dataVolume\":{\"name\":\"dv0\"}},"
        "{\"name\":\"cloudinit\",\"cloudInitNoCloud\":{\"userData\":\"x\"}},"
        "{\"name\":\"vol-1\",\"persistentVolumeClaim\":{\"claimName\":"
        "\"gone\"}}]}}},"
        "\"status\":{\"printableStatus\":\"Stopped\"}}");
    struct mtv_json *pvcs = parse(
        "[{\"metadata\":{\"name\":\"dv0\"},\"spec\":{\"storageClassName\":"
        "\"sc\",\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}]");
    struct mtv_checks_dest_input in = {vm, NULL, pvcs};
    struct mtv_checks_dest *d = NULL;

    (void)state;
    assert_int_equal(mtv_checks_dest_build(&d, &in, NULL), 0);
    assert_false(d->running);
    assert_false(d->vmi_present);
    assert_false(d->agent_connected);
    assert_string_equal(d->printable_status, "Stopped");
    assert_int_equal(d->sockets, 4);
    assert_int_equal(d->memory_mb, 2048);
    assert_int_equal(d->n_nics, 1);
    assert_string_equal(d->nics[0].mac, "02:00:00:00:00:01");
    assert_null(d->nics[0].ip);
    assert_int_equal(d->n_disks, 2);
    assert_int_equal(d->n_other_volumes, 1);
    assert_true(d->disks[0].pvc_found);
    assert_false(d->disks[1].pvc_found);
    assert_int_equal(d->disks[1].unit_number, 1);
    assert_null(d->serial);
    assert_null(d->labels);
    mtv_checks_dest_free(d);
    mtv_json_free(vm);
    mtv_json_free(pvcs);
}

static void test_checks_dest__vm_without_name_is_an_error(void **state)
{
    struct mtv_json *vm = parse("{\"kind\":\"VirtualMachine\"}");
    struct mtv_checks_dest_input in = {vm, NULL, NULL};
    struct mtv_checks_dest *d = NULL;
    struct mtv_error err;

    (void)state;
    mtv_error_clear(&err);
    assert_int_equal(mtv_checks_dest_build(&d, &in, &err), MTV_EPROTO);
    assert_null(d);
    assert_non_null(strstr(err.msg, "metadata.name"));
    mtv_json_free(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_dest__quantities),
        cmocka_unit_test(test_checks_dest__running_vm_reads_the_vmi),
        cmocka_unit_test(test_checks_dest__stopped_vm_reads_the_template),
        cmocka_unit_test(test_checks_dest__vm_without_name_is_an_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
