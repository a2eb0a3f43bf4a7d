// SPDX-License-Identifier: MIT
// Where each record lives in the app's mutable storage file. The manifest asks for 64 KiB, the
// most an Azure Sphere app can have; nearly all of it is the telemetry queue, which is what
// lets the device ride out hours offline. The small records at the start are rewritten on
// every boot; the queue's region never overlaps them.
//
//   [0, 8)          boot counter (boot_counter.c)
//   [64, 80)        how the previous run ended (boot_reason.c)
//   [128, 192)      the outcome of the last software update (update_record.c)
//   [256, 65536)    telemetry queue (telemetry_queue.c), 65280 bytes
//
// Changing an offset or the queue's size makes existing devices start with an empty queue
// (TelemetryQueue_Open formats a region whose header does not match), so don't, without
// migrating.
#pragma once

#define STORAGE_LAYOUT_TOTAL_SIZE (64u * 1024u)
#define STORAGE_LAYOUT_BOOT_COUNTER_OFFSET 0u
#define STORAGE_LAYOUT_BOOT_REASON_OFFSET 64u
#define STORAGE_LAYOUT_UPDATE_RECORD_OFFSET 128u
#define STORAGE_LAYOUT_UPDATE_RECORD_SIZE 64u
#define STORAGE_LAYOUT_QUEUE_OFFSET 256u
#define STORAGE_LAYOUT_QUEUE_SIZE (STORAGE_LAYOUT_TOTAL_SIZE - STORAGE_LAYOUT_QUEUE_OFFSET)
