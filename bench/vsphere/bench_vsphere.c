/*
 * bench_vsphere: SOAP round trips and wall time of the warm source-VM
 * sequence (clone + CBT, power on, guest wait, record, destroy) against
 * mtv-vcsim started with --latency-ms N. Built and run by run.sh.
 *
 *   bench_vsphere [--latency-ms N] [--runs N] [--record DIR]
 *
 * --record DIR writes every SOAP request and response of the first run
 * to DIR/NNN-<method>.{req,resp}.xml (the source of tests/data/vsphere/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/naming.h"
#include "mtv/vsphere.h"
#include "vcsim_fixture.h"

struct recorder {
    struct mtv_http_transport inner;
    const char *dir;
    unsigned n;
};

/* A clone name as the runner makes it (include/mtv/naming.h). */
static void clone_name(char out[64], const char *sid)
{
    char *suffix = NULL;
    char *name = NULL;

    mtv_naming_vm_suffix(&suffix, "ocs-storagecluster-ceph-rbd", "4.20", true,
                         NULL);
    mtv_naming_clone(&name, sid, "mtv-tests-rhel8", suffix, NULL, NULL);
    mtv_strlcpy(out, name ? name : "bench-clone", 64);
    free(suffix);
    free(name);
}

static void method_of(const char *body, char *out, size_t size)
{
    const char *p = body != NULL ? strstr(body, "<soapenv:Body><") : NULL;
    size_t len = 0;

    mtv_strlcpy(out, "unknown", size);
    if (p == NULL) {
        return;
    }
    p += strlen("<soapenv:Body><");
    len = strcspn(p, " >");
    if (len < size) {
        memcpy(out, p, len);
        out[len] = '\0';
    }
}

static void dump(const char *dir, unsigned n, const char *method,
                 const char *ext, const char *data, size_t len)
{
    char path[512];
    FILE *fp = NULL;

    snprintf(path, sizeof(path), "%s/%03u-%s.%s.xml", dir, n, method, ext);
    fp = fopen(path, "wb");
    if (fp != NULL) {
        fwrite(data, 1, len, fp);
        fclose(fp);
    }
}

static int record_perform(void *self, const struct mtv_http_request *req,
                          struct mtv_http_response *resp,
                          struct mtv_error *err)
{
    struct recorder *r = self;
    char method[96];
    int rc = mtv_http_perform(&r->inner, req, resp, err);

    if (r->dir != NULL && rc == 0) {
        method_of(req->body, method, sizeof(method));
        r->n++;
        dump(r->dir, r->n, method, "req", req->body, req->body_len);
        dump(r->dir, r->n, method, "resp", resp->body.data, resp->body.len);
    }
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

struct result {
    int64_t ms;
    int64_t round_trips;
    int64_t login_round_trips;
};

static int one_run(const struct vcsim_fixture *sim, struct recorder *rec,
                   int i, struct result *out, struct mtv_error *err)
{
    struct mtv_vsphere_options o = vcsim_fixture_options(sim);
    struct mtv_http_options ho = MTV_HTTP_OPTIONS_INIT;
    struct mtv_http_client *http = NULL;
    struct mtv_vsphere *vs = NULL;
    struct mtv_vsphere_clone_spec spec = MTV_VSPHERE_CLONE_SPEC_INIT;
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_vm_record *record = NULL;
    char name[64];
    char sid[10];
    int64_t t0 = mtv_now_ms();
    int rc = 0;

    snprintf(sid, sizeof(sid), "auto-b%03d", i);
    ho.ca_pem = sim->ca_pem;
    ho.http1_only = true;
    rc = mtv_http_client_new(&http, &ho, err);
    rec->inner = mtv_http_client_transport(http);
    struct mtv_http_transport t = {record_perform, rec, NULL};
    o.transport = &t;
    rc = rc == 0 ? mtv_vsphere_connect(&vs, &o, err) : rc;
    out->login_round_trips = rc == 0 ? (int64_t)mtv_vsphere_round_trips(vs) : 0;
    clone_name(name, sid);
    spec.source = "mtv-tests-rhel8";
    spec.name = name;
    spec.warm = true;
    rc = rc == 0 ? mtv_vsphere_clone_vm(vs, &spec, &vm, err) : rc;
    rc = rc == 0 ? mtv_vsphere_power_on(vs, &vm, 60000, err) : rc;
    rc = rc == 0 ? mtv_vsphere_wait_guest(vs, &vm, 60000, err) : rc;
    rc = rc == 0 ? mtv_vsphere_lookup_vm_record(&record, vs, &vm, err) : rc;
    rc = rc == 0 ? mtv_vsphere_destroy_vm(vs, &vm, 60000, err) : rc;
    if (vs != NULL) {
        mtv_vsphere_logout(vs, NULL);
        out->round_trips = (int64_t)mtv_vsphere_round_trips(vs);
    }
    out->ms = mtv_now_ms() - t0;
    mtv_vm_record_free(record);
    mtv_vsphere_free(vs);
    mtv_http_client_free(http);
    return rc;
}

int main(int argc, char **argv)
{
    const char *latency = "20";
    const char *record_dir = NULL;
    int runs = 5;
    struct vcsim_fixture sim;
    struct result res[32];
    int64_t ms[32];
    int64_t rts[32];
    struct mtv_error err = {0};

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--latency-ms") == 0) {
            latency = argv[i + 1];
        } else if (strcmp(argv[i], "--runs") == 0) {
            runs = (int)strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--record") == 0) {
            record_dir = argv[i + 1];
        }
    }
    if (runs < 1 || runs > 32) {
        runs = 5;
    }
    const char *extra[] = {"--latency-ms", latency, NULL};
    if (vcsim_fixture_start(&sim, extra) != 0) {
        return 3;
    }
    for (int i = 0; i < runs; i++) {
        struct recorder rec = {{0}, i == 0 ? record_dir : NULL, 0};
        if (one_run(&sim, &rec, i, &res[i], &err) != 0) {
            fprintf(stderr, "run %d: %s: %s\n", i, err.msg, err.remote);
            vcsim_fixture_stop(&sim);
            return 1;
        }
        ms[i] = res[i].ms;
        rts[i] = res[i].round_trips;
        printf("run %d: %lld ms, %lld SOAP round trips (%lld for connect+login)\n",
               i + 1, (long long)res[i].ms, (long long)res[i].round_trips,
               (long long)res[i].login_round_trips);
    }
    qsort(ms, (size_t)runs, sizeof(ms[0]), cmp_i64);
    qsort(rts, (size_t)runs, sizeof(rts[0]), cmp_i64);
    printf("median: %lld ms, %lld SOAP round trips (latency %s ms, %d runs)\n",
           (long long)ms[runs / 2], (long long)rts[runs / 2], latency, runs);
    vcsim_fixture_stop(&sim);
    return 0;
}
