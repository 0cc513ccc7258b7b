/*
 * report: the scenario timeline of the HTML report, an inline SVG on one
 * time axis: a bar per step that ran, and per VM the migration span, one
 * rect per precopy round, the downtime, and a line at each cutover.
 */
#include "html_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIEW_W 1100
#define LABEL_X 238 /* right edge of the row labels */
#define PLOT_X0 250
#define PLOT_X1 1076
#define LANE_H 14 /* one line of cutover labels above the rows */
#define MAX_LANES 4
#define FLAG_W 104 /* width of "cutover 12:34:56" */
#define AXIS_H 26  /* tick labels below the rows */
#define STEP_H 24
#define VM_H 44
#define VM_GAP 10
#define LABEL_MAX 31  /* bytes of a row label before it is cut */
#define NOTE_MAX 90   /* bytes of a note in the plot */
#define MIN_BAR_W 3.0 /* a round shorter than a pixel stays visible */
#define MAX_TICKS 10

struct axis {
    int64_t t0;
    int64_t t1;
    double px_per_ms;
};

/* Geometry and ids of one figure. */
/* Where the label of a cutover goes; lane < 0: no label (unknown or
 * drawn for an earlier VM). */
struct flag {
    double x0;
    double x1;
    int lane;
};

struct fig {
    struct axis ax;
    struct flag *flags; /* one per VM */
    int lanes;
    size_t index;
    int height;
    int rows_y0; /* top of the first row */
    int rows_y1; /* bottom of the last row */
};

static void span_add(struct axis *a, int64_t t)
{
    if (t <= 0) {
        return;
    }
    if (a->t0 == 0 || t < a->t0) {
        a->t0 = t;
    }
    if (t > a->t1) {
        a->t1 = t;
    }
}

static int64_t step_end(const struct mtv_step_result *st)
{
    return st->start_ms + (int64_t)(st->duration_s * 1000.0 + 0.5);
}

static int64_t downtime_end(const struct mtv_vm_result *vm)
{
    if (vm->cutover_ms <= 0 || vm->downtime_s < 0) {
        return 0;
    }
    return vm->cutover_ms + (int64_t)(vm->downtime_s * 1000.0 + 0.5);
}

static void span_vm(struct axis *a, const struct mtv_vm_result *vm)
{
    span_add(a, vm->started_ms);
    span_add(a, vm->completed_ms);
    span_add(a, vm->cutover_ms);
    span_add(a, downtime_end(vm));
    for (size_t i = 0; i < vm->n_precopies; i++) {
        span_add(a, vm->precopies[i].start_ms);
        span_add(a, vm->precopies[i].end_ms);
    }
}

/* The time range of everything the scenario recorded; t0 == 0: none. */
static struct axis scenario_axis(const struct mtv_scenario_result *sr)
{
    struct axis a = {0, 0, 0.0};

    for (size_t i = 0; i < sr->n_steps; i++) {
        if (sr->steps[i].start_ms > 0) {
            span_add(&a, sr->steps[i].start_ms);
            span_add(&a, step_end(&sr->steps[i]));
        }
    }
    for (size_t i = 0; i < sr->n_vms; i++) {
        span_vm(&a, &sr->vms[i]);
    }
    if (a.t0 != 0 && a.t1 - a.t0 < 1000) {
        a.t1 = a.t0 + 1000;
    }
    if (a.t0 != 0) {
        a.px_per_ms = (double)(PLOT_X1 - PLOT_X0) / (double)(a.t1 - a.t0);
    }
    return a;
}

static double xof(const struct axis *a, int64_t t)
{
    return PLOT_X0 + (double)(t - a->t0) * a->px_per_ms;
}

/* The end of a precopy round; an open round ends at the cutover or the
 * completion after it, else it is drawn as an instant. */
static int64_t precopy_end(const struct mtv_vm_result *vm, size_t i)
{
    int64_t start = vm->precopies[i].start_ms;

    if (vm->precopies[i].end_ms > 0) {
        return vm->precopies[i].end_ms;
    }
    if (vm->cutover_ms > start) {
        return vm->cutover_ms;
    }
    return vm->completed_ms > start ? vm->completed_ms : start;
}

/* Redacted, cut at `max` bytes on a UTF-8 boundary (with "…"), escaped. */
static int put_label(struct mtv_buf *out, const char *s, size_t max)
{
    char *r = mtv_redact_str(s ? s : "");
    bool cut = false;
    size_t n = 0;
    int rc = 0;

    if (r == NULL) {
        return MTV_ENOMEM;
    }
    n = strlen(r);
    if (n > max) {
        cut = true;
        n = max;
        while (n > 0 && ((unsigned char)r[n] & 0xC0) == 0x80) {
            n--;
        }
        r[n] = '\0';
    }
    rc = mtv_report__html_text(out, r);
    if (rc == 0 && cut) {
        rc = mtv_buf_puts(out, "&#8230;");
    }
    free(r);
    return rc;
}

/* A VM name cut in the middle so its unique suffix stays, escaped. */
static int put_label_mid(struct mtv_buf *out, const char *s, size_t max)
{
    char *r = mtv_redact_str(s ? s : "");
    size_t n = r ? strlen(r) : 0;
    size_t head = max / 2 - 1;
    size_t tail = n > max ? n - (max - head - 1) : 0;
    int rc = 0;

    if (r == NULL) {
        return MTV_ENOMEM;
    }
    while (n > max && head > 0 && ((unsigned char)r[head] & 0xC0) == 0x80) {
        head--;
    }
    while (n > max && tail < n && ((unsigned char)r[tail] & 0xC0) == 0x80) {
        tail++;
    }
    if (n > max) {
        char c = r[head];

        r[head] = '\0';
        rc = mtv_report__html_text(out, r);
        r[head] = c;
        rc = rc ? rc : mtv_buf_puts(out, "&#8230;");
        rc = rc ? rc : mtv_report__html_text(out, r + tail);
    } else {
        rc = mtv_report__html_text(out, r);
    }
    free(r);
    return rc;
}

static const char *elapsed_label(int64_t ms, char *out, size_t size)
{
    long s = (long)(ms / 1000);

    if (s < 60) {
        snprintf(out, size, "%lds", s);
    } else if (s < 3600) {
        snprintf(out, size, s % 60 ? "%ldm%02lds" : "%ldm", s / 60, s % 60);
    } else {
        snprintf(out, size, "%ldh%02ldm", s / 3600, s % 3600 / 60);
    }
    return out;
}

static int put_ticks(struct mtv_buf *out, const struct fig *f)
{
    static const long steps_s[] = {1,    2,    5,     10,    15,    30,
                                   60,   120,  300,   600,   900,   1800,
                                   3600, 7200, 10800, 21600, 43200, 86400};
    int64_t span = f->ax.t1 - f->ax.t0;
    int64_t step = 86400000;
    int rc = mtv_buf_puts(out, "<g class=\"axis\">\n");

    for (size_t i = 0; i < sizeof(steps_s) / sizeof(steps_s[0]); i++) {
        if (span / (steps_s[i] * 1000) <= MAX_TICKS) {
            step = steps_s[i] * 1000;
            break;
        }
    }
    for (int64_t t = 0; rc == 0 && t <= span; t += step) {
        char lbl[32];
        double x = xof(&f->ax, f->ax.t0 + t);

        rc =
            mtv_buf_printf(out,
                           "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" "
                           "x2=\"%.1f\" y2=\"%d\"></line>"
                           "<text class=\"tick\" x=\"%.1f\" y=\"%d\">%s"
                           "</text>\n",
                           x, f->rows_y0 - 4, x, f->rows_y1 + 4, x,
                           f->rows_y1 + 18, elapsed_label(t, lbl, sizeof(lbl)));
    }
    return rc ? rc : mtv_buf_puts(out, "</g>\n");
}

static int put_defs(struct mtv_buf *out, size_t idx)
{
    return mtv_buf_printf(
        out,
        "<defs>"
        "<pattern id=\"tl%zu-fail\" width=\"6\" height=\"6\" "
        "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
        "<rect width=\"6\" height=\"6\" fill=\"#cf222e\"></rect>"
        "<rect width=\"2\" height=\"6\" fill=\"#ffffff\" "
        "fill-opacity=\"0.5\"></rect></pattern>"
        "<pattern id=\"tl%zu-down\" width=\"6\" height=\"6\" "
        "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(-45)\">"
        "<rect width=\"6\" height=\"6\" fill=\"#9a6700\"></rect>"
        "<rect width=\"2\" height=\"6\" fill=\"#ffffff\" "
        "fill-opacity=\"0.45\"></rect></pattern>"
        "</defs>\n",
        idx, idx);
}

/* A rect with a tooltip; fill NULL: from the class. */
static int put_rect(struct mtv_buf *out, const char *cls, double x, int y,
                    double w, int h, const char *fill)
{
    if (w < MIN_BAR_W) {
        x -= (MIN_BAR_W - w) / 2.0;
        w = MIN_BAR_W;
    }
    return mtv_buf_printf(out,
                          "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" "
                          "width=\"%.1f\" height=\"%d\" rx=\"2\"%s%s%s>",
                          cls, x, y, w, h, fill ? " fill=\"" : "",
                          fill ? fill : "", fill ? "\"" : "");
}

static int put_row_label(struct mtv_buf *out, int y, const char *cls,
                         const char *text)
{
    int rc = mtv_buf_printf(out, "<text class=\"%s\" x=\"%d\" y=\"%d\">", cls,
                            LABEL_X, y);

    rc = rc ? rc : mtv_buf_puts(out, "<title>");
    rc = rc ? rc : mtv_report__html_text(out, text);
    rc = rc ? rc : mtv_buf_puts(out, "</title>");
    rc = rc ? rc : put_label_mid(out, text, LABEL_MAX);
    return rc ? rc : mtv_buf_puts(out, "</text>\n");
}

/* The text beside a step bar: "15.5 s", "15.5 s · FAILED". */
static int put_bar_note(struct mtv_buf *out, const struct mtv_step_result *st,
                        double x0, double x1, int y)
{
    char dur[32];
    const char *anchor = "start";
    double x = x1 + 6;

    if (PLOT_X1 - x1 < 120 && x1 - x0 >= 120) {
        anchor = "end inside";
        x = x1 - 6;
    } else if (PLOT_X1 - x1 < 120) {
        anchor = "end";
        x = x0 - 6;
    }
    return mtv_buf_printf(
        out, "<text class=\"bar-note %s\" x=\"%.1f\" y=\"%d\">%s%s%s</text>\n",
        anchor, x, y,
        mtv_report__html_duration(st->duration_s, dur, sizeof(dur)),
        st->status == MTV_STATUS_PASSED ? "" : " &#183; ",
        st->status == MTV_STATUS_PASSED ? "" : mtv_status_name(st->status));
}

static int put_step_not_run(struct mtv_buf *out,
                            const struct mtv_step_result *st, int y)
{
    int rc = mtv_buf_printf(out,
                            "<text class=\"not-run\" x=\"%d\" y=\"%d\">"
                            "not run (%s)",
                            PLOT_X0 + 4, y + 16, mtv_status_name(st->status));

    if (rc == 0 && st->message != NULL) {
        rc = mtv_buf_puts(out, ": ");
        rc = rc ? rc : put_label(out, st->message, NOTE_MAX);
    }
    return rc ? rc : mtv_buf_puts(out, "</text>\n");
}

static int put_step_row(struct mtv_buf *out, const struct fig *f,
                        const struct mtv_step_result *st, int y)
{
    char fill[32];
    char a[16];
    char dur[32];
    double x0 = xof(&f->ax, st->start_ms);
    double x1 = xof(&f->ax, step_end(st));
    bool hatched = st->status == MTV_STATUS_FAILED;
    int rc = put_row_label(out, y + 16, "row-label", st->name);

    if (rc != 0 || st->start_ms <= 0) {
        return rc ? rc : put_step_not_run(out, st, y);
    }
    snprintf(fill, sizeof(fill), "url(#tl%zu-fail)", f->index);
    rc = put_rect(out, mtv_status_name(st->status), x0, y + 5, x1 - x0, 14,
                  hatched ? fill : NULL);
    rc = rc ? rc : mtv_buf_printf(out, "<title>");
    rc = rc ? rc : put_label(out, st->name, 200);
    rc = rc ? rc
            : mtv_buf_printf(
                  out, ": %s, started %s UTC, %s</title></rect>\n",
                  mtv_status_name(st->status),
                  mtv_report__html_clock(st->start_ms, a, sizeof(a)),
                  mtv_report__html_duration(st->duration_s, dur, sizeof(dur)));
    return rc ? rc : put_bar_note(out, st, x0, x1, y + 16);
}

static int put_precopy(struct mtv_buf *out, const struct fig *f,
                       const struct mtv_vm_result *vm, size_t i, int y)
{
    int64_t s = vm->precopies[i].start_ms;
    int64_t e = precopy_end(vm, i);
    double x0 = xof(&f->ax, s);
    double w = xof(&f->ax, e) - x0;
    char a[16];
    char b[16];
    char dur[32];
    int rc = put_rect(out, "precopy", x0, y, w, 18, NULL);

    rc = rc ? rc
            : mtv_buf_printf(
                  out,
                  "<title>precopy %zu: %s &#8211; %s UTC%s (%s)</title>"
                  "</rect>\n",
                  i + 1, mtv_report__html_clock(s, a, sizeof(a)),
                  mtv_report__html_clock(e, b, sizeof(b)),
                  vm->precopies[i].end_ms > 0 ? "" : ", no end recorded",
                  mtv_report__html_duration((double)(e - s) / 1000.0, dur,
                                            sizeof(dur)));
    if (rc == 0 && w >= 16) {
        rc = mtv_buf_printf(out,
                            "<text class=\"round\" x=\"%.1f\" y=\"%d\">%zu"
                            "</text>\n",
                            x0 + w / 2, y + 13, i + 1);
    }
    return rc;
}

static int put_downtime(struct mtv_buf *out, const struct fig *f,
                        const struct mtv_vm_result *vm, int y)
{
    char fill[32];
    char dur[32];
    double x0 = xof(&f->ax, vm->cutover_ms);
    double x1 = xof(&f->ax, downtime_end(vm));
    int rc = 0;

    if (downtime_end(vm) == 0) {
        return 0;
    }
    snprintf(fill, sizeof(fill), "url(#tl%zu-down)", f->index);
    rc = put_rect(out, "downtime", x0, y, x1 - x0, 8, fill);
    return rc ? rc
              : mtv_buf_printf(out,
                               "<title>downtime %s (cutover to the VM "
                               "running on the destination)</title></rect>\n",
                               mtv_report__html_duration(vm->downtime_s, dur,
                                                         sizeof(dur)));
}

static int put_vm_summary(struct mtv_buf *out, const struct mtv_vm_result *vm,
                          int y)
{
    char dur[32];

    return mtv_buf_printf(
        out,
        "<text class=\"row-sub\" x=\"%d\" y=\"%d\">%zu precopie%s%s%s"
        "</text>\n",
        LABEL_X, y, vm->n_precopies, vm->n_precopies == 1 ? "" : "s",
        vm->downtime_s >= 0 ? ", downtime " : "",
        vm->downtime_s >= 0
            ? mtv_report__html_duration(vm->downtime_s, dur, sizeof(dur))
            : "");
}

static int put_vm_row(struct mtv_buf *out, const struct fig *f,
                      const struct mtv_vm_result *vm, int y)
{
    int64_t from = vm->started_ms;
    int64_t to = vm->completed_ms > 0 ? vm->completed_ms : f->ax.t1;
    int rc = put_row_label(out, y + 17, "row-label vm", vm->name);

    rc = rc ? rc : put_vm_summary(out, vm, y + 33);
    if (rc == 0 && from > 0) {
        rc = put_rect(out, "migration", xof(&f->ax, from), y + 4,
                      xof(&f->ax, to) - xof(&f->ax, from), VM_H - 8, NULL);
        rc = rc ? rc
                : mtv_buf_puts(out, "<title>migration of the VM, started "
                                    "to completed</title></rect>\n");
    }
    for (size_t i = 0; rc == 0 && i < vm->n_precopies; i++) {
        if (vm->precopies[i].start_ms > 0) {
            rc = put_precopy(out, f, vm, i, y + 9);
        }
    }
    return rc ? rc : put_downtime(out, f, vm, y + 29);
}

static bool cutover_seen(const struct mtv_scenario_result *sr, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (sr->vms[i].cutover_ms == sr->vms[n].cutover_ms) {
            return true;
        }
    }
    return false;
}

static bool lane_free(const struct flag *flags, size_t n, int lane,
                      const struct flag *g)
{
    for (size_t i = 0; i < n; i++) {
        if (flags[i].lane == lane && g->x0 < flags[i].x1 + 6 &&
            flags[i].x0 < g->x1 + 6) {
            return false;
        }
    }
    return true;
}

/* Put each distinct cutover's label on the first lane where it overlaps
 * no earlier label (the last lane when all are taken). Returns the lanes
 * used. */
static int place_flags(struct fig *f, const struct mtv_scenario_result *sr)
{
    int lanes = 0;

    for (size_t i = 0; i < sr->n_vms; i++) {
        struct flag *g = &f->flags[i];
        double x = xof(&f->ax, sr->vms[i].cutover_ms);

        g->lane = -1;
        if (sr->vms[i].cutover_ms <= 0 || cutover_seen(sr, i)) {
            continue;
        }
        g->x0 = x > PLOT_X1 - 140 ? x - 4 - FLAG_W : x + 4;
        g->x1 = g->x0 + FLAG_W;
        g->lane = 0;
        while (g->lane < MAX_LANES - 1 && !lane_free(f->flags, i, g->lane, g)) {
            g->lane++;
        }
        lanes = g->lane + 1 > lanes ? g->lane + 1 : lanes;
    }
    return lanes;
}

/* One dashed line across every row per distinct cutover instant, its
 * label above on its lane. */
static int put_cutovers(struct mtv_buf *out, const struct fig *f,
                        const struct mtv_scenario_result *sr)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sr->n_vms; i++) {
        const struct flag *g = &f->flags[i];
        int y = 4 + LANE_H * (g->lane + 1);
        char a[16];
        double x = xof(&f->ax, sr->vms[i].cutover_ms);

        if (g->lane < 0) {
            continue;
        }
        rc = mtv_buf_printf(
            out,
            "<line class=\"cutover\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
            "y2=\"%d\"><title>cutover %s UTC</title></line>\n"
            "<text class=\"cutover-label\" x=\"%.1f\" y=\"%d\">"
            "cutover %s</text>\n",
            x, y - 10, x, f->rows_y1,
            mtv_report__html_clock(sr->vms[i].cutover_ms, a, sizeof(a)), g->x0,
            y, a);
    }
    return rc;
}

static int put_rows(struct mtv_buf *out, const struct fig *f,
                    const struct mtv_scenario_result *sr)
{
    int y = f->rows_y0;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sr->n_steps; i++, y += STEP_H) {
        rc = put_step_row(out, f, &sr->steps[i], y);
    }
    if (rc == 0 && sr->n_vms > 0) {
        y += VM_GAP / 2;
        rc = mtv_buf_printf(out,
                            "<line class=\"sep\" x1=\"0\" y1=\"%d\" x2=\"%d\" "
                            "y2=\"%d\"></line>\n",
                            y, VIEW_W, y);
        y += VM_GAP / 2;
    }
    for (size_t i = 0; rc == 0 && i < sr->n_vms; i++, y += VM_H) {
        rc = put_vm_row(out, f, &sr->vms[i], y);
    }
    return rc;
}

static size_t total_precopies(const struct mtv_scenario_result *sr)
{
    size_t n = 0;

    for (size_t i = 0; i < sr->n_vms; i++) {
        n += sr->vms[i].n_precopies;
    }
    return n;
}

static int put_svg(struct mtv_buf *out, const struct fig *f,
                   const struct mtv_scenario_result *sr)
{
    char a[16];
    int rc = mtv_buf_printf(
        out,
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
        "viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"tl%zu-t\">\n"
        "<title id=\"tl%zu-t\">Timeline from %s UTC: %zu steps, %zu precopy "
        "rounds over %zu VM(s)</title>\n",
        VIEW_W, f->height, f->index, f->index,
        mtv_report__html_clock(f->ax.t0, a, sizeof(a)), sr->n_steps,
        total_precopies(sr), sr->n_vms);

    rc = rc ? rc : put_defs(out, f->index);
    rc = rc ? rc : put_ticks(out, f);
    rc = rc ? rc : put_rows(out, f, sr);
    rc = rc ? rc : put_cutovers(out, f, sr);
    return rc ? rc : mtv_buf_puts(out, "</svg>\n");
}

static int put_legend(struct mtv_buf *out, bool vms)
{
    int rc = mtv_buf_puts(
        out, "<ul class=\"legend\">"
             "<li><span class=\"sw sw-passed\"></span>step (passed)</li>"
             "<li><span class=\"sw sw-failed\"></span>step (failed, hatched)"
             "</li>");

    if (rc == 0 && vms) {
        rc = mtv_buf_puts(
            out, "<li><span class=\"sw sw-migration\"></span>VM migration, "
                 "started &#8594; completed</li>"
                 "<li><span class=\"sw sw-precopy\"></span>precopy round "
                 "(numbered)</li>"
                 "<li><span class=\"sw sw-cutover\"></span>cutover</li>"
                 "<li><span class=\"sw sw-downtime\"></span>downtime: cutover "
                 "&#8594; VM created on the destination</li>");
    }
    return rc ? rc : mtv_buf_puts(out, "</ul>\n");
}

static int put_caption(struct mtv_buf *out, const struct fig *f)
{
    char ts[32];

    mtv_time_rfc3339(f->ax.t0, ts, sizeof(ts));
    return mtv_buf_printf(out,
                          "<figcaption>Time axis: seconds since %s. Hover a "
                          "bar for its exact times; the tables below give "
                          "them too.</figcaption>\n",
                          ts);
}

int mtv_report__html_timeline(struct mtv_buf *out,
                              const struct mtv_scenario_result *sr,
                              size_t index)
{
    struct fig f;
    int rc = 0;

    memset(&f, 0, sizeof(f));
    f.ax = scenario_axis(sr);
    f.index = index;
    if (f.ax.t0 == 0) {
        return mtv_buf_puts(out, "<p class=\"note\">No timeline: no step "
                                 "of this scenario ran.</p>\n");
    }
    f.flags = calloc(sr->n_vms ? sr->n_vms : 1, sizeof(*f.flags));
    if (f.flags == NULL) {
        return MTV_ENOMEM;
    }
    f.lanes = place_flags(&f, sr);
    f.rows_y0 = 10 + LANE_H * f.lanes;
    f.rows_y1 = f.rows_y0 + (int)sr->n_steps * STEP_H;
    if (sr->n_vms > 0) {
        f.rows_y1 += VM_GAP + (int)sr->n_vms * VM_H;
    }
    f.height = f.rows_y1 + AXIS_H;
    rc = mtv_buf_puts(out, "<figure class=\"timeline\">\n");
    rc = rc ? rc : put_svg(out, &f, sr);
    rc = rc ? rc : put_legend(out, sr->n_vms > 0);
    rc = rc ? rc : put_caption(out, &f);
    free(f.flags);
    return rc ? rc : mtv_buf_puts(out, "</figure>\n");
}
