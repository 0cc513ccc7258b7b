/*
 * report: one VM of the HTML report: its facts (source, started, cutover,
 * completed, precopies, downtime), the validators (failures first) and the
 * precopy rounds table.
 */
#include "html_priv.h"

#define N_CHECK 3 /* enum mtv_check_status */

static const char *const check_names[N_CHECK] = {"pass", "fail", "skip"};
static const char *const check_badges[N_CHECK] = {
    "&#10004; PASS", "&#10008; FAIL", "&#9675; SKIP"};

static int put_validator(struct mtv_buf *out,
                         const struct mtv_validator_result *v)
{
    unsigned s = (unsigned)v->status % N_CHECK;
    int rc = mtv_buf_printf(
        out, "<tr class=\"validator %s\"><td class=\"name\">", check_names[s]);

    rc = rc ? rc : mtv_report__html_text(out, v->name);
    rc = rc ? rc
            : mtv_buf_printf(out,
                             "</td><td class=\"st\"><span class=\"badge "
                             "%s\">%s</span>"
                             "</td><td>",
                             check_names[s], check_badges[s]);
    rc = rc ? rc : mtv_report__html_text(out, v->message);
    return rc ? rc : mtv_buf_puts(out, "</td></tr>\n");
}

/* Failures first, then the rest in their canonical order. */
static int put_validators(struct mtv_buf *out, const struct mtv_vm_result *vm)
{
    size_t c[N_CHECK] = {0, 0, 0};
    int rc = 0;

    for (size_t i = 0; i < vm->n_validators; i++) {
        c[vm->validators[i].status % N_CHECK]++;
    }
    if (vm->n_validators == 0) {
        return mtv_buf_puts(out, "<p class=\"muted\">No validator ran for "
                                 "this VM.</p>\n");
    }
    rc = mtv_buf_printf(
        out,
        "<table class=\"validators\"><caption class=\"muted\" style=\""
        "text-align:left\">Validators: %zu failed, %zu passed, %zu "
        "skipped</caption><thead><tr><th scope=\"col\">Validator</th>"
        "<th scope=\"col\">Result</th><th scope=\"col\">Message</th>"
        "</tr></thead>\n<tbody>\n",
        c[MTV_CHECK_FAIL], c[MTV_CHECK_PASS], c[MTV_CHECK_SKIP]);
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        for (size_t i = 0; rc == 0 && i < vm->n_validators; i++) {
            bool failed = vm->validators[i].status == MTV_CHECK_FAIL;

            if (failed == (pass == 0)) {
                rc = put_validator(out, &vm->validators[i]);
            }
        }
    }
    return rc ? rc : mtv_buf_puts(out, "</tbody></table>\n");
}

static int put_precopy_row(struct mtv_buf *out, const struct mtv_vm_result *vm,
                           size_t i)
{
    const struct mtv_interval *p = &vm->precopies[i];
    int rc = mtv_buf_printf(out, "<tr><td class=\"num\">%zu</td><td>", i + 1);

    rc = rc ? rc : mtv_report__html_when(out, p->start_ms);
    rc = rc ? rc : mtv_buf_puts(out, "</td><td>");
    rc = rc ? rc : mtv_report__html_when(out, p->end_ms);
    rc = rc ? rc : mtv_buf_puts(out, "</td><td class=\"num\">");
    if (rc == 0 && p->end_ms >= p->start_ms && p->start_ms > 0) {
        rc = mtv_report__html_dur(out,
                                  (double)(p->end_ms - p->start_ms) / 1000.0);
    }
    rc = rc ? rc : mtv_buf_puts(out, "</td><td class=\"num\">");
    if (rc == 0 && i > 0 && vm->precopies[i - 1].end_ms > 0 &&
        p->start_ms >= vm->precopies[i - 1].end_ms) {
        rc = mtv_report__html_dur(
            out, (double)(p->start_ms - vm->precopies[i - 1].end_ms) / 1000.0);
    }
    return rc ? rc : mtv_buf_puts(out, "</td></tr>\n");
}

static int put_precopies(struct mtv_buf *out, const struct mtv_vm_result *vm)
{
    int rc = 0;

    if (vm->n_precopies == 0) {
        return 0;
    }
    rc = mtv_buf_printf(
        out,
        "<details class=\"precopies\"><summary>Precopy rounds (%zu)"
        "</summary><table class=\"precopies\"><thead><tr>"
        "<th scope=\"col\" class=\"num\">#</th><th scope=\"col\">Start"
        "</th><th scope=\"col\">End</th><th scope=\"col\" class=\"num\">"
        "Duration</th><th scope=\"col\" class=\"num\">Wait before</th>"
        "</tr></thead>\n<tbody>\n",
        vm->n_precopies);
    for (size_t i = 0; rc == 0 && i < vm->n_precopies; i++) {
        rc = put_precopy_row(out, vm, i);
    }
    return rc ? rc : mtv_buf_puts(out, "</tbody></table></details>\n");
}

static int put_fact_time(struct mtv_buf *out, const char *what, int64_t ms)
{
    char c[16];

    if (ms <= 0) {
        return mtv_buf_printf(out, "<span>%s: <b>&#8212;</b></span>", what);
    }
    return mtv_buf_printf(out, "<span>%s: <b>%s</b> UTC</span>", what,
                          mtv_report__html_clock(ms, c, sizeof(c)));
}

static int put_vm_facts(struct mtv_buf *out, const struct mtv_vm_result *vm)
{
    int rc = mtv_buf_puts(out, "<div class=\"vmfacts\"><span>Source: <b "
                               "class=\"mono\">");

    rc = rc ? rc : mtv_report__html_text(out, vm->source);
    rc = rc ? rc : mtv_buf_puts(out, "</b></span>");
    rc = rc ? rc : put_fact_time(out, "Migration started", vm->started_ms);
    rc = rc ? rc : put_fact_time(out, "Cutover", vm->cutover_ms);
    rc = rc ? rc : put_fact_time(out, "Completed", vm->completed_ms);
    rc = rc ? rc
            : mtv_buf_printf(out,
                             "<span>Precopies: <b>%zu</b></span>"
                             "<span>Downtime: <b>",
                             vm->n_precopies);
    if (rc == 0 && vm->downtime_s >= 0) {
        rc = mtv_report__html_dur(out, vm->downtime_s);
    } else if (rc == 0) {
        rc = mtv_buf_puts(out, "unknown");
    }
    return rc ? rc : mtv_buf_puts(out, "</b></span></div>\n");
}

int mtv_report__html_vm(struct mtv_buf *out, const struct mtv_vm_result *vm)
{
    int rc = mtv_buf_puts(out, "<div class=\"vm\"><h4>VM <span "
                               "class=\"mono\">");

    rc = rc ? rc : mtv_report__html_text(out, vm->name);
    rc = rc ? rc : mtv_buf_puts(out, "</span></h4>\n");
    rc = rc ? rc : put_vm_facts(out, vm);
    rc = rc ? rc : put_validators(out, vm);
    rc = rc ? rc : put_precopies(out, vm);
    return rc ? rc : mtv_buf_puts(out, "</div>\n");
}
