// SPDX-License-Identifier: MIT
// The actions a step can take, one table entry per kind: its key, its family, which common
// options it takes (`for`, `probability`, `direction`), whether it needs the local hub, the
// option a bare scalar stands for (`crash: SIGABRT`), its options and a check for what the table
// cannot say (one of two keys, a sensor that cannot do this). Limits that the real platform has
// are enforced here, e.g. IoT Hub's 5-300 s method response timeout and its C2D TTL of 1 minute
// to 2 days, so a scenario cannot ask the local hub for something IoT Hub would refuse.
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "runner/scn_internal.h"

#define A(field) offsetof(struct scn_action, field)
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MS(s) ((double)(s)*1000.0)
#define MAX_MS ((double)SCN_MAX_DURATION_MS)

enum {
    OPT_FOR = 1u << 0,
    OPT_PROBABILITY = 1u << 1,
    OPT_DIRECTION = 1u << 2,
    LOCAL_HUB = 1u << 3,
    HUB_WIDE = 1u << 4,  // acts on the hub, not a device: `device:` is refused
};

typedef enum scn_result (*action_check)(struct scn_ctx *c, const struct scn_node *value,
                                        struct scn_action *a, uint64_t seen);

struct action_spec {
    const char *key;
    enum scn_action_family family;
    unsigned flags;
    const char *shorthand;
    const struct scn_param *params;
    size_t param_count;
    action_check check;
};

static const struct scn_name buttons[] = {{"A", SCN_BUTTON_A}, {"B", SCN_BUTTON_B}, {NULL, 0}};
static const struct scn_name sensors[] = {{"temperature", SCN_SENSOR_TEMPERATURE},
                                          {"potentiometer", SCN_SENSOR_POTENTIOMETER},
                                          {NULL, 0}};
static const struct scn_name sides[] = {
    {"high", SCN_RANGE_HIGH}, {"low", SCN_RANGE_LOW}, {NULL, 0}};
static const struct scn_name directions[] = {{"both", SCN_DIR_BOTH},
                                             {"to_hub", SCN_DIR_TO_HUB},
                                             {"to_device", SCN_DIR_TO_DEVICE},
                                             {NULL, 0}};
static const struct scn_name throttled[] = {
    {"telemetry", SCN_THROTTLE_TELEMETRY}, {"twin", SCN_THROTTLE_TWIN}, {NULL, 0}};
static const struct scn_name corruptions[] = {{"flip_byte", SCN_CORRUPT_FLIP_BYTE},
                                              {"truncate", SCN_CORRUPT_TRUNCATE},
                                              {"bad_signature", SCN_CORRUPT_BAD_SIGNATURE},
                                              {NULL, 0}};

static const struct scn_param common_for = {"for", SCN_P_DURATION, A(for_ms), A(has_for), false,
                                            1,     MAX_MS,         NULL,      NULL};
static const struct scn_param common_probability = {
    "probability", SCN_P_NUMBER, A(probability), 0, false, 0, 1, NULL, NULL};
static const struct scn_param common_direction = {"direction", SCN_P_ENUM, A(direction), 0,   false,
                                                  0,           0,          directions,   NULL};

// ---- custom option readers ----

static enum scn_result read_forward(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_param p = {"forward", SCN_P_DURATION, 0, 0, false, 1, MAX_MS, NULL, NULL};
    uint64_t ms;
    enum scn_result rc = scn_parse_param_value(c, n, &p, &ms);
    ((struct scn_action *)base)->clock.jump_ms = (int64_t)ms;
    return rc;
}

static enum scn_result read_back(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_param p = {"back", SCN_P_DURATION, 0, 0, false, 1, MAX_MS, NULL, NULL};
    uint64_t ms;
    enum scn_result rc = scn_parse_param_value(c, n, &p, &ms);
    ((struct scn_action *)base)->clock.jump_ms = -(int64_t)ms;
    return rc;
}

static bool property_name_ok(const char *s) {
    for (; *s != '\0'; ++s) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= 0x20 || ch == 0x7f || ch == '&' || ch == '=' || ch == '/' || ch == '#' ||
            ch == '+') {
            return false;
        }
    }
    return true;
}

// Application properties travel in the topic's property bag, so names and values are one-line
// text and names avoid the bag's separators.
static enum scn_result read_properties(struct scn_ctx *c, const struct scn_node *n, void *base) {
    struct scn_action *a = base;
    if (n->type != SCN_NODE_MAP) {
        return scn_expected(c, n, "a mapping of property names to values");
    }
    a->c2d.properties = scn_arena_array(c->arena, n->count, sizeof(struct scn_property));
    if (a->c2d.properties == NULL && n->count != 0) {
        return scn_fail(c, n->loc, SCN_ERR_NOMEM, "out of memory");
    }
    for (const struct scn_node *k = n->first; k != NULL; k = k->next->next) {
        const struct scn_node *v = k->next;
        if (k->len == 0 || k->len > 128 || !property_name_ok(k->text)) {
            return scn_expected(c, k,
                                "a property name of 1 to 128 characters without spaces, &, =, /, "
                                "# or +");
        }
        struct scn_param p = {"property value", SCN_P_STRING, 0, 0, false, 0, 0, NULL, NULL};
        char *value = NULL;
        enum scn_result rc = scn_parse_param_value(c, v, &p, &value);
        if (rc != SCN_OK) {
            return rc;
        }
        struct scn_property *prop = &a->c2d.properties[a->c2d.property_count++];
        prop->name = k->text;
        prop->value = value;
    }
    return SCN_OK;
}

// ---- option tables ----

static const struct scn_param p_button[] = {
    {"button", SCN_P_ENUM, A(button.button), 0, true, 0, 0, buttons, NULL},
};
static const struct scn_param p_click[] = {
    {"button", SCN_P_ENUM, A(button.button), 0, true, 0, 0, buttons, NULL},
    {"hold", SCN_P_DURATION, A(button.hold_ms), 0, false, 1, MS(3600), NULL, NULL},
};
static const struct scn_param p_sensor[] = {
    {"sensor", SCN_P_ENUM, A(sensor.sensor), 0, true, 0, 0, sensors, NULL},
};
static const struct scn_param p_sensor_set[] = {
    {"sensor", SCN_P_ENUM, A(sensor.sensor), 0, true, 0, 0, sensors, NULL},
    {"value", SCN_P_NUMBER, A(sensor.value), A(sensor.has_value), true, 0, 0, NULL, NULL},
};
static const struct scn_param p_sensor_noise[] = {
    {"sensor", SCN_P_ENUM, A(sensor.sensor), 0, true, 0, 0, sensors, NULL},
    {"sigma", SCN_P_NUMBER, A(sensor.sigma), 0, true, 0, 1e6, NULL, NULL},
};
static const struct scn_param p_sensor_stuck[] = {
    {"sensor", SCN_P_ENUM, A(sensor.sensor), 0, true, 0, 0, sensors, NULL},
    {"value", SCN_P_NUMBER, A(sensor.value), A(sensor.has_value), false, 0, 0, NULL, NULL},
};
static const struct scn_param p_sensor_range[] = {
    {"sensor", SCN_P_ENUM, A(sensor.sensor), 0, true, 0, 0, sensors, NULL},
    {"side", SCN_P_ENUM, A(sensor.side), 0, false, 0, 0, sides, NULL},
};
static const struct scn_param p_dns[] = {
    {"host", SCN_P_STRING, A(dns.host), 0, false, 0, 0, NULL, NULL},
};
static const struct scn_param p_latency[] = {
    {"delay", SCN_P_DURATION, A(latency.delay_ms), 0, true, 0, MS(3600), NULL, NULL},
    {"jitter", SCN_P_DURATION, A(latency.jitter_ms), 0, false, 0, MS(3600), NULL, NULL},
};
static const struct scn_param p_bandwidth[] = {
    {"bytes_per_second", SCN_P_SIZE, A(bandwidth.bytes_per_second), 0, true, 1, 1e12, NULL, NULL},
};
static const struct scn_param p_slow_close[] = {
    {"delay", SCN_P_DURATION, A(slow_close.delay_ms), 0, true, 1, MS(3600), NULL, NULL},
};
static const struct scn_param p_slicer[] = {
    {"size", SCN_P_SIZE, A(slicer.size), 0, true, 1, 65536, NULL, NULL},
    {"variation", SCN_P_SIZE, A(slicer.variation), 0, false, 0, 65536, NULL, NULL},
    {"delay", SCN_P_DURATION, A(slicer.delay_ms), 0, false, 0, MS(60), NULL, NULL},
};
static const struct scn_param p_cut_after[] = {
    {"bytes", SCN_P_SIZE, A(cut_after.bytes), 0, true, 0, 0, NULL, NULL},
};
static const struct scn_param p_cert_rotate[] = {
    {"validity", SCN_P_DURATION, A(cert.validity_ms), 0, false, MS(60), MS(365 * 86400), NULL,
     NULL},
};
static const struct scn_param p_broker_restart[] = {
    {"down_for", SCN_P_DURATION, A(broker.down_ms), 0, false, 0, MS(3600), NULL, NULL},
};
static const struct scn_param p_throttle[] = {
    {"what", SCN_P_ENUM, A(throttle.what), 0, true, 0, 0, throttled, NULL},
    {"per_second", SCN_P_U64, A(throttle.per_second), 0, true, 1, 1e6, NULL, NULL},
};
static const struct scn_param p_twin_delay[] = {
    {"delay", SCN_P_DURATION, A(twin_delay.delay_ms), 0, true, 1, MS(3600), NULL, NULL},
};
static const struct scn_param p_method[] = {
    {"name", SCN_P_STRING, A(method.name), 0, true, 0, 0, NULL, NULL},
    {"payload", SCN_P_JSON, A(method.payload_json), 0, false, 0, 0, NULL, NULL},
    {"timeout", SCN_P_DURATION, A(method.timeout_ms), 0, false, MS(5), MS(300), NULL, NULL},
    {"connect_timeout", SCN_P_DURATION, A(method.connect_timeout_ms), 0, false, 0, MS(300), NULL,
     NULL},
};
static const struct scn_param p_c2d[] = {
    {"text", SCN_P_TEXT, A(c2d.text), 0, false, 0, 0, NULL, NULL},
    {"body", SCN_P_JSON, A(c2d.body_json), 0, false, 0, 0, NULL, NULL},
    {"properties", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_properties},
    {"ttl", SCN_P_DURATION, A(c2d.ttl_ms), A(c2d.has_ttl), false, MS(60), MS(2 * 86400), NULL,
     NULL},
};
static const struct scn_param p_c2d_burst[] = {
    {"count", SCN_P_U64, A(c2d.count), 0, true, 1, 1000, NULL, NULL},
    {"text", SCN_P_TEXT, A(c2d.text), 0, false, 0, 0, NULL, NULL},
    {"interval", SCN_P_DURATION, A(c2d.interval_ms), 0, false, 0, MS(3600), NULL, NULL},
    {"properties", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_properties},
    {"ttl", SCN_P_DURATION, A(c2d.ttl_ms), A(c2d.has_ttl), false, MS(60), MS(2 * 86400), NULL,
     NULL},
};
static const struct scn_param p_crash[] = {
    {"signal", SCN_P_SIGNAL, A(crash.signal), 0, false, 0, 0, NULL, NULL},
};
static const struct scn_param p_power_loss[] = {
    {"off_for", SCN_P_DURATION, A(power.off_ms), 0, false, 0, MS(86400), NULL, NULL},
};
static const struct scn_param p_clock_jump[] = {
    {"forward", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_forward},
    {"back", SCN_P_CUSTOM, 0, 0, false, 0, 0, NULL, read_back},
};
static const struct scn_param p_memory[] = {
    {"limit", SCN_P_SIZE, A(memory.limit_bytes), 0, true, 1, 1ull << 30, NULL, NULL},
};
static const struct scn_param p_deploy[] = {
    {"image", SCN_P_PATH, A(update.image), 0, true, 0, 0, NULL, NULL},
};
static const struct scn_param p_deploy_corrupt[] = {
    {"image", SCN_P_PATH, A(update.image), 0, true, 0, 0, NULL, NULL},
    {"corruption", SCN_P_ENUM, A(update.corruption), 0, false, 0, 0, corruptions, NULL},
};
static const struct scn_param p_power_cut_install[] = {
    {"image", SCN_P_PATH, A(update.image), 0, true, 0, 0, NULL, NULL},
    {"progress", SCN_P_NUMBER, A(update.progress), 0, false, 0, 1, NULL, NULL},
};

// ---- checks beyond the tables ----

static const struct scn_node *option_node(const struct scn_node *value, const char *key) {
    return value->type == SCN_NODE_MAP ? scn_map_get(value, key) : value;
}

static enum scn_result check_i2c_sensor(struct scn_ctx *c, const struct scn_node *value,
                                        struct scn_action *a, uint64_t seen) {
    if (a->sensor.sensor != SCN_SENSOR_TEMPERATURE) {
        return scn_expected(c, option_node(value, "sensor"),
                            "an I2C sensor (temperature; the potentiometer is on the ADC, which "
                            "cannot NAK)");
    }
    return SCN_OK;
}

static enum scn_result check_host_pattern(struct scn_ctx *c, const struct scn_node *value,
                                          struct scn_action *a, uint64_t seen) {
    if (a->dns.host == NULL) {
        return SCN_OK;
    }
    const char *h = a->dns.host[0] == '*' && a->dns.host[1] == '.' ? a->dns.host + 2 : a->dns.host;
    bool ok = strlen(h) > 0 && strlen(h) <= 253;
    for (const char *p = h; *p != '\0' && ok; ++p) {
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '-' || *p == '.';
    }
    if (!ok) {
        return scn_expected(c, option_node(value, "host"),
                            "a host name or *.domain pattern (letters, digits, '-' and '.')");
    }
    return SCN_OK;
}

static enum scn_result check_slicer(struct scn_ctx *c, const struct scn_node *value,
                                    struct scn_action *a, uint64_t seen) {
    if (a->slicer.variation >= a->slicer.size) {
        return scn_expected(c, option_node(value, "variation"),
                            "a variation smaller than size (pieces are size +/- variation bytes)");
    }
    return SCN_OK;
}

static enum scn_result check_method(struct scn_ctx *c, const struct scn_node *value,
                                    struct scn_action *a, uint64_t seen) {
    const char *name = a->method.name;
    // The name is a topic level on the device side: $iothub/methods/POST/{name}/?$rid=...
    if (strlen(name) > 128 || strpbrk(name, "/#+? ") != NULL) {
        return scn_expected(c, option_node(value, "name"),
                            "a method name of at most 128 characters without '/', '#', '+', '?' "
                            "or spaces");
    }
    if (a->method.payload_json != NULL && strlen(a->method.payload_json) > 128u * 1024u) {
        return scn_expected(c, option_node(value, "payload"),
                            "a method payload of at most 128 KiB as JSON (IoT Hub's limit)");
    }
    return SCN_OK;
}

static enum scn_result check_c2d(struct scn_ctx *c, const struct scn_node *value,
                                 struct scn_action *a, uint64_t seen) {
    bool burst = a->kind == SCN_ACT_C2D_BURST;
    if (!burst && (a->c2d.text == NULL) == (a->c2d.body_json == NULL)) {
        return scn_fail(c, value->loc, SCN_ERR_SCHEMA,
                        "expected exactly one of text or body in the c2d action, got %s",
                        a->c2d.text == NULL ? "neither" : "both");
    }
    const char *body = a->c2d.text != NULL ? a->c2d.text : a->c2d.body_json;
    if (body != NULL && strlen(body) > 64u * 1024u) {
        return scn_expected(c, option_node(value, a->c2d.text != NULL ? "text" : "body"),
                            "a C2D body of at most 64 KiB (IoT Hub's limit)");
    }
    return SCN_OK;
}

static enum scn_result check_clock_jump(struct scn_ctx *c, const struct scn_node *value,
                                        struct scn_action *a, uint64_t seen) {
    if (seen != 1 && seen != 2) {
        return scn_fail(c, value->loc, SCN_ERR_SCHEMA,
                        "expected exactly one of forward or back in the clock_jump action, got %s",
                        seen == 0 ? "neither" : "both");
    }
    return SCN_OK;
}

static enum scn_result check_progress(struct scn_ctx *c, const struct scn_node *value,
                                      struct scn_action *a, uint64_t seen) {
    if (a->update.progress <= 0.0 || a->update.progress >= 1.0) {
        return scn_expected(c, option_node(value, "progress"),
                            "progress between 0 and 1, both excluded (0.5 = half-way)");
    }
    return SCN_OK;
}

// ---- the table ----

#define SPEC(kind, key, family, flags, shorthand, params, check) \
    [kind] = {key, family, flags, shorthand, params, COUNT_OF(params), check}
#define SPEC0(kind, key, family, flags) [kind] = {key, family, flags, NULL, NULL, 0, NULL}

static const struct action_spec specs[SCN_ACT_KIND_COUNT] = {
    SPEC(SCN_ACT_PRESS, "press", SCN_FAMILY_BOARD, 0, "button", p_button, NULL),
    SPEC(SCN_ACT_RELEASE, "release", SCN_FAMILY_BOARD, 0, "button", p_button, NULL),
    SPEC(SCN_ACT_CLICK, "click", SCN_FAMILY_BOARD, 0, "button", p_click, NULL),
    SPEC(SCN_ACT_SENSOR_SET, "sensor_set", SCN_FAMILY_BOARD, 0, NULL, p_sensor_set, NULL),
    SPEC(SCN_ACT_SENSOR_NOISE, "sensor_noise", SCN_FAMILY_BOARD, OPT_FOR, NULL, p_sensor_noise,
         NULL),
    SPEC(SCN_ACT_SENSOR_STUCK, "sensor_stuck", SCN_FAMILY_BOARD, OPT_FOR, "sensor", p_sensor_stuck,
         NULL),
    SPEC(SCN_ACT_SENSOR_DISCONNECT, "sensor_disconnect", SCN_FAMILY_BOARD, OPT_FOR, "sensor",
         p_sensor, check_i2c_sensor),
    SPEC(SCN_ACT_SENSOR_OUT_OF_RANGE, "sensor_out_of_range", SCN_FAMILY_BOARD, OPT_FOR, "sensor",
         p_sensor_range, NULL),
    SPEC(SCN_ACT_SENSOR_RESTORE, "sensor_restore", SCN_FAMILY_BOARD, 0, "sensor", p_sensor, NULL),
    SPEC0(SCN_ACT_NETWORK_DOWN, "network_down", SCN_FAMILY_NETWORK, OPT_FOR),
    SPEC0(SCN_ACT_NETWORK_UP, "network_up", SCN_FAMILY_NETWORK, 0),
    SPEC(SCN_ACT_DNS_FAILURE, "dns_failure", SCN_FAMILY_NETWORK, OPT_FOR | OPT_PROBABILITY, "host",
         p_dns, check_host_pattern),
    SPEC(SCN_ACT_LATENCY, "latency", SCN_FAMILY_NETWORK, OPT_FOR | OPT_PROBABILITY | OPT_DIRECTION,
         "delay", p_latency, NULL),
    SPEC(SCN_ACT_BANDWIDTH, "bandwidth", SCN_FAMILY_NETWORK,
         OPT_FOR | OPT_PROBABILITY | OPT_DIRECTION, "bytes_per_second", p_bandwidth, NULL),
    SPEC0(SCN_ACT_RESET, "reset", SCN_FAMILY_NETWORK, OPT_FOR | OPT_PROBABILITY | OPT_DIRECTION),
    SPEC0(SCN_ACT_BLACKHOLE, "blackhole", SCN_FAMILY_NETWORK,
          OPT_FOR | OPT_PROBABILITY | OPT_DIRECTION),
    SPEC(SCN_ACT_SLOW_CLOSE, "slow_close", SCN_FAMILY_NETWORK,
         OPT_FOR | OPT_PROBABILITY | OPT_DIRECTION, "delay", p_slow_close, NULL),
    SPEC(SCN_ACT_SLICER, "slicer", SCN_FAMILY_NETWORK, OPT_FOR | OPT_PROBABILITY | OPT_DIRECTION,
         "size", p_slicer, check_slicer),
    SPEC(SCN_ACT_CUT_AFTER, "cut_after", SCN_FAMILY_NETWORK,
         OPT_FOR | OPT_PROBABILITY | OPT_DIRECTION, "bytes", p_cut_after, NULL),
    SPEC0(SCN_ACT_NETWORK_HEAL, "network_heal", SCN_FAMILY_NETWORK, 0),
    SPEC0(SCN_ACT_CERT_EXPIRED, "cert_expired", SCN_FAMILY_TLS, OPT_FOR),
    SPEC0(SCN_ACT_CERT_NOT_YET_VALID, "cert_not_yet_valid", SCN_FAMILY_TLS, OPT_FOR),
    SPEC0(SCN_ACT_UNTRUSTED_CA, "untrusted_ca", SCN_FAMILY_TLS, OPT_FOR | LOCAL_HUB),
    SPEC(SCN_ACT_CERT_ROTATE, "cert_rotate", SCN_FAMILY_TLS, 0, NULL, p_cert_rotate, NULL),
    SPEC(SCN_ACT_BROKER_RESTART, "broker_restart", SCN_FAMILY_HUB, LOCAL_HUB | HUB_WIDE, "down_for",
         p_broker_restart, NULL),
    SPEC0(SCN_ACT_KICK, "kick", SCN_FAMILY_HUB, LOCAL_HUB),
    SPEC(SCN_ACT_THROTTLE, "throttle", SCN_FAMILY_HUB, OPT_FOR | LOCAL_HUB, NULL, p_throttle, NULL),
    SPEC0(SCN_ACT_TWIN_DROP, "twin_drop", SCN_FAMILY_HUB, OPT_FOR | OPT_PROBABILITY | LOCAL_HUB),
    SPEC(SCN_ACT_TWIN_DELAY, "twin_delay", SCN_FAMILY_HUB, OPT_FOR | OPT_PROBABILITY | LOCAL_HUB,
         "delay", p_twin_delay, NULL),
    SPEC(SCN_ACT_METHOD_TIMEOUT, "method_timeout", SCN_FAMILY_HUB, LOCAL_HUB, "name", p_method,
         check_method),
    SPEC(SCN_ACT_C2D_BURST, "c2d_burst", SCN_FAMILY_HUB, 0, "count", p_c2d_burst, check_c2d),
    [SCN_ACT_DESIRED] = {"desired", SCN_FAMILY_HUB, 0, NULL, NULL, 0, NULL},
    SPEC(SCN_ACT_METHOD, "method", SCN_FAMILY_HUB, 0, "name", p_method, check_method),
    SPEC(SCN_ACT_C2D, "c2d", SCN_FAMILY_HUB, 0, "text", p_c2d, check_c2d),
    SPEC(SCN_ACT_CRASH, "crash", SCN_FAMILY_OS, 0, "signal", p_crash, NULL),
    SPEC0(SCN_ACT_HANG, "hang", SCN_FAMILY_OS, OPT_FOR),
    SPEC0(SCN_ACT_REBOOT, "reboot", SCN_FAMILY_OS, 0),
    SPEC(SCN_ACT_POWER_LOSS, "power_loss", SCN_FAMILY_OS, 0, "off_for", p_power_loss, NULL),
    SPEC0(SCN_ACT_STORAGE_FULL, "storage_full", SCN_FAMILY_OS, OPT_FOR),
    SPEC0(SCN_ACT_STORAGE_EIO, "storage_eio", SCN_FAMILY_OS, OPT_FOR | OPT_PROBABILITY),
    SPEC0(SCN_ACT_STORAGE_HEAL, "storage_heal", SCN_FAMILY_OS, 0),
    SPEC(SCN_ACT_CLOCK_JUMP, "clock_jump", SCN_FAMILY_OS, 0, NULL, p_clock_jump, check_clock_jump),
    SPEC0(SCN_ACT_TIME_UNSYNCED, "time_unsynced", SCN_FAMILY_OS, OPT_FOR),
    SPEC0(SCN_ACT_TIME_SYNC, "time_sync", SCN_FAMILY_OS, 0),
    SPEC(SCN_ACT_MEMORY_PRESSURE, "memory_pressure", SCN_FAMILY_OS, OPT_FOR, "limit", p_memory,
         NULL),
    SPEC(SCN_ACT_DEPLOY, "deploy", SCN_FAMILY_UPDATE, 0, "image", p_deploy, NULL),
    SPEC(SCN_ACT_DEPLOY_CORRUPT, "deploy_corrupt", SCN_FAMILY_UPDATE, 0, "image", p_deploy_corrupt,
         NULL),
    SPEC(SCN_ACT_POWER_CUT_DURING_INSTALL, "power_cut_during_install", SCN_FAMILY_UPDATE, 0,
         "image", p_power_cut_install, check_progress),
};

size_t scn_action_keys_list(const char **out, size_t max) {
    size_t n = 0;
    for (int k = SCN_ACT_NONE + 1; k < SCN_ACT_KIND_COUNT && n < max; ++k) {
        out[n++] = specs[k].key;
    }
    return n;
}

const char *scn_action_key(enum scn_action_kind kind) {
    return kind > SCN_ACT_NONE && kind < SCN_ACT_KIND_COUNT ? specs[kind].key : "?";
}

enum scn_action_family scn_action_family_of(enum scn_action_kind kind) {
    return kind > SCN_ACT_NONE && kind < SCN_ACT_KIND_COUNT ? specs[kind].family : SCN_FAMILY_NONE;
}

bool scn_action_needs_local_hub(enum scn_action_kind kind) {
    return kind > SCN_ACT_NONE && kind < SCN_ACT_KIND_COUNT && (specs[kind].flags & LOCAL_HUB);
}

bool scn_action_is_hub_wide(enum scn_action_kind kind) {
    return kind > SCN_ACT_NONE && kind < SCN_ACT_KIND_COUNT && (specs[kind].flags & HUB_WIDE);
}

enum scn_action_kind scn_action_kind_of(const char *key) {
    for (int k = SCN_ACT_NONE + 1; k < SCN_ACT_KIND_COUNT; ++k) {
        if (strcmp(specs[k].key, key) == 0) {
            return (enum scn_action_kind)k;
        }
    }
    return SCN_ACT_NONE;
}

static void set_defaults(struct scn_action *a) {
    a->probability = 1.0;
    a->direction = SCN_DIR_BOTH;
    a->button.hold_ms = 100;
    a->cert.validity_ms = 24ull * 3600 * 1000;
    a->method.timeout_ms = a->kind == SCN_ACT_METHOD_TIMEOUT ? 5000 : 30000;
    a->crash.signal = scn_signal_number("SIGSEGV");
    a->update.progress = 0.5;
}

// Keys in desired patches obey IoT Hub's twin rules: at most 1 KiB, no '.', '$' or space, no
// control characters, and nesting at most 10 deep; the whole patch at most 32 KiB.
static enum scn_result check_twin_keys(struct scn_ctx *c, const struct scn_node *n, int depth) {
    if (n->type != SCN_NODE_MAP) {
        return SCN_OK;
    }
    if (depth > 10) {
        return scn_expected(c, n, "twin properties nested at most 10 deep (IoT Hub's limit)");
    }
    for (const struct scn_node *k = n->first; k != NULL; k = k->next->next) {
        bool ok = k->len > 0 && k->len <= 1024;
        for (const char *p = k->text; *p != '\0' && ok; ++p) {
            ok = *p != '.' && *p != '$' && *p != ' ' && (unsigned char)*p >= 0x20 && *p != 0x7f;
        }
        if (!ok) {
            return scn_expected(c, k, "a twin property name without '.', '$' or spaces");
        }
        enum scn_result rc = check_twin_keys(c, k->next, depth + 1);
        if (rc != SCN_OK) {
            return rc;
        }
    }
    return SCN_OK;
}

static enum scn_result parse_desired(struct scn_ctx *c, const struct scn_node *value,
                                     struct scn_action *a) {
    if (value->type != SCN_NODE_MAP || value->count == 0) {
        return scn_expected(c, value, "a mapping of desired properties to patch");
    }
    enum scn_result rc = check_twin_keys(c, value, 1);
    if (rc != SCN_OK) {
        return rc;
    }
    rc = scn_to_json(c, value, &a->desired.patch_json);
    if (rc == SCN_OK && strlen(a->desired.patch_json) > 32u * 1024u) {
        return scn_expected(c, value,
                            "a desired patch of at most 32 KiB as JSON (IoT Hub's limit)");
    }
    return rc;
}

enum scn_result scn_parse_action(struct scn_ctx *c, const struct scn_node *key,
                                 const struct scn_node *value, struct scn_action *out) {
    enum scn_action_kind kind = scn_action_kind_of(key->text);
    if (kind == SCN_ACT_NONE) {
        const char *keys[SCN_ACT_KIND_COUNT];
        size_t n = scn_action_keys_list(keys, SCN_ACT_KIND_COUNT);
        return scn_unknown_key(c, key, "a step", keys, n);
    }
    const struct action_spec *spec = &specs[kind];
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    out->loc = key->loc;
    set_defaults(out);
    if (kind == SCN_ACT_DESIRED) {
        return parse_desired(c, value, out);
    }

    struct scn_param params[SCN_MAX_PARAMS];
    size_t count = 0;
    for (size_t i = 0; i < spec->param_count; ++i) {
        params[count++] = spec->params[i];
    }
    if (spec->flags & OPT_FOR) {
        params[count++] = common_for;
    }
    if (spec->flags & OPT_PROBABILITY) {
        params[count++] = common_probability;
    }
    if (spec->flags & OPT_DIRECTION) {
        params[count++] = common_direction;
    }
    char context[64];
    snprintf(context, sizeof(context), "%s action", spec->key);

    uint64_t seen = 0;
    enum scn_result rc;
    bool empty = value->type == SCN_NODE_SCALAR && value->plain && value->len == 0;
    if (value->type == SCN_NODE_MAP) {
        rc = scn_parse_params(c, value, context, params, count, out, &seen);
    } else if (empty) {
        // `reboot:` with nothing after it: the same as an empty mapping.
        struct scn_node none = {.type = SCN_NODE_MAP, .loc = value->loc};
        rc = scn_parse_params(c, &none, context, params, count, out, &seen);
    } else if (value->type == SCN_NODE_SCALAR && spec->shorthand != NULL) {
        size_t i = 0;
        while (strcmp(params[i].key, spec->shorthand) != 0) {
            ++i;
        }
        rc = scn_parse_param_value(c, value, &params[i], out);
        if (rc == SCN_OK && params[i].has_offset != 0) {
            *((bool *)((char *)out + params[i].has_offset)) = true;
        }
        // Every other required option must then be absent from the table.
        for (size_t j = 0; j < count && rc == SCN_OK; ++j) {
            if (j != i && params[j].required) {
                rc = scn_fail(c, value->loc, SCN_ERR_SCHEMA,
                              "expected a mapping with %s and %s for the %s, got a single value",
                              params[i].key, params[j].key, context);
            }
        }
        seen = 1ull << i;
    } else {
        char what[128];
        if (spec->shorthand != NULL) {
            snprintf(what, sizeof(what), "a mapping of %s options or a %s", spec->key,
                     spec->shorthand);
        } else {
            snprintf(what, sizeof(what), "a mapping of %s options", spec->key);
        }
        return scn_expected(c, value, what);
    }
    if (rc == SCN_OK && spec->check != NULL) {
        rc = spec->check(c, value, out, seen);
    }
    return rc;
}
