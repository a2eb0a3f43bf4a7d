// SPDX-License-Identifier: MIT
// Unit tests for the device-to-connection table: a new connection replaces the old one, the old
// one's disconnect does not take the device offline, and the table stays sorted and correct as
// it grows and shrinks.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cloud/hub_sessions.h"

static void test_hub_sessions_set_new_device_not_replaced(void **state) {
    (void)state;
    struct hub_sessions s = {0};
    int client = 0;
    bool replaced = true;
    assert_int_equal(hub_sessions_set(&s, "d1", &client, HUB_AUTH_SAS, &replaced), 0);
    assert_false(replaced);
    const struct hub_session *found = hub_sessions_find(&s, "d1");
    assert_non_null(found);
    assert_ptr_equal(found->client, &client);
    assert_int_equal(found->auth, HUB_AUTH_SAS);
    hub_sessions_free(&s);
}

static void test_hub_sessions_remove_replaced_connection_keeps_device_online(void **state) {
    (void)state;
    struct hub_sessions s = {0};
    int old_client = 0;
    int new_client = 0;
    bool replaced = false;
    assert_int_equal(hub_sessions_set(&s, "d1", &old_client, HUB_AUTH_X509, NULL), 0);
    assert_int_equal(hub_sessions_set(&s, "d1", &new_client, HUB_AUTH_X509, &replaced), 0);
    assert_true(replaced);
    assert_false(hub_sessions_remove(&s, "d1", &old_client));
    assert_ptr_equal(hub_sessions_find(&s, "d1")->client, &new_client);
    assert_true(hub_sessions_remove(&s, "d1", &new_client));
    assert_null(hub_sessions_find(&s, "d1"));
    assert_false(hub_sessions_remove(&s, "d1", &new_client));
    hub_sessions_free(&s);
}

static void test_hub_sessions_many_devices_found_after_removals(void **state) {
    (void)state;
    struct hub_sessions s = {0};
    static int clients[500];
    char id[16];
    for (int i = 499; i >= 0; i--) {  // reverse order exercises insertion at the front
        snprintf(id, sizeof id, "dev-%03d", i);
        assert_int_equal(hub_sessions_set(&s, id, &clients[i], HUB_AUTH_X509, NULL), 0);
    }
    for (int i = 0; i < 500; i += 2) {
        snprintf(id, sizeof id, "dev-%03d", i);
        assert_true(hub_sessions_remove(&s, id, &clients[i]));
    }
    assert_int_equal(s.count, 250);
    for (int i = 0; i < 500; i++) {
        snprintf(id, sizeof id, "dev-%03d", i);
        const struct hub_session *found = hub_sessions_find(&s, id);
        if (i % 2 == 0) {
            assert_null(found);
        } else {
            assert_non_null(found);
            assert_ptr_equal(found->client, &clients[i]);
        }
    }
    for (size_t i = 1; i < s.count; i++) {
        assert_true(strcmp(s.items[i - 1].device_id, s.items[i].device_id) < 0);
    }
    hub_sessions_free(&s);
    assert_int_equal(s.count, 0);
}

static void test_hub_sessions_set_overlong_id_fails(void **state) {
    (void)state;
    struct hub_sessions s = {0};
    char id[HUB_MAX_ID + 2];
    memset(id, 'a', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    int client = 0;
    assert_int_equal(hub_sessions_set(&s, id, &client, HUB_AUTH_X509, NULL), -1);
    assert_int_equal(s.count, 0);
    hub_sessions_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_sessions_set_new_device_not_replaced),
        cmocka_unit_test(test_hub_sessions_remove_replaced_connection_keeps_device_online),
        cmocka_unit_test(test_hub_sessions_many_devices_found_after_removals),
        cmocka_unit_test(test_hub_sessions_set_overlong_id_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
