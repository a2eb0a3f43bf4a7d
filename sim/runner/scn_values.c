// SPDX-License-Identifier: MIT
// The scalar syntaxes of the scenario format: durations ("30s", "1m30s"), byte sizes ("64KiB"),
// integers, numbers, signal names, body field paths and ids. Each is strict (no sign where none
// makes sense, no overflow, no trailing junk) and says what is wrong when it refuses.
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner/scn_internal.h"

bool scn_parse_u64(const char *s, uint64_t *out) {
    if (s == NULL || !isdigit((unsigned char)s[0])) {
        return false;
    }
    uint64_t v = 0;
    for (; isdigit((unsigned char)*s); ++s) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    if (*s != '\0') {
        return false;
    }
    *out = v;
    return true;
}

bool scn_parse_i64(const char *s, int64_t *out) {
    bool neg = s != NULL && s[0] == '-';
    uint64_t v;
    if (s == NULL || !scn_parse_u64(s + (neg || s[0] == '+'), &v)) {
        return false;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) {
        return false;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

bool scn_parse_number(const char *s, double *out) {
    // The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const char *p = s;
    if (*p == '-') {
        ++p;
    }
    if (*p == '0') {
        ++p;
    } else if (*p >= '1' && *p <= '9') {
        while (isdigit((unsigned char)*p)) {
            ++p;
        }
    } else {
        return false;
    }
    if (*p == '.') {
        ++p;
        if (!isdigit((unsigned char)*p)) {
            return false;
        }
        while (isdigit((unsigned char)*p)) {
            ++p;
        }
    }
    if (*p == 'e' || *p == 'E') {
        ++p;
        if (*p == '+' || *p == '-') {
            ++p;
        }
        if (!isdigit((unsigned char)*p)) {
            return false;
        }
        while (isdigit((unsigned char)*p)) {
            ++p;
        }
    }
    if (*p != '\0') {
        return false;
    }
    errno = 0;
    double d = strtod(s, NULL);
    if (!isfinite(d)) {
        return false;
    }
    *out = d;
    return true;
}

struct unit {
    const char *name;
    uint64_t factor;
};

// Longest names first, so "ms" is not read as "m" followed by junk.
static const struct unit duration_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
};

bool scn_parse_duration(const char *s, uint64_t *out_ms, const char **why) {
    *why = "expected a duration such as 30s, 500ms, 2m or 1h";
    if (s == NULL || s[0] == '\0') {
        return false;
    }
    if (s[0] == '-') {
        *why = "expected a duration that is not negative";
        return false;
    }
    if (strcmp(s, "0") == 0) {
        *out_ms = 0;
        return true;
    }
    uint64_t total = 0;
    const char *p = s;
    while (*p != '\0') {
        if (!isdigit((unsigned char)*p)) {
            return false;
        }
        uint64_t v = 0;
        for (; isdigit((unsigned char)*p); ++p) {
            unsigned d = (unsigned)(*p - '0');
            if (v > (SCN_MAX_DURATION_MS - d) / 10) {
                *why = "expected a duration of at most 100 years";
                return false;
            }
            v = v * 10 + d;
        }
        const struct unit *u = NULL;
        for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); ++i) {
            size_t n = strlen(duration_units[i].name);
            if (strncmp(p, duration_units[i].name, n) == 0 && !isalpha((unsigned char)p[n])) {
                u = &duration_units[i];
                p += n;
                break;
            }
        }
        if (u == NULL) {
            *why = *p == '\0' ? "expected a duration with a unit (ms, s, m, h or d)"
                              : "expected a duration unit ms, s, m, h or d";
            return false;
        }
        if (v > SCN_MAX_DURATION_MS / u->factor || total > SCN_MAX_DURATION_MS - v * u->factor) {
            *why = "expected a duration of at most 100 years";
            return false;
        }
        total += v * u->factor;
    }
    *out_ms = total;
    return true;
}

bool scn_parse_signed_duration(const char *s, int64_t *out_ms, const char **why) {
    bool neg = s != NULL && s[0] == '-';
    uint64_t v;
    if (s == NULL || !scn_parse_duration(s + (neg || s[0] == '+'), &v, why)) {
        if (s != NULL && (s[0] == '-' || s[0] == '+') && (s[1] == '-' || s[1] == '+')) {
            *why = "expected a duration with at most one sign";
        }
        return false;
    }
    *out_ms = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

static const struct unit size_units[] = {
    {"GiB", 1ull << 30},
    {"MiB", 1ull << 20},
    {"KiB", 1ull << 10},
    {"B", 1},
};

bool scn_parse_size(const char *s, uint64_t *out, const char **why) {
    *why = "expected a size in bytes such as 512, 64KiB or 1MiB";
    if (s == NULL || !isdigit((unsigned char)s[0])) {
        if (s != NULL && s[0] == '-') {
            *why = "expected a size that is not negative";
        }
        return false;
    }
    uint64_t v = 0;
    const char *p = s;
    for (; isdigit((unsigned char)*p); ++p) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            *why = "expected a size below 2^64 bytes";
            return false;
        }
        v = v * 10 + d;
    }
    uint64_t factor = 1;
    if (*p != '\0') {
        size_t i = 0;
        for (; i < sizeof(size_units) / sizeof(size_units[0]); ++i) {
            if (strcmp(p, size_units[i].name) == 0) {
                break;
            }
        }
        if (i == sizeof(size_units) / sizeof(size_units[0])) {
            *why = "expected a size unit B, KiB, MiB or GiB";
            return false;
        }
        factor = size_units[i].factor;
    }
    if (v > UINT64_MAX / factor) {
        *why = "expected a size below 2^64 bytes";
        return false;
    }
    *out = v * factor;
    return true;
}

struct signal_name {
    const char *name;
    int number;
};

static const struct signal_name signals[] = {
    {"SIGABRT", SIGABRT}, {"SIGALRM", SIGALRM}, {"SIGBUS", SIGBUS},   {"SIGFPE", SIGFPE},
    {"SIGHUP", SIGHUP},   {"SIGILL", SIGILL},   {"SIGINT", SIGINT},   {"SIGKILL", SIGKILL},
    {"SIGPIPE", SIGPIPE}, {"SIGQUIT", SIGQUIT}, {"SIGSEGV", SIGSEGV}, {"SIGSYS", SIGSYS},
    {"SIGTERM", SIGTERM}, {"SIGTRAP", SIGTRAP}, {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2},
    {"SIGXCPU", SIGXCPU}, {"SIGXFSZ", SIGXFSZ},
};
#define SIGNAL_COUNT (sizeof(signals) / sizeof(signals[0]))

const char *const scn_signal_names[] = {
    "SIGABRT", "SIGALRM", "SIGBUS",  "SIGFPE",  "SIGHUP",  "SIGILL",
    "SIGINT",  "SIGKILL", "SIGPIPE", "SIGQUIT", "SIGSEGV", "SIGSYS",
    "SIGTERM", "SIGTRAP", "SIGUSR1", "SIGUSR2", "SIGXCPU", "SIGXFSZ",
};
const size_t scn_signal_name_count = sizeof(scn_signal_names) / sizeof(scn_signal_names[0]);

int scn_signal_number(const char *name) {
    const char *bare = strncmp(name, "SIG", 3) == 0 ? name + 3 : name;
    for (size_t i = 0; i < SIGNAL_COUNT; ++i) {
        if (strcmp(bare, signals[i].name + 3) == 0) {
            return signals[i].number;
        }
    }
    return 0;
}

static bool name_char(char ch) {
    unsigned char u = (unsigned char)ch;
    return u > 0x20 && u != 0x7f && ch != '.' && ch != '[' && ch != ']';
}

bool scn_field_path_ok(const char *path, const char **why) {
    const char *p = path;
    *why = "expected a field path such as temperature, $.a.b or items[0].name";
    if (strlen(path) > 256) {
        *why = "expected a field path of at most 256 characters";
        return false;
    }
    bool need_segment = true;
    if (*p == '$') {
        ++p;
        need_segment = false;
        if (*p != '\0' && *p != '.' && *p != '[') {
            return false;
        }
    } else if (!name_char(*p)) {
        return false;
    } else {
        while (name_char(*p)) {
            ++p;
        }
        need_segment = false;
    }
    while (*p != '\0') {
        if (*p == '.') {
            ++p;
            if (!name_char(*p)) {
                *why = "expected a name after '.' in the field path";
                return false;
            }
            while (name_char(*p)) {
                ++p;
            }
        } else if (*p == '[') {
            ++p;
            if (!isdigit((unsigned char)*p)) {
                *why = "expected an index such as [0] in the field path";
                return false;
            }
            for (int digits = 0; isdigit((unsigned char)*p); ++p) {
                if (++digits > 9) {
                    *why = "expected an index below 10^9 in the field path";
                    return false;
                }
            }
            if (*p != ']') {
                *why = "expected ']' after the index in the field path";
                return false;
            }
            ++p;
        } else {
            return false;
        }
    }
    return !need_segment;
}

bool scn_id_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > SCN_MAX_ID || !isalpha((unsigned char)s[0])) {
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        unsigned char ch = (unsigned char)s[i];
        if (!isalnum(ch) && ch != '_' && ch != '-' && ch != '.') {
            return false;
        }
    }
    return true;
}
