// SPDX-License-Identifier: MIT
// libFuzzer target for the scenario parser (sim/runner): scenario files come from whoever writes
// the tests, so the parser must survive anything. Besides the sanitizers it checks the parser's
// promises: a refusal is one line starting "fuzz.yaml:<line>:<column>: expected", and an
// accepted model is consistent (every reference resolved in range, times within the limit, every
// string readable), which is what the runner relies on.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_scenario: broken promise: %s\n", what);
        abort();
    }
}

static void check_reason(enum scn_result rc, const char *err, size_t err_size) {
    size_t len = strnlen(err, err_size);
    check(len > 0 && len < err_size, "a refusal without a terminated reason");
    for (size_t i = 0; i < len; i++) {
        check((unsigned char)err[i] >= 0x20 && err[i] != 0x7f, "a control byte in the reason");
    }
    if (rc == SCN_ERR_NOMEM) {
        return;
    }
    unsigned line = 0, column = 0;
    int consumed = 0;
    check(sscanf(err, "fuzz.yaml:%u:%u: %n", &line, &column, &consumed) == 2 && consumed > 0,
          "a reason without file:line:column");
    check(line >= 1 && column >= 1, "a 0 line or column");
    check(strncmp(err + consumed, "expected ", 9) == 0,
          "a reason that does not say what was expected");
}

static size_t touch(const char *s) {
    return s != NULL ? strlen(s) : 0;
}

static size_t touch_condition(const struct scn_scenario *s, const struct scn_condition *c) {
    size_t n = touch(c->device_id) + touch(c->pattern) + touch(c->capability) + touch(c->led.name) +
               touch(c->exit.reason);
    check(c->kind > SCN_COND_NONE && c->kind < SCN_COND_KIND_COUNT, "a condition without a kind");
    check(c->device_index < s->device_count, "a condition's device out of range");
    for (size_t i = 0; i < c->fields.count; i++) {
        n += touch(c->fields.items[i].path) + touch(c->fields.items[i].value.string);
    }
    if (c->kind == SCN_COND_METHOD) {
        check(c->method.call.index < s->step_count, "a method call out of range");
    }
    if (c->kind == SCN_COND_C2D) {
        check(c->c2d.message.index < s->step_count, "a C2D message out of range");
    }
    return n;
}

static void check_model(const struct scn_scenario *s) {
    size_t n = touch(s->name) + touch(s->description) + touch(s->hub.host);
    check(s->device_count >= 1, "a scenario without devices");
    for (size_t i = 0; i < s->tag_count; i++) {
        n += touch(s->tags[i]);
    }
    for (size_t i = 0; i < s->device_count; i++) {
        const struct scn_device *d = &s->devices[i];
        n += touch(d->id) + touch(d->app) + touch(d->manifest) + touch(d->storage_image);
        for (size_t j = 0; j < d->cmd_arg_count; j++) {
            n += touch(d->cmd_args[j]);
        }
    }
    uint64_t previous = 0;
    for (size_t i = 0; i < s->step_count; i++) {
        const struct scn_step *st = &s->steps[i];
        const struct scn_action *a = &st->action;
        check(st->earliest_ms >= previous, "a timeline that runs backwards");
        check(st->earliest_ms < s->time_limit_ms, "a step past the time limit");
        previous = st->earliest_ms;
        check(st->device_index < s->device_count, "a step's device out of range");
        n += touch(st->id) + touch(st->note) + touch(a->dns.host) + touch(a->method.name) +
             touch(a->method.payload_json) + touch(a->c2d.text) + touch(a->c2d.body_json) +
             touch(a->desired.patch_json) + touch(a->update.image);
        for (size_t j = 0; j < a->c2d.property_count; j++) {
            n += touch(a->c2d.properties[j].name) + touch(a->c2d.properties[j].value);
        }
        if (st->timing == SCN_UNTIL) {
            check(a->kind == SCN_ACT_NONE, "an until step with an action");
            n += touch_condition(s, &st->until);
        } else {
            check(a->kind > SCN_ACT_NONE && a->kind < SCN_ACT_KIND_COUNT, "a step without action");
            check(a->probability >= 0.0 && a->probability <= 1.0, "a probability out of range");
        }
    }
    for (size_t i = 0; i < s->expectation_count; i++) {
        const struct scn_expectation *e = &s->expectations[i];
        n += touch(e->name) + touch_condition(s, &e->cond);
        check(!e->from.is_step || e->from.step.index < s->step_count,
              "a window start out of range");
        check(!e->to.is_step || e->to.step.index < s->step_count, "a window end out of range");
    }
    (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const struct scn_variable vars[] = {{"build", "/build"}};
    static const struct scn_options opts = {vars, 1};
    struct scn_scenario s;
    char err[1024];
    enum scn_result rc =
        scn_parse((const char *)data, size, "fuzz.yaml", &opts, &s, err, sizeof(err));
    if (rc != SCN_OK) {
        check_reason(rc, err, sizeof(err));
        check(s.arena == NULL && s.step_count == 0, "a refused scenario that holds something");
        return 0;
    }
    check_model(&s);
    scn_scenario_free(&s);
    return 0;
}
