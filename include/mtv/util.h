/*
 * util: errors, size-capped buffers, strings, string vectors, deadlines,
 * clocks, random ids and logging with redaction. Depends on libc only.
 */
#ifndef MTV_UTIL_H
#define MTV_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MTV_PRINTF(fmt_idx, arg_idx)                                           \
    __attribute__((format(printf, fmt_idx, arg_idx)))

/* ------------------------------------------------------------------ errors */

/* Error codes: 0 is success, failures are negative. */
enum mtv_err {
    MTV_OK = 0,
    MTV_EINVAL = -1,    /* bad argument or bad input data */
    MTV_ENOMEM = -2,    /* allocation failed */
    MTV_EIO = -3,       /* transport failure: connect, TLS, reset, file I/O */
    MTV_ETIMEOUT = -4,  /* a deadline passed */
    MTV_ENOTFOUND = -5, /* object does not exist (404, ManagedObjectNotFound) */
    MTV_EAUTH = -6,     /* authentication or authorisation failed */
    MTV_EPROTO = -7,    /* peer spoke something we cannot parse, size cap */
    MTV_EREMOTE = -8,   /* the server reported an error (see remote) */
    MTV_ECONFIG = -9,   /* configuration or usage problem */
    MTV_EINTR = -10,    /* interrupted by a signal (SIGINT/SIGTERM) */
};

/*
 * The error every fallible function takes last (NULL allowed). Set once
 * where the problem is detected. Reporting an error never allocates.
 */
struct mtv_error {
    int code;           /* enum mtv_err */
    const char *domain; /* static string: "http", "k8s", "soap", ... */
    int http_status;    /* 0 when not an HTTP error */
    char msg[512];      /* what went wrong, one line, no trailing period */
    char remote[512];   /* server's words: Status.message, faultstring... */
};

/* Clear `err` (no-op on NULL). */
void mtv_error_clear(struct mtv_error *err);

/*
 * Set code, domain and a formatted message on `err` (NULL allowed).
 * Returns `code` so callers can write `return mtv_error_set(...)`.
 */
int mtv_error_set(struct mtv_error *err, int code, const char *domain,
                  const char *fmt, ...) MTV_PRINTF(4, 5);

/* Copy the server's message into err->remote (truncated, one line). */
void mtv_error_set_remote(struct mtv_error *err, const char *remote);

/* Prepend "<prefix>: " to err->msg. Returns err->code (or MTV_EINVAL). */
int mtv_error_prefix(struct mtv_error *err, const char *fmt, ...)
    MTV_PRINTF(2, 3);

/* Static name of an error code ("timeout", "not found", ...). */
const char *mtv_err_name(int code);

/*
 * Format "msg: remote" (or just msg) into out[size]. Returns out.
 * The text a user sees for an error.
 */
const char *mtv_error_text(const struct mtv_error *err, char *out,
                           size_t size);

/* ----------------------------------------------------------------- buffers */

#define MTV_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

/*
 * Growable byte buffer with a size cap. data is NUL-terminated whenever it
 * is non-NULL (the terminator is not counted in len).
 */
struct mtv_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* 0 means MTV_BUF_DEFAULT_MAX */
};

#define MTV_BUF_INIT {NULL, 0, 0, 0}

/* Initialise an empty buffer with cap `max` (0: default 64 MiB). */
void mtv_buf_init(struct mtv_buf *b, size_t max);

/* Free the insides. The buffer can be reused after mtv_buf_init. */
void mtv_buf_dispose(struct mtv_buf *b);

/* Wipe (explicit_bzero) then free the insides: for secrets. */
void mtv_buf_dispose_secret(struct mtv_buf *b);

/* Set len to 0, keep the memory. */
void mtv_buf_reset(struct mtv_buf *b);

/*
 * Append n bytes. MTV_EPROTO when the cap would be exceeded, MTV_ENOMEM
 * when allocation fails; the buffer is unchanged on error.
 */
int mtv_buf_append(struct mtv_buf *b, const void *p, size_t n);

/* Append a NUL-terminated string. */
int mtv_buf_puts(struct mtv_buf *b, const char *s);

/* Append formatted text. */
int mtv_buf_printf(struct mtv_buf *b, const char *fmt, ...) MTV_PRINTF(2, 3);
int mtv_buf_vprintf(struct mtv_buf *b, const char *fmt, va_list ap)
    MTV_PRINTF(2, 0);

/* Remove the first n bytes (n > len removes everything). */
void mtv_buf_consume(struct mtv_buf *b, size_t n);

/*
 * Take the data out (never NULL: an empty buffer yields ""), leaving the
 * buffer empty. Caller frees with free(). NULL only on ENOMEM.
 */
char *mtv_buf_detach(struct mtv_buf *b);

/* ----------------------------------------------------------------- strings */

/* strdup that accepts NULL (returns NULL). */
char *mtv_strdup(const char *s);
char *mtv_strndup(const char *s, size_t n);

/* Allocated printf. Caller frees. NULL on ENOMEM. */
char *mtv_strdup_printf(const char *fmt, ...) MTV_PRINTF(1, 2);

/* Copy with truncation, always NUL-terminates. Returns strlen(src). */
size_t mtv_strlcpy(char *dst, const char *src, size_t size);

/* Whole-string integer/double parse: no junk, no overflow. 0 or EINVAL. */
int mtv_str_to_long(const char *s, long *out);
int mtv_str_to_llong(const char *s, long long *out);
int mtv_str_to_double(const char *s, double *out);

bool mtv_str_has_prefix(const char *s, const char *prefix);
bool mtv_str_has_suffix(const char *s, const char *suffix);
bool mtv_str_eq(const char *a, const char *b); /* NULL-safe */
bool mtv_str_case_eq(const char *a, const char *b);

/* Lower-case ASCII in place. Returns s. */
char *mtv_str_lower(char *s);

/* Wipe then free a secret string (NULL allowed). */
void mtv_str_free_secret(char *s);

/* Escape for a JSON string body (no quotes added). Appends to b. */
int mtv_buf_put_json_escaped(struct mtv_buf *b, const char *s);

/* Escape &<>"' for XML/HTML text and attributes. Appends to b. */
int mtv_buf_put_xml_escaped(struct mtv_buf *b, const char *s);

/* ---------------------------------------------------------- string vectors */

struct mtv_strv {
    char **items;
    size_t len;
    size_t cap;
};

#define MTV_STRV_INIT {NULL, 0, 0}

/* Push a copy of s. */
int mtv_strv_push(struct mtv_strv *v, const char *s);
/* Push s, taking ownership (freed on error too). */
int mtv_strv_push_take(struct mtv_strv *v, char *s);
bool mtv_strv_contains(const struct mtv_strv *v, const char *s);
/* Free every item and the array. */
void mtv_strv_dispose(struct mtv_strv *v);

/* ------------------------------------------------------ clocks, deadlines */

/* Monotonic milliseconds. */
int64_t mtv_now_ms(void);
/* Wall clock, milliseconds since the epoch. */
int64_t mtv_wall_ms(void);

struct mtv_deadline {
    int64_t at_ms; /* monotonic; INT64_MAX = never */
};

/* A deadline `ms` from now (ms < 0: never). */
struct mtv_deadline mtv_deadline_in(int64_t ms);
int64_t mtv_deadline_remaining_ms(const struct mtv_deadline *d); /* >= 0 */
bool mtv_deadline_expired(const struct mtv_deadline *d);
/* The earlier of the two. */
struct mtv_deadline mtv_deadline_min(struct mtv_deadline a,
                                     struct mtv_deadline b);

/*
 * Interruption (SIGINT/SIGTERM). mtv_interrupt() is async-signal-safe and
 * meant to be called from a signal handler. While the flag is set every
 * deadline reads as expired, so every wait in the program returns; callers
 * tell an interruption from a timeout with mtv_interrupted(), which returns
 * the signal number (0: none). Teardown clears the flag so its own waits
 * work; a second signal sets it again.
 */
void mtv_interrupt(int signo);
int mtv_interrupted(void);
void mtv_interrupt_clear(void);

/*
 * Format a wall-clock time (ms since epoch) as RFC 3339 UTC with second
 * precision and 'Z' ("2026-11-25T19:52:20Z"). out must hold 21 bytes.
 */
const char *mtv_time_rfc3339(int64_t wall_ms, char *out, size_t size);

/* Parse RFC 3339 ("...Z" or "+hh:mm", optional fraction) to wall ms. */
int mtv_time_parse_rfc3339(const char *s, int64_t *out);

/* ---------------------------------------------------------------- random */

/*
 * Fill out with n random characters from [2-9a-z] (the reference's
 * lower-cased shortuuid alphabet) and a NUL. out must hold n + 1 bytes.
 */
int mtv_random_id(char *out, size_t n);

/* Fill p with n cryptographically random bytes (getrandom). */
int mtv_random_bytes(void *p, size_t n);

/* ----------------------------------------------------------------- files */

/* mkdir -p DIR (mode 0755). MTV_EIO naming the folder and errno's text. */
int mtv_mkdir_p(const char *dir, struct mtv_error *err);

/* mkdir -p of the folder part of PATH (nothing for a bare file name). */
int mtv_mkdir_parent(const char *path, struct mtv_error *err);

/* --------------------------------------------------------------- logging */

enum mtv_log_level {
    MTV_LOG_ERROR = 0,
    MTV_LOG_WARN = 1,
    MTV_LOG_NOTE = 2,
    MTV_LOG_INFO = 3,
    MTV_LOG_DEBUG = 4,
    MTV_LOG_TRACE = 5,
};

typedef void (*mtv_log_sink_fn)(enum mtv_log_level level, const char *domain,
                                const char *line, void *payload);

/* Default is MTV_LOG_WARN. Thread-safe. */
void mtv_log_set_level(enum mtv_log_level level);
enum mtv_log_level mtv_log_get_level(void);
bool mtv_log_enabled(enum mtv_log_level level);

/*
 * Replace the sink (NULL restores stderr). The sink sees already-redacted
 * lines. For tests and for the report's log capture.
 */
void mtv_log_set_sink(mtv_log_sink_fn fn, void *payload);

/*
 * Register a secret (password, token, cookie value): every later log line,
 * and every mtv_redact() call, replaces it with "***". Copies s; strings
 * shorter than 4 characters are ignored. Thread-safe.
 */
void mtv_log_add_secret(const char *s);

/* Forget every registered secret, wiping them (called at exit). */
void mtv_log_clear_secrets(void);

/*
 * Log one line (no '\n' in fmt). error/warn/note go to stderr as
 * "mtvtest: error: ...", lower levels with a timestamp and the domain.
 * The line is redacted before it is written.
 */
void mtv_log(enum mtv_log_level level, const char *domain, const char *fmt,
             ...) MTV_PRINTF(3, 4);

/*
 * Redact in place: registered secrets, "Authorization: ...", "Cookie: ...",
 * "Set-Cookie: ...", "vmware_soap_session=...", "<password>...</password>",
 * "\"password\": \"...\"", "\"token\": \"...\"", PEM private keys. The
 * result is never longer than the input. Returns b's data.
 */
char *mtv_redact(struct mtv_buf *b);

/* Convenience: redact a C string into a new allocation. Caller frees. */
char *mtv_redact_str(const char *s);

#endif
