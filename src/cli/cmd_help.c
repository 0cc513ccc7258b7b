/* mtvtest help [COMMAND] */
#include "cli.h"

#include <string.h>

void cli_print_usage(FILE *f)
{
    fprintf(f, "usage: mtvtest COMMAND [OPTIONS]\n\n"
               "Runs MTV (Forklift) warm migration scenarios end to end.\n\n"
               "commands:\n");
    for (const struct cli_command *c = cli_commands; c->name; c++) {
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    }
    fprintf(f, "\nloading options (every command):\n");
    cli_print_options(f, CMD_VERSION);
    fprintf(f, "\n'mtvtest help COMMAND' shows a command's options. Exit "
               "codes: 0 passed, 1 a step failed or something was left "
               "behind,\n2 usage/configuration error, 3 environment "
               "unreachable or auth failed, 4 internal error,\n130/143 "
               "interrupted.\n");
}

int cmd_help(struct cli *cli)
{
    const struct cli_command *c = NULL;

    if (cli->help_topic == NULL || strcmp(cli->help_topic, "help") == 0) {
        cli_print_usage(stdout);
        return CLI_EXIT_OK;
    }
    c = cli_command_find(cli->help_topic);
    if (c == NULL) {
        cli_error("unknown command '%s' (commands: %s)", cli->help_topic,
                  cli_command_list());
        return CLI_EXIT_USAGE;
    }
    printf("usage: mtvtest %s\n\n%s\n\noptions:\n", c->usage, c->summary);
    cli_print_options(stdout, c->bit);
    return CLI_EXIT_OK;
}
