/* mtvtest validate: syntax, types, ranges and references. */
#include "cli.h"

int cmd_validate(struct cli *cli)
{
    struct cli_loaded l;
    struct mtv_selection sel;
    int rc = cli_load(cli, &l, false);

    if (rc != 0) {
        return rc;
    }
    rc = cli_select(cli, &l, &sel); /* copy-offload rules for the source */
    if (rc == 0) {
        printf("ok: %zu scenario%s in %zu config file%s, %zu provider%s%s%s\n",
               l.config->n_scenarios, l.config->n_scenarios == 1 ? "" : "s",
               l.config->sources.len - 1,
               l.config->sources.len == 2 ? "" : "s",
               l.providers ? l.providers->n : 0,
               l.providers && l.providers->n == 1 ? "" : "s",
               l.providers ? " in " : "",
               l.providers ? l.providers_path : "");
        mtv_selection_dispose(&sel);
    }
    cli_loaded_dispose(&l);
    return rc;
}
