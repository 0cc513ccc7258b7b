/* cli: the one place where errors become exit codes (docs/errors.md). */
#include "cli.h"

#include <stdio.h>

int cli_exit_for_error(int code)
{
    switch (code) {
    case MTV_OK:
        return CLI_EXIT_OK;
    case MTV_ECONFIG:
    case MTV_EINVAL:
        return CLI_EXIT_USAGE;
    case MTV_EIO:
    case MTV_ETIMEOUT:
    case MTV_EAUTH:
    case MTV_ENOTFOUND:
    case MTV_EREMOTE:
        return CLI_EXIT_ENV;
    case MTV_EINTR:
        return CLI_EXIT_SIGINT;
    default:
        return CLI_EXIT_INTERNAL;
    }
}

static bool is_signal(int code)
{
    return code == CLI_EXIT_SIGINT || code == CLI_EXIT_SIGTERM;
}

int cli_exit_max(int a, int b)
{
    if (is_signal(a) || is_signal(b)) {
        return is_signal(a) ? a : b;
    }
    return a > b ? a : b;
}

size_t cli_print_diag(const struct mtv_diag *d)
{
    for (size_t i = 0; i < d->warnings.len; i++) {
        mtv_log(MTV_LOG_WARN, "config", "%s", d->warnings.items[i]);
    }
    for (size_t i = 0; i < d->errors.len; i++) {
        mtv_log(MTV_LOG_ERROR, "config", "%s", d->errors.items[i]);
    }
    return d->errors.len;
}
