/* report: helpers shared by the HTML report's files (html.c, html_svg.c). */
#ifndef MTV_REPORT_HTML_PRIV_H
#define MTV_REPORT_HTML_PRIV_H

#include "report_priv.h"

/*
 * Append s as HTML text: redacted (mtv_redact_str), control characters
 * other than tab and newline replaced by '?', then &<>"' escaped. NULL
 * appends nothing. 0 or MTV_ENOMEM/MTV_EPROTO.
 */
int mtv_report__html_text(struct mtv_buf *out, const char *s);

/* "850 ms", "12.3 s", "2 m 05 s", "1 h 02 m" into out. Returns out. */
const char *mtv_report__html_duration(double seconds, char *out, size_t size);

/* "HH:MM:SS" (UTC) of a wall-clock time into out (>= 9 bytes). */
const char *mtv_report__html_clock(int64_t wall_ms, char *out, size_t size);

/* "2026-11-25 19:52:20 UTC", or an em dash when ms <= 0. Appended. */
int mtv_report__html_when(struct mtv_buf *out, int64_t wall_ms);

/* mtv_report__html_duration appended to out. */
int mtv_report__html_dur(struct mtv_buf *out, double seconds);

/*
 * One VM: a <div class="vm"> with its facts, the validators table
 * (failures first, then canonical order) and a folded precopy table.
 */
int mtv_report__html_vm(struct mtv_buf *out, const struct mtv_vm_result *vm);

/*
 * The timeline of a scenario: a <figure> with an inline SVG (steps,
 * every precopy round of every VM as one <rect class="precopy">, the
 * cutover instants, the downtime), its legend and caption; or a short
 * note when nothing ran. `index` makes the SVG's ids unique in the page.
 */
int mtv_report__html_timeline(struct mtv_buf *out,
                              const struct mtv_scenario_result *sr,
                              size_t index);

#endif
