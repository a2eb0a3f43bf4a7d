// SPDX-License-Identifier: MIT
// Correlates the device's twin requests with the hub's answers. Twin GET and reported-property
// PATCH answers both arrive on "$iothub/twin/res/{status}/?$rid=..", so the $rid is the only
// thing that says which request an answer belongs to; and since twin traffic is QoS 0, an
// answer may never come, so every request has a deadline. No I/O and no clock of its own: the
// caller passes the monotonic time in milliseconds, asks for the next deadline to arm a one-shot
// timer, and collects what expired when it fires.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Requests in flight at once. The app has at most one GET and one or two PATCHes outstanding;
/// the rest is slack for a burst of property changes.
#define REQUEST_TRACKER_CAPACITY 8
/// Buffer size that always holds a request id made by the tracker, NUL included.
#define REQUEST_TRACKER_REQUEST_ID_SIZE 11
/// How long to wait for an answer. Twin requests are idempotent, so a late answer costs only a
/// repeated request; the Azure IoT C SDK waits 60 s for a GET, and a PATCH answer is as quick.
#define REQUEST_TRACKER_TWIN_GET_TIMEOUT_MS 60000u
#define REQUEST_TRACKER_REPORTED_PATCH_TIMEOUT_MS 60000u

typedef enum {
    RequestTracker_Kind_TwinGet,
    RequestTracker_Kind_ReportedPatch,
} RequestTracker_Kind;

typedef enum {
    RequestTracker_Result_Ok = 0,
    /// An argument is NULL or out of range.
    RequestTracker_Result_InvalidArgument,
    /// REQUEST_TRACKER_CAPACITY requests are already pending.
    RequestTracker_Result_Full,
    /// The id is not one of ours, was already answered, or its request already expired.
    RequestTracker_Result_Unknown,
} RequestTracker_Result;

typedef struct {
    uint32_t id;
    RequestTracker_Kind kind;
    uint64_t startedMs;
    uint64_t deadlineMs;
    /// The caller's own tag, returned untouched (for example which state a PATCH reported).
    uint32_t context;
} RequestTracker_Request;

typedef struct {
    RequestTracker_Request requests[REQUEST_TRACKER_CAPACITY];
    bool inUse[REQUEST_TRACKER_CAPACITY];
    /// Order of starting, to hand requests back oldest first.
    uint64_t startOrder[REQUEST_TRACKER_CAPACITY];
    uint64_t nextStartOrder;
    uint32_t nextId;
} RequestTracker;

/// Empties the tracker. Ids are handed out from firstId upwards (0 is never used); starting
/// from a random value makes an answer meant for an earlier run of the app unlikely to match.
void RequestTracker_Init(RequestTracker *tracker, uint32_t firstId);

/// Registers a new request of the given kind, due to be answered by nowMs + timeoutMs, and
/// writes its $rid into requestId (at least REQUEST_TRACKER_REQUEST_ID_SIZE bytes).
/// Returns RequestTracker_Result_Ok, with the request in *outRequest when that is not NULL;
/// InvalidArgument (tracker, requestId NULL, size too small, timeoutMs 0) or Full otherwise,
/// and then nothing is registered.
RequestTracker_Result RequestTracker_Start(RequestTracker *tracker, RequestTracker_Kind kind,
                                           uint64_t nowMs, uint32_t timeoutMs, uint32_t context,
                                           char *requestId, size_t size,
                                           RequestTracker_Request *outRequest);

/// Matches an answer's $rid (as parsed from the topic) with its request and forgets the request.
/// Returns RequestTracker_Result_Ok with the request in *outRequest; Unknown when requestId is
/// not pending (stale, duplicate, expired or not ours); InvalidArgument on NULL arguments.
RequestTracker_Result RequestTracker_Complete(RequestTracker *tracker, const char *requestId,
                                              RequestTracker_Request *outRequest);

/// Removes one request whose deadline is at or before nowMs, earliest deadline first; call it
/// until it returns false. An answer that arrives later is Unknown.
/// Returns true with the request in *outRequest; false when nothing has expired.
bool RequestTracker_TakeExpired(RequestTracker *tracker, uint64_t nowMs,
                                RequestTracker_Request *outRequest);

/// Removes one pending request, oldest first, whatever its deadline: call it until it returns
/// false when the connection drops, since no answer can arrive on a new connection.
/// Returns true with the request in *outRequest; false when none is pending.
bool RequestTracker_TakeAny(RequestTracker *tracker, RequestTracker_Request *outRequest);

/// Returns true and the earliest pending deadline in *outDeadlineMs, or false when nothing is
/// pending (the caller can then disarm its timer).
bool RequestTracker_NextDeadline(const RequestTracker *tracker, uint64_t *outDeadlineMs);

/// Returns the number of pending requests (0 for NULL).
size_t RequestTracker_PendingCount(const RequestTracker *tracker);

/// Returns true when a request of this kind is pending, so the caller can avoid sending a
/// second GET while one is outstanding.
bool RequestTracker_IsPending(const RequestTracker *tracker, RequestTracker_Kind kind);
