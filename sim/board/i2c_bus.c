// SPDX-License-Identifier: MIT
// I2C master interfaces and their targets; see i2c_bus.h.
#include "board/i2c_bus.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "board/channel.h"
#include "devbus.h"

#define DEFAULT_SPEED_HZ 100000u  // standard mode until the app chooses

void sim_i2c_bus_init(struct sim_i2c_bus *bus, const char *manifest_name) {
    memset(bus, 0, sizeof(*bus));
    bus->exists = true;
    bus->channel_fd = -1;
    snprintf(bus->manifest_name, sizeof(bus->manifest_name), "%s", manifest_name);
    sim_i2c_bus_reset(bus);
}

int sim_i2c_bus_attach(struct sim_i2c_bus *bus, uint8_t address, void *model,
                       sim_i2c_transfer_fn *transfer) {
    if (address > SIM_I2C_MAX_ADDRESS) {
        return EINVAL;
    }
    if (sim_i2c_bus_target(bus, address) != NULL) {
        return EEXIST;
    }
    if (bus->target_count == SIM_I2C_MAX_TARGETS) {
        return ENOSPC;
    }
    bus->targets[bus->target_count++] = (struct sim_i2c_target){
        .address = address, .link = SIM_I2C_LINK_CONNECTED, .model = model, .transfer = transfer};
    return 0;
}

struct sim_i2c_target *sim_i2c_bus_target(struct sim_i2c_bus *bus, uint32_t address) {
    for (size_t i = 0; i < bus->target_count; i++) {
        if (bus->targets[i].address == address) {
            return &bus->targets[i];
        }
    }
    return NULL;
}

int sim_i2c_bus_open(struct sim_i2c_bus *bus, int *out_app_fd) {
    *out_app_fd = -1;
    if (!bus->exists) {
        return ENODEV;
    }
    if (bus->channel_fd >= 0 && sim_channel_peer_closed(bus->channel_fd)) {
        // The app closed its descriptor just before asking again; the hang-up may not have been
        // served yet, but the interface is free.
        sim_i2c_bus_release(bus);
    }
    if (bus->channel_fd >= 0) {
        return EBUSY;
    }
    return sim_channel_create(&bus->channel_fd, out_app_fd);
}

int sim_i2c_bus_transfer(struct sim_i2c_bus *bus, uint32_t address, const uint8_t *write_data,
                         size_t write_len, uint8_t *read_data, size_t read_len) {
    if (address > SIM_I2C_MAX_ADDRESS) {
        return EINVAL;
    }
    struct sim_i2c_target *target = sim_i2c_bus_target(bus, address);
    if (target == NULL || target->link == SIM_I2C_LINK_DISCONNECTED) {
        return ENXIO;
    }
    if (target->link == SIM_I2C_LINK_HUNG) {
        return ETIMEDOUT;
    }
    return target->transfer(target->model, write_data, write_len, read_data, read_len);
}

// Decides one request from the app; the reply is built in place over the request.
static void decide(struct sim_i2c_bus *bus, struct devbus_i2c_msg *msg, size_t len,
                   size_t *out_reply_len) {
    *out_reply_len = DEVBUS_I2C_HEADER_SIZE;
    bool well_formed = len >= DEVBUS_I2C_HEADER_SIZE && msg->write_len <= DEVBUS_I2C_MAX_TRANSFER &&
                       msg->read_len <= DEVBUS_I2C_MAX_TRANSFER &&
                       len == DEVBUS_I2C_HEADER_SIZE + msg->write_len;
    if (!well_formed) {
        *msg = (struct devbus_i2c_msg){.op = msg->op, .err = EINVAL};
        return;
    }
    msg->err = 0;
    switch (msg->op) {
        case DEVBUS_I2C_SET_SPEED:
            if (msg->value == 0 || msg->value > SIM_I2C_MAX_SPEED_HZ) {
                msg->err = EINVAL;
            } else {
                bus->speed_hz = msg->value;
            }
            break;
        case DEVBUS_I2C_SET_TIMEOUT:
            bus->timeout_ms = msg->value;
            break;
        case DEVBUS_I2C_SET_DEFAULT:
            if (msg->address > SIM_I2C_MAX_ADDRESS) {
                msg->err = EINVAL;
            } else {
                bus->default_address = msg->address;
            }
            break;
        case DEVBUS_I2C_TRANSFER: {
            uint32_t address =
                (msg->flags & DEVBUS_I2C_TO_DEFAULT) != 0 ? bus->default_address : msg->address;
            // The request's data is consumed before the read data overwrites it.
            static uint8_t written[DEVBUS_I2C_MAX_TRANSFER];
            memcpy(written, msg->data, msg->write_len);
            int err = sim_i2c_bus_transfer(bus, address, written, msg->write_len, msg->data,
                                           msg->read_len);
            msg->err = (int16_t)err;
            break;
        }
        default:
            msg->err = EINVAL;
            break;
    }
    if (msg->err != 0 || msg->op != DEVBUS_I2C_TRANSFER) {
        msg->write_len = 0;
        msg->read_len = 0;
    }
    // A transfer is all or nothing here: on success every byte asked for was moved.
    *out_reply_len += msg->read_len;
}

bool sim_i2c_bus_serve(struct sim_i2c_bus *bus) {
    if (bus->channel_fd < 0) {
        return false;
    }
    static struct devbus_i2c_msg msg;
    ssize_t n = sim_channel_receive(bus->channel_fd, &msg, sizeof(msg));
    if (n < 0) {
        sim_i2c_bus_release(bus);
        return false;
    }
    if (n == 0) {
        return true;
    }
    size_t reply_len = 0;
    decide(bus, &msg, (size_t)n > sizeof(msg) ? 0 : (size_t)n, &reply_len);
    if (sim_channel_reply(bus->channel_fd, &msg, reply_len) != 0) {
        sim_i2c_bus_release(bus);
        return false;
    }
    return true;
}

void sim_i2c_bus_release(struct sim_i2c_bus *bus) {
    sim_channel_close(&bus->channel_fd);
}

void sim_i2c_bus_reset(struct sim_i2c_bus *bus) {
    sim_i2c_bus_release(bus);
    bus->speed_hz = DEFAULT_SPEED_HZ;
    bus->timeout_ms = 0;
    bus->default_address = 0;
}
