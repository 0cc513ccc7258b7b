/* naming: session ids, VM and object names (see include/mtv/naming.h). */
#include "mtv/naming.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAND_LEN 4

static bool is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int mtv_naming_session_id(char *out, size_t size, struct mtv_error *err)
{
    char r[RAND_LEN + 1];

    if (out == NULL || size < MTV_SESSION_ID_LEN + 1) {
        return mtv_error_set(err, MTV_EINVAL, "naming",
                             "session id buffer too small");
    }
    if (mtv_random_id(r, RAND_LEN) < 0) {
        return mtv_error_set(err, MTV_EIO, "naming",
                             "no random bytes for the session id");
    }
    memcpy(out, "auto-", 5);
    memcpy(out + 5, r, RAND_LEN + 1);
    return 0;
}

static bool label_ok(const char *s, size_t max)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > max || !is_alnum_lower(s[0]) ||
        !is_alnum_lower(s[n - 1])) {
        return false;
    }
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

bool mtv_naming_session_valid(const char *s)
{
    return label_ok(s, 32);
}

bool mtv_naming_is_dns1123(const char *s)
{
    return label_ok(s, MTV_NAME_MAX);
}

/* Sanitise into a new string without a length cap (may return ""). */
static char *sanitize(const char *name)
{
    size_t n = strlen(name);
    char *o = malloc(n + 1);
    size_t j = 0;

    if (o == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)name[i]);
        if (!is_alnum_lower(c)) {
            c = '-';
        }
        if (c == '-' && (j == 0 || o[j - 1] == '-')) {
            continue; /* leading '-' dropped, runs collapsed */
        }
        o[j++] = c;
    }
    while (j > 0 && o[j - 1] == '-') {
        j--;
    }
    o[j] = '\0';
    return o;
}

/* Cut s to max chars and strip trailing '-'. */
static void cut(char *s, size_t max)
{
    size_t n = strlen(s);

    if (n > max) {
        n = max;
    }
    while (n > 0 && s[n - 1] == '-') {
        n--;
    }
    s[n] = '\0';
}

int mtv_naming_dns1123(char **out, const char *name, size_t max,
                       struct mtv_error *err)
{
    char *s = NULL;

    if (out == NULL || *out != NULL || name == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "naming", "bad arguments");
    }
    s = sanitize(name);
    if (s == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "naming", "out of memory");
    }
    cut(s, max == 0 ? MTV_NAME_MAX : max);
    if (s[0] == '\0') {
        free(s);
        return mtv_error_set(err, MTV_EINVAL, "naming",
                             "name '%s' has no DNS-1123 characters", name);
    }
    *out = s;
    return 0;
}

static int fresh_rand(char *r, struct mtv_error *err)
{
    if (mtv_random_id(r, RAND_LEN) < 0) {
        return mtv_error_set(err, MTV_EIO, "naming", "no random bytes");
    }
    return 0;
}

/* Assemble head + "-" + body + "-" + rand + tail into b, body cut to fit. */
static int assemble(struct mtv_buf *b, const struct mtv_name_spec *spec,
                    const char *body, const char *rand, size_t max)
{
    const char *tail = spec->tail != NULL ? spec->tail : "";
    size_t fixed = strlen(spec->session) + 1 + strlen(rand) + strlen(tail);
    size_t room;
    char *bcopy = NULL;
    int rc;

    if (fixed > max) {
        return MTV_EINVAL;
    }
    room = max - fixed;
    bcopy = mtv_strdup(body);
    if (bcopy == NULL) {
        return MTV_ENOMEM;
    }
    /* the body needs its own '-' separator after it */
    cut(bcopy, room > 0 ? room - 1 : 0);
    if (bcopy[0] != '\0') {
        rc = mtv_buf_printf(b, "%s-%s-%s%s", spec->session, bcopy, rand, tail);
    } else {
        rc = mtv_buf_printf(b, "%s-%s%s", spec->session, rand, tail);
    }
    free(bcopy);
    return rc;
}

int mtv_naming_compose(char **out, const struct mtv_name_spec *spec,
                       struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    char r[RAND_LEN + 1];
    char *body = NULL;
    const char *rand = NULL;
    size_t max;
    int rc;

    if (out == NULL || *out != NULL || spec == NULL ||
        !mtv_naming_session_valid(spec->session)) {
        return mtv_error_set(
            err, MTV_EINVAL, "naming", "invalid session id '%s'",
            spec != NULL && spec->session != NULL ? spec->session : "");
    }
    max = spec->max == 0 ? MTV_NAME_MAX : spec->max;
    rand = spec->rand;
    if (rand == NULL) {
        rc = fresh_rand(r, err);
        if (rc < 0) {
            return rc;
        }
        rand = r;
    }
    body = sanitize(spec->body != NULL ? spec->body : "");
    if (body == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "naming", "out of memory");
    }
    rc = assemble(&b, spec, body, rand, max);
    free(body);
    if (rc < 0) {
        mtv_buf_dispose(&b);
        return mtv_error_set(err, rc, "naming",
                             "name for session '%s' cannot fit %zu chars",
                             spec->session, max);
    }
    *out = mtv_buf_detach(&b);
    return *out != NULL ? 0
                        : mtv_error_set(err, MTV_ENOMEM, "naming", "no memory");
}

/* "<session>-<rest>" sanitised, cut to 63 without touching the session. */
static int session_join(char **out, const char *session, const char *rest,
                        struct mtv_error *err)
{
    char *r = NULL;
    size_t room;

    if (out == NULL || *out != NULL || !mtv_naming_session_valid(session) ||
        rest == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "naming",
                             "invalid session id or name part");
    }
    r = sanitize(rest);
    if (r == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "naming", "out of memory");
    }
    room = MTV_NAME_MAX - strlen(session);
    cut(r, room > 0 ? room - 1 : 0);
    *out = r[0] != '\0' ? mtv_strdup_printf("%s-%s", session, r)
                        : mtv_strdup(session);
    free(r);
    return *out != NULL ? 0
                        : mtv_error_set(err, MTV_ENOMEM, "naming", "no memory");
}

int mtv_naming_base_resource(char **out, const char *session,
                             const char *provider_type,
                             const char *provider_version, bool copyoffload,
                             struct mtv_error *err)
{
    char *rest = NULL;
    int rc;

    if (provider_type == NULL || provider_version == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "naming",
                             "provider type and version are required");
    }
    rest = mtv_strdup_printf("source-%s-%s%s", provider_type, provider_version,
                             copyoffload ? "-xcopy" : "");
    if (rest == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "naming", "out of memory");
    }
    rc = session_join(out, session, rest, err);
    free(rest);
    return rc;
}

int mtv_naming_auto(char **out, const char *session, const char *base,
                    enum mtv_name_tail tail, struct mtv_error *err)
{
    struct mtv_name_spec spec = {session, NULL, NULL, NULL, 0};
    size_t n = session != NULL ? strlen(session) : 0;

    if (base == NULL || session == NULL || strncmp(base, session, n) != 0 ||
        (base[n] != '\0' && base[n] != '-')) {
        return mtv_error_set(err, MTV_EINVAL, "naming",
                             "base name '%s' does not start with the session "
                             "id '%s'",
                             base != NULL ? base : "",
                             session != NULL ? session : "");
    }
    spec.body = base[n] == '-' ? base + n + 1 : "";
    if (tail != MTV_NAME_PLAIN) {
        spec.tail = tail == MTV_NAME_WARM ? "-warm" : "-cold";
    }
    return mtv_naming_compose(out, &spec, err);
}

/* The last two '-'-separated tokens of s (or all of s when fewer). */
static const char *last_two_tokens(const char *s)
{
    const char *p = s + strlen(s);
    int dashes = 0;

    while (p > s) {
        p--;
        if (*p == '-' && ++dashes == 2) {
            return p + 1;
        }
    }
    return s;
}

int mtv_naming_vm_suffix(char **out, const char *storage_class,
                         const char *target_ocp_version, bool warm,
                         struct mtv_error *err)
{
    char *s = NULL;
    size_t n;

    if (out == NULL || *out != NULL || storage_class == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "naming",
                             "storage class is required");
    }
    s = mtv_strdup_printf("-%s-%s-%s", last_two_tokens(storage_class),
                          target_ocp_version != NULL ? target_ocp_version : "",
                          warm ? "warm" : "cold");
    if (s == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "naming", "out of memory");
    }
    mtv_str_lower(s);
    for (char *p = s; *p != '\0'; p++) {
        if (*p == '.' || *p == '_') {
            *p = '-';
        }
    }
    n = strlen(s);
    if (n > MTV_NAME_MAX) { /* keep the tail like the reference */
        memmove(s, s + n - MTV_NAME_MAX, MTV_NAME_MAX + 1);
    }
    *out = s;
    return 0;
}

int mtv_naming_clone(char **out, const char *session, const char *template_name,
                     const char *suffix, const char *rand,
                     struct mtv_error *err)
{
    struct mtv_name_spec spec = {session, NULL, NULL, rand, 0};
    char *body = NULL;
    int rc;

    if (template_name == NULL || template_name[0] == '\0') {
        return mtv_error_set(err, MTV_EINVAL, "naming",
                             "template name is required");
    }
    body =
        mtv_strdup_printf("%s%s", template_name, suffix != NULL ? suffix : "");
    if (body == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "naming", "out of memory");
    }
    spec.body = body;
    rc = mtv_naming_compose(out, &spec, err);
    free(body);
    return rc;
}

/* prefix with every "auto" removed. Caller frees. */
static char *strip_auto(const char *prefix)
{
    struct mtv_buf b = MTV_BUF_INIT;
    const char *p = prefix;

    while (*p != '\0') {
        if (strncmp(p, "auto", 4) == 0) {
            p += 4;
            continue;
        }
        if (mtv_buf_append(&b, p, 1) < 0) {
            mtv_buf_dispose(&b);
            return NULL;
        }
        p++;
    }
    return mtv_buf_detach(&b);
}

int mtv_naming_target_namespace(char **out, const char *session,
                                const char *prefix, struct mtv_error *err)
{
    char *rest = NULL;
    int rc;

    rest = strip_auto(prefix != NULL ? prefix : "");
    if (rest == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "naming", "out of memory");
    }
    rc = session_join(out, session, rest, err);
    free(rest);
    return rc;
}

int mtv_naming_nad(char *out, size_t size, const char *session,
                   unsigned scenario_index, unsigned i, struct mtv_error *err)
{
    static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    char tag[RAND_LEN + 1];
    char idx[3];
    size_t n = 0;

    if (out == NULL || size < MTV_NAD_NAME_MAX + 1 ||
        !mtv_naming_session_valid(session) || scenario_index >= 36 * 36 ||
        i == 0 || i > 99) {
        return mtv_error_set(err, MTV_EINVAL, "naming",
                             "cannot make a NAD name (scenario %u, network %u)",
                             scenario_index, i);
    }
    /* the last 4 alphanumerics of the session, in order */
    for (const char *p = session + strlen(session); p > session && n < 4;) {
        p--;
        if (is_alnum_lower(*p)) {
            memmove(tag + 1, tag, n);
            tag[0] = *p;
            n++;
        }
    }
    tag[n] = '\0';
    if (scenario_index < 36) {
        idx[0] = b36[scenario_index];
        idx[1] = '\0';
    } else {
        idx[0] = b36[scenario_index / 36];
        idx[1] = b36[scenario_index % 36];
        idx[2] = '\0';
    }
    snprintf(out, size, "cb-%s-%s-%u", tag, idx, i);
    return 0;
}
