// SPDX-License-Identifier: MIT
// TLS library set-up and client contexts for the MQTT connections; see mqtt_tls.h for why the
// library is narrowed to the algorithms a TLS client uses.
//
// How the narrowing works (OpenSSL 3 only). The default provider lives in a library context of
// its own. A small provider ("spheresim-tls"), the only one in OpenSSL's default context, where
// libssl and libmosquitto work, answers each query with the default provider's own algorithm
// table cut down to an allow-list, and hands out the default provider's context, so every
// algorithm runs exactly as the default provider runs it. OpenSSL caches method objects only
// for what a provider offers, so the default context holds a few dozen instead of hundreds.
//
// Algorithms inside the default provider look up helpers (a digest for HMAC, a DRBG for key
// generation) in the default provider's own context, where everything is offered; those are
// kept to digests by choosing the hash-based DRBG in both contexts, since the CTR DRBG's first
// cipher look-up would build all 124 ciphers there.
#include "mqtt_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <applibs/log.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#if defined(OPENSSL_VERSION_MAJOR) && OPENSSL_VERSION_MAJOR >= 3
#define MQTT_TLS_NARROW_PROVIDER 1
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#endif

// TLS 1.2 suites to offer: forward-secret key exchange with an AEAD cipher, the suites Azure IoT
// Hub and mosquitto both accept. TLS 1.3 suites are all AEAD already.
static const char tls12CipherList[] = "ECDHE+AESGCM:ECDHE+CHACHA20";

#ifdef MQTT_TLS_NARROW_PROVIDER

static const char narrowProviderName[] = "spheresim-tls";

// What a TLS client of the cloud needs, by operation: a name matches an algorithm when it is one
// of the algorithm's names. Whatever is not here is simply unavailable to libssl, which then
// leaves out the cipher suites, groups and signature schemes that would need it.
struct AllowList {
    int operationId;
    const char *const *names;
};

static const char *const digests[] = {"SHA1", "SHA2-224", "SHA2-256", "SHA2-384", "SHA2-512", NULL};
static const char *const ciphers[] = {"AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305", NULL};
static const char *const macs[] = {"HMAC", NULL};
static const char *const kdfs[] = {"HKDF", "TLS13-KDF", "TLS1-PRF", NULL};
static const char *const rands[] = {"HASH-DRBG", "SEED-SRC", NULL};
// Key types: RSA and EC for certificates, X25519 and EC for key exchange.
static const char *const keyTypes[] = {"RSA", "RSA-PSS", "EC", "X25519", NULL};
static const char *const keyExchanges[] = {"ECDH", "X25519", NULL};
static const char *const signatures[] = {"RSA", "ECDSA", NULL};
// PEM and DER wrappers plus the key types, to read certificates and the device key.
static const char *const decoders[] = {"DER", "RSA", "RSA-PSS", "EC", "X25519", NULL};

static const struct AllowList allowLists[] = {
    {OSSL_OP_DIGEST, digests},
    {OSSL_OP_CIPHER, ciphers},
    {OSSL_OP_MAC, macs},
    {OSSL_OP_KDF, kdfs},
    {OSSL_OP_RAND, rands},
    {OSSL_OP_KEYMGMT, keyTypes},
    {OSSL_OP_KEYEXCH, keyExchanges},
    {OSSL_OP_SIGNATURE, signatures},
    {OSSL_OP_DECODER, decoders},
};
#define OPERATION_COUNT (sizeof(allowLists) / sizeof(allowLists[0]))

// The default provider's own context, the provider in it, and our reference to the narrow
// provider. They are never freed: method objects cached in OpenSSL's default context refer to
// them until OpenSSL's exit-time cleanup.
static OSSL_LIB_CTX *innerContext;
static OSSL_PROVIDER *defaultProvider;
static OSSL_PROVIDER *narrowProvider;
// One cut-down table per allowed operation, built on the first query and kept.
static OSSL_ALGORITHM *narrowTables[OPERATION_COUNT];

static bool HasName(const char *algorithmNames, const char *name) {
    size_t nameLength = strlen(name);
    const char *cursor = algorithmNames;
    while (cursor != NULL && *cursor != '\0') {
        const char *end = strchr(cursor, ':');
        size_t length = end != NULL ? (size_t)(end - cursor) : strlen(cursor);
        if (length == nameLength && strncasecmp(cursor, name, length) == 0) {
            return true;
        }
        cursor = end != NULL ? end + 1 : NULL;
    }
    return false;
}

static bool IsAllowed(const struct AllowList *list, const char *algorithmNames) {
    for (const char *const *name = list->names; *name != NULL; name++) {
        if (HasName(algorithmNames, *name)) {
            return true;
        }
    }
    return false;
}

static OSSL_ALGORITHM *BuildNarrowTable(const struct AllowList *list) {
    int noCache = 0;
    const OSSL_ALGORITHM *all =
        OSSL_PROVIDER_query_operation(defaultProvider, list->operationId, &noCache);
    if (all == NULL) {
        return NULL;
    }
    size_t count = 0;
    for (const OSSL_ALGORITHM *algorithm = all; algorithm->algorithm_names != NULL; algorithm++) {
        count += IsAllowed(list, algorithm->algorithm_names) ? 1 : 0;
    }
    // The table ends with an all-NULL entry, as OpenSSL's do.
    OSSL_ALGORITHM *table = calloc(count + 1, sizeof(*table));
    if (table == NULL) {
        return NULL;
    }
    size_t next = 0;
    for (const OSSL_ALGORITHM *algorithm = all; algorithm->algorithm_names != NULL; algorithm++) {
        if (IsAllowed(list, algorithm->algorithm_names)) {
            table[next++] = *algorithm;
        }
    }
    return table;
}

static const OSSL_ALGORITHM *NarrowQueryOperation(void *providerContext, int operationId,
                                                  int *noCache) {
    (void)providerContext;
    *noCache = 0;
    for (size_t i = 0; i < OPERATION_COUNT; i++) {
        if (allowLists[i].operationId == operationId) {
            if (narrowTables[i] == NULL) {
                narrowTables[i] = BuildNarrowTable(&allowLists[i]);
            }
            // A table that could not be built (out of memory) must not be remembered as "no
            // algorithms": OpenSSL would never ask again, and TLS would stay broken for good.
            *noCache = narrowTables[i] == NULL ? 1 : 0;
            return narrowTables[i];
        }
    }
    return NULL;
}

// libssl learns the key-exchange groups (and their security levels) from this capability.
static int NarrowGetCapabilities(void *providerContext, const char *capability, OSSL_CALLBACK *cb,
                                 void *arg) {
    (void)providerContext;
    return OSSL_PROVIDER_get_capabilities(defaultProvider, capability, cb, arg);
}

static const OSSL_DISPATCH narrowDispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))NarrowQueryOperation},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, (void (*)(void))NarrowGetCapabilities},
    {0, NULL},
};

static int NarrowProviderInit(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                              const OSSL_DISPATCH **out, void **providerContext) {
    (void)handle;
    (void)in;
    // The algorithms are the default provider's and expect its context.
    *providerContext = OSSL_PROVIDER_get0_provider_ctx(defaultProvider);
    *out = narrowDispatch;
    return 1;
}

// Returns NULL on success, else what failed.
static const char *LoadNarrowProvider(void) {
    innerContext = OSSL_LIB_CTX_new();
    if (innerContext == NULL) {
        return "cannot create a library context";
    }
    defaultProvider = OSSL_PROVIDER_load(innerContext, "default");
    if (defaultProvider == NULL) {
        return "cannot load the default provider";
    }
    if (RAND_set_DRBG_type(innerContext, "HASH-DRBG", NULL, NULL, "SHA2-256") != 1 ||
        RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA2-256") != 1) {
        return "cannot choose the hash DRBG";
    }
    if (OSSL_PROVIDER_add_builtin(NULL, narrowProviderName, NarrowProviderInit) != 1) {
        return "cannot register the narrow provider";
    }
    narrowProvider = OSSL_PROVIDER_load(NULL, narrowProviderName);
    if (narrowProvider == NULL) {
        return "cannot load the narrow provider";
    }
    return NULL;
}

#endif  // MQTT_TLS_NARROW_PROVIDER

void MqttTls_InitLibrary(void) {
#ifdef MQTT_TLS_NARROW_PROVIDER
    // No configuration file: the device has none, the app's TLS settings are all made in code,
    // and a host file that activates providers would undo the narrowing. No error strings: over
    // 60 KiB of heap, and libmosquitto reports TLS failures as codes. No legacy cipher-name
    // table: libssl fetches ciphers by the names providers give them, and every library context
    // would copy the table's names into its own. (The digest table stays: certificate checks
    // look digests up in it.)
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
                         OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ADD_ALL_CIPHERS,
                     NULL);
    if (innerContext != NULL) {
        return;
    }
    const char *failure = LoadNarrowProvider();
    if (failure != NULL) {
        // OpenSSL then loads its default provider into the default context at first use.
        Log_Debug("WARNING: tls: %s; using all of OpenSSL's algorithms, which costs memory.\n",
                  failure);
    }
#elif defined(OPENSSL_INIT_NO_LOAD_SSL_STRINGS)
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
#else
    // wolfSSL's OpenSSL layer (the device build) has no error strings to leave out.
    OPENSSL_init_ssl(0, NULL);
#endif
}

void *MqttTls_CreateClientContext(const char *host, const char *caPath,
                                  bool (*configureClientCertificate)(void *sslContext, char *error,
                                                                     size_t errorSize),
                                  char *error, size_t errorSize) {
    SSL_CTX *context = SSL_CTX_new(TLS_client_method());
    if (context == NULL) {
        snprintf(error, errorSize, "cannot create a TLS context");
        return NULL;
    }
    char reason[128];
    reason[0] = '\0';
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, NULL);
    // Idle connections give back their 16 KiB read and write buffers: most of the time an IoT
    // device's connection is idle, and 32 KiB is an eighth of the app's memory.
    SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
    // The app's messages are small; records of at most 2 KiB shrink the write buffer from 16 KiB
    // and cost a few bytes of framing per 2 KiB of the rare large message.
#ifdef SSL_CTX_set_max_send_fragment
    SSL_CTX_set_max_send_fragment(context, 2048);
#endif
    // (wolfSSL's OpenSSL layer lacks the call: its record buffers are sized when it is built.)
    if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(context, tls12CipherList) != 1 ||
        X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(context), host, 0) != 1) {
        snprintf(error, errorSize, "cannot set up TLS for %s", host);
        goto fail;
    }
    if (SSL_CTX_load_verify_locations(context, caPath, NULL) != 1) {
        snprintf(error, errorSize, "cannot load trusted CA certificates from %s", caPath);
        goto fail;
    }
    if (!configureClientCertificate(context, reason, sizeof(reason))) {
        snprintf(error, errorSize, "client certificate: %s", reason);
        goto fail;
    }
    return context;
fail:
    SSL_CTX_free(context);
    return NULL;
}

void MqttTls_FreeClientContext(void *sslContext) {
    SSL_CTX_free(sslContext);
}
