/* cli: the one option table and the argv parser. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum opt_id {
    O_CONFIG,
    O_PROVIDERS,
    O_SET,
    O_TC,
    O_KUBECONFIG,
    O_CONTEXT,
    O_VERBOSE,
    O_QUIET,
    O_MARKER,
    O_KEYWORD,
    O_JOBS,
    O_JUNIT_XML,
    O_NO_JUNIT,
    O_JUNIT_CLASSNAME,
    O_REPORT,
    O_LEDGER,
    O_DRY_RUN,
    O_SKIP_TEARDOWN,
    O_KNOWN_ISSUE,
    O_SSH_DIRECT,
    O_TOKEN_SA,
    O_SESSION,
    O_HELP,
};

struct cli_option {
    const char *long_name;
    char short_name;
    const char *metavar; /* NULL: a flag */
    unsigned cmds;
    enum opt_id id;
    const char *help;
};

#define LOAD CMD_ALL
#define SEL (CMD_LIST | CMD_RUN)

static const struct cli_option options[] = {
    {"config", 0, "FILE", LOAD, O_CONFIG,
     "config file; repeatable, merged in order (later wins)"},
    {"providers", 0, "FILE", LOAD, O_PROVIDERS,
     "providers JSON (default $PROVIDERS_JSON_PATH, ./.providers.json)"},
    {"providers-json", 0, "FILE", LOAD, O_PROVIDERS, "alias of --providers"},
    {"set", 0, "KEY=VALUE", LOAD, O_SET,
     "override a config key (dotted keys reach into maps); repeatable"},
    {"tc", 0, "KEY:VALUE", LOAD, O_TC, "alias of --set, pytest style"},
    {"kubeconfig", 0, "FILE", LOAD, O_KUBECONFIG, "kubeconfig file"},
    {"context", 0, "NAME", LOAD, O_CONTEXT, "kubeconfig context"},
    {"verbose", 'v', NULL, LOAD, O_VERBOSE, "more output (repeatable)"},
    {"quiet", 'q', NULL, LOAD, O_QUIET, "less output"},
    {"marker", 'm', "EXPR", SEL, O_MARKER,
     "marker expression: tier0, warm, remote, copyoffload with and/or/not"},
    {"keyword", 'k', "EXPR", SEL, O_KEYWORD,
     "keyword expression over scenario name and id (substrings)"},
    {"jobs", 'j', "N", CMD_RUN, O_JOBS, "scenarios run in parallel"},
    {"junit-xml", 0, "FILE", CMD_RUN, O_JUNIT_XML,
     "JUnit XML file (default ./junit-report.xml)"},
    {"no-junit", 0, NULL, CMD_RUN, O_NO_JUNIT, "write no JUnit XML"},
    {"junit-classname", 0, "scenario|reference", CMD_RUN, O_JUNIT_CLASSNAME,
     "JUnit classnames: scenario names or mtv-api-tests' classes"},
    {"report", 0, "DIR", CMD_RUN, O_REPORT, "write results.json into DIR"},
    {"ledger", 0, "FILE", CMD_RUN | CMD_CLEAN, O_LEDGER,
     "resource ledger file"},
    {"dry-run", 0, NULL, CMD_RUN, O_DRY_RUN,
     "show the plan and write a JUnit with every step skipped; no network"},
    {"collect-only", 0, NULL, CMD_RUN, O_DRY_RUN, "alias of --dry-run"},
    {"skip-teardown", 0, NULL, CMD_RUN, O_SKIP_TEARDOWN,
     "leave what the run created (clean it later with `mtvtest clean`)"},
    {"known-issue-resolved", 0, "ID", CMD_RUN | CMD_LIST, O_KNOWN_ISSUE,
     "run scenarios gated by known issue ID (e.g. MTV-2846); repeatable"},
    {"jira-resolved", 0, "ID", CMD_RUN | CMD_LIST, O_KNOWN_ISSUE,
     "alias of --known-issue-resolved"},
    {"ssh-direct", 0, NULL, CMD_RUN, O_SSH_DIRECT,
     "SSH to migrated VMs at their VMI IP instead of port-forward"},
    {"token-service-account", 0, "NS/NAME", CMD_RUN | CMD_CLEAN, O_TOKEN_SA,
     "with a client-certificate kubeconfig: mint the bearer token MTV needs "
     "for this service account (TokenRequest)"},
    {"session", 0, "ID", CMD_CLEAN, O_SESSION,
     "sweep everything labelled with this session id"},
    {"help", 'h', NULL, CMD_ALL, O_HELP, "show help"},
    {NULL, 0, NULL, 0, O_HELP, NULL},
};

void cli_error(const char *fmt, ...)
{
    struct mtv_buf b = MTV_BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    mtv_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    mtv_log(MTV_LOG_ERROR, "cli", "%s", b.data ? b.data : "out of memory");
    mtv_buf_dispose(&b);
}

void cli_note(const char *fmt, ...)
{
    struct mtv_buf b = MTV_BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    mtv_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    mtv_log(MTV_LOG_NOTE, "cli", "%s", b.data ? b.data : "out of memory");
    mtv_buf_dispose(&b);
}

void cli_print_options(FILE *f, unsigned cmd_bit)
{
    char left[64];

    for (const struct cli_option *o = options; o->long_name; o++) {
        const char *mv = o->metavar ? o->metavar : "";

        if (!(o->cmds & cmd_bit)) {
            continue;
        }
        if (o->short_name != 0) {
            snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
                     o->long_name, o->metavar ? " " : "", mv);
        } else {
            snprintf(left, sizeof(left), "    --%s%s%s", o->long_name,
                     o->metavar ? " " : "", mv);
        }
        fprintf(f, "  %-34s %s\n", left, o->help);
    }
}

static const struct cli_option *find_long(const char *name, size_t len)
{
    for (const struct cli_option *o = options; o->long_name; o++) {
        if (strlen(o->long_name) == len &&
            strncmp(o->long_name, name, len) == 0) {
            return o;
        }
    }
    return NULL;
}

static const struct cli_option *find_short(char c)
{
    for (const struct cli_option *o = options; o->long_name; o++) {
        if (o->short_name == c) {
            return o;
        }
    }
    return NULL;
}

static int add_set(struct cli *cli, const char *v, bool tc)
{
    bool *flags = realloc(cli->set_is_tc, (cli->sets.len + 1) * sizeof(bool));

    if (flags == NULL || mtv_strv_push(&cli->sets, v) != 0) {
        cli->set_is_tc = flags ? flags : cli->set_is_tc;
        return CLI_EXIT_INTERNAL;
    }
    cli->set_is_tc = flags;
    flags[cli->sets.len - 1] = tc;
    return 0;
}

static int parse_jobs(struct cli *cli, const char *v)
{
    long n = 0;

    if (mtv_str_to_long(v, &n) != 0 || n < 1 || n > 256) {
        cli_error("-j: expected an integer from 1 to 256, got \"%s\"", v);
        return CLI_EXIT_USAGE;
    }
    cli->run.jobs = n;
    return 0;
}

static int parse_classname(struct cli *cli, const char *v)
{
    if (strcmp(v, "scenario") == 0) {
        cli->run.junit_classname = MTV_JUNIT_CLASSNAME_SCENARIO;
    } else if (strcmp(v, "reference") == 0) {
        cli->run.junit_classname = MTV_JUNIT_CLASSNAME_REFERENCE;
    } else {
        cli_error("--junit-classname: expected \"scenario\" or \"reference\", "
                  "got \"%s\"", v);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Apply one option with its value (NULL for flags). */
static int apply(struct cli *cli, const struct cli_option *o, const char *v)
{
    struct mtv_run_options *r = &cli->run;

    switch (o->id) {
    case O_CONFIG:
        return mtv_strv_push(&cli->config_files, v) ? CLI_EXIT_INTERNAL : 0;
    case O_PROVIDERS: cli->providers_path = v; break;
    case O_SET: return add_set(cli, v, false);
    case O_TC: return add_set(cli, v, true);
    case O_KUBECONFIG: r->kubeconfig = v; break;
    case O_CONTEXT: r->context = v; break;
    case O_VERBOSE: r->verbosity++; break;
    case O_QUIET: r->verbosity--; break;
    case O_MARKER: r->marker_expr = v; break;
    case O_KEYWORD: r->keyword_expr = v; break;
    case O_JOBS: return parse_jobs(cli, v);
    case O_JUNIT_XML: r->junit_path = v; break;
    case O_NO_JUNIT: r->no_junit = true; break;
    case O_JUNIT_CLASSNAME: return parse_classname(cli, v);
    case O_REPORT: r->report_dir = v; break;
    case O_LEDGER: r->ledger_path = v; break;
    case O_DRY_RUN: r->dry_run = true; break;
    case O_SKIP_TEARDOWN: r->skip_teardown = true; break;
    case O_KNOWN_ISSUE:
        return mtv_strv_push(&r->known_issues_resolved, v) ? CLI_EXIT_INTERNAL
                                                           : 0;
    case O_SSH_DIRECT: r->ssh_direct = true; break;
    case O_TOKEN_SA: r->token_service_account = v; break;
    case O_SESSION: r->session_id = v; break;
    case O_HELP: cli->want_help = true; break;
    }
    return 0;
}

static int check_allowed(const struct cli *cli, const struct cli_option *o,
                         const char *spelled)
{
    if (!(o->cmds & cli->cmd->bit)) {
        cli_error("option '%s' is not accepted by '%s' (see mtvtest help %s)",
                  spelled, cli->cmd->name, cli->cmd->name);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* --name, --name=value, --name value. *i advances past a used value. */
static int parse_long(struct cli *cli, int argc, char **argv, int *i)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const struct cli_option *o = find_long(arg, len);
    const char *v = eq ? eq + 1 : NULL;

    if (o == NULL) {
        cli_error("unknown option '--%.*s' (see mtvtest help)", (int)len, arg);
        return CLI_EXIT_USAGE;
    }
    if (check_allowed(cli, o, argv[*i]) != 0) {
        return CLI_EXIT_USAGE;
    }
    if (o->metavar == NULL && v != NULL) {
        cli_error("option '--%s' takes no value", o->long_name);
        return CLI_EXIT_USAGE;
    }
    if (o->metavar != NULL && v == NULL) {
        if (*i + 1 >= argc) {
            cli_error("option '--%s' needs a value (%s)", o->long_name,
                      o->metavar);
            return CLI_EXIT_USAGE;
        }
        v = argv[++*i];
    }
    return apply(cli, o, v);
}

/* -v, -vv, -m EXPR, -mEXPR */
static int parse_short(struct cli *cli, int argc, char **argv, int *i)
{
    for (const char *p = argv[*i] + 1; *p != '\0'; p++) {
        const struct cli_option *o = find_short(*p);
        char spelled[3] = {'-', *p, '\0'};
        int rc = 0;

        if (o == NULL) {
            cli_error("unknown option '-%c' (see mtvtest help)", *p);
            return CLI_EXIT_USAGE;
        }
        if (check_allowed(cli, o, spelled) != 0) {
            return CLI_EXIT_USAGE;
        }
        if (o->metavar == NULL) {
            rc = apply(cli, o, NULL);
        } else if (p[1] != '\0') {
            return apply(cli, o, p + 1);
        } else if (*i + 1 < argc) {
            return apply(cli, o, argv[++*i]);
        } else {
            cli_error("option '-%c' needs a value (%s)", *p, o->metavar);
            return CLI_EXIT_USAGE;
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int positional(struct cli *cli, const char *arg)
{
    if (cli->cmd->bit == CMD_HELP && cli->help_topic == NULL) {
        cli->help_topic = arg;
        return 0;
    }
    if (cli->cmd->bit == CMD_VSPHERE && cli->n_args < 2) {
        cli->args[cli->n_args++] = arg;
        return 0;
    }
    cli_error("unexpected argument '%s' for '%s'", arg, cli->cmd->name);
    return CLI_EXIT_USAGE;
}

static int parse_args(struct cli *cli, int argc, char **argv, int start)
{
    bool only_positional = false;

    for (int i = start; i < argc; i++) {
        const char *a = argv[i];
        int rc = 0;

        if (!only_positional && strcmp(a, "--") == 0) {
            only_positional = true;
        } else if (!only_positional && a[0] == '-' && a[1] == '-') {
            rc = parse_long(cli, argc, argv, &i);
        } else if (!only_positional && a[0] == '-' && a[1] != '\0') {
            rc = parse_short(cli, argc, argv, &i);
        } else {
            rc = positional(cli, a);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int cli_parse(struct cli *cli, int argc, char **argv)
{
    const char *name = argc > 0 ? argv[0] : NULL;

    memset(cli, 0, sizeof(*cli));
    mtv_run_options_init(&cli->run);
    if (name == NULL) {
        cli_error("no command given (commands: %s)", cli_command_list());
        return CLI_EXIT_USAGE;
    }
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        cli->cmd = cli_command_find("help");
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        cli->cmd = cli_command_find("version");
        return 0;
    }
    cli->cmd = cli_command_find(name);
    if (cli->cmd == NULL) {
        cli_error("unknown command '%s' (commands: %s)", name,
                  cli_command_list());
        return CLI_EXIT_USAGE;
    }
    return parse_args(cli, argc, argv, 1);
}

void cli_dispose(struct cli *cli)
{
    mtv_run_options_dispose(&cli->run);
    mtv_strv_dispose(&cli->config_files);
    mtv_strv_dispose(&cli->sets);
    free(cli->set_is_tc);
}
