// SPDX-License-Identifier: MIT
// The validation pass: each part of a scenario has been read on its own; this checks that the
// parts fit together before anything runs, so a scenario fails at its first line rather than
// minutes into a run. Ids are unique and every reference resolves (devices, the steps a method
// or C2D condition or an expectation window names), the timeline runs forward and fits the time
// limit, and nothing needs the local hub when the scenario names a real one.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/scn_internal.h"

#define LIST_MAX 64

static size_t device_ids(const struct scn_scenario *s, const char **out) {
    size_t n = 0;
    for (; n < s->device_count && n < LIST_MAX; ++n) {
        out[n] = s->devices[n].id;
    }
    return n;
}

static void join(const char *const *items, size_t count, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < size; ++i) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", items[i]);
        used += w > 0 ? (size_t)w : 0;
    }
}

// Resolves a device reference; NULL means the scenario's only device.
static enum scn_result resolve_device(struct scn_ctx *c, const char *id, struct scn_loc id_loc,
                                      struct scn_loc owner_loc, const char *owner,
                                      size_t *out_index) {
    const struct scn_scenario *s = c->scn;
    const char *ids[LIST_MAX] = {0};
    char list[512], q[160];
    size_t n = device_ids(s, ids);
    join(ids, n, list, sizeof(list));
    if (id == NULL) {
        if (s->device_count == 1) {
            *out_index = 0;
            return SCN_OK;
        }
        return scn_fail(c, owner_loc, SCN_ERR_INVALID,
                        "expected device (one of %s) in the %s, since the scenario has %zu "
                        "devices, got none",
                        list, owner, s->device_count);
    }
    for (size_t i = 0; i < s->device_count; ++i) {
        if (strcmp(s->devices[i].id, id) == 0) {
            *out_index = i;
            return SCN_OK;
        }
    }
    const char *near = scn_suggest(id, ids, n);
    return scn_fail(c, id_loc, SCN_ERR_INVALID,
                    "expected a device defined under devices (%s), got %s%s%s%s", list,
                    scn_quote(id, q, sizeof(q)), near ? " (did you mean " : "", near ? near : "",
                    near ? "?)" : "");
}

static int step_id_cmp(const void *a, const void *b) {
    const struct scn_step *x = *(const struct scn_step *const *)a;
    const struct scn_step *y = *(const struct scn_step *const *)b;
    int r = strcmp(x->id, y->id);
    // Equal ids keep file order, so the later one is reported as the repeat.
    return r != 0 ? r : (x < y ? -1 : x > y);
}

static enum scn_result check_unique_ids(struct scn_ctx *c) {
    const struct scn_scenario *s = c->scn;
    char q[160];
    for (size_t i = 1; i < s->device_count; ++i) {
        for (size_t j = 0; j < i; ++j) {
            if (strcmp(s->devices[i].id, s->devices[j].id) == 0) {
                return scn_fail(c, s->devices[i].id_loc, SCN_ERR_INVALID,
                                "expected each device id once, got %s again (first at %u:%u)",
                                scn_quote(s->devices[i].id, q, sizeof(q)),
                                s->devices[j].id_loc.line, s->devices[j].id_loc.column);
            }
        }
    }
    // Up to 10000 steps: sorted, not compared pairwise.
    const struct scn_step **ids = scn_arena_array(c->arena, s->step_count + 1, sizeof(*ids));
    size_t n = 0;
    if (ids == NULL) {
        return scn_fail(c, (struct scn_loc){1, 1}, SCN_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->step_count; ++i) {
        if (s->steps[i].id != NULL) {
            ids[n++] = &s->steps[i];
        }
    }
    qsort(ids, n, sizeof(*ids), step_id_cmp);
    for (size_t i = 1; i < n; ++i) {
        if (strcmp(ids[i]->id, ids[i - 1]->id) == 0) {
            return scn_fail(c, ids[i]->id_loc, SCN_ERR_INVALID,
                            "expected each step id once, got %s again (first at %u:%u)",
                            scn_quote(ids[i]->id, q, sizeof(q)), ids[i - 1]->id_loc.line,
                            ids[i - 1]->id_loc.column);
        }
    }
    return SCN_OK;
}

// Finds the step a reference names. limit: only steps before it may be named (for `until`,
// which waits before later steps exist); SIZE_MAX for any step.
static enum scn_result resolve_step(struct scn_ctx *c, struct scn_step_ref *ref, size_t limit,
                                    const enum scn_action_kind *kinds, size_t kind_count,
                                    const char *what) {
    const struct scn_scenario *s = c->scn;
    const char *ids[LIST_MAX] = {0};
    size_t n = 0;
    char q[160], list[512];
    for (size_t i = 0; i < s->step_count; ++i) {
        const struct scn_step *st = &s->steps[i];
        bool kind_ok = kind_count == 0;
        for (size_t k = 0; k < kind_count; ++k) {
            kind_ok = kind_ok || st->action.kind == kinds[k];
        }
        if (st->id == NULL || !kind_ok) {
            continue;
        }
        if (strcmp(st->id, ref->id) == 0) {
            if (i >= limit) {
                return scn_fail(c, ref->loc, SCN_ERR_INVALID,
                                "expected %s that runs before this one, got %s, which runs later",
                                what, scn_quote(ref->id, q, sizeof(q)));
            }
            ref->index = i;
            return SCN_OK;
        }
        if (n < LIST_MAX) {
            ids[n++] = st->id;
        }
    }
    join(ids, n, list, sizeof(list));
    const char *near = scn_suggest(ref->id, ids, n);
    return scn_fail(c, ref->loc, SCN_ERR_INVALID, "expected %s (%s), got %s%s%s%s", what,
                    n ? list : "there are none", scn_quote(ref->id, q, sizeof(q)),
                    near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
}

static enum scn_result check_condition(struct scn_ctx *c, struct scn_condition *cond,
                                       const char *inherited_device, size_t limit,
                                       struct scn_loc owner_loc) {
    const struct scn_scenario *s = c->scn;
    char owner[64];
    snprintf(owner, sizeof(owner), "%s condition", scn_condition_key(cond->kind));
    if (s->hub.kind == SCN_HUB_REAL && scn_condition_needs_local_hub(cond->kind)) {
        return scn_fail(c, cond->loc, SCN_ERR_INVALID,
                        "expected a condition the real hub %s can report, got %s (it needs the "
                        "local hub, which records what arrives)",
                        s->hub.host, scn_condition_key(cond->kind));
    }
    static const enum scn_action_kind method_kinds[] = {SCN_ACT_METHOD, SCN_ACT_METHOD_TIMEOUT};
    static const enum scn_action_kind c2d_kinds[] = {SCN_ACT_C2D, SCN_ACT_C2D_BURST};
    enum scn_result rc;
    if (cond->kind == SCN_COND_METHOD) {
        rc = resolve_step(c, &cond->method.call, limit, method_kinds, 2,
                          "the id of a method or method_timeout step");
        cond->device_index = rc == SCN_OK ? s->steps[cond->method.call.index].device_index : 0;
        return rc;
    }
    if (cond->kind == SCN_COND_C2D) {
        rc = resolve_step(c, &cond->c2d.message, limit, c2d_kinds, 2,
                          "the id of a c2d or c2d_burst step");
        cond->device_index = rc == SCN_OK ? s->steps[cond->c2d.message.index].device_index : 0;
        return rc;
    }
    const char *id = cond->device_id != NULL ? cond->device_id : inherited_device;
    struct scn_loc id_loc = cond->device_id != NULL ? cond->device_loc : owner_loc;
    return resolve_device(c, id, id_loc, cond->loc, owner, &cond->device_index);
}

static enum scn_result check_steps(struct scn_ctx *c) {
    struct scn_scenario *s = c->scn;
    uint64_t earliest = 0;
    char a[32], b[32];
    for (size_t i = 0; i < s->step_count; ++i) {
        struct scn_step *st = &s->steps[i];
        enum scn_result rc;
        switch (st->timing) {
            case SCN_AT:
                if (st->time_ms < earliest) {
                    scn_format_duration(earliest, a, sizeof(a));
                    scn_format_duration(st->time_ms, b, sizeof(b));
                    return scn_fail(c, st->time_loc, SCN_ERR_INVALID,
                                    "expected at: %s or later (steps run in file order and the "
                                    "step before runs at %s at the earliest), got %s",
                                    a, a, b);
                }
                earliest = st->time_ms;
                break;
            case SCN_AFTER:
                if (i == 0) {
                    return scn_fail(c, st->time_loc, SCN_ERR_INVALID,
                                    "expected at or until in the first step, got after (after "
                                    "counts from the step before)");
                }
                earliest += st->time_ms;
                break;
            case SCN_UNTIL:
                rc = check_condition(c, &st->until, st->device_id, i, st->loc);
                if (rc != SCN_OK) {
                    return rc;
                }
                st->device_index = st->until.device_index;
                break;
        }
        st->earliest_ms = earliest;
        if (earliest >= s->time_limit_ms) {
            scn_format_duration(s->time_limit_ms, a, sizeof(a));
            scn_format_duration(earliest, b, sizeof(b));
            return scn_fail(c, st->time_loc, SCN_ERR_INVALID,
                            "expected the step to run before the time_limit (%s), got a step at "
                            "%s or later",
                            a, b);
        }
        if (st->timing == SCN_UNTIL) {
            continue;
        }
        const char *key = scn_action_key(st->action.kind);
        if (s->hub.kind == SCN_HUB_REAL && scn_action_needs_local_hub(st->action.kind)) {
            return scn_fail(c, st->action.loc, SCN_ERR_INVALID,
                            "expected an action the real hub %s allows, got %s (it needs the "
                            "local hub)",
                            s->hub.host, key);
        }
        if (scn_action_is_hub_wide(st->action.kind)) {
            if (st->device_id != NULL) {
                return scn_fail(c, st->device_loc, SCN_ERR_INVALID,
                                "expected no device for %s (it acts on the hub every device "
                                "uses), got %s",
                                key, st->device_id);
            }
            continue;
        }
        char owner[64];
        snprintf(owner, sizeof(owner), "%s step", key);
        rc = resolve_device(c, st->device_id, st->device_loc, st->loc, owner, &st->device_index);
        if (rc != SCN_OK) {
            return rc;
        }
    }
    return SCN_OK;
}

static enum scn_result time_of(struct scn_ctx *c, struct scn_time_ref *t, uint64_t *out_ms) {
    if (!t->is_step) {
        *out_ms = t->ms;
        return SCN_OK;
    }
    enum scn_result rc = resolve_step(c, &t->step, SIZE_MAX, NULL, 0, "the id of a step");
    *out_ms = rc == SCN_OK ? c->scn->steps[t->step.index].earliest_ms : 0;
    return rc;
}

static enum scn_result check_expectations(struct scn_ctx *c) {
    struct scn_scenario *s = c->scn;
    char a[32], b[32];
    scn_format_duration(s->time_limit_ms, a, sizeof(a));
    for (size_t i = 0; i < s->expectation_count; ++i) {
        struct scn_expectation *e = &s->expectations[i];
        enum scn_result rc = check_condition(c, &e->cond, NULL, SIZE_MAX, e->loc);
        uint64_t from = 0, to = 0;
        if (rc == SCN_OK) {
            rc = time_of(c, &e->from, &from);
        }
        if (rc == SCN_OK && e->has_to) {
            rc = time_of(c, &e->to, &to);
        }
        if (rc != SCN_OK) {
            return rc;
        }
        if (from >= s->time_limit_ms) {
            scn_format_duration(from, b, sizeof(b));
            return scn_fail(c, e->from.loc, SCN_ERR_INVALID,
                            "expected from before the time_limit (%s), got %s", a, b);
        }
        if (e->form == SCN_EVENTUALLY && e->within_ms > s->time_limit_ms - from) {
            scn_format_duration(e->within_ms, b, sizeof(b));
            return scn_fail(c, e->cond.loc, SCN_ERR_INVALID,
                            "expected within to end by the time_limit (%s), got within %s", a, b);
        }
        if (e->has_to && to > s->time_limit_ms) {
            scn_format_duration(to, b, sizeof(b));
            return scn_fail(c, e->to.loc, SCN_ERR_INVALID,
                            "expected to no later than the time_limit (%s), got %s", a, b);
        }
        // Only fixed times can be compared; a step's time is known only when it runs.
        if (e->has_to && !e->from.is_step && !e->to.is_step && to <= from) {
            scn_format_duration(from, a, sizeof(a));
            scn_format_duration(to, b, sizeof(b));
            return scn_fail(c, e->to.loc, SCN_ERR_INVALID, "expected to after from (%s), got %s", a,
                            b);
        }
    }
    return SCN_OK;
}

enum scn_result scn_validate(struct scn_ctx *c) {
    enum scn_result rc = check_unique_ids(c);
    if (rc == SCN_OK) {
        rc = check_steps(c);
    }
    if (rc == SCN_OK) {
        rc = check_expectations(c);
    }
    return rc;
}
