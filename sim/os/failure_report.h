// SPDX-License-Identifier: MIT
// A device's failure report: the events in <device dir>/records/events.jsonl aggregated the way
// the tenant error report aggregates them. Events with the same type, class and description that
// fall in the same reporting day (device time, UTC; devices upload once a day) become one row
// with a count and the times of the first and last occurrence.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "os/failure_events.h"

// The tenant report holds at most 1,000 events; so does ours, the newest kept.
#define SIM_REPORT_MAX_ROWS 1000u

enum sim_report_result {
    SIM_REPORT_OK = 0,
    SIM_REPORT_ERR_IO,       // the events file exists but can't be read
    SIM_REPORT_ERR_INVALID,  // a complete line is not an event; err names the file and line
    SIM_REPORT_ERR_NOMEM,
};

struct sim_report_row {
    enum sim_event_type type;
    enum sim_event_class event_class;
    char description[SIM_EVENT_DESCRIPTION_MAX];
    unsigned count;
    int64_t start_ms;
    int64_t end_ms;
};

struct sim_report {
    char device_id[129];
    struct sim_report_row *rows;  // oldest first by start time
    size_t row_count;
    size_t dropped_rows;  // rows past SIM_REPORT_MAX_ROWS, the oldest ones
};

// Builds the report of the events file at events_path for device_id. A missing file is an empty
// report. A last line without its newline (a power cut mid-append) is ignored. Free with
// sim_report_free, also after a failure.
enum sim_report_result sim_report_load(const char *events_path, const char *device_id,
                                       struct sim_report *out_report, char *err, size_t err_size);

void sim_report_free(struct sim_report *report);

// Writers: a table for people, JSON (an array of objects) and CSV (with a header row) for tools.
void sim_report_write_table(const struct sim_report *report, FILE *out);
void sim_report_write_json(const struct sim_report *report, FILE *out);
void sim_report_write_csv(const struct sim_report *report, FILE *out);
