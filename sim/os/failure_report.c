// SPDX-License-Identifier: MIT
// Aggregates failure-report events into report rows and prints them; see failure_report.h.
#include "os/failure_report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "os/device_clock.h"

// Lines are short JSON records; anything longer was not written by the OS.
#define REPORT_MAX_LINE 4096
#define MS_PER_DAY 86400000LL

__attribute__((format(printf, 4, 5))) static enum sim_report_result report_fail(
    enum sim_report_result result, char *err, size_t err_size, const char *fmt, ...) {
    if (err != NULL && err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return result;
}

static int64_t floor_day(int64_t time_ms) {
    int64_t day = time_ms / MS_PER_DAY;
    return (time_ms % MS_PER_DAY < 0) ? day - 1 : day;
}

// Parses one complete line into event. Returns NULL, or a description of what is wrong.
static const char *parse_event(const char *line, struct sim_failure_event *event) {
    const char *problem = NULL;
    cJSON *root = cJSON_Parse(line);
    if (!cJSON_IsObject(root)) {
        problem = "expected a JSON object";
        goto out;
    }
    const cJSON *time_ms = cJSON_GetObjectItemCaseSensitive(root, "time_ms");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "event_type");
    const cJSON *event_class = cJSON_GetObjectItemCaseSensitive(root, "event_class");
    const cJSON *description = cJSON_GetObjectItemCaseSensitive(root, "description");
    // Device times are within a few centuries of the epoch; beyond that the double is garbage.
    if (!cJSON_IsNumber(time_ms) || time_ms->valuedouble < -1e13 || time_ms->valuedouble > 1e14) {
        problem = "time_ms: expected a device time in milliseconds";
        goto out;
    }
    event->time_ms = (int64_t)time_ms->valuedouble;
    if (cJSON_IsString(type) && strcmp(type->valuestring, "Planned") == 0) {
        event->type = SIM_EVENT_PLANNED;
    } else if (cJSON_IsString(type) && strcmp(type->valuestring, "Unplanned") == 0) {
        event->type = SIM_EVENT_UNPLANNED;
    } else {
        problem = "event_type: expected \"Planned\" or \"Unplanned\"";
        goto out;
    }
    if (cJSON_IsString(event_class) && strcmp(event_class->valuestring, "OS") == 0) {
        event->event_class = SIM_EVENT_CLASS_OS;
    } else if (cJSON_IsString(event_class) &&
               strcmp(event_class->valuestring, "Application") == 0) {
        event->event_class = SIM_EVENT_CLASS_APPLICATION;
    } else {
        problem = "event_class: expected \"OS\" or \"Application\"";
        goto out;
    }
    if (!cJSON_IsString(description) ||
        strlen(description->valuestring) >= sizeof(event->description)) {
        problem = "description: expected a string of at most 255 bytes";
        goto out;
    }
    snprintf(event->description, sizeof(event->description), "%s", description->valuestring);

out:
    cJSON_Delete(root);
    return problem;
}

static enum sim_report_result add_event(struct sim_report *report, size_t *capacity,
                                        const struct sim_failure_event *event) {
    int64_t day = floor_day(event->time_ms);
    for (size_t i = 0; i < report->row_count; i++) {
        struct sim_report_row *row = &report->rows[i];
        if (row->type == event->type && row->event_class == event->event_class &&
            floor_day(row->start_ms) == day && strcmp(row->description, event->description) == 0) {
            row->count++;
            if (event->time_ms < row->start_ms) {
                row->start_ms = event->time_ms;
            }
            if (event->time_ms > row->end_ms) {
                row->end_ms = event->time_ms;
            }
            return SIM_REPORT_OK;
        }
    }
    if (report->row_count == *capacity) {
        size_t grown = *capacity == 0 ? 16 : *capacity * 2;
        struct sim_report_row *rows = realloc(report->rows, grown * sizeof(*rows));
        if (rows == NULL) {
            return SIM_REPORT_ERR_NOMEM;
        }
        report->rows = rows;
        *capacity = grown;
    }
    struct sim_report_row *row = &report->rows[report->row_count++];
    row->type = event->type;
    row->event_class = event->event_class;
    memcpy(row->description, event->description, sizeof(row->description));
    row->count = 1;
    row->start_ms = event->time_ms;
    row->end_ms = event->time_ms;
    return SIM_REPORT_OK;
}

static int compare_rows(const void *a, const void *b) {
    const struct sim_report_row *x = a;
    const struct sim_report_row *y = b;
    if (x->start_ms != y->start_ms) {
        return x->start_ms < y->start_ms ? -1 : 1;
    }
    return strcmp(x->description, y->description);
}

enum sim_report_result sim_report_load(const char *events_path, const char *device_id,
                                       struct sim_report *out_report, char *err, size_t err_size) {
    memset(out_report, 0, sizeof(*out_report));
    snprintf(out_report->device_id, sizeof(out_report->device_id), "%s", device_id);
    FILE *file = fopen(events_path, "re");
    if (file == NULL) {
        if (errno == ENOENT) {
            return SIM_REPORT_OK;
        }
        return report_fail(SIM_REPORT_ERR_IO, err, err_size, "cannot open %s: %s", events_path,
                           strerror(errno));
    }
    enum sim_report_result result = SIM_REPORT_OK;
    size_t capacity = 0;
    char line[REPORT_MAX_LINE + 2];
    for (unsigned line_number = 1; fgets(line, sizeof(line), file) != NULL; line_number++) {
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n') {
            if (len > REPORT_MAX_LINE) {
                result = report_fail(SIM_REPORT_ERR_INVALID, err, err_size,
                                     "%s:%u: line longer than %d bytes", events_path, line_number,
                                     REPORT_MAX_LINE);
                goto out;
            }
            break;  // torn by a power cut mid-append: that event was never recorded
        }
        struct sim_failure_event event;
        const char *problem = parse_event(line, &event);
        if (problem != NULL) {
            result = report_fail(SIM_REPORT_ERR_INVALID, err, err_size, "%s:%u: %s", events_path,
                                 line_number, problem);
            goto out;
        }
        result = add_event(out_report, &capacity, &event);
        if (result != SIM_REPORT_OK) {
            report_fail(result, err, err_size, "out of memory reading %s", events_path);
            goto out;
        }
    }
    if (ferror(file)) {
        result = report_fail(SIM_REPORT_ERR_IO, err, err_size, "cannot read %s: %s", events_path,
                             strerror(errno));
        goto out;
    }
    qsort(out_report->rows, out_report->row_count, sizeof(*out_report->rows), compare_rows);
    if (out_report->row_count > SIM_REPORT_MAX_ROWS) {
        size_t drop = out_report->row_count - SIM_REPORT_MAX_ROWS;
        memmove(out_report->rows, out_report->rows + drop,
                SIM_REPORT_MAX_ROWS * sizeof(*out_report->rows));
        out_report->row_count = SIM_REPORT_MAX_ROWS;
        out_report->dropped_rows = drop;
    }

out:
    fclose(file);
    return result;
}

void sim_report_free(struct sim_report *report) {
    free(report->rows);
    report->rows = NULL;
    report->row_count = 0;
}

void sim_report_write_table(const struct sim_report *report, FILE *out) {
    fprintf(out, "%-24s %-9s %-11s %5s  %-24s %s\n", "START (device time)", "TYPE", "CLASS",
            "COUNT", "END", "DESCRIPTION");
    for (size_t i = 0; i < report->row_count; i++) {
        const struct sim_report_row *row = &report->rows[i];
        char start[40];
        char end[40];
        sim_clock_format(row->start_ms, start, sizeof(start));
        sim_clock_format(row->end_ms, end, sizeof(end));
        fprintf(out, "%-24s %-9s %-11s %5u  %-24s %s\n", start, sim_event_type_name(row->type),
                sim_event_class_name(row->event_class), row->count, end, row->description);
    }
    if (report->dropped_rows > 0) {
        fprintf(out, "(%zu older rows not shown: a report holds at most %u)\n",
                report->dropped_rows, SIM_REPORT_MAX_ROWS);
    }
}

void sim_report_write_json(const struct sim_report *report, FILE *out) {
    cJSON *rows = cJSON_CreateArray();
    for (size_t i = 0; i < report->row_count; i++) {
        const struct sim_report_row *row = &report->rows[i];
        char start[40];
        char end[40];
        sim_clock_format(row->start_ms, start, sizeof(start));
        sim_clock_format(row->end_ms, end, sizeof(end));
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "deviceId", report->device_id);
        cJSON_AddStringToObject(item, "eventType", sim_event_type_name(row->type));
        cJSON_AddStringToObject(item, "eventClass", sim_event_class_name(row->event_class));
        cJSON_AddNumberToObject(item, "eventCount", row->count);
        cJSON_AddStringToObject(item, "description", row->description);
        cJSON_AddStringToObject(item, "startTime", start);
        cJSON_AddStringToObject(item, "endTime", end);
        cJSON_AddItemToArray(rows, item);
    }
    char *text = cJSON_Print(rows);
    cJSON_Delete(rows);
    if (text != NULL) {
        fprintf(out, "%s\n", text);
        free(text);
    }
}

// CSV fields are quoted when they hold a separator, a quote or a line break (RFC 4180).
static void write_csv_field(const char *text, FILE *out) {
    if (strpbrk(text, ",\"\r\n") == NULL) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '"') {
            fputc('"', out);
        }
        fputc(*p, out);
    }
    fputc('"', out);
}

void sim_report_write_csv(const struct sim_report *report, FILE *out) {
    fputs("Device ID,Event Type,Event Class,Event Count,Description,Start Time,End Time\n", out);
    for (size_t i = 0; i < report->row_count; i++) {
        const struct sim_report_row *row = &report->rows[i];
        char start[40];
        char end[40];
        sim_clock_format(row->start_ms, start, sizeof(start));
        sim_clock_format(row->end_ms, end, sizeof(end));
        fprintf(out, "%s,%s,%s,%u,", report->device_id, sim_event_type_name(row->type),
                sim_event_class_name(row->event_class), row->count);
        write_csv_field(row->description, out);
        fprintf(out, ",%s,%s\n", start, end);
    }
}
