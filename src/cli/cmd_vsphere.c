/* mtvtest vsphere vm NAME: the source VM record as JSON. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "mtv/vsphere.h"

/* Connection options from the source provider (borrowed strings). */
static int provider_options(const struct cli_loaded *l,
                            struct mtv_vsphere_options *o)
{
    const char *key = l->config->source_provider;
    const struct mtv_provider *p = NULL;

    if (key == NULL || l->providers == NULL) {
        cli_error("'source_provider' and a providers file are needed "
                  "(--providers FILE, --set source_provider=KEY)");
        return CLI_EXIT_USAGE;
    }
    p = mtv_providers_get(l->providers, key);
    if (p == NULL || p->type != MTV_PROVIDER_VSPHERE) {
        cli_error("source provider '%s' is not a vsphere entry of '%s'", key,
                  l->providers_path);
        return CLI_EXIT_USAGE;
    }
    if (p->api_url == NULL || p->username == NULL || p->password == NULL) {
        cli_error("provider '%s': 'api_url', 'username' and 'password' are "
                  "needed", key);
        return CLI_EXIT_USAGE;
    }
    o->url = p->api_url;
    o->username = p->username;
    o->password = p->password;
    o->ca_pem = p->cacert;
    o->insecure = l->config->source_provider_insecure_skip_verify;
    return 0;
}

static int print_record(struct mtv_vsphere *vs, const char *name,
                        struct mtv_error *err)
{
    struct mtv_moref vm = {{0}, {0}};
    struct mtv_vm_record *rec = NULL;
    struct mtv_json *j = NULL;
    char *text = NULL;
    int rc = mtv_vsphere_lookup_vm(vs, name, &vm, err);

    rc = rc == 0 ? mtv_vsphere_lookup_vm_record(&rec, vs, &vm, err) : rc;
    rc = rc == 0 ? mtv_vm_record_to_json(&j, rec, err) : rc;
    if (rc == 0 && (text = mtv_json_print(j, true)) == NULL) {
        rc = mtv_error_set(err, MTV_ENOMEM, "cli", "out of memory");
    }
    if (rc == 0) {
        printf("%s\n", text);
    }
    free(text);
    mtv_json_free(j);
    mtv_vm_record_free(rec);
    return rc;
}

int cmd_vsphere(struct cli *cli)
{
    struct mtv_vsphere_options o = MTV_VSPHERE_OPTIONS_INIT;
    struct mtv_vsphere *vs = NULL;
    struct mtv_error err = {0};
    struct cli_loaded l;
    char text[1100];
    int rc = 0;

    if (cli->n_args != 2 || strcmp(cli->args[0], "vm") != 0) {
        cli_error("usage: mtvtest vsphere vm NAME [OPTIONS]");
        return CLI_EXIT_USAGE;
    }
    rc = cli_load(cli, &l, true);
    if (rc != 0) {
        return rc;
    }
    rc = provider_options(&l, &o);
    if (rc == 0) {
        rc = mtv_vsphere_connect(&vs, &o, &err);
        rc = rc == 0 ? print_record(vs, cli->args[1], &err) : rc;
        if (rc != 0) {
            cli_error("%s", mtv_error_text(&err, text, sizeof(text)));
            rc = cli_exit_for_error(rc);
        }
    }
    mtv_vsphere_free(vs);
    cli_loaded_dispose(&l);
    return rc;
}
