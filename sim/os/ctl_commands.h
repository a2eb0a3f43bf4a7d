// SPDX-License-Identifier: MIT
// What each control request does to a running device, and the device status it reports.
// Requests are JSON objects with a "cmd" member: status, button, gpio, net, reboot, power-off,
// power-on, sensor, adc, potentiometer, clock, proxy, dns, time-sync, storage, memory, power-cut,
// cert. Replies are JSON objects with "ok" and either the result or "error".
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_supervisor;

enum sim_ctl_cmd {
    SIM_CTL_STATUS = 0,
    SIM_CTL_BUTTON,
    SIM_CTL_GPIO,
    SIM_CTL_NET,
    SIM_CTL_REBOOT,
    SIM_CTL_POWER_OFF,
    SIM_CTL_POWER_ON,
    SIM_CTL_SENSOR,         // the temperature sensor: value and fault knobs
    SIM_CTL_ADC,            // the voltage on an ADC channel's pin
    SIM_CTL_POTENTIOMETER,  // the voltage on the potentiometer's ADC channel
    SIM_CTL_CLOCK,          // the device clock: status, jump, set, rate
    SIM_CTL_PROXY,          // one of the fault proxy's text commands (net/net_command.h)
    SIM_CTL_DNS,            // the DNS server stops answering, or answers again (ctl_faults.h)
    SIM_CTL_TIME_SYNC,      // the time server stops answering, or answers again (ctl_faults.h)
    SIM_CTL_STORAGE,        // mutable storage full, failing with EIO, or healthy (ctl_faults.h)
    SIM_CTL_MEMORY,         // the app's heap limit set or lifted (ctl_faults.h)
    SIM_CTL_POWER_CUT,      // power goes at a named update step (ctl_power_cut.h)
    SIM_CTL_CERT,           // the tenant CA issues the device a new certificate now (ctl_cert.h)
};

#define SIM_CTL_PROXY_COMMAND_MAX 512
#define SIM_CTL_DNS_HOST_MAX 253  // a DNS name, or "*." and one

enum sim_ctl_clock_action {
    SIM_CTL_CLOCK_STATUS = 0,
    SIM_CTL_CLOCK_JUMP,  // "by": a duration such as "+2h" or "-30m"
    SIM_CTL_CLOCK_SET,   // "time": UTC, e.g. "2030-01-01T00:00:00Z"
    SIM_CTL_CLOCK_RATE,  // "rate": device seconds per real second, a number or a string
};

enum sim_ctl_button_action { SIM_CTL_PRESS = 0, SIM_CTL_RELEASE, SIM_CTL_CLICK };

// Fault knobs of `sensor`; KEEP leaves the current state.
enum sim_ctl_stuck { SIM_CTL_STUCK_KEEP = 0, SIM_CTL_STUCK_ON, SIM_CTL_STUCK_OFF };
enum sim_ctl_wiring {
    SIM_CTL_WIRING_KEEP = 0,
    SIM_CTL_WIRING_CONNECTED,
    SIM_CTL_WIRING_DISCONNECTED,  // the sensor stops acknowledging: ENXIO
    SIM_CTL_WIRING_HUNG,          // the sensor holds the clock: ETIMEDOUT
};

// Measurement noise to set on a sensor or an ADC input ("noise" and "seed" in a request).
struct sim_ctl_noise {
    bool set;
    double sigma;  // standard deviation in the reading's unit, >= 0; 0 turns the noise off
    uint64_t seed;
};

struct sim_ctl_sensor_change {
    bool set_celsius;
    double celsius;  // any finite value; the sensor's output saturates
    enum sim_ctl_stuck stuck;
    struct sim_ctl_noise noise;  // in °C
    enum sim_ctl_wiring wiring;
};

// A request whose fields have been checked; only those its cmd uses are set.
struct sim_ctl_request {
    enum sim_ctl_cmd cmd;
    char button;  // button: 'A' or 'B'
    enum sim_ctl_button_action action;
    int gpio_id;                          // gpio: an integer, not yet checked against the board
    bool link_up;                         // net
    bool stall;                           // net down: open connections stall instead of reset
    struct sim_ctl_sensor_change sensor;  // sensor (only "temperature" exists)
    uint32_t adc_channel;                 // adc: below SIM_ADC_CHANNELS
    bool set_volts;                       // adc, potentiometer: volts given
    double volts;                         // adc, potentiometer: any finite value
    struct sim_ctl_noise adc_noise;       // adc, potentiometer: in volts

    enum sim_ctl_clock_action clock_action;  // clock
    int64_t clock_ms;                        // clock jump: delta; clock set: Unix epoch ms
    double clock_rate;                       // clock rate: within the clock's limits

    char proxy_command[SIM_CTL_PROXY_COMMAND_MAX + 1];  // proxy: one line, checked when run

    bool dns_fail;                            // dns: fail (true) or ok
    char dns_host[SIM_CTL_DNS_HOST_MAX + 3];  // dns fail: "" (every name) or a pattern
    bool time_server_answers;                 // time-sync: synced (true) or unsynced
    int storage_fault;                        // storage: enum devbus_storage_fault
    int64_t cert_validity_ms;                 // cert rotate: 0 (24 h) or 1 min to 365 d
    uint64_t heap_limit_bytes;                // memory: the limit, or 0 to lift it
    bool set_memory_budget;                   // memory: budget given (heap limit untouched)
    uint64_t memory_budget_bytes;             // memory budget: 0 (none) or 16 KiB to 1 GiB
    int power_cut_step;  // power-cut: an index in sim_update_crash_steps, or -1 to disarm
};

// Parses one request line (NUL-terminated, untrusted) without touching any device. Returns 0 with
// *out_request filled, or -1 with *out_error set to the one-line reason a reply carries: static
// text, or for a reason quoting the request, a static buffer that the next call overwrites.
int sim_ctl_parse(const char *line, struct sim_ctl_request *out_request, const char **out_error);

// Executes one request line and writes the reply JSON (always a valid object) into out.
void sim_ctl_execute(struct sim_supervisor *supervisor, const char *line, char *out,
                     size_t out_size);
