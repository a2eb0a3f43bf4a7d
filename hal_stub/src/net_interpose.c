// SPDX-License-Identifier: MIT
// The app's outbound connections go through the device OS, as on the device, where the OS
// resolves names and its firewall admits only the hosts in the manifest's AllowedConnections.
// hal_stub is linked into the app statically, so these definitions of getaddrinfo and connect
// stand in front of libc's for the whole process (libmosquitto and libcurl included); the real
// functions are found with dlsym(RTLD_NEXT).
//
// - getaddrinfo(name): the OS answers from its host map with a synthetic loopback address (no
//   real DNS), or tells hal_stub to resolve for real and report the answer (`run --hub HOST`).
// - connect() on an AF_INET/AF_INET6 socket: the OS decides by the name behind the address and
//   answers with the endpoint to dial; the app's own socket then connects there, so blocking or
//   non-blocking behaviour is the socket's own.
// Numeric hosts, Unix-domain sockets, and any process not started by spheresim are left alone.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "bus_client.h"

// Referenced by hal_stub's link options so this object is always linked in.
int halstub_net_interpose_linked;

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *,
                              struct addrinfo **);

static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static connect_fn real_connect;
static getaddrinfo_fn real_getaddrinfo;

static void find_real(void) {
    real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
    real_getaddrinfo = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
}

// Only an app the OS started has a bus; anything else (a unit test, a tool) keeps libc's
// behaviour untouched.
static bool under_spheresim(void) {
    return getenv(DEVBUS_FD_ENV) != NULL;
}

static bool is_numeric_host(const char *node) {
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, node, buf) == 1 || inet_pton(AF_INET6, node, buf) == 1;
}

static int eai_for(int err) {
    switch (err) {
        case ENOENT:
            return EAI_NONAME;
        case ENETDOWN:
        case ENETUNREACH:
        case EAGAIN:
            return EAI_AGAIN;
        case ENOMEM:
            return EAI_MEMORY;
        default:
            return EAI_FAIL;
    }
}

static void to_devbus_addr(const struct sockaddr *sa, uint8_t out[DEVBUS_NET_ADDR_SIZE]) {
    memset(out, 0, DEVBUS_NET_ADDR_SIZE);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        out[10] = 0xff;
        out[11] = 0xff;
        memcpy(out + 12, &in->sin_addr, 4);
    } else {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, DEVBUS_NET_ADDR_SIZE);
    }
}

// Tells the OS which addresses a real lookup of node gave, so connections to them can be
// checked against AllowedConnections by name.
static void report_resolved(const char *node, const struct addrinfo *list) {
    struct devbus_msg reply;
    uint8_t data[DEVBUS_MAX_DATA];
    size_t name_len = strnlen(node, DEVBUS_MAX_DATA);
    int32_t count = 0;
    for (const struct addrinfo *ai = list; ai != NULL && count < (int32_t)DEVBUS_NET_MAX_RESOLVED;
         ai = ai->ai_next) {
        if (ai->ai_addr != NULL && (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)) {
            to_devbus_addr(ai->ai_addr, data + (size_t)count * DEVBUS_NET_ADDR_SIZE);
            count++;
        }
    }
    size_t used = (size_t)count * DEVBUS_NET_ADDR_SIZE;
    if (count == 0 || used + name_len > DEVBUS_MAX_DATA) {
        return;
    }
    memcpy(data + used, node, name_len);
    const int32_t args[4] = {count, 0, 0, 0};
    (void)halstub_bus_call(DEVBUS_OP_NET_RESOLVED, args, data, used + name_len, &reply, NULL);
}

// Resolves the synthetic address the OS gave for node, with the caller's hints and service, so
// the result is allocated (and later freed by freeaddrinfo) exactly as libc does it.
static int resolve_mapped(const char *node, uint32_t ipv4, const char *service,
                          const struct addrinfo *hints, struct addrinfo **res) {
    struct addrinfo adjusted = {0};
    if (hints != NULL) {
        adjusted = *hints;
    }
    // The address is numeric; loopback-only hosts must not have it filtered by AI_ADDRCONFIG.
    adjusted.ai_flags = (adjusted.ai_flags | AI_NUMERICHOST) & ~AI_ADDRCONFIG;
    char text[64];
    bool six = adjusted.ai_family == AF_INET6;
    snprintf(text, sizeof(text), "%s%u.%u.%u.%u", six ? "::ffff:" : "", (ipv4 >> 24) & 255u,
             (ipv4 >> 16) & 255u, (ipv4 >> 8) & 255u, ipv4 & 255u);
    adjusted.ai_flags &= six ? ~0 : ~AI_V4MAPPED;
    int rc = real_getaddrinfo(text, service, &adjusted, res);
    if (rc == 0 && (adjusted.ai_flags & AI_CANONNAME) != 0 && *res != NULL) {
        // The canonical name is the one asked for, not the synthetic address.
        char *name = strdup(node);
        if (name != NULL) {
            free((*res)->ai_canonname);
            (*res)->ai_canonname = name;
        }
    }
    return rc;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
    pthread_once(&real_once, find_real);
    if (real_getaddrinfo == NULL) {
        return EAI_SYSTEM;
    }
    bool numeric_only = hints != NULL && (hints->ai_flags & AI_NUMERICHOST) != 0;
    if (node == NULL || numeric_only || !under_spheresim() || is_numeric_host(node) ||
        strcmp(node, "localhost") == 0) {
        return real_getaddrinfo(node, service, hints, res);
    }
    if (res == NULL) {
        return EAI_FAIL;
    }
    size_t len = strnlen(node, DEVBUS_MAX_DATA + 1);
    if (len == 0 || len > DEVBUS_MAX_DATA) {
        return EAI_NONAME;
    }
    struct devbus_msg reply;
    if (halstub_bus_call(DEVBUS_OP_NET_RESOLVE, NULL, node, len, &reply, NULL) < 0) {
        return eai_for(errno);
    }
    if (reply.arg[0] == DEVBUS_NET_RESOLVE_MAPPED) {
        return resolve_mapped(node, (uint32_t)reply.arg[1], service, hints, res);
    }
    int rc = real_getaddrinfo(node, service, hints, res);
    if (rc == 0) {
        int saved = errno;
        report_resolved(node, *res);
        errno = saved;
    }
    return rc;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    pthread_once(&real_once, find_real);
    if (real_connect == NULL) {
        errno = ENOSYS;
        return -1;
    }
    if (addr == NULL || !under_spheresim() ||
        !((addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) ||
          (addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)))) {
        return real_connect(fd, addr, len);
    }
    int type = 0;
    socklen_t type_len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0) {
        return -1;  // EBADF or ENOTSOCK, as connect itself would say
    }
    uint8_t wanted[DEVBUS_NET_ADDR_SIZE];
    to_devbus_addr(addr, wanted);
    uint16_t port =
        ntohs(addr->sa_family == AF_INET ? ((const struct sockaddr_in *)addr)->sin_port
                                         : ((const struct sockaddr_in6 *)addr)->sin6_port);
    const int32_t args[4] = {port, type, 0, 0};
    struct devbus_msg reply;
    if (halstub_bus_call(DEVBUS_OP_NET_CONNECT, args, wanted, sizeof(wanted), &reply, NULL) < 0) {
        return -1;
    }
    if (reply.len != DEVBUS_NET_ADDR_SIZE || reply.arg[0] < 0 || reply.arg[0] > 65535) {
        errno = EIO;
        return -1;
    }
    static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    bool dial_v4 = memcmp(reply.data, v4_prefix, sizeof(v4_prefix)) == 0;
    uint16_t dial_port = htons((uint16_t)reply.arg[0]);
    if (addr->sa_family == AF_INET) {
        if (!dial_v4) {
            errno = EAFNOSUPPORT;
            return -1;
        }
        struct sockaddr_in dial = *(const struct sockaddr_in *)addr;
        memcpy(&dial.sin_addr, reply.data + 12, 4);
        dial.sin_port = dial_port;
        return real_connect(fd, (const struct sockaddr *)&dial, sizeof(dial));
    }
    struct sockaddr_in6 dial = *(const struct sockaddr_in6 *)addr;
    memcpy(&dial.sin6_addr, reply.data, DEVBUS_NET_ADDR_SIZE);
    dial.sin6_port = dial_port;
    return real_connect(fd, (const struct sockaddr *)&dial, sizeof(dial));
}
