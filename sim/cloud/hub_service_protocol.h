// SPDX-License-Identifier: MIT
// The hub's internal service protocol: how the HTTP service process (and anything else acting
// for the cloud side) asks the broker plugin to act. The plugin owns all hub state and runs on
// the broker's single thread, so every change goes through it as an MQTT message from one
// privileged client; the plugin consumes these messages (they are never routed) and answers
// only that client. Both sides include this header.
//
// Request:  PUBLISH  $spheresim/service/req/{op}/{rid}      body: JSON object (op-specific)
// Response: PUBLISH  $spheresim/service/res/{rid}           body: {"status": <http-like int>,
//                                                                  "body": <JSON value>}
// `rid` is chosen by the requester (1..64 chars of [A-Za-z0-9-]); a response always comes,
// except when the broker goes away. Status values follow IoT Hub's REST semantics: 200/204 ok,
// 400 malformed request (body {"message": "..."} naming the field), 404 unknown device or device
// offline for a method, 409 conflict (device exists), 429 throttled, 504 method timed out.
//
// The service client authenticates with client id and username SPHERESIM_SERVICE_CLIENT_ID and
// the password in <hub state dir>/service.token (random, mode 0600, created by `hub start`).
// Other tools may connect beside it as SPHERESIM_SERVICE_CLIENT_ID "-" + 1..32 of [A-Za-z0-9-]
// (same username and password), so they never take over the HTTP service's connection; each
// gets the answers to its own requests.
#pragma once

#define SPHERESIM_SERVICE_CLIENT_ID "spheresim-service"
#define SPHERESIM_SERVICE_TOKEN_FILE "service.token"
#define SPHERESIM_SERVICE_REQUEST_PREFIX "$spheresim/service/req/"
#define SPHERESIM_SERVICE_RESPONSE_PREFIX "$spheresim/service/res/"
#define SPHERESIM_SERVICE_MAX_RID 64

// clang-format off
// Operations ({op} in the request topic) and their request / response bodies:
//
// twin-get        {"deviceId"}                        -> service twin view (IoT Hub GET /twins/{id})
// twin-patch      {"deviceId","patch":{"tags"?,"properties":{"desired":{...}}}}
//                                                     -> updated service twin view; a connected
//                                                        device gets the desired patch pushed
// method-invoke   {"deviceId","methodName","payload"?,"responseTimeoutInSeconds"? (5..300,
//                  default 30),"connectTimeoutInSeconds"? (0..300, default 0)}
//                                                     -> {"status": device status,
//                                                         "payload": device's JSON}; 404 when
//                                                        the device is offline, 504 on timeout
// c2d-send        {"deviceId","body": string,"properties"?:{k:v},"messageId"?,"correlationId"?,
//                  "ttlSeconds"? (60..172800, default 3600),"ack"? ("none"|"positive"|
//                  "negative"|"full")}                 -> {"messageId","queued": n}; 403-like 429
//                                                        when 50 are already queued
// device-add      {"deviceId","authentication":"x509"|"sas","primaryKey"?}
//                                                     -> device record (IoT Hub device identity
//                                                        shape: deviceId, status, authentication,
//                                                        connectionState, ...); 409 if it exists
// device-get      {"deviceId"}                        -> device record
// device-list     {}                                  -> [device record...]
// device-update   {"deviceId","status"?:"enabled"|"disabled"}  -> device record; disabling
//                                                        disconnects the device
// device-remove   {"deviceId"}                        -> 204
// telemetry-read  {"deviceId"?,"after"? (sequence cursor, default 0),"limit"? (1..1000)}
//                                                     -> {"messages":[...],"next": cursor}
// connection-state {"deviceId"}                       -> {"connected": bool, "since": iso,
//                                                         "events":[...]}
// fault-kick      {"deviceId"}                        -> 204 (drops the device's connection)
// fault-twin      {"deviceId"?,"mode":"normal"|"drop"|"delay","delayMs"?}  -> 204
// fault-method    {"deviceId"?,"mode":"normal"|"drop"|"delay","delayMs"?}  -> 204
// fault-throttle  {"deviceId"?,"twinPerSecond"?,"telemetryPerSecond"?}   -> 204 (0 = unlimited)
// fault-clock     {"advanceSeconds"}                  -> {"offsetSeconds"}: moves the hub's clock
//                                                        forward (C2D expiry, method timeouts);
//                                                        for tests, not routed by the HTTP service
// clang-format on
