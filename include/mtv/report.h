/*
 * report: console progress lines, JUnit XML and results.json, from run
 * results only. Every text written passes through the log redaction (no
 * registered secret can appear).
 */
#ifndef MTV_REPORT_H
#define MTV_REPORT_H

#include <stdio.h>

#include "mtv/json.h"
#include "mtv/runner.h"
#include "mtv/util.h"

/*
 * The test name of a step: "<step>[<id>]", or "<step>" when the scenario
 * has no id. Appended to out. 0 or MTV_ENOMEM/MTV_EPROTO.
 */
int mtv_report_test_name(struct mtv_buf *out, const struct mtv_scenario *s,
                         const char *step);

/*
 * The JUnit classname of a scenario: its name, or with
 * MTV_JUNIT_CLASSNAME_REFERENCE the reference's dotted class path when it
 * has one. Borrowed (static or from the scenario).
 */
const char *mtv_report_classname(const struct mtv_scenario *s,
                                 enum mtv_junit_classname mode);

/*
 * One console line for a finished step (with '\n'):
 *   "<scenario>::<step>[<id>] PASSED (1.23s)"
 *   "<scenario>::<step>[<id>] SKIPPED (0.00s): dry run"
 */
int mtv_report_step_line(struct mtv_buf *out,
                         const struct mtv_scenario_result *sr,
                         const struct mtv_step_result *st);

/* The closing line: "== 1 failed, 4 passed, 5 skipped in 12.3s
 * (session auto-ab12) ==" with '\n'. */
int mtv_report_summary_line(struct mtv_buf *out,
                            const struct mtv_run_result *r);

/* An observer that prints step lines to `f` as steps finish. */
void mtv_report_console_observer(struct mtv_run_observer *out, FILE *f);

/*
 * JUnit XML (the common Jenkins JUnit schema): one <testsuite> per
 * scenario, one <testcase classname name time> per step, <properties>
 * source_provider, storage_class, session_id, mtv_version (when known),
 * plus scenario_id and markers. Appended to out.
 */
int mtv_report_junit(struct mtv_buf *out, const struct mtv_run_result *r,
                     enum mtv_junit_classname mode);

/* Write the JUnit file (atomically: temp file + rename). */
int mtv_report_junit_write(const char *path, const struct mtv_run_result *r,
                           enum mtv_junit_classname mode,
                           struct mtv_error *err);

/*
 * results.json (CONTRACTS.md §4 shape plus start/end times, dry_run,
 * markers, durations). Caller frees with mtv_json_free; NULL on ENOMEM.
 */
struct mtv_json *mtv_report_results_json(const struct mtv_run_result *r);

/* Write DIR/results.json, creating DIR (and parents) when missing. */
int mtv_report_results_write(const char *dir, const struct mtv_run_result *r,
                             struct mtv_error *err);

/*
 * report.html: one self-contained page (inline CSS, no script, nothing
 * fetched) with the run's summary and counts, then per scenario its steps
 * (failures expanded with their details), a timeline (inline SVG: step
 * bars, every precopy round of every VM, cutover, downtime) and per VM the
 * validators. Every text from the run is redacted and HTML-escaped.
 * Appended to out. 0 or MTV_ENOMEM/MTV_EPROTO. See docs/report.md.
 */
int mtv_report_html(struct mtv_buf *out, const struct mtv_run_result *r);

/* Write DIR/report.html (atomically), creating DIR (and parents) when
 * missing. 0, MTV_ENOMEM, MTV_EIO or MTV_EINVAL (empty DIR). */
int mtv_report_html_write(const char *dir, const struct mtv_run_result *r,
                          struct mtv_error *err);

#endif
