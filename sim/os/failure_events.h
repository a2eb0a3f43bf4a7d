// SPDX-License-Identifier: MIT
// The events a device keeps for its failure report, the local counterpart of the error and event
// data an Azure Sphere device uploads to its tenant each day. The OS appends one JSON line per
// event to <device dir>/records/events.jsonl; failure_report.c aggregates them.
//
// Descriptions use the shape the tenant error report shows for applications, e.g.
//   AppExit (exit_code=3; component_id=<guid>; image_id=<guid>)
//   AppCrash (exit_status=11; signal_status=11; signal_code=2; component_id=…; image_id=…)
// so scripts written against real reports parse ours too.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sim_event_type { SIM_EVENT_UNPLANNED = 0, SIM_EVENT_PLANNED };
enum sim_event_class { SIM_EVENT_CLASS_APPLICATION = 0, SIM_EVENT_CLASS_OS };

#define SIM_EVENT_DESCRIPTION_MAX 256

struct sim_failure_event {
    int64_t time_ms;  // device time
    enum sim_event_type type;
    enum sim_event_class event_class;
    char description[SIM_EVENT_DESCRIPTION_MAX];
};

// Appends one event as a JSON line to path. Returns 0, or -1 with errno.
int sim_failure_event_append(const char *path, const struct sim_failure_event *event);

// The description of an app that returned from main or called exit().
void sim_failure_describe_app_exit(char *out, size_t out_size, int exit_code,
                                   const char *component_id, const char *image_id);

// The description of an app ended by a signal. wait_status is the raw status waitpid gave;
// signal_code is the si_code a SIGCHLD handler would see (CLD_KILLED or CLD_DUMPED).
void sim_failure_describe_app_crash(char *out, size_t out_size, int wait_status, int signal,
                                    const char *component_id, const char *image_id);

// Names for the report's columns: "Planned"/"Unplanned", "OS"/"Application".
const char *sim_event_type_name(enum sim_event_type type);
const char *sim_event_class_name(enum sim_event_class event_class);

struct sim_device;
// Appends an event stamped with the device's clock to its records/events.jsonl. Failures are
// written to the device log (a report must never stop the device); returns 0 or -1.
int sim_failure_event_record(struct sim_device *device, enum sim_event_type type,
                             enum sim_event_class event_class, const char *description);

// The image id spheresim gives an app binary: its SHA-256 shaped as a GUID, so the same build
// always reports the same id and a new build a different one. Returns 0, or -1 if the file can't
// be read (out is then the nil GUID).
int sim_failure_image_id(const char *executable, char out[37]);
