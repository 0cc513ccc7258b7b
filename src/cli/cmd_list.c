/* mtvtest list: one line per selected scenario. */
#include "cli.h"

int cmd_list(struct cli *cli)
{
    struct cli_loaded l;
    struct mtv_selection sel;
    struct mtv_buf out = MTV_BUF_INIT;
    int rc = cli_load(cli, &l, false);

    if (rc != 0) {
        return rc;
    }
    rc = cli_select(cli, &l, &sel);
    for (size_t i = 0; rc == 0 && i < sel.n; i++) {
        const struct mtv_selected *it = &sel.items[i];

        cli_scenario_title(&out, it->scenario);
        if (it->skipped) {
            mtv_buf_printf(&out, "  skipped: %s\n", it->reason);
        } else {
            mtv_buf_puts(&out, "  will run\n");
        }
    }
    if (rc == 0 && out.data != NULL) {
        fputs(out.data, stdout);
    }
    mtv_buf_dispose(&out);
    if (rc == 0) {
        mtv_selection_dispose(&sel);
    }
    cli_loaded_dispose(&l);
    return rc;
}
