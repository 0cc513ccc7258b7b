/* tmpl: regexReplaceAll over POSIX extended regexes.
 *
 * Go's RE2 syntax is translated for the common cases: \d \D \w \W \s \S
 * (also inside brackets), (?: ) and (?P<name> ) groups, a leading (?i).
 * Lazy quantifiers, \b and other RE2-only constructs are reported as
 * errors. POSIX matching is leftmost-longest where RE2 is leftmost-first,
 * which only differs for alternations whose branches overlap. */
#include "tmpl/tmpl_priv.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#define MAX_GROUPS 10

struct rx {
    regex_t re;
    int go_to_posix[MAX_GROUPS]; /* Go group number -> POSIX group number */
    char names[MAX_GROUPS][32];  /* Go group names */
    int ngroups;                 /* Go capturing groups */
};

static const char *class_outside(char c)
{
    switch (c) {
    case 'd':
        return "[0-9]";
    case 'D':
        return "[^0-9]";
    case 'w':
        return "[0-9A-Za-z_]";
    case 'W':
        return "[^0-9A-Za-z_]";
    case 's':
        return "[[:space:]]";
    case 'S':
        return "[^[:space:]]";
    }
    return NULL;
}

static const char *class_inside(char c)
{
    switch (c) {
    case 'd':
        return "0-9";
    case 'w':
        return "0-9A-Za-z_";
    case 's':
        return "[:space:]";
    }
    return NULL;
}

/* A '(' at p: records the group; returns bytes of p consumed. */
static size_t open_group(struct rx *r, const char *p, int *posix_groups,
                         struct mtv_buf *b, int *rc)
{
    const char *end = NULL;
    size_t used = 1;

    if (p[1] == '?' && p[2] == ':') {
        *posix_groups += 1; /* still capturing in POSIX, unnumbered in Go */
        *rc = mtv_buf_puts(b, "(");
        return 3;
    }
    if (p[1] == '?' && p[2] == 'P' && p[3] == '<' &&
        (end = strchr(p + 4, '>')) != NULL) {
        used = (size_t)(end - p) + 1;
    } else if (p[1] == '?') {
        *rc = -1;
        return 1;
    }
    *posix_groups += 1;
    if (r->ngroups + 1 < MAX_GROUPS) {
        r->ngroups++;
        r->go_to_posix[r->ngroups] = *posix_groups;
        if (end != NULL) {
            snprintf(r->names[r->ngroups], sizeof(r->names[0]), "%.*s",
                     (int)(end - p - 4), p + 4);
        }
    }
    *rc = mtv_buf_puts(b, "(");
    return used;
}

static int translate(struct rx *r, const char *re, struct mtv_buf *b,
                     int *cflags)
{
    bool in_bracket = false;
    int posix_groups = 0;
    int rc = mtv_buf_puts(b, "");

    if (strncmp(re, "(?i)", 4) == 0) {
        *cflags |= REG_ICASE;
        re += 4;
    }
    while (rc == 0 && *re != '\0') {
        const char *cls = NULL;

        if (re[0] == '\\' && re[1] != '\0') {
            cls = in_bracket ? class_inside(re[1]) : class_outside(re[1]);
            if (cls == NULL && strchr("bBAzpPQE", re[1]) != NULL) {
                return -1;
            }
            rc = cls != NULL  ? mtv_buf_puts(b, cls)
                 : in_bracket ? mtv_buf_append(b, re + 1, 1)
                              : mtv_buf_append(b, re, 2);
            re += 2;
        } else if (!in_bracket && re[0] == '(') {
            re += open_group(r, re, &posix_groups, b, &rc);
        } else if (!in_bracket && strchr("*+?}", re[0]) != NULL &&
                   re[1] == '?') {
            return -1;
        } else {
            if (re[0] == '[' && !in_bracket) {
                in_bracket = true;
                rc = mtv_buf_append(b, re, 1);
                re++;
                if (*re == '^' || *re == ']') {
                    rc = rc == 0 ? mtv_buf_append(b, re, 1) : rc;
                    re++;
                }
                continue;
            }
            in_bracket = in_bracket && re[0] != ']';
            rc = mtv_buf_append(b, re, 1);
            re++;
        }
    }
    return rc;
}

/*
 * glibc's regcomp copies a repeated element once per repetition (a+ is
 * "a a*", a{2,5} five copies), so nested repetitions grow exponentially:
 * "(((a+)+)+)..." or "a++++..." exhaust memory, and its epsilon closures
 * cost about the square of the copies. RE2 does not expand them; here an
 * ERE whose expanded size would pass RX_MAX_SIZE is refused like Go
 * refuses an oversized one ("expression too large"), and a repetition
 * operator right after another ("a**", "a+{2}") like Go refuses it
 * ("invalid nested repetition operator").
 */
#define RX_MAX_SIZE 1100ULL
#define RX_MAX_DEPTH 64

static unsigned long long sat_add(unsigned long long a, unsigned long long b)
{
    return a + b > RX_MAX_SIZE ? RX_MAX_SIZE + 1 : a + b;
}

static unsigned long long sat_mul(unsigned long long a, unsigned long long b)
{
    return b != 0 && a > RX_MAX_SIZE / b ? RX_MAX_SIZE + 1 : a * b;
}

/* Copies made by the quantifier at *pp (0: none there); advances *pp. */
static unsigned long long quantifier(const char **pp)
{
    const char *p = *pp;
    unsigned long long lo = 0, hi = 0;
    bool comma = false;

    if (*p == '*' || *p == '?' || *p == '+') {
        *pp = p + 1;
        return *p == '+' ? 2 : 1;
    }
    if (*p != '{' || ((p[1] < '0' || p[1] > '9') && p[1] != ',')) {
        return 0;
    }
    for (p++; *p >= '0' && *p <= '9'; p++) {
        lo = sat_add(sat_mul(lo, 10), (unsigned long long)(*p - '0'));
    }
    if (*p == ',') {
        comma = true;
        for (p++; *p >= '0' && *p <= '9'; p++) {
            hi = sat_add(sat_mul(hi, 10), (unsigned long long)(*p - '0'));
        }
    }
    if (*p != '}') {
        return 0; /* not an interval; regcomp decides */
    }
    *pp = p + 1;
    if (!comma) {
        return lo > 0 ? lo : 1;
    }
    if (p[-1] == ',') {
        return sat_add(lo, 1); /* {n,} */
    }
    return hi > lo ? (hi > 0 ? hi : 1) : (lo > 0 ? lo : 1);
}

/* End of the bracket expression starting at p ('['), or NULL. */
static const char *bracket_end(const char *p)
{
    p++;
    p += *p == '^';
    p += *p == ']';
    for (; *p != '\0'; p++) {
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char *e = strchr(p + 2, p[1]);

            if (e == NULL || e[1] != ']') {
                return NULL;
            }
            p = e + 1;
        } else if (*p == ']') {
            return p;
        }
    }
    return NULL;
}

/*
 * Check the translated ERE: -3 when it would expand past RX_MAX_SIZE
 * nodes, -4 for stacked repetition operators, else 0.
 */
static int rx_check_size(const char *p)
{
    unsigned long long total[RX_MAX_DEPTH + 1] = {0};
    unsigned long long last[RX_MAX_DEPTH + 1] = {0};
    int depth = 0;
    bool after_repeat = false;

    while (*p != '\0') {
        unsigned long long q = 0;
        bool repeat = false;

        if (*p == '(') {
            if (++depth > RX_MAX_DEPTH) {
                return -3;
            }
            after_repeat = false;
            total[depth] = 0;
            last[depth] = 0;
            p++;
            continue;
        }
        if (*p == ')' && depth > 0) {
            last[depth - 1] = sat_add(total[depth], 1);
            depth--;
            total[depth] = sat_add(total[depth], last[depth]);
            p++;
        } else if (*p == '[' && bracket_end(p) != NULL) {
            p = bracket_end(p) + 1;
            last[depth] = 1;
            total[depth] = sat_add(total[depth], 1);
        } else if ((q = quantifier(&p)) != 0) {
            /* the quantified element now counts q times */
            unsigned long long grown =
                sat_mul(last[depth] > 0 ? last[depth] : 1, q);

            if (after_repeat) {
                return -4;
            }
            repeat = true;
            total[depth] = sat_add(total[depth] - last[depth], grown);
            last[depth] = grown;
        } else {
            p += (*p == '\\' && p[1] != '\0') ? 2 : 1;
            last[depth] = 1;
            total[depth] = sat_add(total[depth], 1);
        }
        after_repeat = repeat;
        if (total[depth] > RX_MAX_SIZE) {
            return -3;
        }
    }
    return 0;
}

static int rx_compile(struct rx *r, const char *re, char *msg, size_t size)
{
    struct mtv_buf b = MTV_BUF_INIT;
    int cflags = REG_EXTENDED;
    int rc;

    memset(r, 0, sizeof(*r));
    rc = translate(r, re, &b, &cflags);
    if (rc == 0) {
        rc = rx_check_size(b.data);
    }
    if (rc == 0) {
        rc = regcomp(&r->re, b.data, cflags) == 0 ? 0 : -2;
    }
    mtv_buf_dispose(&b);
    if (rc < 0) {
        snprintf(msg, size, "error parsing regexp: %s: `%.100s`",
                 rc == -4   ? "invalid nested repetition operator"
                 : rc == -3 ? "expression too large"
                 : rc == -2 ? "invalid syntax"
                            : "unsupported construct",
                 re);
        return -1;
    }
    return 0;
}

/* Which POSIX group a Go "$name" refers to, or -1. */
static int group_of(const struct rx *r, const char *name, size_t n)
{
    int i;
    int num = 0;
    bool numeric = n > 0;

    for (i = 0; i < (int)n; i++) {
        numeric = numeric && name[i] >= '0' && name[i] <= '9';
        num = (num * 10 + (name[i] - '0')) % 100000;
    }
    if (numeric) {
        return num == 0 ? 0 : (num <= r->ngroups ? r->go_to_posix[num] : -1);
    }
    for (i = 1; i <= r->ngroups; i++) {
        if (strlen(r->names[i]) == n && strncmp(r->names[i], name, n) == 0) {
            return r->go_to_posix[i];
        }
    }
    return -1;
}

/* Go's Regexp.Expand of repl for one match. */
static int expand(struct mtv_buf *b, const struct rx *r, const char *repl,
                  const char *s, const regmatch_t *m)
{
    int rc = 0;

    while (rc == 0 && *repl != '\0') {
        const char *name = repl + 1;
        size_t n = 0;
        bool braced = *name == '{';
        int g;

        if (*repl != '$' || name[0] == '$') {
            rc = mtv_buf_append(b, repl, 1);
            repl += (*repl == '$') ? 2 : 1;
            continue;
        }
        name += braced;
        while (name[n] == '_' || (name[n] >= '0' && name[n] <= '9') ||
               ((name[n] | 0x20) >= 'a' && (name[n] | 0x20) <= 'z')) {
            n++;
        }
        if (n == 0 || (braced && name[n] != '}')) {
            rc = mtv_buf_puts(b, "$");
            repl++;
            continue;
        }
        g = group_of(r, name, n);
        if (g >= 0 && g < MAX_GROUPS * 2 && m[g].rm_so >= 0) {
            rc = mtv_buf_append(b, s + m[g].rm_so,
                                (size_t)(m[g].rm_eo - m[g].rm_so));
        }
        repl = name + n + braced;
    }
    return rc;
}

static int replace_loop(struct mtv_buf *b, const struct rx *r, const char *s,
                        const char *repl)
{
    regmatch_t m[MAX_GROUPS * 2];
    size_t len = strlen(s);
    size_t search = 0;
    size_t last_end = 0;
    int rc = mtv_buf_puts(b, "");

    while (rc == 0 && search <= len) {
        size_t k;

        if (regexec(&r->re, s + search, MAX_GROUPS * 2, m,
                    search > 0 ? REG_NOTBOL : 0) != 0) {
            break;
        }
        for (k = 0; k < MAX_GROUPS * 2; k++) {
            if (m[k].rm_so >= 0) {
                m[k].rm_so += (regoff_t)search;
                m[k].rm_eo += (regoff_t)search;
            }
        }
        rc = mtv_buf_append(b, s + last_end, (size_t)m[0].rm_so - last_end);
        if (rc == 0 && ((size_t)m[0].rm_eo > last_end || m[0].rm_so == 0)) {
            rc = expand(b, r, repl, s, m);
        }
        last_end = (size_t)m[0].rm_eo;
        search =
            search + 1 > (size_t)m[0].rm_eo ? search + 1 : (size_t)m[0].rm_eo;
    }
    return rc == 0 ? mtv_buf_puts(b, s + last_end) : rc;
}

int tmpl_regex_replace_all(struct tval *out, const char *re, const char *s,
                           const char *repl, char *msg, size_t msg_size)
{
    struct mtv_buf b = MTV_BUF_INIT;
    struct rx r;
    int rc;

    if (rx_compile(&r, re, msg, msg_size) < 0) {
        return -1;
    }
    rc = replace_loop(&b, &r, s, repl);
    regfree(&r.re);
    if (rc == 0) {
        rc = tval_set_string(out, b.data, b.len);
    }
    mtv_buf_dispose(&b);
    if (rc < 0) {
        snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    return 0;
}
