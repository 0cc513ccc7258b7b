/* cli: the command table, the option table and the parsed command line. */
#ifndef MTV_CLI_H
#define MTV_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "mtv/config.h"
#include "mtv/runner.h"
#include "mtv/util.h"

/* Exit codes (CONTRACTS.md §1, docs/errors.md). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_ENV = 3,
    CLI_EXIT_INTERNAL = 4,
    CLI_EXIT_SIGINT = 130,
    CLI_EXIT_SIGTERM = 143,
};

/* Command bits, for which command accepts an option. */
enum {
    CMD_LIST = 1u << 0,
    CMD_VALIDATE = 1u << 1,
    CMD_RUN = 1u << 2,
    CMD_CLEAN = 1u << 3,
    CMD_VERSION = 1u << 4,
    CMD_HELP = 1u << 5,
    CMD_VSPHERE = 1u << 6,
    CMD_ALL = 0x7f,
};

/* The parsed command line. Strings are borrowed from argv. */
struct cli {
    const struct cli_command *cmd;
    struct mtv_run_options run;
    struct mtv_strv config_files; /* copies */
    struct mtv_strv sets;         /* "key=value" / "key:value" copies */
    bool *set_is_tc;              /* parallel to sets */
    const char *providers_path;   /* --providers, NULL: default */
    const char *help_topic;       /* help CMD */
    bool want_help;               /* -h / --help after a command */
    const char *args[2];          /* positional args (vsphere vm NAME) */
    size_t n_args;
};

typedef int (*cli_cmd_fn)(struct cli *cli);

struct cli_command {
    const char *name;
    unsigned bit;
    cli_cmd_fn fn;
    const char *usage;   /* after "mtvtest " */
    const char *summary; /* one line */
};

/* The command table (NULL-terminated by name) and lookup. */
extern const struct cli_command cli_commands[];
const struct cli_command *cli_command_find(const char *name);
/* "list, validate, run, ..." from the table, for messages. Static. */
const char *cli_command_list(void);

/*
 * Parse argv (after the program name) into cli. Usage errors are printed
 * ("mtvtest: error: ...") and give CLI_EXIT_USAGE; 0 on success.
 */
int cli_parse(struct cli *cli, int argc, char **argv);
void cli_dispose(struct cli *cli);

/* The general usage text. */
void cli_print_usage(FILE *f);

/* Print the options a command accepts (for help). */
void cli_print_options(FILE *f, unsigned cmd_bit);

/* Exit code for a negative enum mtv_err (0 → 0). */
int cli_exit_for_error(int code);
/* The higher of two exit codes; signal codes (130/143) win. */
int cli_exit_max(int a, int b);

/* Print every diag line with its prefix; returns the error count. */
size_t cli_print_diag(const struct mtv_diag *d);

/* What the loading options produced. */
struct cli_loaded {
    struct mtv_config *config;
    struct mtv_providers *providers; /* NULL when none was found */
    const char *providers_path;      /* resolved path (borrowed/static) */
    bool providers_explicit;         /* --providers or the env var */
};

/*
 * Load config files (defaults of CONTRACTS.md §1), --set overrides and
 * the providers file. need_providers: a missing default providers file is
 * an error too. Prints diagnostics; returns an exit code (0 on success).
 * On success the caller frees with cli_loaded_dispose.
 */
int cli_load(struct cli *cli, struct cli_loaded *out, bool need_providers);
void cli_loaded_dispose(struct cli_loaded *l);

/*
 * The source provider must exist in the providers file when both are
 * known. Adds the error to diag. 0 or MTV_ECONFIG.
 */
int cli_check_source(const struct cli_loaded *l, struct mtv_diag *diag);

/*
 * Select with the run options; prints diagnostics and the deselected
 * count. Returns an exit code; on 0 the caller disposes `out`.
 */
int cli_select(struct cli *cli, const struct cli_loaded *l,
               struct mtv_selection *out);

/* "<name>[<id>]  <markers,...>" appended to out. */
int cli_scenario_title(struct mtv_buf *out, const struct mtv_scenario *s);

/* Commands. */
int cmd_list(struct cli *cli);
int cmd_validate(struct cli *cli);
int cmd_run(struct cli *cli);
int cmd_clean(struct cli *cli);
int cmd_version(struct cli *cli);
int cmd_help(struct cli *cli);
int cmd_vsphere(struct cli *cli);

/* Print "mtvtest: error: <fmt>" (one line) to stderr. */
void cli_error(const char *fmt, ...) MTV_PRINTF(1, 2);
void cli_note(const char *fmt, ...) MTV_PRINTF(1, 2);

#endif
