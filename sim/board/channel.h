// SPDX-License-Identifier: MIT
// A peripheral channel: the SOCK_SEQPACKET socketpair between a board model and the app that
// opened the peripheral. The model keeps one end, the app gets the other as its peripheral
// descriptor; the app closing its end is how the model learns the peripheral is free again.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

// Creates a channel: the model's end goes to *out_model_fd, the app's to *out_app_fd.
// Returns 0 or an errno (EMFILE, ENFILE, ENOMEM).
int sim_channel_create(int *out_model_fd, int *out_app_fd);

// True when the app has closed its end (a hang-up that may not have been served yet).
bool sim_channel_peer_closed(int model_fd);

// Closes the model's end if open and sets *model_fd to -1.
void sim_channel_close(int *model_fd);

// Receives one request without blocking. Returns its length (> 0), which is larger than size
// when the request did not fit (only size bytes were stored); 0 when nothing is waiting; -1 when
// the app has closed its end or the channel broke (the caller then closes it).
ssize_t sim_channel_receive(int model_fd, void *buf, size_t size);

// Sends one reply without blocking. Returns 0, or -1 when the channel broke.
int sim_channel_reply(int model_fd, const void *reply, size_t len);
