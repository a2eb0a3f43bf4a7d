// SPDX-License-Identifier: MIT
// The fault hooks a test or scenario sets on the local hub (hub_service_protocol.h, fault-*):
// dropping or delaying the hub's answers to twin requests and its direct-method requests, and
// throttling twin operations and telemetry per device and hub-wide. Pure bookkeeping with the
// time passed in; the plugin acts on the answers.
//
// Settings for one device override the hub-wide ones (deviceId absent) for that device, "normal"
// included, so one device can be spared a hub-wide fault. Rates count in fixed one-second windows
// per device and for the whole hub; 0 means unlimited.
//
// Owned by the broker thread; no locking.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_protocol.h"

enum hub_fault_mode {
    HUB_FAULT_NORMAL = 0,
    HUB_FAULT_DROP,   // the answer or request is never sent
    HUB_FAULT_DELAY,  // sent delay_ms later
};

struct hub_fault {
    enum hub_fault_mode mode;
    long delay_ms;
};

enum hub_fault_target {
    HUB_FAULT_TWIN = 0,  // the hub's responses to device twin requests
    HUB_FAULT_METHOD,    // direct-method requests to the device
    HUB_FAULT_TARGETS,
};

enum hub_rate_kind {
    HUB_RATE_TWIN = 0,   // twin GET and reported PATCH requests
    HUB_RATE_TELEMETRY,  // device-to-cloud messages
    HUB_RATE_KINDS,
};

enum hub_admit {
    HUB_ADMIT_OK = 0,
    HUB_ADMIT_THROTTLED,  // past the rate
    HUB_ADMIT_ABUSIVE,    // past ten times the rate
};

#define HUB_FAULTS_ABUSE_FACTOR 10

struct hub_rate_window {
    long long start_ms;
    long count;
};

struct hub_fault_entry {
    char device_id[HUB_MAX_ID + 1];  // "" for the hub-wide entry
    bool has_fault[HUB_FAULT_TARGETS];
    struct hub_fault fault[HUB_FAULT_TARGETS];
    long rate[HUB_RATE_KINDS];  // per second; 0 = unlimited
    struct hub_rate_window window[HUB_RATE_KINDS];
};

struct hub_faults {
    struct hub_fault_entry hub;       // hub-wide faults and rates
    struct hub_fault_entry *devices;  // per-device settings, in the order they were first set
    size_t count;
    size_t capacity;
    bool any_rate;  // a rate is set anywhere: the telemetry path checks nothing otherwise
};

// Sets the fault for device_id (NULL: hub-wide). Returns 0, or -1 for a bad target, a negative
// delay, an over-long id or no memory.
int hub_faults_set(struct hub_faults *faults, const char *device_id, enum hub_fault_target target,
                   struct hub_fault fault);

// The fault in force for the device: its own setting, else the hub-wide one.
struct hub_fault hub_faults_get(const struct hub_faults *faults, const char *device_id,
                                enum hub_fault_target target);

// Sets a rate (per second, 0 = unlimited) for device_id (NULL: the whole hub). Returns 0, or -1
// as for hub_faults_set.
int hub_faults_set_rate(struct hub_faults *faults, const char *device_id, enum hub_rate_kind kind,
                        long per_second);

// Counts one operation of the device at now_ms against its own rate and the hub's, and says
// whether it is within both. Cheap when no rate is set anywhere.
enum hub_admit hub_faults_admit(struct hub_faults *faults, const char *device_id,
                                enum hub_rate_kind kind, long long now_ms);

void hub_faults_free(struct hub_faults *faults);
