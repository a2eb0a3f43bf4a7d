// SPDX-License-Identifier: MIT
// tlsutils/deviceauth.h for spheresim's Linux backend: where the device's authentication
// certificate lives, and the TLS-context hook that turns on client authentication with it. In
// the simulator the certificate is issued by the simulated tenant CA. Apps need the
// DeviceAuthentication manifest field for the certificate to be usable.
//
// In the Azure Sphere SDK, DeviceAuthSslResult and DeviceAuth_SslCtxFunc are declared in
// tlsutils/deviceauth_curl.h; they are declared here so apps that use them without libcurl
// compile too. A deviceauth_curl.h should include this header rather than repeat them.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// Returns the path of the device's client certificate (X.509, PEM, valid for 24 hours). A path
/// is always returned, but the file may not be usable yet: check Application_IsDeviceAuthReady
/// first. The path stays valid for the life of this process and may change on restart.
const char *DeviceAuth_GetCertificatePath(void);

/// Outcome of DeviceAuth_SslCtxFunc.
typedef enum DeviceAuthSslResult {
    /// The TLS context now authenticates with the device certificate.
    DeviceAuthSslResult_Success = 0,
    /// The app's tenant ID could not be read.
    DeviceAuthSslResult_GetTenantIdError = 1,
    /// The tenant's device certificate could not be loaded.
    DeviceAuthSslResult_GetTenantCertificateError = 2,
    /// Signing with the device key could not be enabled.
    DeviceAuthSslResult_EnableHwSignError = 3,
} DeviceAuthSslResult;

/// Configures the TLS context sslctx (the pointer libcurl hands to a CURLOPT_SSL_CTX_FUNCTION
/// callback) to present the device certificate and sign with the device key, so a custom curl
/// SSL callback can add its own steps around it.
/// Returns DeviceAuthSslResult_Success, or the stage that failed.
DeviceAuthSslResult DeviceAuth_SslCtxFunc(void *sslctx);

#ifdef __cplusplus
}
#endif
