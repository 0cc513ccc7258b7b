/*
 * vsphere: clone names (reference §2.2), truncated without losing the
 * session id.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mtv/vsphere.h"

#define NAME_MAX_LEN 63

static void normalise(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '_' || *s == '.') {
            *s = '-';
        }
        *s = (char)tolower((unsigned char)*s);
    }
}

/* "-<last two '-' tokens of storage_class>-<ocp>-warm". */
static int put_middle(struct mtv_buf *b, const char *template_name,
                      const char *storage_class, const char *ocp_version,
                      bool warm)
{
    const char *sc = storage_class != NULL ? storage_class : "";
    const char *tail = sc + strlen(sc);
    int dashes = 0;
    int rc = 0;

    while (tail > sc) {
        if (tail[-1] == '-' && ++dashes == 2) {
            break;
        }
        tail--;
    }
    rc = mtv_buf_printf(b, "%s-%s-", template_name, tail);
    for (const char *p = ocp_version != NULL ? ocp_version : ""; rc == 0 && *p;
         p++) {
        rc = mtv_buf_append(b, *p == '.' ? "-" : p, 1);
    }
    return rc == 0 ? mtv_buf_puts(b, warm ? "-warm" : "-cold") : rc;
}

int mtv_vsphere_clone_name(char *out, size_t size, const char *session_id,
                           const char *template_name,
                           const char *storage_class, const char *ocp_version,
                           bool warm, const char *rand4)
{
    struct mtv_buf mid = MTV_BUF_INIT;
    char rnd[5];
    size_t sl = session_id != NULL ? strlen(session_id) : 0;
    size_t room = 0;
    int rc = 0;

    if (sl == 0 || sl > 32 || template_name == NULL || size <= NAME_MAX_LEN) {
        return MTV_EINVAL;
    }
    if (rand4 == NULL) {
        rc = mtv_random_id(rnd, 4);
        rand4 = rnd;
    }
    rc = rc == 0 ? put_middle(&mid, template_name, storage_class, ocp_version,
                              warm)
                 : rc;
    if (rc != 0) {
        mtv_buf_dispose(&mid);
        return rc;
    }
    /* session + '-' + middle + '-' + rand4 */
    room = NAME_MAX_LEN - sl - 2 - strlen(rand4);
    snprintf(out, size, "%s-%s-%s", session_id,
             mid.len > room ? mid.data + (mid.len - room) : mid.data, rand4);
    normalise(out);
    mtv_buf_dispose(&mid);
    return 0;
}
