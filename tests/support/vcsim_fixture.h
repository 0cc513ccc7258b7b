/*
 * vcsim_fixture: start the lab's mtv-vcsim on a free loopback port with a
 * throw-away CA and server certificate (made with the openssl CLI) and
 * random credentials; stop it by pid. Starting fails loudly (never skips)
 * when the simulator cannot be built or started. The simulator's stderr
 * goes to <dir>/vcsim.log (its tail is printed when it fails to start).
 */
#ifndef MTV_VCSIM_FIXTURE_H
#define MTV_VCSIM_FIXTURE_H

#include <sys/types.h>

#include "mtv/vsphere.h"

struct vcsim_fixture {
    pid_t pid;
    int pidfd;
    char dir[256];
    char url[256];  /* https://127.0.0.1:<port>/sdk */
    char user[32];
    char password[40];
    char *ca_pem;       /* the CA that signed the server certificate */
    char *other_ca_pem; /* an unrelated CA (for "wrong CA" tests) */
};

/*
 * Build (lab/vcsim/build.sh, idempotent) and start the simulator with
 * extra_args (NULL-terminated, may be NULL, e.g. {"--latency-ms", "20"}).
 * Returns 0, or -1 after printing why to stderr.
 */
int vcsim_fixture_start(struct vcsim_fixture *f, const char *const *extra_args);

/* SIGTERM, wait (bounded), SIGKILL if needed; remove the directory. */
void vcsim_fixture_stop(struct vcsim_fixture *f);

/* Options to connect with the right CA and credentials (borrowed). */
struct mtv_vsphere_options vcsim_fixture_options(const struct vcsim_fixture *f);

/*
 * A clone name as the runner makes it (include/mtv/naming.h): session,
 * template, the "-ceph-rbd-4-20-warm" suffix, 4 random characters.
 * out must hold 64 bytes. 0 or an error code.
 */
int vcsim_clone_name(char *out, const char *session, const char *tmpl);

#endif
