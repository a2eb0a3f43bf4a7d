// SPDX-License-Identifier: MIT
// libFuzzer target for the device bus, the boundary an app (possibly hostile or buggy) crosses to
// reach the OS. Each input is sent as one datagram over a SOCK_SEQPACKET socketpair and taken
// apart by devbus_recv, as the OS does with every request. A request it accepts is then decided
// by sim_bus_handle on two small devices, one whose manifest grants every capability the bus
// checks and one that grants none, and each reply must round-trip through devbus_send and
// devbus_recv as a well-formed frame. Device state is restored after every input so that inputs
// stay independent (libFuzzer's minimisation and replay rely on that).
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devbus.h"
#include "os/bus_server.h"
#include "os/device.h"
#include "os/hwdef.h"
#include "os/manifest.h"
#include "os/mutable_storage.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// Larger than any valid frame, so oversized and truncated datagrams are still exercised, and well
// under the socket buffer so send never fails for size.
#define MAX_DATAGRAM (2 * sizeof(struct devbus_msg))

static const char granted_manifest[] =
    "{\"SchemaVersion\":1,\"Name\":\"FuzzGranted\","
    "\"ComponentId\":\"a1b2c3d4-e5f6-4711-8899-aabbccddeeff\",\"EntryPoint\":\"/bin/app\","
    "\"ApplicationType\":\"Default\",\"Capabilities\":{"
    "\"Gpio\":[0,8,9,\"$SAMPLE_BUTTON_1\"],\"MutableStorage\":{\"SizeKB\":8},"
    "\"I2cMaster\":[\"$SAMPLE_LSM6DS3_I2C\",\"ISU0\"],\"Adc\":[\"ADC-CONTROLLER-0\"],"
    "\"SystemEventNotifications\":true,\"SoftwareUpdateDeferral\":true,\"NetworkConfig\":true,"
    "\"TimeSyncConfig\":true,\"DeviceAuthentication\":\"00000000-0000-0000-0000-000000000000\","
    "\"AllowedApplicationConnections\":[\"005180bc-402f-4cb3-a662-72937dbcde47\"],"
    "\"PowerControls\":[\"ForceReboot\",\"ForcePowerDown\",\"SetPowerProfile\"]}}";

static const char bare_manifest[] =
    "{\"SchemaVersion\":1,\"Name\":\"FuzzBare\","
    "\"ComponentId\":\"0f0e0d0c-0b0a-4908-8706-050403020100\",\"EntryPoint\":\"/bin/app\","
    "\"ApplicationType\":\"Default\",\"Capabilities\":{}}";

static char state_dir[] = "/tmp/spheresim-fuzz-devbus.XXXXXX";
static int bus[2] = {-1, -1};  // [0]: the app's end, [1]: the OS end
static struct sim_device devices[2];
static struct sim_device pristine[2];

static void die(const char *what, const char *detail) {
    fprintf(stderr, "fuzz_devbus: %s: %s\n", what, detail);
    abort();
}

static void setup_device(struct sim_device *d, const struct sim_hwdef *hw, const char *manifest) {
    char err[1024];
    if (sim_manifest_parse(manifest, strlen(manifest), "fuzz_manifest.json", hw, &d->manifest, err,
                           sizeof(err)) != SIM_MANIFEST_OK) {
        die("manifest", err);
    }
    if (sim_board_init(&d->board, "mt3620_rdb", err, sizeof(err)) != SIM_BOARD_OK) {
        die("board", err);
    }
    snprintf(d->dir, sizeof(d->dir), "%s", state_dir);
    snprintf(d->package_dir, sizeof(d->package_dir), "%s", state_dir);
    snprintf(d->cert_path, sizeof(d->cert_path), "%s/certs/device.pem", state_dir);
    sim_clock_init(&d->clock);
    if (sim_device_log_open(&d->log, "/dev/null", NULL, &d->clock) != 0) {
        die("log", strerror(errno));
    }
    d->network =
        (struct sim_network){.link_up = true, .interface_enabled = true, .time_synced = true};
    d->sysevent_fd = -1;
}

static void teardown(void) {
    for (size_t i = 0; i < 2; i++) {
        sim_mutable_storage_delete(state_dir, devices[i].manifest.component_id);
        sim_device_log_close(&devices[i].log);
    }
    char storage[PATH_MAX];
    snprintf(storage, sizeof(storage), "%s/storage", state_dir);
    rmdir(storage);
    rmdir(state_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    static struct sim_hwdef hw;
    char err[1024];
    const char *hw_path = sim_hwdef_default_for_board("mt3620_rdb");
    if (hw_path == NULL || sim_hwdef_load(hw_path, &hw, err, sizeof(err)) != SIM_HWDEF_OK) {
        die("hardware definition", err);
    }
    if (mkdtemp(state_dir) == NULL) {
        die("mkdtemp", strerror(errno));
    }
    // Non-blocking: an input the kernel delivers as nothing must not hang the fuzzer.
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, bus) != 0) {
        die("socketpair", strerror(errno));
    }
    setup_device(&devices[0], &hw, granted_manifest);
    setup_device(&devices[1], &hw, bare_manifest);
    memcpy(pristine, devices, sizeof(devices));
    atexit(teardown);
    return 0;
}

// Decides request on device, checks the reply crosses the bus intact, and puts device back.
static void decide(size_t which, const struct devbus_msg *request) {
    static struct devbus_msg reply;
    static struct devbus_msg echo;
    struct sim_device *d = &devices[which];
    int fd = -1;
    sim_bus_handle(d, request, &reply, &fd);
    if (devbus_send(bus[1], &reply, fd) != 0) {
        die("reply cannot be sent", strerror(errno));
    }
    int echo_fd = -1;
    if (devbus_recv(bus[0], &echo, &echo_fd) != 0) {
        die("reply does not parse", strerror(errno));
    }
    if (echo.seq != request->seq || echo.op != request->op ||
        (echo.result != 0 && echo.result != -1) || (echo.result == -1 && echo.err <= 0)) {
        die("reply", "does not answer the request as the protocol says");
    }
    if (echo_fd >= 0) {
        close(echo_fd);
    }
    if (fd >= 0) {
        close(fd);
    }
    sim_board_release_all(&d->board);
    if (d->sysevent_fd >= 0) {
        close(d->sysevent_fd);
    }
    memcpy(d, &pristine[which], sizeof(*d));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct devbus_msg request;
    if (size > MAX_DATAGRAM) {
        return -1;  // not added to the corpus
    }
    if (send(bus[0], data, size, MSG_NOSIGNAL) != (ssize_t)size) {
        die("send", strerror(errno));
    }
    int fd = -1;
    if (devbus_recv(bus[1], &request, &fd) != 0) {
        return 0;
    }
    if (fd >= 0) {
        die("devbus_recv", "returned a descriptor nobody sent");
    }
    decide(0, &request);
    decide(1, &request);
    return 0;
}
