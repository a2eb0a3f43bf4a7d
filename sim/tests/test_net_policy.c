// SPDX-License-Identifier: MIT
// The device's network policy without I/O: AllowedConnections matching (exact names in any case,
// "*." wildcards, IP literals), the host map and its text form, lookups, and connection
// decisions (allowed, denied, no network, nothing on the port, real-DNS answers, the dial hook).
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "os/net_policy.h"

static struct sim_net_policy policy;
static struct sim_manifest_capabilities caps;

static void allow(const char *entry) {
    snprintf(caps.allowed_connections[caps.allowed_connection_count++],
             sizeof(caps.allowed_connections[0]), "%s", entry);
}

static struct sim_net_endpoint loopback(uint16_t port) {
    struct sim_net_endpoint endpoint = {.port = port};
    sim_net_addr_from_ipv4(0x7F000001u, endpoint.addr);
    return endpoint;
}

static int set_up(void **state) {
    sim_net_policy_init(&policy);
    memset(&caps, 0, sizeof(caps));
    return 0;
}

static void test_sim_net_entry_matches_exact_name_ignores_case_and_trailing_dot(void **state) {
    assert_true(sim_net_entry_matches("hub.azure-devices.net", "hub.azure-devices.net"));
    assert_true(sim_net_entry_matches("Hub.Azure-Devices.NET", "hub.azure-devices.net"));
    assert_true(sim_net_entry_matches("hub.azure-devices.net", "HUB.azure-devices.net."));
    assert_false(sim_net_entry_matches("hub.azure-devices.net", "hub2.azure-devices.net"));
    assert_false(sim_net_entry_matches("hub.azure-devices.net", "xhub.azure-devices.net"));
    assert_false(sim_net_entry_matches("hub.azure-devices.net", "hub.azure-devices.net.evil"));
    assert_false(sim_net_entry_matches("hub.azure-devices.net", ""));
}

static void test_sim_net_entry_matches_wildcard_subdomains_only_not_bare_domain(void **state) {
    assert_true(sim_net_entry_matches("*.contoso.com", "a.contoso.com"));
    assert_true(sim_net_entry_matches("*.contoso.com", "a.b.CONTOSO.com"));
    assert_false(sim_net_entry_matches("*.contoso.com", "contoso.com"));
    assert_false(sim_net_entry_matches("*.contoso.com", "evilcontoso.com"));
    assert_false(sim_net_entry_matches("*.contoso.com", ".contoso.com"));
    assert_false(sim_net_entry_matches("*.0.1", "127.0.0.1"));
}

static void test_sim_net_entry_matches_ip_literal_exact_only(void **state) {
    assert_true(sim_net_entry_matches("192.168.1.10", "192.168.1.10"));
    assert_false(sim_net_entry_matches("192.168.1.10", "192.168.1.100"));
    allow("example.com");
    allow("10.0.0.1");
    assert_string_equal(sim_net_allowed_entry(&caps, "10.0.0.1"), "10.0.0.1");
    assert_null(sim_net_allowed_entry(&caps, "10.0.0.2"));
    assert_string_equal(sim_net_allowed_entry(&caps, "EXAMPLE.com"), "example.com");
}

static void test_sim_net_policy_map_text_valid_forms_resolve(void **state) {
    char err[256] = "";
    assert_int_equal(
        sim_net_policy_map_text(&policy, "Hub.Example.test:8883=127.0.0.1:40000", err, sizeof(err)),
        SIM_NET_OK);
    assert_int_equal(
        sim_net_policy_map_text(&policy, "any.example.test=127.0.0.2", err, sizeof(err)),
        SIM_NET_OK);
    assert_int_equal(policy.host_count, 2);
    assert_string_equal(policy.hosts[0].name, "hub.example.test");
    assert_int_equal(policy.hosts[0].ports[0].from_port, 8883);
    assert_int_equal(policy.hosts[0].ports[0].to.port, 40000);
    assert_int_equal(policy.hosts[1].ports[0].from_port, 0);
    assert_int_equal(policy.hosts[1].ports[0].to.port, 0);
}

static void test_sim_net_policy_map_text_bad_input_fails_naming_the_part(void **state) {
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"no-equals", "expected NAME[:PORT]=ADDRESS[:PORT]"},
        {"a.test=1.2.3.4=5", "expected NAME[:PORT]=ADDRESS[:PORT]"},
        {"a.test:0=127.0.0.1", "'0' is not a port"},
        {"a.test:70000=127.0.0.1", "'70000' is not a port"},
        {"a.test=127.0.0.1:", "'' is not a port"},
        {"a.test=localhost", "'localhost' is not an IPv4 address"},
        {"a.test=10.0.0.1", "not a loopback (127.0.0.0/8) address"},
        {"bad name=127.0.0.1", "'bad name' is not a host name"},
        {"*.test=127.0.0.1", "'*.test' is not a host name"},
        {"127.0.0.5=127.0.0.1", "'127.0.0.5' is not a host name"},
        {"=127.0.0.1", "'' is not a host name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        assert_int_equal(sim_net_policy_map_text(&policy, cases[i].text, err, sizeof(err)),
                         SIM_NET_ERR_INVALID);
        if (strstr(err, cases[i].message) == NULL) {
            fail_msg("'%s': got \"%s\", expected it to contain \"%s\"", cases[i].text, err,
                     cases[i].message);
        }
    }
    assert_int_equal(policy.host_count, 0);
}

static void test_sim_net_policy_map_full_map_fails_FULL(void **state) {
    struct sim_net_endpoint to = loopback(1000);
    char name[32];
    for (int i = 0; i < SIM_NET_MAX_HOSTS; i++) {
        snprintf(name, sizeof(name), "h%d.test", i);
        assert_int_equal(sim_net_policy_map(&policy, name, 0, &to, NULL, 0), SIM_NET_OK);
    }
    char err[128];
    assert_int_equal(sim_net_policy_map(&policy, "one-more.test", 0, &to, err, sizeof(err)),
                     SIM_NET_ERR_FULL);
    assert_non_null(strstr(err, "host map is full"));
}

static void test_sim_net_policy_lookup_mapped_name_gets_synthetic_address(void **state) {
    struct sim_net_endpoint to = loopback(40000);
    assert_int_equal(sim_net_policy_map(&policy, "a.test", 8883, &to, NULL, 0), SIM_NET_OK);
    assert_int_equal(sim_net_policy_map(&policy, "b.test", 0, &to, NULL, 0), SIM_NET_OK);
    struct sim_net_lookup lookup;
    assert_int_equal(sim_net_policy_lookup(&policy, true, "B.TEST.", &lookup), 0);
    assert_int_equal(lookup.kind, SIM_NET_LOOKUP_MAPPED);
    assert_int_equal(lookup.ipv4, SIM_NET_SYNTHETIC_NET | 2);
    assert_int_equal(sim_net_policy_lookup(&policy, true, "a.test", &lookup), 0);
    assert_int_equal(lookup.ipv4, SIM_NET_SYNTHETIC_NET | 1);
}

static void test_sim_net_policy_lookup_unknown_or_invalid_name_fails_ENOENT(void **state) {
    struct sim_net_lookup lookup;
    assert_int_equal(sim_net_policy_lookup(&policy, true, "unknown.test", &lookup), ENOENT);
    assert_int_equal(sim_net_policy_lookup(&policy, true, "bad name", &lookup), ENOENT);
    assert_int_equal(sim_net_policy_lookup(&policy, true, "", &lookup), ENOENT);
    assert_int_equal(sim_net_policy_lookup(&policy, true, "a..test", &lookup), ENOENT);
    char long_label[80];
    memset(long_label, 'a', 64);
    memcpy(long_label + 64, ".test", 6);
    assert_int_equal(sim_net_policy_lookup(&policy, true, long_label, &lookup), ENOENT);
}

static void test_sim_net_policy_lookup_network_down_fails_ENETDOWN(void **state) {
    struct sim_net_endpoint to = loopback(40000);
    assert_int_equal(sim_net_policy_map(&policy, "a.test", 0, &to, NULL, 0), SIM_NET_OK);
    struct sim_net_lookup lookup;
    assert_int_equal(sim_net_policy_lookup(&policy, false, "a.test", &lookup), ENETDOWN);
}

static void test_sim_net_policy_lookup_unknown_name_with_real_dns_goes_to_real_dns(void **state) {
    policy.real_dns = true;
    struct sim_net_lookup lookup;
    assert_int_equal(sim_net_policy_lookup(&policy, true, "hub.azure-devices.net", &lookup), 0);
    assert_int_equal(lookup.kind, SIM_NET_LOOKUP_REAL_DNS);
}

static void synthetic(uint32_t index, uint8_t out[SIM_NET_ADDR_SIZE]) {
    sim_net_addr_from_ipv4(SIM_NET_SYNTHETIC_NET | index, out);
}

static void test_sim_net_policy_connect_allowed_name_dials_mapped_endpoint(void **state) {
    struct sim_net_endpoint to = loopback(40000);
    assert_int_equal(sim_net_policy_map(&policy, "hub.test", 8883, &to, NULL, 0), SIM_NET_OK);
    allow("*.test");
    uint8_t addr[SIM_NET_ADDR_SIZE];
    synthetic(1, addr);
    struct sim_net_connect decision;
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, addr, 8883, &decision), 0);
    assert_string_equal(decision.host, "hub.test");
    assert_string_equal(decision.allowed_by, "*.test");
    assert_memory_equal(decision.dial.addr, to.addr, SIM_NET_ADDR_SIZE);
    assert_int_equal(decision.dial.port, 40000);
}

static void test_sim_net_policy_connect_any_port_mapping_keeps_the_port(void **state) {
    struct sim_net_endpoint to = loopback(0);
    assert_int_equal(sim_net_policy_map(&policy, "web.test", 0, &to, NULL, 0), SIM_NET_OK);
    allow("web.test");
    uint8_t addr[SIM_NET_ADDR_SIZE];
    synthetic(1, addr);
    struct sim_net_connect decision;
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, addr, 443, &decision), 0);
    assert_int_equal(decision.dial.port, 443);
}

static void test_sim_net_policy_connect_name_not_allowed_fails_EACCES(void **state) {
    struct sim_net_endpoint to = loopback(40000);
    assert_int_equal(sim_net_policy_map(&policy, "evil.test", 0, &to, NULL, 0), SIM_NET_OK);
    allow("good.test");
    allow("*.evil.test");
    uint8_t addr[SIM_NET_ADDR_SIZE];
    synthetic(1, addr);
    struct sim_net_connect decision;
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, addr, 443, &decision), EACCES);
    assert_string_equal(decision.host, "evil.test");
}

static void test_sim_net_policy_connect_unmapped_port_fails_ECONNREFUSED(void **state) {
    struct sim_net_endpoint to = loopback(40000);
    assert_int_equal(sim_net_policy_map(&policy, "hub.test", 8883, &to, NULL, 0), SIM_NET_OK);
    allow("hub.test");
    uint8_t addr[SIM_NET_ADDR_SIZE];
    synthetic(1, addr);
    struct sim_net_connect decision;
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, addr, 443, &decision),
                     ECONNREFUSED);
}

static void test_sim_net_policy_connect_network_down_fails_ENETUNREACH(void **state) {
    struct sim_net_endpoint to = loopback(40000);
    assert_int_equal(sim_net_policy_map(&policy, "hub.test", 0, &to, NULL, 0), SIM_NET_OK);
    allow("hub.test");
    uint8_t addr[SIM_NET_ADDR_SIZE];
    synthetic(1, addr);
    struct sim_net_connect decision;
    assert_int_equal(sim_net_policy_connect(&policy, &caps, false, addr, 80, &decision),
                     ENETUNREACH);
    assert_string_equal(decision.host, "hub.test");
}

static void test_sim_net_policy_connect_ip_literal_needs_an_ip_entry(void **state) {
    uint8_t addr[SIM_NET_ADDR_SIZE];
    sim_net_addr_from_ipv4(0x7F000001u, addr);
    struct sim_net_connect decision;
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, addr, 5000, &decision), EACCES);
    assert_string_equal(decision.host, "127.0.0.1");
    allow("*.0.0.1");  // a wildcard never admits an address
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, addr, 5000, &decision), EACCES);
    allow("127.0.0.1");
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, addr, 5000, &decision), 0);
    assert_memory_equal(decision.dial.addr, addr, SIM_NET_ADDR_SIZE);
    assert_int_equal(decision.dial.port, 5000);
    // A synthetic address the map never issued is just an address.
    synthetic(7, addr);
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, addr, 5000, &decision), EACCES);
    assert_string_equal(decision.host, "127.77.0.7");
}

static void test_sim_net_policy_connect_real_dns_address_checked_by_its_name(void **state) {
    policy.real_dns = true;
    allow("hub.azure-devices.net");
    uint8_t hub[SIM_NET_ADDR_SIZE];
    uint8_t other[SIM_NET_ADDR_SIZE];
    sim_net_addr_from_ipv4(0x7F000102u, hub);
    sim_net_addr_from_ipv4(0x7F000103u, other);
    sim_net_policy_note_resolved(&policy, "HUB.azure-devices.net", hub);
    sim_net_policy_note_resolved(&policy, "tracker.example.com", other);
    struct sim_net_connect decision;
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, hub, 8883, &decision), 0);
    assert_string_equal(decision.host, "hub.azure-devices.net");
    assert_memory_equal(decision.dial.addr, hub, SIM_NET_ADDR_SIZE);
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, other, 443, &decision), EACCES);
    assert_string_equal(decision.host, "tracker.example.com");
}

static void test_sim_net_policy_note_resolved_without_real_dns_is_ignored(void **state) {
    uint8_t addr[SIM_NET_ADDR_SIZE];
    sim_net_addr_from_ipv4(0x7F000102u, addr);
    sim_net_policy_note_resolved(&policy, "a.test", addr);
    assert_int_equal(policy.resolved_count, 0);
}

static void test_sim_net_policy_note_resolved_ring_keeps_newest(void **state) {
    policy.real_dns = true;
    uint8_t addr[SIM_NET_ADDR_SIZE];
    char name[32];
    for (uint32_t i = 0; i < SIM_NET_MAX_RESOLVED + 5; i++) {
        snprintf(name, sizeof(name), "h%u.test", i);
        sim_net_addr_from_ipv4(0x7F010000u + i, addr);
        sim_net_policy_note_resolved(&policy, name, addr);
    }
    assert_int_equal(policy.resolved_count, SIM_NET_MAX_RESOLVED);
    allow("h0.test");
    allow("h68.test");
    struct sim_net_connect decision;
    sim_net_addr_from_ipv4(0x7F010000u, addr);
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, addr, 1, &decision), EACCES);
    sim_net_addr_from_ipv4(0x7F010000u + 68, addr);
    assert_int_equal(sim_net_policy_connect(&policy, &caps, true, addr, 1, &decision), 0);
}

static void test_sim_net_addr_format_ipv4_and_ipv6(void **state) {
    uint8_t addr[SIM_NET_ADDR_SIZE];
    char text[SIM_NET_TEXT_SIZE];
    sim_net_addr_from_ipv4(0x7F4D0001u, addr);
    sim_net_addr_format(addr, text, sizeof(text));
    assert_string_equal(text, "127.77.0.1");
    memset(addr, 0, sizeof(addr));
    addr[15] = 1;
    sim_net_addr_format(addr, text, sizeof(text));
    assert_string_equal(text, "::1");
    uint32_t ipv4;
    assert_false(sim_net_addr_to_ipv4(addr, &ipv4));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sim_net_entry_matches_exact_name_ignores_case_and_trailing_dot,
                               set_up),
        cmocka_unit_test_setup(test_sim_net_entry_matches_wildcard_subdomains_only_not_bare_domain,
                               set_up),
        cmocka_unit_test_setup(test_sim_net_entry_matches_ip_literal_exact_only, set_up),
        cmocka_unit_test_setup(test_sim_net_policy_map_text_valid_forms_resolve, set_up),
        cmocka_unit_test_setup(test_sim_net_policy_map_text_bad_input_fails_naming_the_part,
                               set_up),
        cmocka_unit_test_setup(test_sim_net_policy_map_full_map_fails_FULL, set_up),
        cmocka_unit_test_setup(test_sim_net_policy_lookup_mapped_name_gets_synthetic_address,
                               set_up),
        cmocka_unit_test_setup(test_sim_net_policy_lookup_unknown_or_invalid_name_fails_ENOENT,
                               set_up),
        cmocka_unit_test_setup(test_sim_net_policy_lookup_network_down_fails_ENETDOWN, set_up),
        cmocka_unit_test_setup(
            test_sim_net_policy_lookup_unknown_name_with_real_dns_goes_to_real_dns, set_up),
        cmocka_unit_test_setup(test_sim_net_policy_connect_allowed_name_dials_mapped_endpoint,
                               set_up),
        cmocka_unit_test_setup(test_sim_net_policy_connect_any_port_mapping_keeps_the_port, set_up),
        cmocka_unit_test_setup(test_sim_net_policy_connect_name_not_allowed_fails_EACCES, set_up),
        cmocka_unit_test_setup(test_sim_net_policy_connect_unmapped_port_fails_ECONNREFUSED,
                               set_up),
        cmocka_unit_test_setup(test_sim_net_policy_connect_network_down_fails_ENETUNREACH, set_up),
        cmocka_unit_test_setup(test_sim_net_policy_connect_ip_literal_needs_an_ip_entry, set_up),
        cmocka_unit_test_setup(test_sim_net_policy_connect_real_dns_address_checked_by_its_name,
                               set_up),
        cmocka_unit_test_setup(test_sim_net_policy_note_resolved_without_real_dns_is_ignored,
                               set_up),
        cmocka_unit_test_setup(test_sim_net_policy_note_resolved_ring_keeps_newest, set_up),
        cmocka_unit_test_setup(test_sim_net_addr_format_ipv4_and_ipv6, set_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
