// SPDX-License-Identifier: MIT
// Each queue record is one byte saying what kind of message it is, then the JSON body. The
// sequence numbers the queue assigns make the $.mid, and the creation time the queue stores
// makes $.ctime, so a message sent again after a reboot is byte for byte the message sent the
// first time.
//
// The in-flight table maps libmosquitto's message ids to queue sequence numbers. It is emptied
// when the connection drops: a PUBACK can only come on the connection the message went out on,
// and the next connection sends again from the oldest unacknowledged message.
//
// Mutable storage can fill up or fail. The app then keeps running rather than exit into a crash
// loop: a message that cannot be stored is lost and counted, sending stops, and each later
// message first reopens the queue, which recovers its last consistent state from storage. Once
// storage works again everything the queue held goes out, some of it perhaps a second time
// (the hub side removes duplicates by $.mid).

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <applibs/log.h>
#include <applibs/storage.h>

#include "cloud_connection.h"
#include "iothub_topics.h"
#include "storage_layout.h"
#include "telemetry.h"
#include "telemetry_queue.h"

#define KIND_READING 'T'
#define KIND_EVENT 'E'
#define TOPIC_SIZE 512
// "<8 hex digits>-<up to 20 digits>"
#define MESSAGE_ID_SIZE 32

typedef struct {
    bool inUse;
    int mid;
    uint64_t sequenceNumber;
} InFlight;

static ExitCode_CallbackType failureCallback = NULL;
static int storageFd = -1;
static TelemetryQueue queue;
static bool queueOpen = false;
// Storage failed; the queue in memory may not match storage until it is reopened.
static bool queueNeedsRecovery = false;
static uint32_t depthBeforeFailure = 0;
static uint64_t droppedBeforeFailure = 0;
// Messages lost because storage could not take them, since the app started.
static uint64_t unstoredCount = 0;
static TelemetryQueue_Io storageIo;
static InFlight inFlight[TELEMETRY_SEND_WINDOW];
static uint32_t inFlightCount = 0;
// Next sequence number to look at when sending on this connection.
static uint64_t nextToSend = 0;
// Static: a record can be the queue's largest payload and the stack is small. Sending reads
// into one, queueing builds in the other.
static uint8_t recordBuffer[TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH];
static uint8_t pushBuffer[TELEMETRY_QUEUE_MAX_PAYLOAD_LENGTH];

static void Fail(ExitCode exitCode, const char *what, TelemetryQueue_Result result) {
    Log_Debug("ERROR: telemetry queue: %s failed (result %d, errno %d: %s).\n", what, (int)result,
              errno, strerror(errno));
    queueOpen = false;
    if (failureCallback != NULL) {
        failureCallback(exitCode);
    }
}

static void ClearInFlight(void) {
    memset(inFlight, 0, sizeof(inFlight));
    inFlightCount = 0;
}

// Storage failed under the queue: stop using it until it can be reopened.
static void OnStorageFailure(const char *what, TelemetryQueue_Result result) {
    Log_Debug(
        "ERROR: telemetry queue: %s failed (result %d, errno %d: %s); sending stops until "
        "storage works again.\n",
        what, (int)result, errno, strerror(errno));
    if (!queueNeedsRecovery) {
        depthBeforeFailure = TelemetryQueue_GetDepth(&queue);
        droppedBeforeFailure = TelemetryQueue_GetDroppedTotal(&queue);
    }
    queueNeedsRecovery = true;
    ClearInFlight();
    nextToSend = 0;
}

static bool IsStorageFailure(TelemetryQueue_Result result) {
    return result == TelemetryQueue_Result_IoError || result == TelemetryQueue_Result_Corrupt;
}

// Opens the queue from what storage holds; returns false when storage still fails.
static bool OpenQueue(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint32_t newEpoch = (uint32_t)now.tv_sec ^ ((uint32_t)now.tv_nsec << 2) ^ (uint32_t)getpid();
    TelemetryQueue_OpenInfo info;
    TelemetryQueue_Result result =
        TelemetryQueue_Open(&queue, &storageIo, STORAGE_LAYOUT_QUEUE_OFFSET,
                            STORAGE_LAYOUT_QUEUE_SIZE, newEpoch, &info);
    if (result != TelemetryQueue_Result_Ok) {
        Log_Debug("ERROR: telemetry: cannot open the queue (result %d): %s (%d).\n", (int)result,
                  strerror(errno), errno);
        return false;
    }
    Log_Debug("INFO: telemetry queue %s: %u message(s) waiting, %" PRIu64 " dropped so far.\n",
              info.formatted ? "created" : "recovered",
              (unsigned int)TelemetryQueue_GetDepth(&queue),
              TelemetryQueue_GetDroppedTotal(&queue));
    return true;
}

// Returns true when the queue can be used, reopening it first after a storage failure.
static bool QueueUsable(void) {
    if (!queueOpen) {
        return false;
    }
    if (!queueNeedsRecovery) {
        return true;
    }
    if (!OpenQueue()) {
        return false;
    }
    queueNeedsRecovery = false;
    Log_Debug("INFO: telemetry: storage works again; sending resumes.\n");
    return true;
}

// Builds the topic for a stored message and publishes its body; returns false when it could
// not be sent (the caller stops sending until something changes).
static bool SendRecord(const TelemetryQueue_Message *message) {
    char messageId[MESSAGE_ID_SIZE];
    snprintf(messageId, sizeof(messageId), "%08" PRIx32 "-%" PRIu64,
             TelemetryQueue_GetEpoch(&queue), message->sequenceNumber);
    const struct timespec created = {.tv_sec = (time_t)(message->createdMs / 1000),
                                     .tv_nsec = (long)(message->createdMs % 1000) * 1000000L};
    const IoTHubTopics_Property type = {
        .name = "messageType", .value = recordBuffer[0] == KIND_EVENT ? "event" : "telemetry"};
    const IoTHubTopics_TelemetryProperties properties = {
        .messageId = messageId,
        .creationTime = message->createdMs > 0 ? &created : NULL,
        .properties = &type,
        .propertyCount = 1};
    char topic[TOPIC_SIZE];
    if (IoTHubTopics_BuildTelemetryTopic(CloudConnection_GetDeviceId(), &properties, topic,
                                         sizeof(topic), NULL) != IoTHubTopics_Result_Ok) {
        Log_Debug("ERROR: telemetry: cannot build the topic for message %s.\n", messageId);
        return false;
    }
    int mid = 0;
    if (!CloudConnection_Publish(topic, recordBuffer + 1, message->length - 1, 1, &mid)) {
        return false;
    }
    for (size_t i = 0; i < TELEMETRY_SEND_WINDOW; i++) {
        if (!inFlight[i].inUse) {
            inFlight[i] =
                (InFlight){.inUse = true, .mid = mid, .sequenceNumber = message->sequenceNumber};
            inFlightCount++;
            break;
        }
    }
    return true;
}

static void Pump(void) {
    while (queueOpen && !queueNeedsRecovery && CloudConnection_IsConnected() &&
           inFlightCount < TELEMETRY_SEND_WINDOW) {
        TelemetryQueue_Message message;
        TelemetryQueue_Result result =
            TelemetryQueue_Peek(&queue, nextToSend, &message, recordBuffer, sizeof(recordBuffer));
        if (result == TelemetryQueue_Result_Empty) {
            return;
        }
        if (IsStorageFailure(result)) {
            OnStorageFailure("reading a message", result);
            return;
        }
        if (result != TelemetryQueue_Result_Ok) {
            // BufferTooSmall cannot happen: the buffer is the largest payload.
            Fail(ExitCode_Telemetry_QueuePeek, "reading a message", result);
            return;
        }
        if (message.length < 1) {
            // Cannot happen with records this module wrote; never let one block the queue.
            (void)TelemetryQueue_Ack(&queue, message.sequenceNumber);
            nextToSend = message.sequenceNumber + 1;
            continue;
        }
        if (!SendRecord(&message)) {
            // Tried again from this message on at the next chance, so order holds.
            return;
        }
        nextToSend = message.sequenceNumber + 1;
    }
}

ExitCode Telemetry_Initialise(ExitCode_CallbackType failure) {
    failureCallback = failure;
    ClearInFlight();
    storageFd = Storage_OpenMutableFile();
    if (storageFd == -1) {
        Log_Debug("ERROR: telemetry: cannot open mutable storage: %s (%d).\n", strerror(errno),
                  errno);
        return ExitCode_Telemetry_OpenStorage;
    }
    TelemetryQueue_InitFileIo(&storageIo, storageFd);
    queueOpen = true;
    queueNeedsRecovery = !OpenQueue();
    if (queueNeedsRecovery) {
        // Storage failing at boot is survived like storage failing later.
        depthBeforeFailure = 0;
        droppedBeforeFailure = 0;
        Log_Debug("WARNING: telemetry: the queue opens once storage works again.\n");
    }
    return ExitCode_Success;
}

void Telemetry_Cleanup(void) {
    queueOpen = false;
    if (storageFd >= 0 && close(storageFd) != 0) {
        Log_Debug("ERROR: telemetry: could not close mutable storage: %s (%d).\n", strerror(errno),
                  errno);
    }
    storageFd = -1;
}

bool Telemetry_Enqueue(Telemetry_Kind kind, const char *json, size_t length) {
    if (!queueOpen || json == NULL || length + 1 > sizeof(pushBuffer)) {
        Log_Debug("ERROR: telemetry: message not queued (%zu bytes, queue %s).\n", length,
                  queueOpen ? "open" : "closed");
        return false;
    }
    if (!QueueUsable()) {
        unstoredCount++;
        Log_Debug("WARNING: telemetry: storage is failing; a message is lost (%" PRIu64
                  " since the app started).\n",
                  unstoredCount);
        return false;
    }
    if (length + 1 > TelemetryQueue_GetMaxPayloadLength(&queue)) {
        Log_Debug("ERROR: telemetry: message not queued (%zu bytes, too large).\n", length);
        return false;
    }
    uint8_t *record = pushBuffer;
    record[0] = kind == Telemetry_Kind_Event ? KIND_EVENT : KIND_READING;
    memcpy(record + 1, json, length);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t createdMs = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    uint64_t sequenceNumber = 0;
    uint32_t dropped = 0;
    TelemetryQueue_Result result =
        TelemetryQueue_Push(&queue, record, length + 1, createdMs, &sequenceNumber, &dropped);
    if (result == TelemetryQueue_Result_IoError) {
        // It may or may not be in the queue once storage recovers; count it as lost.
        unstoredCount++;
        OnStorageFailure("storing a message", result);
        return false;
    }
    if (result != TelemetryQueue_Result_Ok) {
        Fail(ExitCode_Telemetry_QueuePush, "storing a message", result);
        return false;
    }
    if (dropped > 0) {
        Log_Debug("WARNING: telemetry queue full: dropped the %u oldest message(s) (%" PRIu64
                  " in all).\n",
                  (unsigned int)dropped, TelemetryQueue_GetDroppedTotal(&queue));
    }
    Pump();
    return true;
}

void Telemetry_OnConnected(void) {
    ClearInFlight();
    nextToSend = 0;
    uint32_t depth = QueueUsable() ? TelemetryQueue_GetDepth(&queue) : 0;
    if (depth > 0) {
        Log_Debug("INFO: telemetry: sending %u queued message(s).\n", (unsigned int)depth);
    }
    Pump();
}

void Telemetry_OnDisconnected(void) {
    ClearInFlight();
    nextToSend = 0;
}

bool Telemetry_OnPublishAcknowledged(int mid) {
    for (size_t i = 0; i < TELEMETRY_SEND_WINDOW; i++) {
        if (!inFlight[i].inUse || inFlight[i].mid != mid) {
            continue;
        }
        uint64_t sequenceNumber = inFlight[i].sequenceNumber;
        inFlight[i].inUse = false;
        inFlightCount--;
        if (!queueOpen || queueNeedsRecovery) {
            return true;
        }
        TelemetryQueue_Result result = TelemetryQueue_Ack(&queue, sequenceNumber);
        if (IsStorageFailure(result)) {
            // The message stays in the queue and goes out again once storage recovers.
            OnStorageFailure("removing an acknowledged message", result);
            return true;
        }
        if (result == TelemetryQueue_Result_InvalidArgument) {
            Fail(ExitCode_Telemetry_QueueAck, "removing an acknowledged message", result);
            return true;
        }
        // NotFound (dropped while in flight) and TooManyDeferred (sent again later) are
        // harmless; Ok and Deferred are the normal cases.
        Pump();
        return true;
    }
    return false;
}

uint32_t Telemetry_GetQueueDepth(void) {
    if (!queueOpen) {
        return 0;
    }
    return queueNeedsRecovery ? depthBeforeFailure : TelemetryQueue_GetDepth(&queue);
}

uint64_t Telemetry_GetDroppedCount(void) {
    if (!queueOpen) {
        return unstoredCount;
    }
    uint64_t dropped =
        queueNeedsRecovery ? droppedBeforeFailure : TelemetryQueue_GetDroppedTotal(&queue);
    return dropped + unstoredCount;
}
