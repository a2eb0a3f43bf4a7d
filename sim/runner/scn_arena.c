// SPDX-License-Identifier: MIT
// A bump allocator for the scenario model and the YAML tree. A model is a web of small structs
// and strings that all live exactly as long as the scenario, so one arena freed in one call
// replaces a free routine per node kind, and a parse that fails half-way leaks nothing.
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/scn_internal.h"

#define ARENA_BLOCK_BYTES (64u * 1024u)

struct arena_block {
    struct arena_block *next;
    size_t used;
    size_t size;
    alignas(max_align_t) unsigned char data[];
};

struct scn_arena {
    struct arena_block *head;
};

struct scn_arena *scn_arena_new(void) {
    return calloc(1, sizeof(struct scn_arena));
}

void scn_arena_free(struct scn_arena *arena) {
    if (arena == NULL) {
        return;
    }
    struct arena_block *b = arena->head;
    while (b != NULL) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(arena);
}

void *scn_arena_alloc(struct scn_arena *arena, size_t n) {
    const size_t align = alignof(max_align_t);
    if (arena == NULL || n > SIZE_MAX / 2) {
        return NULL;
    }
    size_t rounded = (n + align - 1) / align * align;
    if (rounded == 0) {
        rounded = align;
    }
    struct arena_block *b = arena->head;
    if (b == NULL || b->size - b->used < rounded) {
        // Big requests get a block of their own, so the current block's free space stays usable.
        size_t size = rounded > ARENA_BLOCK_BYTES / 4 ? rounded : ARENA_BLOCK_BYTES;
        struct arena_block *nb = malloc(sizeof(*nb) + size);
        if (nb == NULL) {
            return NULL;
        }
        nb->used = 0;
        nb->size = size;
        if (size == rounded && b != NULL) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            arena->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    memset(p, 0, n);
    return p;
}

void *scn_arena_array(struct scn_arena *arena, size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / 2 / size) {
        return NULL;
    }
    return scn_arena_alloc(arena, count * size);
}

char *scn_arena_strndup(struct scn_arena *arena, const char *s, size_t n) {
    char *p = scn_arena_alloc(arena, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *scn_arena_strdup(struct scn_arena *arena, const char *s) {
    return scn_arena_strndup(arena, s, strlen(s));
}
