/*
 * report: report.html in the --report folder. One self-contained page
 * (inline CSS, no script, no external resource): the run's summary, an
 * overview of the scenarios, then per scenario its steps, its timeline
 * (html_svg.c) and per VM the validators and precopy rounds. Every text
 * from the run is redacted and escaped.
 */
#include "html_priv.h"
#include "html_css.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define N_STATUS 5 /* enum mtv_status */
#define N_CHECK 3  /* enum mtv_check_status */

struct tally {
    size_t scenarios[N_STATUS];
    size_t steps[N_STATUS];
    size_t checks[N_CHECK];
    size_t n_steps;
};

static const char *status_badge(enum mtv_status s)
{
    switch (s) {
    case MTV_STATUS_PASSED:
        return "&#10004; PASSED";
    case MTV_STATUS_FAILED:
        return "&#10008; FAILED";
    case MTV_STATUS_ERROR:
        return "&#10008; ERROR";
    case MTV_STATUS_SKIPPED:
        return "&#9675; SKIPPED";
    default:
        return "&#8230; PENDING";
    }
}

static int put_badge(struct mtv_buf *out, enum mtv_status s)
{
    return mtv_buf_printf(out, "<span class=\"badge %s\">%s</span>",
                          mtv_status_name(s), status_badge(s));
}

static bool is_failure(enum mtv_status s)
{
    return s == MTV_STATUS_FAILED || s == MTV_STATUS_ERROR;
}

/* -------------------------------------------------------------- tally */

static void count_run(const struct mtv_run_result *r, struct tally *t)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < r->n_scenarios; i++) {
        const struct mtv_scenario_result *sr = &r->scenarios[i];

        t->scenarios[sr->status % N_STATUS]++;
        for (size_t j = 0; j < sr->n_steps; j++) {
            t->steps[sr->steps[j].status % N_STATUS]++;
            t->n_steps++;
        }
        for (size_t v = 0; v < sr->n_vms; v++) {
            for (size_t k = 0; k < sr->vms[v].n_validators; k++) {
                t->checks[sr->vms[v].validators[k].status % N_CHECK]++;
            }
        }
    }
}

/* ------------------------------------------------------------ summary */

static const char *verdict_word(const char *verdict);

static int put_head(struct mtv_buf *out, const struct mtv_run_result *r,
                    const char *verdict)
{
    int rc = mtv_buf_puts(
        out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
             "<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width="
             "device-width, initial-scale=1\">\n"
             "<meta name=\"generator\" content=\"mtvtest " MTV_VERSION_STRING
             "\">\n<title>mtvtest ");

    rc = rc ? rc : mtv_buf_puts(out, verdict_word(verdict));
    rc = rc ? rc : mtv_buf_puts(out, ", session ");
    rc = rc ? rc : mtv_report__html_text(out, r->session_id);
    rc = rc ? rc : mtv_buf_puts(out, "</title>\n<style>\n");
    rc = rc ? rc : mtv_buf_puts(out, html_css);
    return rc ? rc : mtv_buf_puts(out, "</style>\n</head>\n<body>\n");
}

/* Verdict word and class: from the exit code (CONTRACTS.md §1). */
static const char *verdict_of(const struct mtv_run_result *r)
{
    if (r->interrupted_by != 0 || r->exit_code >= 128) {
        return "interrupted";
    }
    if (r->dry_run) {
        return "dry-run";
    }
    switch (r->exit_code) {
    case 0:
        return "passed";
    case 1:
        return "failed";
    default:
        return "error";
    }
}

/* The verdict's badge text (glyph + word) and its plain word. */
static const char *const verdicts[][3] = {
    {"passed", "&#10004; PASSED", "PASSED"},
    {"failed", "&#10008; FAILED", "FAILED"},
    {"error", "&#10008; ERROR", "ERROR"},
    {"interrupted", "&#9632; INTERRUPTED", "INTERRUPTED"},
    {"dry-run", "&#9675; DRY RUN", "DRY RUN"},
};

static size_t verdict_index(const char *verdict)
{
    for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
        if (strcmp(verdicts[i][0], verdict) == 0) {
            return i;
        }
    }
    return 2;
}

static const char *verdict_badge(const char *verdict)
{
    return verdicts[verdict_index(verdict)][1];
}

static const char *verdict_word(const char *verdict)
{
    return verdicts[verdict_index(verdict)][2];
}

static const char *exit_meaning(int code)
{
    switch (code) {
    case 0:
        return "every selected step passed (skips allowed)";
    case 1:
        return "a step failed, or teardown left something behind";
    case 2:
        return "usage or configuration error";
    case 3:
        return "environment unreachable or authentication failed";
    case 4:
        return "internal error";
    case 130:
        return "interrupted by SIGINT";
    case 143:
        return "interrupted by SIGTERM";
    default:
        return "see docs/errors.md";
    }
}

static int put_verdict(struct mtv_buf *out, const struct mtv_run_result *r,
                       const struct tally *t, const char *verdict)
{
    int rc = mtv_buf_printf(
        out,
        "<div class=\"verdict %s\" role=\"status\"><span class=\"badge "
        "%s\">%s</span><span class=\"counts\"><b>%zu</b> failed, <b>%zu</b> "
        "error, <b>%zu</b> passed, <b>%zu</b> skipped &#8212; %zu steps in "
        "%zu scenario(s)</span><span class=\"muted\">exit code %d</span>"
        "</div>\n",
        verdict, verdict, verdict_badge(verdict), t->steps[MTV_STATUS_FAILED],
        t->steps[MTV_STATUS_ERROR], t->steps[MTV_STATUS_PASSED],
        t->steps[MTV_STATUS_SKIPPED], t->n_steps, r->n_scenarios, r->exit_code);

    if (rc == 0 && r->dry_run) {
        rc = mtv_buf_puts(out, "<p class=\"callout\"><b>Dry run:</b> nothing "
                               "was contacted or created; every step is "
                               "reported skipped.</p>\n");
    }
    if (rc == 0 && r->leftovers > 0) {
        rc = mtv_buf_printf(out,
                            "<p class=\"callout warn\"><b>Teardown left "
                            "%zu object(s) behind.</b> Remove them with "
                            "<code>mtvtest clean</code>.</p>\n",
                            r->leftovers);
    }
    return rc;
}

static int put_kv(struct mtv_buf *out, const char *key, const char *value,
                  bool mono)
{
    int rc = mtv_buf_printf(out, "<tr><th scope=\"row\">%s</th><td%s>", key,
                            mono ? " class=\"mono\"" : "");

    if (value == NULL) {
        rc = rc ? rc
                : mtv_buf_puts(out, "<span class=\"muted\">unknown"
                                    "</span>");
    }
    rc = rc ? rc : mtv_report__html_text(out, value);
    return rc ? rc : mtv_buf_puts(out, "</td></tr>\n");
}

static int put_run_table(struct mtv_buf *out, const struct mtv_run_result *r)
{
    int rc = mtv_buf_puts(out, "<table class=\"kv\"><caption class=\"muted\" "
                               "style=\"text-align:left\">Run</caption>\n");

    rc = rc ? rc : put_kv(out, "Session", r->session_id, true);
    rc = rc ? rc : put_kv(out, "Source provider", r->source_provider, true);
    rc = rc ? rc : put_kv(out, "Storage class", r->storage_class, true);
    rc = rc ? rc : put_kv(out, "MTV version", r->mtv_version, false);
    rc = rc ? rc : mtv_buf_puts(out, "<tr><th scope=\"row\">Started</th><td>");
    rc = rc ? rc : mtv_report__html_when(out, r->start_ms);
    rc = rc ? rc
            : mtv_buf_puts(out, "</td></tr>\n<tr><th scope=\"row\">"
                                "Ended</th><td>");
    rc = rc ? rc : mtv_report__html_when(out, r->end_ms);
    rc = rc ? rc
            : mtv_buf_puts(out, "</td></tr>\n<tr><th scope=\"row\">"
                                "Duration</th><td>");
    if (rc == 0 && r->end_ms > r->start_ms && r->start_ms > 0) {
        rc = mtv_report__html_dur(out,
                                  (double)(r->end_ms - r->start_ms) / 1000.0);
    }
    rc = rc ? rc
            : mtv_buf_printf(out,
                             "</td></tr>\n<tr><th scope=\"row\">Exit code"
                             "</th><td><b>%d</b> &#8212; %s</td></tr>\n"
                             "<tr><th scope=\"row\">Mode</th><td>%s</td>"
                             "</tr>\n<tr><th scope=\"row\">Left behind</th>"
                             "<td>%zu object(s)</td></tr>\n</table>\n",
                             r->exit_code, exit_meaning(r->exit_code),
                             r->dry_run ? "dry run (no network)" : "live run",
                             r->leftovers);
    return rc;
}

static int put_count_row(struct mtv_buf *out, const char *what, const size_t *c)
{
    size_t total = c[MTV_STATUS_PASSED] + c[MTV_STATUS_FAILED] +
                   c[MTV_STATUS_ERROR] + c[MTV_STATUS_SKIPPED] +
                   c[MTV_STATUS_PENDING];

    return mtv_buf_printf(out,
                          "<tr><th scope=\"row\">%s</th><td class=\"num\">%zu"
                          "</td><td class=\"num\">%zu</td><td class=\"num\">"
                          "%zu</td><td class=\"num\">%zu</td>"
                          "<td class=\"num\">%zu</td></tr>\n",
                          what, c[MTV_STATUS_PASSED], c[MTV_STATUS_FAILED],
                          c[MTV_STATUS_ERROR], c[MTV_STATUS_SKIPPED], total);
}

static int put_counts_table(struct mtv_buf *out, const struct tally *t)
{
    size_t checks[N_STATUS] = {0};
    int rc = 0;

    checks[MTV_STATUS_PASSED] = t->checks[MTV_CHECK_PASS];
    checks[MTV_STATUS_FAILED] = t->checks[MTV_CHECK_FAIL];
    checks[MTV_STATUS_SKIPPED] = t->checks[MTV_CHECK_SKIP];
    rc = mtv_buf_puts(out,
                      "<table class=\"counts\"><caption class=\"muted\" "
                      "style=\"text-align:left\">Counts</caption>\n<thead><tr>"
                      "<th scope=\"col\"></th><th scope=\"col\" class=\"num\">"
                      "Passed</th><th scope=\"col\" class=\"num\">Failed</th>"
                      "<th scope=\"col\" class=\"num\">Error</th>"
                      "<th scope=\"col\" class=\"num\">Skipped</th>"
                      "<th scope=\"col\" class=\"num\">Total</th></tr>"
                      "</thead>\n<tbody>\n");
    rc = rc ? rc : put_count_row(out, "Scenarios", t->scenarios);
    rc = rc ? rc : put_count_row(out, "Steps", t->steps);
    rc = rc ? rc : put_count_row(out, "Validators (all VMs)", checks);
    return rc ? rc : mtv_buf_puts(out, "</tbody></table>\n");
}

/* ----------------------------------------------------------- overview */

static void vm_totals(const struct mtv_scenario_result *sr, size_t *pre,
                      double *down)
{
    *pre = 0;
    *down = -1;
    for (size_t i = 0; i < sr->n_vms; i++) {
        *pre += sr->vms[i].n_precopies;
        if (sr->vms[i].downtime_s > *down) {
            *down = sr->vms[i].downtime_s;
        }
    }
}

static int put_scenario_title(struct mtv_buf *out, const struct mtv_scenario *s)
{
    int rc = mtv_report__html_text(out, s->name);

    if (rc == 0 && s->id != NULL) {
        rc = mtv_buf_puts(out, " <span class=\"muted\">[");
        rc = rc ? rc : mtv_report__html_text(out, s->id);
        rc = rc ? rc : mtv_buf_puts(out, "]</span>");
    }
    return rc;
}

static int put_overview_row(struct mtv_buf *out,
                            const struct mtv_scenario_result *sr, size_t i)
{
    size_t pre = 0;
    double down = 0;
    int rc = 0;

    vm_totals(sr, &pre, &down);
    rc = mtv_buf_printf(out, "<tr class=\"%s\"><td class=\"st\">",
                        mtv_status_name(sr->status));
    rc = rc ? rc : put_badge(out, sr->status);
    rc = rc ? rc
            : mtv_buf_printf(out, "</td><td><a href=\"#scenario-%zu\">", i + 1);
    rc = rc ? rc : put_scenario_title(out, sr->scenario);
    rc = rc ? rc : mtv_buf_puts(out, "</a></td><td class=\"num\">");
    rc = rc ? rc : mtv_report__html_dur(out, sr->duration_s);
    rc = rc ? rc
            : mtv_buf_printf(out,
                             "</td><td class=\"num\">%zu</td><td class=\"num\">"
                             "%zu</td><td class=\"num\">",
                             sr->n_vms, pre);
    if (rc == 0 && down >= 0) {
        rc = mtv_report__html_dur(out, down);
    }
    rc = rc ? rc : mtv_buf_puts(out, "</td><td>");
    rc = rc ? rc : mtv_report__html_text(out, sr->reason);
    return rc ? rc : mtv_buf_puts(out, "</td></tr>\n");
}

static int put_overview(struct mtv_buf *out, const struct mtv_run_result *r)
{
    int rc = mtv_buf_puts(
        out, "<h3 id=\"overview\">Scenarios</h3>\n<table class=\"overview\">"
             "<thead><tr><th scope=\"col\">Status</th><th scope=\"col\">"
             "Scenario [id]</th><th scope=\"col\" class=\"num\">Duration</th>"
             "<th scope=\"col\" class=\"num\">VMs</th><th scope=\"col\" "
             "class=\"num\">Precopies</th><th scope=\"col\" class=\"num\">"
             "Max downtime</th><th scope=\"col\">Reason</th></tr></thead>\n"
             "<tbody>\n");

    for (size_t i = 0; rc == 0 && i < r->n_scenarios; i++) {
        rc = put_overview_row(out, &r->scenarios[i], i);
    }
    if (rc == 0 && r->n_scenarios == 0) {
        rc = mtv_buf_puts(out, "<tr><td colspan=\"7\">No scenario was "
                               "selected.</td></tr>\n");
    }
    return rc ? rc : mtv_buf_puts(out, "</tbody></table>\n");
}

/* --------------------------------------------------------------- steps */

static int put_step_details(struct mtv_buf *out,
                            const struct mtv_step_result *st)
{
    int rc = 0;

    if (st->details == NULL || st->details[0] == '\0') {
        return 0;
    }
    rc = mtv_buf_printf(out,
                        "<tr class=\"details\"><td colspan=\"5\"><details%s>"
                        "<summary>Details of %s</summary>"
                        "<pre class=\"details\">",
                        is_failure(st->status) ? " open" : "", st->name);
    rc = rc ? rc : mtv_report__html_text(out, st->details);
    return rc ? rc : mtv_buf_puts(out, "</pre></details></td></tr>\n");
}

static int put_step(struct mtv_buf *out, const struct mtv_step_result *st)
{
    char clock[16];
    int rc = mtv_buf_printf(out, "<tr class=\"step %s\"><td class=\"name\">",
                            mtv_status_name(st->status));

    rc = rc ? rc : mtv_report__html_text(out, st->name);
    rc = rc ? rc : mtv_buf_puts(out, "</td><td class=\"st\">");
    rc = rc ? rc : put_badge(out, st->status);
    rc = rc ? rc
            : mtv_buf_printf(out,
                             "</td><td class=\"num\">%s</td>"
                             "<td class=\"num\">",
                             st->start_ms > 0
                                 ? mtv_report__html_clock(st->start_ms, clock,
                                                          sizeof(clock))
                                 : "");
    if (rc == 0 && st->start_ms > 0) {
        rc = mtv_report__html_dur(out, st->duration_s);
    }
    rc = rc ? rc : mtv_buf_puts(out, "</td><td class=\"message\">");
    rc = rc ? rc : mtv_report__html_text(out, st->message);
    rc = rc ? rc : mtv_buf_puts(out, "</td></tr>\n");
    return rc ? rc : put_step_details(out, st);
}

static int put_steps(struct mtv_buf *out, const struct mtv_scenario_result *sr)
{
    int rc = mtv_buf_puts(
        out, "<h3>Steps</h3>\n<table class=\"steps\"><thead><tr>"
             "<th scope=\"col\">Step</th><th scope=\"col\">Status</th>"
             "<th scope=\"col\" class=\"num\">Started (UTC)</th>"
             "<th scope=\"col\" class=\"num\">Duration</th>"
             "<th scope=\"col\">Message</th></tr></thead>\n<tbody>\n");

    for (size_t i = 0; rc == 0 && i < sr->n_steps; i++) {
        rc = put_step(out, &sr->steps[i]);
    }
    return rc ? rc : mtv_buf_puts(out, "</tbody></table>\n");
}

/* ----------------------------------------------------------- scenarios */

static int put_markers(struct mtv_buf *out, const struct mtv_scenario *s)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < s->markers.len; i++) {
        rc = mtv_buf_puts(out, " <span class=\"chip\">");
        rc = rc ? rc : mtv_report__html_text(out, s->markers.items[i]);
        rc = rc ? rc : mtv_buf_puts(out, "</span>");
    }
    return rc;
}

static int put_reason(struct mtv_buf *out, const struct mtv_scenario_result *sr)
{
    const char *what = sr->status == MTV_STATUS_SKIPPED ? "Skipped" : "Failed";
    int rc = 0;

    if (sr->reason == NULL || sr->status == MTV_STATUS_PASSED) {
        return 0;
    }
    rc = mtv_buf_printf(out, "<p class=\"callout %s\"><b>%s:</b> ",
                        mtv_status_name(sr->status), what);
    rc = rc ? rc : mtv_report__html_text(out, sr->reason);
    if (rc == 0 && sr->diagnostics_dir != NULL) {
        /* flow/collect.c writes them under the report dir:
         * diagnostics/<scenario>/ next to report.html */
        const char *leaf = strrchr(sr->diagnostics_dir, '/');

        leaf = leaf != NULL ? leaf + 1 : sr->diagnostics_dir;
        rc = mtv_buf_puts(out, " <a href=\"diagnostics/");
        rc = rc ? rc : mtv_report__html_text(out, leaf);
        rc = rc ? rc : mtv_buf_puts(out, "/summary.txt\">Diagnostics</a>");
    }
    return rc ? rc : mtv_buf_puts(out, "</p>\n");
}

static int put_scenario_head(struct mtv_buf *out,
                             const struct mtv_scenario_result *sr, size_t i)
{
    int rc = mtv_buf_printf(out,
                            "<section class=\"scenario %s\" id=\"scenario-%zu\""
                            " aria-labelledby=\"scenario-%zu-h\">\n"
                            "<div class=\"shead\"><h2 id=\"scenario-%zu-h\">",
                            mtv_status_name(sr->status), i + 1, i + 1, i + 1);

    rc = rc ? rc : put_scenario_title(out, sr->scenario);
    rc = rc ? rc : mtv_buf_puts(out, "</h2>");
    rc = rc ? rc : put_badge(out, sr->status);
    rc = rc ? rc : mtv_buf_puts(out, "</div>\n<p class=\"meta\">");
    if (rc == 0 && sr->duration_s > 0) {
        rc = mtv_buf_puts(out, "Duration ");
        rc = rc ? rc : mtv_report__html_dur(out, sr->duration_s);
        rc = rc ? rc : mtv_buf_puts(out, " &#183; ");
    }
    rc = rc ? rc : mtv_buf_printf(out, "%zu VM(s) &#183; markers:", sr->n_vms);
    rc = rc ? rc : put_markers(out, sr->scenario);
    rc = rc ? rc : mtv_buf_puts(out, "</p>\n");
    return rc ? rc : put_reason(out, sr);
}

static int put_scenario(struct mtv_buf *out,
                        const struct mtv_scenario_result *sr, size_t i)
{
    int rc = put_scenario_head(out, sr, i);

    rc = rc ? rc : put_steps(out, sr);
    rc = rc ? rc : mtv_buf_puts(out, "<h3>Timeline</h3>\n");
    rc = rc ? rc : mtv_report__html_timeline(out, sr, i + 1);
    if (rc == 0 && sr->n_vms > 0) {
        rc = mtv_buf_puts(out, "<h3>VMs</h3>\n");
    }
    for (size_t v = 0; rc == 0 && v < sr->n_vms; v++) {
        rc = mtv_report__html_vm(out, &sr->vms[v]);
    }
    return rc ? rc : mtv_buf_puts(out, "</section>\n");
}

/* ---------------------------------------------------------------- page */

static int put_header(struct mtv_buf *out, const struct mtv_run_result *r,
                      const struct tally *t, const char *verdict)
{
    int rc = mtv_buf_puts(out, "<header>\n<h1>mtvtest report</h1>\n<p "
                               "class=\"muted\" style=\"margin:0\">Warm "
                               "migration test run, session <b "
                               "class=\"mono\">");

    rc = rc ? rc : mtv_report__html_text(out, r->session_id);
    rc = rc ? rc : mtv_buf_puts(out, "</b></p>\n");
    rc = rc ? rc : put_verdict(out, r, t, verdict);
    rc = rc ? rc : mtv_buf_puts(out, "<div class=\"grid2\">\n");
    rc = rc ? rc : put_run_table(out, r);
    rc = rc ? rc : put_counts_table(out, t);
    return rc ? rc : mtv_buf_puts(out, "</div>\n</header>\n");
}

int mtv_report_html(struct mtv_buf *out, const struct mtv_run_result *r)
{
    struct tally t;
    const char *verdict = verdict_of(r);
    int rc = 0;

    count_run(r, &t);
    rc = put_head(out, r, verdict);
    rc = rc ? rc : put_header(out, r, &t, verdict);
    rc = rc ? rc : mtv_buf_puts(out, "<main>\n");
    rc = rc ? rc : put_overview(out, r);
    for (size_t i = 0; rc == 0 && i < r->n_scenarios; i++) {
        rc = put_scenario(out, &r->scenarios[i], i);
    }
    rc = rc ? rc
            : mtv_buf_puts(
                  out,
                  "</main>\n<footer>Generated by mtvtest " MTV_VERSION_STRING
                  " &#183; ");
    rc = rc ? rc : mtv_report__html_when(out, r->end_ms);
    return rc ? rc : mtv_buf_puts(out, "</footer>\n</body>\n</html>\n");
}

int mtv_report_html_write(const char *dir, const struct mtv_run_result *r,
                          struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    char *path = mtv_strdup_printf("%s/report.html", dir);
    int rc = path ? mtv_report_html(&b, r) : MTV_ENOMEM;

    if (rc != 0) {
        rc = mtv_error_set(err, rc, "report", "cannot build the HTML report");
    }
    rc = rc ? rc : mtv_mkdir_p(dir, err);
    rc = rc ? rc : mtv_report__write_atomic(path, b.data, b.len, err);
    mtv_buf_dispose(&b);
    free(path);
    return rc;
}
