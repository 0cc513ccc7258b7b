/* mtvtest: the command table and main. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cli_command cli_commands[] = {
    {"list", CMD_LIST, cmd_list, "list [-m EXPR] [-k EXPR] [OPTIONS]",
     "list the scenarios the expressions pick, and whether they will run"},
    {"validate", CMD_VALIDATE, cmd_validate, "validate [OPTIONS]",
     "check the config and providers files; exit 0 or 2 with every error"},
    {"run", CMD_RUN, cmd_run,
     "run [-m EXPR] [-k EXPR] [-j N] [--junit-xml FILE] [--report DIR] "
     "[--dry-run] [OPTIONS]",
     "run the selected scenarios (--dry-run: show the plan, no network)"},
    {"clean", CMD_CLEAN, cmd_clean, "clean (--ledger FILE | --session ID)",
     "remove what a run left behind"},
    {"version", CMD_VERSION, cmd_version, "version", "print the version"},
    {"help", CMD_HELP, cmd_help, "help [COMMAND]", "show help"},
    {"vsphere", CMD_VSPHERE, cmd_vsphere, "vsphere vm NAME [OPTIONS]",
     "print the source VM record (what the checks read) as JSON"},
    {NULL, 0, NULL, NULL, NULL},
};

const struct cli_command *cli_command_find(const char *name)
{
    for (const struct cli_command *c = cli_commands; c->name; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

const char *cli_command_list(void)
{
    static char list[256];

    if (list[0] == '\0') {
        for (const struct cli_command *c = cli_commands; c->name; c++) {
            size_t len = strlen(list);

            snprintf(list + len, sizeof(list) - len, "%s%s",
                     len ? ", " : "", c->name);
        }
    }
    return list;
}

static void set_log_level(int verbosity)
{
    int level = MTV_LOG_WARN + verbosity;

    if (level < MTV_LOG_ERROR) {
        level = MTV_LOG_ERROR;
    }
    if (level > MTV_LOG_TRACE) {
        level = MTV_LOG_TRACE;
    }
    mtv_log_set_level((enum mtv_log_level)level);
}

int main(int argc, char **argv)
{
    struct cli cli;
    int rc = cli_parse(&cli, argc - 1, argv + 1);

    set_log_level(cli.run.verbosity);
    if (rc == 0 && cli.want_help) {
        cli.help_topic = cli.cmd->name;
        cli.cmd = cli_command_find("help");
    }
    if (rc == 0) {
        rc = cli.cmd->fn(&cli);
    } else if (argc < 2) {
        cli_print_usage(stderr);
    }
    cli_dispose(&cli);
    mtv_log_clear_secrets();
    return rc;
}
