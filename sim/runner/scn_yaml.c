// SPDX-License-Identifier: MIT
// Turns a scenario file into a small tree of scalars, mappings and sequences with their places in
// the file, using libyaml's event API so the input's hostility is dealt with before anything is
// built: the size, nesting depth and node count are bounded, and aliases are refused outright (so
// "billion laughs" cannot expand), as are anchors, tags, complex keys and repeated keys. The
// schema code then walks a tree it can trust to be finite, small and unambiguous.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "runner/scn_internal.h"

struct loader {
    struct scn_ctx ctx;
    const char *text;
    size_t len;
    struct scn_node *stack[SCN_MAX_DEPTH + 1];
    size_t depth;
    size_t nodes;
    struct scn_node *root;
    int documents;
};

static struct scn_loc loc_of(yaml_mark_t m) {
    // libyaml counts from 0; people and editors count from 1.
    struct scn_loc l = {(unsigned)m.line + 1, (unsigned)m.column + 1};
    return l;
}

// Line and column of a byte offset, for reader errors, which libyaml reports by offset.
static struct scn_loc loc_of_offset(const char *text, size_t len, size_t offset) {
    struct scn_loc l = {1, 1};
    for (size_t i = 0; i < offset && i < len; ++i) {
        if (text[i] == '\n') {
            l.line++;
            l.column = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            l.column++;
        }
    }
    return l;
}

static enum scn_result syntax_error(struct loader *ld, const yaml_parser_t *p) {
    struct scn_loc at;
    if (p->error == YAML_READER_ERROR) {
        at = loc_of_offset(ld->text, ld->len, p->problem_offset);
    } else {
        at = loc_of(p->problem_mark);
    }
    if (p->error == YAML_MEMORY_ERROR) {
        return scn_fail(&ld->ctx, at, SCN_ERR_NOMEM, "out of memory reading YAML");
    }
    const char *problem = p->problem != NULL ? p->problem : "an unreadable document";
    if (p->context != NULL) {
        return scn_fail(&ld->ctx, at, SCN_ERR_SYNTAX, "expected well-formed YAML, got %s (%s)",
                        problem, p->context);
    }
    return scn_fail(&ld->ctx, at, SCN_ERR_SYNTAX, "expected well-formed YAML, got %s", problem);
}

static int key_cmp(const void *a, const void *b) {
    const struct scn_node *x = *(const struct scn_node *const *)a;
    const struct scn_node *y = *(const struct scn_node *const *)b;
    if (x->len != y->len) {
        return x->len < y->len ? -1 : 1;
    }
    int r = memcmp(x->text, y->text, x->len);
    if (r != 0) {
        return r;
    }
    // Equal keys sort by position so the second occurrence is the one reported.
    if (x->loc.line != y->loc.line) {
        return x->loc.line < y->loc.line ? -1 : 1;
    }
    return x->loc.column < y->loc.column ? -1 : (x->loc.column > y->loc.column);
}

// Keys must be scalars and unique; sorting makes the check O(n log n) for any mapping size.
static enum scn_result check_keys(struct loader *ld, const struct scn_node *map) {
    if (map->count < 2) {
        const struct scn_node *k = map->first;
        if (k != NULL && k->type != SCN_NODE_SCALAR) {
            return scn_expected(&ld->ctx, k, "a plain or quoted key");
        }
        return SCN_OK;
    }
    const struct scn_node **keys = calloc(map->count, sizeof(*keys));
    if (keys == NULL) {
        return scn_fail(&ld->ctx, map->loc, SCN_ERR_NOMEM, "out of memory");
    }
    enum scn_result rc = SCN_OK;
    size_t n = 0;
    for (const struct scn_node *k = map->first; k != NULL; k = k->next->next) {
        if (k->type != SCN_NODE_SCALAR) {
            rc = scn_expected(&ld->ctx, k, "a plain or quoted key");
            goto out;
        }
        keys[n++] = k;
    }
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (size_t i = 1; i < n; ++i) {
        if (keys[i]->len == keys[i - 1]->len &&
            memcmp(keys[i]->text, keys[i - 1]->text, keys[i]->len) == 0) {
            char q[96];
            rc = scn_fail(&ld->ctx, keys[i]->loc, SCN_ERR_SCHEMA,
                          "expected each key once in a mapping, got %s again (first at %u:%u)",
                          scn_quote(keys[i]->text, q, sizeof(q)), keys[i - 1]->loc.line,
                          keys[i - 1]->loc.column);
            goto out;
        }
    }
out:
    free(keys);
    return rc;
}

static enum scn_result refuse_anchor_tag(struct loader *ld, yaml_mark_t at,
                                         const yaml_char_t *anchor, const yaml_char_t *tag,
                                         bool implicit) {
    char q[96];
    if (anchor != NULL) {
        return scn_fail(
            &ld->ctx, loc_of(at), SCN_ERR_LIMIT,
            "expected a value without an anchor, got the anchor %s (anchors and aliases "
            "are not supported)",
            scn_quote((const char *)anchor, q, sizeof(q)));
    }
    if (tag != NULL && !implicit) {
        return scn_fail(&ld->ctx, loc_of(at), SCN_ERR_SCHEMA,
                        "expected a value without a tag, got the tag %s (YAML tags are not "
                        "supported)",
                        scn_quote((const char *)tag, q, sizeof(q)));
    }
    return SCN_OK;
}

static enum scn_result add_node(struct loader *ld, struct scn_node *n) {
    if (ld->depth == 0) {
        ld->root = n;
        return SCN_OK;
    }
    struct scn_node *parent = ld->stack[ld->depth - 1];
    // Children are appended at the tail; the tail is found through the parent's last pointer,
    // kept in the stack entry's `next` (unused while a container is open).
    if (parent->first == NULL) {
        parent->first = n;
    } else {
        parent->next->next = n;
    }
    parent->next = n;
    parent->count++;
    return SCN_OK;
}

static enum scn_result on_event(struct loader *ld, const yaml_event_t *ev, bool *done) {
    struct scn_ctx *c = &ld->ctx;
    struct scn_node *n = NULL;
    enum scn_result rc;
    switch (ev->type) {
        case YAML_STREAM_END_EVENT:
            *done = true;
            return SCN_OK;
        case YAML_DOCUMENT_START_EVENT:
            if (++ld->documents > 1) {
                return scn_fail(c, loc_of(ev->start_mark), SCN_ERR_SCHEMA,
                                "expected one YAML document, got a second one");
            }
            return SCN_OK;
        case YAML_ALIAS_EVENT:
            return scn_fail(c, loc_of(ev->start_mark), SCN_ERR_LIMIT,
                            "expected a value, got an alias (anchors and aliases are not "
                            "supported)");
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            struct scn_node *closed = ld->stack[--ld->depth];
            closed->next = NULL;
            if (closed->type == SCN_NODE_MAP) {
                closed->count /= 2;
                return check_keys(ld, closed);
            }
            return SCN_OK;
        }
        default:
            return SCN_OK;
    }

    if (++ld->nodes > SCN_MAX_NODES) {
        return scn_fail(c, loc_of(ev->start_mark), SCN_ERR_LIMIT,
                        "expected at most %u values in a scenario, got more", SCN_MAX_NODES);
    }
    n = scn_arena_alloc(c->arena, sizeof(*n));
    if (n == NULL) {
        return scn_fail(c, loc_of(ev->start_mark), SCN_ERR_NOMEM, "out of memory");
    }
    n->loc = loc_of(ev->start_mark);
    if (ev->type == YAML_SCALAR_EVENT) {
        rc = refuse_anchor_tag(ld, ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag,
                               ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit);
        if (rc != SCN_OK) {
            return rc;
        }
        size_t len = ev->data.scalar.length;
        if (len > SCN_MAX_SCALAR) {
            return scn_fail(c, n->loc, SCN_ERR_LIMIT,
                            "expected a value of at most %u bytes, got %zu", SCN_MAX_SCALAR, len);
        }
        if (memchr(ev->data.scalar.value, '\0', len) != NULL) {
            return scn_fail(c, n->loc, SCN_ERR_SCHEMA,
                            "expected text without NUL characters, got a \\0 in the value");
        }
        n->type = SCN_NODE_SCALAR;
        n->text = scn_arena_strndup(c->arena, (const char *)ev->data.scalar.value, len);
        if (n->text == NULL) {
            return scn_fail(c, n->loc, SCN_ERR_NOMEM, "out of memory");
        }
        n->len = len;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return add_node(ld, n);
    }
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    rc = is_map ? refuse_anchor_tag(ld, ev->start_mark, ev->data.mapping_start.anchor,
                                    ev->data.mapping_start.tag, ev->data.mapping_start.implicit)
                : refuse_anchor_tag(ld, ev->start_mark, ev->data.sequence_start.anchor,
                                    ev->data.sequence_start.tag, ev->data.sequence_start.implicit);
    if (rc != SCN_OK) {
        return rc;
    }
    if (ld->depth >= SCN_MAX_DEPTH) {
        return scn_fail(c, n->loc, SCN_ERR_LIMIT, "expected at most %d levels of nesting, got more",
                        SCN_MAX_DEPTH);
    }
    n->type = is_map ? SCN_NODE_MAP : SCN_NODE_SEQ;
    add_node(ld, n);
    ld->stack[ld->depth++] = n;
    return SCN_OK;
}

enum scn_result scn_yaml_load(const char *text, size_t len, const char *file,
                              struct scn_arena *arena, struct scn_node **out_root, char *err,
                              size_t err_size) {
    struct loader *ld = calloc(1, sizeof(*ld));
    yaml_parser_t parser;
    bool parser_ready = false;
    enum scn_result rc = SCN_OK;
    *out_root = NULL;
    if (ld == NULL) {
        snprintf(err, err_size, "%s: out of memory", file);
        return SCN_ERR_NOMEM;
    }
    ld->ctx.file = file;
    ld->ctx.err = err;
    ld->ctx.err_size = err_size;
    ld->ctx.arena = arena;
    ld->text = text;
    ld->len = len;
    struct scn_loc start = {1, 1};
    if (len > SCN_MAX_FILE_BYTES) {
        rc = scn_fail(&ld->ctx, start, SCN_ERR_LIMIT,
                      "expected a scenario of at most %u bytes, got %zu bytes", SCN_MAX_FILE_BYTES,
                      len);
        goto out;
    }
    if (!yaml_parser_initialize(&parser)) {
        rc = scn_fail(&ld->ctx, start, SCN_ERR_NOMEM, "out of memory");
        goto out;
    }
    parser_ready = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    bool done = false;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = syntax_error(ld, &parser);
            goto out;
        }
        rc = on_event(ld, &ev, &done);
        yaml_event_delete(&ev);
        if (rc != SCN_OK) {
            goto out;
        }
    }
    *out_root = ld->root;
out:
    if (parser_ready) {
        yaml_parser_delete(&parser);
    }
    free(ld);
    return rc;
}

const struct scn_node *scn_map_get(const struct scn_node *map, const char *key) {
    if (map == NULL || map->type != SCN_NODE_MAP) {
        return NULL;
    }
    for (const struct scn_node *k = map->first; k != NULL; k = k->next->next) {
        if (strcmp(k->text, key) == 0) {
            return k->next;
        }
    }
    return NULL;
}
