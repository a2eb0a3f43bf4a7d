// SPDX-License-Identifier: MIT
// Line assembly and timestamping for the device log; see device_log.h.
#include "os/device_log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

int sim_device_log_open(struct sim_device_log *log, const char *path, FILE *console,
                        const struct sim_clock *clock) {
    memset(log, 0, sizeof(*log));
    log->file = fopen(path, "ae");
    if (log->file == NULL) {
        return -1;
    }
    setvbuf(log->file, NULL, _IOLBF, 0);
    log->console = console;
    log->clock = clock;
    return 0;
}

static void emit(struct sim_device_log *log, const char *source, const char *text, size_t len) {
    char stamp[40];
    sim_clock_format(sim_clock_now_ms(log->clock), stamp, sizeof(stamp));
    FILE *sinks[2] = {log->file, log->console};
    for (size_t i = 0; i < 2; i++) {
        if (sinks[i] != NULL) {
            fprintf(sinks[i], "[%s] %s: %.*s\n", stamp, source, (int)len, text);
            fflush(sinks[i]);
        }
    }
}

void sim_device_log_os(struct sim_device_log *log, const char *fmt, ...) {
    char line[1024];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, args);
    va_end(args);
    if (n < 0) {
        return;
    }
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    emit(log, "os", line, len);
}

void sim_device_log_app_output(struct sim_device_log *log, const char *data, size_t len) {
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == '\n') {
            emit(log, "app", log->partial, log->partial_len);
            log->partial_len = 0;
            continue;
        }
        if (c == '\r') {
            continue;
        }
        if (log->partial_len == sizeof(log->partial)) {
            // An endless line is logged in pieces rather than dropped.
            emit(log, "app", log->partial, log->partial_len);
            log->partial_len = 0;
        }
        log->partial[log->partial_len++] = c;
    }
}

void sim_device_log_app_flush(struct sim_device_log *log) {
    if (log->partial_len > 0) {
        emit(log, "app", log->partial, log->partial_len);
        log->partial_len = 0;
    }
}

void sim_device_log_close(struct sim_device_log *log) {
    sim_device_log_app_flush(log);
    if (log->file != NULL) {
        fclose(log->file);
        log->file = NULL;
    }
}
