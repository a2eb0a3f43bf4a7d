// SPDX-License-Identifier: MIT
// What the TLS shim preloaded into the broker (hub_tls_preload.c) tells the plugin about the
// MQTT traffic it sees in the clear (hub_wire.h): mosquitto 2.0 shows a plugin neither a client's
// will at CONNECT nor the PUBACK that completes a message it sent. The shim exports these
// functions; the plugin looks them up with dlsym at start-up and does without when they are
// missing (a broker started without the shim). Both run on the broker's one thread.
#pragma once

#include <stdbool.h>
#include <stddef.h>

// The CONNECT read last, on any connection: during the broker's authentication of a client
// (MOSQ_EVT_BASIC_AUTH) that is the client's own, as the broker reads a CONNECT and authenticates
// it in one go. False when none was read yet. *out_will_topic is NULL without a will, or when
// the will topic could not be read.
typedef bool (*hub_tls_last_connect_fn)(const char **out_client_id, bool *out_will,
                                        const char **out_will_topic);
#define HUB_TLS_LAST_CONNECT "spheresim_tls_last_connect"

// A QoS 1 message the broker sent on a "devices/{id}/messages/devicebound/" topic, acknowledged by
// the client's PUBACK: client_id is the connection's CONNECT client id, topic the PUBLISH topic.
typedef void (*hub_tls_completion_fn)(const char *client_id, const char *topic, void *ctx);

// Calls fn for each completion since the last call, oldest first, and forgets them. Returns how
// many there were.
typedef size_t (*hub_tls_take_completions_fn)(hub_tls_completion_fn fn, void *ctx);
#define HUB_TLS_TAKE_COMPLETIONS "spheresim_tls_take_completions"
