// SPDX-License-Identifier: MIT
// Unit tests for the app-manifest parser (sim/os/manifest.c): the manifests of the Azure Sphere
// samples load with the capabilities the OS must enforce, and malformed manifests are refused
// with a result code and a message that names the file, the field and what is wrong with it.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/hwdef.h"
#include "os/manifest.h"

#define FIXTURE(name) SPHERESIM_TEST_MANIFEST_DIR "/" name
#define GUID "4a3b2c1d-0000-4000-8000-00000000abcd"
#define HEAD                                                          \
    "\"SchemaVersion\": 1, \"Name\": \"T\", \"ComponentId\": \"" GUID \
    "\", "                                                            \
    "\"EntryPoint\": \"/bin/app\", \"ApplicationType\": \"Default\""
#define WITH_CAPS(caps) "{" HEAD ", \"Capabilities\": {" caps "}}"
#define WITH_TOP(fields) "{" fields ", \"Capabilities\": {}}"

struct fixture {
    struct sim_hwdef hw;
    struct sim_manifest m;
    char err[1024];
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return -1;
    }
    char err[512];
    if (sim_hwdef_load(sim_hwdef_default_for_board("mt3620_rdb"), &f->hw, err, sizeof(err)) !=
        SIM_HWDEF_OK) {
        fprintf(stderr, "hardware definition: %s\n", err);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    free(*state);
    return 0;
}

static void assert_contains(const char *haystack, const char *needle) {
    if (strstr(haystack, needle) == NULL) {
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
    }
}

static enum sim_manifest_result parse(struct fixture *f, const char *text, bool with_hw) {
    return sim_manifest_parse(text, strlen(text), "app_manifest.json", with_hw ? &f->hw : NULL,
                              &f->m, f->err, sizeof(f->err));
}

// --- valid manifests -------------------------------------------------------------------------

static void test_sim_manifest_load_azureiot_sample_resolves_names(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        sim_manifest_load(FIXTURE("azureiot.json"), &f->hw, &f->m, f->err, sizeof(f->err)),
        SIM_MANIFEST_OK);
    const struct sim_manifest *m = &f->m;
    assert_int_equal(m->schema_version, 1);
    assert_string_equal(m->name, "AzureIoT");
    assert_string_equal(m->component_id, "819255ff-8640-41fd-aea7-f85d34c491d5");
    assert_string_equal(m->entry_point, "/bin/app");
    assert_int_equal(m->cmd_arg_count, 2);
    assert_string_equal(m->cmd_args[0], "--ScopeID");
    assert_string_equal(m->cmd_args[1], "0ne00000000");
    assert_string_equal(m->application_type, "Default");
    assert_int_equal(m->malloc_version, 2);
    assert_int_equal(m->caps.gpio_count, 4);
    assert_int_equal(m->caps.gpio[0], 12);
    assert_int_equal(m->caps.gpio[1], 13);
    assert_int_equal(m->caps.gpio[2], 8);
    assert_int_equal(m->caps.gpio[3], 46);
    assert_int_equal(m->caps.allowed_connection_count, 2);
    assert_string_equal(m->caps.allowed_connections[0], "global.azure-devices-provisioning.net");
    assert_string_equal(m->caps.device_authentication, "00000000-0000-0000-0000-000000000000");
    assert_true(m->caps.power_force_reboot);
    assert_false(m->caps.power_force_power_down);
    assert_false(m->caps.mutable_storage);
    assert_true(sim_manifest_allows_gpio(m, 8));
    assert_false(sim_manifest_allows_gpio(m, 9));
    assert_false(sim_manifest_allows_gpio(NULL, 8));
}

static void test_sim_manifest_load_minimal_without_hw_succeeds(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        sim_manifest_load(FIXTURE("minimal.json"), NULL, &f->m, f->err, sizeof(f->err)),
        SIM_MANIFEST_OK);
    assert_string_equal(f->m.name, "Minimal");
    assert_int_equal(f->m.cmd_arg_count, 0);
    assert_int_equal(f->m.malloc_version, 0);
    assert_int_equal(f->m.caps.gpio_count, 0);
    assert_string_equal(f->m.caps.device_authentication, "");
    char caps[4][SIM_MANIFEST_STR + 32];
    assert_int_equal(sim_manifest_declared_capabilities(&f->m, caps, 4), 0);
}

static void test_sim_manifest_load_deferred_update_sample_succeeds(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        sim_manifest_load(FIXTURE("deferred_update.json"), &f->hw, &f->m, f->err, sizeof(f->err)),
        SIM_MANIFEST_OK);
    const int want[] = {12, 15, 16, 17, 20};
    assert_int_equal(f->m.caps.gpio_count, 5);
    for (size_t i = 0; i < 5; ++i) {
        assert_int_equal(f->m.caps.gpio[i], want[i]);
    }
    assert_true(f->m.caps.system_event_notifications);
    assert_true(f->m.caps.software_update_deferral);
    assert_false(f->m.caps.system_time);
}

static void test_sim_manifest_load_every_capability_kind_succeeds(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        sim_manifest_load(FIXTURE("peripherals.json"), &f->hw, &f->m, f->err, sizeof(f->err)),
        SIM_MANIFEST_OK);
    const struct sim_manifest_capabilities *c = &f->m.caps;
    assert_int_equal(c->gpio_count, 3);
    assert_int_equal(c->gpio[2], 5); /* $SAMPLE_NRF52_RESET: header 2, pin 4 */
    assert_int_equal(c->uart_count, 2);
    assert_string_equal(c->uart[0], "ISU0");
    assert_string_equal(c->uart[1], "ISU3");
    assert_string_equal(c->i2c_master[0], "ISU2");
    assert_string_equal(c->spi_master[0], "ISU1");
    assert_string_equal(c->adc[0], "ADC-CONTROLLER-0");
    assert_string_equal(c->pwm[0], "PWM-CONTROLLER-2");
    assert_string_equal(c->pwm[1], "PWM-CONTROLLER-0");
    assert_int_equal(c->allowed_connection_count, 3);
    assert_int_equal(c->allowed_tcp_server_ports[0], 11000);
    assert_int_equal(c->allowed_udp_server_port_count, 2);
    assert_string_equal(c->allowed_application_connections[0],
                        "005180bc-402f-4cb3-a662-72937dbcde47");
    assert_true(c->mutable_storage);
    assert_int_equal(c->mutable_storage_kb, 64);
    assert_true(c->system_time);
    assert_false(c->time_sync_config);
    assert_true(c->heap_mem_stats);
    assert_true(c->power_force_power_down && c->power_force_reboot && c->power_set_profile);
    assert_int_equal(f->m.malloc_version, 1);
    assert_string_equal(f->m.component_id, "A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF");
}

static void test_sim_manifest_declared_capabilities_lists_each_grant(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        sim_manifest_load(FIXTURE("peripherals.json"), &f->hw, &f->m, f->err, sizeof(f->err)),
        SIM_MANIFEST_OK);
    char caps[64][SIM_MANIFEST_STR + 32];
    size_t n = sim_manifest_declared_capabilities(&f->m, caps, 64);
    // 3 gpio + 2 uart + i2c + spi + adc + 2 pwm + 3 hosts + tcp + 2 udp + app + storage
    // + 10 true booleans + 3 power controls
    assert_int_equal(n, 3 + 2 + 1 + 1 + 1 + 2 + 3 + 1 + 2 + 1 + 1 + 10 + 3);
    const char *expect[] = {"Gpio:0",
                            "Gpio:80",
                            "Gpio:5",
                            "Uart:ISU0",
                            "I2cMaster:ISU2",
                            "Pwm:PWM-CONTROLLER-2",
                            "AllowedConnections:*.contoso.com",
                            "AllowedTcpServerPorts:11000",
                            "AllowedUdpServerPorts:65535",
                            "AllowedApplicationConnections:005180bc-402f-4cb3-a662-72937dbcde47",
                            "MutableStorage",
                            "SystemTime",
                            "HeapMemStats",
                            "PowerControls:ForceReboot",
                            "PowerControls:SetPowerProfile"};
    for (size_t e = 0; e < sizeof(expect) / sizeof(expect[0]); ++e) {
        bool found = false;
        for (size_t i = 0; i < n; ++i) {
            found = found || strcmp(caps[i], expect[e]) == 0;
        }
        if (!found) {
            fail_msg("%s missing from the declared capabilities", expect[e]);
        }
    }
    for (size_t i = 0; i < n; ++i) {
        assert_true(strcmp(caps[i], "TimeSyncConfig") != 0); /* declared false */
    }
    assert_int_equal(sim_manifest_declared_capabilities(&f->m, caps, 2), 2);
    assert_string_equal(caps[1], "Gpio:80");
    assert_int_equal(sim_manifest_declared_capabilities(NULL, caps, 2), 0);
}

static void test_sim_manifest_parse_long_name_keeps_31_bytes(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        parse(f,
              WITH_TOP("\"SchemaVersion\": 1, \"ComponentId\": \"" GUID "\", "
                       "\"EntryPoint\": \"/bin/app\", \"ApplicationType\": "
                       "\"Default\", \"Name\": \"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\""),
              false),
        SIM_MANIFEST_OK);
    assert_string_equal(f->m.name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234");
    // 30 ASCII bytes then a two-byte character: the cut must not split it.
    assert_int_equal(
        parse(f,
              WITH_TOP("\"SchemaVersion\": 1, \"ComponentId\": \"" GUID "\", "
                       "\"EntryPoint\": \"/bin/app\", \"ApplicationType\": "
                       "\"Default\", \"Name\": \"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123\xc3\xa9"
                       "\""),
              false),
        SIM_MANIFEST_OK);
    assert_string_equal(f->m.name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123");
}

static void test_sim_manifest_parse_unterminated_buffer_succeeds(void **state) {
    struct fixture *f = *state;
    const char text[] = WITH_CAPS("\"Gpio\": [8]") "GARBAGE";
    size_t len = strlen(text) - strlen("GARBAGE");
    assert_int_equal(
        sim_manifest_parse(text, len, "app_manifest.json", NULL, &f->m, f->err, sizeof(f->err)),
        SIM_MANIFEST_OK);
    assert_true(sim_manifest_allows_gpio(&f->m, 8));
}

// --- malformed manifests ---------------------------------------------------------------------

struct bad_case {
    const char *text;
    bool with_hw;
    enum sim_manifest_result rc;
    const char *message; /* must appear in the error, after "app_manifest.json: " */
};

static const struct bad_case bad_cases[] = {
    {WITH_CAPS("\"Gpio\": [8, 9, true]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpio[2]: expected an integer GPIO id or a \"$NAME\" from the hardware "
     "definition, got true"},
    {WITH_CAPS("\"Gpio\": [24]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpio[0]: GPIO 24 does not exist on the MT3620"},
    {WITH_CAPS("\"Gpio\": [8.5]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpio[0]: expected an integer GPIO id or a \"$NAME\" from the hardware "
     "definition, got 8.5"},
    {WITH_CAPS("\"Gpio\": [\"8\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpio[0]: expected an integer GPIO id or a \"$NAME\" from the hardware "
     "definition, got \"8\""},
    {WITH_CAPS("\"Gpio\": [\"$SAMPLE_LED\", 8]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpio[1]: GPIO 8 is already listed at Capabilities.Gpio[0]"},
    {WITH_CAPS("\"Gpio\": [\"$SAMPLE_NOPE\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpio[0]: \"$SAMPLE_NOPE\" is not defined in the hardware definition"},
    {WITH_CAPS("\"Gpio\": [\"$SAMPLE_NRF52_UART\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpio[0]: \"$SAMPLE_NRF52_UART\" has type Uart in the hardware definition; "
     "this list needs Gpio"},
    {WITH_CAPS("\"Gpio\": [\"$SAMPLE_LED\"]"), false, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpio[0]: \"$SAMPLE_LED\" needs a hardware definition"},
    {WITH_CAPS("\"Gpio\": 8"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpio: expected an array, got 8"},
    {WITH_CAPS("\"Uart\": [\"ISU5\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Uart[0]: expected \"ISU0\"..\"ISU4\" or a \"$NAME\" of type Uart, got \"ISU5\""},
    {WITH_CAPS("\"I2cMaster\": [\"ISU1\", \"ISU1\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.I2cMaster[1]: ISU1 is already listed at Capabilities.I2cMaster[0]"},
    {WITH_CAPS("\"Pwm\": [\"PWM-CONTROLLER-3\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Pwm[0]: expected \"PWM-CONTROLLER-0\"..\"PWM-CONTROLLER-2\""},
    {WITH_CAPS("\"Adc\": [\"$SAMPLE_LSM6DS3_I2C\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Adc[0]: \"$SAMPLE_LSM6DS3_I2C\" has type I2cMaster in the hardware "
     "definition; this list needs Adc"},
    {WITH_CAPS("\"SpiMaster\": [\"$SAMPLE_LSM6DS3_SPI_CS\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.SpiMaster[0]: \"$SAMPLE_LSM6DS3_SPI_CS\" has type int in the hardware "
     "definition"},
    {WITH_CAPS("\"AllowedConnections\": [\"\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.AllowedConnections[0]: expected a non-empty host name"},
    {WITH_CAPS("\"AllowedConnections\": [\"https://example.com\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.AllowedConnections[0]: expected a host name or IP address, not a URL"},
    {WITH_CAPS("\"AllowedConnections\": [\"a.example.com\", \"A.EXAMPLE.com\"]"), true,
     SIM_MANIFEST_ERR_FIELD, "Capabilities.AllowedConnections[1]: \"A.EXAMPLE.com\" is already"},
    {WITH_CAPS("\"AllowedConnections\": [\"example.com:443\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.AllowedConnections[0]: a port or IPv6 address is not allowed"},
    {WITH_CAPS("\"AllowedConnections\": [42]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.AllowedConnections[0]: expected a host name string, got 42"},
    {WITH_CAPS("\"AllowedTcpServerPorts\": [0]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.AllowedTcpServerPorts[0]: expected an integer from 1 to 65535, got 0"},
    {WITH_CAPS("\"AllowedUdpServerPorts\": [53, 70000]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.AllowedUdpServerPorts[1]: expected an integer from 1 to 65535, got 70000"},
    {WITH_CAPS("\"AllowedApplicationConnections\": [\"not-a-guid\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.AllowedApplicationConnections[0]: expected a GUID such as"},
    {WITH_CAPS("\"MutableStorage\": {\"SizeKB\": 65}"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.MutableStorage.SizeKB: expected an integer from 0 to 64, got 65"},
    {WITH_CAPS("\"MutableStorage\": 8"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.MutableStorage: expected an object such as { \"SizeKB\": 8 }, got 8"},
    {WITH_CAPS("\"MutableStorage\": {\"Size\": 8}"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.MutableStorage: unknown key \"Size\""},
    {WITH_CAPS("\"MutableStorage\": {}"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.MutableStorage.SizeKB: required field is missing"},
    {WITH_CAPS("\"DeviceAuthentication\": 5"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.DeviceAuthentication: expected a GUID such as"},
    {WITH_CAPS("\"SystemTime\": \"yes\""), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.SystemTime: expected true or false, got \"yes\""},
    {WITH_CAPS("\"WifiConfig\": 1"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.WifiConfig: expected true or false, got 1"},
    {WITH_CAPS("\"PowerControls\": [\"Reboot\"]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.PowerControls[0]: expected \"ForcePowerDown\", \"ForceReboot\" or "
     "\"SetPowerProfile\", got \"Reboot\""},
    {WITH_CAPS("\"PowerControls\": [\"ForceReboot\", \"ForceReboot\"]"), true,
     SIM_MANIFEST_ERR_FIELD, "Capabilities.PowerControls[1]: \"ForceReboot\" is listed twice"},
    {WITH_CAPS("\"Gpoi\": [8]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpoi: unknown capability \"Gpoi\""},
    {WITH_CAPS("\"gpio\": [8]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.gpio: unknown capability \"gpio\" (names are case-sensitive; did you mean "
     "\"Gpio\"?)"},
    {WITH_CAPS("\"Gpio\": [8], \"Gpio\": [9]"), true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities.Gpio: key \"Gpio\" appears twice"},
    {"{" HEAD "}", true, SIM_MANIFEST_ERR_FIELD, "Capabilities: required field is missing"},
    {"{" HEAD ", \"Capabilities\": []}", true, SIM_MANIFEST_ERR_FIELD,
     "Capabilities: expected an object, got an array"},
    {"{" HEAD ", \"Capabilities\": {}, \"Foo\": 1}", true, SIM_MANIFEST_ERR_FIELD,
     "Foo: unknown top-level key \"Foo\""},
    {"{" HEAD ", \"Capabilities\": {}, \"Name\": \"again\"}", true, SIM_MANIFEST_ERR_FIELD,
     "Name: key \"Name\" appears twice"},
    {WITH_TOP("\"SchemaVersion\": 2, \"Name\": \"T\", \"ComponentId\": \"" GUID "\", "
              "\"EntryPoint\": \"/bin/app\", \"ApplicationType\": \"Default\""),
     true, SIM_MANIFEST_ERR_FIELD, "SchemaVersion: expected 1 (the only schema version), got 2"},
    {WITH_TOP("\"Name\": \"T\", \"ComponentId\": \"" GUID "\", "
              "\"EntryPoint\": \"/bin/app\", \"ApplicationType\": \"Default\""),
     true, SIM_MANIFEST_ERR_FIELD, "SchemaVersion: required field is missing"},
    {WITH_TOP("\"SchemaVersion\": 1, \"Name\": \"\", \"ComponentId\": \"" GUID "\", "
              "\"EntryPoint\": \"/bin/app\", \"ApplicationType\": \"Default\""),
     true, SIM_MANIFEST_ERR_FIELD, "Name: expected a non-empty string, got \"\""},
    {WITH_TOP("\"SchemaVersion\": 1, \"Name\": \"a\\nb\", \"ComponentId\": \"" GUID "\", "
              "\"EntryPoint\": \"/bin/app\", \"ApplicationType\": \"Default\""),
     true, SIM_MANIFEST_ERR_FIELD, "Name: contains control characters: \"a\\x0ab\""},
    {WITH_TOP("\"SchemaVersion\": 1, \"Name\": \"T\", \"ComponentId\": \"1234\", "
              "\"EntryPoint\": \"/bin/app\", \"ApplicationType\": \"Default\""),
     true, SIM_MANIFEST_ERR_FIELD, "ComponentId: expected a GUID such as"},
    {WITH_TOP("\"SchemaVersion\": 1, \"Name\": \"T\", \"ComponentId\": \"" GUID "\", "
              "\"EntryPoint\": \"bin/app\", \"ApplicationType\": \"Default\""),
     true, SIM_MANIFEST_ERR_FIELD, "EntryPoint: expected an absolute path"},
    {WITH_TOP("\"SchemaVersion\": 1, \"Name\": \"T\", \"ComponentId\": \"" GUID "\", "
              "\"EntryPoint\": \"/bin/../etc/app\", \"ApplicationType\": \"Default\""),
     true, SIM_MANIFEST_ERR_FIELD, "EntryPoint: expected a plain path to a file"},
    {WITH_TOP("\"SchemaVersion\": 1, \"Name\": \"T\", \"ComponentId\": \"" GUID "\", "
              "\"ApplicationType\": \"Default\""),
     true, SIM_MANIFEST_ERR_FIELD, "EntryPoint: required field is missing"},
    {WITH_TOP(HEAD ", \"CmdArgs\": [\"--x\", 1]"), true, SIM_MANIFEST_ERR_FIELD,
     "CmdArgs[1]: expected a string, got 1"},
    {WITH_TOP(HEAD ", \"CmdArgs\": \"--x\""), true, SIM_MANIFEST_ERR_FIELD,
     "CmdArgs: expected an array of strings, got \"--x\""},
    {WITH_TOP("\"SchemaVersion\": 1, \"Name\": \"T\", \"ComponentId\": \"" GUID "\", "
              "\"EntryPoint\": \"/bin/app\", \"ApplicationType\": \"RealTimeCapable\""),
     true, SIM_MANIFEST_ERR_FIELD,
     "ApplicationType: \"RealTimeCapable\" apps run on the M4 real-time cores, which spheresim "
     "does not simulate"},
    {WITH_TOP("\"SchemaVersion\": 1, \"Name\": \"T\", \"ComponentId\": \"" GUID "\", "
              "\"EntryPoint\": \"/bin/app\", \"ApplicationType\": \"Fancy\""),
     true, SIM_MANIFEST_ERR_FIELD,
     "ApplicationType: expected \"Default\" or \"RealTimeCapable\", got \"Fancy\""},
    {WITH_TOP("\"SchemaVersion\": 1, \"Name\": \"T\", \"ComponentId\": \"" GUID "\", "
              "\"EntryPoint\": \"/bin/app\""),
     true, SIM_MANIFEST_ERR_FIELD, "ApplicationType: required field is missing"},
    {WITH_TOP(HEAD ", \"MallocVersion\": 3"), true, SIM_MANIFEST_ERR_FIELD,
     "MallocVersion: expected 1 or 2, got 3"},
    {WITH_TOP(HEAD ", \"TargetBetaApis\": 5"), true, SIM_MANIFEST_ERR_FIELD,
     "TargetBetaApis: expected a non-empty string, got 5"},
    {WITH_TOP(HEAD ", \"TargetApplicationRuntimeVersion\": \"14\""), true, SIM_MANIFEST_ERR_FIELD,
     "TargetApplicationRuntimeVersion: expected an integer from 0 to 1000000, got \"14\""},
    {"[1, 2]", true, SIM_MANIFEST_ERR_FIELD, "(top level): expected a JSON object, got an array"},
    {"{\n  \"SchemaVersion\": 1,\n  \"Name\": tru\n}", true, SIM_MANIFEST_ERR_JSON,
     "line 3, column 11: invalid JSON"},
    /* column 166 is the "t" of "trailing", after the 164-character manifest and a space */
    {WITH_CAPS("") " trailing", true, SIM_MANIFEST_ERR_JSON, "line 1, column 166: invalid JSON"},
    {"", true, SIM_MANIFEST_ERR_JSON, "line 1, column 1: invalid JSON"},
};

static void test_sim_manifest_parse_malformed_fails_naming_field(void **state) {
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); ++i) {
        const struct bad_case *c = &bad_cases[i];
        enum sim_manifest_result rc = parse(f, c->text, c->with_hw);
        if (rc != c->rc) {
            fail_msg("case %zu: result %d, want %d (error: %s)\n  manifest: %s", i, rc, c->rc,
                     f->err, c->text);
        }
        if (getenv("SPHERESIM_TEST_VERBOSE") != NULL) {
            print_message("case %zu: %s\n", i, f->err);
        }
        char want[1024];
        snprintf(want, sizeof(want), "app_manifest.json: %s", c->message);
        if (strstr(f->err, want) == NULL) {
            fail_msg("case %zu: error \"%s\"\n  does not contain \"%s\"", i, f->err, want);
        }
        assert_int_equal(f->m.caps.gpio_count, 0); /* refused manifests grant nothing */
        assert_string_equal(f->m.name, "");
    }
}

static void test_sim_manifest_parse_gpio_example_message_is_exact(void **state) {
    struct fixture *f = *state;
    assert_int_equal(parse(f, WITH_CAPS("\"Gpio\": [8, 9, true]"), true), SIM_MANIFEST_ERR_FIELD);
    assert_string_equal(f->err,
                        "app_manifest.json: Capabilities.Gpio[2]: expected an integer GPIO id or a "
                        "\"$NAME\" from the hardware definition, got true");
}

static void test_sim_manifest_parse_too_many_entries_fails(void **state) {
    struct fixture *f = *state;
    char text[4096];
    size_t used = (size_t)snprintf(text, sizeof(text), "{" HEAD ", \"Capabilities\": {\"Gpio\": [");
    int listed = 0;
    for (int id = 0; listed < 65; ++id) {
        if (sim_hwdef_mt3620_gpio_is_valid(id)) {
            used +=
                (size_t)snprintf(text + used, sizeof(text) - used, "%s%d", listed ? "," : "", id);
            ++listed;
        }
    }
    snprintf(text + used, sizeof(text) - used, "]}}");
    assert_int_equal(parse(f, text, true), SIM_MANIFEST_ERR_FIELD);
    assert_contains(f->err, "app_manifest.json: Capabilities.Gpio[64]: more than 64 entries");

    used = (size_t)snprintf(text, sizeof(text), "{" HEAD ", \"Capabilities\": {}, \"CmdArgs\": [");
    for (int i = 0; i < 33; ++i) {
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s\"a\"", i ? "," : "");
    }
    snprintf(text + used, sizeof(text) - used, "]}");
    assert_int_equal(parse(f, text, true), SIM_MANIFEST_ERR_FIELD);
    assert_contains(f->err, "app_manifest.json: CmdArgs[32]: more than 32 arguments");

    used = (size_t)snprintf(text, sizeof(text),
                            "{" HEAD ", \"Capabilities\": {\"AllowedTcpServerPorts\": [");
    for (int i = 0; i < 65; ++i) {
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%d", i ? "," : "", 1000 + i);
    }
    snprintf(text + used, sizeof(text) - used, "]}}");
    assert_int_equal(parse(f, text, true), SIM_MANIFEST_ERR_FIELD);
    assert_contains(f->err, "Capabilities.AllowedTcpServerPorts[64]: more than 64 entries");
}

static void test_sim_manifest_parse_overlong_strings_fail(void **state) {
    struct fixture *f = *state;
    char host[300];
    memset(host, 'a', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    for (size_t i = 60; i < sizeof(host) - 1; i += 60) {
        host[i] = '.'; /* keep labels legal so only the total length is wrong */
    }
    char text[1024];
    snprintf(text, sizeof(text), WITH_CAPS("\"AllowedConnections\": [\"%s\"]"), host);
    assert_int_equal(parse(f, text, true), SIM_MANIFEST_ERR_FIELD);
    assert_contains(f->err, "Capabilities.AllowedConnections[0]: host names are at most 255");

    snprintf(text, sizeof(text), WITH_TOP(HEAD ", \"CmdArgs\": [\"%s\"]"), host);
    assert_int_equal(parse(f, text, true), SIM_MANIFEST_ERR_FIELD);
    assert_contains(f->err, "app_manifest.json: CmdArgs[0]: longer than 255 characters");
}

static void test_sim_manifest_parse_nul_byte_fails(void **state) {
    struct fixture *f = *state;
    const char text[] = "{\"SchemaVersion\": 1}\0{}";
    assert_int_equal(sim_manifest_parse(text, sizeof(text) - 1, "app_manifest.json", &f->hw, &f->m,
                                        f->err, sizeof(f->err)),
                     SIM_MANIFEST_ERR_JSON);
    assert_contains(f->err, "app_manifest.json: (file): contains a NUL byte at offset 20");
}

static void test_sim_manifest_parse_oversized_fails_with_io(void **state) {
    struct fixture *f = *state;
    size_t len = SIM_MANIFEST_MAX_FILE_BYTES + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, ' ', len);
    assert_int_equal(
        sim_manifest_parse(big, len, "app_manifest.json", &f->hw, &f->m, f->err, sizeof(f->err)),
        SIM_MANIFEST_ERR_IO);
    assert_contains(f->err, "larger than the 65536-byte limit");

    char path[] = "/tmp/spheresim-manifest-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, big, len), (ssize_t)len);
    close(fd);
    assert_int_equal(sim_manifest_load(path, &f->hw, &f->m, f->err, sizeof(f->err)),
                     SIM_MANIFEST_ERR_IO);
    assert_contains(f->err, path);
    assert_contains(f->err, "larger than the 65536-byte limit");
    unlink(path);
    free(big);
}

static void test_sim_manifest_load_missing_file_fails_with_io(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        sim_manifest_load(FIXTURE("no_such_manifest.json"), &f->hw, &f->m, f->err, sizeof(f->err)),
        SIM_MANIFEST_ERR_IO);
    assert_contains(f->err, "no_such_manifest.json: cannot open: No such file or directory");
    assert_int_equal(sim_manifest_load(NULL, &f->hw, &f->m, f->err, sizeof(f->err)),
                     SIM_MANIFEST_ERR_IO);
}

static void test_sim_manifest_load_azureiot_without_hw_fails_naming_name(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        sim_manifest_load(FIXTURE("azureiot.json"), NULL, &f->m, f->err, sizeof(f->err)),
        SIM_MANIFEST_ERR_FIELD);
    assert_contains(f->err,
                    "azureiot.json: Capabilities.Gpio[0]: \"$SAMPLE_BUTTON_1\" needs a "
                    "hardware definition");
}

static void test_sim_manifest_parse_small_error_buffer_truncates_safely(void **state) {
    struct fixture *f = *state;
    char tiny[16];
    assert_int_equal(
        sim_manifest_parse("{}", 2, "app_manifest.json", NULL, &f->m, tiny, sizeof(tiny)),
        SIM_MANIFEST_ERR_FIELD);
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
    assert_int_equal(sim_manifest_parse("{}", 2, "app_manifest.json", NULL, &f->m, NULL, 0),
                     SIM_MANIFEST_ERR_FIELD);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_manifest_load_azureiot_sample_resolves_names),
        cmocka_unit_test(test_sim_manifest_load_minimal_without_hw_succeeds),
        cmocka_unit_test(test_sim_manifest_load_deferred_update_sample_succeeds),
        cmocka_unit_test(test_sim_manifest_load_every_capability_kind_succeeds),
        cmocka_unit_test(test_sim_manifest_declared_capabilities_lists_each_grant),
        cmocka_unit_test(test_sim_manifest_parse_long_name_keeps_31_bytes),
        cmocka_unit_test(test_sim_manifest_parse_unterminated_buffer_succeeds),
        cmocka_unit_test(test_sim_manifest_parse_malformed_fails_naming_field),
        cmocka_unit_test(test_sim_manifest_parse_gpio_example_message_is_exact),
        cmocka_unit_test(test_sim_manifest_parse_too_many_entries_fails),
        cmocka_unit_test(test_sim_manifest_parse_overlong_strings_fail),
        cmocka_unit_test(test_sim_manifest_parse_nul_byte_fails),
        cmocka_unit_test(test_sim_manifest_parse_oversized_fails_with_io),
        cmocka_unit_test(test_sim_manifest_load_missing_file_fails_with_io),
        cmocka_unit_test(test_sim_manifest_load_azureiot_without_hw_fails_naming_name),
        cmocka_unit_test(test_sim_manifest_parse_small_error_buffer_truncates_safely),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
