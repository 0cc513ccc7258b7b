/* report: text helpers of the HTML report (escaping, times, durations). */
#include "html_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int mtv_report__html_text(struct mtv_buf *out, const char *s)
{
    char *r = NULL;
    int rc = 0;

    if (s == NULL) {
        return 0;
    }
    r = mtv_redact_str(s);
    if (r == NULL) {
        return MTV_ENOMEM;
    }
    for (unsigned char *p = (unsigned char *)r; *p; p++) {
        if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f) {
            *p = '?';
        }
    }
    rc = mtv_buf_put_xml_escaped(out, r);
    free(r);
    return rc;
}

const char *mtv_report__html_duration(double seconds, char *out, size_t size)
{
    long s = 0;

    if (seconds < 0) {
        seconds = 0;
    }
    s = (long)(seconds + 0.5);
    if (seconds < 1.0) {
        snprintf(out, size, "%.0f ms", seconds * 1000.0);
    } else if (seconds < 60.0) {
        snprintf(out, size, "%.1f s", seconds);
    } else if (s < 3600) {
        snprintf(out, size, "%ld m %02ld s", s / 60, s % 60);
    } else {
        snprintf(out, size, "%ld h %02ld m", s / 3600, s % 3600 / 60);
    }
    return out;
}

const char *mtv_report__html_clock(int64_t wall_ms, char *out, size_t size)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    if (strftime(out, size, "%H:%M:%S", &tm) == 0 && size > 0) {
        out[0] = '\0';
    }
    return out;
}

int mtv_report__html_when(struct mtv_buf *out, int64_t ms)
{
    char ts[32];

    if (ms <= 0) {
        return mtv_buf_puts(out, "&#8212;");
    }
    mtv_time_rfc3339(ms, ts, sizeof(ts));
    ts[10] = ' ';
    ts[19] = '\0';
    return mtv_buf_printf(out, "%s UTC", ts);
}

int mtv_report__html_dur(struct mtv_buf *out, double s)
{
    char d[32];

    return mtv_buf_puts(out, mtv_report__html_duration(s, d, sizeof(d)));
}
