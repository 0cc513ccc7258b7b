/* naming: session ids, sanitisation, composed names, NADs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mtv/naming.h"

static void assert_session_kept(const char *name, const char *session)
{
    assert_true(strncmp(name, session, strlen(session)) == 0);
}

static void test_naming_session__shape(void **state)
{
    char id[16];
    char small[5];
    (void)state;

    for (int i = 0; i < 50; i++) {
        assert_int_equal(mtv_naming_session_id(id, sizeof(id), NULL), 0);
        assert_int_equal(strlen(id), MTV_SESSION_ID_LEN);
        assert_memory_equal(id, "auto-", 5);
        assert_int_equal(strspn(id + 5, "23456789abcdefghijklmnopqrstuvwxyz"),
                         4);
        assert_true(mtv_naming_session_valid(id));
    }
    assert_int_equal(mtv_naming_session_id(small, sizeof(small), NULL),
                     MTV_EINVAL);
}

static void test_naming_session__validity(void **state)
{
    static const struct {
        const char *in;
        bool ok;
    } cases[] = {
        {"auto-ab12", true},
        {"x", true},
        {"", false},
        {"-auto", false},
        {"auto-", false},
        {"Auto-ab12", false},
        {"auto_ab12", false},
        {"auto-ab12-01234567890123456789012", false},
        {"auto-ab12-0123456789012345678901", true},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(mtv_naming_session_valid(cases[i].in), cases[i].ok);
    }
    assert_false(mtv_naming_session_valid(NULL));
}

static void test_naming_dns1123__table(void **state)
{
    static const struct {
        const char *in;
        size_t max;
        const char *out; /* NULL: EINVAL */
    } cases[] = {
        {"auto-ab12-mtv-tests-rhel8", 0, "auto-ab12-mtv-tests-rhel8"},
        {"My_VM.Name", 0, "my-vm-name"},
        {"--a  b__c--", 0, "a-b-c"},
        {"win2022 (copy) #1", 0, "win2022-copy-1"},
        {"ÄÖÜ-vm", 0, "vm"},
        {"___", 0, NULL},
        {"", 0, NULL},
        {"abcdefghij-klmnop", 11, "abcdefghij"},
        {"012345678901234567890123456789012345678901234567890123456789012345678"
         "9",
         0, "012345678901234567890123456789012345678901234567890123456789012"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        int rc = mtv_naming_dns1123(&out, cases[i].in, cases[i].max, NULL);
        if (cases[i].out == NULL) {
            assert_int_equal(rc, MTV_EINVAL);
            assert_null(out);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_string_equal(out, cases[i].out);
        assert_true(mtv_naming_is_dns1123(out));
        free(out);
    }
}

static void test_naming_compose__table(void **state)
{
    static const struct {
        const char *body;
        const char *tail;
        size_t max;
        const char *out;
    } cases[] = {
        {"source-vsphere-8-0", NULL, 0, "auto-ab12-source-vsphere-8-0-k3j9"},
        {"source-vsphere-8-0", "-warm", 0,
         "auto-ab12-source-vsphere-8-0-k3j9-warm"},
        {"", "-warm", 0, "auto-ab12-k3j9-warm"},
        {NULL, NULL, 0, "auto-ab12-k3j9"},
        {"Mixed_Case.Body", NULL, 0, "auto-ab12-mixed-case-body-k3j9"},
        /* too long: the body is cut from its end, head and tail stay */
        {"source-vsphere-8-0-with-a-very-long-name-that-does-not-fit", "-warm",
         0, "auto-ab12-source-vsphere-8-0-with-a-very-long-name-th-k3j9-warm"},
        {"abcdef", "-warm", 22, "auto-ab12-ab-k3j9-warm"},
        {"abcdef", "-warm", 21, "auto-ab12-a-k3j9-warm"},
        {"abcdef", "-warm", 20, "auto-ab12-k3j9-warm"},
        {"ab-cdef", "-warm", 23, "auto-ab12-ab-k3j9-warm"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mtv_name_spec spec = {"auto-ab12", cases[i].body, cases[i].tail,
                                     "k3j9", cases[i].max};
        char *out = NULL;
        assert_int_equal(mtv_naming_compose(&out, &spec, NULL), 0);
        assert_string_equal(out, cases[i].out);
        assert_true(strlen(out) <= (cases[i].max ? cases[i].max : 63));
        assert_true(mtv_naming_is_dns1123(out));
        assert_session_kept(out, "auto-ab12");
        free(out);
    }
}

static void test_naming_compose__errors(void **state)
{
    struct mtv_name_spec bad_session = {"Auto", "x", NULL, "k3j9", 0};
    struct mtv_name_spec no_room = {"auto-ab12", "x", "-warm", "k3j9", 15};
    struct mtv_error err;
    char *out = NULL;
    (void)state;

    assert_int_equal(mtv_naming_compose(&out, &bad_session, &err), MTV_EINVAL);
    assert_int_equal(mtv_naming_compose(&out, &no_room, &err), MTV_EINVAL);
    assert_non_null(strstr(err.msg, "cannot fit"));
    assert_null(out);
}

static void test_naming_auto__plan_and_migration_are_warm(void **state)
{
    char *base = NULL;
    char *plan = NULL;
    char *mig = NULL;
    char *sec = NULL;
    char *cold = NULL;
    (void)state;

    assert_int_equal(mtv_naming_base_resource(&base, "auto-ab12", "vsphere",
                                              "8.0.3", false, NULL),
                     0);
    assert_string_equal(base, "auto-ab12-source-vsphere-8-0-3");
    assert_int_equal(
        mtv_naming_auto(&plan, "auto-ab12", base, MTV_NAME_WARM, NULL), 0);
    assert_int_equal(
        mtv_naming_auto(&mig, "auto-ab12", base, MTV_NAME_WARM, NULL), 0);
    assert_int_equal(
        mtv_naming_auto(&sec, "auto-ab12", base, MTV_NAME_PLAIN, NULL), 0);
    assert_int_equal(
        mtv_naming_auto(&cold, "auto-ab12", base, MTV_NAME_COLD, NULL), 0);
    /* "<base>-<rand4>-warm": the PORT NOTE, the Migration is -warm too */
    assert_int_equal(strlen(plan), strlen(base) + 5 + 5);
    assert_true(strncmp(plan, base, strlen(base)) == 0);
    assert_string_equal(plan + strlen(plan) - 5, "-warm");
    assert_string_equal(mig + strlen(mig) - 5, "-warm");
    assert_string_equal(cold + strlen(cold) - 5, "-cold");
    assert_int_equal(strlen(sec), strlen(base) + 5);
    assert_string_not_equal(plan, mig); /* independent random parts */
    free(base);
    free(plan);
    free(mig);
    free(sec);
    free(cold);
}

static void test_naming_auto__long_base_keeps_session(void **state)
{
    char *base = NULL;
    char *name = NULL;
    (void)state;

    assert_int_equal(
        mtv_naming_base_resource(&base, "auto-zz99", "vsphere",
                                 "8.0.3.very.long.version.string.that.goes.on."
                                 "and.on.and.on",
                                 true, NULL),
        0);
    assert_true(strlen(base) <= 63);
    assert_session_kept(base, "auto-zz99-source-vsphere");
    assert_int_equal(
        mtv_naming_auto(&name, "auto-zz99", base, MTV_NAME_WARM, NULL), 0);
    assert_int_equal(strlen(name), 63);
    assert_session_kept(name, "auto-zz99-");
    assert_string_equal(name + 58, "-warm");
    assert_true(mtv_naming_is_dns1123(name));
    free(name);
    assert_int_equal(
        mtv_naming_auto(&name, "auto-zz98", base, MTV_NAME_WARM, NULL),
        MTV_EINVAL); /* base from another session */
    free(base);
}

static void test_naming_vm_suffix__table(void **state)
{
    static const struct {
        const char *sc;
        const char *ver;
        bool warm;
        const char *out;
    } cases[] = {
        {"ocs-storagecluster-ceph-rbd", "4.20", true, "-ceph-rbd-4-20-warm"},
        {"nfs", "4.20", true, "-nfs-4-20-warm"},
        {"ocs-storagecluster-ceph-rbd", "", true, "-ceph-rbd--warm"},
        {"ocs-storagecluster-ceph-rbd", NULL, false, "-ceph-rbd--cold"},
        {"Standard_CSI", "4.19", true, "-standard-csi-4-19-warm"},
        {"lab-default", "4.20", true, "-lab-default-4-20-warm"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        assert_int_equal(mtv_naming_vm_suffix(&out, cases[i].sc, cases[i].ver,
                                              cases[i].warm, NULL),
                         0);
        assert_string_equal(out, cases[i].out);
        free(out);
    }
}

static void test_naming_clone__table(void **state)
{
    static const struct {
        const char *tmpl;
        const char *suffix;
        const char *out;
    } cases[] = {
        {"mtv-tests-rhel8", "-ceph-rbd-4-20-warm",
         "auto-ab12-mtv-tests-rhel8-ceph-rbd-4-20-warm-k3j9"},
        {"mtv-win2022-ip-3disks", "-ceph-rbd--warm",
         "auto-ab12-mtv-win2022-ip-3disks-ceph-rbd-warm-k3j9"},
        {"XCopy_Template.Test", "-nfs-4-20-warm",
         "auto-ab12-xcopy-template-test-nfs-4-20-warm-k3j9"},
        /* too long: cut in the middle, session and random part kept */
        {"a-template-with-a-really-long-name-for-testing",
         "-ceph-rbd-4-20-warm",
         "auto-ab12-a-template-with-a-really-long-name-for-testing-c-k3j9"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        assert_int_equal(mtv_naming_clone(&out, "auto-ab12", cases[i].tmpl,
                                          cases[i].suffix, "k3j9", NULL),
                         0);
        assert_string_equal(out, cases[i].out);
        assert_true(strlen(out) <= 63);
        assert_true(mtv_naming_is_dns1123(out));
        free(out);
    }
}

static void test_naming_clone__random_parts_differ(void **state)
{
    char *a = NULL;
    char *b = NULL;
    (void)state;

    assert_int_equal(
        mtv_naming_clone(&a, "auto-ab12", "rhel8", "-nfs--warm", NULL, NULL),
        0);
    assert_int_equal(
        mtv_naming_clone(&b, "auto-ab12", "rhel8", "-nfs--warm", NULL, NULL),
        0);
    assert_int_equal(strlen(a), strlen("auto-ab12-rhel8-nfs-warm-") + 4);
    /* 34^4 possibilities: equal twice in a row is a broken generator */
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

static void test_naming_target_namespace__table(void **state)
{
    static const struct {
        const char *prefix;
        const char *out;
    } cases[] = {
        {"auto", "auto-ab12"},
        {"", "auto-ab12"},
        {NULL, "auto-ab12"},
        {"mtv-auto", "auto-ab12-mtv"},
        {"qe_run.7", "auto-ab12-qe-run-7"},
        {"auto-auto", "auto-ab12"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        assert_int_equal(mtv_naming_target_namespace(&out, "auto-ab12",
                                                     cases[i].prefix, NULL),
                         0);
        assert_string_equal(out, cases[i].out);
        free(out);
    }
}

static void test_naming_nad__table(void **state)
{
    static const struct {
        const char *session;
        unsigned scenario;
        unsigned i;
        const char *out;
    } cases[] = {
        {"auto-ab12", 0, 1, "cb-ab12-0-1"},
        {"auto-ab12", 4, 2, "cb-ab12-4-2"},
        {"auto-ab12", 35, 99, "cb-ab12-z-99"},
        {"auto-ab12", 1295, 99, "cb-ab12-zz-99"},
        {"x-y", 0, 1, "cb-xy-0-1"},
    };
    char out[MTV_NAD_NAME_MAX + 1];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(mtv_naming_nad(out, sizeof(out), cases[i].session,
                                        cases[i].scenario, cases[i].i, NULL),
                         0);
        assert_string_equal(out, cases[i].out);
        assert_true(strlen(out) <= MTV_NAD_NAME_MAX);
        assert_true(mtv_naming_is_dns1123(out));
    }
    assert_int_equal(
        mtv_naming_nad(out, sizeof(out), "auto-ab12", 1296, 1, NULL),
        MTV_EINVAL);
    assert_int_equal(mtv_naming_nad(out, sizeof(out), "auto-ab12", 0, 0, NULL),
                     MTV_EINVAL);
    assert_int_equal(mtv_naming_nad(out, 8, "auto-ab12", 0, 1, NULL),
                     MTV_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_naming_session__shape),
        cmocka_unit_test(test_naming_session__validity),
        cmocka_unit_test(test_naming_dns1123__table),
        cmocka_unit_test(test_naming_compose__table),
        cmocka_unit_test(test_naming_compose__errors),
        cmocka_unit_test(test_naming_auto__plan_and_migration_are_warm),
        cmocka_unit_test(test_naming_auto__long_base_keeps_session),
        cmocka_unit_test(test_naming_vm_suffix__table),
        cmocka_unit_test(test_naming_clone__table),
        cmocka_unit_test(test_naming_clone__random_parts_differ),
        cmocka_unit_test(test_naming_target_namespace__table),
        cmocka_unit_test(test_naming_nad__table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
