// SPDX-License-Identifier: MIT
// The in-memory model of a scenario file (docs/scenarios.md): metadata, devices and their initial
// state, the hub, a timeline of steps (each one action, or a wait on a condition) and the
// expectations that must hold. The runner executes this model; the parser (scn_parse, scn_load)
// builds it from YAML and validates it, so a model handed to the runner is consistent: every
// device and step reference resolves, times fit the time limit and nothing needs a local hub
// when the scenario names a real one.
//
// Every node keeps the 1-based line and column it came from, so the runner can report a failed
// expectation or a refused step at its place in the file. Everything a scenario holds lives in
// one arena owned by the struct and released by scn_scenario_free.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Hostile-input bounds. A file past them is refused, never truncated.
#define SCN_MAX_FILE_BYTES (1024u * 1024u)
#define SCN_MAX_DEPTH 24       // nesting of mappings and sequences
#define SCN_MAX_NODES 200000u  // scalars, mappings and sequences in one file
#define SCN_MAX_SCALAR 65536u  // bytes in one scalar (a C2D body may be 64 KiB)
#define SCN_MAX_DEVICES 64u
#define SCN_MAX_STEPS 10000u
#define SCN_MAX_EXPECTATIONS 1000u
#define SCN_MAX_ID 128u      // device and step ids
#define SCN_MAX_REGEX 1024u  // bytes in a log pattern or a `matches` regex
#define SCN_MAX_DURATION_MS (100ull * 365 * 24 * 3600 * 1000)  // a century of device time

// A place in the scenario file; 0:0 for values that took their default.
struct scn_loc {
    unsigned line;
    unsigned column;
};

// ---- values and small shared shapes ----

enum scn_value_kind { SCN_VALUE_NULL = 0, SCN_VALUE_BOOL, SCN_VALUE_NUMBER, SCN_VALUE_STRING };

// A scalar as YAML gives it: plain `true`/`false`, `null`/`~`/empty and JSON-style numbers are
// typed; everything else, and every quoted scalar, is a string.
struct scn_value {
    enum scn_value_kind kind;
    bool boolean;
    double number;
    char *string;  // SCN_VALUE_STRING, and the number's text for SCN_VALUE_NUMBER
};

// `at_least`/`at_most`; a plain integer N in the file means both are N.
struct scn_count {
    uint64_t min;
    uint64_t max;
    bool has_min;
    bool has_max;
};

enum scn_compare_op {
    SCN_CMP_EQ = 0,
    SCN_CMP_NE,
    SCN_CMP_LT,
    SCN_CMP_LE,
    SCN_CMP_GT,
    SCN_CMP_GE,
    SCN_CMP_MATCHES,  // value.string is a POSIX extended regex (checked to compile)
    SCN_CMP_EXISTS,   // value.boolean says whether the field must exist
};

// Where a field is read: the JSON body (a path such as `$.a.b[2]` or `a.b[2]`) or a message
// property by name (`$.mid`, `$.ct`, an application property).
enum scn_field_source { SCN_FIELD_BODY = 0, SCN_FIELD_PROPERTY };

struct scn_field_cond {
    struct scn_loc loc;
    enum scn_field_source source;
    char *path;  // the body path or property name
    enum scn_compare_op op;
    struct scn_value value;
};

struct scn_field_conds {
    struct scn_field_cond *items;
    size_t count;
};

// A reference to a step by its id; index is filled by validation.
struct scn_step_ref {
    struct scn_loc loc;
    char *id;
    size_t index;
};

// A point in device time: an absolute time since boot, or the moment a step ran.
struct scn_time_ref {
    struct scn_loc loc;
    bool is_step;
    uint64_t ms;               // !is_step
    struct scn_step_ref step;  // is_step
};

// ---- actions ----

enum scn_action_kind {
    SCN_ACT_NONE = 0,  // an `until` step
    // board
    SCN_ACT_PRESS,
    SCN_ACT_RELEASE,
    SCN_ACT_CLICK,
    SCN_ACT_SENSOR_SET,
    SCN_ACT_SENSOR_NOISE,
    SCN_ACT_SENSOR_STUCK,
    SCN_ACT_SENSOR_DISCONNECT,
    SCN_ACT_SENSOR_OUT_OF_RANGE,
    SCN_ACT_SENSOR_RESTORE,
    // network
    SCN_ACT_NETWORK_DOWN,
    SCN_ACT_NETWORK_UP,
    SCN_ACT_DNS_FAILURE,
    SCN_ACT_LATENCY,
    SCN_ACT_BANDWIDTH,
    SCN_ACT_RESET,
    SCN_ACT_BLACKHOLE,
    SCN_ACT_SLOW_CLOSE,
    SCN_ACT_SLICER,
    SCN_ACT_CUT_AFTER,
    SCN_ACT_NETWORK_HEAL,
    // TLS and identity
    SCN_ACT_CERT_EXPIRED,
    SCN_ACT_CERT_NOT_YET_VALID,
    SCN_ACT_UNTRUSTED_CA,
    SCN_ACT_CERT_ROTATE,
    // hub
    SCN_ACT_BROKER_RESTART,
    SCN_ACT_KICK,
    SCN_ACT_THROTTLE,
    SCN_ACT_TWIN_DROP,
    SCN_ACT_TWIN_DELAY,
    SCN_ACT_METHOD_TIMEOUT,
    SCN_ACT_C2D_BURST,
    SCN_ACT_DESIRED,
    SCN_ACT_METHOD,
    SCN_ACT_C2D,
    // OS
    SCN_ACT_CRASH,
    SCN_ACT_HANG,
    SCN_ACT_REBOOT,
    SCN_ACT_POWER_LOSS,
    SCN_ACT_STORAGE_FULL,
    SCN_ACT_STORAGE_EIO,
    SCN_ACT_STORAGE_HEAL,
    SCN_ACT_CLOCK_JUMP,
    SCN_ACT_TIME_UNSYNCED,
    SCN_ACT_TIME_SYNC,
    SCN_ACT_MEMORY_PRESSURE,
    // updates
    SCN_ACT_DEPLOY,
    SCN_ACT_DEPLOY_CORRUPT,
    SCN_ACT_POWER_CUT_DURING_INSTALL,
    SCN_ACT_KIND_COUNT
};

enum scn_action_family {
    SCN_FAMILY_NONE = 0,
    SCN_FAMILY_BOARD,
    SCN_FAMILY_NETWORK,
    SCN_FAMILY_TLS,
    SCN_FAMILY_HUB,
    SCN_FAMILY_OS,
    SCN_FAMILY_UPDATE,
};

enum scn_button { SCN_BUTTON_A = 0, SCN_BUTTON_B };
enum scn_sensor { SCN_SENSOR_TEMPERATURE = 0, SCN_SENSOR_POTENTIOMETER };
enum scn_range_side { SCN_RANGE_HIGH = 0, SCN_RANGE_LOW };
// Which way the bytes of a device connection go: to_hub is upstream (device -> hub).
enum scn_direction { SCN_DIR_BOTH = 0, SCN_DIR_TO_HUB, SCN_DIR_TO_DEVICE };
enum scn_throttle_what { SCN_THROTTLE_TELEMETRY = 0, SCN_THROTTLE_TWIN };
enum scn_corruption { SCN_CORRUPT_FLIP_BYTE = 0, SCN_CORRUPT_TRUNCATE, SCN_CORRUPT_BAD_SIGNATURE };

struct scn_property {
    char *name;
    char *value;
};

// One action. Only the sub-struct of its kind is meaningful; the others stay zeroed.
struct scn_action {
    enum scn_action_kind kind;
    struct scn_loc loc;  // the action key
    // Options some kinds take (docs/scenarios.md says which).
    bool has_for;
    uint64_t for_ms;     // the fault reverts by itself after this long
    double probability;  // 1.0 unless given: the chance, drawn from the seed, that it applies
    enum scn_direction direction;

    struct {
        enum scn_button button;
        uint64_t hold_ms;  // click
    } button;
    struct {
        enum scn_sensor sensor;
        bool has_value;
        double value;              // set; stuck (else stuck at the current reading)
        double sigma;              // noise: standard deviation
        enum scn_range_side side;  // out_of_range
    } sensor;
    struct {
        char *host;  // NULL: every lookup fails
    } dns;
    struct {
        uint64_t delay_ms;
        uint64_t jitter_ms;
    } latency;
    struct {
        uint64_t bytes_per_second;
    } bandwidth;
    struct {
        uint64_t delay_ms;
    } slow_close;
    struct {
        uint64_t size;       // average piece, bytes
        uint64_t variation;  // +/- bytes
        uint64_t delay_ms;   // between pieces
    } slicer;
    struct {
        uint64_t bytes;
    } cut_after;
    struct {
        uint64_t validity_ms;  // cert_rotate
    } cert;
    struct {
        uint64_t down_ms;  // broker_restart
    } broker;
    struct {
        enum scn_throttle_what what;
        uint64_t per_second;
    } throttle;
    struct {
        uint64_t delay_ms;
    } twin_delay;
    struct {
        char *name;
        char *payload_json;           // the payload as JSON text ("null" when absent)
        uint64_t timeout_ms;          // responseTimeoutInSeconds
        uint64_t connect_timeout_ms;  // connectTimeoutInSeconds
    } method;                         // method, method_timeout
    struct {
        char *text;       // a text body (c2d_burst: `{n}` stands for the message number)
        char *body_json;  // a JSON body instead of text
        struct scn_property *properties;
        size_t property_count;
        bool has_ttl;
        uint64_t ttl_ms;
        uint64_t count;        // c2d_burst
        uint64_t interval_ms;  // c2d_burst
    } c2d;
    struct {
        char *patch_json;
    } desired;
    struct {
        int signal;  // Linux signal number
    } crash;
    struct {
        uint64_t off_ms;
    } power;
    struct {
        int64_t jump_ms;  // > 0 forwards, < 0 back
    } clock;
    struct {
        uint64_t limit_bytes;
    } memory;
    struct {
        char *image;
        enum scn_corruption corruption;
        double progress;  // power_cut_during_install: fraction of the install done
    } update;
};

// ---- conditions and expectations ----

enum scn_condition_kind {
    SCN_COND_NONE = 0,
    SCN_COND_TELEMETRY,
    SCN_COND_TWIN,
    SCN_COND_METHOD,
    SCN_COND_C2D,
    SCN_COND_LED,
    SCN_COND_APP_EXIT,
    SCN_COND_RESTARTS,
    SCN_COND_FAILURE_REPORT,
    SCN_COND_LOG,
    SCN_COND_PEAK_MEMORY,
    SCN_COND_DENIED,
    SCN_COND_CONNECTIONS,
    SCN_COND_KIND_COUNT
};

enum scn_c2d_outcome { SCN_C2D_COMPLETED = 0, SCN_C2D_EXPIRED };
enum scn_led_state { SCN_LED_ON = 0, SCN_LED_OFF };

struct scn_condition {
    enum scn_condition_kind kind;
    struct scn_loc loc;  // the kind key
    char *device_id;     // as written; NULL when the scenario's only device is meant
    struct scn_loc device_loc;
    size_t device_index;  // filled by validation
    struct scn_count count;
    // telemetry `where`, twin `reported`, method `payload`
    struct scn_field_conds fields;

    struct {
        bool has_order;
        struct scn_field_cond order;  // op unused: values must strictly increase
        bool no_loss;
        bool no_duplicates;
    } telemetry;
    struct {
        struct scn_step_ref call;
        bool has_status;
        int status;
    } method;
    struct {
        struct scn_step_ref message;
        enum scn_c2d_outcome outcome;
    } c2d;
    struct {
        char *name;  // an RDB LED name such as "LED1_RED", or NULL
        int gpio;    // -1 unless given as a GPIO number
        bool blink;
        enum scn_led_state state;  // !blink
        uint64_t on_ms;            // blink
        uint64_t off_ms;
        uint64_t tolerance_ms;
        uint64_t cycles;
    } led;
    struct {
        bool has_code;
        int code;
        int signal;               // 0: any
        char *reason;             // failure_report: "exit", "crash", "killed-after-sigterm-timeout"
    } exit;                       // app_exit, failure_report
    char *pattern;                // log: POSIX extended regex
    uint64_t memory_under_bytes;  // peak_memory
    char *capability;             // denied: "Gpio:8", "AllowedConnections:host", … NULL = any
    struct {
        bool has_open;
        struct scn_count open;
        bool has_total;
        struct scn_count total;
    } connections;
};

enum scn_expect_form { SCN_EVENTUALLY = 0, SCN_ALWAYS };

struct scn_expectation {
    struct scn_loc loc;
    char *name;  // a label for reports, or NULL
    enum scn_expect_form form;
    struct scn_condition cond;
    struct scn_time_ref from;  // default: boot (0 ms)
    uint64_t within_ms;        // eventually
    bool has_to;
    struct scn_time_ref to;  // always; default: the end of the run
};

// ---- steps, devices, hub, scenario ----

enum scn_timing { SCN_AT = 0, SCN_AFTER, SCN_UNTIL };

struct scn_step {
    struct scn_loc loc;
    char *id;  // NULL when the step has none
    struct scn_loc id_loc;
    char *note;  // free text for the trace, or NULL
    enum scn_timing timing;
    struct scn_loc time_loc;  // the at/after/until value
    uint64_t time_ms;         // at: device time; after: delay from the previous step
    uint64_t earliest_ms;     // validation: the earliest device time the step can run at
    struct scn_condition until;
    uint64_t within_ms;  // until
    char *device_id;     // NULL: the only device (or none for hub-wide actions)
    struct scn_loc device_loc;
    size_t device_index;       // filled by validation
    struct scn_action action;  // kind SCN_ACT_NONE for until steps
};

struct scn_device {
    struct scn_loc loc;
    char *id;
    struct scn_loc id_loc;
    char *app;       // resolved path of the unpacked app directory (or binary)
    char *manifest;  // resolved path, or NULL for the app's own
    char *board;     // "mt3620_rdb"
    bool has_cmd_args;
    char **cmd_args;
    size_t cmd_arg_count;
    // initial state
    char *storage_image;  // resolved path, or NULL
    bool network_down;
    int64_t clock_offset_ms;
    bool time_synced;
};

enum scn_hub_kind { SCN_HUB_LOCAL = 0, SCN_HUB_REAL };

struct scn_hub {
    struct scn_loc loc;
    enum scn_hub_kind kind;
    char *host;  // SCN_HUB_REAL
};

struct scn_variable {
    char *name;
    char *value;
};

struct scn_arena;

struct scn_scenario {
    char *source;  // the file name given to the parser
    char *name;
    char *description;
    char **tags;
    size_t tag_count;
    bool has_seed;
    uint64_t seed;
    uint64_t time_limit_ms;
    struct scn_variable *variables;  // the variables in force, file defaults overridden
    size_t variable_count;
    struct scn_hub hub;
    struct scn_device *devices;
    size_t device_count;
    struct scn_step *steps;
    size_t step_count;
    struct scn_expectation *expectations;
    size_t expectation_count;
    struct scn_arena *arena;  // owns everything above
};

// Variables the runner supplies (e.g. build = the build directory); they override the file's
// `variables:` defaults. `scenario_dir` is always defined as the file's directory.
struct scn_options {
    const struct scn_variable *variables;
    size_t variable_count;
};

enum scn_result {
    SCN_OK = 0,
    SCN_ERR_IO,       // the file could not be read
    SCN_ERR_LIMIT,    // past a hostile-input bound (size, depth, nodes, aliases)
    SCN_ERR_SYNTAX,   // not well-formed YAML
    SCN_ERR_SCHEMA,   // well-formed, but a key, type or value is wrong
    SCN_ERR_INVALID,  // each part is right, but they do not fit together (validation)
    SCN_ERR_NOMEM,
};

#define SCN_DEFAULT_TIME_LIMIT_MS (10ull * 60 * 1000)

// Reads, parses and validates the scenario at path. opts may be NULL. On success *out owns the
// model (free it with scn_scenario_free). On error *out is zeroed and err holds one line:
// "<path>:<line>:<column>: expected <what>, got <what>" (or another reason after the location).
enum scn_result scn_load(const char *path, const struct scn_options *opts, struct scn_scenario *out,
                         char *err, size_t err_size);

// As scn_load for text in memory (len bytes, need not be NUL-terminated). source_name names the
// file in messages, and relative paths in the scenario resolve against its directory.
enum scn_result scn_parse(const char *text, size_t len, const char *source_name,
                          const struct scn_options *opts, struct scn_scenario *out, char *err,
                          size_t err_size);

// Releases everything the scenario holds and zeroes it. NULL and zeroed scenarios are fine.
void scn_scenario_free(struct scn_scenario *scenario);

// The key an action or condition kind is written with ("click", "telemetry"), or "?".
const char *scn_action_key(enum scn_action_kind kind);
enum scn_action_family scn_action_family_of(enum scn_action_kind kind);
const char *scn_condition_key(enum scn_condition_kind kind);

// Whether the kind needs the local hub (a real hub cannot do it); validation refuses these when
// the scenario names a real hub.
bool scn_action_needs_local_hub(enum scn_action_kind kind);
bool scn_condition_needs_local_hub(enum scn_condition_kind kind);
