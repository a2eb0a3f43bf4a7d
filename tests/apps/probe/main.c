// SPDX-License-Identifier: MIT
// probe: a small Azure Sphere-style app that the simulated OS's integration tests start to
// provoke one platform behaviour at a time (a crash, an exit code, a stubborn SIGTERM, a denied
// GPIO, a full storage, a reboot request, memory figures, the sample hardware's sensors). The
// behaviour is picked by argv, which comes from the manifest's CmdArgs:
//     --mode crash | exit | ignore-sigterm | graceful | gpio-denied | storage-counter |
//            storage-fill | reboot | powerdown | memory | memory-hog | deviceauth | sensors
//     --code N   (exit)         --gpio N   (gpio-denied)
//     --mode connect --target HOST:PORT (repeatable) [--unix PATH]: resolve and connect to each
//     target in turn, send a line and log the echo (net_probe.c)
//     --mode mqtt --target HOST:PORT --ca PATH: one IoT Hub device session over TLS with the
//     device certificate and one telemetry message; PATH is package-relative (mqtt_probe.c)
//     --mode time: log the time as libc and libcrypto see it; --mode tls --target HOST:PORT
//     --ca FILE: TLS handshakes with libmosquitto, verified against FILE (clock_probe.c)
//     --mode update [--defer MINUTES] [--defers N] [--resume 1] [--label TEXT]: log update events,
//     defer and resume (update_probe.c)
// Everything worth checking is logged as one line "PROBE <key> <value...>", so a test can grep
// the OS's log of the app. Errno values are logged by name ("EACCES"), never by number, because
// numbers differ between libcs.

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <applibs/adc.h>
#include <applibs/applications.h>
#include <applibs/eventloop.h>
#include <applibs/gpio.h>
#define I2C_STRUCTS_VERSION 1
#include <applibs/i2c.h>
#include <applibs/log.h>
#include <applibs/powermanagement.h>
#include <applibs/application.h>
#include <applibs/storage.h>
#include <tlsutils/deviceauth.h>

#include <hw/sample_appliance.h>

#include "clock_probe.h"
#include "eventloop_timer_utilities.h"
#include "mqtt_probe.h"
#include "net_probe.h"
#include "update_probe.h"

typedef enum ExitCode {
    ExitCode_Success = 0,
    ExitCode_TermHandler_SigTerm = 1,
    ExitCode_Main_EventLoopFail = 2,
    ExitCode_Init_BadArguments = 3,
    ExitCode_Init_EventLoop = 4,
    ExitCode_Init_IdleTimer = 5,
    ExitCode_Init_ActionTimer = 6,
    ExitCode_ActionTimer_Consume = 7,
    ExitCode_IdleTimer_Consume = 8,
    // Not a failure: the exit mode asked for --code N.
    ExitCode_Exit_Requested = 9,
    ExitCode_Init_SensorTimer = 10,
    ExitCode_SensorTimer_Consume = 11,
    ExitCode_Init_ClockProbe = 20,
    ExitCode_Init_UpdateProbe = 21,
} ExitCode;

typedef enum {
    ProbeMode_Crash,
    ProbeMode_Exit,
    ProbeMode_IgnoreSigterm,
    ProbeMode_Graceful,
    ProbeMode_GpioDenied,
    ProbeMode_StorageCounter,
    ProbeMode_StorageFill,
    ProbeMode_Reboot,
    ProbeMode_PowerDown,
    ProbeMode_Memory,
    ProbeMode_MemoryHog,
    ProbeMode_DeviceAuth,
    ProbeMode_Sensors,
    ProbeMode_Connect,
    ProbeMode_Time,
    ProbeMode_Tls,
    ProbeMode_Mqtt,
    ProbeMode_Update,
} ProbeMode;

static const struct {
    const char *name;
    ProbeMode mode;
} probeModes[] = {
    {"crash", ProbeMode_Crash},
    {"exit", ProbeMode_Exit},
    {"ignore-sigterm", ProbeMode_IgnoreSigterm},
    {"graceful", ProbeMode_Graceful},
    {"gpio-denied", ProbeMode_GpioDenied},
    {"storage-counter", ProbeMode_StorageCounter},
    {"storage-fill", ProbeMode_StorageFill},
    {"reboot", ProbeMode_Reboot},
    {"powerdown", ProbeMode_PowerDown},
    {"memory", ProbeMode_Memory},
    {"memory-hog", ProbeMode_MemoryHog},
    {"deviceauth", ProbeMode_DeviceAuth},
    {"sensors", ProbeMode_Sensors},
    {"connect", ProbeMode_Connect},
    {"time", ProbeMode_Time},
    {"tls", ProbeMode_Tls},
    {"mqtt", ProbeMode_Mqtt},
    {"update", ProbeMode_Update},
};

// Same record as the reference app's boot counter, so tests can reason about both alike.
#define PROBE_COUNTER_MAGIC 0x314E4342u
typedef struct {
    uint32_t magic;
    uint32_t count;
} CounterRecord;

// storage-fill stops here even if nothing refuses the writes, so a missing quota shows up as
// "errno none" instead of filling the host's disk. Far above the platform's 64 KiB ceiling.
#define STORAGE_FILL_LIMIT_BYTES (1024 * 1024)
#define STORAGE_FILL_CHUNK_BYTES 1024

#define MEMORY_PROBE_BYTES (64 * 1024)

// memory-hog grows its heap by this much per step until the OS's memory budget kills it, and
// stops at the cap if nothing does, so a missing budget shows up as "memory-hog capped" instead
// of eating the host's memory.
#define MEMORY_HOG_STEP_BYTES (16 * 1024)
#define MEMORY_HOG_CAP_BYTES (1024 * 1024)
#define MEMORY_HOG_MAX_STEPS (MEMORY_HOG_CAP_BYTES / MEMORY_HOG_STEP_BYTES)

// The LSM6DS3 on the sample hardware: DocID026899, address 0x6A with SDO to ground; OUT_TEMP_L
// (20h) and OUT_TEMP_H hold the temperature at 16 LSB/°C, 0 meaning 25 °C.
static const uint8_t lsm6ds3Address = 0x6A;
static const uint8_t lsm6ds3OutTempL = 0x20;

static volatile sig_atomic_t exitCode = ExitCode_Success;

static ProbeMode probeMode = ProbeMode_Graceful;
static int requestedExitCode = 0;
static GPIO_Id requestedGpio = -1;
static const char *connectTargets[PROBE_NET_MAX_TARGETS];
static size_t connectTargetCount = 0;
static const char *unixSocketPath = NULL;
static const char *caFile = NULL;
static ProbeUpdateOptions updateOptions = {0};

static EventLoop *eventLoop = NULL;
// Keeps EventLoop_Run waiting on something in every mode, so "stay running" never depends on
// how a loop with nothing registered behaves.
static EventLoopTimer *idleTimer = NULL;
// Runs the mode's delayed action once.
static EventLoopTimer *actionTimer = NULL;

static int gpioFd = -1;
static int i2cFd = -1;
static int adcFd = -1;
static EventLoopTimer *sensorTimer = NULL;
static unsigned char *memoryBuffer = NULL;
static unsigned char *memoryHogSteps[MEMORY_HOG_MAX_STEPS];

const char *ErrnoName(int err) {
    switch (err) {
        case 0:
            return "none";
        case EPERM:
            return "EPERM";
        case ENOENT:
            return "ENOENT";
        case EINTR:
            return "EINTR";
        case EIO:
            return "EIO";
        case EBADF:
            return "EBADF";
        case EAGAIN:
            return "EAGAIN";
        case ENOMEM:
            return "ENOMEM";
        case EACCES:
            return "EACCES";
        case EFAULT:
            return "EFAULT";
        case EBUSY:
            return "EBUSY";
        case ENXIO:
            return "ENXIO";
        case ETIMEDOUT:
            return "ETIMEDOUT";
        case EEXIST:
            return "EEXIST";
        case ENODEV:
            return "ENODEV";
        case EINVAL:
            return "EINVAL";
        case EFBIG:
            return "EFBIG";
        case ENOSPC:
            return "ENOSPC";
        case EROFS:
            return "EROFS";
        case EDQUOT:
            return "EDQUOT";
        case ENOTSUP:
            return "ENOTSUP";
        case ECONNREFUSED:
            return "ECONNREFUSED";
        case ENETUNREACH:
            return "ENETUNREACH";
        case EHOSTUNREACH:
            return "EHOSTUNREACH";
        case EAFNOSUPPORT:
            return "EAFNOSUPPORT";
        case ECONNRESET:
            return "ECONNRESET";
        default: {
            // Single-threaded app: a static buffer is enough for the rare unnamed value.
            static char unnamed[24];
            snprintf(unnamed, sizeof(unnamed), "E%d", err);
            return unnamed;
        }
    }
}

static void TerminationHandler(int signalNumber) {
    (void)signalNumber;
    exitCode = ExitCode_TermHandler_SigTerm;
}

static bool ParseInt(const char *text, int *outValue) {
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < -2147483647L - 1 ||
        value > 2147483647L) {
        return false;
    }
    *outValue = (int)value;
    return true;
}

static bool ParseArguments(int argc, char *argv[]) {
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) {
            Log_Debug("PROBE error missing-value %s\n", argv[i]);
            return false;
        }
        const char *option = argv[i];
        const char *value = argv[++i];
        if (strcmp(option, "--mode") == 0) {
            bool found = false;
            for (size_t m = 0; m < sizeof(probeModes) / sizeof(probeModes[0]); m++) {
                if (strcmp(value, probeModes[m].name) == 0) {
                    probeMode = probeModes[m].mode;
                    found = true;
                }
            }
            if (!found) {
                Log_Debug("PROBE error unknown-mode %s\n", value);
                return false;
            }
        } else if (strcmp(option, "--code") == 0) {
            if (!ParseInt(value, &requestedExitCode) || requestedExitCode < 0 ||
                requestedExitCode > 255) {
                Log_Debug("PROBE error bad-code %s\n", value);
                return false;
            }
        } else if (strcmp(option, "--target") == 0) {
            if (connectTargetCount == PROBE_NET_MAX_TARGETS) {
                Log_Debug("PROBE error too-many-targets %s\n", value);
                return false;
            }
            connectTargets[connectTargetCount++] = value;
        } else if (strcmp(option, "--unix") == 0) {
            unixSocketPath = value;
        } else if (strcmp(option, "--ca") == 0) {
            caFile = value;
        } else if (strcmp(option, "--defer") == 0 || strcmp(option, "--defers") == 0 ||
                   strcmp(option, "--resume") == 0) {
            int number = 0;
            if (!ParseInt(value, &number) || number < 0) {
                Log_Debug("PROBE error bad-number %s %s\n", option, value);
                return false;
            }
            if (strcmp(option, "--defer") == 0) {
                updateOptions.deferMinutes = (unsigned int)number;
            } else if (strcmp(option, "--defers") == 0) {
                updateOptions.defers = number;
            } else {
                updateOptions.resume = number != 0;
            }
        } else if (strcmp(option, "--label") == 0) {
            updateOptions.label = value;
        } else if (strcmp(option, "--gpio") == 0) {
            if (!ParseInt(value, &requestedGpio)) {
                Log_Debug("PROBE error bad-gpio %s\n", value);
                return false;
            }
        } else {
            Log_Debug("PROBE error unknown-option %s\n", option);
            return false;
        }
    }
    return true;
}

static void RunStorageCounter(void) {
    int fd = Storage_OpenMutableFile();
    if (fd == -1) {
        Log_Debug("PROBE counter-error open errno %s\n", ErrnoName(errno));
        return;
    }

    CounterRecord record;
    uint32_t count = 0;
    ssize_t bytesRead = pread(fd, &record, sizeof(record), 0);
    if (bytesRead == -1) {
        Log_Debug("PROBE counter-error read errno %s\n", ErrnoName(errno));
        close(fd);
        return;
    }
    if (bytesRead == (ssize_t)sizeof(record) && record.magic == PROBE_COUNTER_MAGIC) {
        count = record.count;
    }

    count++;
    record.magic = PROBE_COUNTER_MAGIC;
    record.count = count;
    if (pwrite(fd, &record, sizeof(record), 0) != (ssize_t)sizeof(record)) {
        Log_Debug("PROBE counter-error write errno %s\n", ErrnoName(errno));
        close(fd);
        return;
    }
    if (fsync(fd) != 0) {
        Log_Debug("PROBE counter-error fsync errno %s\n", ErrnoName(errno));
        close(fd);
        return;
    }
    close(fd);
    Log_Debug("PROBE counter %u\n", (unsigned int)count);
}

static void RunStorageFill(void) {
    // If the quota is enforced with a file size limit, the kernel would kill the app with
    // SIGXFSZ; ignoring it turns that into an EFBIG the probe can report.
    signal(SIGXFSZ, SIG_IGN);

    int fd = Storage_OpenMutableFile();
    if (fd == -1) {
        Log_Debug("PROBE storage-open -1 errno %s\n", ErrnoName(errno));
        return;
    }

    // Start empty so the byte count measures the quota, whatever an earlier run left behind.
    if (ftruncate(fd, 0) != 0) {
        Log_Debug("PROBE storage-truncate -1 errno %s\n", ErrnoName(errno));
        close(fd);
        return;
    }

    static unsigned char chunk[STORAGE_FILL_CHUNK_BYTES];
    memset(chunk, 0xA5, sizeof(chunk));

    size_t written = 0;
    int lastErrno = 0;
    while (written < STORAGE_FILL_LIMIT_BYTES) {
        ssize_t n = write(fd, chunk, sizeof(chunk));
        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }
            lastErrno = errno;
            break;
        }
        if (n == 0) {
            lastErrno = ENOSPC;
            break;
        }
        written += (size_t)n;
    }

    // A quota may only be noticed when the data is flushed.
    if (lastErrno == 0 && fsync(fd) != 0) {
        lastErrno = errno;
    }
    close(fd);
    Log_Debug("PROBE storage-written %zu errno %s\n", written, ErrnoName(lastErrno));
}

static void RunGpioOpen(void) {
    gpioFd = GPIO_OpenAsOutput(requestedGpio, GPIO_OutputMode_PushPull, GPIO_Value_High);
    int err = gpioFd == -1 ? errno : 0;
    Log_Debug("PROBE gpio-open %d errno %s\n", gpioFd, ErrnoName(err));
}

static void RunMemory(void) {
    memoryBuffer = malloc(MEMORY_PROBE_BYTES);
    if (memoryBuffer == NULL) {
        Log_Debug("PROBE memory-error malloc errno %s\n", ErrnoName(errno));
        return;
    }
    // Touch every page: untouched allocations need not count as used memory.
    memset(memoryBuffer, 0x5A, MEMORY_PROBE_BYTES);

    size_t total = Applications_GetTotalMemoryUsageInKB();
    size_t user = Applications_GetUserModeMemoryUsageInKB();
    size_t peak = Applications_GetPeakUserModeMemoryUsageInKB();
    Log_Debug("PROBE memory total %zu user %zu peak %zu\n", total, user, peak);
}

// Each step is logged before it is taken, so the log shows how far the app got before it died.
static void RunMemoryHog(void) {
    size_t held = 0;
    for (size_t step = 0; step < MEMORY_HOG_MAX_STEPS; step++) {
        Log_Debug("PROBE memory-hog allocating %zu KiB more (holding %zu KiB)\n",
                  (size_t)MEMORY_HOG_STEP_BYTES / 1024, held / 1024);
        memoryHogSteps[step] = malloc(MEMORY_HOG_STEP_BYTES);
        if (memoryHogSteps[step] == NULL) {
            Log_Debug("PROBE memory-hog malloc-failed errno %s holding %zu KiB\n", ErrnoName(errno),
                      held / 1024);
            return;
        }
        memset(memoryHogSteps[step], 0x5A, MEMORY_HOG_STEP_BYTES);
        held += MEMORY_HOG_STEP_BYTES;
    }
    Log_Debug("PROBE memory-hog capped at %zu KiB, peak %zu KiB\n", held / 1024,
              Applications_GetPeakUserModeMemoryUsageInKB());
}

static void OpenSensors(void) {
    i2cFd = I2CMaster_Open(SAMPLE_LSM6DS3_I2C);
    Log_Debug("PROBE i2c-open %s errno %s\n", i2cFd == -1 ? "-1" : "ok",
              ErrnoName(i2cFd == -1 ? errno : 0));
    if (i2cFd != -1) {
        // POSIX read/write to the default target, the third way the SDK's I2C sample reads it.
        static const uint8_t whoAmIRegId = 0x0F;
        uint8_t whoAmI = 0;
        bool ok = I2CMaster_SetDefaultTargetAddress(i2cFd, lsm6ds3Address) == 0 &&
                  write(i2cFd, &whoAmIRegId, sizeof(whoAmIRegId)) == 1 &&
                  read(i2cFd, &whoAmI, sizeof(whoAmI)) == 1;
        Log_Debug("PROBE who-am-i 0x%02x errno %s\n", whoAmI, ErrnoName(ok ? 0 : errno));
    }
    adcFd = ADC_Open(SAMPLE_POTENTIOMETER_ADC_CONTROLLER);
    Log_Debug("PROBE adc-open %s errno %s\n", adcFd == -1 ? "-1" : "ok",
              ErrnoName(adcFd == -1 ? errno : 0));
    if (adcFd != -1) {
        Log_Debug("PROBE adc-bits %d\n",
                  ADC_GetSampleBitCount(adcFd, SAMPLE_POTENTIOMETER_ADC_CHANNEL));
    }
}

// Logs the temperature, or the error reading it, whenever either changes.
static void ReportTemperature(void) {
    static int lastErrno = -1;
    static int lastRaw = INT32_MIN;
    uint8_t bytes[2];
    ssize_t transferred = I2CMaster_WriteThenRead(i2cFd, lsm6ds3Address, &lsm6ds3OutTempL,
                                                  sizeof(lsm6ds3OutTempL), bytes, sizeof(bytes));
    int err = transferred == -1 ? errno : 0;
    if (err != 0) {
        if (err != lastErrno) {
            Log_Debug("PROBE temperature-error errno %s\n", ErrnoName(err));
        }
        lastErrno = err;
        return;
    }
    lastErrno = 0;
    int raw = (int16_t)(uint16_t)(bytes[0] | (bytes[1] << 8));
    if (raw != lastRaw) {
        lastRaw = raw;
        Log_Debug("PROBE temperature %g\n", raw / 16.0 + 25.0);
    }
}

// Logs the potentiometer's raw sample whenever it changes.
static void ReportPotentiometer(void) {
    static int64_t lastSample = -1;
    uint32_t sample;
    if (ADC_Poll(adcFd, SAMPLE_POTENTIOMETER_ADC_CHANNEL, &sample) == -1) {
        Log_Debug("PROBE adc-error errno %s\n", ErrnoName(errno));
        return;
    }
    if ((int64_t)sample != lastSample) {
        lastSample = sample;
        Log_Debug("PROBE potentiometer %u\n", (unsigned int)sample);
    }
}

static void SensorTimerEventHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        exitCode = ExitCode_SensorTimer_Consume;
        return;
    }
    if (i2cFd != -1) {
        ReportTemperature();
    }
    if (adcFd != -1) {
        ReportPotentiometer();
    }
}

static void ActionTimerEventHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        exitCode = ExitCode_ActionTimer_Consume;
        return;
    }

    switch (probeMode) {
        case ProbeMode_Crash:
            Log_Debug("PROBE raising SIGSEGV\n");
            // raise() rather than a bad pointer: the death is certain and identical under
            // sanitizers, and the OS still sees a process killed by SIGSEGV.
            signal(SIGSEGV, SIG_DFL);
            raise(SIGSEGV);
            break;
        case ProbeMode_Exit:
            Log_Debug("PROBE exiting %d\n", requestedExitCode);
            exitCode = ExitCode_Exit_Requested;
            break;
        case ProbeMode_Reboot: {
            int result = PowerManagement_ForceSystemReboot();
            int err = result == -1 ? errno : 0;
            Log_Debug("PROBE reboot-call %d errno %s\n", result, ErrnoName(err));
            break;
        }
        case ProbeMode_PowerDown: {
            // Asleep for at most one second, then a cold boot.
            int result = PowerManagement_ForceSystemPowerDown(1);
            int err = result == -1 ? errno : 0;
            Log_Debug("PROBE powerdown-call %d errno %s\n", result, ErrnoName(err));
            break;
        }
        default:
            break;
    }
}

// Logs device-auth readiness whenever it changes, as an app waiting to connect would poll it.
static void ReportDeviceAuth(void) {
    static int lastReady = -1;
    bool ready = false;
    if (Application_IsDeviceAuthReady(&ready) != 0) {
        Log_Debug("PROBE deviceauth-error errno %s\n", ErrnoName(errno));
        return;
    }
    if ((int)ready != lastReady) {
        lastReady = ready;
        Log_Debug("PROBE deviceauth ready %d path %s\n", ready ? 1 : 0,
                  DeviceAuth_GetCertificatePath());
    }
}

static void IdleTimerEventHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        exitCode = ExitCode_IdleTimer_Consume;
        return;
    }
    if (probeMode == ProbeMode_DeviceAuth) {
        ReportDeviceAuth();
    }
}

static ExitCode InitPeripheralsAndHandlers(void) {
    if (probeMode == ProbeMode_IgnoreSigterm) {
        signal(SIGTERM, SIG_IGN);
        Log_Debug("PROBE ignoring-sigterm\n");
    } else {
        struct sigaction action;
        memset(&action, 0, sizeof(action));
        action.sa_handler = TerminationHandler;
        sigaction(SIGTERM, &action, NULL);
    }

    eventLoop = EventLoop_Create();
    if (eventLoop == NULL) {
        Log_Debug("PROBE error event-loop errno %s\n", ErrnoName(errno));
        return ExitCode_Init_EventLoop;
    }

    // deviceauth polls readiness at the idle tick, so it ticks faster.
    const struct timespec idlePeriod = probeMode == ProbeMode_DeviceAuth
                                           ? (struct timespec){.tv_sec = 0, .tv_nsec = 100000000}
                                           : (struct timespec){.tv_sec = 1, .tv_nsec = 0};
    idleTimer = CreateEventLoopPeriodicTimer(eventLoop, IdleTimerEventHandler, &idlePeriod);
    if (idleTimer == NULL) {
        Log_Debug("PROBE error idle-timer errno %s\n", ErrnoName(errno));
        return ExitCode_Init_IdleTimer;
    }

    struct timespec actionDelay = {.tv_sec = 0, .tv_nsec = 0};
    switch (probeMode) {
        case ProbeMode_Crash:
        case ProbeMode_Reboot:
        case ProbeMode_PowerDown:
            actionDelay.tv_nsec = 200 * 1000 * 1000;
            break;
        case ProbeMode_Exit:
            actionDelay.tv_nsec = 100 * 1000 * 1000;
            break;
        case ProbeMode_GpioDenied:
            RunGpioOpen();
            break;
        case ProbeMode_StorageCounter:
            RunStorageCounter();
            break;
        case ProbeMode_StorageFill:
            RunStorageFill();
            break;
        case ProbeMode_Memory:
            RunMemory();
            break;
        case ProbeMode_MemoryHog:
            RunMemoryHog();
            break;
        case ProbeMode_DeviceAuth:
            ReportDeviceAuth();
            break;
        case ProbeMode_Sensors: {
            OpenSensors();
            static const struct timespec sensorPeriod = {.tv_sec = 0, .tv_nsec = 200000000};
            sensorTimer =
                CreateEventLoopPeriodicTimer(eventLoop, SensorTimerEventHandler, &sensorPeriod);
            if (sensorTimer == NULL) {
                Log_Debug("PROBE error sensor-timer errno %s\n", ErrnoName(errno));
                return ExitCode_Init_SensorTimer;
            }
            break;
        }
        case ProbeMode_Connect:
            ProbeNet_Run(connectTargets, connectTargetCount, unixSocketPath);
            break;
        case ProbeMode_Mqtt:
            ProbeMqtt_Run(connectTargetCount > 0 ? connectTargets[0] : NULL, caFile);
            break;
        case ProbeMode_Time:
            if (!ClockProbe_StartTime(eventLoop)) {
                return ExitCode_Init_ClockProbe;
            }
            break;
        case ProbeMode_Tls:
            if (!ClockProbe_StartTls(eventLoop, connectTargetCount > 0 ? connectTargets[0] : NULL,
                                     caFile)) {
                return ExitCode_Init_ClockProbe;
            }
            break;
        case ProbeMode_Update:
            // The counter shows mutable storage surviving updates and rollbacks.
            RunStorageCounter();
            if (!ProbeUpdate_Start(eventLoop, &updateOptions)) {
                return ExitCode_Init_UpdateProbe;
            }
            break;
        case ProbeMode_IgnoreSigterm:
        case ProbeMode_Graceful:
            break;
    }

    if (actionDelay.tv_nsec != 0) {
        actionTimer = CreateEventLoopDisarmedTimer(eventLoop, ActionTimerEventHandler);
        if (actionTimer == NULL || SetEventLoopTimerOneShot(actionTimer, &actionDelay) != 0) {
            Log_Debug("PROBE error action-timer errno %s\n", ErrnoName(errno));
            return ExitCode_Init_ActionTimer;
        }
    }

    return ExitCode_Success;
}

static void ClosePeripheralsAndHandlers(void) {
    ClockProbe_Stop();
    ProbeUpdate_Stop();
    DisposeEventLoopTimer(sensorTimer);
    DisposeEventLoopTimer(actionTimer);
    DisposeEventLoopTimer(idleTimer);
    EventLoop_Close(eventLoop);
    if (gpioFd >= 0) {
        close(gpioFd);
    }
    if (i2cFd >= 0) {
        close(i2cFd);
    }
    if (adcFd >= 0) {
        close(adcFd);
    }
    free(memoryBuffer);
    for (size_t step = 0; step < MEMORY_HOG_MAX_STEPS; step++) {
        free(memoryHogSteps[step]);
    }
}

int main(int argc, char *argv[]) {
    Log_Debug("PROBE started\n");
    if (!ParseArguments(argc, argv)) {
        return ExitCode_Init_BadArguments;
    }
    for (size_t m = 0; m < sizeof(probeModes) / sizeof(probeModes[0]); m++) {
        if (probeModes[m].mode == probeMode) {
            Log_Debug("PROBE mode %s\n", probeModes[m].name);
        }
    }

    exitCode = InitPeripheralsAndHandlers();

    while (exitCode == ExitCode_Success) {
        EventLoop_Run_Result result = EventLoop_Run(eventLoop, -1, true);
        if (result == EventLoop_Run_Failed && errno != EINTR) {
            Log_Debug("PROBE error event-loop-run errno %s\n", ErrnoName(errno));
            exitCode = ExitCode_Main_EventLoopFail;
        }
    }

    ClosePeripheralsAndHandlers();

    if (exitCode == ExitCode_TermHandler_SigTerm) {
        // A requested stop is a clean stop for the probe; tests tell it from a kill by the log.
        Log_Debug("PROBE sigterm\n");
        return 0;
    }
    if (exitCode == ExitCode_Exit_Requested) {
        return requestedExitCode;
    }
    Log_Debug("PROBE exit-code %d\n", (int)exitCode);
    return exitCode;
}
