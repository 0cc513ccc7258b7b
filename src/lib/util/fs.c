/* util: files and folders. */
#include "mtv/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int mtv_mkdir_p(const char *dir, struct mtv_error *err)
{
    char *p = mtv_strdup(dir);
    int rc = 0;

    if (p == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "util", "out of memory");
    }
    if (p[0] == '\0') {
        free(p);
        return mtv_error_set(err, MTV_EINVAL, "util", "empty folder name");
    }
    for (char *s = p + 1; rc == 0; s++) {
        char c = *s;

        if (c != '/' && c != '\0') {
            continue;
        }
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = mtv_error_set(err, MTV_EIO, "util",
                               "%s: cannot create folder: %s", p,
                               strerror(errno));
        }
        *s = c;
        if (c == '\0') {
            break;
        }
    }
    free(p);
    return rc;
}

int mtv_mkdir_parent(const char *path, struct mtv_error *err)
{
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    int rc;

    if (slash == NULL || slash == path) {
        return 0;
    }
    dir = mtv_strndup(path, (size_t)(slash - path));
    if (dir == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "util", "out of memory");
    }
    rc = mtv_mkdir_p(dir, err);
    free(dir);
    return rc;
}
