/* checks: parsers of guest network outputs (nmcli device show, ipconfig
 * /all) into interfaces with MAC, IPv4 addresses, mask and gateway. */
#include "checks/checks_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mtv_guest_ifaces_dispose(struct mtv_guest_ifaces *v)
{
    size_t i;

    for (i = 0; i < v->n; i++) {
        free(v->items[i].name);
        free(v->items[i].mac);
        free(v->items[i].mask);
        free(v->items[i].gateway);
        mtv_strv_dispose(&v->items[i].ips);
        mtv_strv_dispose(&v->items[i].gateways);
    }
    free(v->items);
    v->items = NULL;
    v->n = 0;
}

/* Hex digits of a MAC, lower-cased, separators dropped. */
static void mac_digits(const char *m, char *out, size_t size)
{
    size_t k = 0;

    for (; m != NULL && *m != '\0' && k + 1 < size; m++) {
        if (isxdigit((unsigned char)*m)) {
            out[k++] = (char)tolower((unsigned char)*m);
        }
    }
    out[k] = '\0';
}

bool mtv_checks_mac_equal(const char *a, const char *b)
{
    char x[64];
    char y[64];

    mac_digits(a, x, sizeof(x));
    mac_digits(b, y, sizeof(y));
    return x[0] != '\0' && strcmp(x, y) == 0;
}

/* "00-0C-29-..." -> "00:0c:29:..." */
static char *mac_normalise(const char *m)
{
    char *s = mtv_strdup(m);
    char *p;

    for (p = s; p != NULL && *p != '\0'; p++) {
        *p = *p == '-' || *p == '.' ? ':' : (char)tolower((unsigned char)*p);
    }
    return s;
}

static char *prefix_to_mask(int prefix)
{
    /* prefix is 0..32 (nm_field rejects others); clamp anyway: a shift
     * by 32 - prefix must stay within 0..31 */
    unsigned long m = prefix <= 0 ? 0
                      : prefix >= 32
                          ? 0xffffffffUL
                          : (0xffffffffUL << (32 - prefix)) & 0xffffffffUL;

    return mtv_strdup_printf("%lu.%lu.%lu.%lu", (m >> 24) & 255,
                             (m >> 16) & 255, (m >> 8) & 255, m & 255);
}

static bool is_ipv4(const char *s)
{
    int dots = 0;

    for (; *s != '\0'; s++) {
        if (*s == '.') {
            dots++;
        } else if (!isdigit((unsigned char)*s)) {
            return false;
        }
    }
    return dots == 3;
}

static struct mtv_guest_iface *new_iface(struct mtv_guest_ifaces *v)
{
    struct mtv_guest_iface *items =
        realloc(v->items, (v->n + 1) * sizeof(*items));

    if (items == NULL) {
        return NULL;
    }
    v->items = items;
    memset(&items[v->n], 0, sizeof(items[0]));
    items[v->n].prefix = -1;
    return &items[v->n++];
}

/* gateway = first IPv4 gateway, else the first listed. */
static int pick_gateway(struct mtv_guest_iface *f)
{
    size_t i;

    for (i = 0; i < f->gateways.len; i++) {
        if (is_ipv4(f->gateways.items[i])) {
            break;
        }
    }
    if (f->gateways.len == 0) {
        return 0;
    }
    f->gateway = mtv_strdup(f->gateways.items[i < f->gateways.len ? i : 0]);
    return f->gateway != NULL ? 0 : MTV_ENOMEM;
}

/* Copy [p, end) trimmed into a new string. */
static char *trimmed(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p)) {
        p++;
    }
    while (end > p && isspace((unsigned char)end[-1])) {
        end--;
    }
    return mtv_strndup(p, (size_t)(end - p));
}

/* ----------------------------------------------------------------- nmcli */

struct nm_block {
    char *device;
    char *state;
    struct mtv_guest_iface f;
};

static int nm_field(struct nm_block *b, const char *key, char *val)
{
    char *slash = NULL;

    if (strcmp(key, "GENERAL.DEVICE") == 0) {
        free(b->device);
        b->device = val;
        return 0;
    }
    if (strcmp(key, "GENERAL.STATE") == 0) {
        free(b->state);
        b->state = val;
        return 0;
    }
    if (strcmp(key, "GENERAL.HWADDR") == 0) {
        free(b->f.mac);
        b->f.mac = mac_normalise(val);
    } else if (strncmp(key, "IP4.ADDRESS", 11) == 0 &&
               (slash = strchr(val, '/')) != NULL) {
        *slash = '\0';
        if (b->f.prefix < 0) {
            /* an IPv4 prefix is 0..32; anything else stays unknown (-1) */
            long pl = strtol(slash + 1, NULL, 10);

            b->f.prefix = pl >= 0 && pl <= 32 ? (int)pl : -1;
        }
        if (mtv_strv_push(&b->f.ips, val) < 0) {
            free(val);
            return MTV_ENOMEM;
        }
    } else if (strcmp(key, "IP4.GATEWAY") == 0 && strcmp(val, "--") != 0 &&
               val[0] != '\0') {
        if (mtv_strv_push(&b->f.gateways, val) < 0) {
            free(val);
            return MTV_ENOMEM;
        }
    }
    free(val);
    return 0;
}

/* Keep the block when it is a connected non-loopback device. */
static int nm_commit(struct mtv_guest_ifaces *v, struct nm_block *b)
{
    const char *paren = b->state != NULL ? strchr(b->state, '(') : NULL;
    bool connected = paren != NULL && strncmp(paren + 1, "connected", 9) == 0;
    struct mtv_guest_iface *f = NULL;
    int rc = 0;

    if (b->device != NULL && strcmp(b->device, "lo") != 0 && connected) {
        f = new_iface(v);
        if (f == NULL) {
            rc = MTV_ENOMEM;
        } else {
            *f = b->f;
            memset(&b->f, 0, sizeof(b->f));
            f->name = b->device;
            b->device = NULL;
            f->mask = f->prefix >= 0 ? prefix_to_mask(f->prefix) : NULL;
            rc = pick_gateway(f);
        }
    }
    free(b->device);
    free(b->state);
    free(b->f.mac);
    mtv_strv_dispose(&b->f.ips);
    mtv_strv_dispose(&b->f.gateways);
    memset(b, 0, sizeof(*b));
    b->f.prefix = -1;
    return rc;
}

/* One "KEY: value" line; takes key and val (freed or stored). */
static int nm_line(struct mtv_guest_ifaces *out, struct nm_block *b, char *key,
                   char *val, int *blocks)
{
    int rc = 0;

    if (key == NULL || val == NULL) {
        free(key);
        free(val);
        return MTV_ENOMEM;
    }
    if (strcmp(key, "GENERAL.DEVICE") == 0) {
        (*blocks)++;
        if (b->device != NULL) {
            rc = nm_commit(out, b); /* no blank line between blocks */
        }
    }
    if (rc == 0) {
        rc = nm_field(b, key, val);
    } else {
        free(val);
    }
    free(key);
    return rc;
}

int mtv_guest_parse_nmcli(struct mtv_guest_ifaces *out, const char *text,
                          struct mtv_error *err)
{
    struct nm_block b;
    const char *line = text;
    int rc = 0;
    int blocks = 0;

    memset(&b, 0, sizeof(b));
    b.f.prefix = -1;
    while (rc == 0 && line != NULL && *line != '\0') {
        const char *eol = strchr(line, '\n');
        const char *end = eol != NULL ? eol : line + strlen(line);
        const char *colon = memchr(line, ':', (size_t)(end - line));

        if (colon != NULL) {
            rc = nm_line(out, &b, trimmed(line, colon), trimmed(colon + 1, end),
                         &blocks);
        }
        line = eol != NULL ? eol + 1 : NULL;
    }
    {
        int last = nm_commit(out, &b); /* also frees a partial block */

        rc = rc == 0 ? last : rc;
    }
    if (rc == 0 && blocks == 0) {
        rc = mtv_error_set(err, MTV_EPROTO, "checks",
                           "nmcli output has no GENERAL.DEVICE");
    } else if (rc < 0 && rc != MTV_EPROTO) {
        mtv_error_set(err, rc, "checks", "out of memory");
    }
    if (rc < 0) {
        mtv_guest_ifaces_dispose(out);
    }
    return rc;
}

/* -------------------------------------------------------------- ipconfig */

/* "IPv4 Address. . . : 10.0.0.5(Preferred)" -> key, value. */
static bool ip_kv(const char *line, const char *end, char **key, char **val)
{
    const char *sep = NULL;
    const char *p;

    for (p = line; p + 1 < end; p++) {
        if (p[0] == ':' && p > line && p[-1] == ' ' &&
            (p + 1 == end || p[1] == ' ' || p[1] == '\r')) {
            sep = p;
            break;
        }
    }
    if (sep == NULL && end > line && end[-1] == ':' && end - 1 > line &&
        end[-2] == ' ') {
        sep = end - 1;
    }
    if (sep == NULL) {
        return false;
    }
    for (p = sep; p > line && (p[-1] == ' ' || p[-1] == '.'); p--) {
    }
    *key = trimmed(line, p);
    *val = trimmed(sep + 1, end);
    return true;
}

static void strip_suffix_paren(char *v)
{
    char *paren = strchr(v, '(');

    if (paren != NULL) {
        *paren = '\0';
    }
}

static int ip_field(struct mtv_guest_iface *f, const char *key, char *val)
{
    int rc = 0;

    strip_suffix_paren(val);
    if (strcmp(key, "Physical Address") == 0 && val[0] != '\0') {
        free(f->mac);
        f->mac = mac_normalise(val);
        rc = f->mac != NULL ? 0 : MTV_ENOMEM;
    } else if ((strcmp(key, "IPv4 Address") == 0 ||
                strcmp(key, "IP Address") == 0 ||
                strcmp(key, "Autoconfiguration IPv4 Address") == 0) &&
               is_ipv4(val)) {
        rc = mtv_strv_push(&f->ips, val);
    } else if (strcmp(key, "Subnet Mask") == 0 && f->mask == NULL &&
               val[0] != '\0') {
        f->mask = mtv_strdup(val);
        rc = f->mask != NULL ? 0 : MTV_ENOMEM;
    } else if (strcmp(key, "Default Gateway") == 0 && val[0] != '\0') {
        rc = mtv_strv_push(&f->gateways, val);
    }
    return rc;
}

/* "Ethernet adapter Ethernet0:" -> "Ethernet0". */
static char *adapter_name(const char *line, const char *end)
{
    const char *a = NULL;
    const char *p;

    for (p = line; p + 8 <= end; p++) {
        if (strncmp(p, "adapter ", 8) == 0) {
            a = p + 8;
            break;
        }
    }
    if (a == NULL || end <= a || end[-1] != ':') {
        return NULL;
    }
    return trimmed(a, end - 1);
}

struct ip_state {
    struct mtv_guest_iface *cur;
    char last_key[64];
};

static int ip_line(struct mtv_guest_ifaces *out, struct ip_state *st,
                   const char *line, const char *end)
{
    char *key = NULL;
    char *val = NULL;
    int rc = 0;

    if (line < end && !isspace((unsigned char)line[0])) {
        char *name = adapter_name(line, end);

        st->cur = name != NULL ? new_iface(out) : NULL;
        if (name != NULL && st->cur == NULL) {
            free(name);
            return MTV_ENOMEM;
        }
        if (st->cur != NULL) {
            st->cur->name = name;
        }
        st->last_key[0] = '\0';
        return 0;
    }
    if (st->cur == NULL) {
        return 0;
    }
    if (ip_kv(line, end, &key, &val)) {
        rc = key != NULL && val != NULL ? ip_field(st->cur, key, val)
                                        : MTV_ENOMEM;
        mtv_strlcpy(st->last_key, key != NULL ? key : "", sizeof(st->last_key));
    } else if ((val = trimmed(line, end)) != NULL && val[0] != '\0') {
        rc = ip_field(st->cur, st->last_key, val); /* continuation line */
    }
    free(key);
    free(val);
    return rc;
}

int mtv_guest_parse_ipconfig(struct mtv_guest_ifaces *out, const char *text,
                             struct mtv_error *err)
{
    struct ip_state st;
    const char *line = text;
    size_t i;
    int rc = 0;

    memset(&st, 0, sizeof(st));
    while (rc == 0 && line != NULL && *line != '\0') {
        const char *eol = strchr(line, '\n');
        const char *end = eol != NULL ? eol : line + strlen(line);

        if (end > line && end[-1] == '\r') {
            end--;
        }
        rc = ip_line(out, &st, line, end);
        line = eol != NULL ? eol + 1 : NULL;
    }
    for (i = 0; rc == 0 && i < out->n; i++) {
        if (out->items[i].mask != NULL && out->items[i].prefix < 0) {
            unsigned a = 0, b = 0, c = 0, d = 0;

            if (sscanf(out->items[i].mask, "%u.%u.%u.%u", &a, &b, &c, &d) ==
                4) {
                unsigned long m =
                    ((unsigned long)a << 24) | (b << 16) | (c << 8) | d;
                out->items[i].prefix = __builtin_popcountl(m);
            }
        }
        rc = pick_gateway(&out->items[i]);
    }
    if (rc == 0 && out->n == 0) {
        rc = mtv_error_set(err, MTV_EPROTO, "checks",
                           "ipconfig output has no adapter");
    } else if (rc < 0 && rc != MTV_EPROTO) {
        mtv_error_set(err, rc, "checks", "out of memory");
    }
    if (rc < 0) {
        mtv_guest_ifaces_dispose(out);
    }
    return rc;
}
