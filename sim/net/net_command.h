// SPDX-License-Identifier: MIT
// The fault proxy's control surface as text, for `spheresim ctl` and scenario steps to share.
// One command per call, as a line or as tokens:
//
//   toxic add SCOPE TOXIC...     e.g. toxic add all latency 200ms jitter 50ms down
//   toxic remove SCOPE NAME      toxic clear SCOPE      toxic list [SCOPE]
//   network down [reset|stall]   network up
//   stats [ENDPOINT]
//
// SCOPE is an endpoint's name, or "all" for every endpoint, present and future. The toxic's text
// form is net_toxic.h's. Replies are plain lines; an error is one line naming what was wrong.
#pragma once

#include <stddef.h>

#include "net/net_proxy.h"

#define SIM_NET_COMMAND_MAX_TOKENS 40

// Runs one command. Returns SIM_NET_PROXY_OK with the reply in out, or an error with a one-line
// message in out ("toxic add: token 4 'jiter': unknown parameter …"). out is always terminated; a
// reply longer than out_size is cut.
enum sim_net_proxy_result sim_net_command(struct sim_net_proxy *proxy, const char *const *tokens,
                                          size_t count, char *out, size_t out_size);

// The same for a line, split at spaces and tabs (at most SIM_NET_TOXIC_TEXT_MAX characters).
enum sim_net_proxy_result sim_net_command_line(struct sim_net_proxy *proxy, const char *line,
                                               char *out, size_t out_size);
