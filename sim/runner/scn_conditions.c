// SPDX-License-Identifier: MIT
// Conditions (what can be true of a device, the hub or the board at a moment or over a window)
// and the expectations built from them: `eventually` within a time, or `always` during a window.
// The same conditions serve `until` steps. Field conditions (a body path or a message property,
// one comparison) are checked here as far as the file alone allows: paths parse, regexes
// compile, ordered comparisons get numbers.
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "runner/scn_internal.h"

#define C(field) offsetof(struct scn_condition, field)
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

enum { COND_LOCAL_HUB = 1u << 0 };

typedef enum scn_result (*cond_check)(struct scn_ctx *c, const struct scn_node *value,
                                      struct scn_condition *cond, uint64_t seen);

struct cond_spec {
    const char *key;
    unsigned flags;
    const struct scn_param *params;
    size_t param_count;
    cond_check check;
};

// ---- counts ----

enum scn_result scn_parse_count(struct scn_ctx *c, const struct scn_node *n,
                                struct scn_count *out) {
    memset(out, 0, sizeof(*out));
    if (n->type == SCN_NODE_SCALAR) {
        if (!n->plain || !scn_parse_u64(n->text, &out->min)) {
            return scn_expected(c, n, "a count (a whole number, or at_least/at_most)");
        }
        out->max = out->min;
        out->has_min = out->has_max = true;
        return SCN_OK;
    }
    static const struct scn_param params[] = {
        {"at_least", SCN_P_U64, offsetof(struct scn_count, min),
         offsetof(struct scn_count, has_min), false, 0, 0, NULL, NULL},
        {"at_most", SCN_P_U64, offsetof(struct scn_count, max), offsetof(struct scn_count, has_max),
         false, 0, 0, NULL, NULL},
    };
    enum scn_result rc = scn_parse_params(c, n, "count", params, COUNT_OF(params), out, NULL);
    if (rc != SCN_OK) {
        return rc;
    }
    if (!out->has_min && !out->has_max) {
        return scn_expected(c, n, "at_least or at_most in the count");
    }
    if (out->has_min && out->has_max && out->min > out->max) {
        return scn_expected(c, scn_map_get(n, "at_most"), "at_most not below at_least");
    }
    return SCN_OK;
}

static enum scn_result read_count(struct scn_ctx *c, const struct scn_node *n, void *base) {
    return scn_parse_count(c, n, &((struct scn_condition *)base)->count);
}

// ---- field conditions ----

static const char *const cmp_keys[] = {"eq", "ne", "lt", "le", "gt", "ge", "matches", "exists"};

static enum scn_result check_regex(struct scn_ctx *c, const struct scn_node *n) {
    if (n->type != SCN_NODE_SCALAR || n->len == 0 || n->len > SCN_MAX_REGEX) {
        return scn_expected(c, n, "a regular expression of 1 to 1024 characters");
    }
    regex_t re;
    int rc = regcomp(&re, n->text, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[128], got[160];
        regerror(rc, &re, why, sizeof(why));
        return scn_fail(c, n->loc, SCN_ERR_SCHEMA,
                        "expected a POSIX extended regular expression, got %s (%s)",
                        scn_describe(n, got, sizeof(got)), why);
    }
    regfree(&re);
    return SCN_OK;
}

static enum scn_result parse_field_target(struct scn_ctx *c, const struct scn_node *n,
                                          bool allow_property, struct scn_field_cond *out,
                                          const struct scn_node **out_other) {
    const struct scn_node *path = scn_map_get(n, "path");
    const struct scn_node *prop = allow_property ? scn_map_get(n, "property") : NULL;
    if ((path == NULL) == (prop == NULL)) {
        return scn_fail(c, n->loc, SCN_ERR_SCHEMA, "expected %s in the field condition, got %s",
                        allow_property ? "exactly one of path or property" : "a path",
                        path == NULL ? "neither" : "both");
    }
    const struct scn_node *target = path != NULL ? path : prop;
    const char *why = "expected a property name";
    if (target->type != SCN_NODE_SCALAR ||
        (path != NULL ? !scn_field_path_ok(target->text, &why)
                      : (target->len == 0 || target->len > 128))) {
        return scn_expected(c, target, why + strlen("expected "));
    }
    out->loc = n->loc;
    out->source = path != NULL ? SCN_FIELD_BODY : SCN_FIELD_PROPERTY;
    out->path = target->text;
    *out_other = target;
    return SCN_OK;
}

static enum scn_result parse_field_cond(struct scn_ctx *c, const struct scn_node *n,
                                        bool allow_property, struct scn_field_cond *out) {
    if (n->type != SCN_NODE_MAP) {
        return scn_expected(c, n, "a field condition such as {path: temperature, gt: 30}");
    }
    const struct scn_node *target;
    enum scn_result rc = parse_field_target(c, n, allow_property, out, &target);
    if (rc != SCN_OK) {
        return rc;
    }
    const struct scn_node *op = NULL;
    for (const struct scn_node *k = n->first; k != NULL; k = k->next->next) {
        if (k->next == target) {
            continue;
        }
        size_t i = 0;
        while (i < COUNT_OF(cmp_keys) && strcmp(cmp_keys[i], k->text) != 0) {
            ++i;
        }
        if (i == COUNT_OF(cmp_keys)) {
            const char *known[COUNT_OF(cmp_keys) + 2];
            size_t m = 0;
            known[m++] = "path";
            if (allow_property) {
                known[m++] = "property";
            }
            for (size_t j = 0; j < COUNT_OF(cmp_keys); ++j) {
                known[m++] = cmp_keys[j];
            }
            return scn_unknown_key(c, k, "a field condition", known, m);
        }
        if (op != NULL) {
            return scn_fail(c, k->loc, SCN_ERR_SCHEMA,
                            "expected one comparison in a field condition, got %s and %s", op->text,
                            k->text);
        }
        op = k;
        out->op = (enum scn_compare_op)i;
    }
    if (op == NULL) {
        return scn_fail(c, n->loc, SCN_ERR_SCHEMA,
                        "expected a comparison (eq, ne, lt, le, gt, ge, matches or exists) in the "
                        "field condition, got none");
    }
    const struct scn_node *v = op->next;
    switch (out->op) {
        case SCN_CMP_EQ:
        case SCN_CMP_NE:
            if (v->type != SCN_NODE_SCALAR) {
                return scn_expected(c, v, "a number, text, true, false or null to compare with");
            }
            scn_scalar_value(c, v, &out->value);
            return SCN_OK;
        case SCN_CMP_LT:
        case SCN_CMP_LE:
        case SCN_CMP_GT:
        case SCN_CMP_GE:
            if (v->type != SCN_NODE_SCALAR || !v->plain ||
                !scn_parse_number(v->text, &out->value.number)) {
                return scn_expected(c, v, "a number to compare with");
            }
            out->value.kind = SCN_VALUE_NUMBER;
            out->value.string = v->text;
            return SCN_OK;
        case SCN_CMP_MATCHES:
            rc = check_regex(c, v);
            out->value.kind = SCN_VALUE_STRING;
            out->value.string = v->text;
            return rc;
        case SCN_CMP_EXISTS:
            if (v->type != SCN_NODE_SCALAR || !v->plain ||
                (strcmp(v->text, "true") != 0 && strcmp(v->text, "false") != 0)) {
                return scn_expected(c, v, "true or false");
            }
            out->value.kind = SCN_VALUE_BOOL;
            out->value.boolean = v->text[0] == 't';
            return SCN_OK;
    }
    return SCN_OK;
}

static enum scn_result parse_field_list(struct scn_ctx *c, const struct scn_node *n,
                                        bool allow_property, struct scn_field_conds *out) {
    if (n->type != SCN_NODE_SEQ || n->count == 0) {
        return scn_expected(c, n, "a list of field conditions such as - {path: x, eq: 1}");
    }
    out->items = scn_arena_array(c->arena, n->count, sizeof(*out->items));
    if (out->items == NULL) {
        return scn_fail(c, n->loc, SCN_ERR_NOMEM, "out of memory");
    }
    for (const struct scn_node *item = n->first; item != NULL; item = item->next) {
        enum scn_result rc = parse_field_cond(c, item, allow_property, &out->items[out->count]);
        if (rc != SCN_OK) {
            return rc;
        }
        out->count++;
    }
    return SCN_OK;
}

static enum scn_result read_where(struct scn_ctx *c, const struct scn_node *n, void *base) {
    return parse_field_list(c, n, true, &((struct scn_condition *)base)->fields);
}

static enum scn_result read_body_fields(struct scn_ctx *c, const struct scn_node *n, void *base) {
    return parse_field_list(c, n, false, &((struct scn_condition *)base)->fields);
}

static enum scn_result read_order(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_condition *cond = base;
    if (n->type != SCN_NODE_MAP || n->count != 1) {
        return scn_expected(c, n, "{path: <field>} or {property: <name>} to order by");
    }
    const struct scn_node *target;
    return parse_field_target(c, n, true, &cond->telemetry.order, &target);
}

static enum scn_result read_device(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_condition *cond = base;
    if (n->type != SCN_NODE_SCALAR || !scn_id_ok(n->text)) {
        return scn_expected(c, n, "a device id");
    }
    cond->device_id = n->text;
    cond->device_loc = n->loc;
    return SCN_OK;
}

static enum scn_result read_step_ref(struct scn_ctx *c, const struct scn_node *n,
                                     struct scn_step_ref *out) {
    if (n->type != SCN_NODE_SCALAR || !scn_id_ok(n->text)) {
        return scn_expected(c, n, "the id of a step");
    }
    out->id = n->text;
    out->loc = n->loc;
    return SCN_OK;
}

static enum scn_result read_call(struct scn_ctx *c, const struct scn_node *n, void *base) {
    return read_step_ref(c, n, &((struct scn_condition *)base)->method.call);
}

static enum scn_result read_message(struct scn_ctx *c, const struct scn_node *n, void *base) {
    return read_step_ref(c, n, &((struct scn_condition *)base)->c2d.message);
}

static const char *const rdb_leds[] = {
    "LED1_RED",           "LED1_GREEN",           "LED1_BLUE",
    "LED2_RED",           "LED2_GREEN",           "LED2_BLUE",
    "LED3_RED",           "LED3_GREEN",           "LED3_BLUE",
    "LED4_RED",           "LED4_GREEN",           "LED4_BLUE",
    "STATUS_LED_RED",     "STATUS_LED_GREEN",     "STATUS_LED_BLUE",
    "NETWORKING_LED_RED", "NETWORKING_LED_GREEN", "NETWORKING_LED_BLUE",
};

static enum scn_result read_led_name(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_condition *cond = base;
    for (size_t i = 0; n->type == SCN_NODE_SCALAR && i < COUNT_OF(rdb_leds); ++i) {
        if (strcmp(n->text, rdb_leds[i]) == 0) {
            cond->led.name = n->text;
            return SCN_OK;
        }
    }
    char got[160];
    const char *near =
        n->type == SCN_NODE_SCALAR ? scn_suggest(n->text, rdb_leds, COUNT_OF(rdb_leds)) : NULL;
    return scn_fail(c, n->loc, SCN_ERR_SCHEMA,
                    "expected an MT3620 RDB LED such as LED1_RED or STATUS_LED_GREEN, got %s%s%s%s",
                    scn_describe(n, got, sizeof(got)), near ? " (did you mean " : "",
                    near ? near : "", near ? "?)" : "");
}

static enum scn_result read_blink(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_condition *cond = base;
    static const struct scn_param params[] = {
        {"on", SCN_P_DURATION, C(led.on_ms), 0, true, 1, 3600000, NULL, NULL},
        {"off", SCN_P_DURATION, C(led.off_ms), 0, true, 1, 3600000, NULL, NULL},
        {"tolerance", SCN_P_DURATION, C(led.tolerance_ms), 0, false, 0, 3600000, NULL, NULL},
        {"cycles", SCN_P_U64, C(led.cycles), 0, false, 1, 100000, NULL, NULL},
    };
    cond->led.blink = true;
    cond->led.tolerance_ms = 50;
    cond->led.cycles = 2;
    return scn_parse_params(c, n, "blink pattern", params, COUNT_OF(params), base, NULL);
}

// The capability names the manifest uses, which is how the OS's audit names denials.
static const char *const capability_names[] = {
    "Gpio",
    "Uart",
    "I2cMaster",
    "SpiMaster",
    "Adc",
    "Pwm",
    "AllowedConnections",
    "AllowedTcpServerPorts",
    "AllowedUdpServerPorts",
    "AllowedApplicationConnections",
    "MutableStorage",
    "DeviceAuthentication",
    "SystemEventNotifications",
    "SoftwareUpdateDeferral",
    "NetworkConfig",
    "TimeSyncConfig",
    "SntpService",
    "DhcpService",
    "WifiConfig",
    "EnterpriseWifiConfig",
    "CertStore",
    "ReadNetworkProxyConfig",
    "SystemTime",
    "HardwareAddressConfig",
    "HeapMemStats",
    "PowerControls",
};

static enum scn_result read_capability(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_condition *cond = base;
    if (n->type != SCN_NODE_SCALAR || n->len == 0 || n->len > 300) {
        return scn_expected(c, n, "a capability such as Gpio:8 or AllowedConnections:host");
    }
    char head[64];
    size_t len = strcspn(n->text, ":");
    snprintf(head, sizeof(head), "%.*s", (int)(len < 63 ? len : 63), n->text);
    for (size_t i = 0; i < COUNT_OF(capability_names); ++i) {
        if (strcmp(head, capability_names[i]) == 0) {
            cond->capability = n->text;
            return SCN_OK;
        }
    }
    char got[160];
    const char *near = scn_suggest(head, capability_names, COUNT_OF(capability_names));
    return scn_fail(c, n->loc, SCN_ERR_SCHEMA,
                    "expected a manifest capability (Gpio, AllowedConnections, MutableStorage, "
                    "...), optionally with :value, got %s%s%s%s",
                    scn_describe(n, got, sizeof(got)), near ? " (did you mean " : "",
                    near ? near : "", near ? "?)" : "");
}

// The exits the OS files as failures (sim/os/supervisor.c); planned stops are not failures.
static const char *const failure_reasons[] = {"exit", "crash", "killed-after-sigterm-timeout",
                                              "crash-loop", "memory-budget"};

static enum scn_result read_reason(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_condition *cond = base;
    for (size_t i = 0; n->type == SCN_NODE_SCALAR && i < COUNT_OF(failure_reasons); ++i) {
        if (strcmp(n->text, failure_reasons[i]) == 0) {
            cond->exit.reason = n->text;
            return SCN_OK;
        }
    }
    return scn_expected(
        c, n,
        "reason to be one of exit, crash, killed-after-sigterm-timeout, crash-loop, memory-budget");
}

static enum scn_result read_open(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_condition *cond = base;
    cond->connections.has_open = true;
    return scn_parse_count(c, n, &cond->connections.open);
}

static enum scn_result read_total(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_condition *cond = base;
    cond->connections.has_total = true;
    return scn_parse_count(c, n, &cond->connections.total);
}

// ---- option tables ----

#define DEVICE \
    { "device", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_device }
#define COUNT(req) \
    { "count", SCN_P_CUSTOM, 0, 0, req, 0, 0, NULL, read_count }

static const struct scn_name outcomes[] = {
    {"completed", SCN_C2D_COMPLETED}, {"expired", SCN_C2D_EXPIRED}, {NULL, 0}};
static const struct scn_name led_states[] = {{"on", SCN_LED_ON}, {"off", SCN_LED_OFF}, {NULL, 0}};

static const struct scn_param p_telemetry[] = {
    DEVICE,
    COUNT(false),
    {"where", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_where},
    {"order", SCN_P_CUSTOM, 0, C(telemetry.has_order), false, 0, 0, NULL, read_order},
    {"no_loss", SCN_P_BOOL, C(telemetry.no_loss), 0, false, 0, 0, NULL, NULL},
    {"no_duplicates", SCN_P_BOOL, C(telemetry.no_duplicates), 0, false, 0, 0, NULL, NULL},
};
static const struct scn_param p_twin[] = {
    DEVICE,
    {"reported", SCN_P_CUSTOM, 0, 0, true, 0, 0, NULL, read_body_fields},
};
static const struct scn_param p_method[] = {
    {"call", SCN_P_CUSTOM, 0, 0, true, 0, 0, NULL, read_call},
    {"status", SCN_P_INT, C(method.status), C(method.has_status), false, -1e9, 1e9, NULL, NULL},
    {"payload", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_body_fields},
};
static const struct scn_param p_c2d[] = {
    {"message", SCN_P_CUSTOM, 0, 0, true, 0, 0, NULL, read_message},
    {"outcome", SCN_P_ENUM, C(c2d.outcome), 0, false, 0, 0, outcomes, NULL},
    COUNT(false),
};
static const struct scn_param p_led[] = {
    DEVICE,
    {"name", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_led_name},
    {"gpio", SCN_P_INT, C(led.gpio), 0, false, 0, 127, NULL, NULL},
    {"state", SCN_P_ENUM, C(led.state), 0, false, 0, 0, led_states, NULL},
    {"blink", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_blink},
};
static const struct scn_param p_app_exit[] = {
    DEVICE,
    {"code", SCN_P_INT, C(exit.code), C(exit.has_code), false, 0, 255, NULL, NULL},
    {"signal", SCN_P_SIGNAL, C(exit.signal), 0, false, 0, 0, NULL, NULL},
    COUNT(false),
};
static const struct scn_param p_restarts[] = {DEVICE, COUNT(true)};
static const struct scn_param p_failure_report[] = {
    DEVICE,
    {"reason", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_reason},
    {"code", SCN_P_INT, C(exit.code), C(exit.has_code), false, 0, 255, NULL, NULL},
    {"signal", SCN_P_SIGNAL, C(exit.signal), 0, false, 0, 0, NULL, NULL},
    COUNT(false),
};
static const struct scn_param p_log[] = {
    DEVICE,
    {"matches", SCN_P_TEXT, C(pattern), 0, true, 0, 0, NULL, NULL},
    COUNT(false),
};
static const struct scn_param p_peak_memory[] = {
    DEVICE,
    {"under", SCN_P_SIZE, C(memory_under_bytes), 0, true, 1, 1ull << 40, NULL, NULL},
};
static const struct scn_param p_denied[] = {
    DEVICE,
    {"capability", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_capability},
    COUNT(false),
};
static const struct scn_param p_connections[] = {
    DEVICE,
    {"open", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_open},
    {"total", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_total},
};

// ---- checks beyond the tables ----

static void default_at_least_one(struct scn_condition *cond) {
    if (!cond->count.has_min && !cond->count.has_max) {
        cond->count.has_min = true;
        cond->count.min = 1;
    }
}

static enum scn_result check_telemetry(struct scn_ctx *c, const struct scn_node *value,
                                       struct scn_condition *cond, uint64_t seen) {
    if ((seen & ~1ull) == 0) {
        return scn_expected(c, value,
                            "at least one of count, where, order, no_loss or no_duplicates in the "
                            "telemetry condition");
    }
    if (cond->fields.count != 0) {
        default_at_least_one(cond);
    }
    return SCN_OK;
}

static enum scn_result check_led(struct scn_ctx *c, const struct scn_node *value,
                                 struct scn_condition *cond, uint64_t seen) {
    bool name = seen & (1u << 1), gpio = seen & (1u << 2);
    bool state = seen & (1u << 3), blink = seen & (1u << 4);
    if (name == gpio) {
        return scn_fail(c, value->loc, SCN_ERR_SCHEMA,
                        "expected exactly one of name or gpio in the led condition, got %s",
                        name ? "both" : "neither");
    }
    if (state == blink) {
        return scn_fail(c, value->loc, SCN_ERR_SCHEMA,
                        "expected exactly one of state or blink in the led condition, got %s",
                        state ? "both" : "neither");
    }
    if (!gpio) {
        cond->led.gpio = -1;
    }
    return SCN_OK;
}

static enum scn_result check_exit(struct scn_ctx *c, const struct scn_node *value,
                                  struct scn_condition *cond, uint64_t seen) {
    if (cond->exit.has_code && cond->exit.signal != 0) {
        return scn_fail(c, value->loc, SCN_ERR_SCHEMA,
                        "expected code or signal in the %s condition, got both",
                        cond->kind == SCN_COND_APP_EXIT ? "app_exit" : "failure_report");
    }
    default_at_least_one(cond);
    return SCN_OK;
}

static enum scn_result check_log(struct scn_ctx *c, const struct scn_node *value,
                                 struct scn_condition *cond, uint64_t seen) {
    enum scn_result rc = check_regex(c, scn_map_get(value, "matches"));
    default_at_least_one(cond);
    return rc;
}

static enum scn_result check_default_count(struct scn_ctx *c, const struct scn_node *value,
                                           struct scn_condition *cond, uint64_t seen) {
    default_at_least_one(cond);
    return SCN_OK;
}

static enum scn_result check_connections(struct scn_ctx *c, const struct scn_node *value,
                                         struct scn_condition *cond, uint64_t seen) {
    if (!cond->connections.has_open && !cond->connections.has_total) {
        return scn_expected(c, value, "open or total in the connections condition");
    }
    return SCN_OK;
}

#define CSPEC(kind, key, flags, params, check) \
    [kind] = {key, flags, params, COUNT_OF(params), check}

static const struct cond_spec specs[SCN_COND_KIND_COUNT] = {
    CSPEC(SCN_COND_TELEMETRY, "telemetry", COND_LOCAL_HUB, p_telemetry, check_telemetry),
    CSPEC(SCN_COND_TWIN, "twin", 0, p_twin, NULL),
    CSPEC(SCN_COND_METHOD, "method", 0, p_method, NULL),
    CSPEC(SCN_COND_C2D, "c2d", COND_LOCAL_HUB, p_c2d, NULL),
    CSPEC(SCN_COND_LED, "led", 0, p_led, check_led),
    CSPEC(SCN_COND_APP_EXIT, "app_exit", 0, p_app_exit, check_exit),
    CSPEC(SCN_COND_RESTARTS, "restarts", 0, p_restarts, NULL),
    CSPEC(SCN_COND_FAILURE_REPORT, "failure_report", 0, p_failure_report, check_exit),
    CSPEC(SCN_COND_LOG, "log", 0, p_log, check_log),
    CSPEC(SCN_COND_PEAK_MEMORY, "peak_memory", 0, p_peak_memory, NULL),
    CSPEC(SCN_COND_DENIED, "denied", 0, p_denied, check_default_count),
    CSPEC(SCN_COND_CONNECTIONS, "connections", 0, p_connections, check_connections),
};

const char *scn_condition_key(enum scn_condition_kind kind) {
    return kind > SCN_COND_NONE && kind < SCN_COND_KIND_COUNT ? specs[kind].key : "?";
}

bool scn_condition_needs_local_hub(enum scn_condition_kind kind) {
    return kind > SCN_COND_NONE && kind < SCN_COND_KIND_COUNT &&
           (specs[kind].flags & COND_LOCAL_HUB);
}

enum scn_result scn_parse_condition(struct scn_ctx *c, const struct scn_node *n,
                                    struct scn_condition *out) {
    const char *keys[SCN_COND_KIND_COUNT];
    size_t key_count = 0;
    for (int k = SCN_COND_NONE + 1; k < SCN_COND_KIND_COUNT; ++k) {
        keys[key_count++] = specs[k].key;
    }
    memset(out, 0, sizeof(*out));
    if (n->type != SCN_NODE_MAP || n->count != 1) {
        return scn_expected(c, n,
                            "a condition: a mapping with one of telemetry, twin, method, c2d, led, "
                            "app_exit, restarts, failure_report, log, peak_memory, denied or "
                            "connections");
    }
    const struct scn_node *key = n->first;
    int kind = SCN_COND_NONE + 1;
    while (kind < SCN_COND_KIND_COUNT && strcmp(specs[kind].key, key->text) != 0) {
        ++kind;
    }
    if (kind == SCN_COND_KIND_COUNT) {
        return scn_unknown_key(c, key, "a condition", keys, key_count);
    }
    const struct cond_spec *spec = &specs[kind];
    out->kind = (enum scn_condition_kind)kind;
    out->loc = key->loc;
    out->led.gpio = -1;
    char context[64];
    snprintf(context, sizeof(context), "%s condition", spec->key);
    uint64_t seen = 0;
    const struct scn_node *value = key->next;
    struct scn_node none = {.type = SCN_NODE_MAP, .loc = value->loc};
    if (value->type == SCN_NODE_SCALAR && value->plain && value->len == 0) {
        value = &none;
    }
    enum scn_result rc =
        scn_parse_params(c, value, context, spec->params, spec->param_count, out, &seen);
    if (rc == SCN_OK && spec->check != NULL) {
        rc = spec->check(c, value, out, seen);
    }
    return rc;
}

// ---- expectations ----

static enum scn_result parse_time_ref(struct scn_ctx *c, const struct scn_node *n,
                                      struct scn_time_ref *out) {
    out->loc = n->loc;
    if (n->type == SCN_NODE_SCALAR && n->len > 0 && n->text[0] >= '0' && n->text[0] <= '9') {
        const char *why;
        if (!scn_parse_duration(n->text, &out->ms, &why)) {
            return scn_expected(c, n, why + strlen("expected "));
        }
        return SCN_OK;
    }
    out->is_step = true;
    if (n->type != SCN_NODE_SCALAR || !scn_id_ok(n->text)) {
        return scn_expected(c, n, "a device time such as 30s or the id of a step");
    }
    out->step.id = n->text;
    out->step.loc = n->loc;
    return SCN_OK;
}

enum scn_result scn_parse_expectation(struct scn_ctx *c, const struct scn_node *n,
                                      struct scn_expectation *out) {
    static const char *const keys[] = {"eventually", "always", "within", "from", "to", "name"};
    memset(out, 0, sizeof(*out));
    if (n->type != SCN_NODE_MAP) {
        return scn_expected(c, n, "an expectation: a mapping with eventually or always");
    }
    out->loc = n->loc;
    const struct scn_node *cond = NULL, *within = NULL, *to = NULL;
    enum scn_result rc = SCN_OK;
    for (const struct scn_node *k = n->first; k != NULL && rc == SCN_OK; k = k->next->next) {
        const struct scn_node *v = k->next;
        if (strcmp(k->text, "eventually") == 0 || strcmp(k->text, "always") == 0) {
            if (cond != NULL) {
                return scn_fail(c, k->loc, SCN_ERR_SCHEMA,
                                "expected one of eventually or always in an expectation, got both");
            }
            cond = k;
            out->form = k->text[0] == 'e' ? SCN_EVENTUALLY : SCN_ALWAYS;
            rc = scn_parse_condition(c, v, &out->cond);
        } else if (strcmp(k->text, "within") == 0) {
            within = k;
            struct scn_param p = {"within",
                                  SCN_P_DURATION,
                                  offsetof(struct scn_expectation, within_ms),
                                  0,
                                  false,
                                  1,
                                  (double)SCN_MAX_DURATION_MS,
                                  NULL,
                                  NULL};
            rc = scn_parse_param_value(c, v, &p, out);
        } else if (strcmp(k->text, "from") == 0) {
            rc = parse_time_ref(c, v, &out->from);
        } else if (strcmp(k->text, "to") == 0) {
            to = k;
            out->has_to = true;
            rc = parse_time_ref(c, v, &out->to);
        } else if (strcmp(k->text, "name") == 0) {
            struct scn_param p = {"name", SCN_P_STRING, offsetof(struct scn_expectation, name),
                                  0,      false,        0,
                                  0,      NULL,         NULL};
            rc = scn_parse_param_value(c, v, &p, out);
        } else {
            return scn_unknown_key(c, k, "an expectation", keys, COUNT_OF(keys));
        }
    }
    if (rc != SCN_OK) {
        return rc;
    }
    if (cond == NULL) {
        return scn_fail(c, n->loc, SCN_ERR_SCHEMA,
                        "expected eventually or always in the expectation, got neither");
    }
    if (out->form == SCN_EVENTUALLY && within == NULL) {
        return scn_fail(c, cond->loc, SCN_ERR_SCHEMA,
                        "expected within (how long it may take) with eventually, got none");
    }
    if (out->form == SCN_EVENTUALLY && to != NULL) {
        return scn_fail(c, to->loc, SCN_ERR_SCHEMA,
                        "expected within with eventually, got to (to ends an always window)");
    }
    if (out->form == SCN_ALWAYS && within != NULL) {
        return scn_fail(c, within->loc, SCN_ERR_SCHEMA,
                        "expected from/to with always, got within (within bounds eventually)");
    }
    return SCN_OK;
}
