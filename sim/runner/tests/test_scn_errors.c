// SPDX-License-Identifier: MIT
// Malformed scenarios, one per table row, each with the exact message the parser must give:
// "<file>:<line>:<column>: expected <what>, got <what>". Covers YAML syntax, hostile input
// (aliases, anchors, tags, depth, size), every kind of schema mistake and every validation rule.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "scn_test_util.h"

struct bad_case {
    const char *yaml;  // appended to the preamble unless it starts with '!'
    enum scn_result rc;
    const char *message;
};

#define P SCN_TEST_PREAMBLE
#define STEP(action) "steps:\n  - at: 1s\n    " action "\n"

static const struct bad_case cases[] = {
    // ---- YAML and hostile input ----
    {"!", SCN_ERR_SCHEMA, "/scn/t.yaml:1:1: expected a scenario mapping, got an empty file"},
    {"!- a\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:1:1: expected a scenario mapping (name, devices, steps, ...), got a sequence"},
    {"!name: [x\n", SCN_ERR_SYNTAX,
     "/scn/t.yaml:2:1: expected well-formed YAML, got did not find expected ',' or ']' (while "
     "parsing a flow sequence)"},
    {"!name: x\n\tdevices: []\n", SCN_ERR_SYNTAX,
     "/scn/t.yaml:2:1: expected well-formed YAML, got found a tab character that violates "
     "indentation (while scanning a plain scalar)"},
    {"!name: \"\\xff\xff\"\n", SCN_ERR_SYNTAX,
     "/scn/t.yaml:1:12: expected well-formed YAML, got invalid leading UTF-8 octet"},
    {P "description: &d text\n", SCN_ERR_LIMIT,
     "/scn/t.yaml:5:14: expected a value without an anchor, got the anchor \"d\" (anchors and "
     "aliases are not supported)"},
    {P "description: *d\n", SCN_ERR_LIMIT,
     "/scn/t.yaml:5:14: expected a value, got an alias (anchors and aliases are not supported)"},
    {P "description: !!str text\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:14: expected a value without a tag, got the tag "
     "\"tag:yaml.org,2002:str\" (YAML tags are not supported)"},
    {P "---\nname: y\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:1: expected one YAML document, got a second one"},
    {P "name: y\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:1: expected each key once in a mapping, got \"name\" again (first at 1:1)"},
    {P "variables: {[a]: b}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:13: expected a plain or quoted key, got a sequence"},
    {P "description: [[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]\n", SCN_ERR_LIMIT,
     "/scn/t.yaml:5:37: expected at most 24 levels of nesting, got more"},
    {P "description: \"a\\0b\"\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:14: expected text without NUL characters, got a \\0 in the value"},
    // ---- top level, metadata, variables, hub ----
    {P "tmie_limit: 3m\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:1: expected a scenario key (name, description, tags, seed, time_limit, "
     "variables, hub, devices, steps, expect), got \"tmie_limit\" (did you mean time_limit?)"},
    {"!devices: []\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:1:1: expected key name in the scenario, got none"},
    {"!name: x\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:1:1: expected key devices in the scenario, got none"},
    {P "seed: -1\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:7: expected a whole number (0 or more), got \"-1\""},
    {P "seed: 18446744073709551616\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:7: expected a whole number (0 or more), got \"18446744073709551616\""},
    {P "time_limit: 5\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:13: expected a duration with a unit (ms, s, m, h or d), got \"5\""},
    {P "time_limit: 5min\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:13: expected a duration unit ms, s, m, h or d, got \"5min\""},
    {P "time_limit: -5s\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:13: expected a duration that is not negative, got \"-5s\""},
    {P "time_limit: 99999999999999999999s\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:13: expected a duration of at most 100 years, got "
     "\"99999999999999999999s\""},
    {P "time_limit: 0\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:13: expected time_limit from 1ms to 36500d, got \"0\""},
    {P "tags: [Network]\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:8: expected a tag of 1 to 64 lower-case letters, digits, '-' or '_', got "
     "\"Network\""},
    {P "hub: myhub\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:6: expected local or a hub host name such as myhub.azure-devices.net, got "
     "\"myhub\""},
    {P "hub: {hots: a.b}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:7: expected a hub key (host), got \"hots\" (did you mean host?)"},
    {"!name: x\ndevices:\n  - id: d1\n    app: ${buld}/app\nvariables: {build: /b}\n",
     SCN_ERR_SCHEMA,
     "/scn/t.yaml:4:10: expected a defined variable in ${...}, got \"buld\" (did you mean "
     "build?)"},
    {"!name: x\ndevices:\n  - id: d1\n    app: ${build/app\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:4:10: expected '}' closing the ${variable}, got \"${build/app\""},
    {P "variables: {9lives: x}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:5:13: expected a variable name (a letter or '_', then letters, digits, '_'), "
     "got \"9lives\""},
    // ---- devices ----
    {"!name: x\ndevices: []\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:2:10: expected a list of 1 to 64 devices, got a sequence"},
    {"!name: x\ndevices:\n  - id: d1\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:3:5: expected key app in the device, got none"},
    {"!name: x\ndevices:\n  - id: 1d\n    app: a\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:3:9: expected a device id (a letter, then letters, digits, '_', '-' or '.'; at "
     "most 128), got \"1d\""},
    {"!name: x\ndevices:\n  - {id: d1, app: a}\n  - {id: d1, app: b}\n", SCN_ERR_INVALID,
     "/scn/t.yaml:4:10: expected each device id once, got \"d1\" again (first at 3:10)"},
    {"!name: x\ndevices:\n  - {id: d1, app: a, board: mt3620_rbd}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:3:29: expected board mt3620_rdb, got \"mt3620_rbd\" (did you mean "
     "mt3620_rdb?)"},
    {"!name: x\ndevices:\n  - {id: d1, app: a, initial: {network: off}}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:3:41: expected network up or down, got \"off\""},
    {"!name: x\ndevices:\n  - {id: d1, app: a, initial: {clock_offset: --2h}}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:3:46: expected a duration with at most one sign, got \"--2h\""},
    {"!name: x\ndevices:\n  - {id: d1, app: a, initial: {time_synced: no}}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:3:45: expected true or false, got \"no\""},
    {"!name: x\ndevices:\n  - {id: d1, app: a, cmd_args: [--x, [y]]}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:3:38: expected an argument (text), got a sequence"},
    {"!name: x\ndevices:\n  - {id: d1, app: a, ap: b}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:3:22: expected a device key (id, app, manifest, board, cmd_args, initial), got "
     "\"ap\" (did you mean app?)"},
    // ---- steps ----
    {P "steps:\n  - at: 1s\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:5: expected an action in the step, got none"},
    {P "steps:\n  - reboot:\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:5: expected at, after or until in the step, got none"},
    {P "steps:\n  - at: 1s\n    after: 2s\n    reboot:\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:5: expected one of at, after or until in a step, got at and after"},
    {P "steps:\n  - at: 1s\n    reboot:\n    kick:\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:8:5: expected one action in a step, got reboot and kick"},
    {P STEP("clik: A"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:5: expected a step key (at, after, until, within, id, device, note) or an "
     "action (click, latency, reboot, ...; docs/scenarios.md lists them), got \"clik\" (did you "
     "mean click?)"},
    {P "steps:\n  - at: 1s\n    within: 5s\n    reboot:\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:5: expected within only with until, got it with at"},
    {P "steps:\n  - until: {restarts: {count: 1}}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:5: expected within (how long to wait) with until, got none"},
    {P "steps:\n  - until: {restarts: {count: 1}}\n    within: 5s\n    reboot:\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:8:5: expected no action in an until step (it only waits), got reboot"},
    {P "steps:\n  - after: 1s\n    reboot:\n", SCN_ERR_INVALID,
     "/scn/t.yaml:6:12: expected at or until in the first step, got after (after counts from "
     "the step before)"},
    {P "steps:\n  - at: 10s\n    reboot:\n  - at: 5s\n    reboot:\n", SCN_ERR_INVALID,
     "/scn/t.yaml:8:9: expected at: 10s or later (steps run in file order and the step before "
     "runs at 10s at the earliest), got 5s"},
    {P "time_limit: 1m\nsteps:\n  - at: 50s\n    reboot:\n  - after: 10s\n    reboot:\n",
     SCN_ERR_INVALID,
     "/scn/t.yaml:9:12: expected the step to run before the time_limit (1m), got a step at 1m "
     "or later"},
    {P "steps:\n  - at: 1s\n    id: a\n    reboot:\n  - at: 2s\n    id: a\n    reboot:\n",
     SCN_ERR_INVALID,
     "/scn/t.yaml:10:9: expected each step id once, got \"a\" again (first at 7:9)"},
    {P "steps:\n  - at: 1s\n    device: d2\n    reboot:\n", SCN_ERR_INVALID,
     "/scn/t.yaml:7:13: expected a device defined under devices (d1), got \"d2\""},
    {"!name: x\ndevices:\n  - {id: a, app: a}\n  - {id: b, app: b}\nsteps:\n  - at: 1s\n    "
     "reboot:\n",
     SCN_ERR_INVALID,
     "/scn/t.yaml:6:5: expected device (one of a, b) in the reboot step, since the scenario has "
     "2 devices, got none"},
    {P "steps:\n  - at: 1s\n    device: d1\n    broker_restart:\n", SCN_ERR_INVALID,
     "/scn/t.yaml:7:13: expected no device for broker_restart (it acts on the hub every device "
     "uses), got d1"},
    {P "hub: myhub.azure-devices.net\n" STEP("kick:"), SCN_ERR_INVALID,
     "/scn/t.yaml:8:5: expected an action the real hub myhub.azure-devices.net allows, got kick "
     "(it needs the local hub)"},
    {P "hub: {host: myhub.azure-devices.net}\nexpect:\n  - eventually: {telemetry: {count: "
       "1}}\n    within: 1m\n",
     SCN_ERR_INVALID,
     "/scn/t.yaml:7:18: expected a condition the real hub myhub.azure-devices.net can report, "
     "got telemetry (it needs the local hub, which records what arrives)"},
    // ---- actions ----
    {P STEP("click: C"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:12: expected button to be one of A, B, got \"C\""},
    {P STEP("click: {button: A, hold: 2h}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:30: expected hold from 1ms to 1h, got \"2h\""},
    {P STEP("latency: {dealy: 5s}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:15: expected a latency action key (delay, jitter, for, probability, "
     "direction), got \"dealy\" (did you mean delay?)"},
    {P STEP("latency: {jitter: 5s}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:14: expected key delay in the latency action, got none"},
    {P STEP("latency: {delay: 1s, direction: up}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:37: expected direction to be one of both, to_hub, to_device, got \"up\""},
    {P STEP("reboot: {for: 1s}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:14: expected a reboot action key (), got \"for\""},
    {P STEP("reboot: now"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:13: expected a mapping of reboot options, got \"now\""},
    {P STEP("sensor_set: temperature"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:17: expected a mapping of sensor_set options, got \"temperature\""},
    {P STEP("sensor_set: {sensor: temperature, value: \"20\"}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:46: expected a number, got \"20\""},
    {P STEP("sensor_disconnect: potentiometer"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:24: expected an I2C sensor (temperature; the potentiometer is on the ADC, "
     "which cannot NAK), got \"potentiometer\""},
    {P STEP("sensor_noise: {sensor: temprature, sigma: 1}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:28: expected sensor to be one of temperature, potentiometer, got "
     "\"temprature\" (did you mean temperature?)"},
    {P STEP("storage_eio: {probability: 1.5}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:32: expected probability from 0 to 1, got \"1.5\""},
    {P STEP("memory_pressure: 200KB"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:22: expected a size unit B, KiB, MiB or GiB, got \"200KB\""},
    {P STEP("slicer: {size: 8, variation: 8}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:34: expected a variation smaller than size (pieces are size +/- variation "
     "bytes), got \"8\""},
    {P STEP("dns_failure: {host: \"bad host\"}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:25: expected a host name or *.domain pattern (letters, digits, '-' and '.'), "
     "got \"bad host\""},
    {P STEP("throttle: {what: twin}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:15: expected key per_second in the throttle action, got none"},
    {P STEP("throttle: {what: twin, per_second: 0}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:40: expected per_second from 1 to 1000000, got \"0\""},
    {P STEP("method: {name: x, timeout: 1s}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:32: expected timeout from 5s to 5m, got \"1s\""},
    {P STEP("method: \"a/b\""), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:13: expected a method name of at most 128 characters without '/', '#', '+', "
     "'?' or spaces, got \"a/b\""},
    {P STEP("c2d: {text: a, body: {b: 1}}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:10: expected exactly one of text or body in the c2d action, got both"},
    {P STEP("c2d: {text: a, ttl: 10s}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:25: expected ttl from 1m to 2d, got \"10s\""},
    {P STEP("c2d: {text: a, properties: {\"a b\": c}}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:33: expected a property name of 1 to 128 characters without spaces, &, =, /, "
     "# or +, got \"a b\""},
    {P STEP("c2d_burst: 1001"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:16: expected count from 1 to 1000, got \"1001\""},
    {P STEP("desired: {a.b: 1}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:15: expected a twin property name without '.', '$' or spaces, got \"a.b\""},
    {P STEP("desired: 5"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:14: expected a mapping of desired properties to patch, got \"5\""},
    {P STEP("crash: SIGSEGVV"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:12: expected a signal name such as SIGSEGV, SIGABRT or SIGBUS, got "
     "\"SIGSEGVV\" (did you mean SIGSEGV?)"},
    {P STEP("crash: segv"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:12: expected a signal name such as SIGSEGV, SIGABRT or SIGBUS, got \"segv\" "
     "(did you mean SIGSEGV?)"},
    {P STEP("clock_jump: {forward: 1h, back: 1h}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:17: expected exactly one of forward or back in the clock_jump action, got "
     "both"},
    {P STEP("power_cut_during_install: {image: a, progress: 1}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:52: expected progress between 0 and 1, both excluded (0.5 = half-way), got "
     "\"1\""},
    {P STEP("deploy_corrupt: {image: a, corruption: flip}"), SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:44: expected corruption to be one of flip_byte, truncate, bad_signature, got "
     "\"flip\""},
    // ---- conditions and expectations ----
    {P "expect:\n  - within: 5s\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:5: expected eventually or always in the expectation, got neither"},
    {P "expect:\n  - eventually: {restarts: {count: 1}}\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:5: expected within (how long it may take) with eventually, got none"},
    {P "expect:\n  - always: {restarts: {count: 1}}\n    within: 5s\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:7:5: expected from/to with always, got within (within bounds eventually)"},
    {P "expect:\n  - eventually: {restart: {count: 1}}\n    within: 5s\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:18: expected a condition key (telemetry, twin, method, c2d, led, app_exit, "
     "restarts, failure_report, log, peak_memory, denied, connections), got \"restart\" (did you "
     "mean restarts?)"},
    {P "expect:\n  - eventually: {telemetry: {}}\n    within: 5s\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:29: expected at least one of count, where, order, no_loss or no_duplicates "
     "in the telemetry condition, got a mapping"},
    {P "expect:\n  - eventually: {telemetry: {where: [{path: x, gt: high}]}}\n    within: 5s\n",
     SCN_ERR_SCHEMA, "/scn/t.yaml:6:52: expected a number to compare with, got \"high\""},
    {P "expect:\n  - eventually: {telemetry: {where: [{path: x, gt: 1, lt: 2}]}}\n"
       "    within: 5s\n",
     SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:55: expected one comparison in a field condition, got gt and lt"},
    {P "expect:\n  - eventually: {telemetry: {where: [{path: \"a..b\", eq: 1}]}}\n"
       "    within: 5s\n",
     SCN_ERR_SCHEMA, "/scn/t.yaml:6:45: expected a name after '.' in the field path, got \"a..b\""},
    {P "expect:\n  - eventually: {twin: {reported: [{property: x, eq: 1}]}}\n    within: 5s\n",
     SCN_ERR_SCHEMA, "/scn/t.yaml:6:36: expected a path in the field condition, got neither"},
    {P "expect:\n  - eventually: {log: {matches: \"(a\"}}\n    within: 5s\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:33: expected a POSIX extended regular expression, got \"(a\" (Unmatched ( or "
     "\\()"},
    {P "expect:\n  - eventually: {led: {name: LED1_RD, state: on}}\n    within: 5s\n",
     SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:30: expected an MT3620 RDB LED such as LED1_RED or STATUS_LED_GREEN, got "
     "\"LED1_RD\" (did you mean LED1_RED?)"},
    {P "expect:\n  - eventually: {led: {name: LED1_RED}}\n    within: 5s\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:23: expected exactly one of state or blink in the led condition, got "
     "neither"},
    {P "expect:\n  - eventually: {app_exit: {code: 256}}\n    within: 5s\n", SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:35: expected code from 0 to 255, got \"256\""},
    {P "expect:\n  - eventually: {restarts: {count: {at_least: 3, at_most: 2}}}\n"
       "    within: 5s\n",
     SCN_ERR_SCHEMA, "/scn/t.yaml:6:59: expected at_most not below at_least, got \"2\""},
    {P "expect:\n  - eventually: {denied: {capability: \"Gpi:8\"}}\n    within: 5s\n",
     SCN_ERR_SCHEMA,
     "/scn/t.yaml:6:39: expected a manifest capability (Gpio, AllowedConnections, "
     "MutableStorage, ...), optionally with :value, got \"Gpi:8\" (did you mean Gpio?)"},
    {P "expect:\n  - eventually: {method: {call: nope}}\n    within: 5s\n", SCN_ERR_INVALID,
     "/scn/t.yaml:6:33: expected the id of a method or method_timeout step (there are none), got "
     "\"nope\""},
    {P "steps:\n  - at: 1s\n    id: r\n    reboot:\nexpect:\n  - eventually: {c2d: {message: "
       "r}}\n    within: 5s\n",
     SCN_ERR_INVALID,
     "/scn/t.yaml:10:33: expected the id of a c2d or c2d_burst step (there are none), got \"r\""},
    {P "steps:\n  - until: {method: {call: m}}\n    within: 5s\n  - at: 1s\n    id: m\n"
       "    method: x\n",
     SCN_ERR_INVALID,
     "/scn/t.yaml:6:28: expected the id of a method or method_timeout step that runs before "
     "this one, got \"m\", which runs later"},
    {P "expect:\n  - always: {restarts: {count: 0}}\n    from: boot\n", SCN_ERR_INVALID,
     "/scn/t.yaml:7:11: expected the id of a step (there are none), got \"boot\""},
    {P "expect:\n  - always: {restarts: {count: 0}}\n    from: 2m\n    to: 1m\n", SCN_ERR_INVALID,
     "/scn/t.yaml:8:9: expected to after from (2m), got 1m"},
    {P "time_limit: 1m\nexpect:\n  - eventually: {restarts: {count: 0}}\n    within: 2m\n",
     SCN_ERR_INVALID,
     "/scn/t.yaml:7:18: expected within to end by the time_limit (1m), got within 2m"},
    {P "expect:\n  - eventually: {restarts: {count: 0}}\n    within: 1m\n    to: 2m\n",
     SCN_ERR_SCHEMA,
     "/scn/t.yaml:8:5: expected within with eventually, got to (to ends an always window)"},
};

static void test_scn_parse_malformed_input_gives_exact_location_and_message(void **state) {
    size_t failures = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        const struct bad_case *bc = &cases[i];
        const char *text = bc->yaml[0] == '!' ? bc->yaml + 1 : bc->yaml;
        struct scn_scenario s;
        char err[1024];
        enum scn_result rc =
            scn_parse(text, strlen(text), SCN_TEST_FILE, NULL, &s, err, sizeof(err));
        if (rc != bc->rc || strcmp(err, bc->message) != 0) {
            fprintf(stderr, "case %zu:\n  input: %s\n  want %d: %s\n  got  %d: %s\n", i, text,
                    bc->rc, bc->message, rc, err);
            failures++;
        }
        // A refused scenario holds nothing.
        assert_null(s.arena);
        assert_int_equal(s.step_count, 0);
    }
    assert_int_equal(failures, 0);
}

static void test_scn_parse_oversized_input_is_refused_before_parsing(void **state) {
    size_t len = SCN_MAX_FILE_BYTES + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, '#', len);
    struct scn_scenario s;
    char err[256];
    assert_int_equal(scn_parse(big, len, "big.yaml", NULL, &s, err, sizeof(err)), SCN_ERR_LIMIT);
    assert_string_equal(err,
                        "big.yaml:1:1: expected a scenario of at most 1048576 bytes, got "
                        "1048577 bytes");
    free(big);
}

// "Billion laughs": nested aliases must never expand; the first alias is refused.
static void test_scn_parse_billion_laughs_is_refused_at_the_first_alias(void **state) {
    const char *text =
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
    struct scn_scenario s;
    char err[256];
    assert_int_equal(scn_parse(text, strlen(text), "l.yaml", NULL, &s, err, sizeof(err)),
                     SCN_ERR_LIMIT);
    assert_string_equal(err,
                        "l.yaml:1:4: expected a value without an anchor, got the anchor "
                        "\"a\" (anchors and aliases are not supported)");
}

static void test_scn_load_missing_file_names_the_file(void **state) {
    struct scn_scenario s;
    char err[256];
    assert_int_equal(scn_load("/nonexistent/x.yaml", NULL, &s, err, sizeof(err)), SCN_ERR_IO);
    assert_string_equal(err,
                        "/nonexistent/x.yaml: cannot read the scenario: No such file or "
                        "directory");
}

static void test_scn_parse_hostile_value_is_escaped_in_the_message(void **state) {
    const char *text = P "steps:\n  - at: 1s\n    crash: \"x\\ny\\e[31m\"\n";
    struct scn_scenario s;
    char err[512];
    assert_int_equal(scn_parse(text, strlen(text), "h.yaml", NULL, &s, err, sizeof(err)),
                     SCN_ERR_SCHEMA);
    assert_string_equal(err,
                        "h.yaml:7:12: expected a signal name such as SIGSEGV, SIGABRT or "
                        "SIGBUS, got \"x\\x0ay\\x1b[31m\"");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scn_parse_malformed_input_gives_exact_location_and_message),
        cmocka_unit_test(test_scn_parse_oversized_input_is_refused_before_parsing),
        cmocka_unit_test(test_scn_parse_billion_laughs_is_refused_at_the_first_alias),
        cmocka_unit_test(test_scn_load_missing_file_names_the_file),
        cmocka_unit_test(test_scn_parse_hostile_value_is_escaped_in_the_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
