// SPDX-License-Identifier: MIT
// The app stats page, the OS's side; see app_stats.h.
#include "os/app_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "net/net_units.h"
#include "os/failure_events.h"
#include "os/fault_page.h"
#include "os/shared_page.h"

int sim_app_stats_create(struct sim_app_stats *out_stats, char *err, size_t err_size) {
    *out_stats = (struct sim_app_stats){.page = NULL, .fd = -1};
    struct sim_shared_page shared;
    if (sim_shared_page_create(&shared, "spheresim-app-stats", "app stats page",
                               SIM_SHARED_PAGE_APP_WRITES, err, err_size) != 0) {
        return -1;
    }
    struct devbus_app_stats_page *page = shared.map;
    page->magic = DEVBUS_STATS_MAGIC;
    page->version = DEVBUS_STATS_VERSION;
    *out_stats = (struct sim_app_stats){.page = page, .fd = shared.fd};
    return 0;
}

int sim_app_stats_fd(const struct sim_app_stats *stats) {
    return stats->page != NULL ? stats->fd : -1;
}

void sim_app_stats_close_fd(struct sim_app_stats *stats) {
    if (stats->fd >= 0) {
        close(stats->fd);
        stats->fd = -1;
    }
}

bool sim_app_stats_read(const struct sim_app_stats *stats, struct sim_app_stats_snapshot *out) {
    *out = (struct sim_app_stats_snapshot){0};
    const struct devbus_app_stats_page *page = stats->page;
    if (page == NULL || __atomic_load_n(&page->magic, __ATOMIC_RELAXED) != DEVBUS_STATS_MAGIC ||
        __atomic_load_n(&page->version, __ATOMIC_RELAXED) != DEVBUS_STATS_VERSION) {
        return false;
    }
    out->heap_in_use_bytes = __atomic_load_n(&page->heap_in_use_bytes, __ATOMIC_RELAXED);
    out->heap_peak_bytes = __atomic_load_n(&page->heap_peak_bytes, __ATOMIC_RELAXED);
    out->budget_exceeded = __atomic_load_n(&page->budget_exceeded, __ATOMIC_ACQUIRE) == 1u;
    if (out->budget_exceeded) {
        out->budget_request_bytes = __atomic_load_n(&page->budget_request_bytes, __ATOMIC_RELAXED);
        out->budget_bytes = __atomic_load_n(&page->budget_bytes, __ATOMIC_RELAXED);
    }
    return true;
}

void sim_app_stats_release(struct sim_app_stats *stats) {
    sim_app_stats_close_fd(stats);
    if (stats->page != NULL) {
        munmap(stats->page, sim_shared_page_size());
        stats->page = NULL;
    }
}

void sim_app_stats_describe_budget_kill(char *out, size_t out_size, int wait_status,
                                        uint64_t budget_bytes, const char *component_id,
                                        const char *image_id) {
    char crash[SIM_EVENT_DESCRIPTION_MAX];
    sim_failure_describe_app_crash(crash, sizeof(crash), wait_status, SIGKILL, component_id,
                                   image_id);
    // "AppCrash (…; image_id=…)" gains "; memory_budget_kib=N" before its closing parenthesis.
    size_t len = strlen(crash);
    if (len > 0 && crash[len - 1] == ')') {
        crash[len - 1] = '\0';
    }
    snprintf(out, out_size, "%s; memory_budget_kib=%" PRIu64 ")", crash, budget_bytes / 1024);
}

bool sim_app_stats_budget_valid(uint64_t bytes) {
    return bytes == 0 || (bytes >= SIM_MEMORY_BUDGET_MIN && bytes <= SIM_MEMORY_BUDGET_MAX);
}

int sim_app_stats_parse_budget(const char *text, uint64_t *out_bytes, char *err, size_t err_size) {
    if (strcmp(text, "off") == 0) {
        *out_bytes = 0;
        return 0;
    }
    char why[256];
    uint64_t bytes = 0;
    if (sim_net_parse_bytes(text, why, sizeof(why), &bytes) != SIM_NET_PROXY_OK) {
        snprintf(err, err_size, "%s (expected a size such as 256KiB, or off)", why);
        return -1;
    }
    if (bytes == 0 || !sim_app_stats_budget_valid(bytes)) {
        snprintf(err, err_size, "'%s' is out of range (16KiB to 1024MiB, or off)", text);
        return -1;
    }
    *out_bytes = bytes;
    return 0;
}

void sim_app_stats_budget_text(uint64_t bytes, char *out, size_t out_size) {
    if (bytes == 0) {
        snprintf(out, out_size, "off");
        return;
    }
    snprintf(out, out_size, "%" PRIu64 " bytes (%s)", bytes,
             SIM_HEAP_LIMIT_SUPPORTED ? "an allocation past it kills the app"
                                      : "not enforced: the sanitizer owns the app's allocator");
}
