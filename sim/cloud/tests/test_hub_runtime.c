// SPDX-License-Identifier: MIT
// Unit tests for the hub's runtime tables: which filters each device subscribed (and when a
// session keeps them), the fault and throttle settings, and delayed messages.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cloud/hub_faults.h"
#include "cloud/hub_subscriptions.h"
#include "cloud/hub_timers.h"

// ---- subscriptions ----

static void test_hub_subscriptions_clean_session_starts_empty(void **state) {
    (void)state;
    struct hub_subscriptions subs = {0};
    assert_int_equal(hub_subscriptions_connect(&subs, "d", true), 0);
    assert_int_equal(
        hub_subscriptions_add(&subs, "d", HUB_SUB_TWIN_RESPONSES, "$iothub/twin/res/#"),
        HUB_SUBSCRIBE_OK);
    assert_true(hub_subscriptions_has(&subs, "d", HUB_SUB_TWIN_RESPONSES));
    assert_false(hub_subscriptions_has(&subs, "d", HUB_SUB_C2D));
    hub_subscriptions_disconnect(&subs, "d");
    assert_false(hub_subscriptions_has(&subs, "d", HUB_SUB_TWIN_RESPONSES));
    assert_int_equal(hub_subscriptions_connect(&subs, "d", false), 0);
    hub_subscriptions_free(&subs);
}

static void test_hub_subscriptions_persistent_session_keeps_filters(void **state) {
    (void)state;
    struct hub_subscriptions subs = {0};
    hub_subscriptions_connect(&subs, "d", false);
    hub_subscriptions_add(&subs, "d", HUB_SUB_C2D, "devices/d/messages/devicebound/#");
    hub_subscriptions_disconnect(&subs, "d");
    assert_true(hub_subscriptions_has(&subs, "d", HUB_SUB_C2D));
    assert_int_equal(hub_subscriptions_connect(&subs, "d", false), 1 << HUB_SUB_C2D);
    // A clean connect wipes the kept session, as the broker does.
    assert_int_equal(hub_subscriptions_connect(&subs, "d", true), 0);
    assert_false(hub_subscriptions_has(&subs, "d", HUB_SUB_C2D));
    hub_subscriptions_free(&subs);
}

static void test_hub_subscriptions_remove_and_forget(void **state) {
    (void)state;
    struct hub_subscriptions subs = {0};
    char id[16];
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "dev-%02d", 39 - i);
        hub_subscriptions_connect(&subs, id, false);
        hub_subscriptions_add(&subs, id, HUB_SUB_METHODS, "$iothub/methods/POST/#");
    }
    assert_int_equal(subs.count, 40);
    for (size_t i = 1; i < subs.count; i++) {
        assert_true(strcmp(subs.items[i - 1].device_id, subs.items[i].device_id) < 0);
    }
    hub_subscriptions_remove(&subs, "dev-07", "$iothub/methods/POST/#");
    assert_false(hub_subscriptions_has(&subs, "dev-07", HUB_SUB_METHODS));
    assert_true(hub_subscriptions_has(&subs, "dev-08", HUB_SUB_METHODS));
    hub_subscriptions_forget(&subs, "dev-08");
    assert_false(hub_subscriptions_has(&subs, "dev-08", HUB_SUB_METHODS));
    assert_int_equal(subs.count, 39);
    char long_id[HUB_MAX_ID + 2];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_int_equal(hub_subscriptions_add(&subs, long_id, HUB_SUB_C2D, "x"), HUB_SUBSCRIBE_FAILED);
    hub_subscriptions_free(&subs);
}

static void test_hub_subscriptions_sixth_distinct_filter_hits_limit(void **state) {
    (void)state;
    struct hub_subscriptions subs = {0};
    hub_subscriptions_connect(&subs, "d", true);
    char filter[32];
    for (int i = 0; i < HUB_MAX_SUBSCRIPTIONS; i++) {
        snprintf(filter, sizeof filter, "f/%d/#", i);
        assert_int_equal(hub_subscriptions_add(&subs, "d", HUB_SUB_METHODS, filter),
                         HUB_SUBSCRIBE_OK);
    }
    assert_int_equal(hub_subscriptions_count(&subs, "d"), HUB_MAX_SUBSCRIPTIONS);
    // The same filter again is one subscription, not a sixth.
    assert_int_equal(hub_subscriptions_add(&subs, "d", HUB_SUB_METHODS, "f/0/#"), HUB_SUBSCRIBE_OK);
    assert_int_equal(hub_subscriptions_add(&subs, "d", HUB_SUB_METHODS, "f/5/#"),
                     HUB_SUBSCRIBE_LIMIT);
    // An unsubscribe frees a slot; an unknown filter frees nothing.
    hub_subscriptions_remove(&subs, "d", "f/never/#");
    assert_int_equal(hub_subscriptions_add(&subs, "d", HUB_SUB_METHODS, "f/5/#"),
                     HUB_SUBSCRIBE_LIMIT);
    hub_subscriptions_remove(&subs, "d", "f/2/#");
    assert_int_equal(hub_subscriptions_count(&subs, "d"), HUB_MAX_SUBSCRIPTIONS - 1);
    assert_int_equal(hub_subscriptions_add(&subs, "d", HUB_SUB_C2D, "f/5/#"), HUB_SUBSCRIBE_OK);
    // Other devices have their own five.
    assert_int_equal(hub_subscriptions_add(&subs, "e", HUB_SUB_METHODS, "f/0/#"), HUB_SUBSCRIBE_OK);
    // The kind stays subscribed while any of its filters is.
    assert_true(hub_subscriptions_has(&subs, "d", HUB_SUB_C2D));
    hub_subscriptions_remove(&subs, "d", "f/5/#");
    assert_false(hub_subscriptions_has(&subs, "d", HUB_SUB_C2D));
    assert_true(hub_subscriptions_has(&subs, "d", HUB_SUB_METHODS));
    // A new clean session starts with all five free.
    assert_int_equal(hub_subscriptions_connect(&subs, "d", true), 0);
    assert_int_equal(hub_subscriptions_count(&subs, "d"), 0);
    char too_long[HUB_MAX_FILTER + 2];
    memset(too_long, 'f', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    assert_int_equal(hub_subscriptions_add(&subs, "d", HUB_SUB_METHODS, too_long),
                     HUB_SUBSCRIBE_FAILED);
    hub_subscriptions_free(&subs);
}

// ---- faults and rates ----

static void test_hub_faults_device_setting_overrides_hub_wide(void **state) {
    (void)state;
    struct hub_faults faults = {0};
    assert_int_equal(hub_faults_get(&faults, "a", HUB_FAULT_TWIN).mode, HUB_FAULT_NORMAL);
    assert_int_equal(
        hub_faults_set(&faults, NULL, HUB_FAULT_TWIN, (struct hub_fault){HUB_FAULT_DELAY, 500}), 0);
    assert_int_equal(
        hub_faults_set(&faults, "a", HUB_FAULT_TWIN, (struct hub_fault){HUB_FAULT_NORMAL, 0}), 0);
    assert_int_equal(hub_faults_get(&faults, "a", HUB_FAULT_TWIN).mode, HUB_FAULT_NORMAL);
    struct hub_fault b = hub_faults_get(&faults, "b", HUB_FAULT_TWIN);
    assert_int_equal(b.mode, HUB_FAULT_DELAY);
    assert_int_equal(b.delay_ms, 500);
    assert_int_equal(hub_faults_get(&faults, "b", HUB_FAULT_METHOD).mode, HUB_FAULT_NORMAL);
    assert_int_equal(
        hub_faults_set(&faults, "a", HUB_FAULT_METHOD, (struct hub_fault){HUB_FAULT_DROP, -1}), -1);
    hub_faults_free(&faults);
}

static void test_hub_faults_admit_counts_per_second_window(void **state) {
    (void)state;
    struct hub_faults faults = {0};
    assert_int_equal(hub_faults_admit(&faults, "a", HUB_RATE_TWIN, 0), HUB_ADMIT_OK);
    assert_int_equal(hub_faults_set_rate(&faults, "a", HUB_RATE_TWIN, 2), 0);
    assert_int_equal(hub_faults_admit(&faults, "a", HUB_RATE_TWIN, 1000), HUB_ADMIT_OK);
    assert_int_equal(hub_faults_admit(&faults, "a", HUB_RATE_TWIN, 1100), HUB_ADMIT_OK);
    assert_int_equal(hub_faults_admit(&faults, "a", HUB_RATE_TWIN, 1200), HUB_ADMIT_THROTTLED);
    // Other devices and other kinds are not limited.
    assert_int_equal(hub_faults_admit(&faults, "b", HUB_RATE_TWIN, 1200), HUB_ADMIT_OK);
    assert_int_equal(hub_faults_admit(&faults, "a", HUB_RATE_TELEMETRY, 1200), HUB_ADMIT_OK);
    // A new second, a new allowance.
    assert_int_equal(hub_faults_admit(&faults, "a", HUB_RATE_TWIN, 2000), HUB_ADMIT_OK);
    assert_int_equal(hub_faults_set_rate(&faults, "a", HUB_RATE_TWIN, 0), 0);
    assert_false(faults.any_rate);
    hub_faults_free(&faults);
}

static void test_hub_faults_admit_hub_rate_counts_every_device_together(void **state) {
    (void)state;
    struct hub_faults faults = {0};
    assert_int_equal(hub_faults_set_rate(&faults, NULL, HUB_RATE_TWIN, 3), 0);
    assert_int_equal(hub_faults_set_rate(&faults, "a", HUB_RATE_TWIN, 100), 0);
    assert_int_equal(hub_faults_admit(&faults, "a", HUB_RATE_TWIN, 5000), HUB_ADMIT_OK);
    assert_int_equal(hub_faults_admit(&faults, "b", HUB_RATE_TWIN, 5001), HUB_ADMIT_OK);
    assert_int_equal(hub_faults_admit(&faults, "c", HUB_RATE_TWIN, 5002), HUB_ADMIT_OK);
    // Each device sent at most one: only the hub's total is past its rate.
    assert_int_equal(hub_faults_admit(&faults, "d", HUB_RATE_TWIN, 5003), HUB_ADMIT_THROTTLED);
    assert_int_equal(hub_faults_admit(&faults, "a", HUB_RATE_TWIN, 5004), HUB_ADMIT_THROTTLED);
    assert_int_equal(hub_faults_admit(&faults, "d", HUB_RATE_TELEMETRY, 5004), HUB_ADMIT_OK);
    assert_int_equal(hub_faults_admit(&faults, "d", HUB_RATE_TWIN, 6000), HUB_ADMIT_OK);
    hub_faults_free(&faults);
}

static void test_hub_faults_admit_past_ten_times_is_abusive(void **state) {
    (void)state;
    struct hub_faults faults = {0};
    hub_faults_set_rate(&faults, NULL, HUB_RATE_TELEMETRY, 1);  // hub-wide
    assert_int_equal(hub_faults_admit(&faults, "a", HUB_RATE_TELEMETRY, 0), HUB_ADMIT_OK);
    for (int i = 2; i <= 10; i++) {
        assert_int_equal(hub_faults_admit(&faults, i % 2 ? "a" : "b", HUB_RATE_TELEMETRY, i),
                         HUB_ADMIT_THROTTLED);
    }
    assert_int_equal(hub_faults_admit(&faults, "a", HUB_RATE_TELEMETRY, 11), HUB_ADMIT_ABUSIVE);
    hub_faults_free(&faults);
}

// ---- timers ----

struct fired {
    char order[64];
};

static void record(const struct hub_timer *t, void *ctx) {
    struct fired *f = ctx;
    strncat(f->order, t->payload, sizeof f->order - strlen(f->order) - 1);
}

static void test_hub_timers_fire_due_in_order(void **state) {
    (void)state;
    struct hub_timers timers = {0};
    assert_int_equal(hub_timers_next_due(&timers), -1);
    assert_int_equal(hub_timers_add(&timers, 300, "d", "t", "c", 1, 0), 0);
    assert_int_equal(hub_timers_add(&timers, 100, "d", "t", "a", 1, 0), 0);
    assert_int_equal(hub_timers_add(&timers, 100, "d", "t", "b", 1, 0), 0);
    assert_int_equal(hub_timers_add(&timers, 200, "d", "t", "", 0, 1), 0);
    assert_int_equal(hub_timers_next_due(&timers), 100);
    struct fired f = {""};
    assert_int_equal(hub_timers_fire(&timers, 99, record, &f), 0);
    assert_int_equal(hub_timers_fire(&timers, 200, record, &f), 3);
    assert_string_equal(f.order, "ab");
    assert_int_equal(hub_timers_next_due(&timers), 300);
    assert_int_equal(hub_timers_fire(&timers, 1000, record, &f), 1);
    assert_string_equal(f.order, "abc");
    hub_timers_free(&timers);
}

static void test_hub_timers_add_refuses_past_limit(void **state) {
    (void)state;
    struct hub_timers timers = {0};
    for (int i = 0; i < HUB_TIMERS_MAX; i++) {
        assert_int_equal(hub_timers_add(&timers, i, "d", "t", "x", 1, 0), 0);
    }
    assert_int_equal(hub_timers_add(&timers, 0, "d", "t", "x", 1, 0), -1);
    hub_timers_free(&timers);
    assert_int_equal(timers.count, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_subscriptions_clean_session_starts_empty),
        cmocka_unit_test(test_hub_subscriptions_persistent_session_keeps_filters),
        cmocka_unit_test(test_hub_subscriptions_remove_and_forget),
        cmocka_unit_test(test_hub_subscriptions_sixth_distinct_filter_hits_limit),
        cmocka_unit_test(test_hub_faults_device_setting_overrides_hub_wide),
        cmocka_unit_test(test_hub_faults_admit_counts_per_second_window),
        cmocka_unit_test(test_hub_faults_admit_hub_rate_counts_every_device_together),
        cmocka_unit_test(test_hub_faults_admit_past_ten_times_is_abusive),
        cmocka_unit_test(test_hub_timers_fire_due_in_order),
        cmocka_unit_test(test_hub_timers_add_refuses_past_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
