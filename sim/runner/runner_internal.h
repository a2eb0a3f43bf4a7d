// SPDX-License-Identifier: MIT
// What the runner's files share: the run's state, the observations gathered from each device and
// the hub (every one stamped with scenario time, milliseconds since the first device booted), and
// the functions each file provides to the others. Nothing outside sim/runner includes this.
#pragma once

#include <cjson/cJSON.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runner/runner.h"
#include "runner/scenario.h"

#define RN_PATH_MAX 4096
#define RN_ROOT_MAX 1024  // the run's temporary directory; paths under it fit RN_PATH_MAX
#define RN_DEVICE_ID_MAX 130
#define RN_LINE_MAX 8192
#define RN_MAX_GPIO 128
#define RN_NEVER INT64_MIN

// ---- growable arrays ----

// Appends one item of size bytes to *items (count, cap updated). Returns false when out of
// memory (the array is left as it was).
bool rn_push(void **items, size_t *count, size_t *cap, size_t size, const void *item);
#define RN_PUSH(arr, cnt, cap, item) \
    rn_push((void **)&(arr), &(cnt), &(cap), sizeof(*(arr)), &(item))

// ---- observations ----

struct rn_log_line {
    int64_t t;
    char *text;  // the line without its "[device time] " prefix, e.g. "app: INFO: ..."
};

struct rn_message {  // one telemetry message as the hub accepted it
    int64_t t;       // when the hub enqueued it
    uint64_t sequence;
    cJSON *json;  // the hub's message object: systemProperties, properties, body
    cJSON *body;  // the body parsed as JSON, or NULL when it is not JSON
};

struct rn_exit {  // one line of records/exits.jsonl
    int64_t t;
    char reason[48];
    bool has_code;
    int code;
    int signal;
};

enum rn_report_kind { RN_REPORT_EXIT = 0, RN_REPORT_CRASH, RN_REPORT_CRASH_LOOP, RN_REPORT_OTHER };

struct rn_report {  // one line of records/events.jsonl
    int64_t t;
    enum rn_report_kind kind;
    int code;    // AppExit
    int signal;  // AppCrash
    char description[256];
};

struct rn_gpio_change {
    int64_t t;
    int gpio;
    bool lit;  // an output driven low: what lights an RDB LED
};

struct rn_sample {  // a counter sampled over time (restarts, open connections, memory)
    int64_t t;
    uint64_t value;
};

struct rn_denied {
    int64_t t;
    char capability[192];
};

enum rn_c2d_state {
    RN_C2D_SENDING = 0,
    RN_C2D_QUEUED,
    RN_C2D_COMPLETED,
    RN_C2D_EXPIRED,
    RN_C2D_REFUSED
};

struct rn_c2d {  // one C2D message the runner sent
    size_t step;
    size_t device;
    uint64_t number;  // 1.. within a burst
    int64_t sent_t;
    uint64_t ttl_ms;
    enum rn_c2d_state state;
    uint64_t queued_upto;  // the device's count of queued messages including this one
    long http_status;
};

struct rn_call {  // one direct method the runner invoked
    size_t step;
    bool done;
    long http_status;
    int status;      // the device's status, or the hub's HTTP status when the call failed
    cJSON *payload;  // the device's payload (or the hub's error body)
    int64_t t_done;
};

// ---- devices ----

struct rn_device {
    size_t index;
    const struct scn_device *def;
    char dir[RN_ROOT_MAX + 32];
    char ctl_path[RN_ROOT_MAX + 64];
    char manifest[RN_PATH_MAX];  // the manifest passed to run ("" for the app's own)
    char component_id[64];
    char device_id[RN_DEVICE_ID_MAX];
    pid_t pid;  // the `spheresim run` process, 0 once reaped
    int out_fd;
    char buf[RN_LINE_MAX];
    size_t buf_len;
    size_t until_log_mark;  // log lines before the last action step; an until ignores them
    int exit_status;
    bool booted;
    bool stopped_unexpectedly;

    // power_cut_during_install: the OS was asked to end at an update step (its exit status then
    // is a power cut, not a failure), and when the runner powers it on again.
    bool power_cut_armed;
    size_t power_cut_step;     // the scenario step that armed it
    const char *power_cut_at;  // the update step's name (static)
    int64_t power_on_at;       // scenario time of the power-on; RN_NEVER when none is due
    uint64_t restarts_before;  // app restarts counted by the device's earlier lives
    bool restore_environment;  // powered on again: the sensors' environment is still to be set

    // the latest status
    bool have_status;
    bool power_on;
    char app_state[32];
    pid_t app_pid;
    uint64_t restarts;
    bool gpio_known[RN_MAX_GPIO];
    bool gpio_lit[RN_MAX_GPIO];
    double temperature_c;  // the environment as the runner last set or read it
    double potentiometer_v;
    bool pot_stuck;
    bool pot_out_of_range;
    bool temp_out_of_range;
    uint64_t open_connections;
    uint64_t peak_memory_kb;

    // file tails
    long exits_offset;
    long events_offset;

    // observations
    struct rn_log_line *logs;
    size_t log_count, log_cap;
    struct rn_message *messages;
    size_t message_count, message_cap;
    struct rn_exit *exits;
    size_t exit_count, exit_cap;
    struct rn_report *reports;
    size_t report_count, report_cap;
    struct rn_gpio_change *gpio_changes;
    size_t gpio_change_count, gpio_change_cap;
    struct rn_sample *restart_samples;
    size_t restart_sample_count, restart_sample_cap;
    struct rn_sample *open_samples;
    size_t open_sample_count, open_sample_cap;
    struct rn_sample *memory_samples;
    size_t memory_sample_count, memory_sample_cap;
    struct rn_denied *denied;
    size_t denied_count, denied_cap;
    int64_t *connects;  // times of the OS's "tcp connect to" lines
    size_t connect_count, connect_cap;

    // hub polling
    uint64_t telemetry_cursor;
    bool telemetry_busy;
    int64_t telemetry_next;
    cJSON *reported;  // the twin's reported properties as last read
    int64_t reported_t;
    bool twin_busy;
    int64_t twin_next;
    bool record_busy;
    uint64_t record_total_at;  // c2d_queued_total when the record was asked for
    int64_t record_next;
    uint64_t c2d_queued_total;  // messages this runner had the hub queue for the device
    uint64_t c2d_departed;      // of those, how many left the queue
    uint64_t c2d_expired_seen;
    int c2d_sending;  // sends without an answer yet
};

// ---- timers (deferred parts of actions) ----

enum rn_timer_kind {
    RN_TIMER_REVERT = 0,    // undo the step's fault (its `for` ran out)
    RN_TIMER_RELEASE,       // the end of a click's hold
    RN_TIMER_POWER_ON,      // power returns after power_loss's off_for
    RN_TIMER_C2D_NEXT,      // the next message of a burst
    RN_TIMER_BROKER_START,  // broker_restart's down_for ran out
};

struct rn_timer {
    int64_t t;
    enum rn_timer_kind kind;
    size_t step;
    uint64_t number;
    bool done;
};

// A hung app: stopped (SIGSTOP) so its event loop cannot run. The kernel queues the signals
// sent to a stopped process instead of acting on them, so the runner watches for its watchdog's
// SIGALRM to become pending and then lets the process continue into it.
struct rn_hang {
    size_t step;
    pid_t pid;
    int64_t until;  // scenario time the hang ends by itself (INT64_MAX: never)
    bool done;
};

// ---- expectations and the run ----

enum rn_verdict { RN_UNDECIDED = 0, RN_PASSED, RN_FAILED, RN_SKIPPED };

struct rn_expect_state {
    enum rn_verdict verdict;
    int64_t decided_t;
    char last_detail[512];  // what the last evaluation saw
};

struct rn_regex {
    const void *key;  // the condition or field condition the pattern belongs to
    regex_t re;
    bool ok;
};

struct rn_log_cache {  // incremental log matching for one (condition, device)
    const struct scn_condition *cond;
    size_t device;
    size_t upto;    // log lines looked at
    size_t *lines;  // indexes of the matching lines
    size_t count, cap;
};

struct rn_http;

struct rn_runner {
    const struct scn_scenario *scn;
    const struct scn_run_config *cfg;
    struct scn_run_result *result;
    uint64_t seed;
    char root[RN_ROOT_MAX];
    char home[RN_ROOT_MAX + 16];
    char hub_dir[RN_ROOT_MAX + 16];
    int64_t t0_mono_ms;  // host monotonic time of scenario time 0
    int64_t t0_real_ms;  // host real time of scenario time 0
    bool started;        // t0 is set
    bool blink_watch;    // some condition needs fine-grained LED sampling

    struct rn_device *devices;
    size_t device_count;

    // the hub
    bool hub_local;
    bool hub_started;
    int http_port;
    void *multi;  // CURLM
    struct rn_http *http;
    int hub_restarting;  // broker restarts in progress

    // steps
    size_t next_step;
    int64_t *step_t;  // when each step ran (RN_NEVER until then)
    int64_t wait_start;
    int64_t last_action_t;  // when the last action step ran (an until's window starts there)
    bool evaluating_until;  // log conditions skip lines read before the last action
    bool steps_failed;
    struct rn_timer *timers;
    size_t timer_count, timer_cap;
    struct rn_call *calls;
    size_t call_count, call_cap;
    struct rn_c2d *c2d;
    size_t c2d_count, c2d_cap;
    bool *applied;  // per step: the fault applied (its probability draw said so)
    struct rn_hang *hangs;
    size_t hang_count, hang_cap;

    struct rn_expect_state *expect;
    struct rn_regex *regexes;
    size_t regex_count, regex_cap;
    struct rn_log_cache *log_caches;
    size_t log_cache_count, log_cache_cap;
    int64_t next_eval;
    int64_t next_sample;  // host monotonic ms of the next device state sample

    // trace
    void *trace;  // FILE *
    size_t trace_events;
    bool fatal;           // an error that ends the run
    bool unsupported;     // the scenario needs something this build lacks
    bool updates;         // the scenario deploys images: devices check for updates often
    bool update_started;  // the run's update service is up
};

// ---- runner.c ----

int64_t rn_now(const struct rn_runner *r);
int64_t rn_mono_ms(void);
int64_t rn_real_ms(void);
// Prints "[  12.345s] text" to the progress stream.
void rn_progress(struct rn_runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Records a failure for the report (kind: "expectation", "step", "error", "time-limit").
void rn_fail(struct rn_runner *r, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
// A step's label for messages: "step 3 (file.yaml:12:5) press".
void rn_step_label(const struct rn_runner *r, size_t step, char *out, size_t out_size);
bool rn_add_timer(struct rn_runner *r, int64_t t, enum rn_timer_kind kind, size_t step,
                  uint64_t number);

// ---- runner_proc.c: child processes ----

// Starts argv[0] (a path) with stdout and stderr on a pipe whose read end (non-blocking) goes to
// *out_fd, in its own process group, killed with SIGTERM if the runner dies. Returns the pid or
// -1 with a reason in err.
pid_t rn_spawn(char *const argv[], int *out_fd, char *err, size_t err_size);
// Runs argv to completion (at most timeout_ms), capturing its output into out. Returns its exit
// status (0..255), or -1 with a reason in err (could not start, killed, timed out).
int rn_run_capture(char *const argv[], int timeout_ms, char *out, size_t out_size, char *err,
                   size_t err_size);
// Stops a process group started by rn_spawn: SIGTERM, then SIGKILL after grace_ms. Reaps it.
void rn_stop_group(pid_t pid, int grace_ms, int *out_status);
void rn_install_signals(void);
void rn_restore_signals(void);
bool rn_signalled(void);
// Removes a directory tree (best effort).
void rn_remove_tree(const char *path);

// ---- runner_device.c ----

// Prepares each device's directory, starts its `spheresim run` and waits until all have booted.
// Returns 0, or -1 after recording a failure.
int rn_devices_start(struct rn_runner *r);
// Reads device output, samples status and record files as due.
void rn_devices_poll(struct rn_runner *r);
void rn_devices_stop(struct rn_runner *r);
void rn_devices_free(struct rn_runner *r);
// One control request to the device. Returns 0 with the reply in out, or -1 with the reason
// (the device's own error, or why it could not be asked) in err.
int rn_ctl(struct rn_runner *r, size_t device, const char *request_json, cJSON **out_reply,
           char *err, size_t err_size);
// The fds the main loop waits on (device output); returns how many were written.
size_t rn_devices_fds(struct rn_runner *r, int *fds, size_t max);
// The GPIO that an RDB LED name stands for, or -1.
int rn_led_gpio(const char *name);

// ---- runner_device_prepare.c ----

// Creates device d's directory with its manifest copy and storage image. Returns 0, or -1 with
// the reason in err.
int rn_device_prepare(struct rn_runner *r, struct rn_device *d, char *err, size_t err_size);
// Starts device d's `spheresim run` (again after a power cut). Returns 0, or -1 (err).
int rn_device_spawn(struct rn_runner *r, struct rn_device *d, char *err, size_t err_size);

// ---- runner_hub.c ----

int rn_hub_start(struct rn_runner *r);
void rn_hub_stop(struct rn_runner *r);
// Advances HTTP requests and issues the polls that are due.
void rn_hub_poll(struct rn_runner *r);
typedef void (*rn_http_done)(struct rn_runner *r, long status, const char *body, size_t device,
                             size_t step, uint64_t number);
// Starts an HTTP request to the hub's service API (path from "/"). body may be NULL.
int rn_http_start(struct rn_runner *r, const char *method, const char *path, const char *body,
                  long timeout_ms, rn_http_done done, size_t device, size_t step, uint64_t number);
// Waits up to timeout_ms for device output or HTTP progress.
void rn_wait(struct rn_runner *r, int timeout_ms);
void rn_hub_free(struct rn_runner *r);
bool rn_hub_busy(const struct rn_runner *r);
// Starts the broker again (after broker_restart's down_for) with `hub start`.
void rn_hub_broker_start(struct rn_runner *r);
// Stops the broker alone (SIGTERM), leaving the service API up. Returns 0 or -1 (err).
int rn_hub_broker_stop(struct rn_runner *r, char *err, size_t err_size);

// ---- runner_actions.c ----

// Runs the action of step i (its time has come). Returns 0, or -1 when it failed (recorded).
int rn_action_run(struct rn_runner *r, size_t step);
void rn_timer_fire(struct rn_runner *r, struct rn_timer *timer);
// Ends hangs whose time is up or whose app's watchdog fired.
void rn_hangs_poll(struct rn_runner *r);
// Whether this build can carry out the action kind; *why says why not.
bool rn_action_supported(const struct rn_runner *r, const struct scn_action *action,
                         const char **why);
void rn_describe_action(const struct scn_action *action, char *out, size_t out_size);

// ---- runner_update.c ----

bool rn_update_needed(const struct rn_runner *r);
// Creates the run's image-signing key and starts its update service. 0, or -1 (recorded).
int rn_update_start(struct rn_runner *r);
void rn_update_stop(struct rn_runner *r);
// Deploys the step's image (deploy, deploy_corrupt, power_cut_during_install: which first arms
// the device's power cut). 0, or -1 (recorded).
int rn_update_action(struct rn_runner *r, size_t step);
// The update step at which power_cut_during_install cuts the power for progress (0 < p < 1):
// the install's steps, install-slot-cleared .. install-switched, each an equal share of
// progress (a fifth each today).
// Returns a name from sim_update_crash_steps.
const char *rn_power_cut_step(double progress);

// The app's established TCP connections: its socket descriptors found in the kernel's TCP
// tables. 0 while app_pid still runs the device process's program (between fork and exec it
// holds the OS's sockets, not its own).
uint64_t rn_app_open_connections(pid_t app_pid, pid_t device_pid);

// ---- runner_cond.c ----

// Evaluates cond for device over the window [from, to]. Returns true when it holds; detail
// says what was seen either way.
bool rn_cond_eval(struct rn_runner *r, const struct scn_condition *cond, size_t device,
                  int64_t from, int64_t to, char *detail, size_t detail_size);
// Whether the condition needs the hub's view of the twin, or of the device record (C2D).
bool rn_cond_needs_twin(const struct scn_condition *cond);
const regex_t *rn_regex(struct rn_runner *r, const void *key, const char *pattern);
void rn_cond_free(struct rn_runner *r);

// ---- runner_json.c: field paths and comparisons ----

// The value at a body path ("$", "$.a.b[2]", "a.b[2]"), or NULL.
const cJSON *rn_json_path(const cJSON *root, const char *path);
// Compares a JSON value with a field condition. value NULL: the field is absent.
bool rn_field_matches(const struct scn_field_cond *cond, const cJSON *value, const regex_t *re);
// Natural order: plain decimals ("-2.5", "10") by value, other strings with their digit runs
// compared as numbers ("m-9" < "m-10"). <0, 0, >0.
int rn_natural_compare(const char *a, const char *b);
bool rn_count_ok(const struct scn_count *count, uint64_t n);
// "at least 3", "exactly 2", "1 to 4".
void rn_count_text(const struct scn_count *count, char *out, size_t out_size);
// A message property: "$.mid", "$.ct", "$.ce", "$.cid", a system or an application property.
const cJSON *rn_message_property(const cJSON *message, const char *name);

// ---- runner_trace.c ----

int rn_trace_open(struct rn_runner *r);
// Adds one event (takes ownership of event, adds "t" and "type"). Returns its index.
size_t rn_trace(struct rn_runner *r, const char *type, cJSON *event);
void rn_trace_close(struct rn_runner *r);

// ---- the seed ----

// A draw in [0, 1) for a named decision; the same seed and name always give the same draw.
double rn_draw(const struct rn_runner *r, const char *what, uint64_t index);
uint64_t rn_derive_seed(const struct rn_runner *r, const char *what, uint64_t index);
