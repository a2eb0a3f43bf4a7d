// SPDX-License-Identifier: MIT
// Unit tests for options: the samples' CmdArgs (--Hostname, --ScopeID) plus --RootCA, every
// way a manifest's CmdArgs can be wrong, and host-name validation.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

#define ARGC(argv) ((int)(sizeof(argv) / sizeof((argv)[0])))

static Options options;
static char error[OPTIONS_ERROR_SIZE];

static void test_Parse_hostname_directWithDefaultRootCa(void **state) {
    char *argv[] = {"app", "--Hostname", "contoso.azure-devices.net"};
    assert_true(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
    assert_int_equal(options.connectionType, Options_ConnectionType_Direct);
    assert_string_equal(options.hostname, "contoso.azure-devices.net");
    assert_string_equal(options.rootCaPath, OPTIONS_DEFAULT_ROOT_CA_PATH);
    assert_string_equal(error, "");
}

static void test_Parse_scopeAndRootCa_dpsWithGivenRootCa(void **state) {
    char *argv[] = {"app", "--RootCA", "certs/hub-ca.pem", "--ScopeID", "0ne00AB12CD"};
    assert_true(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
    assert_int_equal(options.connectionType, Options_ConnectionType_Dps);
    assert_string_equal(options.scopeId, "0ne00AB12CD");
    assert_string_equal(options.rootCaPath, "certs/hub-ca.pem");
}

static void test_Parse_nothing_failsNamingBothOptions(void **state) {
    char *argv[] = {"app"};
    assert_false(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
    assert_non_null(strstr(error, "--Hostname"));
    assert_non_null(strstr(error, "--ScopeID"));
}

static void test_Parse_both_fails(void **state) {
    char *argv[] = {"app", "--Hostname", "a.azure-devices.net", "--ScopeID", "0ne00AB12CD"};
    assert_false(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
    assert_non_null(strstr(error, "not both"));
}

static void test_Parse_unknownOption_failsNamingIt(void **state) {
    char *argv[] = {"app", "--Hostname", "a.azure-devices.net", "--Verbose"};
    assert_false(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
    assert_non_null(strstr(error, "unknown option '--Verbose'"));
}

static void test_Parse_missingValue_fails(void **state) {
    char *argv[] = {"app", "--Hostname"};
    assert_false(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
    assert_non_null(strstr(error, "--Hostname needs a value"));
}

static void test_Parse_repeatedOption_fails(void **state) {
    char *argv[] = {"app", "--Hostname", "a.azure-devices.net", "--Hostname",
                    "b.azure-devices.net"};
    assert_false(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
    assert_non_null(strstr(error, "given twice"));
}

static void test_Parse_badHostname_failsQuotingIt(void **state) {
    char *argv[] = {"app", "--Hostname", "bad host/../x"};
    assert_false(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
    assert_non_null(strstr(error, "'bad host/../x'"));
}

static void test_Parse_controlCharacters_replacedInError(void **state) {
    char *argv[] = {"app", "--ScopeID", "0ne\n\x1b[31m"};
    assert_false(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
    for (const char *p = error; *p != '\0'; p++) {
        assert_true(*p >= 0x20 && *p < 0x7F);
    }
}

static void test_Parse_hugeValue_failsWithBoundedError(void **state) {
    static char huge[4096];
    memset(huge, 'a', sizeof(huge) - 1);
    char *argv[] = {"app", "--ScopeID", huge};
    assert_false(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
    assert_true(strlen(error) < sizeof(error));
    assert_non_null(strstr(error, "..."));
}

static void test_Parse_rootCaEscapingPackage_fails(void **state) {
    const char *bad[] = {"/etc/ssl/ca.pem", "../ca.pem", "certs/../../ca.pem", ".hidden", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[] = {"app", "--ScopeID", "0ne00AB12CD", "--RootCA", (char *)bad[i]};
        assert_false(Options_Parse(ARGC(argv), argv, &options, error, sizeof(error)));
        assert_non_null(strstr(error, "--RootCA"));
    }
}

static void test_Parse_nullArguments_fail(void **state) {
    char *argv[] = {"app", "--ScopeID", "0ne00AB12CD"};
    assert_false(Options_Parse(ARGC(argv), argv, NULL, error, sizeof(error)));
    assert_false(Options_Parse(ARGC(argv), argv, &options, NULL, 0));
    assert_false(Options_Parse(3, NULL, &options, error, sizeof(error)));
    char *withNull[] = {"app", "--ScopeID", NULL};
    assert_false(Options_Parse(3, withNull, &options, error, sizeof(error)));
}

static void test_IsValidHostname_shapes_acceptedOrRefused(void **state) {
    assert_true(Options_IsValidHostname("contoso.azure-devices.net"));
    assert_true(Options_IsValidHostname("a"));
    assert_true(Options_IsValidHostname("x-1.y2"));
    assert_false(Options_IsValidHostname(""));
    assert_false(Options_IsValidHostname(NULL));
    assert_false(Options_IsValidHostname(".a"));
    assert_false(Options_IsValidHostname("a."));
    assert_false(Options_IsValidHostname("a..b"));
    assert_false(Options_IsValidHostname("-a.b"));
    assert_false(Options_IsValidHostname("a-.b"));
    assert_false(Options_IsValidHostname("a_b.c"));
    assert_false(Options_IsValidHostname("a b"));
    char label[70];
    memset(label, 'a', 64);
    label[64] = '\0';
    assert_false(Options_IsValidHostname(label));
    label[63] = '\0';
    assert_true(Options_IsValidHostname(label));
    char longName[300];
    memset(longName, 'a', sizeof(longName) - 1);
    for (size_t i = 50; i < sizeof(longName) - 1; i += 50) {
        longName[i] = '.';
    }
    longName[sizeof(longName) - 1] = '\0';
    assert_false(Options_IsValidHostname(longName));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_Parse_hostname_directWithDefaultRootCa),
        cmocka_unit_test(test_Parse_scopeAndRootCa_dpsWithGivenRootCa),
        cmocka_unit_test(test_Parse_nothing_failsNamingBothOptions),
        cmocka_unit_test(test_Parse_both_fails),
        cmocka_unit_test(test_Parse_unknownOption_failsNamingIt),
        cmocka_unit_test(test_Parse_missingValue_fails),
        cmocka_unit_test(test_Parse_repeatedOption_fails),
        cmocka_unit_test(test_Parse_badHostname_failsQuotingIt),
        cmocka_unit_test(test_Parse_controlCharacters_replacedInError),
        cmocka_unit_test(test_Parse_hugeValue_failsWithBoundedError),
        cmocka_unit_test(test_Parse_rootCaEscapingPackage_fails),
        cmocka_unit_test(test_Parse_nullArguments_fail),
        cmocka_unit_test(test_IsValidHostname_shapes_acceptedOrRefused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
