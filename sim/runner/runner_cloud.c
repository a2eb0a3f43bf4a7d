// SPDX-License-Identifier: MIT
// Hub actions, all through the hub's HTTP service API (docs/hub.md): the calls a back end makes
// (desired-property patches, direct methods, C2D messages) and the fault hooks (kick, throttle,
// twin and method drop or delay, broker restart, an untrusted server certificate). Calls run
// asynchronously; their answers are recorded for the method and c2d conditions and in the trace
// as the cloud side of the device's MQTT traffic.
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/runner_cloud.h"
#include "runner/runner_internal.h"

#define FAULT_TIMEOUT_MS 15000
#define RESTART_TIMEOUT_MS 70000
#define C2D_TTL_DEFAULT_S 3600
#define TRANSPORT_SLACK_MS 15000

static void step_failed(struct rn_runner *r, size_t step, const char *what, long status,
                        const char *body) {
    char label[256];
    rn_step_label(r, step, label, sizeof(label));
    if (status == 0) {
        rn_fail(r, "step", "%s: %s: the hub's service API did not answer", label, what);
    } else {
        rn_fail(r, "step", "%s: %s: the hub answered HTTP %ld: %.300s", label, what, status, body);
    }
}

static void on_fault(struct rn_runner *r, long status, const char *body, size_t device, size_t step,
                     uint64_t number) {
    (void)device;
    (void)number;
    if (status < 200 || status > 299) {
        step_failed(r, step, "fault hook", status, body);
    }
}

static void on_restart(struct rn_runner *r, long status, const char *body, size_t device,
                       size_t step, uint64_t number) {
    r->hub_restarting--;
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddNumberToObject(event, "status", (double)status);
    rn_trace(r, "broker-restarted", event);
    rn_progress(r, "broker restart finished (HTTP %ld)", status);
    on_fault(r, status, body, device, step, number);
}

static void on_server_ca(struct rn_runner *r, long status, const char *body, size_t device,
                         size_t step, uint64_t number) {
    r->hub_restarting--;
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddNumberToObject(event, "status", (double)status);
    cJSON_AddBoolToObject(event, "untrusted", number != 0);
    rn_trace(r, "server-ca-switched", event);
    rn_progress(r, "the broker now presents %s certificate (HTTP %ld)",
                number != 0 ? "an untrusted" : "the hub's", status);
    on_fault(r, status, body, device, step, number);
}

// untrusted_ca: the broker restarts presenting a certificate from a CA devices do not trust
// (untrusted), or the hub's own again. The service answers once the broker is back.
static int server_ca(struct rn_runner *r, size_t step, bool untrusted) {
    const char *body = untrusted ? "{\"ca\":\"untrusted\"}" : "{\"ca\":\"trusted\"}";
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddStringToObject(event, "fault", "server-ca");
    cJSON_AddItemToObject(event, "request", cJSON_Parse(body));
    rn_trace(r, "hub-fault", event);
    r->hub_restarting++;
    if (rn_http_start(r, "POST", "/spheresim/faults/server-ca", body, RESTART_TIMEOUT_MS,
                      on_server_ca, 0, step, untrusted ? 1 : 0) != 0) {
        r->hub_restarting--;
        step_failed(r, step, "server-ca", 0, "");
        return -1;
    }
    return 0;
}

static int post_fault(struct rn_runner *r, size_t step, const char *fault, cJSON *body) {
    char path[64];
    snprintf(path, sizeof(path), "/spheresim/faults/%s", fault);
    char *text = cJSON_PrintUnformatted(body);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddStringToObject(event, "fault", fault);
    cJSON_AddItemToObject(event, "request", body);
    rn_trace(r, "hub-fault", event);
    int result = text != NULL
                     ? rn_http_start(r, "POST", path, text, FAULT_TIMEOUT_MS, on_fault, 0, step, 0)
                     : -1;
    free(text);
    if (result != 0) {
        step_failed(r, step, fault, 0, "");
    }
    return result;
}

static cJSON *device_body(struct rn_runner *r, size_t step) {
    cJSON *body = cJSON_CreateObject();
    const struct scn_step *s = &r->scn->steps[step];
    cJSON_AddStringToObject(body, "deviceId", r->devices[s->device_index].device_id);
    return body;
}

static int set_mode(struct rn_runner *r, size_t step, const char *fault, const char *mode,
                    uint64_t delay_ms) {
    cJSON *body = device_body(r, step);
    cJSON_AddStringToObject(body, "mode", mode);
    if (strcmp(mode, "delay") == 0) {
        cJSON_AddNumberToObject(body, "delayMs", (double)delay_ms);
    }
    return post_fault(r, step, fault, body);
}

static int throttle(struct rn_runner *r, size_t step, uint64_t per_second) {
    const struct scn_action *a = &r->scn->steps[step].action;
    cJSON *body = device_body(r, step);
    cJSON_AddNumberToObject(
        body, a->throttle.what == SCN_THROTTLE_TWIN ? "twinPerSecond" : "telemetryPerSecond",
        (double)per_second);
    return post_fault(r, step, "throttle", body);
}

// ---- direct methods ----

static void on_method(struct rn_runner *r, long status, const char *body, size_t device,
                      size_t step, uint64_t number) {
    (void)device;
    struct rn_call *call = &r->calls[number];
    cJSON *reply = cJSON_Parse(body);
    call->done = true;
    call->http_status = status;
    call->t_done = rn_now(r);
    if (status == 200 && cJSON_IsObject(reply)) {
        const cJSON *device_status = cJSON_GetObjectItemCaseSensitive(reply, "status");
        call->status = cJSON_IsNumber(device_status) ? (int)device_status->valuedouble : 0;
        call->payload = cJSON_DetachItemFromObjectCaseSensitive(reply, "payload");
    } else {
        // The call failed at the hub (404 not online, 504 timed out): its HTTP status stands in.
        call->status = (int)status;
        call->payload = reply;
        reply = NULL;
    }
    cJSON_Delete(reply);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddNumberToObject(event, "status", call->status);
    cJSON_AddItemToObject(
        event, "payload",
        call->payload != NULL ? cJSON_Duplicate(call->payload, true) : cJSON_CreateNull());
    rn_trace(r, "method-result", event);
    char label[256];
    rn_step_label(r, step, label, sizeof(label));
    rn_progress(r, "%s returned status %d", label, call->status);
    if (r->scn->steps[step].action.kind == SCN_ACT_METHOD_TIMEOUT) {
        set_mode(r, step, "method", "normal", 0);
    }
}

static int invoke(struct rn_runner *r, size_t step) {
    const struct scn_step *s = &r->scn->steps[step];
    const struct scn_action *a = &s->action;
    struct rn_call call = {.step = step};
    if (!RN_PUSH(r->calls, r->call_count, r->call_cap, call)) {
        return -1;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "methodName", a->method.name);
    cJSON *payload = cJSON_Parse(a->method.payload_json != NULL ? a->method.payload_json : "null");
    cJSON_AddItemToObject(body, "payload", payload != NULL ? payload : cJSON_CreateNull());
    cJSON_AddNumberToObject(body, "responseTimeoutInSeconds",
                            (double)(a->method.timeout_ms / 1000));
    cJSON_AddNumberToObject(body, "connectTimeoutInSeconds",
                            (double)(a->method.connect_timeout_ms / 1000));
    char *text = cJSON_PrintUnformatted(body);
    char path[256];
    snprintf(path, sizeof(path), "/twins/%s/methods", r->devices[s->device_index].device_id);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddStringToObject(event, "device", r->devices[s->device_index].def->id);
    cJSON_AddStringToObject(event, "direction", "cloud-to-device");
    cJSON_AddItemToObject(event, "request", body);
    rn_trace(r, "method-call", event);
    long timeout = (long)(a->method.timeout_ms + a->method.connect_timeout_ms) + TRANSPORT_SLACK_MS;
    int result = text != NULL ? rn_http_start(r, "POST", path, text, timeout, on_method,
                                              s->device_index, step, r->call_count - 1)
                              : -1;
    free(text);
    if (result != 0) {
        step_failed(r, step, "method", 0, "");
    }
    return result;
}

// method_timeout: the method fault goes on first; the call is made once the hub took it.
static void on_method_fault(struct rn_runner *r, long status, const char *body, size_t device,
                            size_t step, uint64_t number) {
    (void)device;
    (void)number;
    if (status < 200 || status > 299) {
        step_failed(r, step, "method fault", status, body);
        return;
    }
    invoke(r, step);
}

// ---- C2D ----

static void on_c2d(struct rn_runner *r, long status, const char *body, size_t device, size_t step,
                   uint64_t number) {
    struct rn_device *d = &r->devices[device];
    struct rn_c2d *m = &r->c2d[number];
    d->c2d_sending--;
    m->http_status = status;
    cJSON *reply = cJSON_Parse(body);
    const cJSON *queued = cJSON_GetObjectItemCaseSensitive(reply, "queued");
    if (status == 200 && cJSON_IsNumber(queued)) {
        if (queued->valuedouble == 0) {
            m->state = RN_C2D_COMPLETED;  // handed to the connected device at once
        } else {
            m->state = RN_C2D_QUEUED;
            d->c2d_queued_total++;
            m->queued_upto = d->c2d_queued_total;
        }
    } else {
        m->state = RN_C2D_REFUSED;
    }
    cJSON_Delete(reply);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddNumberToObject(event, "number", (double)m->number);
    cJSON_AddNumberToObject(event, "status", (double)status);
    cJSON_AddStringToObject(event, "state",
                            m->state == RN_C2D_COMPLETED ? "completed"
                            : m->state == RN_C2D_QUEUED  ? "queued"
                                                         : "refused");
    rn_trace(r, "c2d-sent", event);
}

// Replaces each "{n}" in text with number.
static void burst_text(const char *text, uint64_t number, char *out, size_t out_size) {
    size_t len = 0;
    out[0] = '\0';
    for (const char *p = text; *p != '\0' && len + 1 < out_size;) {
        if (strncmp(p, "{n}", 3) == 0) {
            int n = snprintf(out + len, out_size - len, "%" PRIu64, number);
            len += n > 0 && (size_t)n < out_size - len ? (size_t)n : 0;
            p += 3;
        } else {
            out[len++] = *p++;
            out[len] = '\0';
        }
    }
}

static int send_c2d(struct rn_runner *r, size_t step, uint64_t number) {
    const struct scn_step *s = &r->scn->steps[step];
    const struct scn_action *a = &s->action;
    struct rn_device *d = &r->devices[s->device_index];
    struct rn_c2d m = {.step = step,
                       .device = s->device_index,
                       .number = number,
                       .sent_t = rn_now(r),
                       .ttl_ms = a->c2d.has_ttl ? a->c2d.ttl_ms : C2D_TTL_DEFAULT_S * 1000ull};
    if (!RN_PUSH(r->c2d, r->c2d_count, r->c2d_cap, m)) {
        return -1;
    }
    cJSON *body = cJSON_CreateObject();
    size_t size = SCN_MAX_SCALAR + 64;
    char *text = malloc(size);
    if (text == NULL) {
        cJSON_Delete(body);
        return -1;
    }
    if (a->c2d.body_json != NULL) {
        snprintf(text, size, "%s", a->c2d.body_json);
    } else {
        burst_text(a->c2d.text != NULL ? a->c2d.text : "", number, text, size);
    }
    cJSON_AddStringToObject(body, "body", text);
    free(text);
    if (a->c2d.property_count > 0) {
        cJSON *props = cJSON_AddObjectToObject(body, "properties");
        for (size_t i = 0; i < a->c2d.property_count; i++) {
            cJSON_AddStringToObject(props, a->c2d.properties[i].name, a->c2d.properties[i].value);
        }
    }
    cJSON_AddNumberToObject(body, "ttlSeconds", (double)(m.ttl_ms / 1000));
    char *request = cJSON_PrintUnformatted(body);
    char path[256];
    snprintf(path, sizeof(path), "/spheresim/devices/%s/messages", d->device_id);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddStringToObject(event, "device", d->def->id);
    cJSON_AddStringToObject(event, "direction", "cloud-to-device");
    cJSON_AddItemToObject(event, "message", body);
    rn_trace(r, "c2d", event);
    int result = request != NULL ? rn_http_start(r, "POST", path, request, FAULT_TIMEOUT_MS, on_c2d,
                                                 s->device_index, step, r->c2d_count - 1)
                                 : -1;
    free(request);
    if (result == 0) {
        d->c2d_sending++;
    } else {
        r->c2d[r->c2d_count - 1].state = RN_C2D_REFUSED;
        step_failed(r, step, "c2d", 0, "");
    }
    return result;
}

void rn_cloud_c2d_next(struct rn_runner *r, size_t step, uint64_t number) {
    const struct scn_action *a = &r->scn->steps[step].action;
    for (;;) {
        send_c2d(r, step, number);
        if (number >= a->c2d.count) {
            return;
        }
        number++;
        if (a->c2d.interval_ms > 0) {
            rn_add_timer(r, rn_now(r) + (int64_t)a->c2d.interval_ms, RN_TIMER_C2D_NEXT, step,
                         number);
            return;
        }
    }
}

// ---- desired properties ----

static void on_desired(struct rn_runner *r, long status, const char *body, size_t device,
                       size_t step, uint64_t number) {
    (void)device;
    (void)number;
    if (status != 200) {
        step_failed(r, step, "desired patch", status, body);
    }
}

static int patch_desired(struct rn_runner *r, size_t step) {
    const struct scn_step *s = &r->scn->steps[step];
    cJSON *patch = cJSON_Parse(s->action.desired.patch_json);
    cJSON *body = cJSON_CreateObject();
    cJSON *props = cJSON_AddObjectToObject(body, "properties");
    cJSON_AddItemToObject(props, "desired", patch != NULL ? patch : cJSON_CreateObject());
    char *text = cJSON_PrintUnformatted(body);
    char path[256];
    snprintf(path, sizeof(path), "/twins/%s", r->devices[s->device_index].device_id);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddStringToObject(event, "device", r->devices[s->device_index].def->id);
    cJSON_AddStringToObject(event, "direction", "cloud-to-device");
    cJSON_AddItemToObject(event, "desired", cJSON_Duplicate(patch, true));
    rn_trace(r, "twin-desired", event);
    cJSON_Delete(body);
    int result = text != NULL ? rn_http_start(r, "PATCH", path, text, FAULT_TIMEOUT_MS, on_desired,
                                              s->device_index, step, 0)
                              : -1;
    free(text);
    if (result != 0) {
        step_failed(r, step, "desired patch", 0, "");
    }
    return result;
}

int rn_cloud_action(struct rn_runner *r, size_t step) {
    const struct scn_action *a = &r->scn->steps[step].action;
    switch (a->kind) {
        case SCN_ACT_BROKER_RESTART: {
            r->hub_restarting++;
            if (a->broker.down_ms == 0) {
                cJSON *event = cJSON_CreateObject();
                cJSON_AddNumberToObject(event, "step", (double)step + 1);
                rn_trace(r, "hub-fault", event);
                if (rn_http_start(r, "POST", "/spheresim/faults/broker-restart", "{}",
                                  RESTART_TIMEOUT_MS, on_restart, 0, step, 0) != 0) {
                    r->hub_restarting--;
                    step_failed(r, step, "broker-restart", 0, "");
                    return -1;
                }
                return 0;
            }
            char err[512];
            if (rn_hub_broker_stop(r, err, sizeof(err)) != 0) {
                r->hub_restarting--;
                char label[256];
                rn_step_label(r, step, label, sizeof(label));
                rn_fail(r, "step", "%s: cannot stop the broker: %s", label, err);
                return -1;
            }
            rn_progress(r, "  broker stopped; it starts again in %" PRIu64 " ms",
                        a->broker.down_ms);
            rn_add_timer(r, rn_now(r) + (int64_t)a->broker.down_ms, RN_TIMER_BROKER_START, step, 0);
            return 0;
        }
        case SCN_ACT_UNTRUSTED_CA:
            return server_ca(r, step, true);
        case SCN_ACT_KICK:
            return post_fault(r, step, "kick", device_body(r, step));
        case SCN_ACT_THROTTLE:
            return throttle(r, step, a->throttle.per_second);
        case SCN_ACT_TWIN_DROP:
            return set_mode(r, step, "twin", "drop", 0);
        case SCN_ACT_TWIN_DELAY:
            return set_mode(r, step, "twin", "delay", a->twin_delay.delay_ms);
        case SCN_ACT_METHOD_TIMEOUT: {
            cJSON *body = device_body(r, step);
            cJSON_AddStringToObject(body, "mode", "drop");
            char *text = cJSON_PrintUnformatted(body);
            cJSON_Delete(body);
            int result = text != NULL ? rn_http_start(r, "POST", "/spheresim/faults/method", text,
                                                      FAULT_TIMEOUT_MS, on_method_fault, 0, step, 0)
                                      : -1;
            free(text);
            return result;
        }
        case SCN_ACT_C2D_BURST:
        case SCN_ACT_C2D:
            rn_cloud_c2d_next(r, step, 1);
            return 0;
        case SCN_ACT_DESIRED:
            return patch_desired(r, step);
        case SCN_ACT_METHOD:
            return invoke(r, step);
        default: {
            char label[256];
            rn_step_label(r, step, label, sizeof(label));
            rn_fail(r, "step", "%s: not supported by this runner", label);
            return -1;
        }
    }
}

void rn_cloud_revert(struct rn_runner *r, size_t step) {
    switch (r->scn->steps[step].action.kind) {
        case SCN_ACT_THROTTLE:
            throttle(r, step, 0);
            break;
        case SCN_ACT_TWIN_DROP:
        case SCN_ACT_TWIN_DELAY:
            set_mode(r, step, "twin", "normal", 0);
            break;
        case SCN_ACT_UNTRUSTED_CA:
            server_ca(r, step, false);
            break;
        default:
            break;
    }
}
