/*
 * runner: selection (-m / -k expressions, gates), the scenario/step model,
 * the run loop with pluggable hooks, and the dry run.
 *
 * A scenario is an ordered list of steps; each step is a name and a
 * function. Results are recorded per step. A failed step skips every later
 * step of its scenario with "previous step failed (<step>)"; a gated
 * scenario reports every step skipped with the gate's reason.
 *
 * The live run plugs in through struct mtv_run_hooks (session open/close,
 * per-scenario setup/teardown, the step table). The CLI uses
 * mtv_flow_hooks() when a header "mtv/flow.h" declaring it exists.
 */
#ifndef MTV_RUNNER_H
#define MTV_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtv/config.h"
#include "mtv/util.h"

/* ------------------------------------------------------------ options */

enum mtv_junit_classname {
    MTV_JUNIT_CLASSNAME_SCENARIO = 0, /* classname = scenario name */
    MTV_JUNIT_CLASSNAME_REFERENCE,    /* the reference's dotted class path */
};

/*
 * Everything `mtvtest run` (and list/validate/clean) was asked to do.
 * const char * fields are borrowed (argv); the strv is owned.
 */
struct mtv_run_options {
    const char *marker_expr;  /* -m / --marker, NULL: everything */
    const char *keyword_expr; /* -k / --keyword, NULL: everything */
    long jobs;                /* -j N, default 1 (parallel workers) */
    const char *junit_path;   /* --junit-xml, default ./junit-report.xml */
    bool no_junit;            /* --no-junit */
    enum mtv_junit_classname junit_classname; /* --junit-classname */
    const char *report_dir;   /* --report DIR (results.json) */
    const char *ledger_path;  /* --ledger FILE */
    const char *session_id;   /* clean --session ID */
    bool dry_run;             /* --dry-run / --collect-only */
    bool skip_teardown;       /* --skip-teardown */
    bool ssh_direct;          /* --ssh-direct */
    const char *kubeconfig;   /* --kubeconfig */
    const char *context;      /* --context */
    const char *token_service_account; /* --token-service-account NS/NAME */
    int verbosity;            /* -v count minus -q count */
    struct mtv_strv known_issues_resolved; /* --known-issue-resolved ID */
};

void mtv_run_options_init(struct mtv_run_options *o);
void mtv_run_options_dispose(struct mtv_run_options *o);

/* ------------------------------------------------------- expressions */

/*
 * pytest's -m / -k grammar:
 *   expr := and_expr ('or' and_expr)*
 *   and_expr := not_expr ('and' not_expr)*
 *   not_expr := 'not' not_expr | '(' expr ')' | IDENT
 * IDENT is any run of characters except whitespace and parentheses.
 */
struct mtv_expr;

enum mtv_expr_kind {
    MTV_EXPR_MARKER = 0, /* idents must be known markers (strict) */
    MTV_EXPR_KEYWORD,    /* idents are case-insensitive substrings */
};

/*
 * Parse text. `option` ("-m", "-k") names it in messages:
 *   "-m 'warm and': at column 9: expected not, '(' or a name; got end of
 *   input", "-m 'foo': unknown marker 'foo' (known: tier0, warm, remote,
 *   copyoffload)". Returns 0 or MTV_ECONFIG. Caller frees with
 * mtv_expr_free. An empty/blank text parses to "match everything".
 */
int mtv_expr_parse(struct mtv_expr **out, const char *text,
                   enum mtv_expr_kind kind, const char *option,
                   struct mtv_error *err);
void mtv_expr_free(struct mtv_expr *e);

/* Markers: an ident is true when `markers` holds it. */
bool mtv_expr_match_markers(const struct mtv_expr *e,
                            const struct mtv_strv *markers);

/* Keywords: an ident is true when it is a case-insensitive substring of
 * one of `names`. */
bool mtv_expr_match_names(const struct mtv_expr *e,
                          const struct mtv_strv *names);

/* ---------------------------------------------------------- selection */

struct mtv_selected {
    const struct mtv_scenario *scenario; /* borrowed from the config */
    bool skipped;                        /* gated */
    char *reason;                        /* the gate's reason, or NULL */
};

struct mtv_selection {
    struct mtv_selected *items; /* in config order */
    size_t n;
    size_t deselected; /* picked out by -m / -k */
};

/*
 * Select the config's scenarios with opts->marker_expr / keyword_expr and
 * apply the gates of CONTRACTS.md §3 using the source provider
 * (config->source_provider looked up in `providers`; no provider gates
 * when either is missing). A selected copyoffload scenario with a vSphere
 * source whose copyoffload section breaks the §5.3 rules is a config error.
 * Errors go to diag (MTV_ECONFIG). Caller disposes `out` with
 * mtv_selection_dispose.
 */
int mtv_select(struct mtv_selection *out, const struct mtv_config *config,
               const struct mtv_providers *providers,
               const struct mtv_run_options *opts, struct mtv_diag *diag);
void mtv_selection_dispose(struct mtv_selection *s);

/* Names -k matches: scenario name, id, reference class, markers.
 * Appends to `out`. */
int mtv_scenario_keywords(const struct mtv_scenario *s,
                          struct mtv_strv *out);

/*
 * The reference's dotted class path for a scenario name
 * ("tests.warm.test_mtv_warm_migration.TestSanityWarmMtvMigration"), or
 * NULL for a scenario the reference does not have. Static string.
 */
const char *mtv_scenario_reference_class(const char *scenario_name);

/* ------------------------------------------------------------ results */

enum mtv_status {
    MTV_STATUS_PENDING = 0,
    MTV_STATUS_PASSED,
    MTV_STATUS_FAILED, /* a step's call failed */
    MTV_STATUS_ERROR,  /* setup of the scenario failed */
    MTV_STATUS_SKIPPED,
};

/* "passed", "failed", "error", "skipped", "pending". Static. */
const char *mtv_status_name(enum mtv_status s);

/* Shared by runner.h and checks.h (identical in both). */
#ifndef MTV_CHECK_STATUS_DEFINED
#define MTV_CHECK_STATUS_DEFINED
enum mtv_check_status {
    MTV_CHECK_PASS = 0,
    MTV_CHECK_FAIL,
    MTV_CHECK_SKIP,
};
#endif

/* One validator's outcome for one VM (CONTRACTS.md §7 names). */
struct mtv_validator_result {
    char *name;
    enum mtv_check_status status;
    char *message;
};

struct mtv_interval {
    int64_t start_ms; /* wall clock */
    int64_t end_ms;   /* 0: still running */
};

/* What the run learned about one migrated VM (filled by later steps). */
struct mtv_vm_result {
    char *name;   /* clone / destination name */
    char *source; /* template name from the config */
    struct mtv_validator_result *validators;
    size_t n_validators;
    struct mtv_interval *precopies;
    size_t n_precopies;
    int64_t cutover_ms; /* 0: unknown */
    int64_t started_ms;   /* the controller started migrating it; 0 */
    int64_t completed_ms; /* the controller finished it; 0: unknown */
    double downtime_s;  /* < 0: unknown */
};

struct mtv_step_result {
    const char *name; /* "test_create_plan" (static, from the step table) */
    enum mtv_status status;
    int64_t start_ms; /* wall clock; 0 when not run */
    double duration_s;
    char *message; /* one line: failure or skip reason; NULL when passed */
    char *details; /* longer text (failure body), or NULL */
};

struct mtv_scenario_result {
    const struct mtv_scenario *scenario; /* borrowed from the config */
    enum mtv_status status; /* failed/error if any step; skipped if all */
    char *reason;           /* gate reason or first failure, or NULL */
    struct mtv_step_result *steps;
    size_t n_steps;
    struct mtv_vm_result *vms;
    size_t n_vms;
    double duration_s;
    /* where the diagnostics of a failed scenario were written, or NULL
     * (flow/collect.c) */
    char *diagnostics_dir;
};

struct mtv_run_result {
    char *session_id;
    char *source_provider; /* NULL when unset */
    char *storage_class;   /* NULL when unset */
    char *mtv_version;     /* NULL until the session learns it */
    bool dry_run;
    int64_t start_ms;
    int64_t end_ms;
    size_t leftovers; /* objects teardown could not remove */
    int interrupted_by; /* SIGINT/SIGTERM that stopped the run, or 0 */
    int exit_code;    /* computed by the runner (0, 1, 130, 143) */
    struct mtv_scenario_result *scenarios;
    size_t n_scenarios;
};

void mtv_run_result_free(struct mtv_run_result *r);

/* Add a VM result to a scenario (copies name/source). Borrowed return,
 * valid until the next add; NULL on ENOMEM. */
struct mtv_vm_result *mtv_scenario_result_add_vm(
    struct mtv_scenario_result *sr, const char *name, const char *source);
/* Append a validator outcome (copies strings). 0 or MTV_ENOMEM. */
int mtv_vm_result_add_validator(struct mtv_vm_result *vm, const char *name,
                                enum mtv_check_status status,
                                const char *message);
/* Append a precopy interval. 0 or MTV_ENOMEM. */
int mtv_vm_result_add_precopy(struct mtv_vm_result *vm, int64_t start_ms,
                              int64_t end_ms);

/* Exit code of a finished run: 128 + signal when interrupted, else 1 if
 * any step failed/errored or teardown left something behind, else 0. */
int mtv_run_result_exit_code(const struct mtv_run_result *r);

/* --------------------------------------------------------------- steps */

/* Step names (CONTRACTS.md §4). */
#define MTV_STEP_STORAGEMAP "test_create_storagemap"
#define MTV_STEP_NETWORKMAP "test_create_networkmap"
#define MTV_STEP_PLAN "test_create_plan"
#define MTV_STEP_MIGRATE "test_migrate_vms"
#define MTV_STEP_XCOPY "test_check_xcopy_used"
#define MTV_STEP_CHECK "test_check_vms"

/*
 * The step names of a scenario, in order: the five standard steps, with
 * test_check_xcopy_used between migrate and check when s->copyoffload.
 * Returns the count; names[] must hold 6. Static strings.
 */
size_t mtv_scenario_step_names(const struct mtv_scenario *s,
                               const char *names[6]);

struct mtv_session_ctx;

/* What a step sees. */
struct mtv_step_ctx {
    struct mtv_session_ctx *session;
    const struct mtv_scenario *scenario;
    struct mtv_scenario_result *result; /* add VM results here */
    struct mtv_step_result *step;       /* this step */
    void *state; /* per scenario, set by hooks->scenario_begin */
    /* Set by the step to report "skipped" instead of "passed". */
    char *skip_reason;
};

/*
 * A step: 0 = passed (or skipped when it called mtv_step_skip), negative
 * = failed with err's message (err->msg becomes the step's message,
 * ctx->step->details may carry more).
 */
typedef int (*mtv_step_fn)(struct mtv_step_ctx *ctx, struct mtv_error *err);

struct mtv_step_def {
    const char *name;
    mtv_step_fn fn;
};

/* Mark the current step skipped with a reason (copied). */
void mtv_step_skip(struct mtv_step_ctx *ctx, const char *reason);
/* Set the step's long details (copied, replaces). */
void mtv_step_set_details(struct mtv_step_ctx *ctx, const char *details);

/* The run as the hooks see it. */
struct mtv_session_ctx {
    const struct mtv_run_options *opts;
    const struct mtv_config *config;
    const struct mtv_providers *providers;
    const struct mtv_provider *source; /* NULL when not resolved */
    const struct mtv_selection *selection;
    struct mtv_run_result *result;
    const char *session_id;
    void *session; /* set by hooks->session_open */
    void *payload; /* hooks->payload */
};

/*
 * The live run. Every member may be NULL. A failing session_open marks
 * every selected step as error with its message (exit code from the
 * error, see mtv_run). session_close runs even after failures (teardown)
 * and records leftovers in ctx->result->leftovers.
 */
struct mtv_run_hooks {
    int (*session_open)(struct mtv_session_ctx *ctx, struct mtv_error *err);
    void (*session_close)(struct mtv_session_ctx *ctx);
    /* Class setup (clones, ...). Failure: every step "error". */
    int (*scenario_begin)(struct mtv_step_ctx *ctx, struct mtv_error *err);
    void (*scenario_end)(struct mtv_step_ctx *ctx);
    /* The step table for a scenario (names as mtv_scenario_step_names). */
    const struct mtv_step_def *(*steps_for)(const struct mtv_scenario *s,
                                            size_t *n_out, void *payload);
    void *payload;
};

/* Progress callbacks (console output). Every member may be NULL. */
struct mtv_run_observer {
    void (*scenario_start)(const struct mtv_scenario_result *sr,
                           void *payload);
    void (*step_done)(const struct mtv_scenario_result *sr,
                      const struct mtv_step_result *step, void *payload);
    void *payload;
};

/* Everything a run needs; all borrowed. */
struct mtv_run_env {
    const struct mtv_run_options *opts;
    const struct mtv_config *config;
    const struct mtv_providers *providers; /* may be NULL for dry runs */
    const struct mtv_selection *selection;
    const char *session_id; /* NULL: a new "auto-xxxx" */
    const struct mtv_run_observer *observer;
};

/*
 * Run the selection. With opts->dry_run (or hooks == NULL) nothing is
 * called: every step is skipped ("dry run", or the gate's reason).
 * *out must be NULL; caller frees with mtv_run_result_free. Returns 0
 * (look at (*out)->exit_code) or a negative error from session_open
 * (*out is still set, with every step in error).
 */
int mtv_run(struct mtv_run_result **out, const struct mtv_run_env *env,
            const struct mtv_run_hooks *hooks, struct mtv_error *err);

/* A new session id "auto-xxxx" into out (>= 10 bytes). */
int mtv_session_id_new(char *out, size_t size);

/* --------------------------------------------------------------- names */

/*
 * Describe what a run of `item` would create, for --dry-run: lines
 * appended to out, each indented by two spaces. No network.
 */
int mtv_plan_describe(struct mtv_buf *out, const struct mtv_run_env *env,
                      const struct mtv_selected *item);

#endif
