// SPDX-License-Identifier: MIT
// The run of one scenario (runner.h): checks up front that this build can do every step, makes
// a private state directory, starts the hub and the devices, then runs one loop until every
// step has run and every expectation is decided, the time limit passes, a step fails or a
// signal arrives. The loop reads device output and hub answers as they come, samples device
// state, fires the timers that undo faults, runs the steps whose time has come and re-evaluates
// the expectations still open. Everything started is stopped on the way out.
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runner/runner_internal.h"

#define LOOP_WAIT_MS 10
#define EVAL_PERIOD_MS 100
// Observations of the hub arrive up to a poll period late: a window that has closed is judged
// once they have had time to come in.
#define SETTLE_MS 600
#define DRAIN_MS 300

int64_t rn_real_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rn_now(const struct rn_runner *r) {
    return r->started ? rn_mono_ms() - r->t0_mono_ms : 0;
}

void rn_progress(struct rn_runner *r, const char *fmt, ...) {
    FILE *out = r->cfg->progress;
    if (out == NULL) {
        return;
    }
    int64_t now = rn_now(r);
    fprintf(out, "[%5" PRId64 ".%03" PRId64 "s] ", now / 1000, now % 1000);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    fflush(out);
}

void rn_fail(struct rn_runner *r, const char *kind, const char *fmt, ...) {
    struct scn_run_result *res = r->result;
    char message[sizeof(res->failures[0].message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (res->failure_count < SCN_RUN_MAX_FAILURES) {
        struct scn_run_failure *f = &res->failures[res->failure_count];
        snprintf(f->message, sizeof(f->message), "%s", message);
        snprintf(f->type, sizeof(f->type), "%s", kind);
    }
    res->failure_count++;
    if (strcmp(kind, "step") == 0) {
        r->steps_failed = true;
    }
    rn_progress(r, "FAIL %s", message);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddStringToObject(event, "kind", kind);
    cJSON_AddStringToObject(event, "message", message);
    rn_trace(r, "failure", event);
}

void rn_step_label(const struct rn_runner *r, size_t step, char *out, size_t out_size) {
    const struct scn_step *s = &r->scn->steps[step];
    const char *what = s->timing == SCN_UNTIL ? "until" : scn_action_key(s->action.kind);
    snprintf(out, out_size, "step %zu%s%s%s (%s:%u:%u) %s", step + 1, s->id ? " '" : "",
             s->id ? s->id : "", s->id ? "'" : "", r->scn->source, s->loc.line, s->loc.column,
             what);
}

bool rn_add_timer(struct rn_runner *r, int64_t t, enum rn_timer_kind kind, size_t step,
                  uint64_t number) {
    struct rn_timer timer = {.t = t, .kind = kind, .step = step, .number = number};
    return RN_PUSH(r->timers, r->timer_count, r->timer_cap, timer);
}

// ---- before the run ----

static int preflight(struct rn_runner *r) {
    const struct scn_scenario *s = r->scn;
    int problems = 0;
    for (size_t i = 0; i < s->step_count; i++) {
        const struct scn_step *step = &s->steps[i];
        const char *why = NULL;
        if (step->timing != SCN_UNTIL && !rn_action_supported(r, &step->action, &why)) {
            rn_fail(r, "unsupported", "%s:%u:%u: %s is not supported in this build: %s", s->source,
                    step->action.loc.line, step->action.loc.column,
                    scn_action_key(step->action.kind), why);
            r->unsupported = true;
        }
        bool service = step->action.kind == SCN_ACT_DESIRED ||
                       step->action.kind == SCN_ACT_METHOD || step->action.kind == SCN_ACT_C2D ||
                       step->action.kind == SCN_ACT_C2D_BURST ||
                       (step->timing == SCN_UNTIL && step->until.kind == SCN_COND_TWIN);
        if (!r->hub_local && service) {
            rn_fail(r, "error",
                    "%s:%u:%u: this step needs the hub's service API, and spheresim scenario has "
                    "no credentials for a real hub (%s) yet",
                    s->source, step->loc.line, step->loc.column, s->hub.host);
            problems++;
        }
    }
    for (size_t i = 0; i < s->expectation_count; i++) {
        const struct scn_expectation *e = &s->expectations[i];
        if (!r->hub_local && (e->cond.kind == SCN_COND_TWIN || e->cond.kind == SCN_COND_METHOD)) {
            rn_fail(r, "error",
                    "%s:%u:%u: this expectation needs the hub's service API, which spheresim "
                    "scenario cannot use with a real hub yet",
                    s->source, e->loc.line, e->loc.column);
            problems++;
        }
        if (e->cond.kind == SCN_COND_LED && e->cond.led.blink) {
            r->blink_watch = true;
        }
    }
    if (access(r->cfg->spheresim, X_OK) != 0) {
        rn_fail(r, "error", "cannot run %s: %s", r->cfg->spheresim, strerror(errno));
        problems++;
    }
    return problems == 0 && !r->unsupported ? 0 : -1;
}

static int make_dirs(struct rn_runner *r) {
    const char *base = r->cfg->work_dir;
    if (base == NULL) {
        base = getenv("TMPDIR");
    }
    if (base == NULL || base[0] == '\0') {
        base = "/tmp";
    }
    int n = snprintf(r->root, sizeof(r->root), "%s/spheresim-scn-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof(r->root) - 64) {
        rn_fail(r, "error", "the temporary directory %s is too long a path", base);
        r->root[0] = '\0';
        return -1;
    }
    if (mkdtemp(r->root) == NULL) {
        rn_fail(r, "error", "cannot create a state directory in %s: %s", base, strerror(errno));
        r->root[0] = '\0';
        return -1;
    }
    snprintf(r->home, sizeof(r->home), "%s/home", r->root);
    snprintf(r->hub_dir, sizeof(r->hub_dir), "%s/hub", r->root);
    if (mkdir(r->home, 0700) != 0) {
        rn_fail(r, "error", "cannot create %s: %s", r->home, strerror(errno));
        return -1;
    }
    return 0;
}

// ---- the loop ----

static int64_t time_ref(const struct rn_runner *r, const struct scn_time_ref *ref) {
    return ref->is_step ? r->step_t[ref->step.index] : (int64_t)ref->ms;
}

static void step_done(struct rn_runner *r, size_t i, int64_t now) {
    r->step_t[i] = now;
    r->next_step = i + 1;
}

static void run_steps(struct rn_runner *r, int64_t now) {
    while (r->next_step < r->scn->step_count && !r->steps_failed && !r->fatal) {
        size_t i = r->next_step;
        const struct scn_step *s = &r->scn->steps[i];
        char label[512];
        rn_step_label(r, i, label, sizeof(label));
        if (s->timing == SCN_UNTIL) {
            if (r->wait_start == RN_NEVER) {
                r->wait_start = now;
                rn_progress(r, "%s: waiting up to %" PRIu64 " ms", label, s->within_ms);
            }
            // What happened since the scenario last acted counts: "kick, then until connected"
            // waits for a new connection, and a device that was quicker than the step before
            // the wait is not missed.
            char detail[512];
            r->evaluating_until = true;
            bool holds = rn_cond_eval(r, &s->until, s->until.device_index, r->last_action_t, now,
                                      detail, sizeof(detail));
            r->evaluating_until = false;
            if (holds) {
                rn_progress(r, "%s: holds (%s)", label, detail);
                cJSON *event = cJSON_CreateObject();
                cJSON_AddNumberToObject(event, "step", (double)i + 1);
                cJSON_AddStringToObject(event, "detail", detail);
                rn_trace(r, "until-done", event);
                r->wait_start = RN_NEVER;
                step_done(r, i, now);
                continue;
            }
            if (now > r->wait_start + (int64_t)s->within_ms + SETTLE_MS) {
                rn_fail(r, "step", "%s: did not hold within %" PRIu64 " ms (at %.3f s: %s)", label,
                        s->within_ms, now / 1000.0, detail);
            }
            return;
        }
        int64_t due = s->timing == SCN_AT ? (int64_t)s->time_ms
                                          : (i == 0 ? 0 : r->step_t[i - 1]) + (int64_t)s->time_ms;
        if (now < due) {
            return;
        }
        char what[256];
        rn_describe_action(&s->action, what, sizeof(what));
        rn_progress(r, "step %zu%s%s%s (%s:%u:%u): %s%s%s", i + 1, s->id ? " '" : "",
                    s->id ? s->id : "", s->id ? "'" : "", r->scn->source, s->loc.line,
                    s->loc.column, what, s->note ? " - " : "", s->note ? s->note : "");
        cJSON *event = cJSON_CreateObject();
        cJSON_AddNumberToObject(event, "step", (double)i + 1);
        cJSON_AddNumberToObject(event, "line", s->loc.line);
        cJSON_AddStringToObject(event, "action", scn_action_key(s->action.kind));
        cJSON_AddStringToObject(event, "description", what);
        if (s->device_id != NULL) {
            cJSON_AddStringToObject(event, "device", s->device_id);
        }
        if (s->note != NULL) {
            cJSON_AddStringToObject(event, "note", s->note);
        }
        rn_trace(r, "step", event);
        step_done(r, i, now);
        r->last_action_t = now;
        for (size_t d = 0; d < r->device_count; d++) {
            r->devices[d].until_log_mark = r->devices[d].log_count;
        }
        rn_action_run(r, i);
    }
}

static void fire_timers(struct rn_runner *r, int64_t now) {
    // Firing may add timers (a burst's next message), which may move the array.
    for (size_t i = 0; i < r->timer_count; i++) {
        if (!r->timers[i].done && r->timers[i].t <= now) {
            r->timers[i].done = true;
            struct rn_timer timer = r->timers[i];
            rn_timer_fire(r, &timer);
        }
    }
}

static void decide(struct rn_runner *r, size_t i, enum rn_verdict verdict, int64_t t,
                   const char *detail) {
    const struct scn_expectation *e = &r->scn->expectations[i];
    struct rn_expect_state *st = &r->expect[i];
    st->verdict = verdict;
    st->decided_t = t;
    char what[160];
    snprintf(what, sizeof(what), "expectation %zu%s%s%s (%s:%u:%u) %s %s", i + 1,
             e->name ? " \"" : "", e->name ? e->name : "", e->name ? "\"" : "", r->scn->source,
             e->loc.line, e->loc.column, e->form == SCN_ALWAYS ? "always" : "eventually",
             scn_condition_key(e->cond.kind));
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "expectation", (double)i + 1);
    cJSON_AddNumberToObject(event, "line", e->loc.line);
    cJSON_AddStringToObject(event, "verdict", verdict == RN_PASSED ? "passed" : "failed");
    cJSON_AddNumberToObject(event, "at", (double)t);
    cJSON_AddStringToObject(event, "detail", detail);
    size_t index = rn_trace(r, "expectation", event);
    if (verdict == RN_PASSED) {
        r->result->expectations_passed++;
        rn_progress(r, "PASS %s: %s", what, detail);
        return;
    }
    r->result->expectations_failed++;
    rn_fail(r, "expectation", "%s: %s at device time %.3f s (trace event %zu)", what, detail,
            t / 1000.0, index);
}

static bool is_led(const struct scn_expectation *e) {
    return e->cond.kind == SCN_COND_LED;
}

static void evaluate(struct rn_runner *r, int64_t now, bool all, bool final) {
    for (size_t i = 0; i < r->scn->expectation_count; i++) {
        const struct scn_expectation *e = &r->scn->expectations[i];
        struct rn_expect_state *st = &r->expect[i];
        if (st->verdict != RN_UNDECIDED || (!all && !is_led(e))) {
            continue;
        }
        int64_t from = time_ref(r, &e->from);
        if (from == RN_NEVER) {
            if (final) {
                decide(r, i, RN_FAILED, now, "its `from` step never ran");
            }
            continue;
        }
        if (now < from) {
            continue;
        }
        char *detail = st->last_detail;
        size_t size = sizeof(st->last_detail);
        size_t device = e->cond.device_index;
        if (e->form == SCN_EVENTUALLY) {
            int64_t deadline = from + (int64_t)e->within_ms;
            int64_t to = now < deadline ? now : deadline;
            if (rn_cond_eval(r, &e->cond, device, from, to, detail, size)) {
                decide(r, i, RN_PASSED, to, detail);
            } else if (now >= deadline + SETTLE_MS || final) {
                char why[600];
                snprintf(why, sizeof(why), "did not hold within %" PRIu64 " ms: %s", e->within_ms,
                         detail);
                decide(r, i, RN_FAILED, to, why);
            }
            continue;
        }
        int64_t to = e->has_to ? time_ref(r, &e->to) : INT64_MAX;
        if (to != RN_NEVER && to != INT64_MAX && now > to) {
            if (now >= to + SETTLE_MS || final) {
                bool holds = rn_cond_eval(r, &e->cond, device, from, to, detail, size);
                decide(r, i, holds ? RN_PASSED : RN_FAILED, to, detail);
            }
            continue;
        }
        if (!rn_cond_eval(r, &e->cond, device, from, now, detail, size)) {
            char why[600];
            snprintf(why, sizeof(why), "stopped holding: %s", detail);
            decide(r, i, RN_FAILED, now, why);
        } else if (final) {
            decide(r, i, RN_PASSED, now, detail);
        }
    }
}

// Done when every step ran and every expectation is decided, except `always` without an end,
// which the end of the run decides.
static bool finished(const struct rn_runner *r) {
    if (r->next_step < r->scn->step_count) {
        return false;
    }
    for (size_t i = 0; i < r->scn->expectation_count; i++) {
        const struct scn_expectation *e = &r->scn->expectations[i];
        if (r->expect[i].verdict == RN_UNDECIDED && !(e->form == SCN_ALWAYS && !e->has_to)) {
            return false;
        }
    }
    return true;
}

static void run_loop(struct rn_runner *r) {
    int64_t limit = (int64_t)r->scn->time_limit_ms;
    for (;;) {
        if (rn_signalled()) {
            r->result->status = SCN_RUN_INTERRUPTED;
            rn_progress(r, "interrupted: stopping everything");
            return;
        }
        rn_devices_poll(r);
        rn_hub_poll(r);
        int64_t now = rn_now(r);
        if (r->fatal) {
            return;
        }
        fire_timers(r, now);
        rn_hangs_poll(r);
        run_steps(r, now);
        bool all = rn_mono_ms() >= r->next_eval;
        if (all) {
            r->next_eval = rn_mono_ms() + EVAL_PERIOD_MS;
        }
        evaluate(r, now, all, false);
        if (r->steps_failed) {
            return;
        }
        if (finished(r)) {
            evaluate(r, now, true, true);
            return;
        }
        if (now > limit) {
            rn_fail(r, "time-limit",
                    "the time limit of %" PRIu64
                    " ms passed (step %zu of %zu "
                    "had not run)",
                    r->scn->time_limit_ms, r->next_step + 1, r->scn->step_count);
            evaluate(r, now, true, true);
            return;
        }
        rn_wait(r, LOOP_WAIT_MS);
    }
}

// ---- after the run ----

static void collect_log_tail(struct rn_runner *r) {
    char *out = r->result->log_tail;
    size_t size = sizeof(r->result->log_tail);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->device_count; i++) {
        const struct rn_device *d = &r->devices[i];
        size_t first = d->log_count > 12 ? d->log_count - 12 : 0;
        for (size_t j = first; j < d->log_count && len + 1 < size; j++) {
            int n = snprintf(out + len, size - len, "%s: %.200s\n", d->def->id, d->logs[j].text);
            len += n > 0 ? (size_t)n : 0;
        }
    }
    if (len >= size) {
        out[size - 1] = '\0';
    }
}

static void skip_open_expectations(struct rn_runner *r) {
    for (size_t i = 0; i < r->scn->expectation_count; i++) {
        if (r->expect[i].verdict == RN_UNDECIDED) {
            r->expect[i].verdict = RN_SKIPPED;
            rn_progress(r, "skip expectation %zu (%s:%u:%u): the run stopped early", i + 1,
                        r->scn->source, r->scn->expectations[i].loc.line,
                        r->scn->expectations[i].loc.column);
        }
    }
}

static bool has_errors(const struct scn_run_result *out) {
    size_t shown =
        out->failure_count < SCN_RUN_MAX_FAILURES ? out->failure_count : SCN_RUN_MAX_FAILURES;
    for (size_t i = 0; i < shown; i++) {
        if (strcmp(out->failures[i].type, "unsupported") != 0) {
            return true;
        }
    }
    return false;
}

// Network toxics go through the device OS's fault proxy; a build without it cannot run them.
static bool needs_proxy(const struct rn_runner *r) {
    for (size_t i = 0; i < r->scn->step_count; i++) {
        enum scn_action_kind kind = r->scn->steps[i].action.kind;
        if (r->scn->steps[i].timing != SCN_UNTIL &&
            ((kind >= SCN_ACT_LATENCY && kind <= SCN_ACT_CUT_AFTER) ||
             kind == SCN_ACT_NETWORK_HEAL)) {
            return true;
        }
    }
    return false;
}

static bool proxy_available(struct rn_runner *r) {
    char err[512] = "";
    if (rn_ctl(r, 0, "{\"cmd\":\"proxy\",\"command\":\"stats\"}", NULL, err, sizeof(err)) == 0) {
        return true;
    }
    if (strstr(err, "unknown \"cmd\"") == NULL) {
        return true;  // the request exists; whatever failed will show at the step
    }
    r->unsupported = true;
    rn_fail(r, "unsupported",
            "%s: network faults (toxics) need the device OS's fault proxy (control request "
            "\"proxy\"), which this build does not have yet",
            r->scn->source);
    return false;
}

static uint64_t pick_seed(const struct scn_scenario *s, const struct scn_run_config *cfg) {
    if (cfg->has_seed) {
        return cfg->seed;
    }
    if (s->has_seed) {
        return s->seed;
    }
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
        seed = (uint64_t)rn_real_ms() ^ ((uint64_t)getpid() << 32);
    }
    return seed;
}

static void run_scenario(struct rn_runner *r) {
    if (rn_trace_open(r) != 0) {
        rn_fail(r, "error", "cannot write the trace %s: %s", r->cfg->trace_path, strerror(errno));
        r->result->status = SCN_RUN_ERROR;
        return;
    }
    r->updates = rn_update_needed(r);
    if (rn_hub_start(r) != 0 || (r->updates && rn_update_start(r) != 0) ||
        rn_devices_start(r) != 0) {
        r->result->status = rn_signalled() ? SCN_RUN_INTERRUPTED : SCN_RUN_ERROR;
        return;
    }
    if (needs_proxy(r) && !proxy_available(r)) {
        r->result->status = SCN_RUN_SKIPPED;
        return;
    }
    run_loop(r);
    // What the devices logged in answer to the last steps still belongs in the trace.
    int64_t drain_until = rn_mono_ms() + DRAIN_MS;
    while (!r->fatal && !rn_signalled() && rn_mono_ms() < drain_until) {
        rn_wait(r, LOOP_WAIT_MS);
        rn_devices_poll(r);
    }
}

void scn_run(const struct scn_scenario *scenario, const struct scn_run_config *config,
             struct scn_run_result *out) {
    memset(out, 0, sizeof(*out));
    struct rn_runner runner;
    struct rn_runner *r = &runner;
    memset(r, 0, sizeof(*r));
    r->scn = scenario;
    r->cfg = config;
    r->result = out;
    r->seed = pick_seed(scenario, config);
    r->hub_local = scenario->hub.kind == SCN_HUB_LOCAL;
    r->wait_start = RN_NEVER;
    out->seed = r->seed;
    out->status = SCN_RUN_PASSED;
    snprintf(out->replay, sizeof(out->replay), "%s --seed %" PRIu64,
             config->replay_prefix != NULL ? config->replay_prefix : "spheresim scenario", r->seed);
    int64_t started = rn_mono_ms();
    const char *old_home = getenv("SPHERESIM_HOME");
    char *saved_home = old_home != NULL ? strdup(old_home) : NULL;
    rn_install_signals();
    curl_global_init(CURL_GLOBAL_DEFAULT);

    r->device_count = scenario->device_count;
    r->devices = calloc(scenario->device_count, sizeof(*r->devices));
    r->step_t = malloc((scenario->step_count + 1) * sizeof(*r->step_t));
    r->applied = calloc(scenario->step_count + 1, sizeof(*r->applied));
    r->expect = calloc(scenario->expectation_count + 1, sizeof(*r->expect));
    if (r->devices == NULL || r->step_t == NULL || r->applied == NULL || r->expect == NULL) {
        rn_fail(r, "error", "out of memory");
        out->status = SCN_RUN_ERROR;
        goto out;
    }
    for (size_t i = 0; i < scenario->step_count; i++) {
        r->step_t[i] = RN_NEVER;
    }
    for (size_t i = 0; i < scenario->device_count; i++) {
        r->devices[i].index = i;
        r->devices[i].def = &scenario->devices[i];
        r->devices[i].out_fd = -1;
    }
    rn_progress(r, "scenario %s (%s), seed %" PRIu64, scenario->name, scenario->source, r->seed);
    if (preflight(r) == 0 && make_dirs(r) == 0) {
        setenv("SPHERESIM_HOME", r->home, 1);
    }
    if (r->result->failure_count == 0) {
        run_scenario(r);
    } else {
        out->status = SCN_RUN_ERROR;
    }
    if (r->unsupported && out->status == SCN_RUN_ERROR && !has_errors(out)) {
        out->status = SCN_RUN_SKIPPED;
    }
    if (r->steps_failed) {
        skip_open_expectations(r);
    }
    if (r->fatal && out->status == SCN_RUN_PASSED) {
        out->status = SCN_RUN_ERROR;
    }
    if (out->status == SCN_RUN_PASSED && out->failure_count > 0) {
        out->status = SCN_RUN_FAILED;
    }
    if (out->status == SCN_RUN_INTERRUPTED) {
        skip_open_expectations(r);
    }
    collect_log_tail(r);
    for (size_t i = 0; i < r->hang_count; i++) {
        if (!r->hangs[i].done) {
            kill(r->hangs[i].pid, SIGCONT);  // a stopped app could not take its SIGTERM
        }
    }
    rn_devices_stop(r);
    rn_update_stop(r);
    rn_hub_stop(r);
    rn_hub_free(r);
out:
    out->seconds = (double)(rn_mono_ms() - started) / 1000.0;
    rn_trace_close(r);
    if (config->keep || r->root[0] == '\0') {
        if (r->root[0] != '\0') {
            rn_progress(r, "state kept in %s", r->root);
        }
    } else {
        rn_remove_tree(r->root);
    }
    if (saved_home != NULL) {
        setenv("SPHERESIM_HOME", saved_home, 1);
    } else {
        unsetenv("SPHERESIM_HOME");
    }
    free(saved_home);
    curl_global_cleanup();
    rn_restore_signals();
    rn_devices_free(r);
    rn_cond_free(r);
    for (size_t i = 0; i < r->call_count; i++) {
        cJSON_Delete(r->calls[i].payload);
    }
    free(r->calls);
    free(r->c2d);
    free(r->hangs);
    free(r->timers);
    free(r->step_t);
    free(r->applied);
    free(r->expect);
}
