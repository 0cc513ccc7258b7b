/* vsphere: clone names (reference §2.2), table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mtv/vsphere.h"

static const struct {
    const char *session;
    const char *tmpl;
    const char *sc;
    const char *ocp;
    bool warm;
    const char *expected;
} cases[] = {
    {"auto-ab12", "mtv-tests-rhel8", "ocs-storagecluster-ceph-rbd", "4.20",
     true, "auto-ab12-mtv-tests-rhel8-ceph-rbd-4-20-warm-k3j9"},
    {"auto-ab12", "mtv-tests-rhel8", "nfs", "4.20", true,
     "auto-ab12-mtv-tests-rhel8-nfs-4-20-warm-k3j9"},
    {"auto-ab12", "mtv-tests-rhel8", "ocs-storagecluster-ceph-rbd", "", true,
     "auto-ab12-mtv-tests-rhel8-ceph-rbd--warm-k3j9"},
    {"auto-ab12", "My_Template.v2", "nfs", "4.20", false,
     "auto-ab12-my-template-v2-nfs-4-20-cold-k3j9"},
    /* too long: the session id and the random tail survive */
    {"auto-ab12", "a-very-long-template-name-for-the-windows-server-2022-tests",
     "ocs-storagecluster-ceph-rbd", "4.20", true,
     "auto-ab12-the-windows-server-2022-tests-ceph-rbd-4-20-warm-k3j9"},
};

static void test_vsphere_names__clone_name_table(void **state)
{
    char out[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(mtv_vsphere_clone_name(out, sizeof(out),
                                                cases[i].session, cases[i].tmpl,
                                                cases[i].sc, cases[i].ocp,
                                                cases[i].warm, "k3j9"),
                         0);
        assert_string_equal(out, cases[i].expected);
        assert_true(strlen(out) <= 63);
        assert_true(mtv_str_has_prefix(out, cases[i].session));
    }
}

static void test_vsphere_names__random_tail_and_bad_input(void **state)
{
    char a[64];
    char b[64];

    (void)state;
    assert_int_equal(mtv_vsphere_clone_name(a, sizeof(a), "auto-ab12", "t",
                                            "nfs", "4.20", true, NULL),
                     0);
    assert_int_equal(mtv_vsphere_clone_name(b, sizeof(b), "auto-ab12", "t",
                                            "nfs", "4.20", true, NULL),
                     0);
    assert_int_equal(strlen(a), strlen("auto-ab12-t-nfs-4-20-warm-") + 4);
    assert_string_not_equal(a, b);
    assert_int_equal(mtv_vsphere_clone_name(a, sizeof(a), "", "t", "nfs",
                                            "4.20", true, NULL),
                     MTV_EINVAL);
    assert_int_equal(mtv_vsphere_clone_name(a, 10, "auto-ab12", "t", "nfs",
                                            "4.20", true, NULL),
                     MTV_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vsphere_names__clone_name_table),
        cmocka_unit_test(test_vsphere_names__random_tail_and_bad_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
