// SPDX-License-Identifier: MIT
// libFuzzer target for the telemetry ingest journal parser, which reads a file a crashed broker
// left behind (and the CLI reads while the broker rewrites it). Besides the sanitizers it checks
// the parser's promises: the intact prefix it reports lies within the input, every record it
// hands out has NUL-terminated strings and a body inside the input, sequences only grow, and
// encoding a parsed record again gives back exactly the bytes it was parsed from.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/hub_journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
    const uint8_t *data;
    size_t size;
    size_t at;  // where the next record starts
    long long last_sequence;
};

static int check_record(const struct hub_telemetry *m, void *ctx) {
    struct walk *w = ctx;
    const uint8_t *end = w->data + w->size;
    if (m->sequence <= w->last_sequence || (const uint8_t *)m->device_id < w->data ||
        (const uint8_t *)m->device_id >= end || (m->body_len > 0 && m->body == NULL) ||
        (m->body_len > 0 && ((const uint8_t *)m->body < w->data ||
                             m->body_len > (size_t)(end - (const uint8_t *)m->body)))) {
        abort();
    }
    w->last_sequence = m->sequence;
    unsigned char *again = NULL;
    size_t len = hub_journal_encode(m, &again);
    if (len == 0 || len > w->size - w->at || memcmp(again, w->data + w->at, len) != 0) {
        abort();
    }
    free(again);
    w->at += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct walk w = {.data = data, .size = size};
    size_t valid = 0;
    size_t count = 0;
    hub_journal_parse(data, size, check_record, &w, &valid, &count);
    if (valid > size || valid != w.at || (count == 0) != (valid == 0)) {
        abort();
    }
    return 0;
}
