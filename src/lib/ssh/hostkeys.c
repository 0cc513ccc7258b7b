/* ssh: host keys trusted on first use, per host id, within a run. */
#include "ssh/ssh_priv.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct mtv_ssh_hostkeys {
    pthread_mutex_t lock;
    struct mtv_strv ids;
    struct mtv_strv fingerprints;
};

int mtv_ssh_hostkeys_new(struct mtv_ssh_hostkeys **out, struct mtv_error *err)
{
    struct mtv_ssh_hostkeys *k = calloc(1, sizeof(*k));

    if (k == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "ssh", "out of memory");
    }
    pthread_mutex_init(&k->lock, NULL);
    *out = k;
    return 0;
}

void mtv_ssh_hostkeys_free(struct mtv_ssh_hostkeys *k)
{
    if (k == NULL) {
        return;
    }
    pthread_mutex_destroy(&k->lock);
    mtv_strv_dispose(&k->ids);
    mtv_strv_dispose(&k->fingerprints);
    free(k);
}

static long find(const struct mtv_ssh_hostkeys *k, const char *id)
{
    size_t i;

    for (i = 0; i < k->ids.len; i++) {
        if (strcmp(k->ids.items[i], id) == 0) {
            return (long)i;
        }
    }
    return -1;
}

int mtv_ssh_hostkeys_get(struct mtv_ssh_hostkeys *k, const char *host_id,
                         char *out, size_t size)
{
    long i;
    int rc = MTV_ENOTFOUND;

    pthread_mutex_lock(&k->lock);
    i = find(k, host_id);
    if (i >= 0) {
        mtv_strlcpy(out, k->fingerprints.items[i], size);
        rc = 0;
    }
    pthread_mutex_unlock(&k->lock);
    return rc;
}

int ssh_hostkeys_check(struct mtv_ssh_hostkeys *k, const char *host_id,
                       const char *fingerprint, struct mtv_error *err)
{
    long i;
    int rc = 0;

    pthread_mutex_lock(&k->lock);
    i = find(k, host_id);
    if (i < 0) {
        rc = mtv_strv_push(&k->ids, host_id);
        if (rc == 0 &&
            (rc = mtv_strv_push(&k->fingerprints, fingerprint)) < 0) {
            free(k->ids.items[--k->ids.len]);
        }
        if (rc < 0) {
            rc = mtv_error_set(err, MTV_ENOMEM, "ssh", "out of memory");
        }
    } else if (strcmp(k->fingerprints.items[i], fingerprint) != 0) {
        rc = mtv_error_set(err, MTV_EAUTH, "ssh",
                           "host key of \"%s\" changed within the run: was "
                           "%s, now %s",
                           host_id, k->fingerprints.items[i], fingerprint);
    }
    pthread_mutex_unlock(&k->lock);
    return rc;
}
