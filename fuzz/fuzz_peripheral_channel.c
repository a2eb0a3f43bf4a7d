// SPDX-License-Identifier: MIT
// libFuzzer target for peripheral channel requests, the datagrams an app (through hal_stub, or
// by writing to the descriptor itself) sends to an opened I2C interface or ADC controller. Each
// input is sent as one datagram on the I2C channel of the interface the LSM6DS3 is wired to and
// on the ADC controller's channel, and served by the board as the OS would. Every request must
// be answered with exactly one well-formed reply (an I2C reply's length matches the bytes it
// says it read), and the channel must stay open. Each input gets freshly opened channels on a
// freshly reset board, so inputs stay independent.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "board/rdb_board.h"
#include "devbus.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// Larger than any valid request, so oversized datagrams are exercised too.
#define MAX_DATAGRAM (2 * sizeof(struct devbus_i2c_msg))

static struct sim_board board;

static void die(const char *what, const char *detail) {
    fprintf(stderr, "fuzz_peripheral_channel: %s: %s\n", what, detail);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char err[512];
    if (sim_board_init(&board, "mt3620_rdb", err, sizeof(err)) != SIM_BOARD_OK) {
        die("board", err);
    }
    return 0;
}

// Sends the input on one channel, serves it in slot, and returns the reply's length.
static ssize_t round_trip(int app_fd, int slot, const uint8_t *data, size_t size, void *reply,
                          size_t reply_size) {
    if (send(app_fd, data, size, MSG_NOSIGNAL) != (ssize_t)size) {
        die("send", strerror(errno));
    }
    if (!sim_board_channel_serve(&board, slot)) {
        die("serve", "the board closed a channel the app still holds");
    }
    ssize_t n = recv(app_fd, reply, reply_size, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
        die("reply", "none");
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    // An empty datagram reads as a hang-up on SEQPACKET; the board rightly releases the channel.
    if (size == 0 || size > MAX_DATAGRAM) {
        return -1;
    }
    int i2c_app_fd = -1;
    int adc_app_fd = -1;
    int isu = board.temperature_sensor_isu;
    if (sim_i2c_bus_open(&board.i2c[isu], &i2c_app_fd) != 0 ||
        sim_adc_open(&board.adc, &adc_app_fd) != 0) {
        die("open", strerror(errno));
    }
    static struct devbus_i2c_msg i2c_reply;
    ssize_t n = round_trip(i2c_app_fd, SIM_BOARD_SLOT_I2C0 + isu, data, size, &i2c_reply,
                           sizeof(i2c_reply));
    if (n < (ssize_t)DEVBUS_I2C_HEADER_SIZE || i2c_reply.err < 0 ||
        (size_t)n != DEVBUS_I2C_HEADER_SIZE + i2c_reply.read_len ||
        (i2c_reply.err != 0 && i2c_reply.read_len != 0)) {
        die("i2c reply", "malformed");
    }
    struct devbus_adc_msg adc_reply;
    n = round_trip(adc_app_fd, SIM_BOARD_SLOT_ADC, data, size, &adc_reply, sizeof(adc_reply));
    if (n != (ssize_t)sizeof(adc_reply) || adc_reply.err < 0) {
        die("adc reply", "malformed");
    }
    close(i2c_app_fd);
    close(adc_app_fd);
    sim_board_reset(&board);
    return 0;
}
