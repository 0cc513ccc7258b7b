/* checks: the destination model, built from KubeVirt VM/VMI/PVC JSON. */
#include "checks/checks_priv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int oom(struct mtv_error *err)
{
    return mtv_error_set(err, MTV_ENOMEM, "checks", "out of memory");
}

/* Copy an optional string member (NULL when absent or not a string). */
static int dup_opt(char **dst, const struct mtv_json *j, const char *path)
{
    const char *s = mtv_json_string_or(j, path, NULL);

    *dst = NULL;
    if (s == NULL) {
        return 0;
    }
    *dst = mtv_strdup(s);
    return *dst != NULL ? 0 : MTV_ENOMEM;
}

int mtv_checks_parse_quantity(const char *s, long long *out)
{
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {
        {"Ki", 1024.0},
        {"Mi", 1048576.0},
        {"Gi", 1073741824.0},
        {"Ti", 1099511627776.0},
        {"Pi", 1125899906842624.0},
        {"Ei", 1152921504606846976.0},
        {"m", 0.001},
        {"k", 1e3},
        {"M", 1e6},
        {"G", 1e9},
        {"T", 1e12},
        {"P", 1e15},
        {"E", 1e18},
        {"", 1.0},
    };
    char *end = NULL;
    double v;
    size_t i;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
        return MTV_EINVAL;
    }
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno != 0 || v < 0 || !isfinite(v)) {
        return MTV_EINVAL;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            double bytes = v * units[i].mult;

            if (bytes > 9.2e18) {
                return MTV_EINVAL;
            }
            *out = (long long)floor(bytes);
            return 0;
        }
    }
    return MTV_EINVAL;
}

/* The spec the domain facts come from: the VMI's, else the template's. */
static const struct mtv_json *
domain_spec(const struct mtv_checks_dest_input *in)
{
    const struct mtv_json *s = mtv_json_get(in->vmi, "spec");

    return s != NULL ? s : mtv_json_get(in->vm, "spec.template.spec");
}

static void read_cpu_memory(struct mtv_checks_dest *d,
                            const struct mtv_json *spec)
{
    const char *mem = mtv_json_string_or(spec, "domain.memory.guest", NULL);
    long long bytes = 0;

    d->cores = mtv_json_int_or(spec, "domain.cpu.cores", 0);
    d->sockets = mtv_json_int_or(spec, "domain.cpu.sockets", 0);
    if (mem == NULL) {
        mem =
            mtv_json_string_or(spec, "domain.resources.requests.memory", NULL);
    }
    d->memory_mb = -1;
    if (mem != NULL && mtv_checks_parse_quantity(mem, &bytes) == 0) {
        d->memory_mb = bytes / (1024 * 1024);
    }
}

/* networks[] entry with this name: "pod" or the NAD part of multus. */
static const char *network_of(const struct mtv_json *networks, const char *name)
{
    const struct mtv_json *n = NULL;

    for (n = mtv_json_first(networks); n != NULL; n = mtv_json_next(n)) {
        const char *nn = mtv_json_string_or(n, "name", NULL);
        const char *multus = NULL;

        if (nn == NULL || name == NULL || strcmp(nn, name) != 0) {
            continue;
        }
        if (mtv_json_get(n, "pod") != NULL) {
            return "pod";
        }
        multus = mtv_json_string_or(n, "multus.networkName", "");
        return strchr(multus, '/') != NULL ? strchr(multus, '/') + 1 : multus;
    }
    return NULL;
}

static int push_nic(struct mtv_checks_dest *d, const char *name,
                    const char *mac, const char *ip, const char *network)
{
    struct mtv_checks_dest_nic *v =
        realloc(d->nics, (d->n_nics + 1) * sizeof(*v));
    struct mtv_checks_dest_nic *n = NULL;

    if (v == NULL) {
        return MTV_ENOMEM;
    }
    d->nics = v;
    n = &d->nics[d->n_nics++];
    n->name = mtv_strdup(name);
    n->mac = mtv_strdup(mac);
    n->ip = mtv_strdup(ip);
    n->network = mtv_strdup(network);
    if ((name != NULL && n->name == NULL) || (mac != NULL && n->mac == NULL) ||
        (ip != NULL && n->ip == NULL) ||
        (network != NULL && n->network == NULL)) {
        return MTV_ENOMEM;
    }
    return 0;
}

/* From VMI status.interfaces[] that match a spec.networks[] entry. */
static int nics_from_vmi(struct mtv_checks_dest *d, const struct mtv_json *vmi)
{
    const struct mtv_json *networks = mtv_json_get(vmi, "spec.networks");
    const struct mtv_json *i = NULL;
    int rc = 0;

    for (i = mtv_json_first(mtv_json_get(vmi, "status.interfaces"));
         i != NULL && rc == 0; i = mtv_json_next(i)) {
        const char *name = mtv_json_string_or(i, "name", NULL);
        const char *net = network_of(networks, name);

        if (net == NULL) {
            continue; /* no matching network entry: ignored, as the ref */
        }
        rc = push_nic(d, name, mtv_json_string_or(i, "mac", NULL),
                      mtv_json_string_or(i, "ipAddress", NULL), net);
    }
    return rc;
}

/* From the template's domain.devices.interfaces[] (VM not running). */
static int nics_from_template(struct mtv_checks_dest *d,
                              const struct mtv_json *spec)
{
    const struct mtv_json *networks = mtv_json_get(spec, "networks");
    const struct mtv_json *i = NULL;
    int rc = 0;

    for (i = mtv_json_first(mtv_json_get(spec, "domain.devices.interfaces"));
         i != NULL && rc == 0; i = mtv_json_next(i)) {
        const char *name = mtv_json_string_or(i, "name", NULL);
        const char *net = network_of(networks, name);

        if (net == NULL) {
            continue;
        }
        rc = push_nic(d, name, mtv_json_string_or(i, "macAddress", NULL), NULL,
                      net);
    }
    return rc;
}

static const struct mtv_json *find_pvc(const struct mtv_json *pvcs,
                                       const char *name)
{
    const struct mtv_json *list = mtv_json_get(pvcs, "items");
    const struct mtv_json *p = NULL;

    if (list == NULL) {
        list = pvcs;
    }
    for (p = mtv_json_first(list); p != NULL; p = mtv_json_next(p)) {
        if (mtv_str_eq(mtv_json_string_or(p, "metadata.name", NULL), name)) {
            return p;
        }
    }
    return NULL;
}

static int fill_disk(struct mtv_checks_dest_disk *k, const char *volume,
                     const char *claim, const struct mtv_json *pvc)
{
    const char *size = mtv_json_string_or(pvc,
                                          "spec.resources.requests."
                                          "storage",
                                          NULL);
    long long bytes = 0;

    k->volume = mtv_strdup(volume);
    k->pvc_name = mtv_strdup(claim);
    k->pvc_found = pvc != NULL;
    k->size_kb = (size != NULL && mtv_checks_parse_quantity(size, &bytes) == 0)
                     ? bytes / 1024
                     : -1;
    if (k->volume == NULL || k->pvc_name == NULL ||
        dup_opt(&k->storage_class, pvc, "spec.storageClassName") < 0 ||
        dup_opt(&k->access_mode, pvc, "spec.accessModes[0]") < 0) {
        return MTV_ENOMEM;
    }
    return 0;
}

static int read_disks(struct mtv_checks_dest *d, const struct mtv_json *spec,
                      const struct mtv_json *pvcs)
{
    const struct mtv_json *vols = mtv_json_get(spec, "volumes");
    const struct mtv_json *v = NULL;
    size_t n = mtv_json_size(vols);
    int rc = 0;

    d->disks = calloc(n > 0 ? n : 1, sizeof(*d->disks));
    if (d->disks == NULL) {
        return MTV_ENOMEM;
    }
    for (v = mtv_json_first(vols); v != NULL && rc == 0; v = mtv_json_next(v)) {
        const char *claim =
            mtv_json_string_or(v, "persistentVolumeClaim.claimName", NULL);
        struct mtv_checks_dest_disk *k = &d->disks[d->n_disks];

        if (claim == NULL) {
            claim = mtv_json_string_or(v, "dataVolume.name", NULL);
        }
        if (claim == NULL) {
            d->n_other_volumes++;
            continue;
        }
        k->unit_number = (int)d->n_disks;
        d->n_disks++;
        rc = fill_disk(k, mtv_json_string_or(v, "name", ""), claim,
                       find_pvc(pvcs, claim));
    }
    return rc;
}

static bool agent_connected(const struct mtv_json *vmi)
{
    const struct mtv_json *c = NULL;

    for (c = mtv_json_first(mtv_json_get(vmi, "status.conditions")); c != NULL;
         c = mtv_json_next(c)) {
        if (mtv_str_eq(mtv_json_string_or(c, "type", NULL), "AgentConnected") &&
            mtv_str_eq(mtv_json_string_or(c, "status", NULL), "True")) {
            return true;
        }
    }
    return false;
}

static int read_template(struct mtv_checks_dest *d, const struct mtv_json *vm)
{
    const struct mtv_json *labels =
        mtv_json_get(vm, "spec.template.metadata.labels");
    const struct mtv_json *aff =
        mtv_json_get(vm, "spec.template.spec.affinity");

    if (dup_opt(&d->serial, vm, "spec.template.spec.domain.firmware.serial") <
            0 ||
        dup_opt(&d->run_strategy, vm, "spec.runStrategy") < 0 ||
        dup_opt(&d->printable_status, vm, "status.printableStatus") < 0) {
        return MTV_ENOMEM;
    }
    if (labels != NULL && mtv_json_type(labels) == MTV_JSON_OBJECT &&
        (d->labels = mtv_json_dup(labels)) == NULL) {
        return MTV_ENOMEM;
    }
    if (aff != NULL && mtv_json_type(aff) == MTV_JSON_OBJECT &&
        (d->affinity = mtv_json_dup(aff)) == NULL) {
        return MTV_ENOMEM;
    }
    d->running = mtv_str_eq(d->printable_status, "Running");
    return 0;
}

int mtv_checks_dest_build(struct mtv_checks_dest **out,
                          const struct mtv_checks_dest_input *in,
                          struct mtv_error *err)
{
    struct mtv_checks_dest *d = NULL;
    const char *name = NULL;
    int rc;

    if (in == NULL || in->vm == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "checks", "no VirtualMachine");
    }
    rc = mtv_json_get_string(in->vm, "metadata.name", &name, err);
    if (rc < 0) {
        return mtv_error_set(err, MTV_EPROTO, "checks",
                             "VirtualMachine: metadata.name missing");
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return oom(err);
    }
    d->name = mtv_strdup(name);
    rc = d->name == NULL ? MTV_ENOMEM : 0;
    rc = rc == 0 ? dup_opt(&d->namespace, in->vm, "metadata.namespace") : rc;
    rc = rc == 0 ? read_template(d, in->vm) : rc;
    d->vmi_present = in->vmi != NULL;
    d->agent_connected = agent_connected(in->vmi);
    rc = rc == 0 ? dup_opt(&d->node_name, in->vmi, "status.nodeName") : rc;
    read_cpu_memory(d, domain_spec(in));
    if (rc == 0) {
        rc = in->vmi != NULL
                 ? nics_from_vmi(d, in->vmi)
                 : nics_from_template(
                       d, mtv_json_get(in->vm, "spec.template.spec"));
    }
    rc = rc == 0 ? read_disks(d, domain_spec(in), in->pvcs) : rc;
    if (rc < 0) {
        mtv_checks_dest_free(d);
        return oom(err);
    }
    *out = d;
    return 0;
}

void mtv_checks_dest_free(struct mtv_checks_dest *d)
{
    size_t i;

    if (d == NULL) {
        return;
    }
    for (i = 0; i < d->n_nics; i++) {
        free(d->nics[i].name);
        free(d->nics[i].mac);
        free(d->nics[i].ip);
        free(d->nics[i].network);
    }
    for (i = 0; i < d->n_disks; i++) {
        free(d->disks[i].volume);
        free(d->disks[i].pvc_name);
        free(d->disks[i].storage_class);
        free(d->disks[i].access_mode);
    }
    free(d->nics);
    free(d->disks);
    free(d->name);
    free(d->namespace);
    free(d->printable_status);
    free(d->run_strategy);
    free(d->serial);
    free(d->node_name);
    mtv_json_free(d->labels);
    mtv_json_free(d->affinity);
    free(d);
}
