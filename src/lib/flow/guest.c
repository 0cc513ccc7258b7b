/* flow: what check_vms needs from live guests — SSH through the KubeVirt
 * port-forward (or straight to the VMI IP with --ssh-direct) — and its
 * report lines. */
#include "flow_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/ssh.h"
#include "mtv/ws.h"

/* The port-forward WebSocket as the byte stream libssh2 runs over. */
static int pf_send(void *self, const void *p, size_t n,
                   const struct mtv_deadline *deadline, struct mtv_error *err)
{
    return mtv_ws_conn_send(self, p, n, deadline, err);
}

static int pf_recv(void *self, void *p, size_t cap, size_t *got,
                   const struct mtv_deadline *deadline, struct mtv_error *err)
{
    return mtv_ws_conn_recv(self, p, cap, got, deadline, err);
}

static int pf_fd(void *self)
{
    return mtv_ws_conn_fd(self);
}

static size_t pf_pending(void *self)
{
    return mtv_ws_conn_pending(self) + mtv_ws_conn_stream_pending(self);
}

/* Open vmi ns/name's port-forward to `port` (kube-kubevirt-notes 1). */
static int open_portforward(struct mtv_ws_conn **out, struct flow_scenario *st,
                            const char *ns, const char *name, long port,
                            struct mtv_error *err)
{
    char key[25], sub[48], keyh[64];
    const char *headers[] = {"Upgrade: websocket",
                             "Connection: Upgrade",
                             keyh,
                             "Sec-WebSocket-Version: 13",
                             "Sec-WebSocket-Protocol: plain.kubevirt.io",
                             NULL};
    struct mtv_kube_ref ref = {"subresources.kubevirt.io",
                               "v1",
                               "virtualmachineinstances",
                               ns,
                               name,
                               sub};
    struct mtv_http_stream *stream = NULL;
    struct mtv_http_response head;
    int rc = mtv_ws_key_new(key, err);

    snprintf(sub, sizeof(sub), "portforward/%ld/tcp", port);
    snprintf(keyh, sizeof(keyh), "Sec-WebSocket-Key: %s", key);
    mtv_http_response_init(&head, 0);
    rc = rc ? rc
            : mtv_kube_upgrade(&stream, st->conn->kube, &ref, headers, &head,
                               err);
    rc = rc ? rc
            : mtv_ws_check_accept(
                  key, mtv_http_response_header(&head, "Sec-WebSocket-Accept"),
                  err);
    if (rc == 0) {
        rc = mtv_ws_conn_new(out, stream, NULL, err);
        stream = NULL; /* owned by the connection, also on error */
    }
    mtv_http_stream_close(stream);
    mtv_http_response_dispose(&head);
    if (rc != 0) {
        mtv_error_prefix(err, "port-forward to %s/%s:%ld", ns, name, port);
    }
    return rc;
}

/* --ssh-direct: the VMI's first interface IP. */
static int vmi_ip(char **out, struct flow_scenario *st, const char *ns,
                  const char *name, struct mtv_error *err)
{
    struct mtv_json *vmi = NULL;
    const char *ip = NULL;
    int rc =
        flow_get(&vmi, st->conn->kube, "VirtualMachineInstance", ns, name, err);

    rc = rc ? rc
            : mtv_json_get_string(vmi, "status.interfaces[0].ipAddress", &ip,
                                  err);
    if (rc == 0) {
        *out = mtv_strdup(ip);
    }
    mtv_json_free(vmi);
    return rc;
}

static int exec_cb(const struct mtv_checks_exec_req *req,
                   struct mtv_checks_exec_res *res, struct mtv_error *err,
                   void *payload)
{
    struct flow_scenario *st = payload;
    long port =
        st->fs->src->guest_ssh_port > 0 ? st->fs->src->guest_ssh_port : 22;
    struct mtv_ssh_io io = {pf_send, pf_recv, pf_fd, pf_pending, NULL};
    struct mtv_ssh_target t;
    struct mtv_ssh_result r;
    struct mtv_ws_conn *ws = NULL;
    struct mtv_deadline close_by;
    char host_id[300], *ip = NULL;
    int rc;

    memset(&t, 0, sizeof(t));
    memset(&r, 0, sizeof(r));
    snprintf(host_id, sizeof(host_id), "%s/%s", req->namespace, req->vm_name);
    t.host_id = host_id;
    t.user = req->user;
    t.password = req->password;
    t.hostkeys = st->fs->hostkeys;
    t.timeout_ms = req->timeout_ms;
    if (st->fs->ctx->opts->ssh_direct) {
        rc = vmi_ip(&ip, st, req->namespace, req->vm_name, err);
        t.host = ip;
        t.port = (int)port;
    } else {
        rc = open_portforward(&ws, st, req->namespace, req->vm_name, port, err);
        io.self = ws;
        t.io = &io;
    }
    rc = rc ? rc : mtv_ssh_exec(&r, &t, req->command, err);
    if (rc == 0) {
        res->exit_status = r.exit_status;
        res->out = r.out;
        res->err = r.err;
        r.out = NULL;
        r.err = NULL;
    }
    mtv_ssh_result_dispose(&r);
    close_by = mtv_deadline_in(2000);
    mtv_ws_conn_free(ws, &close_by);
    free(ip);
    return rc;
}

void flow_check_env(struct mtv_checks_env *env, struct flow_scenario *st)
{
    env->exec = exec_cb;
    env->payload = st;
}

void flow_check_env_dispose(struct mtv_checks_env *env)
{
    (void)env;
}

void flow_check_report_lines(struct flow_scenario *st, const char *vm,
                             const struct mtv_checks_report *rep)
{
    for (size_t i = 0; i < rep->n; i++) {
        const struct mtv_check_result *r = &rep->results[i];
        flow_progress(st->fs, "%s: vm '%s': %s %s%s%s", st->sc->name, vm,
                      r->name, mtv_check_status_name(r->status),
                      r->message[0] ? ": " : "", r->message);
    }
}
