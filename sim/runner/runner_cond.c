// SPDX-License-Identifier: MIT
// Deciding conditions (docs/scenarios.md, "How the runner decides"). A condition is evaluated
// over a window of scenario time against what the runner observed: counts and matches take
// what happened in the window, states (twin, LED state, open connections) take the latest
// observation. Each evaluation also writes one line saying what it saw, which becomes the
// failure message when an expectation fails.
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/runner_internal.h"

static bool say(char *detail, size_t size, bool result, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool say(char *detail, size_t size, bool result, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, size, fmt, ap);
    va_end(ap);
    return result;
}

const regex_t *rn_regex(struct rn_runner *r, const void *key, const char *pattern) {
    for (size_t i = 0; i < r->regex_count; i++) {
        if (r->regexes[i].key == key) {
            return r->regexes[i].ok ? &r->regexes[i].re : NULL;
        }
    }
    struct rn_regex entry = {.key = key};
    entry.ok = regcomp(&entry.re, pattern, REG_EXTENDED | REG_NOSUB) == 0;
    if (!RN_PUSH(r->regexes, r->regex_count, r->regex_cap, entry)) {
        if (entry.ok) {
            regfree(&entry.re);
        }
        return NULL;
    }
    return entry.ok ? &r->regexes[r->regex_count - 1].re : NULL;
}

void rn_cond_free(struct rn_runner *r) {
    for (size_t i = 0; i < r->regex_count; i++) {
        if (r->regexes[i].ok) {
            regfree(&r->regexes[i].re);
        }
    }
    free(r->regexes);
    for (size_t i = 0; i < r->log_cache_count; i++) {
        free(r->log_caches[i].lines);
    }
    free(r->log_caches);
    r->regexes = NULL;
    r->log_caches = NULL;
}

bool rn_cond_needs_twin(const struct scn_condition *cond) {
    return cond->kind == SCN_COND_TWIN;
}

static bool in_window(int64_t t, int64_t from, int64_t to) {
    return t >= from && t <= to;
}

// Every field condition holds; *out_failed names the first one that does not.
static bool fields_match(struct rn_runner *r, const struct scn_field_conds *fields,
                         const cJSON *body, const cJSON *message,
                         const struct scn_field_cond **out_failed) {
    for (size_t i = 0; i < fields->count; i++) {
        const struct scn_field_cond *f = &fields->items[i];
        const cJSON *value = f->source == SCN_FIELD_PROPERTY ? rn_message_property(message, f->path)
                                                             : rn_json_path(body, f->path);
        const regex_t *re = f->op == SCN_CMP_MATCHES ? rn_regex(r, f, f->value.string) : NULL;
        if (!rn_field_matches(f, value, re)) {
            if (out_failed != NULL) {
                *out_failed = f;
            }
            return false;
        }
    }
    return true;
}

static const char *const op_names[] = {
    [SCN_CMP_EQ] = "eq",           [SCN_CMP_NE] = "ne",        [SCN_CMP_LT] = "lt",
    [SCN_CMP_LE] = "le",           [SCN_CMP_GT] = "gt",        [SCN_CMP_GE] = "ge",
    [SCN_CMP_MATCHES] = "matches", [SCN_CMP_EXISTS] = "exists"};

static void field_text(const struct scn_field_cond *f, const cJSON *value, char *out, size_t size) {
    char *seen = value != NULL ? cJSON_PrintUnformatted(value) : NULL;
    const char *want = f->value.kind == SCN_VALUE_BOOL   ? (f->value.boolean ? "true" : "false")
                       : f->value.kind == SCN_VALUE_NULL ? "null"
                                                         : f->value.string;
    snprintf(out, size, "%s %s %s %s, got %.120s",
             f->source == SCN_FIELD_PROPERTY ? "property" : "path", f->path, op_names[f->op],
             want != NULL ? want : "?", seen != NULL ? seen : "nothing (absent)");
    free(seen);
}

// "<prefix>-<n>" message ids: the prefix and n, or false.
static bool split_mid(const char *mid, char *prefix, size_t prefix_size, uint64_t *out_n) {
    const char *dash = strrchr(mid, '-');
    if (dash == NULL || dash[1] == '\0' || (size_t)(dash - mid) >= prefix_size) {
        return false;
    }
    char *end = NULL;
    unsigned long long n = strtoull(dash + 1, &end, 10);
    if (*end != '\0') {
        return false;
    }
    memcpy(prefix, mid, (size_t)(dash - mid));
    prefix[dash - mid] = '\0';
    *out_n = n;
    return true;
}

static const char *mid_of(const struct rn_message *m) {
    const cJSON *mid = rn_message_property(m->json, "$.mid");
    return cJSON_IsString(mid) ? mid->valuestring : NULL;
}

struct mid_ref {
    const char *mid;
    size_t index;
};

static int by_mid(const void *a, const void *b) {
    const struct mid_ref *x = a;
    const struct mid_ref *y = b;
    int c = strcmp(x->mid, y->mid);
    return c != 0 ? c : (x->index < y->index ? -1 : x->index > y->index);
}

// For each message: whether an earlier message in the window had the same $.mid (a
// redelivery). NULL when out of memory. Sorting keeps this O(n log n) for long runs.
static bool *redeliveries(const struct rn_device *d, int64_t from, int64_t to) {
    bool *marks = calloc(d->message_count + 1, sizeof(bool));
    struct mid_ref *refs = malloc((d->message_count + 1) * sizeof(*refs));
    if (marks == NULL || refs == NULL) {
        free(marks);
        free(refs);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < d->message_count; i++) {
        const char *mid = mid_of(&d->messages[i]);
        if (mid != NULL && in_window(d->messages[i].t, from, to)) {
            refs[n++] = (struct mid_ref){.mid = mid, .index = i};
        }
    }
    qsort(refs, n, sizeof(*refs), by_mid);
    for (size_t i = 1; i < n; i++) {
        marks[refs[i].index] = strcmp(refs[i].mid, refs[i - 1].mid) == 0;
    }
    free(refs);
    return marks;
}

struct epoch {
    char prefix[64];
    uint64_t min;
    uint64_t max;
    uint64_t distinct;
};

// no_loss: every number from an epoch's first to its last arrived (a later epoch, a queue made
// anew, must start at 1).
static bool check_no_loss(const struct rn_device *d, int64_t from, int64_t to, char *detail,
                          size_t size) {
    struct epoch epochs[16];
    size_t count = 0;
    bool *again = redeliveries(d, from, to);
    if (again == NULL) {
        return say(detail, size, false, "no_loss: out of memory");
    }
    bool ok = true;
    for (size_t i = 0; i < d->message_count; i++) {
        const struct rn_message *m = &d->messages[i];
        const char *mid = mid_of(m);
        if (!in_window(m->t, from, to)) {
            continue;
        }
        char prefix[64];
        uint64_t n = 0;
        if (mid == NULL || !split_mid(mid, prefix, sizeof(prefix), &n)) {
            ok = say(detail, size, false,
                     "no_loss: message %" PRIu64 " has $.mid %s, not <prefix>-<number>",
                     m->sequence, mid != NULL ? mid : "(none)");
            break;
        }
        if (again[i]) {
            continue;
        }
        size_t e = 0;
        while (e < count && strcmp(epochs[e].prefix, prefix) != 0) {
            e++;
        }
        if (e == count) {
            if (count == 16) {
                ok = say(detail, size, false, "no_loss: more than 16 $.mid prefixes");
                break;
            }
            snprintf(epochs[e].prefix, sizeof(epochs[e].prefix), "%s", prefix);
            epochs[e].min = epochs[e].max = n;
            epochs[e].distinct = 0;
            count++;
        }
        epochs[e].distinct++;
        epochs[e].min = n < epochs[e].min ? n : epochs[e].min;
        epochs[e].max = n > epochs[e].max ? n : epochs[e].max;
    }
    free(again);
    if (!ok) {
        return false;
    }
    if (count == 0) {
        return say(detail, size, false, "no_loss: no message has arrived yet");
    }
    uint64_t total = 0;
    for (size_t e = 0; e < count; e++) {
        uint64_t expected = epochs[e].max - epochs[e].min + 1;
        if (e > 0 && epochs[e].min != 1) {
            return say(detail, size, false,
                       "no_loss: $.mid prefix %s starts at %" PRIu64
                       ", not 1 (messages %s-1.."
                       "%" PRIu64 " never arrived)",
                       epochs[e].prefix, epochs[e].min, epochs[e].prefix, epochs[e].min - 1);
        }
        if (epochs[e].distinct != expected) {
            return say(detail, size, false,
                       "no_loss: %" PRIu64 " of the %" PRIu64 " messages %s-%" PRIu64 "..%" PRIu64
                       " never arrived",
                       expected - epochs[e].distinct, expected, epochs[e].prefix, epochs[e].min,
                       epochs[e].max);
        }
        total += expected;
    }
    return say(detail, size, true, "no_loss: %" PRIu64 " message(s) in %zu $.mid run(s), no gap",
               total, count);
}

struct copy_ref {
    char *key;  // creation time and body, or $.mid and body
    const char *mid;
    uint64_t sequence;
};

static int by_key(const void *a, const void *b) {
    const struct copy_ref *x = a;
    const struct copy_ref *y = b;
    return strcmp(x->key, y->key);
}

static char *joined(const cJSON *first, const cJSON *second) {
    char *a = first != NULL ? cJSON_PrintUnformatted(first) : NULL;
    char *b = second != NULL ? cJSON_PrintUnformatted(second) : NULL;
    size_t len = (a ? strlen(a) : 4) + (b ? strlen(b) : 4) + 2;
    char *out = malloc(len);
    if (out != NULL) {
        snprintf(out, len, "%s\x1f%s", a ? a : "null", b ? b : "null");
    }
    free(a);
    free(b);
    return out;
}

// no_duplicates: after dropping copies with the same $.mid (redeliveries a consumer removes),
// no message is left twice: copies of one $.mid are identical, and no two $.mids carry the same
// body created at the same time. Both are found by sorting, not by comparing every pair.
static bool check_no_duplicates(const struct rn_device *d, int64_t from, int64_t to, char *detail,
                                size_t size) {
    struct copy_ref *by_time = calloc(d->message_count + 1, sizeof(*by_time));
    struct copy_ref *by_id = calloc(d->message_count + 1, sizeof(*by_id));
    size_t n = 0;
    bool ok = by_time != NULL && by_id != NULL;
    if (!ok) {
        say(detail, size, false, "no_duplicates: out of memory");
    }
    for (size_t i = 0; ok && i < d->message_count; i++) {
        const struct rn_message *m = &d->messages[i];
        if (!in_window(m->t, from, to)) {
            continue;
        }
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(m->json, "body");
        const char *mid = mid_of(m);
        by_time[n] = (struct copy_ref){.key = joined(rn_message_property(m->json, "$.ctime"), body),
                                       .mid = mid != NULL ? mid : "",
                                       .sequence = m->sequence};
        cJSON *id = cJSON_CreateString(mid != NULL ? mid : "");
        by_id[n] = (struct copy_ref){
            .key = joined(id, body), .mid = by_time[n].mid, .sequence = m->sequence};
        cJSON_Delete(id);
        ok = by_time[n].key != NULL && by_id[n].key != NULL;
        n++;
    }
    size_t copies = 0;
    if (ok) {
        qsort(by_id, n, sizeof(*by_id), by_key);
        for (size_t i = 1; ok && i < n; i++) {
            bool same_copy = strcmp(by_id[i].key, by_id[i - 1].key) == 0;
            copies += same_copy;
            if (!same_copy && by_id[i].mid[0] != '\0' &&
                strcmp(by_id[i].mid, by_id[i - 1].mid) == 0) {
                ok = say(detail, size, false,
                         "no_duplicates: messages %" PRIu64 " and %" PRIu64
                         " share $.mid %s but differ",
                         by_id[i - 1].sequence, by_id[i].sequence, by_id[i].mid);
            }
        }
        qsort(by_time, n, sizeof(*by_time), by_key);
        for (size_t i = 1; ok && i < n; i++) {
            if (strcmp(by_time[i].key, by_time[i - 1].key) == 0 &&
                strcmp(by_time[i].mid, by_time[i - 1].mid) != 0 &&
                strncmp(by_time[i].key, "null\x1f", 5) != 0) {
                ok = say(detail, size, false,
                         "no_duplicates: messages %" PRIu64 " ($.mid %s) and %" PRIu64
                         " ($.mid %s) are the same message under two ids",
                         by_time[i - 1].sequence, by_time[i - 1].mid, by_time[i].sequence,
                         by_time[i].mid);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(by_time[i].key);
        free(by_id[i].key);
    }
    free(by_time);
    free(by_id);
    if (!ok) {
        return false;
    }
    return say(detail, size, true, "no_duplicates: none (%zu redelivered cop%s dropped)", copies,
               copies == 1 ? "y" : "ies");
}

static bool eval_telemetry(struct rn_runner *r, const struct scn_condition *c,
                           const struct rn_device *d, int64_t from, int64_t to, char *detail,
                           size_t size) {
    uint64_t matching = 0;
    uint64_t in_win = 0;
    const struct scn_field_cond *failed = NULL;
    const struct rn_message *example = NULL;
    const cJSON *previous = NULL;
    bool *again = c->telemetry.has_order ? redeliveries(d, from, to) : NULL;
    if (c->telemetry.has_order && again == NULL) {
        return say(detail, size, false, "out of memory");
    }
    bool order_ok = true;
    for (size_t i = 0; order_ok && i < d->message_count; i++) {
        const struct rn_message *m = &d->messages[i];
        if (!in_window(m->t, from, to)) {
            continue;
        }
        in_win++;
        const struct scn_field_cond *f = NULL;
        if (!fields_match(r, &c->fields, m->body, m->json, &f)) {
            if (failed == NULL) {
                failed = f;
                example = m;
            }
            continue;
        }
        matching++;
        if (c->telemetry.has_order) {
            if (again[i]) {
                continue;  // order is judged after dropping redeliveries
            }
            const struct scn_field_cond *o = &c->telemetry.order;
            const cJSON *value = o->source == SCN_FIELD_PROPERTY
                                     ? rn_message_property(m->json, o->path)
                                     : rn_json_path(m->body, o->path);
            if (value == NULL) {
                order_ok = say(detail, size, false, "order: message %" PRIu64 " has no %s",
                               m->sequence, o->path);
                break;
            }
            if (previous != NULL) {
                char *a = cJSON_IsString(previous) ? strdup(previous->valuestring)
                                                   : cJSON_PrintUnformatted(previous);
                char *b = cJSON_IsString(value) ? strdup(value->valuestring)
                                                : cJSON_PrintUnformatted(value);
                // Numbers by value: their printed form may be exponential ("1e+20").
                bool increasing = cJSON_IsNumber(previous) && cJSON_IsNumber(value)
                                      ? previous->valuedouble < value->valuedouble
                                      : a != NULL && b != NULL && rn_natural_compare(a, b) < 0;
                if (!increasing) {
                    say(detail, size, false,
                        "order: %s goes from %.60s to %.60s at message %" PRIu64
                        " (must strictly increase)",
                        o->path, a ? a : "?", b ? b : "?", m->sequence);
                }
                free(a);
                free(b);
                order_ok = increasing;
            }
            previous = value;
        }
    }
    free(again);
    if (!order_ok) {
        return false;
    }
    bool has_count = c->count.has_min || c->count.has_max;
    if (has_count || c->fields.count > 0) {
        struct scn_count want = c->count;
        if (!has_count) {
            want.has_min = true;
            want.min = 1;
        }
        if (!rn_count_ok(&want, matching)) {
            char text[64];
            rn_count_text(&want, text, sizeof(text));
            char why[400] = "";
            if (failed != NULL) {
                const cJSON *value = failed->source == SCN_FIELD_PROPERTY
                                         ? rn_message_property(example->json, failed->path)
                                         : rn_json_path(example->body, failed->path);
                char f[300];
                field_text(failed, value, f, sizeof(f));
                snprintf(why, sizeof(why), "; message %" PRIu64 " did not match: %s",
                         example->sequence, f);
            }
            return say(detail, size, false,
                       "%" PRIu64 " of %" PRIu64 " message(s) match, expected %s%s", matching,
                       in_win, text, why);
        }
    }
    if (c->telemetry.no_loss && !check_no_loss(d, from, to, detail, size)) {
        return false;
    }
    if (c->telemetry.no_duplicates && !check_no_duplicates(d, from, to, detail, size)) {
        return false;
    }
    return say(detail, size, true, "%" PRIu64 " of %" PRIu64 " message(s) match", matching, in_win);
}

static bool eval_twin(struct rn_runner *r, const struct scn_condition *c, const struct rn_device *d,
                      char *detail, size_t size) {
    if (d->reported == NULL) {
        return say(detail, size, false, "the twin has not been read yet");
    }
    const struct scn_field_cond *failed = NULL;
    if (fields_match(r, &c->fields, d->reported, NULL, &failed)) {
        return say(detail, size, true, "the reported properties match");
    }
    char f[300];
    field_text(failed, rn_json_path(d->reported, failed->path), f, sizeof(f));
    return say(detail, size, false, "reported: %s", f);
}

static bool eval_method(struct rn_runner *r, const struct scn_condition *c, char *detail,
                        size_t size) {
    const struct rn_call *call = NULL;
    for (size_t i = 0; i < r->call_count; i++) {
        if (r->calls[i].step == c->method.call.index) {
            call = &r->calls[i];
        }
    }
    if (call == NULL) {
        return say(detail, size, false, "method call %s has not been made", c->method.call.id);
    }
    if (!call->done) {
        return say(detail, size, false, "method call %s has not returned yet", c->method.call.id);
    }
    if (c->method.has_status && call->status != c->method.status) {
        char *payload = cJSON_PrintUnformatted(call->payload);
        say(detail, size, false, "method call %s returned status %d, expected %d (payload %.200s)",
            c->method.call.id, call->status, c->method.status, payload ? payload : "null");
        free(payload);
        return false;
    }
    const struct scn_field_cond *failed = NULL;
    if (!fields_match(r, &c->fields, call->payload, NULL, &failed)) {
        char f[300];
        field_text(failed, rn_json_path(call->payload, failed->path), f, sizeof(f));
        return say(detail, size, false, "method call %s: payload %s", c->method.call.id, f);
    }
    return say(detail, size, true, "method call %s returned status %d", c->method.call.id,
               call->status);
}

static bool eval_c2d(struct rn_runner *r, const struct scn_condition *c, char *detail,
                     size_t size) {
    enum rn_c2d_state want = c->c2d.outcome == SCN_C2D_EXPIRED ? RN_C2D_EXPIRED : RN_C2D_COMPLETED;
    uint64_t sent = 0;
    uint64_t reached = 0;
    uint64_t refused = 0;
    for (size_t i = 0; i < r->c2d_count; i++) {
        if (r->c2d[i].step != c->c2d.message.index) {
            continue;
        }
        sent++;
        reached += r->c2d[i].state == want;
        refused += r->c2d[i].state == RN_C2D_REFUSED;
    }
    const struct scn_step *step = &r->scn->steps[c->c2d.message.index];
    uint64_t planned = step->action.kind == SCN_ACT_C2D_BURST ? step->action.c2d.count : 1;
    struct scn_count want_count = c->count;
    if (!want_count.has_min && !want_count.has_max) {
        want_count.has_min = true;
        want_count.min = planned;
    }
    char text[64];
    rn_count_text(&want_count, text, sizeof(text));
    bool ok = rn_count_ok(&want_count, reached);
    return say(detail, size, ok,
               "%" PRIu64 " of %" PRIu64 " message(s) of %s %s (%" PRIu64 " sent, %" PRIu64
               " refused by the hub), expected %s",
               reached, planned, c->c2d.message.id,
               want == RN_C2D_EXPIRED ? "expired" : "completed", sent, refused, text);
}

static int cond_gpio(const struct scn_condition *c) {
    return c->led.name != NULL ? rn_led_gpio(c->led.name) : c->led.gpio;
}

static bool within(uint64_t duration, uint64_t want, uint64_t tolerance) {
    return duration + tolerance >= want && duration <= want + tolerance;
}

static bool eval_led(const struct scn_condition *c, const struct rn_device *d, int64_t from,
                     int64_t to, char *detail, size_t size) {
    int gpio = cond_gpio(c);
    const char *label = c->led.name != NULL ? c->led.name : "the LED";
    if (gpio < 0 || gpio >= RN_MAX_GPIO) {
        return say(detail, size, false, "%s is not an RDB LED", label);
    }
    if (!c->led.blink) {
        // The state at `to`, from the recorded changes (a closed window is judged after it).
        bool lit = false;
        for (size_t i = 0; i < d->gpio_change_count && d->gpio_changes[i].t <= to; i++) {
            if (d->gpio_changes[i].gpio == gpio) {
                lit = d->gpio_changes[i].lit;
            }
        }
        bool want = c->led.state == SCN_LED_ON;
        return say(detail, size, lit == want, "%s (GPIO %d) is %s", label, gpio,
                   lit ? "on" : "off");
    }
    // Intervals between changes inside the window; a full cycle is an on then an off interval.
    int64_t last_t = RN_NEVER;
    bool last_lit = false;
    bool on_ok = false;
    uint64_t run = 0;
    uint64_t best = 0;
    for (size_t i = 0; i < d->gpio_change_count; i++) {
        const struct rn_gpio_change *g = &d->gpio_changes[i];
        if (g->gpio != gpio || g->t > to) {
            continue;
        }
        if (last_t != RN_NEVER && last_t >= from) {
            uint64_t duration = (uint64_t)(g->t - last_t);
            if (last_lit) {
                on_ok = within(duration, c->led.on_ms, c->led.tolerance_ms);
                run = on_ok ? run : 0;
            } else if (on_ok && within(duration, c->led.off_ms, c->led.tolerance_ms)) {
                run++;
                best = run > best ? run : best;
                on_ok = false;
            } else {
                run = 0;
                on_ok = false;
            }
        }
        last_t = g->t;
        last_lit = g->lit;
    }
    // The last off interval is still going on: it counts once it has lasted long enough.
    if (!last_lit && on_ok && last_t != RN_NEVER &&
        to - last_t + (int64_t)c->led.tolerance_ms >= (int64_t)c->led.off_ms) {
        run++;
        best = run > best ? run : best;
    }
    return say(detail, size, best >= c->led.cycles,
               "%s (GPIO %d) blinked %" PRIu64 " matching cycle(s) of %" PRIu64 " ms on, %" PRIu64
               " ms off (±%" PRIu64 " ms), expected %" PRIu64,
               label, gpio, best, c->led.on_ms, c->led.off_ms, c->led.tolerance_ms, c->led.cycles);
}

static bool count_default_one(const struct scn_count *count, uint64_t n, const char *what,
                              char *detail, size_t size) {
    struct scn_count want = *count;
    if (!want.has_min && !want.has_max) {
        want.has_min = true;
        want.min = 1;
    }
    char text[64];
    rn_count_text(&want, text, sizeof(text));
    return say(detail, size, rn_count_ok(&want, n), "%" PRIu64 " %s, expected %s", n, what, text);
}

static bool eval_app_exit(const struct scn_condition *c, const struct rn_device *d, int64_t from,
                          int64_t to, char *detail, size_t size) {
    uint64_t n = 0;
    for (size_t i = 0; i < d->exit_count; i++) {
        const struct rn_exit *e = &d->exits[i];
        if (!in_window(e->t, from, to)) {
            continue;
        }
        if (c->exit.has_code && (!e->has_code || e->code != c->exit.code)) {
            continue;
        }
        if (c->exit.signal != 0 && e->signal != c->exit.signal) {
            continue;
        }
        n++;
    }
    return count_default_one(&c->count, n, "matching app exit(s)", detail, size);
}

static uint64_t sample_at(const struct rn_sample *samples, size_t count, int64_t t) {
    uint64_t value = 0;
    for (size_t i = 0; i < count && samples[i].t <= t; i++) {
        value = samples[i].value;
    }
    return value;
}

static bool eval_restarts(const struct scn_condition *c, const struct rn_device *d, int64_t from,
                          int64_t to, char *detail, size_t size) {
    uint64_t at_from = from <= 0 ? 0 : sample_at(d->restart_samples, d->restart_sample_count, from);
    uint64_t at_to = sample_at(d->restart_samples, d->restart_sample_count, to);
    uint64_t n = at_to >= at_from ? at_to - at_from : 0;
    char text[64];
    rn_count_text(&c->count, text, sizeof(text));
    return say(detail, size, rn_count_ok(&c->count, n), "%" PRIu64 " restart(s), expected %s", n,
               text);
}

// The OS's description of an app killed for its memory budget (sim/os/app_stats.h).
static bool is_budget_kill(const struct rn_report *rep) {
    return strstr(rep->description, "; memory_budget_kib=") != NULL;
}

static bool report_matches(const struct scn_condition *c, const struct rn_report *rep) {
    const char *reason = c->exit.reason;
    if (reason == NULL) {
        if (rep->kind == RN_REPORT_OTHER) {
            return false;
        }
    } else if (strcmp(reason, "exit") == 0) {
        if (rep->kind != RN_REPORT_EXIT) {
            return false;
        }
    } else if (strcmp(reason, "crash") == 0) {
        if (rep->kind != RN_REPORT_CRASH) {
            return false;
        }
    } else if (strcmp(reason, "killed-after-sigterm-timeout") == 0) {
        // The OS reports these as crashes by SIGKILL (docs/device-os.md); a memory-budget kill
        // is one too, told apart by the budget the OS adds to its description.
        if (rep->kind != RN_REPORT_CRASH || rep->signal != 9 || is_budget_kill(rep)) {
            return false;
        }
    } else if (strcmp(reason, "memory-budget") == 0) {
        if (rep->kind != RN_REPORT_CRASH || !is_budget_kill(rep)) {
            return false;
        }
    } else if (strcmp(reason, "crash-loop") == 0) {
        if (rep->kind != RN_REPORT_CRASH_LOOP) {
            return false;
        }
    }
    if (c->exit.has_code && (rep->kind != RN_REPORT_EXIT || rep->code != c->exit.code)) {
        return false;
    }
    if (c->exit.signal != 0 && (rep->kind != RN_REPORT_CRASH || rep->signal != c->exit.signal)) {
        return false;
    }
    return true;
}

static bool eval_failure_report(const struct scn_condition *c, const struct rn_device *d,
                                int64_t from, int64_t to, char *detail, size_t size) {
    uint64_t n = 0;
    for (size_t i = 0; i < d->report_count; i++) {
        n += in_window(d->reports[i].t, from, to) && report_matches(c, &d->reports[i]);
    }
    return count_default_one(&c->count, n, "matching failure-report entr(ies)", detail, size);
}

static bool eval_log(struct rn_runner *r, const struct scn_condition *c, size_t device,
                     int64_t from, int64_t to, char *detail, size_t size) {
    const regex_t *re = rn_regex(r, c, c->pattern);
    if (re == NULL) {
        return say(detail, size, false, "the pattern does not compile");
    }
    struct rn_log_cache *cache = NULL;
    for (size_t i = 0; i < r->log_cache_count; i++) {
        if (r->log_caches[i].cond == c && r->log_caches[i].device == device) {
            cache = &r->log_caches[i];
        }
    }
    if (cache == NULL) {
        struct rn_log_cache fresh = {.cond = c, .device = device};
        if (!RN_PUSH(r->log_caches, r->log_cache_count, r->log_cache_cap, fresh)) {
            return say(detail, size, false, "out of memory");
        }
        cache = &r->log_caches[r->log_cache_count - 1];
    }
    const struct rn_device *d = &r->devices[device];
    for (; cache->upto < d->log_count; cache->upto++) {
        const struct rn_log_line *line = &d->logs[cache->upto];
        if (regexec(re, line->text, 0, NULL, 0) == 0) {
            size_t index = cache->upto;
            RN_PUSH(cache->lines, cache->count, cache->cap, index);
        }
    }
    // Lines read in the same millisecond as the last action but before it are not its effect.
    size_t first = r->evaluating_until ? d->until_log_mark : 0;
    uint64_t n = 0;
    for (size_t i = 0; i < cache->count; i++) {
        n += cache->lines[i] >= first && in_window(d->logs[cache->lines[i]].t, from, to);
    }
    return count_default_one(&c->count, n, "matching log line(s)", detail, size);
}

static bool eval_peak_memory(const struct scn_condition *c, const struct rn_device *d, int64_t from,
                             int64_t to, char *detail, size_t size) {
    uint64_t peak = 0;
    for (size_t i = 0; i < d->memory_sample_count; i++) {
        const struct rn_sample *s = &d->memory_samples[i];
        // A sample holds until the next one: the one in force at `from` counts too.
        bool next_after_from = i + 1 == d->memory_sample_count || d->memory_samples[i + 1].t > from;
        if (s->t <= to && next_after_from && s->value > peak) {
            peak = s->value;
        }
    }
    uint64_t budget_kb = c->memory_under_bytes / 1024;
    return say(detail, size, peak < budget_kb,
               "peak memory of the app %" PRIu64 " KiB, budget %" PRIu64 " KiB", peak, budget_kb);
}

static bool capability_matches(const char *want, const char *got) {
    if (want == NULL) {
        return true;
    }
    if (strchr(want, ':') != NULL) {
        return strcasecmp(want, got) == 0;
    }
    size_t len = strlen(want);
    return strncmp(want, got, len) == 0 && (got[len] == '\0' || got[len] == ':');
}

static bool eval_denied(const struct scn_condition *c, const struct rn_device *d, int64_t from,
                        int64_t to, char *detail, size_t size) {
    uint64_t n = 0;
    for (size_t i = 0; i < d->denied_count; i++) {
        n += in_window(d->denied[i].t, from, to) &&
             capability_matches(c->capability, d->denied[i].capability);
    }
    return count_default_one(&c->count, n, "denied attempt(s)", detail, size);
}

static bool eval_connections(const struct scn_condition *c, const struct rn_device *d, int64_t from,
                             int64_t to, char *detail, size_t size) {
    char text[64];
    uint64_t open = sample_at(d->open_samples, d->open_sample_count, to);
    if (c->connections.has_open && !rn_count_ok(&c->connections.open, open)) {
        rn_count_text(&c->connections.open, text, sizeof(text));
        return say(detail, size, false, "%" PRIu64 " open connection(s), expected %s", open, text);
    }
    uint64_t total = 0;
    for (size_t i = 0; i < d->connect_count; i++) {
        total += in_window(d->connects[i], from, to);
    }
    if (c->connections.has_total && !rn_count_ok(&c->connections.total, total)) {
        rn_count_text(&c->connections.total, text, sizeof(text));
        return say(detail, size, false, "%" PRIu64 " connection(s) made, expected %s", total, text);
    }
    return say(detail, size, true, "%" PRIu64 " open connection(s), %" PRIu64 " made", open, total);
}

bool rn_cond_eval(struct rn_runner *r, const struct scn_condition *cond, size_t device,
                  int64_t from, int64_t to, char *detail, size_t detail_size) {
    const struct rn_device *d = &r->devices[device < r->device_count ? device : 0];
    switch (cond->kind) {
        case SCN_COND_TELEMETRY:
            return eval_telemetry(r, cond, d, from, to, detail, detail_size);
        case SCN_COND_TWIN:
            return eval_twin(r, cond, d, detail, detail_size);
        case SCN_COND_METHOD:
            return eval_method(r, cond, detail, detail_size);
        case SCN_COND_C2D:
            return eval_c2d(r, cond, detail, detail_size);
        case SCN_COND_LED:
            return eval_led(cond, d, from, to, detail, detail_size);
        case SCN_COND_APP_EXIT:
            return eval_app_exit(cond, d, from, to, detail, detail_size);
        case SCN_COND_RESTARTS:
            return eval_restarts(cond, d, from, to, detail, detail_size);
        case SCN_COND_FAILURE_REPORT:
            return eval_failure_report(cond, d, from, to, detail, detail_size);
        case SCN_COND_LOG:
            return eval_log(r, cond, device, from, to, detail, detail_size);
        case SCN_COND_PEAK_MEMORY:
            return eval_peak_memory(cond, d, from, to, detail, detail_size);
        case SCN_COND_DENIED:
            return eval_denied(cond, d, from, to, detail, detail_size);
        case SCN_COND_CONNECTIONS:
            return eval_connections(cond, d, from, to, detail, detail_size);
        default:
            return say(detail, detail_size, false, "unknown condition");
    }
}
