// SPDX-License-Identifier: MIT
// What the scenario parser's files share and nothing else needs: the arena every model node
// lives in, the bounded YAML node tree the loader builds from libyaml events, the parse context
// with its one error message, and the table-driven option parser that reads an action's or a
// condition's mapping into its struct.
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runner/scenario.h"

// ---- arena (scn_arena.c) ----

struct scn_arena *scn_arena_new(void);
void scn_arena_free(struct scn_arena *arena);
// Zeroed memory for n bytes, or NULL when out of memory (or n overflows).
void *scn_arena_alloc(struct scn_arena *arena, size_t n);
void *scn_arena_array(struct scn_arena *arena, size_t count, size_t size);
char *scn_arena_strndup(struct scn_arena *arena, const char *s, size_t n);
char *scn_arena_strdup(struct scn_arena *arena, const char *s);

// ---- the YAML node tree (scn_yaml.c) ----

enum scn_node_type { SCN_NODE_SCALAR = 0, SCN_NODE_MAP, SCN_NODE_SEQ };

struct scn_node {
    enum scn_node_type type;
    struct scn_loc loc;
    char *text;  // scalar, NUL-terminated (the loader refuses embedded NULs)
    size_t len;
    bool plain;  // scalar written without quotes or block style
    // Children in order; a mapping's alternate key, value. Keys are unique scalars.
    struct scn_node *first;
    struct scn_node *next;
    size_t count;  // sequence items, or mapping pairs
};

// Builds the tree for one YAML document. Refuses more than one document, aliases, anchors,
// tags, non-scalar or repeated keys and anything past the bounds in scenario.h. *out_root is
// NULL for an empty stream. err gets "<file>:<line>:<col>: ..." on failure.
enum scn_result scn_yaml_load(const char *text, size_t len, const char *file,
                              struct scn_arena *arena, struct scn_node **out_root, char *err,
                              size_t err_size);

// The value node of key in a mapping, or NULL.
const struct scn_node *scn_map_get(const struct scn_node *map, const char *key);

// ---- parse context and errors ----

struct scn_ctx {
    const char *file;
    char *err;
    size_t err_size;
    struct scn_arena *arena;
    struct scn_scenario *scn;
    char *base_dir;  // relative paths resolve against it ("." when the file has no directory)
};

// Writes "<file>:<line>:<col>: <message>" and returns rc.
enum scn_result scn_fail(struct scn_ctx *c, struct scn_loc loc, enum scn_result rc, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));
// "expected <what>, got <the node described>" at the node, as SCN_ERR_SCHEMA.
enum scn_result scn_expected(struct scn_ctx *c, const struct scn_node *n, const char *what);
// The unknown-key error: "expected <context> key (<known keys>), got "<key>" (did you mean ...)".
enum scn_result scn_unknown_key(struct scn_ctx *c, const struct scn_node *key, const char *context,
                                const char *const *known, size_t known_count);

// ---- scalar values (scn_values.c) ----

// A node rendered for "got ...": a quoted, escaped and shortened scalar, "a mapping", ...
const char *scn_describe(const struct scn_node *n, char *buf, size_t size);
// Escapes control bytes and quotes, shortening to fit; for names echoed in messages.
const char *scn_quote(const char *s, char *buf, size_t size);

// "30s", "500ms", "2m", "1h", "1d", compounds "1m30s", and "0". false with *why set otherwise.
bool scn_parse_duration(const char *s, uint64_t *out_ms, const char **why);
// A duration with an optional leading '-' or '+'.
bool scn_parse_signed_duration(const char *s, int64_t *out_ms, const char **why);
// Bytes: "512", "512B", "64KiB", "1MiB", "1GiB".
bool scn_parse_size(const char *s, uint64_t *out, const char **why);
bool scn_parse_u64(const char *s, uint64_t *out);
bool scn_parse_i64(const char *s, int64_t *out);
// A JSON-style number (finite).
bool scn_parse_number(const char *s, double *out);
// The closest of candidates to got (edit distance at most 2, or a case-only difference); NULL
// when none is close.
const char *scn_suggest(const char *got, const char *const *candidates, size_t count);
// A signal by name ("SIGSEGV" or "SEGV"); 0 when unknown.
int scn_signal_number(const char *name);
extern const char *const scn_signal_names[];
extern const size_t scn_signal_name_count;
// A body field path: "$", "$.a.b[2]", "a.b[2]"; why says what is wrong.
bool scn_field_path_ok(const char *path, const char **why);
// An id for devices and steps: a letter, then letters, digits, '_', '-', '.'; at most SCN_MAX_ID.
bool scn_id_ok(const char *s);

// ---- typed options (scn_params.c) ----

enum scn_ptype {
    SCN_P_DURATION,   // uint64_t ms
    SCN_P_SDURATION,  // int64_t ms
    SCN_P_U64,        // uint64_t
    SCN_P_INT,        // int
    SCN_P_SIZE,       // uint64_t bytes
    SCN_P_NUMBER,     // double
    SCN_P_BOOL,       // bool
    SCN_P_STRING,     // char *: one line, not empty
    SCN_P_TEXT,       // char *: any text
    SCN_P_PATH,       // char *: variables expanded, resolved against the file's directory
    SCN_P_ENUM,       // int, by name from names
    SCN_P_SIGNAL,     // int signal number
    SCN_P_JSON,       // char *: any YAML value as JSON text
    SCN_P_CUSTOM,     // custom(ctx, node, base)
};

struct scn_name {
    const char *name;
    int value;
};

struct scn_param {
    const char *key;
    enum scn_ptype type;
    size_t offset;      // of the field in the target struct
    size_t has_offset;  // of a bool set when the key is present; 0 for none (offset 0 never is)
    bool required;
    double min;  // numeric bounds (durations and sizes in ms and bytes), used when min < max
    double max;
    const struct scn_name *names;  // SCN_P_ENUM, NULL-name terminated
    enum scn_result (*custom)(struct scn_ctx *c, const struct scn_node *value, void *base);
};

#define SCN_MAX_PARAMS 24

// Reads a mapping into base by the table: unknown keys, wrong types, out-of-range values and
// missing required keys are errors naming context. *out_seen gets bit i for params[i] present.
enum scn_result scn_parse_params(struct scn_ctx *c, const struct scn_node *map, const char *context,
                                 const struct scn_param *params, size_t count, void *base,
                                 uint64_t *out_seen);
// One value by one param entry (used for shorthand scalars).
enum scn_result scn_parse_param_value(struct scn_ctx *c, const struct scn_node *value,
                                      const struct scn_param *p, void *base);
// Writes ms in the largest unit that divides it evenly ("90s", "2m", "0s").
void scn_format_duration(uint64_t ms, char *buf, size_t size);
// Expands ${name} (and $$ to $) from the scenario's variables.
enum scn_result scn_expand(struct scn_ctx *c, const struct scn_node *n, char **out);

// ---- YAML to JSON (scn_json.c) ----

// Any node as compact JSON text in the arena.
enum scn_result scn_to_json(struct scn_ctx *c, const struct scn_node *n, char **out_json);
// Types a plain scalar the way scenario values are typed (struct scn_value).
void scn_scalar_value(struct scn_ctx *c, const struct scn_node *n, struct scn_value *out);

// ---- the parts of the format ----

enum scn_result scn_parse_action(struct scn_ctx *c, const struct scn_node *key,
                                 const struct scn_node *value, struct scn_action *out);
// The action kind written with this key, or SCN_ACT_NONE.
enum scn_action_kind scn_action_kind_of(const char *key);
// Whether the kind may not name a device (it acts on the whole hub).
bool scn_action_is_hub_wide(enum scn_action_kind kind);
// Writes the action keys (at most max) to out; returns how many.
size_t scn_action_keys_list(const char **out, size_t max);

// A condition: a mapping with exactly one kind key.
enum scn_result scn_parse_condition(struct scn_ctx *c, const struct scn_node *n,
                                    struct scn_condition *out);
enum scn_result scn_parse_expectation(struct scn_ctx *c, const struct scn_node *n,
                                      struct scn_expectation *out);
// A count: an integer or {at_least, at_most}.
enum scn_result scn_parse_count(struct scn_ctx *c, const struct scn_node *n, struct scn_count *out);

enum scn_result scn_validate(struct scn_ctx *c);
