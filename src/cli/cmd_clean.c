/* mtvtest clean (--ledger FILE | --session ID) */
#include "cli.h"

int cmd_clean(struct cli *cli)
{
    struct cli_loaded l;
    int rc = 0;

    if ((cli->run.ledger_path == NULL) == (cli->run.session_id == NULL)) {
        cli_error("clean needs exactly one of --ledger FILE or --session ID");
        return CLI_EXIT_USAGE;
    }
    rc = cli_load(cli, &l, false);
    if (rc != 0) {
        return rc;
    }
    cli_loaded_dispose(&l);
    cli_error("clean is not implemented yet");
    return CLI_EXIT_INTERNAL;
}
