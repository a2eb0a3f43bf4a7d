// SPDX-License-Identifier: MIT
// Unit tests for telemetry_queue without power cuts (test_telemetry_queue_power_cut covers
// those): FIFO order, acknowledgement (in order and out of order), dropping the oldest when
// full, wrap-around, recovery after reopening, corruption and I/O errors, and the real
// pread/pwrite/fsync path on a file at a non-zero offset.

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_storage.h"
#include "telemetry_queue.h"

#define BASE 512
#define REGION 1024u
#define EPOCH 0xC0FFEEu

static FakeStorage storage;
static TelemetryQueue_Io io;
static TelemetryQueue queue;

static void Fill(uint8_t *buffer, size_t length, uint32_t tag) {
    for (size_t i = 0; i < length; i++) {
        buffer[i] = (uint8_t)(tag * 37u + i * 11u + 3u);
    }
}

static uint64_t Push(size_t length, uint32_t tag) {
    uint8_t payload[TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH];
    Fill(payload, length, tag);
    uint64_t sequence = 0;
    assert_int_equal(TelemetryQueue_Push(&queue, payload, length, 1000 + tag, &sequence, NULL),
                     TelemetryQueue_Result_Ok);
    return sequence;
}

static void ExpectMessage(uint64_t from, uint64_t sequence, size_t length, uint32_t tag) {
    uint8_t expected[TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH];
    uint8_t actual[TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH];
    TelemetryQueue_Message message;
    Fill(expected, length, tag);
    assert_int_equal(TelemetryQueue_Peek(&queue, from, &message, actual, sizeof(actual)),
                     TelemetryQueue_Result_Ok);
    assert_int_equal(message.sequenceNumber, sequence);
    assert_int_equal(message.length, length);
    assert_int_equal(message.createdMs, 1000 + tag);
    assert_memory_equal(actual, expected, length);
}

static void Reopen(TelemetryQueue_OpenInfo *info) {
    FakeStorage_Boot(&storage, &storage.disk, &io);
    assert_int_equal(TelemetryQueue_Open(&queue, &io, BASE, REGION, EPOCH + 1, info),
                     TelemetryQueue_Result_Ok);
}

static int Setup(void **state) {
    FakeStorage_Boot(&storage, NULL, &io);
    TelemetryQueue_OpenInfo info;
    assert_int_equal(TelemetryQueue_Open(&queue, &io, BASE, REGION, EPOCH, &info),
                     TelemetryQueue_Result_Ok);
    assert_true(info.formatted);
    return 0;
}

static void test_Open_emptyStorage_formatsEmptyQueue(void **state) {
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 0);
    assert_int_equal(TelemetryQueue_GetNextSequenceNumber(&queue), 1);
    assert_int_equal(TelemetryQueue_GetEpoch(&queue), EPOCH);
    assert_int_equal(TelemetryQueue_GetMaxPayloadLength(&queue), REGION - 128 - 36 - 1);
    TelemetryQueue_Message message;
    uint8_t buffer[16];
    assert_int_equal(TelemetryQueue_Peek(&queue, 0, &message, buffer, sizeof(buffer)),
                     TelemetryQueue_Result_Empty);
    // Nothing was written below the region's base.
    for (size_t i = 0; i < BASE; i++) {
        assert_int_equal(storage.disk.image[i], 0);
    }
    // Reopening finds the formatted queue and keeps its epoch, writing nothing.
    TelemetryQueue_OpenInfo info;
    Reopen(&info);
    assert_false(info.formatted);
    assert_int_equal(storage.writes, 0);
    assert_int_equal(TelemetryQueue_GetEpoch(&queue), EPOCH);
}

static void test_Push_threeMessages_peekedInOrderAndAckedAway(void **state) {
    assert_int_equal(Push(10, 1), 1);
    assert_int_equal(Push(0, 2), 2);
    assert_int_equal(Push(200, 3), 3);
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 3);
    ExpectMessage(0, 1, 10, 1);
    ExpectMessage(2, 2, 0, 2);
    ExpectMessage(3, 3, 200, 3);
    TelemetryQueue_Message message;
    uint8_t buffer[8];
    assert_int_equal(TelemetryQueue_Peek(&queue, 4, &message, buffer, sizeof(buffer)),
                     TelemetryQueue_Result_Empty);

    assert_int_equal(TelemetryQueue_Ack(&queue, 1), TelemetryQueue_Result_Ok);
    ExpectMessage(0, 2, 0, 2);
    assert_int_equal(TelemetryQueue_Ack(&queue, 1), TelemetryQueue_Result_NotFound);
    assert_int_equal(TelemetryQueue_Ack(&queue, 9), TelemetryQueue_Result_NotFound);
    assert_int_equal(TelemetryQueue_Ack(&queue, 2), TelemetryQueue_Result_Ok);
    assert_int_equal(TelemetryQueue_Ack(&queue, 3), TelemetryQueue_Result_Ok);
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 0);
    assert_int_equal(TelemetryQueue_Peek(&queue, 0, &message, buffer, sizeof(buffer)),
                     TelemetryQueue_Result_Empty);
    // Sequence numbers are never reused, even after the queue empties and reopens.
    Reopen(NULL);
    assert_int_equal(Push(5, 4), 4);
}

static void test_Push_everyPushSynced_beforeReturning(void **state) {
    int syncs = storage.syncs;
    Push(10, 1);
    assert_int_equal(storage.syncs, syncs + 1);
    assert_int_equal(TelemetryQueue_Ack(&queue, 1), TelemetryQueue_Result_Ok);
    assert_int_equal(storage.syncs, syncs + 2);
}

static void test_Reopen_afterPushesAndAcks_recoversExactly(void **state) {
    for (uint32_t tag = 1; tag <= 6; tag++) {
        Push(20 + tag, tag);
    }
    assert_int_equal(TelemetryQueue_Ack(&queue, 1), TelemetryQueue_Result_Ok);
    assert_int_equal(TelemetryQueue_Ack(&queue, 2), TelemetryQueue_Result_Ok);
    TelemetryQueue_OpenInfo info;
    Reopen(&info);
    assert_false(info.formatted);
    assert_int_equal(info.recoveredCount, 4);
    assert_int_equal(TelemetryQueue_GetOldestSequenceNumber(&queue), 3);
    assert_int_equal(TelemetryQueue_GetNextSequenceNumber(&queue), 7);
    for (uint32_t tag = 3; tag <= 6; tag++) {
        ExpectMessage(tag, tag, 20 + tag, tag);
    }
}

static void test_Ack_outOfOrder_deferredUntilOldestAcked(void **state) {
    for (uint32_t tag = 1; tag <= 5; tag++) {
        Push(16, tag);
    }
    assert_int_equal(TelemetryQueue_Ack(&queue, 3), TelemetryQueue_Result_Deferred);
    assert_int_equal(TelemetryQueue_Ack(&queue, 2), TelemetryQueue_Result_Deferred);
    assert_int_equal(TelemetryQueue_Ack(&queue, 2), TelemetryQueue_Result_Deferred);
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 3);
    // Deferred messages are not offered for sending again.
    ExpectMessage(2, 4, 16, 4);
    int writes = storage.writes;
    assert_int_equal(TelemetryQueue_Ack(&queue, 1), TelemetryQueue_Result_Ok);
    // One header write covers the oldest and both deferred acknowledgements.
    assert_int_equal(storage.writes, writes + 1);
    assert_int_equal(TelemetryQueue_GetOldestSequenceNumber(&queue), 4);

    // A deferred acknowledgement does not survive a restart: the message is sent again.
    assert_int_equal(TelemetryQueue_Ack(&queue, 5), TelemetryQueue_Result_Deferred);
    Reopen(NULL);
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 2);
    ExpectMessage(5, 5, 16, 5);
}

static void test_Ack_tooManyDeferred_refusedMessageStays(void **state) {
    for (uint32_t tag = 1; tag <= TELEMETRY_QUEUE_MAX_DEFERRED_ACKS + 2; tag++) {
        Push(1, tag);
    }
    for (uint64_t s = 2; s < 2 + TELEMETRY_QUEUE_MAX_DEFERRED_ACKS; s++) {
        assert_int_equal(TelemetryQueue_Ack(&queue, s), TelemetryQueue_Result_Deferred);
    }
    assert_int_equal(TelemetryQueue_Ack(&queue, 2 + TELEMETRY_QUEUE_MAX_DEFERRED_ACKS),
                     TelemetryQueue_Result_TooManyDeferred);
    assert_int_equal(TelemetryQueue_Ack(&queue, 1), TelemetryQueue_Result_Ok);
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 1);
    ExpectMessage(0, 2 + TELEMETRY_QUEUE_MAX_DEFERRED_ACKS, 1,
                  2 + TELEMETRY_QUEUE_MAX_DEFERRED_ACKS);
}

static void test_Push_queueFull_dropsOldestAndCounts(void **state) {
    // 896 bytes of ring, 100-byte records: eight fit.
    uint32_t dropped = 0;
    uint64_t sequence = 0;
    uint8_t payload[64];
    for (uint32_t tag = 1; tag <= 8; tag++) {
        Push(64, tag);
    }
    Fill(payload, sizeof(payload), 9);
    assert_int_equal(
        TelemetryQueue_Push(&queue, payload, sizeof(payload), 1009, &sequence, &dropped),
        TelemetryQueue_Result_Ok);
    assert_int_equal(sequence, 9);
    assert_int_equal(dropped, 1);
    assert_int_equal(TelemetryQueue_GetDroppedTotal(&queue), 1);
    assert_int_equal(TelemetryQueue_GetOldestSequenceNumber(&queue), 2);
    ExpectMessage(0, 2, 64, 2);

    // The drop count survives a restart.
    Reopen(NULL);
    assert_int_equal(TelemetryQueue_GetDroppedTotal(&queue), 1);
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 8);

    // A message acknowledged out of order and then dropped was delivered: not counted.
    assert_int_equal(TelemetryQueue_Ack(&queue, 3), TelemetryQueue_Result_Deferred);
    assert_int_equal(
        TelemetryQueue_Push(&queue, payload, sizeof(payload), 1010, &sequence, &dropped),
        TelemetryQueue_Result_Ok);
    assert_int_equal(dropped, 1);
    assert_int_equal(TelemetryQueue_GetOldestSequenceNumber(&queue), 3);
    assert_int_equal(Push(64, 11), 11);
    assert_int_equal(TelemetryQueue_GetDroppedTotal(&queue), 2);
    assert_int_equal(TelemetryQueue_GetOldestSequenceNumber(&queue), 4);
}

static void test_Push_largeMessage_dropsSeveralDeferredNotCounted(void **state) {
    for (uint32_t tag = 1; tag <= 8; tag++) {
        Push(64, tag);
    }
    assert_int_equal(TelemetryQueue_Ack(&queue, 2), TelemetryQueue_Result_Deferred);
    uint8_t payload[500];
    Fill(payload, sizeof(payload), 50);
    uint64_t sequence = 0;
    uint32_t dropped = 0;
    assert_int_equal(
        TelemetryQueue_Push(&queue, payload, sizeof(payload), 1050, &sequence, &dropped),
        TelemetryQueue_Result_Ok);
    // 536 bytes are needed at the start of the ring: six records go, one already delivered.
    assert_int_equal(TelemetryQueue_GetOldestSequenceNumber(&queue), 7);
    assert_int_equal(dropped, 5);
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 3);
    ExpectMessage(8, 8, 64, 8);
    ExpectMessage(9, 9, 500, 50);
}

static void test_Push_manyLaps_wrapsAndKeepsFifo(void **state) {
    uint64_t oldestExpected = 1;
    for (uint32_t tag = 1; tag <= 500; tag++) {
        size_t length = (tag * 37u) % 150u;
        uint64_t sequence = Push(length, tag);
        assert_int_equal(sequence, tag);
        if (tag % 3 == 0) {
            TelemetryQueue_Message message;
            uint8_t buffer[256];
            assert_int_equal(TelemetryQueue_Peek(&queue, 0, &message, buffer, sizeof(buffer)),
                             TelemetryQueue_Result_Ok);
            assert_int_equal(TelemetryQueue_Ack(&queue, message.sequenceNumber),
                             TelemetryQueue_Result_Ok);
        }
        if (tag % 50 == 0) {
            Reopen(NULL);
        }
        uint64_t oldest = TelemetryQueue_GetOldestSequenceNumber(&queue);
        assert_true(oldest >= oldestExpected);
        oldestExpected = oldest;
    }
    // Everything still queued is intact and in order.
    uint64_t next = TelemetryQueue_GetNextSequenceNumber(&queue);
    for (uint64_t s = TelemetryQueue_GetOldestSequenceNumber(&queue); s < next; s++) {
        ExpectMessage(s, s, (s * 37u) % 150u, (uint32_t)s);
    }
    assert_true(TelemetryQueue_GetDroppedTotal(&queue) > 0);
}

static void test_Push_badArguments_refused(void **state) {
    uint64_t sequence = 0;
    uint8_t payload[TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH + 1];
    memset(payload, 1, sizeof(payload));
    size_t max = TelemetryQueue_GetMaxPayloadLength(&queue);
    assert_int_equal(TelemetryQueue_Push(&queue, payload, max + 1, 0, &sequence, NULL),
                     TelemetryQueue_Result_TooLarge);
    assert_int_equal(TelemetryQueue_Push(&queue, payload, max, 0, &sequence, NULL),
                     TelemetryQueue_Result_Ok);
    assert_int_equal(TelemetryQueue_Push(&queue, NULL, 3, 0, &sequence, NULL),
                     TelemetryQueue_Result_InvalidArgument);
    assert_int_equal(TelemetryQueue_Push(&queue, payload, 3, 0, NULL, NULL),
                     TelemetryQueue_Result_InvalidArgument);
    assert_int_equal(TelemetryQueue_Push(NULL, payload, 3, 0, &sequence, NULL),
                     TelemetryQueue_Result_InvalidArgument);

    TelemetryQueue_Message message;
    uint8_t small[4];
    assert_int_equal(TelemetryQueue_Peek(&queue, 0, &message, small, sizeof(small)),
                     TelemetryQueue_Result_BufferTooSmall);
    assert_int_equal(message.length, max);

    TelemetryQueue other;
    assert_int_equal(
        TelemetryQueue_Open(&other, &io, BASE, TELEMETRY_QUEUE_MIN_REGION_SIZE - 1, EPOCH, NULL),
        TelemetryQueue_Result_InvalidArgument);
    assert_int_equal(TelemetryQueue_Open(&other, &io, -1, REGION, EPOCH, NULL),
                     TelemetryQueue_Result_InvalidArgument);
    assert_int_equal(TelemetryQueue_Push(&other, payload, 3, 0, &sequence, NULL),
                     TelemetryQueue_Result_InvalidArgument);
}

static void test_Peek_corruptedPayload_corruptNeverDelivered(void **state) {
    Push(40, 1);
    Push(40, 2);
    // Flip one payload byte of the second record behind the queue's back.
    size_t secondPayload = BASE + 128 + (36 + 40) + 36 + 5;
    storage.disk.image[secondPayload] ^= 0x01;
    ExpectMessage(0, 1, 40, 1);
    TelemetryQueue_Message message;
    uint8_t buffer[64];
    assert_int_equal(TelemetryQueue_Peek(&queue, 2, &message, buffer, sizeof(buffer)),
                     TelemetryQueue_Result_Corrupt);
    // The queue refuses further work until reopened; recovery stops before the damage.
    assert_int_equal(TelemetryQueue_Ack(&queue, 1), TelemetryQueue_Result_IoError);
    TelemetryQueue_OpenInfo info;
    Reopen(&info);
    assert_int_equal(info.recoveredCount, 1);
    ExpectMessage(0, 1, 40, 1);
    assert_int_equal(Push(7, 3), 2);
    ExpectMessage(2, 2, 7, 3);
}

static void test_Open_bothHeadersDamaged_reformatted(void **state) {
    Push(40, 1);
    memset(storage.disk.image + BASE, 0xA5, 128);
    TelemetryQueue_OpenInfo info;
    Reopen(&info);
    assert_true(info.formatted);
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 0);
    assert_int_equal(TelemetryQueue_GetEpoch(&queue), EPOCH + 1);
    // The old epoch's record is not resurrected even though its sequence number is reused.
    FakeStorage_Boot(&storage, &storage.disk, &io);
    assert_int_equal(TelemetryQueue_Open(&queue, &io, BASE, REGION, 0, &info),
                     TelemetryQueue_Result_Ok);
    assert_int_equal(info.recoveredCount, 0);
}

static void test_Open_differentRegionSize_reformatted(void **state) {
    Push(40, 1);
    FakeStorage_Boot(&storage, &storage.disk, &io);
    TelemetryQueue_OpenInfo info;
    assert_int_equal(TelemetryQueue_Open(&queue, &io, BASE, REGION + 512, EPOCH, &info),
                     TelemetryQueue_Result_Ok);
    assert_true(info.formatted);
}

static void test_Open_readFails_ioErrorNotOpen(void **state) {
    Push(40, 1);
    for (int failAt = 0; failAt < 4; failAt++) {
        FakeStorage_Boot(&storage, &storage.disk, &io);
        storage.failReadAt = failAt;
        assert_int_equal(TelemetryQueue_Open(&queue, &io, BASE, REGION, EPOCH, NULL),
                         TelemetryQueue_Result_IoError);
        uint64_t sequence;
        assert_int_equal(TelemetryQueue_Push(&queue, "x", 1, 0, &sequence, NULL),
                         TelemetryQueue_Result_InvalidArgument);
    }
    Reopen(NULL);
    ExpectMessage(0, 1, 40, 1);
}

static void test_Push_writeFails_ioErrorUntilReopened(void **state) {
    Push(40, 1);
    storage.cutAtWrite = storage.writes;
    storage.cutBytes = 0;
    uint64_t sequence = 0;
    assert_int_equal(TelemetryQueue_Push(&queue, "abc", 3, 0, &sequence, NULL),
                     TelemetryQueue_Result_IoError);
    storage.poweredOff = false;
    assert_int_equal(TelemetryQueue_Push(&queue, "abc", 3, 0, &sequence, NULL),
                     TelemetryQueue_Result_IoError);
    Reopen(NULL);
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 1);
}

static void test_FileIo_realFileAtOffset_survivesCloseAndReopen(void **state) {
    char path[] = "/tmp/telemetry_queue_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    // Something else (the boot counter) owns the first bytes; the queue must not touch them.
    assert_int_equal(pwrite(fd, "BOOT", 4, 0), 4);
    TelemetryQueue_Io fileIo;
    TelemetryQueue_InitFileIo(&fileIo, fd);
    TelemetryQueue fileQueue;
    TelemetryQueue_OpenInfo info;
    assert_int_equal(TelemetryQueue_Open(&fileQueue, &fileIo, 4096, 8192, 7, &info),
                     TelemetryQueue_Result_Ok);
    assert_true(info.formatted);
    uint64_t sequence = 0;
    for (int i = 0; i < 100; i++) {
        char text[32];
        int n = snprintf(text, sizeof(text), "{\"n\":%d}", i);
        assert_int_equal(TelemetryQueue_Push(&fileQueue, text, (size_t)n, i, &sequence, NULL),
                         TelemetryQueue_Result_Ok);
        if (i % 2 == 1) {
            assert_int_equal(
                TelemetryQueue_Ack(&fileQueue, TelemetryQueue_GetOldestSequenceNumber(&fileQueue)),
                TelemetryQueue_Result_Ok);
        }
    }
    assert_int_equal(close(fd), 0);

    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    TelemetryQueue_InitFileIo(&fileIo, fd);
    assert_int_equal(TelemetryQueue_Open(&fileQueue, &fileIo, 4096, 8192, 8, &info),
                     TelemetryQueue_Result_Ok);
    assert_false(info.formatted);
    assert_int_equal(info.recoveredCount, 50);
    TelemetryQueue_Message message;
    char buffer[32];
    assert_int_equal(TelemetryQueue_Peek(&fileQueue, 0, &message, buffer, sizeof(buffer)),
                     TelemetryQueue_Result_Ok);
    assert_int_equal(message.sequenceNumber, 51);
    assert_memory_equal(buffer, "{\"n\":50}", 8);
    char boot[4];
    assert_int_equal(pread(fd, boot, 4, 0), 4);
    assert_memory_equal(boot, "BOOT", 4);
    close(fd);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_Open_emptyStorage_formatsEmptyQueue, Setup),
        cmocka_unit_test_setup(test_Push_threeMessages_peekedInOrderAndAckedAway, Setup),
        cmocka_unit_test_setup(test_Push_everyPushSynced_beforeReturning, Setup),
        cmocka_unit_test_setup(test_Reopen_afterPushesAndAcks_recoversExactly, Setup),
        cmocka_unit_test_setup(test_Ack_outOfOrder_deferredUntilOldestAcked, Setup),
        cmocka_unit_test_setup(test_Ack_tooManyDeferred_refusedMessageStays, Setup),
        cmocka_unit_test_setup(test_Push_queueFull_dropsOldestAndCounts, Setup),
        cmocka_unit_test_setup(test_Push_largeMessage_dropsSeveralDeferredNotCounted, Setup),
        cmocka_unit_test_setup(test_Push_manyLaps_wrapsAndKeepsFifo, Setup),
        cmocka_unit_test_setup(test_Push_badArguments_refused, Setup),
        cmocka_unit_test_setup(test_Peek_corruptedPayload_corruptNeverDelivered, Setup),
        cmocka_unit_test_setup(test_Open_bothHeadersDamaged_reformatted, Setup),
        cmocka_unit_test_setup(test_Open_differentRegionSize_reformatted, Setup),
        cmocka_unit_test_setup(test_Open_readFails_ioErrorNotOpen, Setup),
        cmocka_unit_test_setup(test_Push_writeFails_ioErrorUntilReopened, Setup),
        cmocka_unit_test_setup(test_FileIo_realFileAtOffset_survivesCloseAndReopen, Setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
