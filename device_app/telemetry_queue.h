// SPDX-License-Identifier: MIT
// A bounded, persistent, power-safe FIFO of telemetry messages, kept in a region of the app's
// mutable storage file. Messages are pushed as they are produced, sent oldest first, and leave
// the queue only when the hub acknowledged them (PUBACK), so delivery is at-least-once across
// app crashes, reboots and power cuts. When the region is full the oldest messages are dropped
// and counted. The on-storage design and its invariants are described in telemetry_queue.c.
//
// All storage access goes through a small I/O table (read, write, sync at an offset), which is
// pread/pwrite/fsync on the mutable storage descriptor on the device and in the app, and a
// power-cut simulator in the tests.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// Largest message body the queue stores. A telemetry message of this app is about 100 bytes;
/// the limit keeps one message from evicting most of the queue.
#define TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH 2048u
/// Storage overhead: two header slots per region and a record header per message.
#define TELEMETRY_QUEUE_HEADER_SLOT_SIZE 64u
#define TELEMETRY_QUEUE_RECORD_HEADER_SIZE 36u
/// Smallest usable region: the two header slots and 256 bytes of records.
#define TELEMETRY_QUEUE_MIN_REGION_SIZE (2u * TELEMETRY_QUEUE_HEADER_SLOT_SIZE + 256u)
/// Acknowledgements for messages other than the oldest that are remembered until the older ones
/// are acknowledged too (MQTT acknowledges in order, so this is slack for odd hubs).
#define TELEMETRY_QUEUE_MAX_DEFERRED_ACKS 16u

struct TelemetryQueue_Io;

/// Storage access, with the contract of pread(2), pwrite(2) and fsync(2): return the byte
/// count (or 0) on success, -1 with errno set on failure. Short transfers are allowed.
typedef struct TelemetryQueue_Io {
    ssize_t (*read)(const struct TelemetryQueue_Io *io, void *buffer, size_t length, off_t offset);
    ssize_t (*write)(const struct TelemetryQueue_Io *io, const void *buffer, size_t length,
                     off_t offset);
    int (*sync)(const struct TelemetryQueue_Io *io);
    /// For the functions' own use: the descriptor of TelemetryQueue_InitFileIo, or a context.
    int fd;
    void *context;
} TelemetryQueue_Io;

typedef enum {
    TelemetryQueue_Result_Ok = 0,
    /// Ack only: the message is acknowledged in memory; it is removed from storage once every
    /// older message is acknowledged, and until then a crash may send it again. A success.
    TelemetryQueue_Result_Deferred,
    /// Peek only: no unacknowledged message at or after the requested sequence number.
    TelemetryQueue_Result_Empty,
    /// Ack only: the sequence number is not in the queue (already acknowledged, dropped, or
    /// never pushed). Harmless: a message dropped while in flight is acknowledged late.
    TelemetryQueue_Result_NotFound,
    /// An argument is NULL, the region is too small or too large, or the queue is not open.
    TelemetryQueue_Result_InvalidArgument,
    /// Push only: the payload is longer than TelemetryQueue_GetMaxPayloadLength.
    TelemetryQueue_Result_TooLarge,
    /// Peek only: the message does not fit; its length is in the message's length field.
    TelemetryQueue_Result_BufferTooSmall,
    /// Ack only: TELEMETRY_QUEUE_MAX_DEFERRED_ACKS acknowledgements are already deferred; the
    /// message stays queued and will be sent again.
    TelemetryQueue_Result_TooManyDeferred,
    /// Storage failed (errno is kept from the failing call). The queue refuses further work
    /// until it is opened again, which recovers the last consistent state from storage.
    TelemetryQueue_Result_IoError,
    /// A record that recovery had verified no longer matches its checksum: storage changed
    /// underneath the queue. Reopening recovers up to the damaged record.
    TelemetryQueue_Result_Corrupt,
} TelemetryQueue_Result;

/// How TelemetryQueue_Open found the region.
typedef struct {
    /// No valid header (new storage, or a region written with another size): formatted empty.
    bool formatted;
    /// Messages recovered, including ones whose acknowledgement had not reached storage.
    uint32_t recoveredCount;
} TelemetryQueue_OpenInfo;

/// One queued message, as returned by TelemetryQueue_Peek.
typedef struct {
    /// Assigned by Push: 1, 2, 3, ... for the life of the region, never reused.
    uint64_t sequenceNumber;
    /// The creation time given to Push (for $.ctime), in milliseconds since the Unix epoch.
    int64_t createdMs;
    size_t length;
} TelemetryQueue_Message;

/// The queue. Treat the fields as private; the caller only provides the memory.
typedef struct {
    TelemetryQueue_Io io;
    off_t baseOffset;
    uint32_t regionSize;
    uint32_t dataStart;
    uint32_t dataEnd;
    uint32_t epoch;
    uint64_t generation;
    unsigned int activeSlot;
    uint64_t headSequence;
    uint32_t headOffset;
    uint32_t tailOffset;
    uint32_t count;
    uint64_t droppedTotal;
    uint64_t deferredAcks[TELEMETRY_QUEUE_MAX_DEFERRED_ACKS];
    uint32_t deferredAckCount;
    bool cursorValid;
    uint64_t cursorSequence;
    uint32_t cursorOffset;
    bool isOpen;
    bool failed;
} TelemetryQueue;

/// Fills *io with pread/pwrite/fsync on fd (for example from Storage_OpenMutableFile; the
/// queue does not close it).
void TelemetryQueue_InitFileIo(TelemetryQueue_Io *io, int fd);

/// Opens the queue kept in regionSize bytes at baseOffset of the storage behind *io (copied),
/// recovering its last consistent state, or formatting it when it holds no valid queue of this
/// size. Only formatting writes. newEpoch, random, is stored when formatting and identifies
/// this incarnation of the queue (see TelemetryQueue_GetEpoch).
/// Returns TelemetryQueue_Result_Ok (details in *outInfo when not NULL); InvalidArgument or
/// IoError otherwise, and then the queue is not open.
TelemetryQueue_Result TelemetryQueue_Open(TelemetryQueue *queue, const TelemetryQueue_Io *io,
                                          off_t baseOffset, uint32_t regionSize, uint32_t newEpoch,
                                          TelemetryQueue_OpenInfo *outInfo);

/// Appends a message durably (written and synced before returning), dropping the oldest
/// messages first when there is no room; the number of unacknowledged messages that were
/// dropped goes to *outDropped when not NULL. Its sequence number goes to *outSequenceNumber.
/// Returns TelemetryQueue_Result_Ok; InvalidArgument, TooLarge or IoError otherwise. After
/// IoError the message may or may not be in the queue when it is reopened.
TelemetryQueue_Result TelemetryQueue_Push(TelemetryQueue *queue, const void *payload, size_t length,
                                          int64_t createdMs, uint64_t *outSequenceNumber,
                                          uint32_t *outDropped);

/// Reads the oldest unacknowledged message whose sequence number is at least
/// fromSequenceNumber (0 for the oldest of all) into buffer, checking its checksum. Sending
/// several messages before their acknowledgements arrive means peeking from the last sequence
/// number sent plus one.
/// Returns TelemetryQueue_Result_Ok with the message in *outMessage; Empty, BufferTooSmall
/// (outMessage->length says how much is needed), InvalidArgument, IoError or Corrupt
/// otherwise.
TelemetryQueue_Result TelemetryQueue_Peek(TelemetryQueue *queue, uint64_t fromSequenceNumber,
                                          TelemetryQueue_Message *outMessage, void *buffer,
                                          size_t size);

/// Acknowledges a message: the hub has it. When it is the oldest, it (and any deferred
/// acknowledgements right behind it) is removed durably before this returns.
/// Returns TelemetryQueue_Result_Ok (removed durably), Deferred (see above; also a success),
/// NotFound, TooManyDeferred, InvalidArgument, IoError or Corrupt.
TelemetryQueue_Result TelemetryQueue_Ack(TelemetryQueue *queue, uint64_t sequenceNumber);

/// Returns the number of unacknowledged messages (the queue depth reported in the twin).
uint32_t TelemetryQueue_GetDepth(const TelemetryQueue *queue);

/// Returns the number of unacknowledged messages dropped because the queue was full, over the
/// life of the region (it survives reboots).
uint64_t TelemetryQueue_GetDroppedTotal(const TelemetryQueue *queue);

/// Returns the sequence number of the oldest stored message, or of the next message to be
/// pushed when the queue is empty.
uint64_t TelemetryQueue_GetOldestSequenceNumber(const TelemetryQueue *queue);

/// Returns the sequence number the next Push will assign.
uint64_t TelemetryQueue_GetNextSequenceNumber(const TelemetryQueue *queue);

/// Returns the epoch chosen when the region was formatted. Sequence numbers restart at 1 when
/// storage is deleted, so a message id such as "<epoch>-<sequence number>" stays unique for
/// the device's life while the sequence number alone would not.
uint32_t TelemetryQueue_GetEpoch(const TelemetryQueue *queue);

/// Returns the largest payload Push accepts for this queue's region.
size_t TelemetryQueue_GetMaxPayloadLength(const TelemetryQueue *queue);
