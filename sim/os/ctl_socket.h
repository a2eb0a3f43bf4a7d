// SPDX-License-Identifier: MIT
// The device's control socket, <device dir>/ctl.sock: `spheresim ctl` connects, sends one JSON
// request line and reads one JSON reply line. This file is the plumbing (listen, bounded line
// reads, replies); what a request does is the supervisor's business.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SIM_CTL_MAX_LINE 4096

struct sim_ctl_client {
    int fd;  // -1 when the slot is free
    char line[SIM_CTL_MAX_LINE];
    size_t len;
};

// Listens on path (replacing a stale socket). Returns the listening fd, or -1 with a reason.
int sim_ctl_listen(const char *path, char *err, size_t err_size);

// Reads what is available. Returns 1 when a whole line is in client->line (NUL-terminated,
// without the newline), 0 when more is needed, -1 when the client is gone or sent too much.
int sim_ctl_client_read(struct sim_ctl_client *client);

// Sends a reply line and closes the client.
void sim_ctl_client_reply(struct sim_ctl_client *client, const char *json);

// Connects to a device's control socket, sends request and stores the reply line in out.
// Returns 0, or -1 with a one-line reason in err (no device running, timeout, …).
int sim_ctl_request(const char *path, const char *request, char *out, size_t out_size, char *err,
                    size_t err_size);
