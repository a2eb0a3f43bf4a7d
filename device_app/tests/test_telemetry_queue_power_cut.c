// SPDX-License-Identifier: MIT
// Proof by exhaustion that the telemetry queue survives a power cut during any write. A
// scripted workload (format, pushes, in-order and out-of-order acknowledgements, wrap-around,
// drops when full, a message larger than half the ring, empty messages, clean restarts) runs
// once uncut to learn, for every operation, the queue's state before and after it and which
// writes it issues. Then, for every one of those writes and every byte offset inside it, the
// workload is replayed from an empty image with the power cut at exactly that point (the write
// landing as a prefix, as a suffix, or as a prefix followed by erased flash), the queue is
// reopened from the image the cut left, and these invariants are checked:
//  - recovery succeeds;
//  - the recovered head is the head before or after the interrupted operation, and so is the
//    tail, and they pair up as the write order allows (a record is never present without the
//    header that made room for it, and the drop count moves with the head): nothing whose Push
//    returned is lost, nothing whose Ack returned comes back, nothing is invented;
//  - every recovered message is byte for byte the one pushed with that sequence number, with
//    its creation time;
//  - the recovered queue keeps working: more pushes, a restart, acknowledgements down to empty.
// For a subset of the cuts, the recovered queue is itself put through a short workload with a
// second cut at each of its writes (torn records and header slots left behind by the first cut
// must not confuse the second recovery). A long pseudo-random workload adds breadth, with cuts
// at the boundaries of each write. The number of cut points is printed.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_storage.h"
#include "telemetry_queue.h"

// Like the app: something else owns the start of the file, the queue lives behind it.
#define BASE 512
#define REGION 1024u
#define EPOCH 0x5EED0001u
#define MAX_OPS 512
#define MAX_SEQUENCE 2048

typedef enum { Op_Format, Op_Reopen, Op_Push, Op_AckOldest, Op_AckNewer } OpType;

typedef struct {
    OpType type;
    // Push: payload length. AckNewer: how far behind the oldest.
    uint32_t value;
} Op;

typedef struct {
    Op ops[MAX_OPS];
    size_t count;
    // Makes this workload's payloads differ from any other's with the same sequence numbers.
    uint32_t salt;
} Workload;

typedef struct {
    uint64_t head;
    uint64_t next;
    uint64_t dropped;
} QueueState;

typedef struct {
    QueueState before;
    QueueState after;
    int firstWrite;
    int endWrite;
    TelemetryQueue_Result result;
} OpRecord;

typedef struct {
    bool known;
    uint32_t salt;
    uint32_t opIndex;
    uint32_t length;
} Expected;

// What every sequence number was pushed with, in the run that is being checked.
typedef struct {
    Expected bySequence[MAX_SEQUENCE];
} ExpectedTable;

typedef enum { CutPolicy_EveryByte, CutPolicy_Boundaries } CutPolicy;

typedef struct {
    unsigned long cutPoints;
    unsigned long nestedCutPoints;
    unsigned long writesCovered;
    unsigned long nestedWritesCovered;
} Stats;

// Situations the uncut scripted run must pass through, so the cuts cover them.
typedef struct {
    unsigned int pushesThatDropped;
    unsigned int pushesThatDroppedSeveral;
    unsigned int deferredDropped;
    unsigned int wrappedStates;
    unsigned int fullStates;
    unsigned int emptyQueuePushes;
    unsigned int headerWrites;
    unsigned int recordWrites;
} Coverage;

static Coverage coverage;

static FakeStorage storage;
static TelemetryQueue_Io io;
static TelemetryQueue queue;
// Which cut is being checked, for failure messages.
static char cutDescription[160];

static void MakePayload(uint32_t salt, uint32_t opIndex, uint8_t *out, uint32_t length) {
    uint32_t x = salt * 2654435761u ^ (opIndex + 1u) * 40503u;
    for (uint32_t i = 0; i < length; i++) {
        x = x * 1103515245u + 12345u;
        out[i] = (uint8_t)(x >> 16);
    }
}

static int64_t CreatedMs(uint32_t salt, uint32_t opIndex) {
    return 1700000000000LL + (int64_t)salt * 100000 + opIndex;
}

static QueueState StateOf(const TelemetryQueue *q) {
    QueueState s = {TelemetryQueue_GetOldestSequenceNumber(q),
                    TelemetryQueue_GetNextSequenceNumber(q), TelemetryQueue_GetDroppedTotal(q)};
    return s;
}

static TelemetryQueue_Result OpenQueue(TelemetryQueue *q, TelemetryQueue_OpenInfo *info) {
    return TelemetryQueue_Open(q, &io, BASE, REGION, EPOCH, info);
}

static TelemetryQueue_Result RunOp(const Workload *w, size_t index, ExpectedTable *table) {
    const Op *op = &w->ops[index];
    switch (op->type) {
        case Op_Format:
        case Op_Reopen:
            return OpenQueue(&queue, NULL);
        case Op_Push: {
            uint8_t payload[TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH];
            MakePayload(w->salt, (uint32_t)index, payload, op->value);
            uint64_t sequence = 0;
            TelemetryQueue_Result result = TelemetryQueue_Push(
                &queue, payload, op->value, CreatedMs(w->salt, (uint32_t)index), &sequence, NULL);
            if (table != NULL && result == TelemetryQueue_Result_Ok) {
                assert_true(sequence < MAX_SEQUENCE);
                Expected e = {true, w->salt, (uint32_t)index, op->value};
                table->bySequence[sequence] = e;
            }
            return result;
        }
        case Op_AckOldest:
            return TelemetryQueue_Ack(&queue, TelemetryQueue_GetOldestSequenceNumber(&queue));
        case Op_AckNewer:
            return TelemetryQueue_Ack(&queue,
                                      TelemetryQueue_GetOldestSequenceNumber(&queue) + op->value);
    }
    return TelemetryQueue_Result_InvalidArgument;
}

// The uncut run: records each operation's before and after states and its writes, and checks
// them against FIFO semantics so that the states used as the cut runs' yardstick are right.
static void RunReference(const Workload *w, const FakeStorage_Image *start, OpRecord *records,
                         ExpectedTable *table) {
    FakeStorage_Boot(&storage, start, &io);
    bool deferred[MAX_SEQUENCE] = {false};
    for (size_t i = 0; i < w->count; i++) {
        const Op *op = &w->ops[i];
        records[i].before = StateOf(&queue);
        records[i].firstWrite = storage.writes;
        TelemetryQueue_Result result = RunOp(w, i, table);
        records[i].endWrite = storage.writes;
        records[i].after = StateOf(&queue);
        records[i].result = result;
        const QueueState *b = &records[i].before;
        const QueueState *a = &records[i].after;
        switch (op->type) {
            case Op_Format:
            case Op_Reopen:
                assert_int_equal(result, TelemetryQueue_Result_Ok);
                memset(deferred, 0, sizeof(deferred));
                // The first operation opens the image; "before" it there is no queue.
                if (op->type == Op_Reopen && i > 0) {
                    assert_int_equal(records[i].endWrite, records[i].firstWrite);
                    assert_true(a->head == b->head && a->next == b->next);
                }
                break;
            case Op_Push: {
                assert_int_equal(result, TelemetryQueue_Result_Ok);
                assert_int_equal(a->next, b->next + 1);
                assert_true(a->head >= b->head && a->head <= a->next - 1);
                uint64_t counted = 0;
                for (uint64_t s = b->head; s < a->head; s++) {
                    counted += deferred[s] ? 0u : 1u;
                    coverage.deferredDropped += deferred[s] ? 1u : 0u;
                }
                coverage.pushesThatDropped += a->head > b->head ? 1u : 0u;
                coverage.pushesThatDroppedSeveral += a->head > b->head + 1 ? 1u : 0u;
                coverage.emptyQueuePushes += b->head == b->next ? 1u : 0u;
                // Reading the private fields: is the ring wrapped, or completely full?
                coverage.wrappedStates += queue.tailOffset <= queue.headOffset ? 1u : 0u;
                coverage.fullStates += queue.tailOffset == queue.headOffset ? 1u : 0u;
                assert_int_equal(a->dropped, b->dropped + counted);
                // One write for the record, plus one for the header when something was dropped.
                assert_int_equal(records[i].endWrite - records[i].firstWrite,
                                 a->head == b->head ? 1 : 2);
                coverage.recordWrites++;
                coverage.headerWrites += a->head == b->head ? 0u : 1u;
                break;
            }
            case Op_AckOldest:
                if (b->head == b->next) {
                    assert_int_equal(result, TelemetryQueue_Result_NotFound);
                    break;
                }
                assert_int_equal(result, TelemetryQueue_Result_Ok);
                assert_true(a->head > b->head);
                for (uint64_t s = b->head + 1; s < a->head; s++) {
                    assert_true(deferred[s]);
                }
                assert_true(a->head == a->next || !deferred[a->head]);
                assert_int_equal(records[i].endWrite - records[i].firstWrite, 1);
                coverage.headerWrites++;
                break;
            case Op_AckNewer:
                if (b->head + op->value >= b->next) {
                    assert_int_equal(result, TelemetryQueue_Result_NotFound);
                } else {
                    assert_int_equal(result, TelemetryQueue_Result_Deferred);
                    deferred[b->head + op->value] = true;
                    assert_int_equal(records[i].endWrite, records[i].firstWrite);
                }
                break;
        }
    }
}

// Checks that every message in [head, next) is exactly what was pushed with that number.
static void ExpectContents(TelemetryQueue *q, const ExpectedTable *table) {
    uint64_t head = TelemetryQueue_GetOldestSequenceNumber(q);
    uint64_t next = TelemetryQueue_GetNextSequenceNumber(q);
    assert_true(head <= next);
    assert_int_equal(TelemetryQueue_GetDepth(q), next - head);
    for (uint64_t s = head; s < next; s++) {
        uint8_t actual[TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH];
        uint8_t expected[TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH];
        TelemetryQueue_Message message;
        TelemetryQueue_Result result = TelemetryQueue_Peek(q, s, &message, actual, sizeof(actual));
        if (result != TelemetryQueue_Result_Ok || message.sequenceNumber != s) {
            fail_msg("%s: message %llu of [%llu, %llu): result %d, got %llu", cutDescription,
                     (unsigned long long)s, (unsigned long long)head, (unsigned long long)next,
                     (int)result, (unsigned long long)message.sequenceNumber);
        }
        const Expected *e = &table->bySequence[s];
        assert_true(e->known);
        assert_int_equal(message.length, e->length);
        assert_int_equal(message.createdMs, CreatedMs(e->salt, e->opIndex));
        MakePayload(e->salt, e->opIndex, expected, e->length);
        assert_memory_equal(actual, expected, e->length);
    }
    TelemetryQueue_Message message;
    uint8_t buffer[8];
    assert_int_equal(TelemetryQueue_Peek(q, next, &message, buffer, sizeof(buffer)),
                     TelemetryQueue_Result_Empty);
}

static void ExpectBetween(const OpRecord *record, const Op *op) {
    QueueState r = StateOf(&queue);
    if (op->type == Op_Format || op->type == Op_Reopen) {
        // Opening writes only to format: cut then, the queue is empty whichever header made it.
        assert_int_equal(r.head, r.next);
        assert_int_equal(r.dropped, 0);
        return;
    }
    const QueueState *b = &record->before;
    const QueueState *a = &record->after;
    bool headBefore = r.head == b->head;
    bool headAfter = r.head == a->head;
    if (!(headBefore || headAfter) || !(r.next == b->next || r.next == a->next)) {
        fail_msg("recovered [%llu, %llu) outside before [%llu, %llu) / after [%llu, %llu)",
                 (unsigned long long)r.head, (unsigned long long)r.next,
                 (unsigned long long)b->head, (unsigned long long)b->next,
                 (unsigned long long)a->head, (unsigned long long)a->next);
    }
    // The drop count is in the same header as the head.
    assert_int_equal(r.dropped, headAfter ? a->dropped : b->dropped);
    // The record goes after the header that made room for it.
    if (r.next == a->next && a->next != b->next) {
        assert_int_equal(r.head, a->head);
    }
}

// After recovery the queue must keep working: two more messages, a restart, then acknowledge
// everything and find it empty after another restart.
static void ExpectUsable(ExpectedTable *table) {
    static const uint32_t lengths[] = {33, 90};
    static Workload more = {.count = 0, .salt = 0xA11Eu};
    more.count = 0;
    uint64_t first = TelemetryQueue_GetNextSequenceNumber(&queue);
    assert_true(first + 2 <= MAX_SEQUENCE);
    Expected saved[2] = {table->bySequence[first], table->bySequence[first + 1]};
    for (uint32_t i = 0; i < 2; i++) {
        more.ops[i].type = Op_Push;
        more.ops[i].value = lengths[i];
        more.count++;
        uint64_t next = TelemetryQueue_GetNextSequenceNumber(&queue);
        assert_int_equal(RunOp(&more, i, table), TelemetryQueue_Result_Ok);
        assert_int_equal(TelemetryQueue_GetNextSequenceNumber(&queue), next + 1);
    }
    FakeStorage_Boot(&storage, &storage.disk, &io);
    assert_int_equal(OpenQueue(&queue, NULL), TelemetryQueue_Result_Ok);
    ExpectContents(&queue, table);
    uint64_t next = TelemetryQueue_GetNextSequenceNumber(&queue);
    while (TelemetryQueue_GetDepth(&queue) > 0) {
        assert_int_equal(TelemetryQueue_Ack(&queue, TelemetryQueue_GetOldestSequenceNumber(&queue)),
                         TelemetryQueue_Result_Ok);
    }
    FakeStorage_Boot(&storage, &storage.disk, &io);
    assert_int_equal(OpenQueue(&queue, NULL), TelemetryQueue_Result_Ok);
    assert_int_equal(TelemetryQueue_GetDepth(&queue), 0);
    assert_int_equal(TelemetryQueue_GetNextSequenceNumber(&queue), next);
    // These numbers belong to other messages in the runs still to be checked.
    table->bySequence[first] = saved[0];
    table->bySequence[first + 1] = saved[1];
}

typedef struct {
    FakeStorage_CutMode mode;
    size_t bytes;
} Cut;

// The cuts to try inside a write of `length` bytes.
static size_t CutsFor(size_t length, CutPolicy policy, Cut *cuts, size_t capacity) {
    size_t count = 0;
    if (policy == CutPolicy_EveryByte) {
        for (size_t b = 0; b <= length && count < capacity; b++) {
            cuts[count++] = (Cut){FakeStorage_Cut_Prefix, b};
        }
        for (size_t b = 1; b < length && count < capacity; b++) {
            cuts[count++] = (Cut){FakeStorage_Cut_Suffix, b};
        }
        for (size_t b = 0; b < length && count < capacity; b++) {
            cuts[count++] = (Cut){FakeStorage_Cut_PrefixErased, b};
        }
        return count;
    }
    // Before, inside at the record/header field boundaries, in the middle, and after.
    const size_t prefixes[] = {0, 1, 4, 8, 32, 35, 36, 37, length / 2, length - 1, length};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]) && count < capacity; i++) {
        if (prefixes[i] <= length) {
            cuts[count++] = (Cut){FakeStorage_Cut_Prefix, prefixes[i]};
        }
    }
    cuts[count++] = (Cut){FakeStorage_Cut_Suffix, length / 2};
    cuts[count++] = (Cut){FakeStorage_Cut_PrefixErased, length / 2};
    return count;
}

static void RunWithCuts(const Workload *w, const FakeStorage_Image *start,
                        const ExpectedTable *inherited, CutPolicy policy, bool nest, Stats *stats);

// A short workload for a queue recovered from a cut, to be cut again.
static void RunNested(const FakeStorage_Image *recovered, const ExpectedTable *table,
                      Stats *stats) {
    static const Op ops[] = {{Op_Reopen, 0}, {Op_Push, 70},     {Op_AckOldest, 0},
                             {Op_Push, 150}, {Op_AckOldest, 0}, {Op_Push, 5}};
    Workload nested = {.count = sizeof(ops) / sizeof(ops[0]), .salt = 0x2EC0u};
    memcpy(nested.ops, ops, sizeof(ops));
    static FakeStorage_Image image;
    image = *recovered;
    unsigned long before = stats->cutPoints;
    unsigned long writesBefore = stats->writesCovered;
    RunWithCuts(&nested, &image, table, CutPolicy_Boundaries, false, stats);
    stats->nestedCutPoints += stats->cutPoints - before;
    stats->nestedWritesCovered += stats->writesCovered - writesBefore;
}

static void RunWithCuts(const Workload *w, const FakeStorage_Image *start,
                        const ExpectedTable *inherited, CutPolicy policy, bool nest, Stats *stats) {
    // Per nesting depth, since a nested run happens in the middle of its parent's loop.
    static OpRecord recordsByDepth[2][MAX_OPS];
    static ExpectedTable tablesByDepth[2];
    static size_t writeLengthsByDepth[2][1024];
    static Cut cutsByDepth[2][3 * (TELEMETRY_QUEUE_RECORD_HEADER_SIZE +
                                   TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH) +
                              4];
    int depth = nest ? 0 : 1;
    OpRecord *records = recordsByDepth[depth];
    ExpectedTable *table = &tablesByDepth[depth];
    size_t *writeLengths = writeLengthsByDepth[depth];
    Cut *cuts = cutsByDepth[depth];
    if (inherited != NULL) {
        *table = *inherited;
    } else {
        memset(table, 0, sizeof(*table));
    }
    RunReference(w, start, records, table);
    assert_true(storage.writes <= 1024);
    memcpy(writeLengths, storage.writeLengths, sizeof(storage.writeLengths));

    for (size_t i = 0; i < w->count; i++) {
        for (int write = records[i].firstWrite; write < records[i].endWrite; write++) {
            size_t cutCount = CutsFor(writeLengths[write], policy, cuts,
                                      sizeof(cutsByDepth[0]) / sizeof(cutsByDepth[0][0]));
            stats->writesCovered++;
            for (size_t c = 0; c < cutCount; c++) {
                snprintf(cutDescription, sizeof(cutDescription),
                         "salt %u op %zu (type %d, value %u) write %d (%zu bytes) mode %d at %zu",
                         w->salt, i, (int)w->ops[i].type, w->ops[i].value, write,
                         writeLengths[write], (int)cuts[c].mode, cuts[c].bytes);
                // Replay up to the interrupted operation, with the cut scheduled.
                FakeStorage_Boot(&storage, start, &io);
                storage.cutAtWrite = write;
                storage.cutBytes = cuts[c].bytes;
                storage.cutMode = cuts[c].mode;
                for (size_t k = 0; k < i; k++) {
                    assert_int_equal(RunOp(w, k, NULL), records[k].result);
                }
                assert_int_equal(RunOp(w, i, NULL), TelemetryQueue_Result_IoError);
                assert_true(storage.poweredOff);

                // Next boot.
                FakeStorage_Boot(&storage, &storage.disk, &io);
                assert_int_equal(OpenQueue(&queue, NULL), TelemetryQueue_Result_Ok);
                ExpectBetween(&records[i], &w->ops[i]);
                ExpectContents(&queue, table);
                stats->cutPoints++;

                bool boundary = cuts[c].mode == FakeStorage_Cut_Prefix &&
                                (cuts[c].bytes == 0 || cuts[c].bytes == 36 ||
                                 cuts[c].bytes == writeLengths[write] / 2);
                if (nest && boundary) {
                    RunNested(&storage.disk, table, stats);
                } else {
                    ExpectUsable(table);
                }
            }
        }
    }
}

static void Add(Workload *w, OpType type, uint32_t value) {
    assert_true(w->count < MAX_OPS);
    w->ops[w->count].type = type;
    w->ops[w->count].value = value;
    w->count++;
}

static void BuildScriptedWorkload(Workload *w) {
    memset(w, 0, sizeof(*w));
    w->salt = 1;
    Add(w, Op_Format, 0);
    // Eight 112-byte records fill the 896-byte ring exactly; the next ones each drop the
    // oldest and leave the ring completely full (tail meeting head).
    for (int i = 0; i < 10; i++) {
        Add(w, Op_Push, 112 - TELEMETRY_QUEUE_RECORD_HEADER_SIZE);
    }
    for (int i = 0; i < 10; i++) {
        Add(w, Op_AckOldest, 0);
    }
    const uint32_t first[] = {20, 45, 8, 100, 60};
    for (size_t i = 0; i < 5; i++) {
        Add(w, Op_Push, first[i]);
    }
    Add(w, Op_AckOldest, 0);
    Add(w, Op_AckOldest, 0);
    // Past the end of the ring and into the oldest messages: wrap-around and drops.
    const uint32_t cycle[] = {30, 75, 12, 110, 50};
    for (size_t i = 0; i < 10; i++) {
        Add(w, Op_Push, cycle[i % 5]);
    }
    // Out of order, then the oldest: one header write removes three.
    Add(w, Op_AckNewer, 2);
    Add(w, Op_AckNewer, 1);
    Add(w, Op_AckOldest, 0);
    Add(w, Op_Reopen, 0);
    // A deferred acknowledgement, then a message bigger than half the ring: most messages go,
    // the deferred one without being counted.
    Add(w, Op_AckNewer, 1);
    Add(w, Op_Push, 700);
    for (uint32_t i = 1; i <= 6; i++) {
        Add(w, Op_Push, 10 * i);
    }
    for (int i = 0; i < 3; i++) {
        Add(w, Op_AckOldest, 0);
    }
    Add(w, Op_Reopen, 0);
    // Down to empty (the last acknowledgements find nothing), then refill from an empty queue
    // whose next record does not fit before the end of the ring.
    for (int i = 0; i < 10; i++) {
        Add(w, Op_AckOldest, 0);
    }
    for (int i = 0; i < 8; i++) {
        Add(w, Op_Push, 90);
    }
    for (int i = 0; i < 4; i++) {
        Add(w, Op_AckOldest, 0);
    }
    const uint32_t mixed[] = {5, 0, 33, 77, 120};
    for (size_t i = 0; i < 5; i++) {
        Add(w, Op_Push, mixed[i]);
    }
    Add(w, Op_AckNewer, 1);
    Add(w, Op_AckOldest, 0);
    for (uint32_t i = 0; i < 12; i++) {
        Add(w, Op_Push, 40 + 9 * i);
    }
    Add(w, Op_AckOldest, 0);
}

static void test_PowerCut_everyByteOfEveryWrite_queueConsistent(void **state) {
    static Workload workload;
    BuildScriptedWorkload(&workload);
    Stats stats = {0};
    memset(&coverage, 0, sizeof(coverage));
    static ExpectedTable table;
    static OpRecord records[MAX_OPS];
    RunReference(&workload, NULL, records, &table);
    Coverage scripted = coverage;
    print_message(
        "scripted workload: %zu operations; %u record writes, %u header writes; %u "
        "pushes dropped (%u several, %u already delivered); %u pushes into an empty "
        "queue; %u wrapped and %u full states\n",
        workload.count, scripted.recordWrites, scripted.headerWrites + 1,
        scripted.pushesThatDropped, scripted.pushesThatDroppedSeveral, scripted.deferredDropped,
        scripted.emptyQueuePushes, scripted.wrappedStates, scripted.fullStates);
    assert_true(scripted.pushesThatDropped >= 5 && scripted.pushesThatDroppedSeveral >= 1 &&
                scripted.deferredDropped >= 1 && scripted.emptyQueuePushes >= 2 &&
                scripted.wrappedStates >= 5 && scripted.fullStates >= 1);

    RunWithCuts(&workload, NULL, NULL, CutPolicy_EveryByte, true, &stats);
    print_message(
        "power cut, scripted workload: %lu writes cut at every byte, %lu cut points; "
        "then %lu second cuts in %lu writes after recovery\n",
        stats.writesCovered - stats.nestedWritesCovered, stats.cutPoints - stats.nestedCutPoints,
        stats.nestedCutPoints, stats.nestedWritesCovered);
    assert_int_equal(stats.writesCovered - stats.nestedWritesCovered,
                     scripted.recordWrites + scripted.headerWrites + 1);
    assert_true(stats.cutPoints - stats.nestedCutPoints >= 10000);
}

static void test_PowerCut_longRandomWorkload_queueConsistent(void **state) {
    static Workload workload;
    memset(&workload, 0, sizeof(workload));
    workload.salt = 2;
    unsigned int seed = 20240601;
    Add(&workload, Op_Format, 0);
    while (workload.count < 400) {
        unsigned int roll = (unsigned int)rand_r(&seed) % 100;
        if (roll < 52) {
            uint32_t length = (uint32_t)rand_r(&seed) % 150;
            if ((unsigned int)rand_r(&seed) % 25 == 0) {
                length = 300 + (uint32_t)rand_r(&seed) % 500;
            }
            Add(&workload, Op_Push, length);
        } else if (roll < 88) {
            Add(&workload, Op_AckOldest, 0);
        } else if (roll < 97) {
            Add(&workload, Op_AckNewer, 1 + (uint32_t)rand_r(&seed) % 3);
        } else {
            Add(&workload, Op_Reopen, 0);
        }
    }
    Stats stats = {0};
    RunWithCuts(&workload, NULL, NULL, CutPolicy_Boundaries, false, &stats);
    print_message("power cut, random workload: %zu operations, %lu writes, %lu cut points\n",
                  workload.count, stats.writesCovered, stats.cutPoints);
    assert_true(stats.writesCovered >= 300);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_PowerCut_everyByteOfEveryWrite_queueConsistent),
        cmocka_unit_test(test_PowerCut_longRandomWorkload_queueConsistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
