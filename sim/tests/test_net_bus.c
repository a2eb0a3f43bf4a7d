// SPDX-License-Identifier: MIT
// The app's outbound networking end to end in one process: getaddrinfo and connect as an app
// calls them, interposed by hal_stub, decided by the OS's bus server and net policy, and the
// connection really made to a listener on 127.0.0.1. Covers mapped and unknown names, the
// network going down, AllowedConnections denials and their audit, IPv6 sockets, and Unix-domain
// sockets staying untouched.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "os/net_policy.h"
#include "os_harness.h"

static const char manifest[] =
    "{\"SchemaVersion\":1,\"Name\":\"net-test\","
    "\"ComponentId\":\"11111111-2222-3333-4444-555555555555\",\"EntryPoint\":\"/bin/app\","
    "\"CmdArgs\":[],\"Capabilities\":{\"AllowedConnections\":[\"hub.test\",\"*.wild.test\"]},"
    "\"ApplicationType\":\"Default\"}";

static struct sim_device *device;
static int listener = -1;
static uint16_t listener_port;

static void map(const char *name, uint16_t from_port) {
    struct sim_net_endpoint to = {.port = listener_port};
    sim_net_addr_from_ipv4(0x7F000001u, to.addr);
    os_harness_lock();
    assert_int_equal(sim_net_policy_map(&device->net, name, from_port, &to, NULL, 0), SIM_NET_OK);
    os_harness_unlock();
}

static void set_link(bool up) {
    os_harness_lock();
    device->network.link_up = up;
    os_harness_unlock();
}

// One harness for the whole process (hal_stub keeps the bus it found first).
static int group_set_up(void **state) {
    device = os_harness_start(manifest);
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    // bind and listen are not interposed; only outbound connections are.
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(listener, 8) != 0 || getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
        return -1;
    }
    listener_port = ntohs(addr.sin_port);
    return 0;
}

static int group_tear_down(void **state) {
    close(listener);
    os_harness_stop();
    return 0;
}

// Each test starts from a clean policy and audit, with the network up.
static int set_up(void **state) {
    os_harness_lock();
    sim_net_policy_init(&device->net);
    sim_audit_reset(&device->audit);
    device->network.link_up = true;
    os_harness_unlock();
    map("hub.test", 8883);
    map("evil.test", 0);
    map("a.wild.test", 0);
    return 0;
}

static unsigned audit_count(const char *capability, bool denied) {
    unsigned count = 0;
    os_harness_lock();
    for (size_t i = 0; i < device->audit.count; i++) {
        if (strcmp(device->audit.entries[i].capability, capability) == 0) {
            count = denied ? device->audit.entries[i].denied : device->audit.entries[i].used;
        }
    }
    os_harness_unlock();
    return count;
}

// Connects a non-blocking socket of family to name:port the way libmosquitto does; returns 0 or
// the errno, and the socket in *out_fd.
static int connect_by_name(int family, const char *name, const char *port, int *out_fd) {
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    *out_fd = -1;
    if (getaddrinfo(name, port, &hints, &list) != 0) {
        return -1;
    }
    int fd = socket(list->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int err = 0;
    if (connect(fd, list->ai_addr, list->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            assert_int_equal(poll(&pfd, 1, 5000), 1);
            socklen_t len = sizeof(err);
            assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
        }
    }
    freeaddrinfo(list);
    *out_fd = fd;
    return err;
}

static void test_getaddrinfo_mapped_name_returns_synthetic_address(void **state) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_CANONNAME | AI_ADDRCONFIG};
    struct addrinfo *list = NULL;
    assert_int_equal(getaddrinfo("HUB.test", "8883", &hints, &list), 0);
    assert_int_equal(list->ai_family, AF_INET);
    const struct sockaddr_in *in = (const struct sockaddr_in *)list->ai_addr;
    assert_int_equal(ntohl(in->sin_addr.s_addr), SIM_NET_SYNTHETIC_NET | 1);
    assert_int_equal(ntohs(in->sin_port), 8883);
    assert_string_equal(list->ai_canonname, "HUB.test");
    freeaddrinfo(list);

    hints = (struct addrinfo){.ai_family = AF_INET6, .ai_socktype = SOCK_STREAM};
    assert_int_equal(getaddrinfo("hub.test", NULL, &hints, &list), 0);
    assert_int_equal(list->ai_family, AF_INET6);
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)list->ai_addr)->sin6_addr, text,
              sizeof(text));
    assert_string_equal(text, "::ffff:127.77.0.1");
    freeaddrinfo(list);
}

static void test_getaddrinfo_unknown_name_fails_EAI_NONAME(void **state) {
    struct addrinfo *list = NULL;
    assert_int_equal(getaddrinfo("unknown.test", "80", NULL, &list), EAI_NONAME);
    assert_int_equal(getaddrinfo("not a name", "80", NULL, &list), EAI_NONAME);
}

static void test_getaddrinfo_numeric_host_is_not_asked(void **state) {
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    set_link(false);  // the OS would refuse a lookup now; a numeric host needs none
    assert_int_equal(getaddrinfo("127.0.0.1", "80", &hints, &list), 0);
    assert_int_equal(ntohl(((const struct sockaddr_in *)list->ai_addr)->sin_addr.s_addr),
                     0x7F000001u);
    freeaddrinfo(list);
}

static void test_getaddrinfo_network_down_fails_EAI_AGAIN(void **state) {
    set_link(false);
    struct addrinfo *list = NULL;
    assert_int_equal(getaddrinfo("hub.test", "8883", NULL, &list), EAI_AGAIN);
    set_link(true);
    assert_int_equal(getaddrinfo("hub.test", "8883", NULL, &list), 0);
    freeaddrinfo(list);
}

static void test_connect_allowed_name_reaches_the_mapped_listener(void **state) {
    int fd;
    assert_int_equal(connect_by_name(AF_INET, "hub.test", "8883", &fd), 0);
    int accepted = accept(listener, NULL, NULL);
    assert_true(accepted >= 0);
    assert_int_equal(send(fd, "x", 1, 0), 1);
    char byte = 0;
    assert_int_equal(recv(accepted, &byte, 1, 0), 1);
    assert_int_equal(byte, 'x');
    // The socket stays non-blocking, as the app made it.
    assert_true((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    close(accepted);
    close(fd);
    assert_int_equal(audit_count("AllowedConnections:hub.test", false), 1);
}

static void test_connect_wildcard_entry_allows_subdomain_on_ipv6_socket(void **state) {
    int fd;
    assert_int_equal(connect_by_name(AF_INET6, "a.wild.test", "443", &fd), 0);
    int accepted = accept(listener, NULL, NULL);
    assert_true(accepted >= 0);
    close(accepted);
    close(fd);
    assert_int_equal(audit_count("AllowedConnections:*.wild.test", false), 1);
}

static void test_connect_name_not_in_manifest_fails_EACCES_and_is_audited(void **state) {
    int fd;
    assert_int_equal(connect_by_name(AF_INET, "evil.test", "443", &fd), EACCES);
    close(fd);
    assert_int_equal(connect_by_name(AF_INET, "evil.test", "80", &fd), EACCES);
    close(fd);
    assert_int_equal(audit_count("AllowedConnections:evil.test", true), 2);
}

static void test_connect_unmapped_port_fails_ECONNREFUSED(void **state) {
    int fd;
    assert_int_equal(connect_by_name(AF_INET, "hub.test", "443", &fd), ECONNREFUSED);
    close(fd);
}

static void test_connect_network_down_fails_ENETUNREACH(void **state) {
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    assert_int_equal(getaddrinfo("hub.test", "8883", &hints, &list), 0);
    set_link(false);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    errno = 0;
    assert_int_equal(connect(fd, list->ai_addr, list->ai_addrlen), -1);
    assert_int_equal(errno, ENETUNREACH);
    close(fd);
    freeaddrinfo(list);
}

static void test_connect_ip_literal_not_in_manifest_fails_EACCES(void **state) {
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                               .sin_port = htons(listener_port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    errno = 0;
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), -1);
    assert_int_equal(errno, EACCES);
    close(fd);
    assert_int_equal(audit_count("AllowedConnections:127.0.0.1", true), 1);
}

static void test_connect_unix_socket_is_not_interposed(void **state) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%.80s/test.sock", device->dir);
    assert_true(n > 0 && (size_t)n < sizeof(addr.sun_path));
    int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(server, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(server, 1), 0);
    set_link(false);  // no network, no manifest entry: a Unix socket needs neither
    int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(client, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(client);
    close(server);
}

static void test_connect_bad_descriptor_fails_EBADF(void **state) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    errno = 0;
    assert_int_equal(connect(-1, (struct sockaddr *)&addr, sizeof(addr)), -1);
    assert_int_equal(errno, EBADF);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_getaddrinfo_mapped_name_returns_synthetic_address, set_up),
        cmocka_unit_test_setup(test_getaddrinfo_unknown_name_fails_EAI_NONAME, set_up),
        cmocka_unit_test_setup(test_getaddrinfo_numeric_host_is_not_asked, set_up),
        cmocka_unit_test_setup(test_getaddrinfo_network_down_fails_EAI_AGAIN, set_up),
        cmocka_unit_test_setup(test_connect_allowed_name_reaches_the_mapped_listener, set_up),
        cmocka_unit_test_setup(test_connect_wildcard_entry_allows_subdomain_on_ipv6_socket, set_up),
        cmocka_unit_test_setup(test_connect_name_not_in_manifest_fails_EACCES_and_is_audited,
                               set_up),
        cmocka_unit_test_setup(test_connect_unmapped_port_fails_ECONNREFUSED, set_up),
        cmocka_unit_test_setup(test_connect_network_down_fails_ENETUNREACH, set_up),
        cmocka_unit_test_setup(test_connect_ip_literal_not_in_manifest_fails_EACCES, set_up),
        cmocka_unit_test_setup(test_connect_unix_socket_is_not_interposed, set_up),
        cmocka_unit_test_setup(test_connect_bad_descriptor_fails_EBADF, set_up),
    };
    return cmocka_run_group_tests(tests, group_set_up, group_tear_down);
}
