// SPDX-License-Identifier: MIT
// The update agent's state and the functions its files share (update_agent.c: hooks, install
// flow, install and rollback; update_agent_check.c: the check cycle and download;
// update_agent_store.c: the small files the agent keeps under <device>/update/). Not for use
// outside sim/os/update_agent*.c.
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/image_verify.h"
#include "os/image_slots.h"
#include "os/update_agent.h"
#include "os/update_agent_flow.h"
#include "os/update_agent_http.h"

#define UPDATE_DIR "update"
#define UPDATE_OUTBOX_MAX 16
#define UPDATE_BLOCKED_MAX 64
// A failed check (no service, no answer) is tried again after this much device time, or after
// the check period if that is shorter.
#define UPDATE_RETRY_MS (10LL * 60 * 1000)
// Checks are never closer than this in real time, so that a clock at a million times real speed
// does not turn the check period into a busy loop.
#define UPDATE_MIN_REAL_INTERVAL_MS 1000

enum update_phase {
    PHASE_IDLE = 0,  // waiting for the next check
    PHASE_STATUS,    // sending an update result the service has not had yet
    PHASE_EVENTS,    // uploading failure-report events
    PHASE_CHECK,     // asking the service
    PHASE_DOWNLOAD,  // fetching the package
    PHASE_FLOW,      // verified; the install flow runs (flow.state)
    PHASE_STOPPING,  // waiting for the app to stop for the install
};

struct update_offer {
    long long deployment;
    enum sim_image_type type;
    char component_id[SIM_IMAGE_COMPONENT_ID_LEN + 1];
    struct sim_image_version version;
    char sha256[2 * SIM_IMAGE_SHA256_LEN + 1];
    uint64_t size;
    char path[128];  // on the service, e.g. /update/v1/deployments/3/content
};

// An update result on its way to the service.
struct update_result {
    long long deployment;
    char state[24];  // installed, rejected, rolled-back, failed
    char version[40];
    char reason[160];
};

struct update_blocked {
    size_t version_count;
    struct {
        char component_id[SIM_IMAGE_COMPONENT_ID_LEN + 1];
        struct sim_image_version version;
    } versions[UPDATE_BLOCKED_MAX];
    size_t package_count;
    char packages[UPDATE_BLOCKED_MAX][2 * SIM_IMAGE_SHA256_LEN + 1];
};

struct sim_update_agent {
    struct sim_device *device;
    struct sim_update_config config;
    struct sim_slots slots;
    char trusted_key_path[PATH_MAX];

    enum update_phase phase;
    bool powered;
    bool cycle_failed;
    bool network_checked;            // the check for this boot's first connection has happened
    bool boot_check_armed;           // the boot's check waits for the app (or the deadline)
    int64_t boot_check_deadline_ms;  // host monotonic
    int64_t next_check_device_ms;    // device-monotonic; 0: none planned
    int64_t next_check_host_ms;      // host monotonic: and not before this
    char last_result[160];           // for `ctl status`

    char service_url[128];
    char service_ca[PATH_MAX];
    struct sim_update_http http;
    char *request_body;
    size_t request_len;

    struct update_offer offer;
    int download_fd;
    struct sim_image_package *pkg;  // open from verification until the install
    bool pkg_open;

    struct sim_update_flow flow;
    struct sim_update_trial trial;
    bool complete_owed;  // the updated app gets Complete when it registers

    size_t outbox_count;
    struct update_result outbox[UPDATE_OUTBOX_MAX];
    struct update_blocked blocked;
    uint64_t events_offset;     // bytes of records/events.jsonl the service has
    uint64_t events_sent_from;  // the offset and length of the upload in flight
    size_t events_sent_len;
    bool events_stalled;  // an upload made no progress: no more this cycle
};

// <device>/update/<name>. Returns 0, or -1 if it does not fit.
int update_path(const struct sim_update_agent *agent, const char *name, char *out, size_t out_size);
// Device-monotonic now.
int64_t update_now(const struct sim_update_agent *agent);
void update_log(struct sim_update_agent *agent, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

// update_agent_store.c: each loads at prepare time and saves atomically when it changes.
void update_store_load(struct sim_update_agent *agent);
void update_outbox_add(struct sim_update_agent *agent, const struct update_result *result);
void update_outbox_pop(struct sim_update_agent *agent);
void update_block_version(struct sim_update_agent *agent, const char *component_id,
                          const struct sim_image_version *version);
void update_block_package(struct sim_update_agent *agent, const char *sha256);
bool update_is_blocked(const struct sim_update_agent *agent, const struct update_offer *offer);
void update_events_offset_save(struct sim_update_agent *agent);
// Reads the next chunk of records/events.jsonl to upload (whole lines from events_offset).
// Returns a malloc'd buffer (caller frees) and its length, or NULL when there is nothing new.
char *update_events_chunk(struct sim_update_agent *agent, size_t *out_len);

// update_agent_check.c
void update_check_start(struct sim_update_agent *agent);
enum sim_update_action update_check_transfer_done(struct sim_update_agent *agent);
void update_check_abort(struct sim_update_agent *agent);
void update_schedule_next(struct sim_update_agent *agent, bool failed);

// update_agent.c: the verified package is ready; starts the install flow.
enum sim_update_action update_begin_flow(struct sim_update_agent *agent);
// Records a failed update (event, result for the service, log) and forgets the download.
void update_fail(struct sim_update_agent *agent, const char *what, const char *reason_name,
                 const char *detail, bool block_package);
// Delivers a system event to the app, logging it.
void update_deliver(struct sim_update_agent *agent, uint32_t event, uint32_t status,
                    uint32_t update_type, uint32_t minutes);
