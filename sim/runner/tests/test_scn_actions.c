// SPDX-License-Identifier: MIT
// Round trips of every action kind into the model: each test parses one step and checks that
// every option (and every default) lands in its field, so the runner can rely on the model.
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scn_test_util.h"

static struct scn_scenario s;

static int teardown(void **state) {
    scn_scenario_free(&s);
    return 0;
}

// Parses one action line and returns its action, failing the test if it does not parse.
static const struct scn_action *act(const char *line, enum scn_action_kind kind) {
    assert_int_equal(scn_test_parse_action(line, &s), SCN_OK);
    assert_int_equal(s.step_count, 1);
    const struct scn_action *a = &s.steps[0].action;
    assert_int_equal(a->kind, kind);
    assert_int_equal(a->loc.line, 7);
    assert_int_equal(a->loc.column, 5);
    return a;
}

// ---- board ----

static void test_scn_parse_press_shorthand_sets_button(void **state) {
    const struct scn_action *a = act("press: B", SCN_ACT_PRESS);
    assert_int_equal(a->button.button, SCN_BUTTON_B);
    assert_int_equal(scn_action_family_of(a->kind), SCN_FAMILY_BOARD);
}

static void test_scn_parse_release_mapping_sets_button(void **state) {
    const struct scn_action *a = act("release: {button: A}", SCN_ACT_RELEASE);
    assert_int_equal(a->button.button, SCN_BUTTON_A);
}

static void test_scn_parse_click_with_hold_sets_button_and_hold(void **state) {
    const struct scn_action *a = act("click: {button: B, hold: 250ms}", SCN_ACT_CLICK);
    assert_int_equal(a->button.button, SCN_BUTTON_B);
    assert_int_equal(a->button.hold_ms, 250);
}

static void test_scn_parse_click_shorthand_defaults_hold_100ms(void **state) {
    const struct scn_action *a = act("click: A", SCN_ACT_CLICK);
    assert_int_equal(a->button.hold_ms, 100);
}

static void test_scn_parse_sensor_set_sets_sensor_and_value(void **state) {
    const struct scn_action *a =
        act("sensor_set: {sensor: potentiometer, value: 1.25}", SCN_ACT_SENSOR_SET);
    assert_int_equal(a->sensor.sensor, SCN_SENSOR_POTENTIOMETER);
    assert_true(a->sensor.has_value);
    assert_float_equal(a->sensor.value, 1.25, 1e-9);
}

static void test_scn_parse_sensor_noise_sets_sigma_and_for(void **state) {
    const struct scn_action *a =
        act("sensor_noise: {sensor: temperature, sigma: 0.5, for: 2m}", SCN_ACT_SENSOR_NOISE);
    assert_int_equal(a->sensor.sensor, SCN_SENSOR_TEMPERATURE);
    assert_float_equal(a->sensor.sigma, 0.5, 1e-9);
    assert_true(a->has_for);
    assert_int_equal(a->for_ms, 120000);
}

static void test_scn_parse_sensor_stuck_without_value_sticks_current(void **state) {
    const struct scn_action *a = act("sensor_stuck: temperature", SCN_ACT_SENSOR_STUCK);
    assert_false(a->sensor.has_value);
    assert_false(a->has_for);
}

static void test_scn_parse_sensor_stuck_with_value_sets_value(void **state) {
    const struct scn_action *a =
        act("sensor_stuck: {sensor: temperature, value: -12.5}", SCN_ACT_SENSOR_STUCK);
    assert_true(a->sensor.has_value);
    assert_float_equal(a->sensor.value, -12.5, 1e-9);
}

static void test_scn_parse_sensor_disconnect_sets_sensor_and_for(void **state) {
    const struct scn_action *a =
        act("sensor_disconnect: {sensor: temperature, for: 20s}", SCN_ACT_SENSOR_DISCONNECT);
    assert_int_equal(a->sensor.sensor, SCN_SENSOR_TEMPERATURE);
    assert_int_equal(a->for_ms, 20000);
}

static void test_scn_parse_sensor_out_of_range_defaults_high(void **state) {
    const struct scn_action *a =
        act("sensor_out_of_range: potentiometer", SCN_ACT_SENSOR_OUT_OF_RANGE);
    assert_int_equal(a->sensor.sensor, SCN_SENSOR_POTENTIOMETER);
    assert_int_equal(a->sensor.side, SCN_RANGE_HIGH);
}

static void test_scn_parse_sensor_out_of_range_low_sets_side(void **state) {
    const struct scn_action *a =
        act("sensor_out_of_range: {sensor: temperature, side: low}", SCN_ACT_SENSOR_OUT_OF_RANGE);
    assert_int_equal(a->sensor.side, SCN_RANGE_LOW);
}

static void test_scn_parse_sensor_restore_sets_sensor(void **state) {
    const struct scn_action *a = act("sensor_restore: potentiometer", SCN_ACT_SENSOR_RESTORE);
    assert_int_equal(a->sensor.sensor, SCN_SENSOR_POTENTIOMETER);
}

// ---- network ----

static void test_scn_parse_network_down_with_for_sets_for(void **state) {
    const struct scn_action *a = act("network_down: {for: 30s}", SCN_ACT_NETWORK_DOWN);
    assert_true(a->has_for);
    assert_int_equal(a->for_ms, 30000);
    assert_int_equal(scn_action_family_of(a->kind), SCN_FAMILY_NETWORK);
}

static void test_scn_parse_network_up_empty_value_parses(void **state) {
    act("network_up:", SCN_ACT_NETWORK_UP);
}

static void test_scn_parse_dns_failure_sets_host_and_probability(void **state) {
    const struct scn_action *a =
        act("dns_failure: {host: \"*.azure-devices.net\", probability: 0.25}", SCN_ACT_DNS_FAILURE);
    assert_string_equal(a->dns.host, "*.azure-devices.net");
    assert_float_equal(a->probability, 0.25, 1e-9);
}

static void test_scn_parse_dns_failure_without_host_fails_every_lookup(void **state) {
    const struct scn_action *a = act("dns_failure: {}", SCN_ACT_DNS_FAILURE);
    assert_null(a->dns.host);
    assert_float_equal(a->probability, 1.0, 1e-9);
}

static void test_scn_parse_latency_sets_delay_jitter_direction(void **state) {
    const struct scn_action *a = act(
        "latency: {delay: 200ms, jitter: 50ms, direction: to_device, probability: 0.5, for: 1m}",
        SCN_ACT_LATENCY);
    assert_int_equal(a->latency.delay_ms, 200);
    assert_int_equal(a->latency.jitter_ms, 50);
    assert_int_equal(a->direction, SCN_DIR_TO_DEVICE);
    assert_float_equal(a->probability, 0.5, 1e-9);
    assert_int_equal(a->for_ms, 60000);
}

static void test_scn_parse_latency_shorthand_defaults_both_directions(void **state) {
    const struct scn_action *a = act("latency: 1s", SCN_ACT_LATENCY);
    assert_int_equal(a->latency.delay_ms, 1000);
    assert_int_equal(a->latency.jitter_ms, 0);
    assert_int_equal(a->direction, SCN_DIR_BOTH);
}

static void test_scn_parse_bandwidth_sets_bytes_per_second(void **state) {
    const struct scn_action *a =
        act("bandwidth: {bytes_per_second: 2KiB, direction: to_hub}", SCN_ACT_BANDWIDTH);
    assert_int_equal(a->bandwidth.bytes_per_second, 2048);
    assert_int_equal(a->direction, SCN_DIR_TO_HUB);
}

static void test_scn_parse_reset_sets_direction(void **state) {
    const struct scn_action *a = act("reset: {direction: to_hub}", SCN_ACT_RESET);
    assert_int_equal(a->direction, SCN_DIR_TO_HUB);
    assert_false(a->has_for);
}

static void test_scn_parse_blackhole_sets_for_and_probability(void **state) {
    const struct scn_action *a = act("blackhole: {for: 45s, probability: 0}", SCN_ACT_BLACKHOLE);
    assert_int_equal(a->for_ms, 45000);
    assert_float_equal(a->probability, 0.0, 1e-9);
}

static void test_scn_parse_slow_close_sets_delay(void **state) {
    const struct scn_action *a = act("slow_close: 5s", SCN_ACT_SLOW_CLOSE);
    assert_int_equal(a->slow_close.delay_ms, 5000);
}

static void test_scn_parse_slicer_sets_size_variation_delay(void **state) {
    const struct scn_action *a =
        act("slicer: {size: 16, variation: 8, delay: 2ms}", SCN_ACT_SLICER);
    assert_int_equal(a->slicer.size, 16);
    assert_int_equal(a->slicer.variation, 8);
    assert_int_equal(a->slicer.delay_ms, 2);
}

static void test_scn_parse_cut_after_sets_bytes(void **state) {
    const struct scn_action *a =
        act("cut_after: {bytes: 4KiB, direction: to_hub}", SCN_ACT_CUT_AFTER);
    assert_int_equal(a->cut_after.bytes, 4096);
    assert_int_equal(a->direction, SCN_DIR_TO_HUB);
}

static void test_scn_parse_network_heal_parses(void **state) {
    act("network_heal: {}", SCN_ACT_NETWORK_HEAL);
}

// ---- TLS and identity ----

static void test_scn_parse_cert_expired_sets_for(void **state) {
    const struct scn_action *a = act("cert_expired: {for: 1m}", SCN_ACT_CERT_EXPIRED);
    assert_int_equal(a->for_ms, 60000);
    assert_int_equal(scn_action_family_of(a->kind), SCN_FAMILY_TLS);
}

static void test_scn_parse_cert_not_yet_valid_parses(void **state) {
    act("cert_not_yet_valid:", SCN_ACT_CERT_NOT_YET_VALID);
}

static void test_scn_parse_untrusted_ca_needs_local_hub(void **state) {
    const struct scn_action *a = act("untrusted_ca: {for: 20s}", SCN_ACT_UNTRUSTED_CA);
    assert_true(scn_action_needs_local_hub(a->kind));
}

static void test_scn_parse_cert_rotate_defaults_24h(void **state) {
    const struct scn_action *a = act("cert_rotate:", SCN_ACT_CERT_ROTATE);
    assert_int_equal(a->cert.validity_ms, 24ull * 3600 * 1000);
}

static void test_scn_parse_cert_rotate_sets_validity(void **state) {
    const struct scn_action *a = act("cert_rotate: {validity: 2h}", SCN_ACT_CERT_ROTATE);
    assert_int_equal(a->cert.validity_ms, 2ull * 3600 * 1000);
}

// ---- hub ----

static void test_scn_parse_broker_restart_sets_down_for(void **state) {
    const struct scn_action *a = act("broker_restart: {down_for: 3s}", SCN_ACT_BROKER_RESTART);
    assert_int_equal(a->broker.down_ms, 3000);
    assert_true(scn_action_needs_local_hub(a->kind));
    assert_int_equal(scn_action_family_of(a->kind), SCN_FAMILY_HUB);
}

static void test_scn_parse_kick_parses(void **state) {
    act("kick: {}", SCN_ACT_KICK);
}

static void test_scn_parse_throttle_sets_what_and_rate(void **state) {
    const struct scn_action *a =
        act("throttle: {what: twin, per_second: 2, for: 30s}", SCN_ACT_THROTTLE);
    assert_int_equal(a->throttle.what, SCN_THROTTLE_TWIN);
    assert_int_equal(a->throttle.per_second, 2);
    assert_int_equal(a->for_ms, 30000);
}

static void test_scn_parse_twin_drop_sets_probability(void **state) {
    const struct scn_action *a = act("twin_drop: {probability: 0.5}", SCN_ACT_TWIN_DROP);
    assert_float_equal(a->probability, 0.5, 1e-9);
}

static void test_scn_parse_twin_delay_sets_delay(void **state) {
    const struct scn_action *a = act("twin_delay: {delay: 4s, for: 30s}", SCN_ACT_TWIN_DELAY);
    assert_int_equal(a->twin_delay.delay_ms, 4000);
}

static void test_scn_parse_method_timeout_defaults_5s(void **state) {
    const struct scn_action *a = act("method_timeout: getDiagnostics", SCN_ACT_METHOD_TIMEOUT);
    assert_string_equal(a->method.name, "getDiagnostics");
    assert_int_equal(a->method.timeout_ms, 5000);
    assert_null(a->method.payload_json);
}

static void test_scn_parse_c2d_burst_sets_count_text_interval(void **state) {
    const struct scn_action *a = act(
        "c2d_burst: {count: 60, text: \"burst {n}\", interval: 10ms, ttl: 5m}", SCN_ACT_C2D_BURST);
    assert_int_equal(a->c2d.count, 60);
    assert_string_equal(a->c2d.text, "burst {n}");
    assert_int_equal(a->c2d.interval_ms, 10);
    assert_true(a->c2d.has_ttl);
    assert_int_equal(a->c2d.ttl_ms, 300000);
}

static void test_scn_parse_desired_converts_mapping_to_json(void **state) {
    const struct scn_action *a =
        act("desired: {period: 10, on: true, name: \"42\", none: null, big: 18446744073709551615, "
            "list: [1, x, 2.5e3]}",
            SCN_ACT_DESIRED);
    assert_string_equal(a->desired.patch_json,
                        "{\"period\":10,\"on\":true,\"name\":\"42\",\"none\":null,"
                        "\"big\":18446744073709551615,\"list\":[1,\"x\",2.5e3]}");
}

static void test_scn_parse_method_sets_name_payload_timeouts(void **state) {
    const struct scn_action *a = act(
        "method: {name: setLed, payload: {led: 2, on: true}, timeout: 10s, connect_timeout: 5s}",
        SCN_ACT_METHOD);
    assert_string_equal(a->method.name, "setLed");
    assert_string_equal(a->method.payload_json, "{\"led\":2,\"on\":true}");
    assert_int_equal(a->method.timeout_ms, 10000);
    assert_int_equal(a->method.connect_timeout_ms, 5000);
    assert_false(scn_action_needs_local_hub(a->kind));
}

static void test_scn_parse_method_defaults_30s_timeout(void **state) {
    const struct scn_action *a = act("method: getDiagnostics", SCN_ACT_METHOD);
    assert_int_equal(a->method.timeout_ms, 30000);
    assert_int_equal(a->method.connect_timeout_ms, 0);
}

static void test_scn_parse_c2d_text_with_properties_fills_both(void **state) {
    const struct scn_action *a =
        act("c2d: {text: hello, properties: {kind: greeting, n: 3}, ttl: 1h}", SCN_ACT_C2D);
    assert_string_equal(a->c2d.text, "hello");
    assert_null(a->c2d.body_json);
    assert_int_equal(a->c2d.property_count, 2);
    assert_string_equal(a->c2d.properties[0].name, "kind");
    assert_string_equal(a->c2d.properties[0].value, "greeting");
    assert_string_equal(a->c2d.properties[1].name, "n");
    assert_string_equal(a->c2d.properties[1].value, "3");
    assert_int_equal(a->c2d.ttl_ms, 3600000);
}

static void test_scn_parse_c2d_json_body_is_json_text(void **state) {
    const struct scn_action *a = act("c2d: {body: {cmd: blink, times: 3}}", SCN_ACT_C2D);
    assert_null(a->c2d.text);
    assert_string_equal(a->c2d.body_json, "{\"cmd\":\"blink\",\"times\":3}");
    assert_false(a->c2d.has_ttl);
}

// ---- OS ----

static void test_scn_parse_crash_named_signal_sets_number(void **state) {
    const struct scn_action *a = act("crash: {signal: SIGABRT}", SCN_ACT_CRASH);
    assert_int_equal(a->crash.signal, SIGABRT);
    assert_int_equal(scn_action_family_of(a->kind), SCN_FAMILY_OS);
}

static void test_scn_parse_crash_short_name_defaults_and_shorthand(void **state) {
    const struct scn_action *a = act("crash: BUS", SCN_ACT_CRASH);
    assert_int_equal(a->crash.signal, SIGBUS);
    scn_scenario_free(&s);
    a = act("crash:", SCN_ACT_CRASH);
    assert_int_equal(a->crash.signal, SIGSEGV);
}

static void test_scn_parse_hang_sets_for(void **state) {
    const struct scn_action *a = act("hang: {for: 1m}", SCN_ACT_HANG);
    assert_int_equal(a->for_ms, 60000);
}

static void test_scn_parse_reboot_parses(void **state) {
    act("reboot:", SCN_ACT_REBOOT);
}

static void test_scn_parse_power_loss_sets_off_for(void **state) {
    const struct scn_action *a = act("power_loss: 10s", SCN_ACT_POWER_LOSS);
    assert_int_equal(a->power.off_ms, 10000);
}

static void test_scn_parse_storage_full_sets_for(void **state) {
    const struct scn_action *a = act("storage_full: {for: 1m}", SCN_ACT_STORAGE_FULL);
    assert_int_equal(a->for_ms, 60000);
}

static void test_scn_parse_storage_eio_sets_probability(void **state) {
    const struct scn_action *a = act("storage_eio: {probability: 0.25}", SCN_ACT_STORAGE_EIO);
    assert_float_equal(a->probability, 0.25, 1e-9);
}

static void test_scn_parse_storage_heal_parses(void **state) {
    act("storage_heal:", SCN_ACT_STORAGE_HEAL);
}

static void test_scn_parse_clock_jump_forward_is_positive(void **state) {
    const struct scn_action *a = act("clock_jump: {forward: 25h}", SCN_ACT_CLOCK_JUMP);
    assert_int_equal(a->clock.jump_ms, 25ll * 3600 * 1000);
}

static void test_scn_parse_clock_jump_back_is_negative(void **state) {
    const struct scn_action *a = act("clock_jump: {back: 10m}", SCN_ACT_CLOCK_JUMP);
    assert_int_equal(a->clock.jump_ms, -600000ll);
}

static void test_scn_parse_time_unsynced_sets_for(void **state) {
    const struct scn_action *a = act("time_unsynced: {for: 30s}", SCN_ACT_TIME_UNSYNCED);
    assert_int_equal(a->for_ms, 30000);
}

static void test_scn_parse_time_sync_parses(void **state) {
    act("time_sync:", SCN_ACT_TIME_SYNC);
}

static void test_scn_parse_memory_pressure_sets_limit(void **state) {
    const struct scn_action *a = act("memory_pressure: 128KiB", SCN_ACT_MEMORY_PRESSURE);
    assert_int_equal(a->memory.limit_bytes, 128 * 1024);
}

// ---- updates ----

static void test_scn_parse_deploy_resolves_image_path(void **state) {
    const struct scn_action *a = act("deploy: images/v2.imagepackage", SCN_ACT_DEPLOY);
    assert_string_equal(a->update.image, "/scn/images/v2.imagepackage");
    assert_int_equal(scn_action_family_of(a->kind), SCN_FAMILY_UPDATE);
}

static void test_scn_parse_deploy_corrupt_sets_corruption(void **state) {
    const struct scn_action *a =
        act("deploy_corrupt: {image: /abs/v3.imagepackage, corruption: truncate}",
            SCN_ACT_DEPLOY_CORRUPT);
    assert_string_equal(a->update.image, "/abs/v3.imagepackage");
    assert_int_equal(a->update.corruption, SCN_CORRUPT_TRUNCATE);
}

static void test_scn_parse_power_cut_during_install_sets_progress(void **state) {
    const struct scn_action *a = act("power_cut_during_install: {image: v2.img, progress: 0.3}",
                                     SCN_ACT_POWER_CUT_DURING_INSTALL);
    assert_string_equal(a->update.image, "/scn/v2.img");
    assert_float_equal(a->update.progress, 0.3, 1e-9);
}

// Every kind has a distinct key that maps back to it, so a runner can name actions in reports.
static void test_scn_action_key_every_kind_round_trips(void **state) {
    for (int k = SCN_ACT_NONE + 1; k < SCN_ACT_KIND_COUNT; ++k) {
        const char *key = scn_action_key((enum scn_action_kind)k);
        assert_string_not_equal(key, "?");
        assert_int_not_equal(scn_action_family_of((enum scn_action_kind)k), SCN_FAMILY_NONE);
    }
    assert_string_equal(scn_action_key(SCN_ACT_NONE), "?");
    assert_string_equal(scn_action_key(SCN_ACT_KIND_COUNT), "?");
}

#define T(name) cmocka_unit_test_teardown(name, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_scn_parse_press_shorthand_sets_button),
        T(test_scn_parse_release_mapping_sets_button),
        T(test_scn_parse_click_with_hold_sets_button_and_hold),
        T(test_scn_parse_click_shorthand_defaults_hold_100ms),
        T(test_scn_parse_sensor_set_sets_sensor_and_value),
        T(test_scn_parse_sensor_noise_sets_sigma_and_for),
        T(test_scn_parse_sensor_stuck_without_value_sticks_current),
        T(test_scn_parse_sensor_stuck_with_value_sets_value),
        T(test_scn_parse_sensor_disconnect_sets_sensor_and_for),
        T(test_scn_parse_sensor_out_of_range_defaults_high),
        T(test_scn_parse_sensor_out_of_range_low_sets_side),
        T(test_scn_parse_sensor_restore_sets_sensor),
        T(test_scn_parse_network_down_with_for_sets_for),
        T(test_scn_parse_network_up_empty_value_parses),
        T(test_scn_parse_dns_failure_sets_host_and_probability),
        T(test_scn_parse_dns_failure_without_host_fails_every_lookup),
        T(test_scn_parse_latency_sets_delay_jitter_direction),
        T(test_scn_parse_latency_shorthand_defaults_both_directions),
        T(test_scn_parse_bandwidth_sets_bytes_per_second),
        T(test_scn_parse_reset_sets_direction),
        T(test_scn_parse_blackhole_sets_for_and_probability),
        T(test_scn_parse_slow_close_sets_delay),
        T(test_scn_parse_slicer_sets_size_variation_delay),
        T(test_scn_parse_cut_after_sets_bytes),
        T(test_scn_parse_network_heal_parses),
        T(test_scn_parse_cert_expired_sets_for),
        T(test_scn_parse_cert_not_yet_valid_parses),
        T(test_scn_parse_untrusted_ca_needs_local_hub),
        T(test_scn_parse_cert_rotate_defaults_24h),
        T(test_scn_parse_cert_rotate_sets_validity),
        T(test_scn_parse_broker_restart_sets_down_for),
        T(test_scn_parse_kick_parses),
        T(test_scn_parse_throttle_sets_what_and_rate),
        T(test_scn_parse_twin_drop_sets_probability),
        T(test_scn_parse_twin_delay_sets_delay),
        T(test_scn_parse_method_timeout_defaults_5s),
        T(test_scn_parse_c2d_burst_sets_count_text_interval),
        T(test_scn_parse_desired_converts_mapping_to_json),
        T(test_scn_parse_method_sets_name_payload_timeouts),
        T(test_scn_parse_method_defaults_30s_timeout),
        T(test_scn_parse_c2d_text_with_properties_fills_both),
        T(test_scn_parse_c2d_json_body_is_json_text),
        T(test_scn_parse_crash_named_signal_sets_number),
        T(test_scn_parse_crash_short_name_defaults_and_shorthand),
        T(test_scn_parse_hang_sets_for),
        T(test_scn_parse_reboot_parses),
        T(test_scn_parse_power_loss_sets_off_for),
        T(test_scn_parse_storage_full_sets_for),
        T(test_scn_parse_storage_eio_sets_probability),
        T(test_scn_parse_storage_heal_parses),
        T(test_scn_parse_clock_jump_forward_is_positive),
        T(test_scn_parse_clock_jump_back_is_negative),
        T(test_scn_parse_time_unsynced_sets_for),
        T(test_scn_parse_time_sync_parses),
        T(test_scn_parse_memory_pressure_sets_limit),
        T(test_scn_parse_deploy_resolves_image_path),
        T(test_scn_parse_deploy_corrupt_sets_corruption),
        T(test_scn_parse_power_cut_during_install_sets_progress),
        T(test_scn_action_key_every_kind_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
