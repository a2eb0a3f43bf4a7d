// SPDX-License-Identifier: MIT
// The `connections` condition's count of the app's open TCP connections: a process that has
// forked from the device process and not yet exec'd the app holds the OS's sockets, which must
// not be counted as the app's (they made "never more than one connection" fail at boot).
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/runner_internal.h"

// A loopback connection, both ends in this process: two established sockets.
static void connect_loopback(int fds[3]) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fds[0] >= 0);
    assert_int_equal(bind(fds[0], (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(fds[0], 1), 0);
    assert_int_equal(getsockname(fds[0], (struct sockaddr *)&addr, &len), 0);
    fds[1] = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fds[1], (struct sockaddr *)&addr, sizeof(addr)), 0);
    fds[2] = accept(fds[0], NULL, NULL);
    assert_true(fds[2] >= 0);
}

static void test_a_copy_of_the_device_process_has_no_connections_of_its_own(void **state) {
    int fds[3];
    connect_loopback(fds);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        // Still this program, holding the sockets: as before exec. It lets go of the test's
        // output, and ends by itself should a failed assertion leave it behind.
        close(STDOUT_FILENO);
        close(STDERR_FILENO);
        alarm(30);
        pause();
        _exit(0);
    }
    // The same program as the "device process" (this one): not the app yet.
    assert_int_equal(rn_app_open_connections(child, getpid()), 0);
    // Seen as a process of its own (here: judged against a process running another program,
    // init), its descriptors count.
    assert_int_equal(rn_app_open_connections(child, 1), 2);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    for (int i = 0; i < 3; i++) {
        close(fds[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_copy_of_the_device_process_has_no_connections_of_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
