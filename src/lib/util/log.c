/* util: logging with redaction of secrets. */
#include "mtv/util.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum mtv_log_level log_level = MTV_LOG_WARN;
static mtv_log_sink_fn log_sink;
static void *log_sink_payload;
static struct mtv_strv secrets = MTV_STRV_INIT;

void mtv_log_set_level(enum mtv_log_level level)
{
    pthread_mutex_lock(&log_lock);
    log_level = level;
    pthread_mutex_unlock(&log_lock);
}

enum mtv_log_level mtv_log_get_level(void)
{
    enum mtv_log_level l;

    pthread_mutex_lock(&log_lock);
    l = log_level;
    pthread_mutex_unlock(&log_lock);
    return l;
}

bool mtv_log_enabled(enum mtv_log_level level)
{
    return level <= mtv_log_get_level();
}

void mtv_log_set_sink(mtv_log_sink_fn fn, void *payload)
{
    pthread_mutex_lock(&log_lock);
    log_sink = fn;
    log_sink_payload = payload;
    pthread_mutex_unlock(&log_lock);
}

void mtv_log_add_secret(const char *s)
{
    if (s == NULL || strlen(s) < 4) {
        return;
    }
    pthread_mutex_lock(&log_lock);
    if (!mtv_strv_contains(&secrets, s)) {
        mtv_strv_push(&secrets, s);
    }
    pthread_mutex_unlock(&log_lock);
}

void mtv_log_clear_secrets(void)
{
    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; i < secrets.len; i++) {
        explicit_bzero(secrets.items[i], strlen(secrets.items[i]));
    }
    mtv_strv_dispose(&secrets);
    pthread_mutex_unlock(&log_lock);
}

/* ---- redaction: each rule returns the length it consumed (0: no match) */

static bool is_value_end(char c)
{
    return c == '\0' || c == '\r' || c == '\n' || c == '"' || c == '\'';
}

/*
 * End of a header value: the line end, or a double quote that closes an
 * enclosing JSON string. A quote right after '=' opens a quoted cookie value
 * and the next one closes it.
 */
static size_t header_value_end(const char *p, size_t j)
{
    bool quoted = false;

    for (; p[j] != '\0' && p[j] != '\r' && p[j] != '\n'; j++) {
        if (p[j] != '"') {
            continue;
        }
        if (quoted) {
            quoted = false;
        } else if (j > 0 && p[j - 1] == '=') {
            quoted = true;
        } else {
            break;
        }
    }
    return j;
}

/* "Authorization: x", "Cookie: x", "Set-Cookie: x": value to end of line. */
static size_t rule_header(const char *p, struct mtv_buf *out)
{
    static const char *const names[] = {"authorization:", "set-cookie:",
                                        "cookie:", "proxy-authorization:"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i]);
        size_t j = n;
        if (strncasecmp(p, names[i], n) != 0) {
            continue;
        }
        while (p[j] == ' ') {
            j++;
        }
        if (is_value_end(p[j])) {
            return 0;
        }
        j = header_value_end(p, j);
        mtv_buf_append(out, p, n);
        mtv_buf_puts(out, " ***");
        return j;
    }
    return 0;
}

/* "name=value" for cookie and form fields that carry secrets. */
static size_t rule_assign(const char *p, struct mtv_buf *out)
{
    static const char *const names[] = {"vmware_soap_session=", "password=",
                                        "access_token=", "token="};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i]);
        size_t j = n;
        if (strncasecmp(p, names[i], n) != 0) {
            continue;
        }
        while (!is_value_end(p[j]) && p[j] != ';' && p[j] != '&' &&
               p[j] != ' ' && p[j] != ',') {
            j++;
        }
        if (j == n) {
            return 0;
        }
        mtv_buf_append(out, p, n);
        mtv_buf_puts(out, "***");
        return j;
    }
    return 0;
}

/* "Bearer x" / "Basic x" */
static size_t rule_scheme(const char *p, struct mtv_buf *out)
{
    static const char *const names[] = {"bearer ", "basic "};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i]);
        size_t j = n;
        if (strncasecmp(p, names[i], n) != 0) {
            continue;
        }
        while (isalnum((unsigned char)p[j]) || strchr("-._~+/=", p[j]) != NULL) {
            j++;
        }
        if (j - n < 4 || (p[j] != '\0' && !isspace((unsigned char)p[j]) &&
                          !is_value_end(p[j]) && p[j] != ',')) {
            return 0;
        }
        mtv_buf_append(out, p, n);
        mtv_buf_puts(out, "***");
        return j;
    }
    return 0;
}

/* <password>x</password> and <ns:password>x</ns:password> */
static size_t rule_xml_password(const char *p, struct mtv_buf *out)
{
    const char *gt;
    const char *end;

    if (*p != '<' || p[1] == '/') {
        return 0;
    }
    gt = strchr(p, '>');
    if (gt == NULL || gt - p < 9 || strncasecmp(gt - 8, "password", 8) != 0 ||
        memchr(p, ' ', (size_t)(gt - p)) != NULL) {
        return 0;
    }
    end = strstr(gt + 1, "</");
    if (end == NULL) {
        end = gt + 1 + strlen(gt + 1);
    }
    mtv_buf_append(out, p, (size_t)(gt + 1 - p));
    mtv_buf_puts(out, "***");
    return (size_t)(end - p);
}

static bool secret_key(const char *k, size_t n)
{
    static const char *const words[] = {"password", "token", "secret",
                                        "cookie", "authorization"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t m = strlen(words[i]);
        for (size_t j = 0; j + m <= n; j++) {
            if (strncasecmp(k + j, words[i], m) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* "password": "x" (JSON) and password: x (YAML-ish) */
static size_t rule_json_key(const char *p, struct mtv_buf *out)
{
    const char *q;
    size_t j;

    if (*p != '"') {
        return 0;
    }
    q = strchr(p + 1, '"');
    if (q == NULL || !secret_key(p + 1, (size_t)(q - p - 1))) {
        return 0;
    }
    j = (size_t)(q + 1 - p);
    while (p[j] == ' ') {
        j++;
    }
    if (p[j] != ':') {
        return 0;
    }
    j++;
    while (p[j] == ' ') {
        j++;
    }
    if (p[j] != '"') {
        return 0;
    }
    mtv_buf_append(out, p, j + 1);
    j++;
    while (p[j] != '\0' && p[j] != '"') {
        j += (p[j] == '\\' && p[j + 1] != '\0') ? 2 : 1;
    }
    mtv_buf_puts(out, "***");
    return j;
}

static size_t rule_pem_key(const char *p, struct mtv_buf *out)
{
    const char *hdr_end;
    const char *end;

    if (strncmp(p, "-----BEGIN ", 11) != 0) {
        return 0;
    }
    hdr_end = strstr(p + 11, "-----");
    if (hdr_end == NULL || hdr_end - p < 22 ||
        strncmp(hdr_end - 11, "PRIVATE KEY", 11) != 0) {
        return 0;
    }
    end = strstr(hdr_end + 5, "-----END ");
    if (end != NULL) {
        end = strstr(end + 9, "-----");
    }
    end = end != NULL ? end + 5 : hdr_end + strlen(hdr_end);
    mtv_buf_puts(out, "-----BEGIN PRIVATE KEY-----***");
    return (size_t)(end - p);
}

static size_t rule_secrets(const char *p, struct mtv_buf *out)
{
    for (size_t i = 0; i < secrets.len; i++) {
        size_t n = strlen(secrets.items[i]);
        if (strncmp(p, secrets.items[i], n) == 0) {
            mtv_buf_puts(out, "***");
            return n;
        }
    }
    return 0;
}

typedef size_t (*redact_rule_fn)(const char *p, struct mtv_buf *out);

static const redact_rule_fn rules[] = {
    rule_secrets,      rule_pem_key, rule_header, rule_assign,
    rule_xml_password, rule_json_key, rule_scheme,
};

/* Caller holds log_lock (secrets are read). */
static void redact_locked(const char *in, struct mtv_buf *out)
{
    const char *p = in;

    while (*p != '\0') {
        size_t used = 0;
        for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
            used = rules[i](p, out);
            if (used > 0) {
                break;
            }
        }
        if (used == 0) {
            mtv_buf_append(out, p, 1);
            used = 1;
        }
        p += used;
    }
}

char *mtv_redact(struct mtv_buf *b)
{
    struct mtv_buf out = MTV_BUF_INIT;

    if (b->data == NULL) {
        return NULL;
    }
    mtv_buf_init(&out, b->max);
    pthread_mutex_lock(&log_lock);
    redact_locked(b->data, &out);
    pthread_mutex_unlock(&log_lock);
    mtv_buf_append(&out, "", 0);
    explicit_bzero(b->data, b->len);
    free(b->data);
    *b = out;
    return b->data;
}

char *mtv_redact_str(const char *s)
{
    struct mtv_buf b = MTV_BUF_INIT;

    if (s == NULL) {
        return NULL;
    }
    if (mtv_buf_puts(&b, s) < 0) {
        mtv_buf_dispose(&b);
        return NULL;
    }
    mtv_redact(&b);
    return mtv_buf_detach(&b);
}

static const char *const level_names[] = {"error", "warning", "note",
                                          "info",  "debug",   "trace"};

static void write_stderr(enum mtv_log_level level, const char *domain,
                         const char *line)
{
    char ts[32];
    int64_t now = mtv_wall_ms();
    time_t t = (time_t)(now / 1000);
    struct tm tm;

    if (level <= MTV_LOG_NOTE) {
        fprintf(stderr, "mtvtest: %s: %s\n", level_names[level], line);
        return;
    }
    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03d %s %s: %s\n", ts, (int)(now % 1000),
            level_names[level], domain != NULL ? domain : "-", line);
}

void mtv_log(enum mtv_log_level level, const char *domain, const char *fmt,
             ...)
{
    struct mtv_buf raw = MTV_BUF_INIT;
    struct mtv_buf out = MTV_BUF_INIT;
    va_list ap;

    if (!mtv_log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    mtv_buf_vprintf(&raw, fmt, ap);
    va_end(ap);
    if (raw.data == NULL) {
        return;
    }
    pthread_mutex_lock(&log_lock);
    redact_locked(raw.data, &out);
    if (out.data != NULL) {
        if (log_sink != NULL) {
            log_sink(level, domain, out.data, log_sink_payload);
        } else {
            write_stderr(level, domain, out.data);
        }
    }
    pthread_mutex_unlock(&log_lock);
    mtv_buf_dispose_secret(&raw);
    mtv_buf_dispose(&out);
}
