#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The link half of the rule that the device-side image verifier uses mbedTLS only: a program
# linked with sim_image_verify alone must need libmbedcrypto and neither OpenSSL library, and
# must call no OpenSSL function.
# Usage: no_libcrypto.sh BINARY
set -euo pipefail
binary=${1:?usage: no_libcrypto.sh BINARY}
needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "$binary needs: $(echo "$needed" | tr '\n' ' ')"
if echo "$needed" | grep -Eq '^lib(crypto|ssl)\.so'; then
    echo "FAIL: the device-side verifier links OpenSSL" >&2
    exit 1
fi
if ! echo "$needed" | grep -q '^libmbedcrypto\.so'; then
    echo "FAIL: the device-side verifier does not link mbedTLS (libmbedcrypto)" >&2
    exit 1
fi
openssl_symbols=$(nm -D --undefined-only "$binary" |
    grep -E ' (EVP_|OPENSSL_|OSSL_|ERR_|PEM_|SSL_|CRYPTO_|X509_|BIO_|i2d_|d2i_)' || true)
if [ -n "$openssl_symbols" ]; then
    echo "FAIL: the device-side verifier calls OpenSSL:" >&2
    echo "$openssl_symbols" >&2
    exit 1
fi
echo "ok: no OpenSSL in $binary"
