/* report: console step lines and the summary. */
#include "mtv/report.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int mtv_report_test_name(struct mtv_buf *out, const struct mtv_scenario *s,
                         const char *step)
{
    if (s->id != NULL && s->id[0] != '\0') {
        return mtv_buf_printf(out, "%s[%s]", step, s->id);
    }
    return mtv_buf_puts(out, step);
}

const char *mtv_report_classname(const struct mtv_scenario *s,
                                 enum mtv_junit_classname mode)
{
    const char *ref = NULL;

    if (mode == MTV_JUNIT_CLASSNAME_REFERENCE) {
        ref = mtv_scenario_reference_class(s->name);
    }
    return ref ? ref : s->name;
}

static const char *upper_status(enum mtv_status st)
{
    switch (st) {
    case MTV_STATUS_PASSED:
        return "PASSED";
    case MTV_STATUS_FAILED:
        return "FAILED";
    case MTV_STATUS_ERROR:
        return "ERROR";
    case MTV_STATUS_SKIPPED:
        return "SKIPPED";
    case MTV_STATUS_PENDING:
        break;
    }
    return "PENDING";
}

/* Append s with control characters (newlines...) replaced by spaces. */
static int put_one_line(struct mtv_buf *out, const char *s)
{
    char *r = mtv_redact_str(s);
    int rc = 0;

    if (r == NULL) {
        return MTV_ENOMEM;
    }
    for (char *p = r; *p; p++) {
        if (iscntrl((unsigned char)*p)) {
            *p = ' ';
        }
    }
    rc = mtv_buf_puts(out, r);
    free(r);
    return rc;
}

int mtv_report_step_line(struct mtv_buf *out,
                         const struct mtv_scenario_result *sr,
                         const struct mtv_step_result *st)
{
    int rc = mtv_buf_printf(out, "%s::", sr->scenario->name);

    rc = rc ? rc : mtv_report_test_name(out, sr->scenario, st->name);
    rc = rc ? rc
            : mtv_buf_printf(out, " %s (%.2fs)", upper_status(st->status),
                             st->duration_s);
    if (rc == 0 && st->message != NULL) {
        rc = mtv_buf_puts(out, ": ");
        rc = rc ? rc : put_one_line(out, st->message);
    }
    return rc ? rc : mtv_buf_puts(out, "\n");
}

int mtv_report_summary_line(struct mtv_buf *out,
                            const struct mtv_run_result *r)
{
    size_t count[MTV_STATUS_SKIPPED + 1] = {0};
    static const enum mtv_status order[] = {
        MTV_STATUS_FAILED, MTV_STATUS_ERROR, MTV_STATUS_PASSED,
        MTV_STATUS_SKIPPED};
    bool first = true;
    int rc = mtv_buf_puts(out, "==");

    for (size_t i = 0; i < r->n_scenarios; i++) {
        for (size_t j = 0; j < r->scenarios[i].n_steps; j++) {
            count[r->scenarios[i].steps[j].status]++;
        }
    }
    for (size_t i = 0; rc == 0 && i < sizeof(order) / sizeof(order[0]); i++) {
        if (count[order[i]] > 0) {
            rc = mtv_buf_printf(out, "%s %zu %s", first ? "" : ",",
                                count[order[i]], mtv_status_name(order[i]));
            first = false;
        }
    }
    if (rc == 0 && first) {
        rc = mtv_buf_puts(out, " no steps");
    }
    if (rc == 0 && r->leftovers > 0) {
        rc = mtv_buf_printf(out, ", %zu left behind", r->leftovers);
    }
    return rc ? rc
              : mtv_buf_printf(out, " in %.2fs (session %s%s) ==\n",
                               (double)(r->end_ms - r->start_ms) / 1000.0,
                               r->session_id, r->dry_run ? ", dry run" : "");
}

static void print_step(const struct mtv_scenario_result *sr,
                       const struct mtv_step_result *st, void *payload)
{
    struct mtv_buf b = MTV_BUF_INIT;

    if (mtv_report_step_line(&b, sr, st) == 0 && b.data != NULL) {
        fputs(b.data, payload);
        fflush(payload);
    }
    mtv_buf_dispose(&b);
}

void mtv_report_console_observer(struct mtv_run_observer *out, FILE *f)
{
    memset(out, 0, sizeof(*out));
    out->step_done = print_step;
    out->payload = f;
}
