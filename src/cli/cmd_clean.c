/* mtvtest clean (--ledger FILE | --session ID) */
#include "cli.h"

#include "mtv/flow.h"

int cmd_clean(struct cli *cli)
{
    struct cli_loaded l;
    struct mtv_error err;
    int rc = 0;

    if ((cli->run.ledger_path == NULL) == (cli->run.session_id == NULL)) {
        cli_error("clean needs exactly one of --ledger FILE or --session ID");
        return CLI_EXIT_USAGE;
    }
    rc = cli_load(cli, &l, false);
    if (rc != 0) {
        return rc;
    }
    mtv_error_clear(&err);
    rc = mtv_flow_clean(&cli->run, l.config, l.providers, &err);
    cli_loaded_dispose(&l);
    if (rc < 0) {
        cli_error("%s", err.msg);
        return cli_exit_for_error(rc);
    }
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}
