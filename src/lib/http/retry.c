/* http: the retry decision table and capped exponential backoff. */
#include "mtv/http.h"

#include <string.h>
#include <strings.h>

static bool method_idempotent(const char *method)
{
    static const char *const idem[] = {"GET", "HEAD", "PUT", "DELETE",
                                       "PATCH", "OPTIONS"};

    for (size_t i = 0; i < sizeof(idem) / sizeof(idem[0]); i++) {
        if (method != NULL && strcasecmp(method, idem[i]) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * One row per outcome: a transport failure kind or a status, and whether
 * an idempotent request / a POST is retried.
 */
struct retry_row {
    int fail;   /* enum mtv_http_fail, or -1 for "status rows" */
    int status; /* used when fail == -1 */
    bool idempotent;
    bool post;
};

static const struct retry_row retry_table[] = {
    {MTV_HTTP_FAIL_CONNECT, 0, true, true},
    {MTV_HTTP_FAIL_SEND, 0, true, false},
    {MTV_HTTP_FAIL_RECV, 0, true, false},
    {MTV_HTTP_FAIL_OTHER, 0, false, false},
    {-1, 429, true, true},  /* Too Many Requests: rejected unprocessed */
    {-1, 500, true, false}, /* e.g. "etcdserver: leader changed" */
    {-1, 502, true, false},
    {-1, 503, true, true},  /* unavailable: not processed */
    {-1, 504, true, false},
};

enum mtv_http_retry mtv_http_retry_decide(const char *method, int rc,
                                          const struct mtv_http_response *resp)
{
    bool idem = method_idempotent(method);
    int fail = resp != NULL ? resp->fail : MTV_HTTP_FAIL_OTHER;
    int status = resp != NULL ? resp->status : 0;

    if (rc == MTV_EPROTO || rc == MTV_ENOMEM || rc == MTV_EINVAL) {
        return MTV_HTTP_NO_RETRY;
    }
    for (size_t i = 0; i < sizeof(retry_table) / sizeof(retry_table[0]);
         i++) {
        const struct retry_row *row = &retry_table[i];
        bool match = rc != 0 ? row->fail == fail
                             : (row->fail == -1 && row->status == status);
        if (match) {
            return (idem ? row->idempotent : row->post) ? MTV_HTTP_RETRY
                                                        : MTV_HTTP_NO_RETRY;
        }
    }
    return MTV_HTTP_NO_RETRY;
}

int64_t mtv_http_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms,
                            const struct mtv_http_response *resp)
{
    int64_t delay = base_ms > 0 ? base_ms : 1;
    uint32_t rnd = 0;
    const char *ra = resp != NULL ? mtv_http_response_header(resp,
                                                             "Retry-After")
                                  : NULL;
    long secs = 0;

    for (int i = 1; i < attempt && delay < cap_ms; i++) {
        delay *= 2;
    }
    if (delay > cap_ms) {
        delay = cap_ms;
    }
    (void)mtv_random_bytes(&rnd, sizeof(rnd));
    delay = delay / 2 + (int64_t)(rnd % (uint32_t)(delay / 2 + 1));
    if (ra != NULL && mtv_str_to_long(ra, &secs) == 0 && secs >= 0) {
        int64_t floor_ms = secs > 60 ? 60000 : (int64_t)secs * 1000;
        if (delay < floor_ms) {
            delay = floor_ms;
        }
    }
    return delay;
}
