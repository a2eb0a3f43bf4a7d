// SPDX-License-Identifier: MIT
// The telemetry queue on storage: a log-structured ring of checksummed records plus a small
// double-buffered header, all inside [baseOffset, baseOffset + regionSize) of one file.
//
//   [0, 64)             header slot 0      magic, layout, generation, epoch, region size,
//   [64, 128)           header slot 1      head sequence number, head offset, dropped, CRC
//   [128, regionSize)   ring of records    magic, epoch, sequence number, creation time,
//                                          length, payload CRC, header CRC, payload
//
// Integers are little-endian. The head (oldest unacknowledged message) lives in the header;
// the tail is not stored anywhere: it is wherever the chain of valid records ends.
//
// Invariants, which together make every power cut - before, inside or after any write - leave
// a queue that recovers to either the state before the interrupted operation or the state
// after it (a Push that had to drop may also end up "dropped, not yet added"):
//  1. Placement. Record n+1 starts where record n ends, or at the start of the ring when it
//     would not fit before the ring's end. Recovery follows the same rule from the head: the
//     next record is accepted only if it is at one of those two places, complete (header CRC
//     and payload CRC), of this queue's epoch, and carries exactly the next sequence number.
//     The first place where that fails is the tail. A torn record fails its CRC; a stale
//     record from an earlier lap has a lower sequence number; and a sequence number is written
//     again only after recovery found no complete record with it at either place, so at most
//     one place ever holds a complete one. (A torn record may keep a valid header, which is
//     why locating a record always checks the payload too.)
//  2. Live records are never overwritten. New records go only into free space, and space
//     holding live records becomes free only once a header moving the head past them is
//     durable. Dropping for room therefore writes and syncs the header first, then the record.
//  3. Header updates are atomic. Each update writes the slot that does not hold the current
//     header, with generation + 1, and syncs; a torn update leaves the other slot valid, and
//     recovery takes the valid slot (CRC, magic, layout, region size) with the higher
//     generation.
//  4. Durability before success. Push syncs its record, and Ack of the oldest syncs the header,
//     before returning Ok: a pushed message is not lost and an acknowledged one does not come
//     back. Acknowledgements of newer messages stay in memory until the older ones are
//     acknowledged (at-least-once, never at-most-once).
//  5. Opening writes nothing unless there is no valid header at all, so recovery is repeatable
//     and a cut during recovery changes nothing.

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "crc32.h"
#include "telemetry_queue.h"

#define HEADER_MAGIC 0x31485154u  // "TQH1"
#define RECORD_MAGIC 0x31525154u  // "TQR1"
#define LAYOUT_VERSION 1u
#define HEADER_LENGTH 52u
#define RECORD_HEADER_SIZE TELEMETRY_QUEUE_RECORD_HEADER_SIZE
#define SLOT_SIZE TELEMETRY_QUEUE_HEADER_SLOT_SIZE
// Keeps every offset computation comfortably inside 32 bits.
#define MAX_REGION_SIZE (1u << 30)

typedef enum { Check_Valid, Check_Invalid, Check_IoError } CheckResult;

typedef struct {
    uint32_t offset;
    uint64_t sequence;
    int64_t createdMs;
    uint32_t length;
    uint32_t payloadCrc;
} RecordInfo;

typedef struct {
    uint64_t generation;
    uint32_t epoch;
    uint64_t headSequence;
    uint32_t headOffset;
    uint64_t droppedTotal;
} HeaderFields;

static void Put32(uint8_t *p, uint32_t value) {
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(value >> (8 * i));
    }
}

static void Put64(uint8_t *p, uint64_t value) {
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(value >> (8 * i));
    }
}

static uint32_t Get32(const uint8_t *p) {
    uint32_t value = 0;
    for (int i = 3; i >= 0; i--) {
        value = (value << 8) | p[i];
    }
    return value;
}

static uint64_t Get64(const uint8_t *p) {
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--) {
        value = (value << 8) | p[i];
    }
    return value;
}

// ---- storage access ----

static ssize_t FileRead(const TelemetryQueue_Io *io, void *buffer, size_t length, off_t offset) {
    return pread(io->fd, buffer, length, offset);
}

static ssize_t FileWrite(const TelemetryQueue_Io *io, const void *buffer, size_t length,
                         off_t offset) {
    return pwrite(io->fd, buffer, length, offset);
}

static int FileSync(const TelemetryQueue_Io *io) {
    return fsync(io->fd);
}

void TelemetryQueue_InitFileIo(TelemetryQueue_Io *io, int fd) {
    if (io == NULL) {
        return;
    }
    memset(io, 0, sizeof(*io));
    io->read = FileRead;
    io->write = FileWrite;
    io->sync = FileSync;
    io->fd = fd;
}

static bool ReadAt(TelemetryQueue *queue, void *buffer, size_t length, uint32_t offset) {
    uint8_t *bytes = buffer;
    size_t done = 0;
    while (done < length) {
        ssize_t n = queue->io.read(&queue->io, bytes + done, length - done,
                                   queue->baseOffset + (off_t)offset + (off_t)done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return false;
        }
        if (n == 0) {
            // Past the end of the file: never written, so it reads as nothing valid.
            memset(bytes + done, 0, length - done);
            break;
        }
        done += (size_t)n;
    }
    return true;
}

static bool WriteAt(TelemetryQueue *queue, const void *buffer, size_t length, uint32_t offset) {
    const uint8_t *bytes = buffer;
    size_t done = 0;
    while (done < length) {
        ssize_t n = queue->io.write(&queue->io, bytes + done, length - done,
                                    queue->baseOffset + (off_t)offset + (off_t)done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return false;
        }
        done += (size_t)n;
    }
    return true;
}

static bool Sync(TelemetryQueue *queue) {
    while (queue->io.sync(&queue->io) != 0) {
        if (errno != EINTR) {
            return false;
        }
    }
    return true;
}

// After a failed write the storage may hold either state; only a fresh recovery knows which.
static TelemetryQueue_Result Fail(TelemetryQueue *queue, TelemetryQueue_Result result) {
    queue->failed = true;
    return result;
}

static TelemetryQueue_Result CheckToResult(CheckResult check) {
    return check == Check_IoError ? TelemetryQueue_Result_IoError : TelemetryQueue_Result_Corrupt;
}

// ---- records ----

static uint32_t MaxPayload(const TelemetryQueue *queue) {
    // Strictly smaller than the ring, so a record always fits once everything else is gone.
    uint32_t ringLimit = queue->dataEnd - queue->dataStart - RECORD_HEADER_SIZE - 1u;
    return ringLimit < TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH ? ringLimit
                                                          : TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH;
}

static uint32_t RecordSize(uint32_t length) {
    return RECORD_HEADER_SIZE + length;
}

static void EncodeRecordHeader(const TelemetryQueue *queue, uint64_t sequence, int64_t createdMs,
                               const void *payload, uint32_t length, uint8_t *out) {
    Put32(out, RECORD_MAGIC);
    Put32(out + 4, queue->epoch);
    Put64(out + 8, sequence);
    Put64(out + 16, (uint64_t)createdMs);
    Put32(out + 24, length);
    Put32(out + 28, Crc32_Update(0, payload, length));
    Put32(out + 32, Crc32_Update(0, out, 32));
}

// Checks the record header at offset: complete, this queue's, the expected sequence number,
// and a length that stays inside the ring.
static CheckResult ReadRecordHeader(TelemetryQueue *queue, uint32_t offset, uint64_t sequence,
                                    RecordInfo *out) {
    if (offset < queue->dataStart || offset > queue->dataEnd ||
        queue->dataEnd - offset < RECORD_HEADER_SIZE) {
        return Check_Invalid;
    }
    uint8_t header[RECORD_HEADER_SIZE];
    if (!ReadAt(queue, header, sizeof(header), offset)) {
        return Check_IoError;
    }
    uint32_t length = Get32(header + 24);
    if (Get32(header) != RECORD_MAGIC || Get32(header + 32) != Crc32_Update(0, header, 32) ||
        Get32(header + 4) != queue->epoch || Get64(header + 8) != sequence ||
        length > MaxPayload(queue) || queue->dataEnd - offset - RECORD_HEADER_SIZE < length) {
        return Check_Invalid;
    }
    out->offset = offset;
    out->sequence = sequence;
    out->createdMs = (int64_t)Get64(header + 16);
    out->length = length;
    out->payloadCrc = Get32(header + 28);
    return Check_Valid;
}

static CheckResult VerifyPayload(TelemetryQueue *queue, const RecordInfo *record) {
    uint8_t chunk[128];
    uint32_t crc = 0;
    for (uint32_t done = 0; done < record->length;) {
        uint32_t n =
            record->length - done < sizeof(chunk) ? record->length - done : (uint32_t)sizeof(chunk);
        if (!ReadAt(queue, chunk, n, record->offset + RECORD_HEADER_SIZE + done)) {
            return Check_IoError;
        }
        crc = Crc32_Update(crc, chunk, n);
        done += n;
    }
    return crc == record->payloadCrc ? Check_Valid : Check_Invalid;
}

// Finds the complete record `sequence` at candidate or, failing that, at the start of the ring
// (invariant 1). The payload is checked as well as the header: a cut can leave a record whose
// header landed but whose payload did not, next to a complete record with the same number that
// was written after recovery at the other place.
static CheckResult LocateRecord(TelemetryQueue *queue, uint32_t candidate, uint64_t sequence,
                                RecordInfo *out) {
    CheckResult check = ReadRecordHeader(queue, candidate, sequence, out);
    if (check == Check_Valid) {
        check = VerifyPayload(queue, out);
    }
    if (check != Check_Invalid || candidate == queue->dataStart) {
        return check;
    }
    check = ReadRecordHeader(queue, queue->dataStart, sequence, out);
    if (check == Check_Valid) {
        check = VerifyPayload(queue, out);
    }
    return check;
}

// ---- header ----

static void EncodeHeader(const TelemetryQueue *queue, uint64_t generation, uint8_t *out) {
    memset(out, 0, HEADER_LENGTH);
    Put32(out, HEADER_MAGIC);
    Put32(out + 4, LAYOUT_VERSION);
    Put64(out + 8, generation);
    Put32(out + 16, queue->epoch);
    Put32(out + 20, queue->regionSize);
    Put64(out + 24, queue->headSequence);
    Put32(out + 32, queue->headOffset);
    Put64(out + 40, queue->droppedTotal);
    Put32(out + 48, Crc32_Update(0, out, 48));
}

static bool DecodeHeader(const TelemetryQueue *queue, const uint8_t *in, HeaderFields *out) {
    if (Get32(in) != HEADER_MAGIC || Get32(in + 4) != LAYOUT_VERSION ||
        Get32(in + 48) != Crc32_Update(0, in, 48) || Get32(in + 20) != queue->regionSize) {
        return false;
    }
    out->generation = Get64(in + 8);
    out->epoch = Get32(in + 16);
    out->headSequence = Get64(in + 24);
    out->headOffset = Get32(in + 32);
    out->droppedTotal = Get64(in + 40);
    return out->headSequence != 0 && out->headOffset >= queue->dataStart &&
           out->headOffset <= queue->dataEnd;
}

// Invariant 3: never overwrite the slot holding the current header.
static bool WriteHeader(TelemetryQueue *queue) {
    uint8_t header[HEADER_LENGTH];
    unsigned int slot = 1u - queue->activeSlot;
    EncodeHeader(queue, queue->generation + 1, header);
    if (!WriteAt(queue, header, sizeof(header), slot * SLOT_SIZE) || !Sync(queue)) {
        return false;
    }
    queue->generation++;
    queue->activeSlot = slot;
    return true;
}

// ---- in-memory bookkeeping ----

static bool IsDeferred(const TelemetryQueue *queue, uint64_t sequence) {
    for (uint32_t i = 0; i < queue->deferredAckCount; i++) {
        if (queue->deferredAcks[i] == sequence) {
            return true;
        }
    }
    return false;
}

static bool RemoveDeferred(TelemetryQueue *queue, uint64_t sequence) {
    for (uint32_t i = 0; i < queue->deferredAckCount; i++) {
        if (queue->deferredAcks[i] == sequence) {
            queue->deferredAcks[i] = queue->deferredAcks[--queue->deferredAckCount];
            return true;
        }
    }
    return false;
}

// Moves the head past the oldest record in memory only; the caller makes it durable with
// WriteHeader before reusing the space (invariant 2).
static TelemetryQueue_Result AdvanceHead(TelemetryQueue *queue, bool *outWasDeferred) {
    RecordInfo head;
    CheckResult check = ReadRecordHeader(queue, queue->headOffset, queue->headSequence, &head);
    if (check != Check_Valid) {
        return CheckToResult(check);
    }
    uint32_t end = head.offset + RecordSize(head.length);
    *outWasDeferred = RemoveDeferred(queue, queue->headSequence);
    queue->headSequence++;
    queue->count--;
    if (queue->count == 0) {
        if (end != queue->tailOffset) {
            return TelemetryQueue_Result_Corrupt;
        }
        queue->headOffset = end;
        return TelemetryQueue_Result_Ok;
    }
    RecordInfo next;
    check = LocateRecord(queue, end, queue->headSequence, &next);
    if (check != Check_Valid) {
        return CheckToResult(check);
    }
    queue->headOffset = next.offset;
    return TelemetryQueue_Result_Ok;
}

// Where a record of size bytes goes, if it fits in free space (invariants 1 and 2). With
// records in the queue, a tail after the head means the live records do not wrap; a tail at or
// before the head means they do, and a tail equal to the head means the ring is full.
static bool Place(const TelemetryQueue *queue, uint32_t size, uint32_t *outOffset) {
    if (queue->count == 0) {
        *outOffset =
            queue->dataEnd - queue->tailOffset >= size ? queue->tailOffset : queue->dataStart;
        return true;
    }
    if (queue->tailOffset > queue->headOffset) {
        if (queue->dataEnd - queue->tailOffset >= size) {
            *outOffset = queue->tailOffset;
            return true;
        }
        if (queue->headOffset - queue->dataStart >= size) {
            *outOffset = queue->dataStart;
            return true;
        }
        return false;
    }
    if (queue->headOffset - queue->tailOffset >= size) {
        *outOffset = queue->tailOffset;
        return true;
    }
    return false;
}

// Follows the chain of valid records from the head (invariant 1) to find the tail.
static bool Scan(TelemetryQueue *queue) {
    uint32_t candidate = queue->headOffset;
    uint32_t firstOffset = queue->headOffset;
    bool wrapped = false;
    uint32_t limit = (queue->dataEnd - queue->dataStart) / RECORD_HEADER_SIZE + 1u;
    queue->count = 0;
    queue->tailOffset = queue->headOffset;
    while (queue->count < limit) {
        RecordInfo record;
        CheckResult check =
            LocateRecord(queue, candidate, queue->headSequence + queue->count, &record);
        if (check == Check_IoError) {
            return false;
        }
        if (check == Check_Invalid) {
            break;
        }
        uint32_t end = record.offset + RecordSize(record.length);
        if (queue->count == 0) {
            firstOffset = record.offset;
        } else if (record.offset != candidate) {
            wrapped = true;
        }
        // Only a damaged image could chain back over the head; stop rather than loop.
        if (wrapped && end > firstOffset) {
            break;
        }
        queue->count++;
        candidate = end;
        queue->tailOffset = end;
    }
    if (queue->count > 0) {
        queue->headOffset = firstOffset;
    }
    return true;
}

// ---- public API ----

static bool IsUsable(const TelemetryQueue *queue) {
    return queue != NULL && queue->isOpen && !queue->failed;
}

static TelemetryQueue_Result UnusableResult(const TelemetryQueue *queue) {
    return (queue != NULL && queue->isOpen) ? TelemetryQueue_Result_IoError
                                            : TelemetryQueue_Result_InvalidArgument;
}

TelemetryQueue_Result TelemetryQueue_Open(TelemetryQueue *queue, const TelemetryQueue_Io *io,
                                          off_t baseOffset, uint32_t regionSize, uint32_t newEpoch,
                                          TelemetryQueue_OpenInfo *outInfo) {
    if (outInfo != NULL) {
        memset(outInfo, 0, sizeof(*outInfo));
    }
    if (queue == NULL) {
        return TelemetryQueue_Result_InvalidArgument;
    }
    memset(queue, 0, sizeof(*queue));
    if (io == NULL || io->read == NULL || io->write == NULL || io->sync == NULL || baseOffset < 0 ||
        regionSize < TELEMETRY_QUEUE_MIN_REGION_SIZE || regionSize > MAX_REGION_SIZE) {
        return TelemetryQueue_Result_InvalidArgument;
    }
    queue->io = *io;
    queue->baseOffset = baseOffset;
    queue->regionSize = regionSize;
    queue->dataStart = 2u * SLOT_SIZE;
    queue->dataEnd = regionSize;

    HeaderFields best;
    memset(&best, 0, sizeof(best));
    int bestSlot = -1;
    for (unsigned int slot = 0; slot < 2; slot++) {
        uint8_t header[HEADER_LENGTH];
        HeaderFields fields;
        if (!ReadAt(queue, header, sizeof(header), slot * SLOT_SIZE)) {
            return TelemetryQueue_Result_IoError;
        }
        if (DecodeHeader(queue, header, &fields) &&
            (bestSlot < 0 || fields.generation > best.generation)) {
            best = fields;
            bestSlot = (int)slot;
        }
    }

    if (bestSlot < 0) {
        queue->epoch = newEpoch;
        queue->headSequence = 1;
        queue->headOffset = queue->dataStart;
        queue->tailOffset = queue->dataStart;
        queue->activeSlot = 1;  // so the first header goes to slot 0
        if (!WriteHeader(queue)) {
            return TelemetryQueue_Result_IoError;
        }
        if (outInfo != NULL) {
            outInfo->formatted = true;
        }
    } else {
        queue->epoch = best.epoch;
        queue->generation = best.generation;
        queue->activeSlot = (unsigned int)bestSlot;
        queue->headSequence = best.headSequence;
        queue->headOffset = best.headOffset;
        queue->droppedTotal = best.droppedTotal;
        if (!Scan(queue)) {
            return TelemetryQueue_Result_IoError;
        }
    }
    if (outInfo != NULL) {
        outInfo->recoveredCount = queue->count;
    }
    queue->isOpen = true;
    return TelemetryQueue_Result_Ok;
}

TelemetryQueue_Result TelemetryQueue_Push(TelemetryQueue *queue, const void *payload, size_t length,
                                          int64_t createdMs, uint64_t *outSequenceNumber,
                                          uint32_t *outDropped) {
    if (outDropped != NULL) {
        *outDropped = 0;
    }
    if (!IsUsable(queue)) {
        return UnusableResult(queue);
    }
    if (outSequenceNumber == NULL || (payload == NULL && length > 0)) {
        return TelemetryQueue_Result_InvalidArgument;
    }
    if (length > MaxPayload(queue)) {
        return TelemetryQueue_Result_TooLarge;
    }

    uint32_t size = RecordSize((uint32_t)length);
    uint32_t dropped = 0;
    bool headMoved = false;
    uint32_t offset = 0;
    while (!Place(queue, size, &offset)) {
        bool wasDeferred = false;
        TelemetryQueue_Result result = AdvanceHead(queue, &wasDeferred);
        if (result != TelemetryQueue_Result_Ok) {
            return Fail(queue, result);
        }
        // A message acknowledged out of order was delivered; removing it is not a loss.
        dropped += wasDeferred ? 0u : 1u;
        headMoved = true;
    }
    if (headMoved) {
        queue->droppedTotal += dropped;
        if (!WriteHeader(queue)) {
            return Fail(queue, TelemetryQueue_Result_IoError);
        }
    }

    uint8_t record[RECORD_HEADER_SIZE + TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH];
    uint64_t sequence = queue->headSequence + queue->count;
    EncodeRecordHeader(queue, sequence, createdMs, payload, (uint32_t)length, record);
    if (length > 0) {
        memcpy(record + RECORD_HEADER_SIZE, payload, length);
    }
    if (!WriteAt(queue, record, size, offset) || !Sync(queue)) {
        return Fail(queue, TelemetryQueue_Result_IoError);
    }
    if (queue->count == 0) {
        queue->headOffset = offset;
    }
    queue->tailOffset = offset + size;
    queue->count++;
    *outSequenceNumber = sequence;
    if (outDropped != NULL) {
        *outDropped = dropped;
    }
    return TelemetryQueue_Result_Ok;
}

TelemetryQueue_Result TelemetryQueue_Peek(TelemetryQueue *queue, uint64_t fromSequenceNumber,
                                          TelemetryQueue_Message *outMessage, void *buffer,
                                          size_t size) {
    if (outMessage != NULL) {
        memset(outMessage, 0, sizeof(*outMessage));
    }
    if (!IsUsable(queue)) {
        return UnusableResult(queue);
    }
    if (outMessage == NULL || (buffer == NULL && size > 0)) {
        return TelemetryQueue_Result_InvalidArgument;
    }

    uint64_t next = queue->headSequence + queue->count;
    uint64_t sequence = queue->headSequence;
    uint32_t offset = queue->headOffset;
    // Senders peek from the last message they sent; resuming there avoids walking the queue.
    if (queue->cursorValid && queue->cursorSequence >= queue->headSequence &&
        queue->cursorSequence < next && queue->cursorSequence <= fromSequenceNumber) {
        sequence = queue->cursorSequence;
        offset = queue->cursorOffset;
    }
    RecordInfo record;
    for (;;) {
        if (sequence >= next) {
            return TelemetryQueue_Result_Empty;
        }
        CheckResult check = ReadRecordHeader(queue, offset, sequence, &record);
        if (check != Check_Valid) {
            return Fail(queue, CheckToResult(check));
        }
        if (sequence >= fromSequenceNumber && !IsDeferred(queue, sequence)) {
            break;
        }
        if (sequence + 1 == next) {
            return TelemetryQueue_Result_Empty;
        }
        check = LocateRecord(queue, offset + RecordSize(record.length), sequence + 1, &record);
        if (check != Check_Valid) {
            return Fail(queue, CheckToResult(check));
        }
        sequence++;
        offset = record.offset;
    }

    queue->cursorValid = true;
    queue->cursorSequence = sequence;
    queue->cursorOffset = offset;
    outMessage->sequenceNumber = sequence;
    outMessage->createdMs = record.createdMs;
    outMessage->length = record.length;
    if (record.length > size) {
        return TelemetryQueue_Result_BufferTooSmall;
    }
    if (!ReadAt(queue, buffer, record.length, offset + RECORD_HEADER_SIZE)) {
        return Fail(queue, TelemetryQueue_Result_IoError);
    }
    if (Crc32_Update(0, buffer, record.length) != record.payloadCrc) {
        // Never hand out a message that is not exactly what was pushed.
        return Fail(queue, TelemetryQueue_Result_Corrupt);
    }
    return TelemetryQueue_Result_Ok;
}

TelemetryQueue_Result TelemetryQueue_Ack(TelemetryQueue *queue, uint64_t sequenceNumber) {
    if (!IsUsable(queue)) {
        return UnusableResult(queue);
    }
    if (sequenceNumber < queue->headSequence ||
        sequenceNumber >= queue->headSequence + queue->count) {
        return TelemetryQueue_Result_NotFound;
    }
    if (IsDeferred(queue, sequenceNumber)) {
        return TelemetryQueue_Result_Deferred;
    }
    if (sequenceNumber != queue->headSequence) {
        if (queue->deferredAckCount == TELEMETRY_QUEUE_MAX_DEFERRED_ACKS) {
            return TelemetryQueue_Result_TooManyDeferred;
        }
        queue->deferredAcks[queue->deferredAckCount++] = sequenceNumber;
        return TelemetryQueue_Result_Deferred;
    }
    do {
        bool wasDeferred = false;
        TelemetryQueue_Result result = AdvanceHead(queue, &wasDeferred);
        if (result != TelemetryQueue_Result_Ok) {
            return Fail(queue, result);
        }
    } while (queue->count > 0 && IsDeferred(queue, queue->headSequence));
    if (!WriteHeader(queue)) {
        return Fail(queue, TelemetryQueue_Result_IoError);
    }
    return TelemetryQueue_Result_Ok;
}

uint32_t TelemetryQueue_GetDepth(const TelemetryQueue *queue) {
    return queue != NULL ? queue->count - queue->deferredAckCount : 0;
}

uint64_t TelemetryQueue_GetDroppedTotal(const TelemetryQueue *queue) {
    return queue != NULL ? queue->droppedTotal : 0;
}

uint64_t TelemetryQueue_GetOldestSequenceNumber(const TelemetryQueue *queue) {
    return queue != NULL ? queue->headSequence : 0;
}

uint64_t TelemetryQueue_GetNextSequenceNumber(const TelemetryQueue *queue) {
    return queue != NULL ? queue->headSequence + queue->count : 0;
}

uint32_t TelemetryQueue_GetEpoch(const TelemetryQueue *queue) {
    return queue != NULL ? queue->epoch : 0;
}

size_t TelemetryQueue_GetMaxPayloadLength(const TelemetryQueue *queue) {
    return (queue != NULL && queue->isOpen) ? MaxPayload(queue) : 0;
}
