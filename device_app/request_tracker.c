// SPDX-License-Identifier: MIT
// A fixed table searched linearly: with eight slots that is cheaper than any index, needs no
// allocation, and keeps the tracker a plain value the connection code can embed. Request ids
// are decimal and parsed back strictly (no sign, no leading zero, no overflow), so an answer's
// $rid either names exactly one request we made or is Unknown.

#include <stdio.h>
#include <string.h>

#include "request_tracker.h"

void RequestTracker_Init(RequestTracker *tracker, uint32_t firstId) {
    if (tracker == NULL) {
        return;
    }
    memset(tracker, 0, sizeof(*tracker));
    tracker->nextId = firstId == 0 ? 1 : firstId;
}

static bool IdInUse(const RequestTracker *tracker, uint32_t id) {
    for (size_t i = 0; i < REQUEST_TRACKER_CAPACITY; i++) {
        if (tracker->inUse[i] && tracker->requests[i].id == id) {
            return true;
        }
    }
    return false;
}

RequestTracker_Result RequestTracker_Start(RequestTracker *tracker, RequestTracker_Kind kind,
                                           uint64_t nowMs, uint32_t timeoutMs, uint32_t context,
                                           char *requestId, size_t size,
                                           RequestTracker_Request *outRequest) {
    if (requestId != NULL && size > 0) {
        requestId[0] = '\0';
    }
    if (tracker == NULL || requestId == NULL || size < REQUEST_TRACKER_REQUEST_ID_SIZE ||
        timeoutMs == 0 ||
        (kind != RequestTracker_Kind_TwinGet && kind != RequestTracker_Kind_ReportedPatch)) {
        return RequestTracker_Result_InvalidArgument;
    }
    size_t slot = REQUEST_TRACKER_CAPACITY;
    for (size_t i = 0; i < REQUEST_TRACKER_CAPACITY; i++) {
        if (!tracker->inUse[i]) {
            slot = i;
            break;
        }
    }
    if (slot == REQUEST_TRACKER_CAPACITY) {
        return RequestTracker_Result_Full;
    }

    // Skip 0 and, after a wrap, any id still waiting for its answer.
    uint32_t id = tracker->nextId;
    while (id == 0 || IdInUse(tracker, id)) {
        id++;
    }
    tracker->nextId = id + 1;

    RequestTracker_Request *request = &tracker->requests[slot];
    request->id = id;
    request->kind = kind;
    request->startedMs = nowMs;
    request->deadlineMs = nowMs > UINT64_MAX - timeoutMs ? UINT64_MAX : nowMs + timeoutMs;
    request->context = context;
    tracker->inUse[slot] = true;
    tracker->startOrder[slot] = tracker->nextStartOrder++;

    snprintf(requestId, size, "%lu", (unsigned long)id);
    if (outRequest != NULL) {
        *outRequest = *request;
    }
    return RequestTracker_Result_Ok;
}

static bool ParseId(const char *text, uint32_t *outId) {
    size_t length = strnlen(text, REQUEST_TRACKER_REQUEST_ID_SIZE);
    if (length == 0 || length >= REQUEST_TRACKER_REQUEST_ID_SIZE || text[0] == '0') {
        return false;
    }
    uint64_t value = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        value = value * 10 + (uint64_t)(text[i] - '0');
    }
    if (value > UINT32_MAX) {
        return false;
    }
    *outId = (uint32_t)value;
    return true;
}

static void TakeSlot(RequestTracker *tracker, size_t slot, RequestTracker_Request *outRequest) {
    if (outRequest != NULL) {
        *outRequest = tracker->requests[slot];
    }
    tracker->inUse[slot] = false;
    memset(&tracker->requests[slot], 0, sizeof(tracker->requests[slot]));
}

RequestTracker_Result RequestTracker_Complete(RequestTracker *tracker, const char *requestId,
                                              RequestTracker_Request *outRequest) {
    if (outRequest != NULL) {
        memset(outRequest, 0, sizeof(*outRequest));
    }
    if (tracker == NULL || requestId == NULL || outRequest == NULL) {
        return RequestTracker_Result_InvalidArgument;
    }
    uint32_t id = 0;
    if (!ParseId(requestId, &id)) {
        return RequestTracker_Result_Unknown;
    }
    for (size_t i = 0; i < REQUEST_TRACKER_CAPACITY; i++) {
        if (tracker->inUse[i] && tracker->requests[i].id == id) {
            TakeSlot(tracker, i, outRequest);
            return RequestTracker_Result_Ok;
        }
    }
    return RequestTracker_Result_Unknown;
}

bool RequestTracker_TakeExpired(RequestTracker *tracker, uint64_t nowMs,
                                RequestTracker_Request *outRequest) {
    if (tracker == NULL || outRequest == NULL) {
        return false;
    }
    size_t best = REQUEST_TRACKER_CAPACITY;
    for (size_t i = 0; i < REQUEST_TRACKER_CAPACITY; i++) {
        if (!tracker->inUse[i] || tracker->requests[i].deadlineMs > nowMs) {
            continue;
        }
        if (best == REQUEST_TRACKER_CAPACITY ||
            tracker->requests[i].deadlineMs < tracker->requests[best].deadlineMs ||
            (tracker->requests[i].deadlineMs == tracker->requests[best].deadlineMs &&
             tracker->startOrder[i] < tracker->startOrder[best])) {
            best = i;
        }
    }
    if (best == REQUEST_TRACKER_CAPACITY) {
        return false;
    }
    TakeSlot(tracker, best, outRequest);
    return true;
}

bool RequestTracker_TakeAny(RequestTracker *tracker, RequestTracker_Request *outRequest) {
    if (tracker == NULL || outRequest == NULL) {
        return false;
    }
    size_t oldest = REQUEST_TRACKER_CAPACITY;
    for (size_t i = 0; i < REQUEST_TRACKER_CAPACITY; i++) {
        if (tracker->inUse[i] && (oldest == REQUEST_TRACKER_CAPACITY ||
                                  tracker->startOrder[i] < tracker->startOrder[oldest])) {
            oldest = i;
        }
    }
    if (oldest == REQUEST_TRACKER_CAPACITY) {
        return false;
    }
    TakeSlot(tracker, oldest, outRequest);
    return true;
}

bool RequestTracker_NextDeadline(const RequestTracker *tracker, uint64_t *outDeadlineMs) {
    if (tracker == NULL || outDeadlineMs == NULL) {
        return false;
    }
    bool found = false;
    for (size_t i = 0; i < REQUEST_TRACKER_CAPACITY; i++) {
        if (tracker->inUse[i] && (!found || tracker->requests[i].deadlineMs < *outDeadlineMs)) {
            *outDeadlineMs = tracker->requests[i].deadlineMs;
            found = true;
        }
    }
    return found;
}

size_t RequestTracker_PendingCount(const RequestTracker *tracker) {
    size_t count = 0;
    for (size_t i = 0; tracker != NULL && i < REQUEST_TRACKER_CAPACITY; i++) {
        count += tracker->inUse[i] ? 1u : 0u;
    }
    return count;
}

bool RequestTracker_IsPending(const RequestTracker *tracker, RequestTracker_Kind kind) {
    for (size_t i = 0; tracker != NULL && i < REQUEST_TRACKER_CAPACITY; i++) {
        if (tracker->inUse[i] && tracker->requests[i].kind == kind) {
            return true;
        }
    }
    return false;
}
