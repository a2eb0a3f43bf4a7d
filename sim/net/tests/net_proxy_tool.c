// SPDX-License-Identifier: MIT
// A standalone fault proxy for scripts and manual experiments: one endpoint forwarding to
// 127.0.0.1:PORT, toxics given on the command line, and proxy commands (net_command.h) read from
// stdin, one per line, each answered on stdout with "ok" or "error: …" after the reply. Prints
// "listening PORT" once ready; every event goes to stderr. Ends on SIGINT, SIGTERM or stdin EOF.
//
//   net_proxy_tool --upstream 8883 [--name hub] [--seed N] [--toxic "latency 100ms down"]...
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "net/net_command.h"
#include "net/net_proxy.h"

#define MAX_TOXICS 16

static void print_event(const struct sim_net_event *event, void *context) {
    char line[256];
    sim_net_event_format(event, line, sizeof(line));
    fprintf(stderr, "net: %s\n", line);
}

static int usage(const char *why) {
    fprintf(stderr,
            "net_proxy_tool: %s\nusage: net_proxy_tool --upstream PORT [--name NAME] "
            "[--seed N] [--toxic TEXT]...\n",
            why);
    return 2;
}

// Reads what stdin has and runs each complete line. Returns 0 at EOF.
static int serve_stdin(struct sim_net_proxy *proxy, char *pending, size_t *pending_len,
                       size_t cap) {
    ssize_t n = read(STDIN_FILENO, pending + *pending_len, cap - *pending_len - 1);
    if (n <= 0) {
        return n < 0 && errno == EINTR ? 1 : 0;
    }
    *pending_len += (size_t)n;
    pending[*pending_len] = '\0';
    char *line = pending;
    for (char *nl = strchr(line, '\n'); nl != NULL; nl = strchr(line, '\n')) {
        *nl = '\0';
        char reply[4096];
        enum sim_net_proxy_result r = sim_net_command_line(proxy, line, reply, sizeof(reply));
        if (r == SIM_NET_PROXY_OK) {
            printf("%sok\n", reply);
        } else {
            printf("error: %s\n", reply);
        }
        fflush(stdout);
        line = nl + 1;
    }
    *pending_len = strlen(line);
    memmove(pending, line, *pending_len + 1);
    if (*pending_len == cap - 1) {
        *pending_len = 0;  // an endless line: drop it rather than stall
    }
    return 1;
}

int main(int argc, char **argv) {
    const char *name = "hub";
    long upstream = 0;
    uint64_t seed = 1;
    const char *toxics[MAX_TOXICS];
    size_t toxic_count = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) {
            return usage("every option takes a value");
        }
        if (strcmp(argv[i], "--upstream") == 0) {
            upstream = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--name") == 0) {
            name = argv[++i];
        } else if (strcmp(argv[i], "--seed") == 0) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--toxic") == 0 && toxic_count < MAX_TOXICS) {
            toxics[toxic_count++] = argv[++i];
        } else {
            return usage("unknown option or too many toxics");
        }
    }
    if (upstream <= 0 || upstream > 65535) {
        return usage("--upstream must be a port number");
    }
    struct sim_net_proxy_options options = {.seed = seed, .on_event = print_event};
    struct sim_net_proxy *proxy = NULL;
    uint16_t port = 0;
    if (sim_net_proxy_create(&options, &proxy) != SIM_NET_PROXY_OK ||
        sim_net_proxy_add_endpoint(proxy, name, "127.0.0.1", (uint16_t)upstream, &port) !=
            SIM_NET_PROXY_OK) {
        fprintf(stderr, "net_proxy_tool: cannot start the proxy: %s\n", strerror(errno));
        sim_net_proxy_destroy(proxy);
        return 1;
    }
    for (size_t i = 0; i < toxic_count; i++) {
        struct sim_net_toxic toxic;
        char err[512];
        if (sim_net_toxic_parse(toxics[i], err, sizeof(err), &toxic) != SIM_NET_PROXY_OK ||
            sim_net_proxy_add_toxic(proxy, name, &toxic) != SIM_NET_PROXY_OK) {
            fprintf(stderr, "net_proxy_tool: --toxic '%s': %s\n", toxics[i], err);
            sim_net_proxy_destroy(proxy);
            return 2;
        }
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
    printf("listening %u\n", port);
    fflush(stdout);
    char pending[1024];
    size_t pending_len = 0;
    for (;;) {
        struct pollfd fds[3] = {{.fd = sim_net_proxy_fd(proxy), .events = POLLIN},
                                {.fd = signal_fd, .events = POLLIN},
                                {.fd = STDIN_FILENO, .events = POLLIN}};
        if (poll(fds, 3, -1) < 0 && errno != EINTR) {
            break;
        }
        if (fds[1].revents != 0) {
            break;
        }
        if (fds[0].revents != 0) {
            sim_net_proxy_step(proxy, 0);
        }
        if (fds[2].revents != 0 && !serve_stdin(proxy, pending, &pending_len, sizeof(pending))) {
            break;
        }
    }
    close(signal_fd);
    sim_net_proxy_destroy(proxy);
    return 0;
}
