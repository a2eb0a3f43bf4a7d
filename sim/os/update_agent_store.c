// SPDX-License-Identifier: MIT
// The small files the update agent keeps under <device>/update/, so that what it owes the
// service and what it refuses survive reboots and power cuts:
//   outbox.json      update results not yet delivered to the service (at most 16, oldest dropped)
//   blocked.json     versions rolled back and packages rejected: never taken again
//   events-offset    how many bytes of records/events.jsonl the service has
// Each is replaced atomically. A damaged file is logged and treated as empty: losing a result
// or a block costs a repeated attempt, never a stuck device.
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/device.h"
#include "os/fs_util.h"
#include "os/update_agent_internal.h"

#define STORE_MAX_BYTES (64 * 1024)
#define EVENTS_CHUNK_MAX (128 * 1024)

static cJSON *load_json(struct sim_update_agent *agent, const char *name) {
    char path[PATH_MAX];
    static char text[STORE_MAX_BYTES];
    size_t len = 0;
    char err[PATH_MAX + 64];
    if (update_path(agent, name, path, sizeof(path)) != 0 ||
        sim_fs_read_file(path, text, sizeof(text), &len, err, sizeof(err)) != 0) {
        if (errno != ENOENT) {
            update_log(agent, "ignoring %s: %s", name, err);
        }
        return NULL;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (root == NULL) {
        update_log(agent, "ignoring %s: not JSON", path);
    }
    return root;
}

static void save_json(struct sim_update_agent *agent, const char *name, cJSON *root) {
    char path[PATH_MAX];
    char err[PATH_MAX + 64];
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (text == NULL || update_path(agent, name, path, sizeof(path)) != 0 ||
        sim_fs_write_atomic(path, text, strlen(text), 0600, NULL, err, sizeof(err)) != 0) {
        update_log(agent, "cannot save %s: %s", name, text == NULL ? "out of memory" : err);
    }
    free(text);
}

static bool copy_text(const cJSON *obj, const char *key, char *out, size_t out_size) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(item) || strlen(item->valuestring) >= out_size) {
        return false;
    }
    memcpy(out, item->valuestring, strlen(item->valuestring) + 1);
    return true;
}

static void load_outbox(struct sim_update_agent *agent) {
    cJSON *root = load_json(agent, "outbox.json");
    agent->outbox_count = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        if (agent->outbox_count == UPDATE_OUTBOX_MAX) {
            break;
        }
        struct update_result *r = &agent->outbox[agent->outbox_count];
        const cJSON *deployment = cJSON_GetObjectItemCaseSensitive(item, "deployment");
        if (!cJSON_IsNumber(deployment) || !copy_text(item, "state", r->state, sizeof(r->state)) ||
            !copy_text(item, "version", r->version, sizeof(r->version)) ||
            !copy_text(item, "reason", r->reason, sizeof(r->reason))) {
            continue;
        }
        r->deployment = (long long)deployment->valuedouble;
        agent->outbox_count++;
    }
    cJSON_Delete(root);
}

static void save_outbox(struct sim_update_agent *agent) {
    cJSON *root = cJSON_CreateArray();
    for (size_t i = 0; i < agent->outbox_count; i++) {
        const struct update_result *r = &agent->outbox[i];
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "deployment", (double)r->deployment);
        cJSON_AddStringToObject(item, "state", r->state);
        cJSON_AddStringToObject(item, "version", r->version);
        cJSON_AddStringToObject(item, "reason", r->reason);
        cJSON_AddItemToArray(root, item);
    }
    save_json(agent, "outbox.json", root);
}

void update_outbox_add(struct sim_update_agent *agent, const struct update_result *result) {
    if (agent->outbox_count == UPDATE_OUTBOX_MAX) {
        memmove(&agent->outbox[0], &agent->outbox[1],
                (UPDATE_OUTBOX_MAX - 1) * sizeof(agent->outbox[0]));
        agent->outbox_count--;
    }
    agent->outbox[agent->outbox_count++] = *result;
    save_outbox(agent);
}

void update_outbox_pop(struct sim_update_agent *agent) {
    if (agent->outbox_count == 0) {
        return;
    }
    memmove(&agent->outbox[0], &agent->outbox[1],
            (agent->outbox_count - 1) * sizeof(agent->outbox[0]));
    agent->outbox_count--;
    save_outbox(agent);
}

static void load_blocked(struct sim_update_agent *agent) {
    struct update_blocked *b = &agent->blocked;
    memset(b, 0, sizeof(*b));
    cJSON *root = load_json(agent, "blocked.json");
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(root, "versions")) {
        char version[40];
        if (b->version_count == UPDATE_BLOCKED_MAX ||
            !copy_text(item, "component_id", b->versions[b->version_count].component_id,
                       sizeof(b->versions[0].component_id)) ||
            !copy_text(item, "version", version, sizeof(version)) ||
            !sim_image_version_parse(version, &b->versions[b->version_count].version)) {
            continue;
        }
        b->version_count++;
    }
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(root, "packages")) {
        if (b->package_count == UPDATE_BLOCKED_MAX || !cJSON_IsString(item) ||
            strlen(item->valuestring) != 2 * SIM_IMAGE_SHA256_LEN) {
            continue;
        }
        memcpy(b->packages[b->package_count++], item->valuestring, 2 * SIM_IMAGE_SHA256_LEN + 1);
    }
    cJSON_Delete(root);
}

static void save_blocked(struct sim_update_agent *agent) {
    const struct update_blocked *b = &agent->blocked;
    cJSON *root = cJSON_CreateObject();
    cJSON *versions = cJSON_AddArrayToObject(root, "versions");
    for (size_t i = 0; i < b->version_count; i++) {
        char version[40];
        sim_image_version_format(&b->versions[i].version, version, sizeof(version));
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "component_id", b->versions[i].component_id);
        cJSON_AddStringToObject(item, "version", version);
        cJSON_AddItemToArray(versions, item);
    }
    cJSON *packages = cJSON_AddArrayToObject(root, "packages");
    for (size_t i = 0; i < b->package_count; i++) {
        cJSON_AddItemToArray(packages, cJSON_CreateString(b->packages[i]));
    }
    save_json(agent, "blocked.json", root);
}

void update_block_version(struct sim_update_agent *agent, const char *component_id,
                          const struct sim_image_version *version) {
    struct update_blocked *b = &agent->blocked;
    if (b->version_count == UPDATE_BLOCKED_MAX) {
        memmove(&b->versions[0], &b->versions[1],
                (UPDATE_BLOCKED_MAX - 1) * sizeof(b->versions[0]));
        b->version_count--;
    }
    snprintf(b->versions[b->version_count].component_id, sizeof(b->versions[0].component_id), "%s",
             component_id);
    b->versions[b->version_count].version = *version;
    b->version_count++;
    save_blocked(agent);
}

void update_block_package(struct sim_update_agent *agent, const char *sha256) {
    struct update_blocked *b = &agent->blocked;
    if (b->package_count == UPDATE_BLOCKED_MAX) {
        memmove(&b->packages[0], &b->packages[1],
                (UPDATE_BLOCKED_MAX - 1) * sizeof(b->packages[0]));
        b->package_count--;
    }
    snprintf(b->packages[b->package_count++], sizeof(b->packages[0]), "%s", sha256);
    save_blocked(agent);
}

bool update_is_blocked(const struct sim_update_agent *agent, const struct update_offer *offer) {
    const struct update_blocked *b = &agent->blocked;
    for (size_t i = 0; i < b->package_count; i++) {
        if (strcmp(b->packages[i], offer->sha256) == 0) {
            return true;
        }
    }
    for (size_t i = 0; i < b->version_count; i++) {
        if (strcasecmp(b->versions[i].component_id, offer->component_id) == 0 &&
            sim_image_version_compare(&b->versions[i].version, &offer->version) == 0) {
            return true;
        }
    }
    return false;
}

static void load_events_offset(struct sim_update_agent *agent) {
    char path[PATH_MAX];
    char text[32];
    size_t len = 0;
    agent->events_offset = 0;
    if (update_path(agent, "events-offset", path, sizeof(path)) != 0 ||
        sim_fs_read_file(path, text, sizeof(text) - 1, &len, NULL, 0) != 0) {
        return;
    }
    text[len] = '\0';
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (end != text && (*end == '\0' || *end == '\n')) {
        agent->events_offset = value;
    }
}

void update_events_offset_save(struct sim_update_agent *agent) {
    char path[PATH_MAX];
    char text[32];
    char err[PATH_MAX + 64];
    int n = snprintf(text, sizeof(text), "%" PRIu64 "\n", agent->events_offset);
    if (update_path(agent, "events-offset", path, sizeof(path)) != 0 ||
        sim_fs_write_atomic(path, text, (size_t)n, 0600, NULL, err, sizeof(err)) != 0) {
        update_log(agent, "cannot save events-offset: %s", err);
    }
}

char *update_events_chunk(struct sim_update_agent *agent, size_t *out_len) {
    char path[PATH_MAX];
    *out_len = 0;
    if (sim_device_path(agent->device, "records/events.jsonl", path, sizeof(path)) != 0) {
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0) {
        goto out;
    }
    if ((uint64_t)st.st_size < agent->events_offset) {
        // The file was replaced or cut: start over; the service skips what it already has.
        agent->events_offset = 0;
    }
    uint64_t avail = (uint64_t)st.st_size - agent->events_offset;
    size_t want = avail < EVENTS_CHUNK_MAX ? (size_t)avail : EVENTS_CHUNK_MAX;
    if (want == 0 || (buf = malloc(want)) == NULL) {
        goto out;
    }
    ssize_t n = pread(fd, buf, want, (off_t)agent->events_offset);
    size_t len = n > 0 ? (size_t)n : 0;
    // Whole lines only: a last line without its newline may still be being written.
    while (len > 0 && buf[len - 1] != '\n') {
        len--;
    }
    if (len == 0) {
        free(buf);
        buf = NULL;
        goto out;
    }
    *out_len = len;
out:
    close(fd);
    return buf;
}

void update_store_load(struct sim_update_agent *agent) {
    load_outbox(agent);
    load_blocked(agent);
    load_events_offset(agent);
}
