/*
 * flow: SSH to source guests, and which of their IPs are static when
 * VMware Tools does not say (open-vm-tools on Linux reports no origin).
 * The reference asks NetworkManager through vSphere Guest Operations
 * (section 1.15.G); mtvtest asks it over SSH at the guest IP, which the
 * checks need to reach anyway and which needs no Guest Operations.
 */
#include "flow_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints "<ip>|<ipv4.method>" per IPv4 of every active connection. */
#define ORIGIN_SCRIPT                                                          \
    "nmcli -t -f NAME,DEVICE connection show --active | "                      \
    "while IFS=: read -r c d; do "                                             \
    "[ -n \"$d\" ] && [ \"$d\" != lo ] || continue; "                          \
    "m=$(nmcli -g ipv4.method connection show \"$c\"); "                       \
    "for a in $(nmcli -g IP4.ADDRESS device show \"$d\" | tr '|' ' '); do "    \
    "echo \"${a%/*}|$m\"; done; done"

const char *flow_guest_ip(const struct mtv_vm_record *rec)
{
    for (size_t i = 0; rec != NULL && i < rec->n_nics; i++) {
        if (rec->nics[i].n_ips > 0) {
            return rec->nics[i].ips[0].address;
        }
    }
    return NULL;
}

int flow_source_ssh(struct flow_scenario *st, const struct flow_vm *v,
                    const char *command, struct mtv_ssh_result *out,
                    struct mtv_error *err)
{
    const struct mtv_provider *p = st->fs->src;
    struct mtv_ssh_target t;

    memset(&t, 0, sizeof(t));
    t.host_id = v->clone_name;
    t.host = flow_guest_ip(v->before);
    t.port = p->guest_ssh_port > 0 ? (int)p->guest_ssh_port : 22;
    t.user = v->before->win_os ? p->guest_vm_win_user : p->guest_vm_linux_user;
    t.password = v->before->win_os ? p->guest_vm_win_password
                                   : p->guest_vm_linux_password;
    t.hostkeys = st->fs->hostkeys;
    t.timeout_ms = 30000;
    if (t.host == NULL) {
        return mtv_error_set(err, MTV_EREMOTE, "flow",
                             "clone '%s' reports no guest IP for SSH",
                             v->clone_name);
    }
    return mtv_ssh_exec(out, &t, command, err);
}

static bool origin_unknown(const struct mtv_vm_record *r)
{
    for (size_t i = 0; i < r->n_nics; i++) {
        for (size_t j = 0; j < r->nics[i].n_ips; j++) {
            if (r->nics[i].ips[j].is_static < 0) {
                return true;
            }
        }
    }
    return false;
}

/* Mark every IP `ip` whose origin is unknown. Returns how many. */
static size_t mark_ip(struct mtv_vm_record *r, const char *ip, bool manual)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n_nics; i++) {
        for (size_t j = 0; j < r->nics[i].n_ips; j++) {
            struct mtv_vm_ip *x = &r->nics[i].ips[j];
            if (x->is_static < 0 && mtv_str_eq(x->address, ip)) {
                x->is_static = manual ? 1 : 0;
                n++;
            }
        }
    }
    return n;
}

size_t flow_apply_ip_origin(struct mtv_vm_record *r, const char *text)
{
    const char *p = text;
    size_t applied = 0;

    while (p != NULL && *p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = mtv_strndup(p, len);
        char *bar = line ? strchr(line, '|') : NULL;

        if (bar != NULL) {
            char *method = bar + 1;
            size_t m = strlen(method);
            while (m > 0 && (method[m - 1] == '\r' || method[m - 1] == ' ')) {
                method[--m] = '\0';
            }
            *bar = '\0';
            applied += mark_ip(r, line, strcmp(method, "manual") == 0);
        }
        free(line);
        p = eol ? eol + 1 : NULL;
    }
    return applied;
}

int flow_resolve_ip_origin(struct flow_scenario *st, struct flow_vm *v,
                           struct mtv_error *err)
{
    struct mtv_deadline dl = flow_seconds(st->fs->cfg->ssh_timeout);
    struct mtv_ssh_result r;
    int rc = MTV_ETIMEOUT;

    if (!st->sc->preserve_static_ips || v->before == NULL ||
        v->before->win_os || !origin_unknown(v->before)) {
        return 0;
    }
    while (!mtv_deadline_expired(&dl)) {
        memset(&r, 0, sizeof(r));
        rc = flow_source_ssh(st, v, ORIGIN_SCRIPT, &r, err);
        if (rc == 0 && r.exit_status == 0) {
            size_t n = flow_apply_ip_origin(v->before, r.out);
            flow_progress(st->fs,
                          "%s: '%s': %zu IP origin(s) from "
                          "NetworkManager in the guest",
                          st->sc->name, v->clone_name, n);
        } else if (rc == 0) {
            rc = mtv_error_set(err, MTV_EREMOTE, "flow",
                               "the IP-origin script exited %d: %s",
                               r.exit_status, r.err ? r.err : "");
        }
        mtv_ssh_result_dispose(&r);
        if (rc == 0 || rc == MTV_EAUTH) {
            break;
        }
        flow_sleep_ms(2000);
    }
    if (rc != 0) {
        mtv_error_prefix(err, "which IPs of '%s' are static", v->clone_name);
    }
    return rc;
}
