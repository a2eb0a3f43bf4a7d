// SPDX-License-Identifier: MIT
// Device-to-cloud messages that must not be lost: sensor readings and button events. Each one
// is first written durably to the telemetry queue in mutable storage, then sent from the queue
// at QoS 1, oldest first, a few at a time; it leaves the queue only when the hub's PUBACK for
// it arrives. Messages produced offline, or sent but not acknowledged when the connection or
// the app died, are sent again on the next connection, so the hub sees every message at least
// once, in order, and can drop duplicates by $.mid ("<queue epoch>-<sequence number>", unique
// for the device's life).
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exitcodes.h"

/// Messages sent and not yet acknowledged at any time. libmosquitto allows 20 in flight; a
/// small window keeps the re-sends after a dropped connection few.
#define TELEMETRY_SEND_WINDOW 8u

typedef enum {
    /// A periodic sensor reading (application property messageType=telemetry).
    Telemetry_Kind_Reading,
    /// Something that happened, such as a button press (messageType=event).
    Telemetry_Kind_Event,
} Telemetry_Kind;

/// Opens mutable storage and the queue in it, recovering what an earlier run left.
/// Returns ExitCode_Success or the ExitCode of the step that failed. failure is told only of
/// what cannot be recovered (a misuse of the queue); storage that fills up or fails later is
/// survived: messages that cannot be stored are lost and counted, and the queue is reopened
/// from storage once it works again.
ExitCode Telemetry_Initialise(ExitCode_CallbackType failure);

/// Closes mutable storage.
void Telemetry_Cleanup(void);

/// Queues a JSON message durably (dropping the oldest when the queue is full) and sends it
/// when connected. Returns true when it is queued; false when it is too large or the queue
/// failed (logged).
bool Telemetry_Enqueue(Telemetry_Kind kind, const char *json, size_t length);

/// The hub connection is up: send everything queued, oldest first.
void Telemetry_OnConnected(void);

/// The connection is gone: whatever was in flight will be sent again.
void Telemetry_OnDisconnected(void);

/// A PUBACK (or a QoS 0 send) was reported for mid. Returns true when mid was a telemetry
/// message in flight, which then leaves the queue; other mids are ignored (false).
bool Telemetry_OnPublishAcknowledged(int mid);

/// Returns the number of unacknowledged messages in the queue.
uint32_t Telemetry_GetQueueDepth(void);

/// Returns how many messages were lost: unacknowledged ones dropped because the queue was full,
/// over the life of the queue (it survives reboots), plus those storage could not take since
/// the app started.
uint64_t Telemetry_GetDroppedCount(void);
