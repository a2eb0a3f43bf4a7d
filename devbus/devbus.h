// SPDX-License-Identifier: MIT
// The device bus: the one wire protocol between an app (through hal_stub) and the simulated
// device OS. Both sides include this header and nothing else of each other.
//
// The bus is a SOCK_SEQPACKET socketpair, so every message keeps its boundaries. The app sends a
// request and blocks for the reply with the same sequence number; the OS decides every privileged
// operation and may attach one file descriptor to a reply (SCM_RIGHTS) so peripheral handles are
// real fds in the app. Asynchronous notifications (system events) travel on a separate
// descriptor the app asks for, never on the request channel, so a reply is never interleaved
// with an event.
//
// Peripheral channels (a GPIO, an I2C master, an ADC controller) are SOCK_SEQPACKET sockets too:
// the app holds one end and the OS the other, carrying one request and one reply per operation
// (struct devbus_gpio_msg, devbus_i2c_msg, devbus_adc_msg).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

// The environment variable holding the app end of the bus, set by the OS before exec.
#define DEVBUS_FD_ENV "SPHERESIM_BUS_FD"

#define DEVBUS_MAGIC 0x53504842u  // "SPHB"
#define DEVBUS_VERSION 1u
#define DEVBUS_MAX_DATA 1024u

enum devbus_op {
    DEVBUS_OP_HELLO = 1,             // out: data = image package root path
    DEVBUS_OP_GPIO_OPEN_INPUT,       // arg0 = GPIO id; reply fd
    DEVBUS_OP_GPIO_OPEN_OUTPUT,      // arg0 = id, arg1 = output mode, arg2 = initial value; fd
    DEVBUS_OP_STORAGE_OPEN_MUTABLE,  // reply fd
    DEVBUS_OP_STORAGE_DELETE_MUTABLE,
    DEVBUS_OP_NETWORK_STATUS,     // data = interface name or empty; reply arg0 = ready,
                                  // arg1 = status bits, arg2 = enabled, arg3 = interface count
    DEVBUS_OP_DEVICEAUTH_STATUS,  // reply arg0 = ready; data = certificate path
    DEVBUS_OP_POWER_REBOOT,
    DEVBUS_OP_POWER_DOWN,         // arg0 = maximum residency in seconds
    DEVBUS_OP_POWER_PROFILE,      // arg0 = PowerManagement_System_PowerProfile
    DEVBUS_OP_SYSEVENT_REGISTER,  // arg0 = event mask; reply fd carrying devbus_sysevent_msg
    DEVBUS_OP_SYSEVENT_UNREGISTER,
    DEVBUS_OP_SYSEVENT_DEFER,          // arg0 = event, arg1 = minutes
    DEVBUS_OP_SYSEVENT_RESUME,         // arg0 = event
    DEVBUS_OP_APP_CONNECT,             // data = real-time app component id
    DEVBUS_OP_NETWORK_SET_INTERFACE,   // data = interface name, arg0 = enabled
    DEVBUS_OP_NETWORK_IPCONFIG_APPLY,  // data = interface name, arg0 = 1 static / 0 dynamic
    DEVBUS_OP_TIMESYNC_SET,            // arg0 = enabled
    DEVBUS_OP_TIMESYNC_GET,            // reply arg0 = enabled
    DEVBUS_OP_I2C_OPEN,                // arg0 = I2C_InterfaceId; reply fd (devbus_i2c_msg)
    DEVBUS_OP_ADC_OPEN,                // arg0 = ADC_ControllerId; reply fd (devbus_adc_msg)
    // Outbound networking (AllowedConnections and the host map); see "Network requests" below.
    DEVBUS_OP_NET_RESOLVE,   // data = host name; reply arg0 = devbus_net_resolve, arg1 = IPv4
    DEVBUS_OP_NET_RESOLVED,  // arg0 = n; data = n * 16-byte addresses, then the host name
    DEVBUS_OP_NET_CONNECT,   // arg0 = port, arg1 = socket type; data = 16-byte address;
                             // reply arg0 = port to dial, data = 16-byte address to dial
    DEVBUS_OP_OS_VERSION,    // reply data = the OS version text (Applications_GetOsVersion)
    DEVBUS_OP_COUNT
};

// Every bus message, in both directions, starts with this header; `len` bytes of data follow.
struct devbus_msg {
    uint32_t magic;
    uint16_t version;
    uint16_t op;
    uint32_t seq;
    int32_t result;  // replies: 0 or -1
    int32_t err;     // replies: errno when result is -1
    int32_t arg[4];
    uint32_t len;
    char data[DEVBUS_MAX_DATA];
};

#define DEVBUS_HEADER_SIZE offsetof(struct devbus_msg, data)

// A GPIO channel carries one request and one reply per operation.
enum devbus_gpio_op { DEVBUS_GPIO_GET = 1, DEVBUS_GPIO_SET = 2 };

struct devbus_gpio_msg {
    uint8_t op;
    uint8_t value;  // SET: requested value; reply to GET: the pin level
    int16_t err;    // reply: 0 or an errno
};

// An I2C channel: each request is the header plus write_len bytes to send; each reply is the
// header plus the bytes read. A transfer writes, then (repeated start) reads, as one transaction.
enum devbus_i2c_op {
    DEVBUS_I2C_SET_SPEED = 1,    // value = bus speed in Hz
    DEVBUS_I2C_SET_TIMEOUT = 2,  // value = timeout in ms
    DEVBUS_I2C_SET_DEFAULT = 3,  // address = target of transfers flagged DEVBUS_I2C_TO_DEFAULT
    DEVBUS_I2C_TRANSFER = 4,     // address, write_len bytes of data, then read_len bytes back
};

// Transfer flag: ignore address and use the default target (POSIX read/write on the channel).
#define DEVBUS_I2C_TO_DEFAULT 0x01u

// The largest write or read one transfer carries. The SDK documents no limit; bigger requests
// fail with EINVAL rather than being split, because splitting would change the bus transaction.
#define DEVBUS_I2C_MAX_TRANSFER 1024u

struct devbus_i2c_msg {
    uint8_t op;
    uint8_t flags;       // TRANSFER: DEVBUS_I2C_TO_DEFAULT
    int16_t err;         // reply: 0 or an errno
    uint32_t address;    // I2C_DeviceAddress
    uint32_t value;      // SET_SPEED, SET_TIMEOUT
    uint16_t write_len;  // request: bytes of data to write; reply: bytes written
    uint16_t read_len;   // request: bytes to read; reply: bytes read (that many follow)
    uint8_t data[DEVBUS_I2C_MAX_TRANSFER];
};

#define DEVBUS_I2C_HEADER_SIZE offsetof(struct devbus_i2c_msg, data)

// An ADC channel carries one fixed-size request and reply per operation.
enum devbus_adc_op {
    DEVBUS_ADC_GET_BIT_COUNT = 1,  // reply value = bits per sample
    DEVBUS_ADC_SET_REFERENCE = 2,  // volts = the reference voltage
    DEVBUS_ADC_POLL = 3,           // reply value = the sample
};

struct devbus_adc_msg {
    uint8_t op;
    uint8_t reserved;
    int16_t err;       // reply: 0 or an errno
    uint32_t channel;  // ADC_ChannelId
    uint32_t value;
    float volts;
};

// A system-event channel carries one of these per status change.
struct devbus_sysevent_msg {
    uint32_t event;   // SysEvent_Events, one flag
    uint32_t status;  // SysEvent_Status
    uint32_t update_type;
    uint32_t max_deferral_minutes;
};

// Network requests. Addresses travel as 16 bytes in network order, IPv4 as IPv4-mapped IPv6
// (::ffff:a.b.c.d); ports in host order. A refused request is result -1 with the errno the app's
// call should fail with (ENOENT: unknown host, ENETDOWN: no network, for lookups; EACCES: not
// in AllowedConnections, ENETUNREACH: no network, ECONNREFUSED: nothing there, for connects).
enum devbus_net_resolve {
    DEVBUS_NET_RESOLVE_MAPPED = 1,    // arg1 = the synthetic IPv4 address (host order) to use
    DEVBUS_NET_RESOLVE_REAL_DNS = 2,  // resolve for real, then report with NET_RESOLVED
};

#define DEVBUS_NET_ADDR_SIZE 16u
#define DEVBUS_NET_MAX_RESOLVED 16u  // addresses one NET_RESOLVED report carries

// The device clock as the app sees it. The OS shares one read-only page with the app (a sealed
// memfd, on the descriptor named by DEVBUS_CLOCK_FD_ENV at spawn), so that the app's time(),
// gettimeofday() and clock_gettime(CLOCK_REALTIME) read device time without a bus round trip.
// Device wall time at host CLOCK_MONOTONIC time t (ns) is
//     anchor_wall_ns + devbus_clock_scale(t - anchor_host_ns, rate_fp).
// The OS rewrites the page under a sequence lock: seq is odd while it writes, and a reader
// retries until it reads the same even seq before and after the fields. The page is shared
// between processes, so both sides access every field with atomic loads and stores.
#define DEVBUS_CLOCK_FD_ENV "SPHERESIM_CLOCK_FD"
#define DEVBUS_CLOCK_MAGIC 0x53504843u  // "SPHC"
#define DEVBUS_CLOCK_VERSION 1u
#define DEVBUS_CLOCK_RATE_ONE ((uint64_t)1 << 32)  // rate_fp of real speed

struct devbus_clock_page {
    uint32_t magic;
    uint32_t version;
    uint32_t seq;
    uint32_t reserved;
    int64_t anchor_host_ns;  // host CLOCK_MONOTONIC
    int64_t anchor_wall_ns;  // device wall time, ns since the Unix epoch
    uint64_t rate_fp;        // device ns per host ns, 32.32 fixed point, below 2^63
};

// host_ns host nanoseconds in device nanoseconds, saturated to the int64_t range.
static inline int64_t devbus_clock_scale(int64_t host_ns, uint64_t rate_fp) {
    __int128 scaled = (__int128)host_ns * (__int128)rate_fp / ((__int128)1 << 32);
    if (scaled > (__int128)INT64_MAX) {
        return INT64_MAX;
    }
    if (scaled < (__int128)INT64_MIN) {
        return INT64_MIN;
    }
    return (int64_t)scaled;
}

// Faults the app's side must apply itself, because the OS hands the app a real descriptor it
// cannot intercept: the OS shares them as a read-only page (a sealed memfd, on the descriptor
// named by DEVBUS_FAULT_FD_ENV at spawn). storage_fault makes the app's I/O on its mutable
// storage file fail: FULL fails writes with ENOSPC, EIO fails reads, writes and syncs with EIO.
// heap_limit_bytes, when not 0, caps the app's heap: an allocation that would take the bytes the
// app holds past it fails with ENOMEM (hal_stub's allocator; not in AddressSanitizer builds).
// memory_budget_bytes, when not 0, is the app's RAM budget (256 KiB on the MT3620): an allocation
// that would take the heap past it kills the app instead, as the device OS does; hal_stub marks
// the app stats page (below) first so that the OS can tell the kill from any other SIGKILL.
#define DEVBUS_FAULT_FD_ENV "SPHERESIM_FAULT_FD"
#define DEVBUS_FAULT_MAGIC 0x53504846u  // "SPHF"
#define DEVBUS_FAULT_VERSION 1u

enum devbus_storage_fault {
    DEVBUS_STORAGE_OK = 0,
    DEVBUS_STORAGE_FULL = 1,
    DEVBUS_STORAGE_EIO = 2,
};

struct devbus_fault_page {
    uint32_t magic;
    uint32_t version;
    uint32_t storage_fault;  // enum devbus_storage_fault
    uint32_t reserved;
    uint64_t heap_limit_bytes;  // 0: no limit
    // Appended after version 1's first fields; a page shorter than this is never mapped anyway.
    uint64_t memory_budget_bytes;  // 0: no budget
};

// The app's own figures for the OS: a small memfd the OS creates for each app start and shares
// writable (on the descriptor named by DEVBUS_STATS_FD_ENV at spawn). hal_stub's allocator keeps
// the heap figures current with relaxed atomic stores; the OS reads them for `ctl status` and,
// once the app has died, budget_exceeded to name the cause of a SIGKILL. The app is not trusted:
// the OS only reports these numbers, and checks magic and version before believing any of them.
#define DEVBUS_STATS_FD_ENV "SPHERESIM_STATS_FD"
#define DEVBUS_STATS_MAGIC 0x53504853u  // "SPHS"
#define DEVBUS_STATS_VERSION 1u

struct devbus_app_stats_page {
    uint32_t magic;            // written by the OS
    uint32_t version;          // written by the OS
    uint32_t budget_exceeded;  // 1 once the app's allocator has killed it for its memory budget
    uint32_t reserved;
    uint64_t heap_in_use_bytes;
    uint64_t heap_peak_bytes;
    uint64_t budget_request_bytes;  // the allocation that went past the budget (when exceeded)
    uint64_t budget_bytes;          // the budget it went past (when exceeded)
};

// Sends `msg` (header plus msg->len bytes of data) with an optional descriptor (-1 for none).
// Returns 0, or -1 with errno set (EINVAL if msg->len is too large).
int devbus_send(int sock, const struct devbus_msg *msg, int fd_to_pass);

// Receives one message and, if one was attached, its descriptor into *out_fd (else -1).
// Rejects anything malformed (wrong magic, version, or a length that disagrees with the bytes
// received) with -1 and errno EPROTO; returns -1 with errno 0 on orderly end of stream.
int devbus_recv(int sock, struct devbus_msg *out_msg, int *out_fd);

// Returns a printable name for an op, for logs; "unknown" for values outside the enum.
const char *devbus_op_name(uint16_t op);

#ifdef __cplusplus
}
#endif
