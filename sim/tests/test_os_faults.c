// SPDX-License-Identifier: MIT
// Unit tests for the OS fault controls: parsing of the dns, time-sync, storage and memory control
// requests (ctl_faults.c through sim_ctl_parse), and which names a DNS fault covers.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "devbus.h"
#include "ctl_parse_assert.h"
#include "os/ctl_commands.h"
#include "os/dns_fault.h"

static void test_sim_ctl_parse_dns_valid_requests_fill_request(void **state) {
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"dns\",\"state\":\"fail\"}", &request, &error), 0);
    assert_int_equal(request.cmd, SIM_CTL_DNS);
    assert_true(request.dns_fail);
    assert_string_equal(request.dns_host, "");
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"dns\",\"state\":\"fail\",\"host\":\"*.azure-devices."
                                   "net\"}",
                                   &request, &error),
                     0);
    assert_string_equal(request.dns_host, "*.azure-devices.net");
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"dns\",\"state\":\"ok\"}", &request, &error), 0);
    assert_false(request.dns_fail);
}

static void test_sim_ctl_parse_dns_bad_fields_name_them(void **state) {
    assert_ctl_error("{\"cmd\":\"dns\"}", "dns: \"state\" must be fail or ok");
    assert_ctl_error("{\"cmd\":\"dns\",\"state\":\"down\"}", "dns: \"state\"");
    assert_ctl_error("{\"cmd\":\"dns\",\"state\":\"ok\",\"host\":\"a.b\"}", "goes with");
    assert_ctl_error("{\"cmd\":\"dns\",\"state\":\"fail\",\"host\":\"a b\"}", "dns: \"host\"");
    assert_ctl_error("{\"cmd\":\"dns\",\"state\":\"fail\",\"host\":\"\"}", "dns: \"host\"");
    assert_ctl_error("{\"cmd\":\"dns\",\"state\":\"fail\",\"host\":7}", "dns: \"host\"");
    char line[400];
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    snprintf(line, sizeof(line), "{\"cmd\":\"dns\",\"state\":\"fail\",\"host\":\"%s\"}", long_name);
    assert_ctl_error(line, "at most 253");
}

static void test_sim_ctl_parse_time_sync_states_fill_request(void **state) {
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(
        sim_ctl_parse("{\"cmd\":\"time-sync\",\"state\":\"unsynced\"}", &request, &error), 0);
    assert_int_equal(request.cmd, SIM_CTL_TIME_SYNC);
    assert_false(request.time_server_answers);
    assert_int_equal(
        sim_ctl_parse("{\"cmd\":\"time-sync\",\"state\":\"synced\"}", &request, &error), 0);
    assert_true(request.time_server_answers);
    assert_ctl_error("{\"cmd\":\"time-sync\",\"state\":\"lost\"}",
                     "time-sync: \"state\" must be synced or unsynced");
    assert_ctl_error("{\"cmd\":\"time-sync\"}", "time-sync: \"state\"");
}

static void test_sim_ctl_parse_storage_states_fill_request(void **state) {
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"storage\",\"state\":\"full\"}", &request, &error),
                     0);
    assert_int_equal(request.cmd, SIM_CTL_STORAGE);
    assert_int_equal(request.storage_fault, DEVBUS_STORAGE_FULL);
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"storage\",\"state\":\"eio\"}", &request, &error), 0);
    assert_int_equal(request.storage_fault, DEVBUS_STORAGE_EIO);
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"storage\",\"state\":\"ok\"}", &request, &error), 0);
    assert_int_equal(request.storage_fault, DEVBUS_STORAGE_OK);
    assert_ctl_error("{\"cmd\":\"storage\",\"state\":\"heal\"}",
                     "storage: \"state\" must be full, eio or ok");
    assert_ctl_error("{\"cmd\":\"storage\",\"state\":1}", "storage: \"state\"");
}

static void test_sim_ctl_parse_memory_limit_or_ok_fills_request(void **state) {
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"memory\",\"limit\":131072}", &request, &error), 0);
    assert_int_equal(request.cmd, SIM_CTL_MEMORY);
    assert_int_equal(request.heap_limit_bytes, 131072);
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"memory\",\"limit\":1073741824}", &request, &error),
                     0);
    assert_int_equal(request.heap_limit_bytes, 1073741824);
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"memory\",\"state\":\"ok\"}", &request, &error), 0);
    assert_int_equal(request.heap_limit_bytes, 0);
}

static void test_sim_ctl_parse_memory_bad_fields_name_them(void **state) {
    const char *expected = "memory: expected \"limit\" (a whole number of bytes, 1 to 1073741824)";
    assert_ctl_error("{\"cmd\":\"memory\"}", expected);
    assert_ctl_error("{\"cmd\":\"memory\",\"limit\":0}", expected);
    assert_ctl_error("{\"cmd\":\"memory\",\"limit\":-5}", expected);
    assert_ctl_error("{\"cmd\":\"memory\",\"limit\":1.5}", expected);
    assert_ctl_error("{\"cmd\":\"memory\",\"limit\":1073741825}", expected);
    assert_ctl_error("{\"cmd\":\"memory\",\"limit\":\"128KiB\"}", expected);
    assert_ctl_error("{\"cmd\":\"memory\",\"state\":\"full\"}", expected);
    assert_ctl_error("{\"cmd\":\"memory\",\"limit\":100,\"state\":\"ok\"}", expected);
}

static void test_sim_dns_fault_applies_patterns_match_like_allowed_connections(void **state) {
    struct sim_dns_fault fault = {0};
    assert_false(sim_dns_fault_applies(&fault, "hub.azure-devices.net"));
    assert_int_equal(sim_dns_fault_fail(&fault, NULL), 0);
    assert_true(sim_dns_fault_applies(&fault, "anything.example"));
    assert_int_equal(sim_dns_fault_fail(&fault, "*.azure-devices.net"), 0);
    assert_true(sim_dns_fault_applies(&fault, "hub.azure-devices.net"));
    assert_true(sim_dns_fault_applies(&fault, "HUB.Azure-Devices.NET."));
    assert_false(sim_dns_fault_applies(&fault, "azure-devices.net"));
    assert_false(sim_dns_fault_applies(&fault, "global.azure-devices-provisioning.net"));
    assert_int_equal(sim_dns_fault_fail(&fault, "hub.test"), 0);
    assert_true(sim_dns_fault_applies(&fault, "hub.test"));
    assert_false(sim_dns_fault_applies(&fault, "x.hub.test"));
    sim_dns_fault_clear(&fault);
    assert_false(sim_dns_fault_applies(&fault, "hub.test"));
}

static void test_sim_dns_fault_fail_too_long_is_refused_unchanged(void **state) {
    struct sim_dns_fault fault = {0};
    char name[400];
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(sim_dns_fault_fail(&fault, name), -1);
    assert_false(fault.failing);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_ctl_parse_dns_valid_requests_fill_request),
        cmocka_unit_test(test_sim_ctl_parse_dns_bad_fields_name_them),
        cmocka_unit_test(test_sim_ctl_parse_time_sync_states_fill_request),
        cmocka_unit_test(test_sim_ctl_parse_memory_limit_or_ok_fills_request),
        cmocka_unit_test(test_sim_ctl_parse_memory_bad_fields_name_them),
        cmocka_unit_test(test_sim_ctl_parse_storage_states_fill_request),
        cmocka_unit_test(test_sim_dns_fault_applies_patterns_match_like_allowed_connections),
        cmocka_unit_test(test_sim_dns_fault_fail_too_long_is_refused_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
