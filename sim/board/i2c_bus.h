// SPDX-License-Identifier: MIT
// The MT3620's I2C masters (ISUs used as I2C) and the devices wired to them. An app that opens an
// interface holds one end of a channel; each transfer it sends is carried out as one bus
// transaction and handed to the device model at the target address. A target that is missing or
// disconnected does not acknowledge (ENXIO); one that holds the clock low past the timeout gives
// ETIMEDOUT.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_I2C_MAX_ISU 5
#define SIM_I2C_MAX_TARGETS 4
// The MT3620 supports 7-bit target addresses only.
#define SIM_I2C_MAX_ADDRESS 0x7Fu
// The fastest clock the MT3620 supports (fast mode plus); high-speed mode is not supported.
#define SIM_I2C_MAX_SPEED_HZ 1000000u

// How a target is wired, for fault injection.
enum sim_i2c_link {
    SIM_I2C_LINK_CONNECTED = 0,
    SIM_I2C_LINK_DISCONNECTED,  // never acknowledges: ENXIO
    SIM_I2C_LINK_HUNG,          // stretches the clock past any timeout: ETIMEDOUT
};

// One transaction for a device model: write_len bytes written, then read_len bytes to supply.
// Returns 0 or an errno.
typedef int sim_i2c_transfer_fn(void *model, const uint8_t *write_data, size_t write_len,
                                uint8_t *read_data, size_t read_len);

struct sim_i2c_target {
    uint8_t address;
    enum sim_i2c_link link;
    void *model;
    sim_i2c_transfer_fn *transfer;
};

struct sim_i2c_bus {
    bool exists;
    char manifest_name[8];  // the I2cMaster capability value, "ISU2"
    int channel_fd;         // the OS end of the app's channel, -1 when not open
    uint32_t speed_hz;
    uint32_t timeout_ms;  // 0 until the app sets one: the OS's default
    uint32_t default_address;
    struct sim_i2c_target targets[SIM_I2C_MAX_TARGETS];
    size_t target_count;
};

// Makes bus an existing interface with no targets, called manifest_name in app manifests.
void sim_i2c_bus_init(struct sim_i2c_bus *bus, const char *manifest_name);

// Wires a device model at address. Returns 0, EINVAL (address not 7-bit), EEXIST (address
// taken) or ENOSPC (no room).
int sim_i2c_bus_attach(struct sim_i2c_bus *bus, uint8_t address, void *model,
                       sim_i2c_transfer_fn *transfer);

// The target at address, or NULL.
struct sim_i2c_target *sim_i2c_bus_target(struct sim_i2c_bus *bus, uint32_t address);

// Opens the interface for the app and returns the app's end of the channel in *out_app_fd.
// Returns 0 or an errno: ENODEV (no such interface), EBUSY (already open), EMFILE/ENFILE.
// The caller checks the manifest first.
int sim_i2c_bus_open(struct sim_i2c_bus *bus, int *out_app_fd);

// Serves one request waiting on the channel. Returns false when the app has closed the channel
// (the interface is then released), true otherwise.
bool sim_i2c_bus_serve(struct sim_i2c_bus *bus);

// Carries out one transaction with the target at address. Returns 0 or an errno: EINVAL (not a
// 7-bit address), ENXIO (no target, or it is disconnected), ETIMEDOUT (it is hung), or the
// model's error.
int sim_i2c_bus_transfer(struct sim_i2c_bus *bus, uint32_t address, const uint8_t *write_data,
                         size_t write_len, uint8_t *read_data, size_t read_len);

// Releases the app's channel: the app died or closed it.
void sim_i2c_bus_release(struct sim_i2c_bus *bus);

// A reset: channel released and the interface back to its power-on configuration. Targets and
// their wiring stay; their own state is the device models' business.
void sim_i2c_bus_reset(struct sim_i2c_bus *bus);
