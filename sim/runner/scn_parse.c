// SPDX-License-Identifier: MIT
// The scenario file's top level: metadata, variables, the hub, the devices with their initial
// state, the steps and the expectations, read from the YAML tree into struct scn_scenario; then
// the validation pass (scn_validate.c). Also the public entry points: load a file, parse text,
// free a scenario.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner/scn_internal.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define D(field) offsetof(struct scn_device, field)
#define MAX_TAGS 64u
#define MAX_VARIABLES 64u
#define MAX_CMD_ARGS 32u

static enum scn_result nomem(struct scn_ctx *c, const struct scn_node *n) {
    return scn_fail(c, n != NULL ? n->loc : (struct scn_loc){1, 1}, SCN_ERR_NOMEM, "out of memory");
}

// ---- metadata ----

static enum scn_result parse_tags(struct scn_ctx *c, const struct scn_node *n) {
    struct scn_scenario *s = c->scn;
    if (n->type != SCN_NODE_SEQ || n->count > MAX_TAGS) {
        return scn_expected(c, n, "a list of at most 64 tags");
    }
    s->tags = scn_arena_array(c->arena, n->count + 1, sizeof(char *));
    if (s->tags == NULL) {
        return nomem(c, n);
    }
    for (const struct scn_node *t = n->first; t != NULL; t = t->next) {
        bool ok = t->type == SCN_NODE_SCALAR && t->len > 0 && t->len <= 64;
        for (size_t i = 0; ok && i < t->len; ++i) {
            char ch = t->text[i];
            ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        }
        if (!ok) {
            return scn_expected(c, t, "a tag of 1 to 64 lower-case letters, digits, '-' or '_'");
        }
        s->tags[s->tag_count++] = t->text;
    }
    return SCN_OK;
}

static bool variable_name_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 63 ||
        !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) {
        return false;
    }
    for (size_t i = 1; i < n; ++i) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_')) {
            return false;
        }
    }
    return true;
}

static bool set_variable(struct scn_ctx *c, const char *name, const char *value) {
    struct scn_scenario *s = c->scn;
    for (size_t i = 0; i < s->variable_count; ++i) {
        if (strcmp(s->variables[i].name, name) == 0) {
            s->variables[i].value = scn_arena_strdup(c->arena, value);
            return s->variables[i].value != NULL;
        }
    }
    struct scn_variable *v = &s->variables[s->variable_count++];
    v->name = scn_arena_strdup(c->arena, name);
    v->value = scn_arena_strdup(c->arena, value);
    return v->name != NULL && v->value != NULL;
}

// Built-in first, then the file's defaults, then the caller's values, each overriding the last.
static enum scn_result parse_variables(struct scn_ctx *c, const struct scn_node *n,
                                       const struct scn_options *opts) {
    struct scn_scenario *s = c->scn;
    size_t opt_count = opts != NULL ? opts->variable_count : 0;
    if (opt_count > MAX_VARIABLES) {
        return scn_fail(c, (struct scn_loc){1, 1}, SCN_ERR_LIMIT,
                        "expected at most %u variables from the command line, got %zu",
                        MAX_VARIABLES, opt_count);
    }
    if (n != NULL && (n->type != SCN_NODE_MAP || n->count > MAX_VARIABLES)) {
        return scn_expected(c, n, "a mapping of at most 64 variable names to values");
    }
    s->variables =
        scn_arena_array(c->arena, 1 + (n ? n->count : 0) + opt_count, sizeof(struct scn_variable));
    if (s->variables == NULL || !set_variable(c, "scenario_dir", c->base_dir)) {
        return nomem(c, n);
    }
    for (const struct scn_node *k = n ? n->first : NULL; k != NULL; k = k->next->next) {
        if (!variable_name_ok(k->text)) {
            return scn_expected(c, k,
                                "a variable name (a letter or '_', then letters, digits, '_')");
        }
        if (k->next->type != SCN_NODE_SCALAR || k->next->len > 4096) {
            return scn_expected(c, k->next, "a variable value of at most 4096 characters");
        }
        if (!set_variable(c, k->text, k->next->text)) {
            return nomem(c, k);
        }
    }
    for (size_t i = 0; i < opt_count; ++i) {
        const struct scn_variable *v = &opts->variables[i];
        if (v->name == NULL || v->value == NULL || !variable_name_ok(v->name) ||
            strlen(v->value) > 4096) {
            return scn_fail(c, (struct scn_loc){1, 1}, SCN_ERR_SCHEMA,
                            "expected variables from the command line as NAME=VALUE, got a bad "
                            "one (number %zu)",
                            i + 1);
        }
        if (!set_variable(c, v->name, v->value)) {
            return nomem(c, NULL);
        }
    }
    return SCN_OK;
}

static bool hostname_ok(const char *h) {
    size_t n = strlen(h), label = 0;
    if (n == 0 || n > 253 || strchr(h, '.') == NULL) {
        return false;
    }
    for (const char *p = h; *p != '\0'; ++p) {
        bool alnum =
            (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (*p == '.') {
            if (label == 0 || p[-1] == '-') {
                return false;
            }
            label = 0;
        } else if (alnum || (*p == '-' && label > 0)) {
            if (++label > 63) {
                return false;
            }
        } else {
            return false;
        }
    }
    return label > 0;
}

static enum scn_result parse_hub(struct scn_ctx *c, const struct scn_node *n) {
    struct scn_hub *hub = &c->scn->hub;
    hub->loc = n->loc;
    const struct scn_node *v = n;
    if (n->type == SCN_NODE_MAP) {
        static const char *const keys[] = {"host"};
        for (const struct scn_node *k = n->first; k != NULL; k = k->next->next) {
            if (strcmp(k->text, "host") != 0) {
                return scn_unknown_key(c, k, "a hub", keys, 1);
            }
        }
        v = scn_map_get(n, "host");
        if (v == NULL) {
            return scn_fail(c, n->loc, SCN_ERR_SCHEMA, "expected key host in the hub, got none");
        }
    }
    if (v->type == SCN_NODE_SCALAR && strcmp(v->text, "local") == 0) {
        hub->kind = SCN_HUB_LOCAL;
        return SCN_OK;
    }
    if (v->type != SCN_NODE_SCALAR || !hostname_ok(v->text)) {
        return scn_expected(c, v, "local or a hub host name such as myhub.azure-devices.net");
    }
    hub->kind = SCN_HUB_REAL;
    hub->host = v->text;
    hub->loc = v->loc;
    return SCN_OK;
}

// ---- devices ----

static enum scn_result read_device_id(struct scn_ctx *c, const struct scn_node *n, void *base) {
    if (n->type != SCN_NODE_SCALAR || !scn_id_ok(n->text)) {
        return scn_expected(c, n,
                            "a device id (a letter, then letters, digits, '_', '-' or '.'; at "
                            "most 128)");
    }
    ((struct scn_device *)base)->id = n->text;
    ((struct scn_device *)base)->id_loc = n->loc;
    return SCN_OK;
}

static enum scn_result read_board(struct scn_ctx *c, const struct scn_node *n, void *base) {
    static const char *const boards[] = {"mt3620_rdb"};
    if (n->type != SCN_NODE_SCALAR || strcmp(n->text, "mt3620_rdb") != 0) {
        char got[160];
        const char *near = n->type == SCN_NODE_SCALAR ? scn_suggest(n->text, boards, 1) : NULL;
        return scn_fail(c, n->loc, SCN_ERR_SCHEMA, "expected board mt3620_rdb, got %s%s",
                        scn_describe(n, got, sizeof(got)),
                        near ? " (did you mean mt3620_rdb?)" : "");
    }
    ((struct scn_device *)base)->board = n->text;
    return SCN_OK;
}

static enum scn_result read_cmd_args(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_device *d = base;
    if (n->type != SCN_NODE_SEQ || n->count > MAX_CMD_ARGS) {
        return scn_expected(c, n, "a list of at most 32 arguments");
    }
    d->cmd_args = scn_arena_array(c->arena, n->count + 1, sizeof(char *));
    if (d->cmd_args == NULL) {
        return nomem(c, n);
    }
    for (const struct scn_node *a = n->first; a != NULL; a = a->next) {
        if (a->type != SCN_NODE_SCALAR) {
            return scn_expected(c, a, "an argument (text)");
        }
        enum scn_result rc = scn_expand(c, a, &d->cmd_args[d->cmd_arg_count]);
        if (rc != SCN_OK) {
            return rc;
        }
        d->cmd_arg_count++;
    }
    return SCN_OK;
}

static enum scn_result read_network(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_device *d = base;
    if (n->type == SCN_NODE_SCALAR &&
        (strcmp(n->text, "up") == 0 || strcmp(n->text, "down") == 0)) {
        d->network_down = n->text[0] == 'd';
        return SCN_OK;
    }
    return scn_expected(c, n, "network up or down");
}

static const struct scn_param p_initial[] = {
    {"storage", SCN_P_PATH, D(storage_image), 0, false, 0, 0, NULL, NULL},
    {"network", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_network},
    {"clock_offset", SCN_P_SDURATION, D(clock_offset_ms), 0, false, 0, 0, NULL, NULL},
    {"time_synced", SCN_P_BOOL, D(time_synced), 0, false, 0, 0, NULL, NULL},
};

static enum scn_result read_initial(struct scn_ctx *c, const struct scn_node *n, void *base) {
    return scn_parse_params(c, n, "initial state", p_initial, COUNT_OF(p_initial), base, NULL);
}

static const struct scn_param p_device[] = {
    {"id", SCN_P_CUSTOM, 0, 0, true, 0, 0, NULL, read_device_id},
    {"app", SCN_P_PATH, D(app), 0, true, 0, 0, NULL, NULL},
    {"manifest", SCN_P_PATH, D(manifest), 0, false, 0, 0, NULL, NULL},
    {"board", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_board},
    {"cmd_args", SCN_P_CUSTOM, 0, D(has_cmd_args), false, 0, 0, NULL, read_cmd_args},
    {"initial", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_initial},
};

static enum scn_result parse_devices(struct scn_ctx *c, const struct scn_node *n) {
    struct scn_scenario *s = c->scn;
    if (n->type != SCN_NODE_SEQ || n->count == 0 || n->count > SCN_MAX_DEVICES) {
        return scn_expected(c, n, "a list of 1 to 64 devices");
    }
    s->devices = scn_arena_array(c->arena, n->count, sizeof(*s->devices));
    if (s->devices == NULL) {
        return nomem(c, n);
    }
    for (const struct scn_node *item = n->first; item != NULL; item = item->next) {
        struct scn_device *d = &s->devices[s->device_count];
        d->loc = item->loc;
        d->board = "mt3620_rdb";
        d->time_synced = true;
        enum scn_result rc =
            scn_parse_params(c, item, "device", p_device, COUNT_OF(p_device), d, NULL);
        if (rc != SCN_OK) {
            return rc;
        }
        s->device_count++;
    }
    return SCN_OK;
}

// ---- steps ----

static const char *const step_keys[] = {"at", "after", "until", "within", "id", "device", "note"};

// Steps take many action keys, so the message lists the step's own keys and points to the
// documentation for the actions instead of listing fifty names.
static enum scn_result step_unknown_key(struct scn_ctx *c, const struct scn_node *k) {
    const char *known[COUNT_OF(step_keys) + SCN_ACT_KIND_COUNT];
    size_t n = 0;
    for (; n < COUNT_OF(step_keys); ++n) {
        known[n] = step_keys[n];
    }
    n += scn_action_keys_list(known + n, SCN_ACT_KIND_COUNT);
    char got[160];
    const char *near = scn_suggest(k->text, known, n);
    return scn_fail(c, k->loc, SCN_ERR_SCHEMA,
                    "expected a step key (at, after, until, within, id, device, note) or an action "
                    "(click, latency, reboot, ...; docs/scenarios.md lists them), got %s%s%s%s",
                    scn_describe(k, got, sizeof(got)), near ? " (did you mean " : "",
                    near ? near : "", near ? "?)" : "");
}

static enum scn_result parse_step(struct scn_ctx *c, const struct scn_node *n,
                                  struct scn_step *st) {
    if (n->type != SCN_NODE_MAP) {
        return scn_expected(c, n, "a step: a mapping with at, after or until");
    }
    st->loc = n->loc;
    const struct scn_node *timing = NULL, *within = NULL, *action = NULL;
    enum scn_result rc = SCN_OK;
    for (const struct scn_node *k = n->first; k != NULL && rc == SCN_OK; k = k->next->next) {
        const struct scn_node *v = k->next;
        const char *key = k->text;
        bool is_timing =
            strcmp(key, "at") == 0 || strcmp(key, "after") == 0 || strcmp(key, "until") == 0;
        if (is_timing && timing != NULL) {
            return scn_fail(c, k->loc, SCN_ERR_SCHEMA,
                            "expected one of at, after or until in a step, got %s and %s",
                            timing->text, key);
        }
        if (is_timing) {
            st->time_loc = v->loc;
        }
        if (strcmp(key, "at") == 0 || strcmp(key, "after") == 0) {
            timing = k;
            st->timing = key[0] == 'a' && key[1] == 't' ? SCN_AT : SCN_AFTER;
            struct scn_param p = {key, SCN_P_DURATION, offsetof(struct scn_step, time_ms),
                                  0,   false,          0,
                                  0,   NULL,           NULL};
            rc = scn_parse_param_value(c, v, &p, st);
        } else if (strcmp(key, "until") == 0) {
            timing = k;
            st->timing = SCN_UNTIL;
            rc = scn_parse_condition(c, v, &st->until);
        } else if (strcmp(key, "within") == 0) {
            within = k;
            struct scn_param p = {"within",
                                  SCN_P_DURATION,
                                  offsetof(struct scn_step, within_ms),
                                  0,
                                  false,
                                  1,
                                  (double)SCN_MAX_DURATION_MS,
                                  NULL,
                                  NULL};
            rc = scn_parse_param_value(c, v, &p, st);
        } else if (strcmp(key, "id") == 0) {
            if (v->type != SCN_NODE_SCALAR || !scn_id_ok(v->text)) {
                return scn_expected(c, v,
                                    "a step id (a letter, then letters, digits, '_', '-' or '.')");
            }
            st->id = v->text;
            st->id_loc = v->loc;
        } else if (strcmp(key, "device") == 0) {
            if (v->type != SCN_NODE_SCALAR || !scn_id_ok(v->text)) {
                return scn_expected(c, v, "a device id");
            }
            st->device_id = v->text;
            st->device_loc = v->loc;
        } else if (strcmp(key, "note") == 0) {
            struct scn_param p = {
                "note", SCN_P_STRING, offsetof(struct scn_step, note), 0, false, 0, 0, NULL, NULL};
            rc = scn_parse_param_value(c, v, &p, st);
        } else if (scn_action_kind_of(key) != SCN_ACT_NONE) {
            if (action != NULL) {
                return scn_fail(c, k->loc, SCN_ERR_SCHEMA,
                                "expected one action in a step, got %s and %s", action->text, key);
            }
            action = k;
            rc = scn_parse_action(c, k, v, &st->action);
        } else {
            return step_unknown_key(c, k);
        }
    }
    if (rc != SCN_OK) {
        return rc;
    }
    if (timing == NULL) {
        return scn_fail(c, n->loc, SCN_ERR_SCHEMA,
                        "expected at, after or until in the step, got none");
    }
    if (st->timing == SCN_UNTIL) {
        if (action != NULL) {
            return scn_fail(c, action->loc, SCN_ERR_SCHEMA,
                            "expected no action in an until step (it only waits), got %s",
                            action->text);
        }
        if (within == NULL) {
            return scn_fail(c, timing->loc, SCN_ERR_SCHEMA,
                            "expected within (how long to wait) with until, got none");
        }
        return SCN_OK;
    }
    if (within != NULL) {
        return scn_fail(c, within->loc, SCN_ERR_SCHEMA,
                        "expected within only with until, got it with %s", timing->text);
    }
    if (action == NULL) {
        return scn_fail(c, n->loc, SCN_ERR_SCHEMA, "expected an action in the step, got none");
    }
    return SCN_OK;
}

static enum scn_result parse_list(struct scn_ctx *c, const struct scn_node *n, bool steps) {
    struct scn_scenario *s = c->scn;
    size_t max = steps ? SCN_MAX_STEPS : SCN_MAX_EXPECTATIONS;
    if (n->type != SCN_NODE_SEQ || n->count > max) {
        return scn_expected(
            c, n, steps ? "a list of at most 10000 steps" : "a list of at most 1000 expectations");
    }
    void *items = scn_arena_array(c->arena, n->count,
                                  steps ? sizeof(struct scn_step) : sizeof(struct scn_expectation));
    if (items == NULL && n->count != 0) {
        return nomem(c, n);
    }
    if (steps) {
        s->steps = items;
    } else {
        s->expectations = items;
    }
    for (const struct scn_node *item = n->first; item != NULL; item = item->next) {
        enum scn_result rc =
            steps ? parse_step(c, item, &s->steps[s->step_count++])
                  : scn_parse_expectation(c, item, &s->expectations[s->expectation_count++]);
        if (rc != SCN_OK) {
            return rc;
        }
    }
    return SCN_OK;
}

// ---- the top level ----

static const char *const top_keys[] = {"name",      "description", "tags",    "seed",  "time_limit",
                                       "variables", "hub",         "devices", "steps", "expect"};

static enum scn_result parse_top(struct scn_ctx *c, const struct scn_node *root,
                                 const struct scn_options *opts) {
    struct scn_scenario *s = c->scn;
    struct scn_loc start = {1, 1};
    if (root == NULL) {
        return scn_fail(c, start, SCN_ERR_SCHEMA, "expected a scenario mapping, got an empty file");
    }
    if (root->type != SCN_NODE_MAP) {
        return scn_expected(c, root, "a scenario mapping (name, devices, steps, ...)");
    }
    for (const struct scn_node *k = root->first; k != NULL; k = k->next->next) {
        size_t i = 0;
        while (i < COUNT_OF(top_keys) && strcmp(top_keys[i], k->text) != 0) {
            ++i;
        }
        if (i == COUNT_OF(top_keys)) {
            return scn_unknown_key(c, k, "a scenario", top_keys, COUNT_OF(top_keys));
        }
    }
    enum scn_result rc = parse_variables(c, scn_map_get(root, "variables"), opts);
    if (rc != SCN_OK) {
        return rc;
    }
    static const struct scn_param p_meta[] = {
        {"name", SCN_P_STRING, offsetof(struct scn_scenario, name), 0, true, 0, 0, NULL, NULL},
        {"description", SCN_P_TEXT, offsetof(struct scn_scenario, description), 0, false, 0, 0,
         NULL, NULL},
        {"seed", SCN_P_U64, offsetof(struct scn_scenario, seed),
         offsetof(struct scn_scenario, has_seed), false, 0, 0, NULL, NULL},
        {"time_limit", SCN_P_DURATION, offsetof(struct scn_scenario, time_limit_ms), 0, false, 1,
         (double)SCN_MAX_DURATION_MS, NULL, NULL},
    };
    for (size_t i = 0; i < COUNT_OF(p_meta); ++i) {
        const struct scn_node *v = scn_map_get(root, p_meta[i].key);
        if (v == NULL && p_meta[i].required) {
            return scn_fail(c, root->loc, SCN_ERR_SCHEMA,
                            "expected key %s in the scenario, got none", p_meta[i].key);
        }
        if (v != NULL && (rc = scn_parse_param_value(c, v, &p_meta[i], s)) != SCN_OK) {
            return rc;
        }
        if (v != NULL && p_meta[i].has_offset != 0) {
            s->has_seed = true;
        }
    }
    const struct scn_node *v;
    if ((v = scn_map_get(root, "tags")) != NULL && (rc = parse_tags(c, v)) != SCN_OK) {
        return rc;
    }
    if ((v = scn_map_get(root, "hub")) != NULL && (rc = parse_hub(c, v)) != SCN_OK) {
        return rc;
    }
    if ((v = scn_map_get(root, "devices")) == NULL) {
        return scn_fail(c, root->loc, SCN_ERR_SCHEMA,
                        "expected key devices in the scenario, got none");
    }
    if ((rc = parse_devices(c, v)) != SCN_OK) {
        return rc;
    }
    if ((v = scn_map_get(root, "steps")) != NULL && (rc = parse_list(c, v, true)) != SCN_OK) {
        return rc;
    }
    if ((v = scn_map_get(root, "expect")) != NULL && (rc = parse_list(c, v, false)) != SCN_OK) {
        return rc;
    }
    return SCN_OK;
}

// The file's directory, made absolute so resolved paths stay right if the runner changes its
// working directory. Without a working directory (deleted, unreadable) it stays relative.
static char *dir_of(struct scn_arena *arena, const char *path) {
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash == NULL ? 0 : (slash == path ? 1 : (size_t)(slash - path));
    if (path[0] == '/') {
        return scn_arena_strndup(arena, path, dir_len);
    }
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        return dir_len == 0 ? scn_arena_strdup(arena, ".")
                            : scn_arena_strndup(arena, path, dir_len);
    }
    size_t cwd_len = strlen(cwd);
    char *out = scn_arena_alloc(arena, cwd_len + 1 + dir_len + 1);
    if (out != NULL) {
        snprintf(out, cwd_len + 1 + dir_len + 1, "%s%s%.*s", cwd,
                 dir_len == 0 || strcmp(cwd, "/") == 0 ? "" : "/", (int)dir_len, path);
    }
    return out;
}

enum scn_result scn_parse(const char *text, size_t len, const char *source_name,
                          const struct scn_options *opts, struct scn_scenario *out, char *err,
                          size_t err_size) {
    struct scn_ctx c = {.file = source_name, .err = err, .err_size = err_size, .scn = out};
    struct scn_node *root = NULL;
    enum scn_result rc;
    memset(out, 0, sizeof(*out));
    if (err_size > 0) {
        err[0] = '\0';
    }
    c.arena = scn_arena_new();
    if (c.arena == NULL) {
        snprintf(err, err_size, "%s: out of memory", source_name);
        return SCN_ERR_NOMEM;
    }
    out->arena = c.arena;
    out->source = scn_arena_strdup(c.arena, source_name);
    c.base_dir = dir_of(c.arena, source_name);
    if (out->source == NULL || c.base_dir == NULL) {
        rc = nomem(&c, NULL);
        goto out;
    }
    out->time_limit_ms = SCN_DEFAULT_TIME_LIMIT_MS;
    out->hub.kind = SCN_HUB_LOCAL;
    rc = scn_yaml_load(text, len, source_name, c.arena, &root, err, err_size);
    if (rc == SCN_OK) {
        rc = parse_top(&c, root, opts);
    }
    if (rc == SCN_OK) {
        rc = scn_validate(&c);
    }
out:
    if (rc != SCN_OK) {
        scn_scenario_free(out);
    }
    return rc;
}

enum scn_result scn_load(const char *path, const struct scn_options *opts, struct scn_scenario *out,
                         char *err, size_t err_size) {
    char *text = NULL;
    enum scn_result rc = SCN_ERR_IO;
    memset(out, 0, sizeof(*out));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, err_size, "%s: cannot read the scenario: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, err_size, "%s: cannot read the scenario: not a regular file", path);
        goto out;
    }
    if ((unsigned long long)st.st_size > SCN_MAX_FILE_BYTES) {
        snprintf(err, err_size, "%s:1:1: expected a scenario of at most %u bytes, got %lld bytes",
                 path, SCN_MAX_FILE_BYTES, (long long)st.st_size);
        rc = SCN_ERR_LIMIT;
        goto out;
    }
    // One byte more than allowed, so a file that grew since fstat is still caught.
    text = malloc(SCN_MAX_FILE_BYTES + 1);
    if (text == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        rc = SCN_ERR_NOMEM;
        goto out;
    }
    size_t len = 0;
    while (len <= SCN_MAX_FILE_BYTES) {
        ssize_t n = read(fd, text + len, SCN_MAX_FILE_BYTES + 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            snprintf(err, err_size, "%s: cannot read the scenario: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    rc = scn_parse(text, len, path, opts, out, err, err_size);
out:
    if (fd >= 0) {
        close(fd);
    }
    free(text);
    return rc;
}

void scn_scenario_free(struct scn_scenario *scenario) {
    if (scenario == NULL) {
        return;
    }
    scn_arena_free(scenario->arena);
    memset(scenario, 0, sizeof(*scenario));
}
