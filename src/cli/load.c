/* cli: the loading options (config files, --set, providers file). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MTV_INSTALL_CONFIG
#define MTV_INSTALL_CONFIG "/usr/local/share/mtvtest/warm.yaml"
#endif

#define DEFAULT_PROVIDERS "./.providers.json"

/* --config files, else $MTVTEST_CONFIG, else ./config/warm.yaml, else the
 * installed copy, else only the built-in defaults. */
static void config_files(const struct cli *cli, const char **one,
                         const char *const **files, size_t *n)
{
    const char *env = getenv("MTVTEST_CONFIG");

    *files = (const char *const *)cli->config_files.items;
    *n = cli->config_files.len;
    if (*n > 0) {
        return;
    }
    if (env != NULL && env[0] != '\0') {
        *one = env;
    } else if (access("config/warm.yaml", F_OK) == 0) {
        *one = "config/warm.yaml";
    } else if (access(MTV_INSTALL_CONFIG, F_OK) == 0) {
        *one = MTV_INSTALL_CONFIG;
    } else {
        return;
    }
    *files = one;
    *n = 1;
}

static int load_config(struct cli *cli, struct cli_loaded *out,
                       struct mtv_diag *diag)
{
    const char *one = NULL;
    struct mtv_config_sources src = {NULL, 0, NULL, 0, NULL};

    config_files(cli, &one, &src.files, &src.n_files);
    src.sets = (const char *const *)cli->sets.items;
    src.n_sets = cli->sets.len;
    src.set_is_tc = cli->set_is_tc;
    return mtv_config_load(&out->config, &src, diag);
}

static int load_providers(struct cli *cli, struct cli_loaded *out,
                          bool need, struct mtv_diag *diag)
{
    const char *env = getenv("PROVIDERS_JSON_PATH");
    int rc = 0;

    out->providers_explicit = true;
    if (cli->providers_path != NULL) {
        out->providers_path = cli->providers_path;
    } else if (env != NULL && env[0] != '\0') {
        out->providers_path = env;
    } else {
        out->providers_path = DEFAULT_PROVIDERS;
        out->providers_explicit = false;
        if (!need && access(DEFAULT_PROVIDERS, F_OK) != 0) {
            cli_note("no providers file (%s): provider gates not applied",
                     DEFAULT_PROVIDERS);
            return 0;
        }
    }
    rc = mtv_providers_load(&out->providers, out->providers_path, diag);
    return rc == MTV_ENOTFOUND ? MTV_ECONFIG : rc;
}

int cli_check_source(const struct cli_loaded *l, struct mtv_diag *diag)
{
    const char *key = l->config ? l->config->source_provider : NULL;
    struct mtv_buf known = MTV_BUF_INIT;
    int rc = 0;

    if (key == NULL || key[0] == '\0' || l->providers == NULL ||
        mtv_providers_get(l->providers, key) != NULL) {
        return 0;
    }
    mtv_buf_puts(&known, "");
    for (size_t i = 0; i < l->providers->n; i++) {
        mtv_buf_printf(&known, "%s'%s'", i ? ", " : "",
                       l->providers->items[i].key);
    }
    rc = mtv_diag_error(diag, "source_provider '%s' not found in %s "
                        "(providers: %s)", key, l->providers_path,
                        known.len ? known.data : "none");
    mtv_buf_dispose(&known);
    return rc;
}

int cli_load(struct cli *cli, struct cli_loaded *out, bool need_providers)
{
    struct mtv_diag diag = MTV_DIAG_INIT;
    int crc = 0;
    int prc = 0;

    memset(out, 0, sizeof(*out));
    crc = load_config(cli, out, &diag);
    prc = load_providers(cli, out, need_providers, &diag);
    if (crc == 0 && prc == 0) {
        prc = cli_check_source(out, &diag);
    }
    cli_print_diag(&diag);
    mtv_diag_dispose(&diag);
    if (crc != 0 || prc != 0) {
        cli_loaded_dispose(out);
        return cli_exit_max(cli_exit_for_error(crc), cli_exit_for_error(prc));
    }
    return 0;
}

void cli_loaded_dispose(struct cli_loaded *l)
{
    mtv_config_free(l->config);
    mtv_providers_free(l->providers);
    memset(l, 0, sizeof(*l));
}
