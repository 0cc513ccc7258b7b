/* http: private declarations shared by client.c and upgrade.c. */
#ifndef MTV_HTTP_PRIV_H
#define MTV_HTTP_PRIV_H

#include <curl/curl.h>

#include "mtv/http.h"

struct mtv_http_client {
    CURL *easy;
    char *ca_pem;
    char *cert_pem;
    char *key_pem; /* secret: wiped on free */
    char *user_agent;
    struct mtv_http_options opts; /* strings point at the copies above */
    struct mtv_http_stats stats;
    /* per-request state */
    struct mtv_http_response *cur;
    const struct mtv_http_request *cur_req;
    bool over_cap;

};

/* Apply the connection-level options (TLS, timeouts, proxy) to h. */
int http__apply_base(struct mtv_http_client *c, CURL *h);

/* Map a CURLcode to (mtv_err, enum mtv_http_fail). */
int http__map_curl_error(CURLcode cc, bool sent, int *fail);

/* The upgrade implementation (upgrade.c). */
int http__upgrade(void *self, struct mtv_http_stream **out,
                  const struct mtv_http_request *req,
                  struct mtv_http_response *head, struct mtv_error *err);

/* Effective timeout of a request: min(timeout or default, deadline). */
int64_t http__effective_timeout(const struct mtv_http_client *c,
                                const struct mtv_http_request *req);

#endif
