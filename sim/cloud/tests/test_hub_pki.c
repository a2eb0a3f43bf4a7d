// SPDX-License-Identifier: MIT
// Unit tests for the hub's PKI: a P-256 root CA, a server certificate that carries every name as
// a SAN and verifies against the CA, kept while current and issued again when the names change
// or the CA does, and refusal of a half-present CA or an unusable name.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "cloud/hub_pki.h"

struct fixture {
    char dir[64];
    char pki[256];
    char err[512];
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-pki-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->pki, sizeof f->pki, "%s/state/pki", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static X509 *read_cert(const struct fixture *f, const char *name) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", f->pki, name);
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    X509 *cert = PEM_read_X509(file, NULL, NULL, NULL);
    fclose(file);
    assert_non_null(cert);
    return cert;
}

static bool has_san(X509 *cert, int type, const char *text) {
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    bool found = false;
    for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names) && !found; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type != type) {
            continue;
        }
        const ASN1_STRING *s = type == GEN_DNS ? gn->d.dNSName : gn->d.iPAddress;
        found = type == GEN_DNS ? (size_t)ASN1_STRING_length(s) == strlen(text) &&
                                      memcmp(ASN1_STRING_get0_data(s), text, strlen(text)) == 0
                                : ASN1_STRING_length(s) == 4 &&
                                      memcmp(ASN1_STRING_get0_data(s), "\x7f\x00\x00\x01", 4) == 0;
    }
    GENERAL_NAMES_free(names);
    return found;
}

static const char *const default_names[] = {"localhost", "127.0.0.1", "hub.azure-devices.net",
                                            "global.azure-devices-provisioning.net"};

static void test_hub_pki_ensure_fresh_dir_issues_ca_and_server(void **state) {
    struct fixture *f = *state;
    int issued = 0;
    assert_int_equal(hub_pki_ensure(f->pki, default_names, 4, &issued, f->err, sizeof f->err),
                     HUB_PKI_OK);
    assert_int_equal(issued, 1);
    X509 *ca = read_cert(f, HUB_PKI_CA_CERT);
    X509 *server = read_cert(f, HUB_PKI_SERVER_CERT);
    assert_int_equal(X509_check_ca(ca), 1);
    EVP_PKEY *ca_key = X509_get0_pubkey(ca);
    assert_true(EVP_PKEY_is_a(ca_key, "EC"));
    assert_true(has_san(server, GEN_DNS, "localhost"));
    assert_true(has_san(server, GEN_IPADD, "127.0.0.1"));
    assert_true(has_san(server, GEN_DNS, "hub.azure-devices.net"));
    assert_true(has_san(server, GEN_DNS, "global.azure-devices-provisioning.net"));

    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX_init(ctx, store, server, NULL);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    assert_int_equal(X509_verify_cert(ctx), 1);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);

    char key_path[PATH_MAX];
    snprintf(key_path, sizeof key_path, "%s/%s", f->pki, HUB_PKI_SERVER_KEY);
    assert_int_equal(access(key_path, R_OK), 0);
    X509_free(ca);
    X509_free(server);
}

static void test_hub_pki_ensure_same_names_keeps_server_cert(void **state) {
    struct fixture *f = *state;
    int issued = 0;
    assert_int_equal(hub_pki_ensure(f->pki, default_names, 4, NULL, f->err, sizeof f->err),
                     HUB_PKI_OK);
    // Order and duplicates do not matter.
    const char *const shuffled[] = {"global.azure-devices-provisioning.net", "127.0.0.1",
                                    "localhost", "hub.azure-devices.net", "localhost"};
    assert_int_equal(hub_pki_ensure(f->pki, shuffled, 5, &issued, f->err, sizeof f->err),
                     HUB_PKI_OK);
    assert_int_equal(issued, 0);
}

static void test_hub_pki_ensure_new_name_reissues_with_same_ca(void **state) {
    struct fixture *f = *state;
    assert_int_equal(hub_pki_ensure(f->pki, default_names, 4, NULL, f->err, sizeof f->err),
                     HUB_PKI_OK);
    X509 *ca_before = read_cert(f, HUB_PKI_CA_CERT);
    const char *const more[] = {"localhost", "127.0.0.1", "hub.azure-devices.net",
                                "global.azure-devices-provisioning.net", "extra.example.test"};
    int issued = 0;
    assert_int_equal(hub_pki_ensure(f->pki, more, 5, &issued, f->err, sizeof f->err), HUB_PKI_OK);
    assert_int_equal(issued, 1);
    X509 *ca_after = read_cert(f, HUB_PKI_CA_CERT);
    X509 *server = read_cert(f, HUB_PKI_SERVER_CERT);
    assert_int_equal(X509_cmp(ca_before, ca_after), 0);
    assert_true(has_san(server, GEN_DNS, "extra.example.test"));
    X509_free(ca_before);
    X509_free(ca_after);
    X509_free(server);
}

static void test_hub_pki_ensure_replaced_ca_reissues_server(void **state) {
    struct fixture *f = *state;
    assert_int_equal(hub_pki_ensure(f->pki, default_names, 4, NULL, f->err, sizeof f->err),
                     HUB_PKI_OK);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", f->pki, HUB_PKI_CA_CERT);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s", f->pki, HUB_PKI_CA_KEY);
    unlink(path);
    int issued = 0;
    assert_int_equal(hub_pki_ensure(f->pki, default_names, 4, &issued, f->err, sizeof f->err),
                     HUB_PKI_OK);
    assert_int_equal(issued, 1);
}

static void test_hub_pki_ensure_lone_ca_key_fails_invalid(void **state) {
    struct fixture *f = *state;
    assert_int_equal(hub_pki_ensure(f->pki, default_names, 4, NULL, f->err, sizeof f->err),
                     HUB_PKI_OK);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", f->pki, HUB_PKI_CA_CERT);
    unlink(path);
    assert_int_equal(hub_pki_ensure(f->pki, default_names, 4, NULL, f->err, sizeof f->err),
                     HUB_PKI_ERR_INVALID);
    assert_non_null(strstr(f->err, HUB_PKI_CA_KEY));
}

static void test_hub_pki_ensure_bad_names_fail_invalid(void **state) {
    struct fixture *f = *state;
    const char *const comma[] = {"localhost,DNS:evil"};
    assert_int_equal(hub_pki_ensure(f->pki, comma, 1, NULL, f->err, sizeof f->err),
                     HUB_PKI_ERR_INVALID);
    const char *const empty[] = {""};
    assert_int_equal(hub_pki_ensure(f->pki, empty, 1, NULL, f->err, sizeof f->err),
                     HUB_PKI_ERR_INVALID);
    assert_int_equal(hub_pki_ensure(f->pki, default_names, 0, NULL, f->err, sizeof f->err),
                     HUB_PKI_ERR_INVALID);
}

// Whether cert verifies as a TLS server certificate against the CA certificates in the PEM file
// at path.
static bool verifies_against(X509 *cert, const char *path) {
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_int_equal(X509_STORE_load_file(store, path), 1);
    X509_STORE_CTX_init(ctx, store, cert, NULL);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    bool ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
}

static void test_hub_pki_ensure_untrusted_same_names_other_ca(void **state) {
    struct fixture *f = *state;
    assert_int_equal(hub_pki_ensure(f->pki, default_names, 4, NULL, f->err, sizeof f->err),
                     HUB_PKI_OK);
    assert_int_equal(hub_pki_ensure_untrusted(f->pki, f->err, sizeof f->err), HUB_PKI_OK);
    X509 *server = read_cert(f, HUB_PKI_UNTRUSTED_DIR "/" HUB_PKI_SERVER_CERT);
    X509 *hub_server = read_cert(f, HUB_PKI_SERVER_CERT);
    assert_true(has_san(server, GEN_DNS, "localhost"));
    assert_true(has_san(server, GEN_IPADD, "127.0.0.1"));
    assert_true(has_san(server, GEN_DNS, "hub.azure-devices.net"));
    assert_int_equal(
        X509_NAME_cmp(X509_get_subject_name(server), X509_get_subject_name(hub_server)), 0);
    char hub_ca[PATH_MAX];
    char other_ca[PATH_MAX];
    char trust[PATH_MAX];
    snprintf(hub_ca, sizeof hub_ca, "%s/%s", f->pki, HUB_PKI_CA_CERT);
    snprintf(other_ca, sizeof other_ca, "%s/%s/%s", f->pki, HUB_PKI_UNTRUSTED_DIR, HUB_PKI_CA_CERT);
    snprintf(trust, sizeof trust, "%s/%s", f->pki, HUB_PKI_SERVICE_TRUST);
    // A device trusting the hub CA refuses it; its own CA vouches for it; the service trusts both.
    assert_false(verifies_against(server, hub_ca));
    assert_true(verifies_against(server, other_ca));
    assert_true(verifies_against(server, trust));
    assert_true(verifies_against(hub_server, trust));
    X509_free(server);
    X509_free(hub_server);
}

static void test_hub_pki_ensure_untrusted_without_server_cert_fails_invalid(void **state) {
    struct fixture *f = *state;
    assert_int_equal(hub_pki_ensure_untrusted(f->pki, f->err, sizeof f->err), HUB_PKI_ERR_INVALID);
    assert_non_null(strstr(f->err, HUB_PKI_SERVER_CERT));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_hub_pki_ensure_fresh_dir_issues_ca_and_server),
        T(test_hub_pki_ensure_same_names_keeps_server_cert),
        T(test_hub_pki_ensure_new_name_reissues_with_same_ca),
        T(test_hub_pki_ensure_replaced_ca_reissues_server),
        T(test_hub_pki_ensure_lone_ca_key_fails_invalid),
        T(test_hub_pki_ensure_bad_names_fail_invalid),
        T(test_hub_pki_ensure_untrusted_same_names_other_ca),
        T(test_hub_pki_ensure_untrusted_without_server_cert_fails_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
