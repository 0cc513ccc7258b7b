#!/bin/sh
# Test PKI for the http client tests: a CA, a server certificate for
# 127.0.0.1/localhost, a client certificate, and an unrelated CA.
set -eu
d="$1"
cd "$d"
gen() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
gen ca.key
openssl req -x509 -new -key ca.key -subj /CN=mtv-test-ca -days 2 -out ca.crt 2>/dev/null
gen wrong-ca.key
openssl req -x509 -new -key wrong-ca.key -subj /CN=mtv-wrong-ca -days 2 -out wrong-ca.crt 2>/dev/null
gen server.key
openssl req -new -key server.key -subj /CN=localhost -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -days 2 -extfile server.ext -out server.crt 2>/dev/null
gen client.key
openssl req -new -key client.key -subj /CN=mtv-client -out client.csr 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -days 2 -out client.crt 2>/dev/null
