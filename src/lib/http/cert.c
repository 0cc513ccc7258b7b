/* http: fetch a server's certificate chain (OpenSSL), fingerprints. */
#include "mtv/http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Non-blocking connect with a deadline, then back to blocking. */
static int connect_one(const struct addrinfo *ai, int64_t timeout_ms)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
    int flags = 0;
    struct pollfd pfd;
    int soerr = 0;
    socklen_t len = sizeof(soerr);

    if (fd < 0) {
        return -1;
    }
    flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        pfd.fd = fd;
        pfd.events = POLLOUT;
        pfd.revents = 0;
        if (errno != EINPROGRESS ||
            poll(&pfd, 1, (int)timeout_ms) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 ||
            soerr != 0) {
            close(fd);
            return -1;
        }
    }
    fcntl(fd, F_SETFL, flags);
    return fd;
}

static int tcp_connect(const char *host, int port, int64_t timeout_ms,
                       struct mtv_error *err)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    char service[16];
    int fd = -1;
    int gai = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(service, sizeof(service), "%d", port);
    gai = getaddrinfo(host, service, &hints, &res);
    if (gai != 0) {
        return mtv_error_set(err, MTV_EIO, "http", "cannot resolve '%s': %s",
                             host, gai_strerror(gai));
    }
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = connect_one(ai, timeout_ms);
    }
    freeaddrinfo(res);
    if (fd < 0) {
        return mtv_error_set(err, MTV_EIO, "http", "cannot connect to %s:%d",
                             host, port);
    }
    return fd;
}

static void set_io_timeout(int fd, int64_t timeout_ms)
{
    struct timeval tv;

    tv.tv_sec = (time_t)(timeout_ms / 1000);
    tv.tv_usec = (suseconds_t)((timeout_ms % 1000) * 1000);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int chain_to_pem(char **out, SSL *ssl, struct mtv_error *err)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    BIO *mem = NULL;
    char *data = NULL;
    long n = 0;
    int rc = 0;

    if (chain == NULL || sk_X509_num(chain) == 0) {
        return mtv_error_set(err, MTV_EPROTO, "http",
                             "server presented no certificate");
    }
    mem = BIO_new(BIO_s_mem());
    for (int i = 0; mem != NULL && i < sk_X509_num(chain); i++) {
        if (PEM_write_bio_X509(mem, sk_X509_value(chain, i)) != 1) {
            rc = MTV_ENOMEM;
        }
    }
    n = mem != NULL ? BIO_get_mem_data(mem, &data) : 0;
    if (mem == NULL || rc != 0 || n <= 0 ||
        (*out = mtv_strndup(data, (size_t)n)) == NULL) {
        rc = mtv_error_set(err, MTV_ENOMEM, "http",
                           "cannot encode the certificate chain");
    }
    BIO_free(mem);
    return rc;
}

int mtv_http_fetch_cert_chain(char **out, const char *host, int port,
                              int64_t timeout_ms, struct mtv_error *err)
{
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    int fd = -1;
    int rc = 0;

    if (out == NULL || *out != NULL || host == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "http", "fetch_cert_chain: bad "
                                                      "arguments");
    }
    timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    fd = tcp_connect(host, port, timeout_ms, err);
    if (fd < 0) {
        return fd;
    }
    set_io_timeout(fd, timeout_ms);
    ctx = SSL_CTX_new(TLS_client_method());
    ssl = ctx != NULL ? SSL_new(ctx) : NULL;
    if (ssl == NULL) {
        rc = mtv_error_set(err, MTV_ENOMEM, "http", "cannot create TLS "
                                                    "context");
        goto out;
    }
    SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
    SSL_set_tlsext_host_name(ssl, host);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
        rc = mtv_error_set(err, MTV_EIO, "http",
                           "TLS handshake with %s:%d failed", host, port);
        goto out;
    }
    rc = chain_to_pem(out, ssl, err);
out:
    if (ssl != NULL) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
    close(fd);
    return rc;
}

int mtv_http_cert_sha1_fingerprint(const char *pem, char *out, size_t size,
                                   struct mtv_error *err)
{
    BIO *mem = BIO_new_mem_buf(pem, -1);
    X509 *x = mem != NULL ? PEM_read_bio_X509(mem, NULL, NULL, NULL) : NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int rc = 0;

    if (x == NULL || X509_digest(x, EVP_sha1(), md, &n) != 1 ||
        size < (size_t)n * 3) {
        rc = mtv_error_set(err, MTV_EINVAL, "http",
                           "no certificate in PEM text");
    } else {
        for (unsigned int i = 0; i < n; i++) {
            snprintf(out + i * 3, size - i * 3, i + 1 < n ? "%02X:" : "%02X",
                     md[i]);
        }
    }
    X509_free(x);
    BIO_free(mem);
    ERR_clear_error();
    return rc;
}
