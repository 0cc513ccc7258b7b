/* checks: static_ip (reference 3.16) - every static IPv4 the source VM had
 * is configured in the migrated guest on the NIC with the same MAC (or
 * whose name contains the NIC label), with the same netmask and gateway.
 * Read over SSH: `nmcli device show` (Linux), `ipconfig /all` (Windows). */
#include "checks/checks_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 600000
#define DEFAULT_INTERVAL_MS 30000

struct static_entry {
    const struct mtv_checks_src_nic *nic;
    const struct mtv_checks_src_ip *ip;
};

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = needle != NULL ? strlen(needle) : 0;

    if (hay == NULL || n == 0) {
        return false;
    }
    for (; *hay != '\0'; hay++) {
        if (strncasecmp(hay, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static unsigned long mask_of_prefix(int prefix)
{
    if (prefix <= 0) {
        return 0;
    }
    return prefix >= 32 ? 0xffffffffUL
                        : (0xffffffffUL << (32 - prefix)) & 0xffffffffUL;
}

static bool same_mask(int prefix, const char *dotted)
{
    unsigned a = 0, b = 0, c = 0, d = 0;

    if (sscanf(dotted, "%u.%u.%u.%u", &a, &b, &c, &d) != 4) {
        return false;
    }
    return mask_of_prefix(prefix) ==
           (((unsigned long)a << 24) | ((unsigned long)b << 16) |
            ((unsigned long)c << 8) | d);
}

static const struct mtv_guest_iface *
find_iface(const struct mtv_guest_ifaces *v, const struct static_entry *e)
{
    size_t i;

    for (i = 0; i < v->n; i++) {
        if (contains_ci(v->items[i].name, e->nic->label) ||
            mtv_checks_mac_equal(v->items[i].mac, e->nic->mac)) {
            return &v->items[i];
        }
    }
    return NULL;
}

/* Compare one entry; 0 when it holds, else a problem text in msg. */
static int verify(const struct mtv_guest_ifaces *v,
                  const struct static_entry *e, char *msg, size_t size)
{
    const struct mtv_guest_iface *f = find_iface(v, e);

    if (f == NULL) {
        snprintf(msg, size,
                 "no guest interface with MAC %s (or named like "
                 "\"%s\")",
                 e->nic->mac, e->nic->label);
        return -1;
    }
    if (!mtv_strv_contains(&f->ips, e->ip->ip)) {
        snprintf(msg, size,
                 "interface %s (MAC %s): expected IP %s, found "
                 "%s%s",
                 f->name, e->nic->mac, e->ip->ip,
                 f->ips.len > 0 ? f->ips.items[0] : "none",
                 f->ips.len > 1 ? " and more" : "");
        return -1;
    }
    if (f->mask != NULL && f->mask[0] != '\0' &&
        !same_mask(e->ip->prefix, f->mask)) {
        snprintf(msg, size, "interface %s: netmask expected /%d, found %s",
                 f->name, e->ip->prefix, f->mask);
        return -1;
    }
    if (e->ip->gateway != NULL && e->ip->gateway[0] != '\0' &&
        !mtv_str_eq(f->gateway, e->ip->gateway)) {
        snprintf(msg, size, "interface %s: gateway expected %s, found %s",
                 f->name, e->ip->gateway,
                 f->gateway != NULL ? f->gateway : "none");
        return -1;
    }
    return 0;
}

/* One attempt: run the command, parse, verify. */
static int attempt(const struct check_ctx *ctx, const struct static_entry *e,
                   char *msg, size_t size)
{
    bool win = ctx->src->win_os;
    struct mtv_checks_exec_res res;
    struct mtv_guest_ifaces v = {NULL, 0};
    struct mtv_error err;
    int rc;

    mtv_error_clear(&err);
    rc = check_exec(ctx, win ? "ipconfig /all" : "nmcli device show", &res,
                    &err);
    if (rc == 0 && res.exit_status != 0) {
        snprintf(msg, size, "\"%s\" exited with %d",
                 win ? "ipconfig /all" : "nmcli device show", res.exit_status);
        rc = -1;
    } else if (rc < 0) {
        snprintf(msg, size, "SSH: %s", err.msg);
    }
    if (rc == 0) {
        rc = win ? mtv_guest_parse_ipconfig(&v, res.out ? res.out : "", &err)
                 : mtv_guest_parse_nmcli(&v, res.out ? res.out : "", &err);
        if (rc < 0) {
            snprintf(msg, size, "cannot parse the guest output: %s", err.msg);
        }
    }
    rc = rc == 0 ? verify(&v, e, msg, size) : rc;
    mtv_guest_ifaces_dispose(&v);
    check_exec_res_dispose(&res);
    return rc;
}

/* Retry one entry until it holds or the deadline passes. */
static bool check_entry(const struct check_ctx *ctx,
                        const struct static_entry *e, struct check_retry *retry,
                        char *msg, size_t size)
{
    for (;;) {
        if (attempt(ctx, e, msg, size) == 0) {
            return true;
        }
        if (!check_retry_again(retry, ctx)) {
            return false;
        }
    }
}

static size_t static_entries(const struct mtv_checks_source *s,
                             struct static_entry *out, size_t max)
{
    size_t n = 0;
    size_t i;
    size_t j;

    for (i = 0; i < s->n_nics; i++) {
        for (j = 0; j < s->nics[i].n_ips && n < max; j++) {
            const char *ip = s->nics[i].ips[j].ip;

            /* IPv4 only, as the reference's source record keeps */
            if (s->nics[i].ips[j].is_static == 1 && ip != NULL &&
                strchr(ip, ':') == NULL) {
                out[n].nic = &s->nics[i];
                out[n].ip = &s->nics[i].ips[j];
                n++;
            }
        }
    }
    return n;
}

static bool preconditions(struct mtv_check_result *r,
                          const struct check_ctx *ctx)
{
    const char *user = NULL;
    const char *password = NULL;

    if (!ctx->plan->preserve_static_ips) {
        check_set(r, MTV_CHECK_SKIP, "the plan does not preserve static IPs");
        return false;
    }
    if (!check_is_vsphere(ctx)) {
        check_set(r, MTV_CHECK_SKIP, "only checked for vsphere sources");
        return false;
    }
    if (check_skip_unless_running(r, ctx)) {
        return false;
    }
    if (ctx->env->exec == NULL) {
        check_set(r, MTV_CHECK_SKIP, "no SSH transport configured");
        return false;
    }
    return check_guest_creds(r, ctx, &user, &password);
}

void mtv_checks__static_ip(struct mtv_check_result *r,
                           const struct check_ctx *ctx)
{
    struct static_entry entries[32];
    struct mtv_buf b = MTV_BUF_INIT;
    int64_t timeout = ctx->plan->static_ip_timeout_ms > 0
                          ? ctx->plan->static_ip_timeout_ms
                          : DEFAULT_TIMEOUT_MS;
    int64_t every = ctx->plan->static_ip_interval_ms > 0
                        ? ctx->plan->static_ip_interval_ms
                        : DEFAULT_INTERVAL_MS;
    struct check_retry retry;
    char msg[512];
    size_t n;
    size_t i;

    if (!preconditions(r, ctx)) {
        return;
    }
    n = static_entries(ctx->before, entries, 32);
    if (n == 0) {
        check_set(r, MTV_CHECK_FAIL,
                  "preserve_static_ips is enabled but no "
                  "static IP interfaces found on the source VM %s",
                  ctx->before->name != NULL ? ctx->before->name : "");
        return;
    }
    check_retry_init(&retry, timeout, every);
    for (i = 0; i < n; i++) {
        msg[0] = '\0';
        if (!check_entry(ctx, &entries[i], &retry, msg, sizeof(msg))) {
            check_problem(&b, "%s %s/%d: %s", entries[i].nic->label,
                          entries[i].ip->ip, entries[i].ip->prefix, msg);
        }
    }
    check_finish(r, &b, "%zu static IP(s) preserved", n);
    mtv_buf_dispose(&b);
}
