// SPDX-License-Identifier: MIT
// Preloaded into the broker (LD_PRELOAD, by hub_broker.c) so that one TLS port serves both kinds
// of IoT Hub device, as the real hub's port 8883 does: X.509 devices present a client certificate
// and SAS devices present none.
//
// mosquitto 2.0 offers only two modes: `require_certificate true` (SSL_VERIFY_PEER |
// SSL_VERIFY_FAIL_IF_NO_PEER_CERT: SAS devices cannot connect) and `false` (SSL_VERIFY_NONE: the
// server never asks for a certificate, so mosquitto_client_certificate is always NULL and X.509
// devices cannot authenticate). This wrapper turns the server-side SSL_VERIFY_NONE into
// SSL_VERIFY_PEER without FAIL_IF_NO_PEER_CERT: a certificate is requested and, when sent, must
// chain to the listener's cafile (the tenant CA) or the handshake fails; a client without one
// still connects and authenticates with a SAS token in the plugin. Client-side contexts (bridges)
// are left alone.

#include <dlfcn.h>
#include <stddef.h>

#include <openssl/ssl.h>

typedef void (*set_verify_fn)(SSL_CTX *ctx, int mode, SSL_verify_cb callback);

void SSL_CTX_set_verify(SSL_CTX *ctx, int mode, SSL_verify_cb callback) {
    static set_verify_fn real;
    if (real == NULL) {
        // POSIX allows converting dlsym's object pointer to a function pointer.
        *(void **)&real = dlsym(RTLD_NEXT, "SSL_CTX_set_verify");
        if (real == NULL) {
            return;
        }
    }
    if (mode == SSL_VERIFY_NONE && ctx != NULL &&
        SSL_CTX_get_ssl_method(ctx) == TLS_server_method()) {
        mode = SSL_VERIFY_PEER;
    }
    real(ctx, mode, callback);
}
