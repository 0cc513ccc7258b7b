/* cli: load + select, shared by list, validate and run. */
#include "cli.h"

#include <string.h>

int cli_select(struct cli *cli, const struct cli_loaded *l,
               struct mtv_selection *out)
{
    struct mtv_diag diag = MTV_DIAG_INIT;
    int rc = mtv_select(out, l->config, l->providers, &cli->run, &diag);

    cli_print_diag(&diag);
    mtv_diag_dispose(&diag);
    if (rc != 0) {
        mtv_selection_dispose(out);
        return cli_exit_for_error(rc);
    }
    if (out->deselected > 0 && cli->run.verbosity >= 0) {
        fprintf(stderr, "mtvtest: note: %zu scenario%s deselected\n",
                out->deselected, out->deselected == 1 ? "" : "s");
    }
    return 0;
}

int cli_scenario_title(struct mtv_buf *out, const struct mtv_scenario *s)
{
    int rc = mtv_buf_puts(out, s->name);

    if (rc == 0 && s->id != NULL && s->id[0] != '\0') {
        rc = mtv_buf_printf(out, "[%s]", s->id);
    }
    rc = rc ? rc : mtv_buf_puts(out, "  ");
    for (size_t i = 0; rc == 0 && i < s->markers.len; i++) {
        rc = mtv_buf_printf(out, "%s%s", i ? "," : "", s->markers.items[i]);
    }
    return rc;
}
