/*
 * checks: every validator against fixture records. The defects table of
 * CONTRACTS.md section 6 is replayed on a healthy migrated VM (the
 * comprehensive warm scenario's Windows VM): each mutation must make
 * exactly the listed validators fail.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtv/checks.h"

/* ----------------------------------------------------------- the source */

static const struct mtv_checks_src_ip nic0_ips[] = {
    {"192.168.22.153", 24, "192.168.22.1", 1},
};
static const struct mtv_checks_src_ip nic1_ips[] = {
    {"192.168.50.20", 24, NULL, 0},
};
static const struct mtv_checks_src_nic src_nics[] = {
    {"Network adapter 1", "00:50:56:aa:bb:01", "VM Network", nic0_ips, 1},
    {"Network adapter 2", "00:50:56:aa:bb:02", "DC0_DVPG0", nic1_ips, 1},
};
/* deliberately out of (controller, unit) order */
static const struct mtv_checks_src_disk src_disks[] = {
    {"Hard disk 3", 5242880, "LocalDS_0", 2002, 1000, 2,
     "[LocalDS_0] "
     "auto-ab12-mtv-win2022-ip-3disks/mtv_win2022_ip_3disks_2.vmdk"},
    {"Hard disk 1", 62914560, "LocalDS_0", 2000, 1000, 0,
     "[LocalDS_0] auto-ab12-mtv-win2022-ip-3disks/mtv_win2022_ip_3disks.vmdk"},
    {"Hard disk 2", 10485760, "LocalDS_0", 2001, 1000, 1,
     "[LocalDS_0] "
     "auto-ab12-mtv-win2022-ip-3disks/mtv_win2022_ip_3disks_1.vmdk"},
};

#define VM_NAME "auto-ab12-mtv-win2022-ip-3disks-lab-standard--warm-k3j9"

static const struct mtv_checks_source source = {
    VM_NAME, "421a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8",
    true,    "off",
    4,       2,
    8192,    src_nics,
    2,       src_disks,
    3,       NULL,
    0,
};

/* ------------------------------------------------------------- fixture */

struct fx {
    struct mtv_json *vm;
    struct mtv_json *vmi;
    struct mtv_json *pvcs;
    struct mtv_json *provider;
    struct mtv_json *secret;
    struct mtv_json *planj;
    struct mtv_checks_dest *dest;
    struct mtv_checks_plan plan;
    struct mtv_checks_vm vmin;
    struct mtv_checks_env env;
    char *ipconfig;
    bool ssh_down;
    bool ip_lost;
    int execs;
    int waits;
};

static struct mtv_json *load(const char *name)
{
    char path[512];
    struct mtv_json *j = NULL;
    FILE *f = NULL;
    char buf[65536];
    size_t n;

    snprintf(path, sizeof(path), "%s/checks/%s", MTV_TEST_DATA_DIR, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_int_equal(mtv_json_parse(&j, buf, n, NULL, NULL), 0);
    return j;
}

static char *read_file(const char *name)
{
    char path[512];
    FILE *f = NULL;
    char *buf = calloc(1, 65536);
    size_t n;

    snprintf(path, sizeof(path), "%s/checks/%s", MTV_TEST_DATA_DIR, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_non_null(buf);
    n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Replace every `from` with `to` (same length) in s. */
static void replace_same_len(char *s, const char *from, const char *to)
{
    char *p = NULL;

    assert_int_equal(strlen(from), strlen(to));
    while ((p = strstr(s, from)) != NULL) {
        memcpy(p, to, strlen(to));
        s = p + strlen(to);
    }
}

/* The guest answers like the migrated VM: its first NIC's MAC. */
static int fake_exec(const struct mtv_checks_exec_req *req,
                     struct mtv_checks_exec_res *res, struct mtv_error *err,
                     void *payload)
{
    struct fx *f = payload;
    char mac[18];
    size_t i;

    f->execs++;
    assert_string_equal(req->user, "Administrator");
    assert_string_equal(req->vm_name, VM_NAME);
    if (f->ssh_down) {
        return mtv_error_set(err, MTV_EIO, "ssh",
                             "connect to %s/%s:22: "
                             "connection refused",
                             req->namespace, req->vm_name);
    }
    res->exit_status = 0;
    if (strcmp(req->command, "true") == 0) {
        res->out = strdup("");
        return 0;
    }
    assert_string_equal(req->command, "ipconfig /all");
    res->out = strdup(f->ipconfig);
    snprintf(mac, sizeof(mac), "%s", f->dest->nics[0].mac);
    for (i = 0; mac[i] != '\0'; i++) {
        mac[i] = mac[i] == ':' ? '-' : (char)toupper((unsigned char)mac[i]);
    }
    replace_same_len(res->out, "00-50-56-AA-BB-01", mac);
    if (f->ip_lost) {
        replace_same_len(res->out, "192.168.22.153", "192.168.22.201");
    }
    return 0;
}

static int fake_get_vmi(struct mtv_json **out,
                        const struct mtv_checks_dest *dest,
                        struct mtv_error *err, void *payload)
{
    struct fx *f = payload;

    (void)dest;
    if (f->vmi == NULL) {
        return mtv_error_set(err, MTV_ENOTFOUND, "k8s", "vmi not found");
    }
    *out = mtv_json_dup(f->vmi);
    return 0;
}

static void fake_wait(int64_t ms, void *payload)
{
    struct fx *f = payload;

    assert_true(ms > 0);
    f->waits++;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->vm = load("vm.json");
    f->vmi = load("vmi.json");
    f->pvcs = load("pvcs.json");
    f->provider = load("provider.json");
    f->secret = load("provider-secret.json");
    f->planj = load("plan.json");
    f->ipconfig = read_file("win2022-ipconfig-all.txt");
    f->plan.source_type = "vsphere";
    f->plan.storage_class = "lab-standard";
    f->plan.target_power_state = "on";
    f->plan.pvc_name_template =
        "{{ .FileName | trimSuffix \".vmdk\" | replace \"_\" \"-\" }}"
        "-{{.DiskIndex}}";
    f->plan.pvc_name_use_generate_name = true;
    f->plan.target_labels = mtv_json_get(f->planj, "target_labels");
    f->plan.target_affinity = mtv_json_get(f->planj, "target_affinity");
    f->plan.preserve_static_ips = true;
    f->plan.session_id = "auto-ab12";
    f->plan.network_map = mtv_json_get(f->planj, "network_map");
    f->plan.storage_map = mtv_json_get(f->planj, "storage_map");
    f->plan.cluster_version = "4.20.3";
    f->plan.provider = f->provider;
    f->plan.provider_secret = f->secret;
    f->plan.guest_win_user = "Administrator";
    f->plan.guest_win_password = "not-a-real-password-1234";
    f->plan.guest_agent_timeout_ms = 20;
    f->plan.guest_agent_interval_ms = 5;
    f->plan.ssh_timeout_ms = 20;
    f->plan.ssh_interval_ms = 5;
    f->plan.static_ip_timeout_ms = 20;
    f->plan.static_ip_interval_ms = 5;
    f->vmin.name = VM_NAME;
    f->vmin.source_vm_power = "on";
    f->vmin.guest_agent = true;
    f->vmin.expected_disk_count = -1;
    f->vmin.source = &source;
    f->env.exec = fake_exec;
    f->env.get_vmi = fake_get_vmi;
    f->env.wait = fake_wait;
    f->env.payload = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    mtv_json_free(f->vm);
    mtv_json_free(f->vmi);
    mtv_json_free(f->pvcs);
    mtv_json_free(f->provider);
    mtv_json_free(f->secret);
    mtv_json_free(f->planj);
    mtv_checks_dest_free(f->dest);
    free(f->ipconfig);
    free(f);
    return 0;
}

/* Build the destination model from the (mutated) JSON. */
static void build(struct fx *f)
{
    struct mtv_checks_dest_input in = {f->vm, f->vmi, f->pvcs};
    struct mtv_error err;

    mtv_error_clear(&err);
    mtv_checks_dest_free(f->dest);
    f->dest = NULL;
    assert_int_equal(mtv_checks_dest_build(&f->dest, &in, &err), 0);
    f->vmin.dest = f->dest;
}

/* "cpu,network" of the failed validators. */
static void failed_set(const struct mtv_checks_report *r, char *out,
                       size_t size)
{
    size_t i;

    out[0] = '\0';
    for (i = 0; i < r->n; i++) {
        if (r->results[i].status == MTV_CHECK_FAIL) {
            snprintf(out + strlen(out), size - strlen(out), "%s%s",
                     out[0] != '\0' ? "," : "", r->results[i].name);
        }
    }
}

static void print_report(const struct mtv_checks_report *r)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        print_message("  %-12s %s %s\n", r->results[i].name,
                      mtv_check_status_name(r->results[i].status),
                      r->results[i].message);
    }
}

/* ------------------------------------------------------------ mutations */

static struct mtv_json *mut(struct mtv_json *j, const char *path)
{
    struct mtv_json *p = mtv_json_get_mut(j, path);

    assert_non_null(p);
    return p;
}

static void both_specs(struct fx *f, const char *rel, const char *key,
                       const char *value, long long num)
{
    char vm_path[256];
    struct mtv_json *targets[2];
    size_t i;

    snprintf(vm_path, sizeof(vm_path), "spec.template.spec%s%s",
             rel[0] != '\0' ? "." : "", rel);
    targets[0] = mut(f->vm, vm_path);
    targets[1] = rel[0] != '\0' ? mut(f->vmi, "spec") : NULL;
    if (targets[1] != NULL) {
        targets[1] = mut(targets[1], rel);
    }
    for (i = 0; i < 2; i++) {
        if (targets[i] == NULL) {
            continue;
        }
        assert_int_equal(
            value != NULL ? mtv_json_set_string(targets[i], key, value)
                          : mtv_json_set_number(targets[i], key, (double)num),
            0);
    }
}

static void d_wrong_cpu(struct fx *f)
{
    both_specs(f, "domain.cpu", "cores", NULL, 4);
}

static void d_wrong_memory(struct fx *f)
{
    both_specs(f, "domain.memory", "guest", "4Gi", 0);
}

static void d_wrong_network(struct fx *f)
{
    both_specs(f, "networks[1].multus", "networkName", "default/other-net", 0);
}

static void d_wrong_mac(struct fx *f)
{
    both_specs(f, "domain.devices.interfaces[0]", "macAddress",
               "00:50:56:aa:bb:77", 0);
    assert_int_equal(mtv_json_set_string(mut(f->vmi, "status.interfaces[0]"),
                                         "mac", "00:50:56:aa:bb:77"),
                     0);
}

/* Keep only the first n elements of the array at path. */
static void truncate_array(struct mtv_json *j, const char *path, size_t n)
{
    struct mtv_json *arr = mtv_json_new_array();
    size_t i;

    for (i = 0; i < n; i++) {
        assert_int_equal(
            mtv_json_push_take(
                arr, mtv_json_dup(mtv_json_at(mtv_json_get(j, path), i))),
            0);
    }
    assert_int_equal(mtv_json_set_take(j, path, arr), 0);
}

static void d_missing_disk(struct fx *f)
{
    truncate_array(f->vm, "spec.template.spec.volumes", 2);
    truncate_array(f->vmi, "spec.volumes", 2);
    truncate_array(f->pvcs, "items", 2);
}

static void d_wrong_storage_class(struct fx *f)
{
    assert_int_equal(mtv_json_set_string(mut(f->pvcs, "items[1].spec"),
                                         "storageClassName", "other-class"),
                     0);
}

static void d_wrong_pvc_name(struct fx *f)
{
    const char *bad = "vol-1-wrong-name-ab3de";

    both_specs(f, "volumes[1].persistentVolumeClaim", "claimName", bad, 0);
    assert_int_equal(
        mtv_json_set_string(mut(f->pvcs, "items[1].metadata"), "name", bad), 0);
}

static void d_wrong_serial(struct fx *f)
{
    assert_int_equal(
        mtv_json_set_string(mut(f->vm, "spec.template.spec.domain.firmware"),
                            "serial", "5d3b1a52-0f0e-5d2e-9d4a-0f4e0d2b7c11"),
        0);
}

static void d_drop_labels(struct fx *f)
{
    struct mtv_json *l = mut(f->vm, "spec.template.metadata.labels");

    mtv_json_remove(l, "static-label");
    mtv_json_remove(l, "mtv-comprehensive-test");
}

static void d_drop_affinity(struct fx *f)
{
    mtv_json_remove(mut(f->vm, "spec.template.spec"), "affinity");
}

static void d_wrong_power_state(struct fx *f)
{
    assert_int_equal(
        mtv_json_set_string(f->vm, "status.printableStatus", "Stopped"), 0);
    assert_int_equal(mtv_json_set_string(f->vm, "spec.runStrategy", "Halted"),
                     0);
    mtv_json_free(f->vmi);
    f->vmi = NULL;
}

static void d_no_guest_agent(struct fx *f)
{
    truncate_array(f->vmi, "status.conditions", 2);
}

static void d_ssh_down(struct fx *f)
{
    f->ssh_down = true;
}

static void d_static_ip_lost(struct fx *f)
{
    f->ip_lost = true;
}

static void d_insecure_mismatch(struct fx *f)
{
    assert_int_equal(
        mtv_json_set_string(f->secret, "data.insecureSkipVerify", "dHJ1ZQ=="),
        0);
}

struct defect_case {
    const char *defect;
    void (*apply)(struct fx *f);
    const char *failing; /* CONTRACTS.md section 6 */
    const char *skipped; /* validators that must skip */
};

static const struct defect_case defects[] = {
    {"none", NULL, "", "snapshots,disk_count"},
    {"wrong-cpu", d_wrong_cpu, "cpu", NULL},
    {"wrong-memory", d_wrong_memory, "memory", NULL},
    {"wrong-network", d_wrong_network, "network", NULL},
    {"wrong-mac", d_wrong_mac, "network,static_ip", NULL},
    {"missing-disk", d_missing_disk, "storage,pvc_names", NULL},
    {"wrong-storage-class", d_wrong_storage_class, "storage", NULL},
    {"wrong-pvc-name", d_wrong_pvc_name, "pvc_names", NULL},
    {"wrong-serial", d_wrong_serial, "serial", NULL},
    {"drop-labels", d_drop_labels, "labels", NULL},
    {"drop-affinity", d_drop_affinity, "affinity", NULL},
    {"wrong-power-state", d_wrong_power_state, "power_state",
     "snapshots,guest_agent,ssh,static_ip,disk_count"},
    {"no-guest-agent", d_no_guest_agent, "guest_agent", NULL},
    {"ssh-down", d_ssh_down, "ssh,static_ip", NULL},
    {"static-ip-lost", d_static_ip_lost, "static_ip", NULL},
    {"insecure-mismatch", d_insecure_mismatch, "provider_ssl", NULL},
};

static void skipped_set(const struct mtv_checks_report *r, char *out,
                        size_t size)
{
    size_t i;

    out[0] = '\0';
    for (i = 0; i < r->n; i++) {
        if (r->results[i].status == MTV_CHECK_SKIP) {
            snprintf(out + strlen(out), size - strlen(out), "%s%s",
                     out[0] != '\0' ? "," : "", r->results[i].name);
        }
    }
}

static void test_checks_validators__defects_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(defects) / sizeof(defects[0]); i++) {
        struct fx *f = NULL;
        struct mtv_checks_report rep;
        char failed[512];
        char skipped[512];
        void *st = NULL;

        setup(&st);
        f = st;
        if (defects[i].apply != NULL) {
            defects[i].apply(f);
        }
        build(f);
        assert_int_equal(mtv_checks_run_all(&rep, &f->plan, &f->vmin, &f->env),
                         0);
        failed_set(&rep, failed, sizeof(failed));
        skipped_set(&rep, skipped, sizeof(skipped));
        print_message("defect %s: failed {%s} skipped {%s}\n",
                      defects[i].defect, failed, skipped);
        if (strcmp(failed, defects[i].failing) != 0) {
            print_report(&rep);
        }
        assert_int_equal(rep.n, MTV_CHECKS_COUNT);
        assert_string_equal(failed, defects[i].failing);
        assert_int_equal(rep.n_failed,
                         defects[i].failing[0] == '\0'
                             ? 0
                             : 1 + (strchr(defects[i].failing, ',') != NULL));
        assert_string_equal(skipped, defects[i].skipped != NULL
                                         ? defects[i].skipped
                                         : "snapshots,disk_count");
        teardown(&st);
    }
}

static void test_checks_validators__order_and_names(void **state)
{
    struct fx *f = *state;
    struct mtv_checks_report rep;
    struct mtv_buf b = MTV_BUF_INIT;
    size_t n = 0;
    const char *const *names = mtv_checks_names(&n);
    size_t i;

    build(f);
    f->plan.storage_class = "other";
    f->vmin.source_vm_power = "off";
    f->plan.target_power_state = NULL;
    assert_int_equal(mtv_checks_run_all(&rep, &f->plan, &f->vmin, &f->env), 0);
    assert_int_equal(n, MTV_CHECKS_COUNT);
    for (i = 0; i < n; i++) {
        assert_string_equal(rep.results[i].name, names[i]);
    }
    assert_string_equal(names[0], "provider_ssl");
    assert_string_equal(names[14], "disk_count");
    assert_int_equal(mtv_checks_failed_names(&rep, &b), 0);
    assert_string_equal(b.data, "power_state, storage");
    /* expected vs found, and where */
    assert_non_null(strstr(rep.results[1].message, "expected \"off\""));
    assert_non_null(strstr(rep.results[5].message,
                           "PVC mtv-win2022-ip-3disks-0-x7k2p: storage class "
                           "expected \"other\", found \"lab-standard\""));
    mtv_buf_dispose(&b);
    assert_int_equal(mtv_checks_run_all(&rep, NULL, &f->vmin, NULL),
                     MTV_EINVAL);
}

/* ------------------------------------------- per-validator table cases */

struct one_case {
    const char *validator;
    void (*apply)(struct fx *f);
    enum mtv_check_status want;
    const char *in_message;
};

static void c_no_secret(struct fx *f)
{
    f->plan.provider_secret = NULL;
}

static void c_provider_without_secret(struct fx *f)
{
    mtv_json_remove(mut(f->provider, "spec"), "secret");
}

static void c_insecure_config(struct fx *f)
{
    f->plan.source_insecure_skip_verify = true;
}

static void c_bad_power(struct fx *f)
{
    f->plan.target_power_state = NULL;
    f->vmin.source_vm_power = "sideways";
}

static void c_no_power(struct fx *f)
{
    f->plan.target_power_state = NULL;
    f->vmin.source_vm_power = NULL;
}

static void c_network_unmapped(struct fx *f)
{
    f->plan.network_map = NULL;
}

static void c_network_openshift(struct fx *f)
{
    f->plan.source_type = "openshift";
    f->plan.network_map = NULL;
}

static void c_no_template(struct fx *f)
{
    f->plan.pvc_name_template = NULL;
}

static void c_bad_template(struct fx *f)
{
    f->plan.pvc_name_template = "{{ .FileName | nosuch }}";
}

static void c_exact_names(struct fx *f)
{
    f->plan.pvc_name_use_generate_name = false;
}

static void c_disk_order(struct fx *f)
{
    struct mtv_json *v = mut(f->vmi, "spec.volumes");
    struct mtv_json *swapped = mtv_json_new_array();

    assert_int_equal(
        mtv_json_push_take(swapped, mtv_json_dup(mtv_json_at(v, 1))), 0);
    assert_int_equal(
        mtv_json_push_take(swapped, mtv_json_dup(mtv_json_at(v, 0))), 0);
    assert_int_equal(
        mtv_json_push_take(swapped, mtv_json_dup(mtv_json_at(v, 2))), 0);
    assert_int_equal(mtv_json_set_take(f->vmi, "spec.volumes", swapped), 0);
}

static void c_null_label_wrong_session(struct fx *f)
{
    f->plan.session_id = "auto-zz99";
}

static void c_no_labels_plan(struct fx *f)
{
    f->plan.target_labels = NULL;
    f->plan.target_affinity = NULL;
}

static void c_affinity_weight(struct fx *f)
{
    struct mtv_json *t = mut(f->vm, "spec.template.spec.affinity.podAffinity."
                                    "preferredDuringSchedulingIgnoredDuring"
                                    "Execution[0]");

    assert_int_equal(mtv_json_set_number(t, "weight", 50), 0);
}

static void c_old_cluster(struct fx *f)
{
    f->plan.cluster_version = "4.19.9";
}

static void c_old_cluster_plain_serial(struct fx *f)
{
    f->plan.cluster_version = "4.18.0-ec.2";
    assert_int_equal(
        mtv_json_set_string(mut(f->vm, "spec.template.spec.domain.firmware"),
                            "serial", "421A2B3C-4D5E-6F70-8192-A3B4C5D6E7F8"),
        0);
}

static void c_no_serial(struct fx *f)
{
    mtv_json_remove(mut(f->vm, "spec.template.spec.domain.firmware"), "serial");
}

static void c_no_agent_wanted(struct fx *f)
{
    f->vmin.guest_agent = false;
}

static void c_no_creds(struct fx *f)
{
    f->plan.guest_win_user = NULL;
}

static void c_no_static(struct fx *f)
{
    static const struct mtv_checks_src_nic nics[] = {
        {"Network adapter 1", "00:50:56:aa:bb:01", "VM Network", nic1_ips, 1},
    };
    static struct mtv_checks_source s;

    s = source;
    s.nics = nics;
    s.n_nics = 1;
    f->vmin.source_before = &s;
}

static void c_ipv6_static_ignored(struct fx *f)
{
    static const struct mtv_checks_src_ip ips[] = {
        {"fd00:22::153", 64, NULL, 1},
        {"192.168.22.153", 24, "192.168.22.1", 1},
    };
    static const struct mtv_checks_src_nic nics[] = {
        {"Network adapter 1", "00:50:56:aa:bb:01", "VM Network", ips, 2},
    };
    static struct mtv_checks_source s;

    s = source;
    s.nics = nics;
    s.n_nics = 1;
    f->vmin.source_before = &s;
}

static void c_gateway_differs(struct fx *f)
{
    replace_same_len(f->ipconfig, "192.168.22.1\r", "192.168.22.9\r");
}

static void c_mask_differs(struct fx *f)
{
    replace_same_len(f->ipconfig,
                     "255.255.255.0\r\n   IPv4 Address. . . . . "
                     ". . . . . . : 192.168.22.154",
                     "255.255.254.0\r\n   IPv4 Address. . . . . "
                     ". . . . . . : 192.168.22.154");
}

static void c_no_static_pref(struct fx *f)
{
    f->plan.preserve_static_ips = false;
}

static void c_copyoffload_ok(struct fx *f)
{
    f->vmin.expected_disk_count = 3;
}

static void c_copyoffload_bad(struct fx *f)
{
    f->vmin.expected_disk_count = 2;
}

static const struct mtv_checks_snapshot snaps_before[] = {
    {"snapshot-12", "before-migration", "poweredOff", "2026-11-25T19:01:10Z"},
    {"snapshot-11", "base", "poweredOff", "2026-11-25T18:00:00Z"},
};
static const struct mtv_checks_snapshot snaps_after_ok[] = {
    {"snapshot-11", "base", "poweredOff", "2026-11-25T18:00:42Z"},
    {"snapshot-12", "before-migration", "poweredOff", "2026-11-25T19:01:59Z"},
};
static const struct mtv_checks_snapshot snaps_after_renamed[] = {
    {"snapshot-11", "base", "poweredOff", "2026-11-25T18:00:00Z"},
    {"snapshot-12", "renamed", "poweredOff", "2026-11-25T19:01:10Z"},
};

static struct mtv_checks_source snap_before_src;
static struct mtv_checks_source snap_after_src;

static void with_snapshots(struct fx *f,
                           const struct mtv_checks_snapshot *after,
                           size_t n_after)
{
    snap_before_src = source;
    snap_before_src.snapshots = snaps_before;
    snap_before_src.n_snapshots = 2;
    snap_after_src = source;
    snap_after_src.snapshots = after;
    snap_after_src.n_snapshots = n_after;
    f->vmin.source_before = &snap_before_src;
    f->vmin.source = &snap_after_src;
}

static void c_snap_same(struct fx *f)
{
    with_snapshots(f, snaps_after_ok, 2);
}

static void c_snap_renamed(struct fx *f)
{
    with_snapshots(f, snaps_after_renamed, 2);
}

static void c_snap_lost_one(struct fx *f)
{
    with_snapshots(f, snaps_after_ok, 1);
}

static const struct one_case ones[] = {
    {"provider_ssl", NULL, MTV_CHECK_PASS, "insecureSkipVerify is \"false\""},
    {"provider_ssl", c_no_secret, MTV_CHECK_FAIL, "not found"},
    {"provider_ssl", c_provider_without_secret, MTV_CHECK_SKIP,
     "no spec.secret"},
    {"provider_ssl", c_insecure_config, MTV_CHECK_FAIL,
     "expected \"true\", found \"false\""},
    {"power_state", c_bad_power, MTV_CHECK_FAIL, "must be \"on\" or \"off\""},
    {"power_state", c_no_power, MTV_CHECK_SKIP, "no target_power_state"},
    {"cpu", d_wrong_cpu, MTV_CHECK_FAIL,
     "cores per socket: expected 2, found 4"},
    {"memory", d_wrong_memory, MTV_CHECK_FAIL,
     "expected 8192 MiB, found 4096 MiB"},
    {"network", c_network_unmapped, MTV_CHECK_FAIL,
     "network \"VM Network\" not found in the migration map"},
    {"network", d_wrong_network, MTV_CHECK_FAIL,
     "expected network \"cb-3f2a1c-1\", found \"other-net\""},
    {"network", c_network_openshift, MTV_CHECK_SKIP, "openshift"},
    {"pvc_names", c_no_template, MTV_CHECK_SKIP, "no pvc_name_template"},
    {"pvc_names", c_bad_template, MTV_CHECK_FAIL,
     "1:16: function \"nosuch\" not defined"},
    {"pvc_names", c_exact_names, MTV_CHECK_FAIL,
     "no PVC named \"mtv-win2022-ip-3disks-0\""},
    {"pvc_names", c_disk_order, MTV_CHECK_FAIL, "disk order not preserved"},
    {"pvc_names", d_missing_disk, MTV_CHECK_FAIL,
     "disk 2 (mtv_win2022_ip_3disks_2.vmdk): no PVC starting with "
     "\"mtv-win2022-ip-3disks-2-2\""},
    {"labels", c_null_label_wrong_session, MTV_CHECK_FAIL,
     "label mtv-comprehensive-test: expected \"auto-zz99\", found "
     "\"auto-ab12\""},
    {"labels", c_no_labels_plan, MTV_CHECK_SKIP, "no target_labels"},
    {"affinity", c_affinity_weight, MTV_CHECK_FAIL, "\"weight\":50"},
    {"affinity", c_no_labels_plan, MTV_CHECK_SKIP, "no target_affinity"},
    {"serial", c_old_cluster, MTV_CHECK_FAIL,
     "expected \"421a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8\""},
    {"serial", c_old_cluster_plain_serial, MTV_CHECK_PASS, "preserved"},
    {"serial", c_no_serial, MTV_CHECK_FAIL, "has no"},
    {"guest_agent", c_no_agent_wanted, MTV_CHECK_SKIP, "does not ask"},
    {"ssh", c_no_creds, MTV_CHECK_FAIL,
     "guest_vm_win_user and guest_vm_win_password"},
    {"ssh", d_wrong_power_state, MTV_CHECK_SKIP,
     "is not running (printableStatus Stopped); mtvtest does not start it"},
    {"ssh", d_ssh_down, MTV_CHECK_FAIL, "connection refused"},
    {"static_ip", c_no_static, MTV_CHECK_FAIL, "no static IP interfaces found"},
    {"static_ip", c_ipv6_static_ignored, MTV_CHECK_PASS,
     "1 static IP(s) preserved"},
    {"static_ip", c_gateway_differs, MTV_CHECK_FAIL,
     "gateway expected 192.168.22.1, found 192.168.22.9"},
    {"static_ip", c_mask_differs, MTV_CHECK_FAIL,
     "netmask expected /24, found 255.255.254.0"},
    {"static_ip", d_static_ip_lost, MTV_CHECK_FAIL,
     "expected IP 192.168.22.153, found 192.168.22.201"},
    {"static_ip", c_no_static_pref, MTV_CHECK_SKIP, "does not preserve"},
    {"disk_count", c_copyoffload_ok, MTV_CHECK_PASS, "3 PVC-backed"},
    {"disk_count", c_copyoffload_bad, MTV_CHECK_FAIL, "expected 2, found 3"},
    {"disk_count", d_missing_disk, MTV_CHECK_SKIP, "copy-offload"},
    {"snapshots", NULL, MTV_CHECK_SKIP, "no snapshots before migration"},
    {"snapshots", c_snap_same, MTV_CHECK_PASS, "2 snapshot(s) unchanged"},
    {"snapshots", c_snap_renamed, MTV_CHECK_FAIL,
     "snapshot snapshot-12 name: expected \"before-migration\", found "
     "\"renamed\""},
    {"snapshots", c_snap_lost_one, MTV_CHECK_FAIL,
     "snapshot count: expected 2, found 1"},
    {"storage", NULL, MTV_CHECK_PASS, "3 disk(s) on storage class"},
};

static void test_checks_validators__one_by_one(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ones) / sizeof(ones[0]); i++) {
        struct mtv_check_result r;
        struct fx *f = NULL;
        void *st = NULL;

        setup(&st);
        f = st;
        if (ones[i].apply != NULL) {
            ones[i].apply(f);
        }
        build(f);
        assert_int_equal(mtv_checks_run_one(&r, ones[i].validator, &f->plan,
                                            &f->vmin, &f->env),
                         0);
        print_message("%s: %s %s\n", ones[i].validator,
                      mtv_check_status_name(r.status), r.message);
        assert_int_equal(r.status, ones[i].want);
        assert_non_null(strstr(r.message, ones[i].in_message));
        assert_null(strstr(r.message, "not-a-real-password"));
        teardown(&st);
    }
}

static void test_checks_validators__retries_then_gives_up(void **state)
{
    struct fx *f = *state;
    struct mtv_check_result r;

    f->ssh_down = true;
    f->plan.ssh_timeout_ms = 30;
    build(f);
    assert_int_equal(mtv_checks_run_one(&r, "ssh", &f->plan, &f->vmin, &f->env),
                     0);
    assert_int_equal(r.status, MTV_CHECK_FAIL);
    assert_true(f->execs >= 2);
    assert_int_equal(f->waits, f->execs - 1);
    assert_int_equal(
        mtv_checks_run_one(&r, "nope", &f->plan, &f->vmin, &f->env),
        MTV_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_validators__defects_table),
        cmocka_unit_test_setup_teardown(test_checks_validators__order_and_names,
                                        setup, teardown),
        cmocka_unit_test(test_checks_validators__one_by_one),
        cmocka_unit_test_setup_teardown(
            test_checks_validators__retries_then_gives_up, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
