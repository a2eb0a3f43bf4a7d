// SPDX-License-Identifier: MIT
// tlsutils device authentication. The simulated device keeps its certificate (and, lacking a
// Pluton, its private key) in one PEM file issued by the OS from the local tenant CA.
// DeviceAuth_SslCtxFunc configures an OpenSSL SSL_CTX with it when the app links OpenSSL (as
// libmosquitto and libcurl do); the functions are looked up at run time so hal_stub itself
// does not depend on a TLS library.
#include <tlsutils/deviceauth.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <string.h>

#include "bus_client.h"

static char certificate_path[DEVBUS_MAX_DATA];
static pthread_mutex_t path_lock = PTHREAD_MUTEX_INITIALIZER;

const char *DeviceAuth_GetCertificatePath(void) {
    pthread_mutex_lock(&path_lock);
    if (certificate_path[0] == '\0') {
        struct devbus_msg reply;
        if (halstub_bus_call(DEVBUS_OP_DEVICEAUTH_STATUS, NULL, NULL, 0, &reply, NULL) >= 0 &&
            reply.len > 0 && reply.len < sizeof(certificate_path)) {
            memcpy(certificate_path, reply.data, reply.len);
            certificate_path[reply.len] = '\0';
        }
    }
    pthread_mutex_unlock(&path_lock);
    // The device always returns a path, even before the certificate exists.
    return certificate_path[0] != '\0' ? certificate_path : "/run/spheresim/no-device-certificate";
}

typedef int ssl_ctx_file_fn(void *ctx, const char *file);
typedef int ssl_ctx_key_fn(void *ctx, const char *file, int type);

DeviceAuthSslResult DeviceAuth_SslCtxFunc(void *sslctx) {
    enum { PEM_FILETYPE = 1 };
    if (sslctx == NULL) {
        return DeviceAuthSslResult_GetTenantCertificateError;
    }
    bool ready = false;
    struct devbus_msg reply;
    if (halstub_bus_call(DEVBUS_OP_DEVICEAUTH_STATUS, NULL, NULL, 0, &reply, NULL) < 0) {
        return DeviceAuthSslResult_GetTenantIdError;
    }
    ready = reply.arg[0] != 0;
    if (!ready) {
        return DeviceAuthSslResult_GetTenantCertificateError;
    }
    const char *path = DeviceAuth_GetCertificatePath();
    ssl_ctx_file_fn *use_chain =
        (ssl_ctx_file_fn *)dlsym(RTLD_DEFAULT, "SSL_CTX_use_certificate_chain_file");
    ssl_ctx_key_fn *use_key = (ssl_ctx_key_fn *)dlsym(RTLD_DEFAULT, "SSL_CTX_use_PrivateKey_file");
    if (use_chain == NULL || use_key == NULL) {
        return DeviceAuthSslResult_EnableHwSignError;
    }
    if (use_chain(sslctx, path) != 1) {
        return DeviceAuthSslResult_GetTenantCertificateError;
    }
    if (use_key(sslctx, path, PEM_FILETYPE) != 1) {
        return DeviceAuthSslResult_EnableHwSignError;
    }
    return DeviceAuthSslResult_Success;
}
