/* mtvtest run: select, run (or dry run), report. */
#include "cli.h"

#include "mtv/report.h"

#include "mtv/flow.h"

#define DEFAULT_JUNIT "junit-report.xml"

/* The live run's hooks: the flow module's when it is built in. */
static const struct mtv_run_hooks *live_hooks(void)
{
    return mtv_flow_hooks();
}

static void print_session_plan(const struct cli_loaded *l, const char *sid)
{
    const struct mtv_config *c = l->config;
    const struct mtv_provider *p =
        mtv_providers_get(l->providers, c->source_provider);

    printf("dry run: session %s, source provider %s", sid,
           c->source_provider ? c->source_provider : "(unset)");
    if (p != NULL) {
        printf(" (%s %s)", mtv_provider_type_name(p->type),
               p->version ? p->version : "");
    }
    printf(", storage class %s\n",
           c->storage_class ? c->storage_class : "(unset)");
    printf("session: ForkliftController 'forklift-controller' in '%s': "
           "controller_precopy_interval=%ld (minutes), restored at the end;"
           " namespace '%s'; source Secret+Provider; destination Provider "
           "'%s-local-ocp-provider'\n",
           c->mtv_namespace, c->snapshots_interval, sid, sid);
}

static void print_plan(const struct cli_loaded *l,
                       const struct mtv_selection *sel,
                       const struct mtv_run_env *env)
{
    struct mtv_buf out = MTV_BUF_INIT;

    for (size_t i = 0; i < sel->n; i++) {
        const struct mtv_selected *it = &sel->items[i];
        const char *names[6];
        size_t n = mtv_scenario_step_names(it->scenario, names);

        mtv_buf_puts(&out, "\n");
        cli_scenario_title(&out, it->scenario);
        mtv_buf_puts(&out, it->skipped ? "  skipped\n" : "  will run\n");
        mtv_plan_describe(&out, env, it);
        mtv_buf_puts(&out, "  steps:");
        for (size_t j = 0; j < n; j++) {
            mtv_buf_printf(&out, "%s %s", j ? "," : "", names[j]);
        }
        mtv_buf_puts(&out, "\n");
    }
    mtv_buf_puts(&out, "\n");
    (void)l;
    fputs(out.data ? out.data : "", stdout);
    mtv_buf_dispose(&out);
}

static int write_reports(const struct cli *cli, const struct mtv_run_result *r)
{
    struct mtv_error err;
    const char *junit = cli->run.junit_path ? cli->run.junit_path
                                            : DEFAULT_JUNIT;
    int rc = 0;

    mtv_error_clear(&err);
    if (!cli->run.no_junit &&
        mtv_report_junit_write(junit, r, cli->run.junit_classname, &err)) {
        cli_error("%s", err.msg);
        rc = CLI_EXIT_INTERNAL;
    }
    mtv_error_clear(&err);
    if (cli->run.report_dir != NULL &&
        mtv_report_results_write(cli->run.report_dir, r, &err) != 0) {
        cli_error("%s", err.msg);
        rc = CLI_EXIT_INTERNAL;
    }
    mtv_error_clear(&err);
    if (cli->run.report_dir != NULL &&
        mtv_report_html_write(cli->run.report_dir, r, &err) != 0) {
        cli_error("%s", err.msg);
        rc = CLI_EXIT_INTERNAL;
    }
    return rc;
}

/* Keys needed only to run; returns an exit code. */
static int preflight(struct cli *cli, const struct cli_loaded *l)
{
    struct mtv_diag diag = MTV_DIAG_INIT;
    int rc = 0;

    if (cli->run.dry_run) {
        return 0;
    }
    if (mtv_config_check_run(l->config, &diag) != 0) {
        cli_print_diag(&diag);
        rc = CLI_EXIT_USAGE;
    }
    mtv_diag_dispose(&diag);
    return rc;
}

static int need_hooks(const struct cli *cli,
                      const struct mtv_run_hooks **hooks)
{
    *hooks = cli->run.dry_run ? NULL : live_hooks();
    return 0;
}

static int execute(struct cli *cli, const struct cli_loaded *l,
                   const struct mtv_selection *sel,
                   const struct mtv_run_hooks *hooks)
{
    struct mtv_run_observer obs;
    struct mtv_run_env env = {&cli->run, l->config, l->providers, sel, NULL,
                              &obs};
    struct mtv_run_result *r = NULL;
    struct mtv_buf sum = MTV_BUF_INIT;
    struct mtv_error err;
    char sid[32];
    int rc = 0;

    mtv_error_clear(&err);
    if (mtv_session_id_new(sid, sizeof(sid)) != 0) {
        cli_error("cannot make a session id");
        return CLI_EXIT_INTERNAL;
    }
    env.session_id = sid;
    mtv_report_console_observer(&obs, stdout);
    if (cli->run.dry_run) {
        print_session_plan(l, sid);
        print_plan(l, sel, &env);
    }
    rc = mtv_run(&r, &env, hooks, &err);
    if (rc != 0) {
        cli_error("%s", err.msg);
    }
    if (r == NULL) {
        return cli_exit_for_error(rc);
    }
    r->exit_code = cli_exit_max(r->exit_code, cli_exit_for_error(rc));
    mtv_report_summary_line(&sum, r);
    fputs(sum.data ? sum.data : "", stdout);
    mtv_buf_dispose(&sum);
    rc = cli_exit_max(r->exit_code, write_reports(cli, r));
    mtv_run_result_free(r);
    return rc;
}

int cmd_run(struct cli *cli)
{
    const struct mtv_run_hooks *hooks = NULL;
    struct cli_loaded l;
    struct mtv_selection sel;
    int rc = cli_load(cli, &l, !cli->run.dry_run);

    if (rc != 0) {
        return rc;
    }
    rc = preflight(cli, &l);
    if (rc == 0) {
        rc = cli_select(cli, &l, &sel);
        if (rc == 0) {
            rc = need_hooks(cli, &hooks);
            rc = rc ? rc : execute(cli, &l, &sel, hooks);
            mtv_selection_dispose(&sel);
        }
    }
    cli_loaded_dispose(&l);
    return rc;
}
