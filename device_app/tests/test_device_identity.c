// SPDX-License-Identifier: MIT
// Unit tests for device_identity: the device id is the certificate's CN, a renewed
// certificate is noticed, and unusable files (missing, empty, garbage, no CN, two CNs, a CN a
// device id cannot have, too large) are refused with a reason. Certificates are made here with
// OpenSSL, in a private temporary directory.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "device_identity.h"

static char directory[64];
static char path[128];
static char error[DEVICE_IDENTITY_ERROR_SIZE];

// Writes a self-signed certificate whose subject has the given CNs (and its key, as the
// device's file does) to path.
static void WriteCertificate(const char *const *commonNames, size_t count, long serial) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    assert_non_null(key);
    X509 *certificate = X509_new();
    assert_non_null(certificate);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial);
    X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
    X509_NAME *name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0);
    for (size_t i = 0; i < count; i++) {
        // A plain string type, not MBSTRING_ASC: the latter enforces X.520's 64-character
        // limit on CNs, and the simulated device ids are 128 characters.
        assert_int_equal(
            X509_NAME_add_entry_by_txt(name, "CN", V_ASN1_UTF8STRING,
                                       (const unsigned char *)commonNames[i], -1, -1, 0),
            1);
    }
    X509_set_issuer_name(certificate, name);
    X509_set_pubkey(certificate, key);
    assert_true(X509_sign(certificate, key, EVP_sha256()) > 0);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(PEM_write_X509(file, certificate), 1);
    assert_int_equal(PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(file);
    X509_free(certificate);
    EVP_PKEY_free(key);
}

static void WriteText(const char *text, size_t length) {
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fwrite(text, 1, length, file), length);
    fclose(file);
}

static int Setup(void **state) {
    snprintf(directory, sizeof(directory), "/tmp/test_device_identity.XXXXXX");
    if (mkdtemp(directory) == NULL) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/device.pem", directory);
    return 0;
}

static int Teardown(void **state) {
    unlink(path);
    rmdir(directory);
    return 0;
}

static void test_Load_certificateWithCn_deviceIdIsCn(void **state) {
    const char *cn[] = {"0123abcdef"};
    WriteCertificate(cn, 1, 1);
    DeviceIdentity identity = {0};
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Ok);
    assert_string_equal(identity.deviceId, "0123abcdef");
    assert_true(identity.loaded);
    // Loading the same file again is not a change.
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Ok);
}

static void test_Load_renewedCertificate_changed(void **state) {
    const char *cn[] = {"device-1"};
    WriteCertificate(cn, 1, 1);
    DeviceIdentity identity = {0};
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Ok);
    WriteCertificate(cn, 1, 2);
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Changed);
    assert_string_equal(identity.deviceId, "device-1");
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Ok);
}

static void test_Load_missingFile_unavailableKeepsIdentity(void **state) {
    const char *cn[] = {"device-1"};
    WriteCertificate(cn, 1, 1);
    DeviceIdentity identity = {0};
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Ok);
    unlink(path);
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Unavailable);
    assert_non_null(strstr(error, "cannot open"));
    assert_string_equal(identity.deviceId, "device-1");
    WriteText("", 0);
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Unavailable);
    assert_non_null(strstr(error, "empty"));
}

static void test_Load_garbage_invalid(void **state) {
    static const char garbage[] = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n";
    WriteText(garbage, sizeof(garbage) - 1);
    DeviceIdentity identity = {0};
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Invalid);
    assert_false(identity.loaded);
    assert_non_null(strstr(error, "no PEM certificate"));
}

static void test_Load_noCnOrTwoCns_invalid(void **state) {
    DeviceIdentity identity = {0};
    WriteCertificate(NULL, 0, 1);
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Invalid);
    assert_non_null(strstr(error, "exactly one CN"));
    const char *two[] = {"a", "b"};
    WriteCertificate(two, 2, 1);
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Invalid);
}

static void test_Load_cnNotADeviceId_invalid(void **state) {
    DeviceIdentity identity = {0};
    const char *spaces[] = {"has space"};
    WriteCertificate(spaces, 1, 1);
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Invalid);
    assert_non_null(strstr(error, "0x20"));
    char longId[DEVICE_IDENTITY_MAX_ID_LENGTH + 2];
    memset(longId, 'a', sizeof(longId) - 1);
    longId[sizeof(longId) - 1] = '\0';
    const char *tooLong[] = {longId};
    WriteCertificate(tooLong, 1, 1);
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Invalid);
}

static void test_Load_oversizedFile_invalid(void **state) {
    static char big[DEVICE_IDENTITY_MAX_FILE_SIZE + 100];
    memset(big, 'x', sizeof(big));
    WriteText(big, sizeof(big));
    DeviceIdentity identity = {0};
    assert_int_equal(DeviceIdentity_Load(&identity, path, error, sizeof(error)),
                     DeviceIdentity_Result_Invalid);
    assert_non_null(strstr(error, "larger than"));
}

static void test_Load_nullArguments_invalidArgument(void **state) {
    DeviceIdentity identity = {0};
    assert_int_equal(DeviceIdentity_Load(NULL, path, error, sizeof(error)),
                     DeviceIdentity_Result_InvalidArgument);
    assert_int_equal(DeviceIdentity_Load(&identity, NULL, error, sizeof(error)),
                     DeviceIdentity_Result_InvalidArgument);
    assert_int_equal(DeviceIdentity_Load(&identity, path, NULL, 0),
                     DeviceIdentity_Result_InvalidArgument);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_Load_certificateWithCn_deviceIdIsCn, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_Load_renewedCertificate_changed, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_Load_missingFile_unavailableKeepsIdentity, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_Load_garbage_invalid, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_Load_noCnOrTwoCns_invalid, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_Load_cnNotADeviceId_invalid, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_Load_oversizedFile_invalid, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_Load_nullArguments_invalidArgument, Setup, Teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
