/* util: clocks, deadlines, RFC 3339, random ids. */
#include "mtv/util.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int64_t mtv_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mtv_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct mtv_deadline mtv_deadline_in(int64_t ms)
{
    struct mtv_deadline d;

    if (ms < 0 || ms > INT64_MAX / 2) {
        d.at_ms = INT64_MAX;
    } else {
        d.at_ms = mtv_now_ms() + ms;
    }
    return d;
}

static volatile sig_atomic_t interrupt_signal;

void mtv_interrupt(int signo)
{
    interrupt_signal = signo != 0 ? signo : SIGINT;
}

int mtv_interrupted(void)
{
    return (int)interrupt_signal;
}

void mtv_interrupt_clear(void)
{
    interrupt_signal = 0;
}

int64_t mtv_deadline_remaining_ms(const struct mtv_deadline *d)
{
    int64_t now;

    if (interrupt_signal != 0) {
        return 0;
    }
    if (d->at_ms == INT64_MAX) {
        return INT64_MAX;
    }
    now = mtv_now_ms();
    return d->at_ms > now ? d->at_ms - now : 0;
}

bool mtv_deadline_expired(const struct mtv_deadline *d)
{
    return mtv_deadline_remaining_ms(d) == 0;
}

struct mtv_deadline mtv_deadline_min(struct mtv_deadline a,
                                     struct mtv_deadline b)
{
    return a.at_ms <= b.at_ms ? a : b;
}

const char *mtv_time_rfc3339(int64_t wall_ms, char *out, size_t size)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    if (strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 && size > 0) {
        out[0] = '\0';
    }
    return out;
}

static int parse_digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) {
            return MTV_EINVAL;
        }
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int expect_char(const char **p, const char *set)
{
    if (**p == '\0' || strchr(set, **p) == NULL) {
        return MTV_EINVAL;
    }
    (*p)++;
    return 0;
}

/* Parse "+hh:mm" / "-hh:mm" / "Z" into an offset in seconds. */
static int parse_offset(const char *p, long *out)
{
    int hh = 0;
    int mm = 0;
    int sign;

    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        *out = 0;
        return 0;
    }
    if (*p != '+' && *p != '-') {
        return MTV_EINVAL;
    }
    sign = *p == '-' ? -1 : 1;
    p++;
    if (parse_digits(&p, 2, &hh) < 0 || expect_char(&p, ":") < 0 ||
        parse_digits(&p, 2, &mm) < 0 || *p != '\0') {
        return MTV_EINVAL;
    }
    *out = sign * (hh * 3600L + mm * 60L);
    return 0;
}

int mtv_time_parse_rfc3339(const char *s, int64_t *out)
{
    struct tm tm;
    const char *p = s;
    int ms = 0;
    long off = 0;
    time_t t;

    memset(&tm, 0, sizeof(tm));
    if (s == NULL || parse_digits(&p, 4, &tm.tm_year) < 0 ||
        expect_char(&p, "-") < 0 || parse_digits(&p, 2, &tm.tm_mon) < 0 ||
        expect_char(&p, "-") < 0 || parse_digits(&p, 2, &tm.tm_mday) < 0 ||
        expect_char(&p, "Tt ") < 0 || parse_digits(&p, 2, &tm.tm_hour) < 0 ||
        expect_char(&p, ":") < 0 || parse_digits(&p, 2, &tm.tm_min) < 0 ||
        expect_char(&p, ":") < 0 || parse_digits(&p, 2, &tm.tm_sec) < 0) {
        return MTV_EINVAL;
    }
    if (*p == '.') {
        int scale = 100;
        for (p++; isdigit((unsigned char)*p); p++) {
            ms += (*p - '0') * scale;
            scale /= 10;
        }
    }
    if (parse_offset(p, &off) < 0 || tm.tm_mon < 1 || tm.tm_mon > 12) {
        return MTV_EINVAL;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
    *out = ((int64_t)t - off) * 1000 + ms;
    return 0;
}

int mtv_random_bytes(void *p, size_t n)
{
    unsigned char *c = p;

    while (n > 0) {
        ssize_t got = getrandom(c, n, 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return MTV_EIO;
        }
        c += got;
        n -= (size_t)got;
    }
    return 0;
}

int mtv_random_id(char *out, size_t n)
{
    static const char alphabet[] = "23456789abcdefghijklmnopqrstuvwxyz";
    const size_t m = sizeof(alphabet) - 1; /* 34 */
    size_t i = 0;

    while (i < n) {
        unsigned char r[32];
        if (mtv_random_bytes(r, sizeof(r)) < 0) {
            return MTV_EIO;
        }
        for (size_t j = 0; j < sizeof(r) && i < n; j++) {
            if (r[j] < 256 - 256 % m) { /* no modulo bias */
                out[i++] = alphabet[r[j] % m];
            }
        }
    }
    out[n] = '\0';
    return 0;
}
