// SPDX-License-Identifier: MIT
// The scenario as a whole: metadata, variables (file defaults overridden by the caller), the hub,
// devices with their initial state and resolved paths, the timeline's earliest times, the
// example files under data/, and the scalar syntaxes (durations, sizes) the format is built on.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "runner/scn_internal.h"
#include "scn_test_util.h"

static struct scn_scenario s;

static int teardown(void **state) {
    scn_scenario_free(&s);
    return 0;
}

static void test_scn_parse_metadata_fills_every_field(void **state) {
    assert_int_equal(scn_test_parse("name: outage\n"
                                    "description: |\n"
                                    "  two\n"
                                    "  lines\n"
                                    "tags: [network, slow-ci]\n"
                                    "seed: 18446744073709551615\n"
                                    "time_limit: 1h30m\n"
                                    "devices: [{id: d1, app: a}]\n",
                                    &s),
                     SCN_OK);
    assert_string_equal(s.source, SCN_TEST_FILE);
    assert_string_equal(s.name, "outage");
    assert_string_equal(s.description, "two\nlines\n");
    assert_int_equal(s.tag_count, 2);
    assert_string_equal(s.tags[1], "slow-ci");
    assert_true(s.has_seed);
    assert_true(s.seed == UINT64_MAX);
    assert_int_equal(s.time_limit_ms, 90 * 60 * 1000);
    assert_int_equal(s.hub.kind, SCN_HUB_LOCAL);
}

static void test_scn_parse_defaults_without_optional_keys(void **state) {
    assert_int_equal(scn_test_parse(SCN_TEST_PREAMBLE, &s), SCN_OK);
    assert_false(s.has_seed);
    assert_int_equal(s.time_limit_ms, SCN_DEFAULT_TIME_LIMIT_MS);
    assert_int_equal(s.step_count, 0);
    assert_int_equal(s.expectation_count, 0);
    const struct scn_device *d = &s.devices[0];
    assert_string_equal(d->board, "mt3620_rdb");
    assert_string_equal(d->app, "/scn/app.app");
    assert_null(d->manifest);
    assert_false(d->has_cmd_args);
    assert_null(d->storage_image);
    assert_false(d->network_down);
    assert_int_equal(d->clock_offset_ms, 0);
    assert_true(d->time_synced);
}

static void test_scn_parse_device_initial_state_and_overrides(void **state) {
    assert_int_equal(scn_test_parse("name: x\n"
                                    "devices:\n"
                                    "  - id: alpha\n"
                                    "    app: /apps/a.app\n"
                                    "    manifest: m/app_manifest.json\n"
                                    "    board: mt3620_rdb\n"
                                    "    cmd_args: [--Hostname, \"${host}\", \"$$HOME\"]\n"
                                    "    initial:\n"
                                    "      storage: img/storage.bin\n"
                                    "      network: down\n"
                                    "      clock_offset: -2h\n"
                                    "      time_synced: false\n"
                                    "variables:\n"
                                    "  host: h.azure-devices.net\n",
                                    &s),
                     SCN_OK);
    const struct scn_device *d = &s.devices[0];
    assert_string_equal(d->id, "alpha");
    assert_int_equal(d->id_loc.line, 3);
    assert_int_equal(d->id_loc.column, 9);
    assert_string_equal(d->app, "/apps/a.app");
    assert_string_equal(d->manifest, "/scn/m/app_manifest.json");
    assert_true(d->has_cmd_args);
    assert_int_equal(d->cmd_arg_count, 3);
    assert_string_equal(d->cmd_args[1], "h.azure-devices.net");
    assert_string_equal(d->cmd_args[2], "$HOME");
    assert_string_equal(d->storage_image, "/scn/img/storage.bin");
    assert_true(d->network_down);
    assert_int_equal(d->clock_offset_ms, -2ll * 3600 * 1000);
    assert_false(d->time_synced);
}

static void test_scn_parse_caller_variables_override_file_defaults(void **state) {
    const char *text =
        "name: x\n"
        "variables: {build: /from/file, other: o}\n"
        "devices: [{id: d1, app: \"${build}/app/${other}.app\"}]\n"
        "steps: [{at: 1s, deploy: \"${scenario_dir}/v2.img\"}]\n";
    struct scn_variable vars[] = {{"build", "/from/caller"}};
    struct scn_options opts = {vars, 1};
    char err[512];
    assert_int_equal(scn_parse(text, strlen(text), SCN_TEST_FILE, &opts, &s, err, sizeof(err)),
                     SCN_OK);
    assert_string_equal(s.devices[0].app, "/from/caller/app/o.app");
    assert_string_equal(s.steps[0].action.update.image, "/scn/v2.img");
    assert_int_equal(s.variable_count, 3);
}

static void test_scn_parse_real_hub_by_host(void **state) {
    assert_int_equal(scn_test_parse_with("hub: {host: myhub.azure-devices.net}\n"
                                         "steps: [{at: 1s, method: getDiagnostics}]\n",
                                         &s),
                     SCN_OK);
    assert_int_equal(s.hub.kind, SCN_HUB_REAL);
    assert_string_equal(s.hub.host, "myhub.azure-devices.net");
    assert_int_equal(s.hub.loc.line, 5);
    assert_int_equal(s.hub.loc.column, 13);
}

static void test_scn_parse_timeline_earliest_times_add_up(void **state) {
    assert_int_equal(scn_test_parse_with("steps:\n"
                                         "  - {at: 10s, id: first, note: boot done, reboot: }\n"
                                         "  - {after: 5s, reboot: }\n"
                                         "  - {until: {restarts: {count: 1}}, within: 1m}\n"
                                         "  - {after: 500ms, reboot: }\n"
                                         "  - {at: 1m, reboot: }\n",
                                         &s),
                     SCN_OK);
    assert_int_equal(s.step_count, 5);
    assert_int_equal(s.steps[0].earliest_ms, 10000);
    assert_string_equal(s.steps[0].note, "boot done");
    assert_int_equal(s.steps[1].timing, SCN_AFTER);
    assert_int_equal(s.steps[1].time_ms, 5000);
    assert_int_equal(s.steps[1].earliest_ms, 15000);
    assert_int_equal(s.steps[2].earliest_ms, 15000);
    assert_int_equal(s.steps[3].earliest_ms, 15500);
    assert_int_equal(s.steps[4].earliest_ms, 60000);
    assert_int_equal(s.steps[4].time_loc.line, 10);
    assert_int_equal(s.steps[4].time_loc.column, 10);
}

static void test_scn_parse_two_devices_resolve_by_id(void **state) {
    assert_int_equal(scn_test_parse("name: fleet\n"
                                    "devices: [{id: a, app: x}, {id: b, app: y}]\n"
                                    "steps:\n"
                                    "  - {at: 1s, device: b, reboot: }\n"
                                    "  - {until: {restarts: {count: 1}}, device: b, within: 1m}\n"
                                    "expect:\n"
                                    "  - {always: {restarts: {device: a, count: 0}}}\n",
                                    &s),
                     SCN_OK);
    assert_int_equal(s.steps[0].device_index, 1);
    assert_int_equal(s.steps[1].until.device_index, 1);
    assert_int_equal(s.expectations[0].cond.device_index, 0);
}

static void load_example(const char *name) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", SCN_TEST_DATA_DIR, name);
    struct scn_variable vars[] = {{"build", "/build"}};
    struct scn_options opts = {vars, 1};
    char err[1024];
    enum scn_result rc = scn_load(path, &opts, &s, err, sizeof(err));
    if (rc != SCN_OK) {
        fprintf(stderr, "%s\n", err);
    }
    assert_int_equal(rc, SCN_OK);
}

static void test_scn_load_example_outage_parses(void **state) {
    load_example("outage_no_loss.yaml");
    assert_string_equal(s.name, "outage-no-loss");
    assert_int_equal(s.seed, 1234);
    assert_int_equal(s.step_count, 8);
    assert_int_equal(s.expectation_count, 4);
    assert_int_equal(s.steps[3].action.kind, SCN_ACT_NETWORK_DOWN);
    assert_int_equal(s.expectations[2].from.step.index, 3);
    // The caller's build directory wins over the file's default.
    assert_string_equal(s.devices[0].app, "/build/device_app/device_app.app");
}

static void test_scn_load_example_cloud_faults_parses(void **state) {
    load_example("cloud_faults.yaml");
    assert_int_equal(s.step_count, 16);
    assert_int_equal(s.steps[2].action.kind, SCN_ACT_BROKER_RESTART);
    assert_string_equal(s.devices[0].cmd_args[1], "spheresim-hub.azure-devices.net");
    assert_string_equal(
        s.devices[0].app + strlen(s.devices[0].app) - strlen("/apps/device_app.app"),
        "/apps/device_app.app");
}

static void test_scn_load_example_fleet_parses(void **state) {
    load_example("fleet_os_faults.yaml");
    assert_int_equal(s.device_count, 2);
    assert_true(s.devices[0].network_down);
    assert_int_equal(s.step_count, 30);
    assert_int_equal(s.expectation_count, 8);
}

static void test_scn_parse_duration_accepts_units_and_compounds(void **state) {
    uint64_t ms;
    const char *why;
    assert_true(scn_parse_duration("0", &ms, &why) && ms == 0);
    assert_true(scn_parse_duration("500ms", &ms, &why) && ms == 500);
    assert_true(scn_parse_duration("30s", &ms, &why) && ms == 30000);
    assert_true(scn_parse_duration("2m", &ms, &why) && ms == 120000);
    assert_true(scn_parse_duration("1h", &ms, &why) && ms == 3600000);
    assert_true(scn_parse_duration("1d", &ms, &why) && ms == 86400000);
    assert_true(scn_parse_duration("1m30s", &ms, &why) && ms == 90000);
    assert_false(scn_parse_duration("", &ms, &why));
    assert_false(scn_parse_duration("1.5s", &ms, &why));
    assert_false(scn_parse_duration("s", &ms, &why));
    assert_false(scn_parse_duration("1 s", &ms, &why));
    assert_false(scn_parse_duration("36501d", &ms, &why));
    assert_true(scn_parse_duration("36500d", &ms, &why));
}

static void test_scn_parse_size_accepts_binary_units_only(void **state) {
    uint64_t b;
    const char *why;
    assert_true(scn_parse_size("512", &b, &why) && b == 512);
    assert_true(scn_parse_size("512B", &b, &why) && b == 512);
    assert_true(scn_parse_size("64KiB", &b, &why) && b == 65536);
    assert_true(scn_parse_size("1MiB", &b, &why) && b == 1048576);
    assert_true(scn_parse_size("1GiB", &b, &why) && b == 1073741824);
    assert_false(scn_parse_size("64KB", &b, &why));
    assert_false(scn_parse_size("-1", &b, &why));
    assert_false(scn_parse_size("17179869184GiB", &b, &why));
}

#define T(name) cmocka_unit_test_teardown(name, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_scn_parse_metadata_fills_every_field),
        T(test_scn_parse_defaults_without_optional_keys),
        T(test_scn_parse_device_initial_state_and_overrides),
        T(test_scn_parse_caller_variables_override_file_defaults),
        T(test_scn_parse_real_hub_by_host),
        T(test_scn_parse_timeline_earliest_times_add_up),
        T(test_scn_parse_two_devices_resolve_by_id),
        T(test_scn_load_example_outage_parses),
        T(test_scn_load_example_cloud_faults_parses),
        T(test_scn_load_example_fleet_parses),
        T(test_scn_parse_duration_accepts_units_and_compounds),
        T(test_scn_parse_size_accepts_binary_units_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
