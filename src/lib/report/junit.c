/* report: JUnit XML (common Jenkins JUnit schema). */
#include "report_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct counts {
    size_t tests;
    size_t failures;
    size_t errors;
    size_t skipped;
    double time;
};

static void count_scenario(const struct mtv_scenario_result *sr,
                           struct counts *c)
{
    for (size_t i = 0; i < sr->n_steps; i++) {
        c->tests++;
        c->time += sr->steps[i].duration_s;
        c->failures += sr->steps[i].status == MTV_STATUS_FAILED;
        c->errors += sr->steps[i].status == MTV_STATUS_ERROR;
        c->skipped += sr->steps[i].status == MTV_STATUS_SKIPPED;
    }
}

/* Escaped, redacted, without characters XML 1.0 forbids. */
static int put_text(struct mtv_buf *out, const char *s)
{
    char *r = mtv_redact_str(s ? s : "");
    int rc = 0;

    if (r == NULL) {
        return MTV_ENOMEM;
    }
    for (unsigned char *p = (unsigned char *)r; *p; p++) {
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') {
            *p = '?';
        }
    }
    rc = mtv_buf_put_xml_escaped(out, r);
    free(r);
    return rc;
}

static int put_property(struct mtv_buf *out, const char *name,
                        const char *value)
{
    int rc = 0;

    if (value == NULL) {
        return 0;
    }
    rc = mtv_buf_printf(out, "      <property name=\"%s\" value=\"", name);
    rc = rc ? rc : put_text(out, value);
    return rc ? rc : mtv_buf_puts(out, "\"/>\n");
}

static int put_properties(struct mtv_buf *out, const struct mtv_run_result *r,
                          const struct mtv_scenario *s)
{
    struct mtv_buf markers = MTV_BUF_INIT;
    int rc = mtv_buf_puts(out, "    <properties>\n");

    mtv_buf_puts(&markers, "");
    for (size_t i = 0; i < s->markers.len; i++) {
        mtv_buf_printf(&markers, "%s%s", i ? "," : "", s->markers.items[i]);
    }
    rc = rc ? rc : put_property(out, "source_provider", r->source_provider);
    rc = rc ? rc : put_property(out, "storage_class", r->storage_class);
    rc = rc ? rc : put_property(out, "session_id", r->session_id);
    rc = rc ? rc : put_property(out, "mtv_version", r->mtv_version);
    rc = rc ? rc : put_property(out, "scenario_id", s->id);
    rc = rc ? rc : put_property(out, "markers", markers.data);
    if (rc == 0 && r->dry_run) {
        rc = put_property(out, "dry_run", "true");
    }
    mtv_buf_dispose(&markers);
    return rc ? rc : mtv_buf_puts(out, "    </properties>\n");
}

static int put_outcome(struct mtv_buf *out, const struct mtv_step_result *st)
{
    const char *tag = st->status == MTV_STATUS_ERROR ? "error" : "failure";
    int rc = 0;

    if (st->status == MTV_STATUS_SKIPPED) {
        rc = mtv_buf_puts(out, "      <skipped message=\"");
        rc = rc ? rc : put_text(out, st->message);
        return rc ? rc : mtv_buf_puts(out, "\"/>\n");
    }
    if (st->status != MTV_STATUS_FAILED && st->status != MTV_STATUS_ERROR) {
        return 0;
    }
    rc = mtv_buf_printf(out, "      <%s type=\"%s\" message=\"", tag, tag);
    rc = rc ? rc : put_text(out, st->message);
    rc = rc ? rc : mtv_buf_puts(out, "\">");
    rc = rc ? rc : put_text(out, st->details ? st->details : st->message);
    return rc ? rc : mtv_buf_printf(out, "</%s>\n", tag);
}

static int put_testcase(struct mtv_buf *out,
                        const struct mtv_scenario_result *sr,
                        const struct mtv_step_result *st,
                        enum mtv_junit_classname mode)
{
    struct mtv_buf name = MTV_BUF_INIT;
    int rc = mtv_report_test_name(&name, sr->scenario, st->name);

    rc = rc ? rc : mtv_buf_puts(out, "    <testcase classname=\"");
    rc = rc ? rc : put_text(out, mtv_report_classname(sr->scenario, mode));
    rc = rc ? rc : mtv_buf_puts(out, "\" name=\"");
    rc = rc ? rc : put_text(out, name.data);
    rc = rc ? rc : mtv_buf_printf(out, "\" time=\"%.3f\"", st->duration_s);
    mtv_buf_dispose(&name);
    if (rc != 0) {
        return rc;
    }
    if (st->status == MTV_STATUS_PASSED || st->status == MTV_STATUS_PENDING) {
        return mtv_buf_puts(out, "/>\n");
    }
    rc = mtv_buf_puts(out, ">\n");
    rc = rc ? rc : put_outcome(out, st);
    return rc ? rc : mtv_buf_puts(out, "    </testcase>\n");
}

static int put_suite(struct mtv_buf *out, const struct mtv_run_result *r,
                     const struct mtv_scenario_result *sr,
                     enum mtv_junit_classname mode)
{
    struct counts c = {0, 0, 0, 0, 0};
    char ts[32];
    int rc = 0;

    count_scenario(sr, &c);
    mtv_time_rfc3339(r->start_ms, ts, sizeof(ts));
    ts[19] = '\0'; /* the schema's timestamp has no zone designator */
    rc = mtv_buf_puts(out, "  <testsuite name=\"");
    rc = rc ? rc : put_text(out, sr->scenario->name);
    rc = rc ? rc
            : mtv_buf_printf(out,
                             "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\""
                             " skipped=\"%zu\" time=\"%.3f\" timestamp=\"%s\">"
                             "\n",
                             c.tests, c.failures, c.errors, c.skipped, c.time,
                             ts);
    rc = rc ? rc : put_properties(out, r, sr->scenario);
    for (size_t i = 0; rc == 0 && i < sr->n_steps; i++) {
        rc = put_testcase(out, sr, &sr->steps[i], mode);
    }
    return rc ? rc : mtv_buf_puts(out, "  </testsuite>\n");
}

int mtv_report_junit(struct mtv_buf *out, const struct mtv_run_result *r,
                     enum mtv_junit_classname mode)
{
    struct counts c = {0, 0, 0, 0, 0};
    int rc = 0;

    for (size_t i = 0; i < r->n_scenarios; i++) {
        count_scenario(&r->scenarios[i], &c);
    }
    rc = mtv_buf_printf(out,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<testsuites name=\"mtvtest\" tests=\"%zu\" "
                        "failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n",
                        c.tests, c.failures, c.errors,
                        (double)(r->end_ms - r->start_ms) / 1000.0);
    for (size_t i = 0; rc == 0 && i < r->n_scenarios; i++) {
        rc = put_suite(out, r, &r->scenarios[i], mode);
    }
    return rc ? rc : mtv_buf_puts(out, "</testsuites>\n");
}

int mtv_report__write_atomic(const char *path, const char *text, size_t len,
                             struct mtv_error *err)
{
    char *tmp = mtv_strdup_printf("%s.tmp.%ld", path, (long)getpid());
    FILE *f = NULL;
    bool ok = false;
    int rc = 0;

    if (tmp == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "report", "out of memory");
    }
    f = fopen(tmp, "wb");
    if (f == NULL) {
        rc = mtv_error_set(err, MTV_EIO, "report", "%s: cannot write: %s",
                           path, strerror(errno));
        goto out;
    }
    errno = 0;
    ok = fwrite(text, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        if (errno == 0) {
            errno = EIO;
        }
        rc = mtv_error_set(err, MTV_EIO, "report", "%s: cannot write: %s",
                           path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = mtv_error_set(err, MTV_EIO, "report", "%s: cannot write: %s",
                           path, strerror(errno));
        unlink(tmp);
    }
out:
    free(tmp);
    return rc;
}

int mtv_report_junit_write(const char *path, const struct mtv_run_result *r,
                           enum mtv_junit_classname mode,
                           struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    int rc = mtv_report_junit(&b, r, mode);

    if (rc != 0) {
        mtv_buf_dispose(&b);
        return mtv_error_set(err, rc, "report", "cannot build the JUnit XML");
    }
    rc = mtv_report__write_atomic(path, b.data, b.len, err);
    mtv_buf_dispose(&b);
    return rc;
}
