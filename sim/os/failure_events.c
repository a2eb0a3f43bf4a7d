// SPDX-License-Identifier: MIT
// Writes failure-report events; see failure_events.h.
#include "os/failure_events.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <string.h>
#include <stdio.h>
#include <sys/wait.h>

#include "os/device.h"
#include "os/device_clock.h"
#include "os/fs_util.h"

const char *sim_event_type_name(enum sim_event_type type) {
    return type == SIM_EVENT_PLANNED ? "Planned" : "Unplanned";
}

const char *sim_event_class_name(enum sim_event_class event_class) {
    return event_class == SIM_EVENT_CLASS_OS ? "OS" : "Application";
}

void sim_failure_describe_app_exit(char *out, size_t out_size, int exit_code,
                                   const char *component_id, const char *image_id) {
    snprintf(out, out_size, "AppExit (exit_code=%d; component_id=%s; image_id=%s)", exit_code,
             component_id, image_id);
}

void sim_failure_describe_app_crash(char *out, size_t out_size, int wait_status, int signal,
                                    const char *component_id, const char *image_id) {
    int signal_code = WCOREDUMP(wait_status) ? CLD_DUMPED : CLD_KILLED;
    snprintf(out, out_size,
             "AppCrash (exit_status=%d; signal_status=%d; signal_code=%d; component_id=%s; "
             "image_id=%s)",
             wait_status, signal, signal_code, component_id, image_id);
}

int sim_failure_event_append(const char *path, const struct sim_failure_event *event) {
    char stamp[40];
    sim_clock_format(event->time_ms, stamp, sizeof(stamp));
    cJSON *line = cJSON_CreateObject();
    if (line == NULL) {
        errno = ENOMEM;
        return -1;
    }
    cJSON_AddStringToObject(line, "time", stamp);
    cJSON_AddNumberToObject(line, "time_ms", (double)event->time_ms);
    cJSON_AddStringToObject(line, "event_type", sim_event_type_name(event->type));
    cJSON_AddStringToObject(line, "event_class", sim_event_class_name(event->event_class));
    cJSON_AddStringToObject(line, "description", event->description);
    int result = sim_fs_append_json_line(path, line, NULL, 0);
    cJSON_Delete(line);
    return result;
}

int sim_failure_event_record(struct sim_device *device, enum sim_event_type type,
                             enum sim_event_class event_class, const char *description) {
    struct sim_failure_event event = {
        .time_ms = sim_clock_now_ms(&device->clock), .type = type, .event_class = event_class};
    snprintf(event.description, sizeof(event.description), "%s", description);
    char path[PATH_MAX];
    if (sim_device_path(device, "records/events.jsonl", path, sizeof(path)) != 0 ||
        sim_failure_event_append(path, &event) != 0) {
        sim_device_log_os(&device->log, "could not record a failure-report event: %s",
                          strerror(errno));
        return -1;
    }
    return 0;
}

int sim_failure_image_id(const char *executable, char out[37]) {
    snprintf(out, 37, "00000000-0000-0000-0000-000000000000");
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    int rc = -1;
    FILE *file = fopen(executable, "re");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (file == NULL || ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        goto out;
    }
    unsigned char buf[16384];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), file)) > 0) {
        if (EVP_DigestUpdate(ctx, buf, n) != 1) {
            goto out;
        }
    }
    if (ferror(file) || EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1 || digest_len < 16) {
        goto out;
    }
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
             digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14],
             digest[15]);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    if (file != NULL) {
        fclose(file);
    }
    return rc;
}
