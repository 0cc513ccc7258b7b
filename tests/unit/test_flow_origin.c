/* flow: IP origins from NetworkManager's answer ("<ip>|<ipv4.method>"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "flow/flow_priv.h"

static void test_flow_origin__applies_only_unknown_origins(void **state)
{
    struct mtv_vm_ip ips0[2] = {{"127.42.1.1", 24, NULL, NULL, -1},
                                {"127.42.1.9", 24, NULL, "dhcp", 0}};
    struct mtv_vm_ip ips1[1] = {{"10.0.0.5", 24, NULL, NULL, -1}};
    struct mtv_vm_nic nics[2];
    struct mtv_vm_record rec;

    (void)state;
    memset(nics, 0, sizeof(nics));
    memset(&rec, 0, sizeof(rec));
    nics[0].ips = ips0;
    nics[0].n_ips = 2;
    nics[1].ips = ips1;
    nics[1].n_ips = 1;
    rec.nics = nics;
    rec.n_nics = 2;
    /* CRLF, unknown IPs, a known origin left alone, garbage lines */
    assert_int_equal(flow_apply_ip_origin(&rec, "127.42.1.1|manual\r\n"
                                                "127.42.1.9|manual\n"
                                                "no bar here\n"
                                                "192.0.2.1|manual\n"
                                                "10.0.0.5|auto"),
                     2);
    assert_int_equal(ips0[0].is_static, 1);
    assert_int_equal(ips0[1].is_static, 0); /* VMware Tools said dhcp */
    assert_int_equal(ips1[0].is_static, 0);
    assert_int_equal(flow_apply_ip_origin(&rec, ""), 0);
    assert_int_equal(flow_apply_ip_origin(&rec, "127.42.1.1|auto\n"), 0);
    assert_int_equal(ips0[0].is_static, 1); /* decided once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_origin__applies_only_unknown_origins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
