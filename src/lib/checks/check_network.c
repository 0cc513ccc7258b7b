/* checks: network (reference 3.6) - each source NIC's MAC is on the
 * destination, on the network the NetworkMap maps its source network to.
 * MACs compare case-insensitively (the reference compares exact strings). */
#include "checks/checks_priv.h"

#include <string.h>

/* After the last '/' (a "ns/name" source name), else the whole string. */
static const char *base_name(const char *s)
{
    const char *slash = s != NULL ? strrchr(s, '/') : NULL;

    return slash != NULL ? slash + 1 : s;
}

/* The expected destination network of a source network, or NULL. */
static const char *mapped_network(const struct mtv_json *map, const char *key)
{
    const struct mtv_json *e = NULL;

    for (e = mtv_json_first(map); e != NULL; e = mtv_json_next(e)) {
        const char *type = mtv_json_string_or(e, "source.type", NULL);
        const char *name = mtv_json_string_or(e, "source.name", NULL);
        const char *id = mtv_json_string_or(e, "source.id", NULL);

        if (mtv_str_eq(type, key) || mtv_str_eq(base_name(name), key) ||
            mtv_str_eq(id, key)) {
            if (mtv_str_eq(mtv_json_string_or(e, "destination.type", NULL),
                           "pod")) {
                return "pod";
            }
            return mtv_json_string_or(e, "destination.name", "");
        }
    }
    return NULL;
}

static const struct mtv_checks_dest_nic *
nic_by_mac(const struct mtv_checks_dest *d, const char *mac)
{
    size_t i;

    for (i = 0; i < d->n_nics; i++) {
        if (mac != NULL && d->nics[i].mac != NULL &&
            mtv_str_case_eq(d->nics[i].mac, mac)) {
            return &d->nics[i];
        }
    }
    return NULL;
}

void mtv_checks__network(struct mtv_check_result *r,
                         const struct check_ctx *ctx)
{
    const struct mtv_checks_source *s = ctx->src;
    struct mtv_buf b = MTV_BUF_INIT;
    size_t i;

    if (mtv_str_eq(ctx->plan->source_type, "openshift")) {
        check_set(r, MTV_CHECK_SKIP, "not checked for openshift sources");
        return;
    }
    for (i = 0; i < s->n_nics; i++) {
        const struct mtv_checks_src_nic *n = &s->nics[i];
        const char *want = mapped_network(ctx->plan->network_map, n->network);
        const struct mtv_checks_dest_nic *d = nic_by_mac(ctx->dest, n->mac);

        if (want == NULL) {
            check_problem(&b,
                          "%s (%s): network \"%s\" not found in the "
                          "migration map",
                          n->label, n->mac, n->network);
        } else if (d == NULL) {
            check_problem(&b, "%s: no destination interface with MAC %s",
                          n->label, n->mac);
        } else if (!mtv_str_eq(d->network, want)) {
            check_problem(&b,
                          "%s (%s): expected network \"%s\", found \"%s\" "
                          "on interface %s",
                          n->label, n->mac, want,
                          d->network != NULL ? d->network : "", d->name);
        }
    }
    check_finish(r, &b, "%zu NIC(s) on their mapped networks", s->n_nics);
    mtv_buf_dispose(&b);
}
