/*
 * checks: regressions found by the libFuzzer targets (tests/fuzz/).
 * Each test is the minimal reproducer of one finding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtv/checks.h"

/* fuzz_guest: "IP4.ADDRESS: a/128" made prefix_to_mask shift by -96 (UB).
 * A prefix outside 0..32 is now unknown: prefix -1, no mask. */
static void test_checks_fuzzfound__nmcli_prefix_out_of_range(void **state)
{
    static const char *const addrs[] = {"10.0.0.5/128", "10.0.0.5/33",
                                        "10.0.0.5/-1",
                                        "10.0.0.5/99999999999999999999"};
    size_t i = 0;

    (void)state;
    for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        struct mtv_guest_ifaces v = {NULL, 0};
        char text[512];

        snprintf(text, sizeof(text),
                 "GENERAL.DEVICE:     eth0\n"
                 "GENERAL.STATE:      100 (connected)\n"
                 "IP4.ADDRESS[1]:     %s\n",
                 addrs[i]);
        assert_int_equal(mtv_guest_parse_nmcli(&v, text, NULL), 0);
        assert_int_equal(v.n, 1);
        assert_string_equal(v.items[0].ips.items[0], "10.0.0.5");
        assert_int_equal(v.items[0].prefix, -1);
        assert_null(v.items[0].mask);
        mtv_guest_ifaces_dispose(&v);
    }
}

/* The edges stay valid: /32 is a host mask, /0 the empty one. */
static void test_checks_fuzzfound__nmcli_prefix_edges(void **state)
{
    struct mtv_guest_ifaces v = {NULL, 0};

    (void)state;
    assert_int_equal(mtv_guest_parse_nmcli(&v,
                                           "GENERAL.DEVICE: eth0\n"
                                           "GENERAL.STATE: 100 (connected)\n"
                                           "IP4.ADDRESS[1]: 10.0.0.5/32\n"
                                           "\n"
                                           "GENERAL.DEVICE: eth1\n"
                                           "GENERAL.STATE: 100 (connected)\n"
                                           "IP4.ADDRESS[1]: 10.0.0.6/0\n",
                                           NULL),
                     0);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.items[0].prefix, 32);
    assert_string_equal(v.items[0].mask, "255.255.255.255");
    assert_int_equal(v.items[1].prefix, 0);
    assert_string_equal(v.items[1].mask, "0.0.0.0");
    mtv_guest_ifaces_dispose(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_fuzzfound__nmcli_prefix_out_of_range),
        cmocka_unit_test(test_checks_fuzzfound__nmcli_prefix_edges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
