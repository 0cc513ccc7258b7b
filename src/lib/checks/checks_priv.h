/* checks: private helpers shared by the validators. */
#ifndef MTV_CHECKS_PRIV_H
#define MTV_CHECKS_PRIV_H

#include "mtv/checks.h"

/* What every validator sees. */
struct check_ctx {
    const struct mtv_checks_plan *plan;
    const struct mtv_checks_vm *vm;
    const struct mtv_checks_env *env;
    const struct mtv_checks_source *src;    /* after migration */
    const struct mtv_checks_source *before; /* before migration */
    const struct mtv_checks_dest *dest;
};

typedef void (*check_fn)(struct mtv_check_result *r,
                         const struct check_ctx *ctx);

/* Set status and a formatted one-line message. */
void check_set(struct mtv_check_result *r, enum mtv_check_status s,
               const char *fmt, ...) MTV_PRINTF(3, 4);

/* Fail with the problems collected in b ("; "-separated), else pass. */
void check_finish(struct mtv_check_result *r, const struct mtv_buf *b,
                  const char *pass_fmt, ...) MTV_PRINTF(3, 4);

/* Append "; " when b is not empty, then the formatted problem. */
void check_problem(struct mtv_buf *b, const char *fmt, ...) MTV_PRINTF(2, 3);

/* "destination VM ns/name is not running (printableStatus X) ..." skip
 * when the guest is needed but down. Returns true when it skipped. */
bool check_skip_unless_running(struct mtv_check_result *r,
                               const struct check_ctx *ctx);

/* Source type is vSphere (or unset, which the runner treats as vSphere). */
bool check_is_vsphere(const struct check_ctx *ctx);

/*
 * Retry budget: a retry loop stops when its deadline passes or after
 * timeout / interval + 1 attempts, whichever comes first (so a fake wait
 * that does not sleep still ends the loop).
 */
struct check_retry {
    struct mtv_deadline deadline;
    int64_t interval_ms;
    int64_t max_attempts;
    int64_t attempts;
};

void check_retry_init(struct check_retry *r, int64_t timeout_ms,
                      int64_t interval_ms);
/* After a failed attempt: false when the budget is spent, else waits and
 * returns true. */
bool check_retry_again(struct check_retry *r, const struct check_ctx *ctx);

/* Wait between retries through env->wait (or sleep). */
void check_wait(const struct check_ctx *ctx, int64_t ms);

/* Run one guest command; frees nothing on error. */
int check_exec(const struct check_ctx *ctx, const char *command,
               struct mtv_checks_exec_res *res, struct mtv_error *err);
void check_exec_res_dispose(struct mtv_checks_exec_res *res);

/* Guest credentials for the source OS; false (and a failure set) when
 * missing. */
bool check_guest_creds(struct mtv_check_result *r, const struct check_ctx *ctx,
                       const char **user, const char **password);

/* Decode base64 (standard alphabet, padding optional). Caller frees. */
int check_base64_decode(const char *in, char **out);

/* Validators, one per file (check_<name>.c). */
void mtv_checks__provider_ssl(struct mtv_check_result *r,
                              const struct check_ctx *ctx);
void mtv_checks__power_state(struct mtv_check_result *r,
                             const struct check_ctx *ctx);
void mtv_checks__cpu(struct mtv_check_result *r, const struct check_ctx *ctx);
void mtv_checks__memory(struct mtv_check_result *r,
                        const struct check_ctx *ctx);
void mtv_checks__network(struct mtv_check_result *r,
                         const struct check_ctx *ctx);
void mtv_checks__storage(struct mtv_check_result *r,
                         const struct check_ctx *ctx);
void mtv_checks__pvc_names(struct mtv_check_result *r,
                           const struct check_ctx *ctx);
void mtv_checks__snapshots(struct mtv_check_result *r,
                           const struct check_ctx *ctx);
void mtv_checks__labels(struct mtv_check_result *r,
                        const struct check_ctx *ctx);
void mtv_checks__affinity(struct mtv_check_result *r,
                          const struct check_ctx *ctx);
void mtv_checks__serial(struct mtv_check_result *r,
                        const struct check_ctx *ctx);
void mtv_checks__guest_agent(struct mtv_check_result *r,
                             const struct check_ctx *ctx);
void mtv_checks__ssh(struct mtv_check_result *r, const struct check_ctx *ctx);
void mtv_checks__static_ip(struct mtv_check_result *r,
                           const struct check_ctx *ctx);
void mtv_checks__disk_count(struct mtv_check_result *r,
                            const struct check_ctx *ctx);

#endif
