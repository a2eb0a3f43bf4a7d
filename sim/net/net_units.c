// SPDX-License-Identifier: MIT
// Numbers with units; see net_units.h. One decimal reader feeds every unit table, and a value is
// built as mantissa * num / (den * 10^fraction_digits), refused unless that division is exact.
#include "net/net_units.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

// 15 digits keep every power of ten the reader can need (times a unit's den) inside 64 bits;
// mantissa * num is checked for overflow where it is formed.
#define MAX_DIGITS 15

struct unit {
    const char *suffix;
    uint64_t num;
    uint64_t den;
};

static const struct unit duration_units[] = {
    {"us", 1, 1}, {"ms", 1000, 1}, {"s", 1000000, 1}, {"min", 60000000, 1}, {NULL, 0, 0}};

static const struct unit byte_units[] = {{"", 1, 1},       {"B", 1, 1},        {"kB", 1000, 1},
                                         {"KiB", 1024, 1}, {"MB", 1000000, 1}, {"MiB", 1048576, 1},
                                         {NULL, 0, 0}};

static const struct unit rate_units[] = {
    {"B/s", 1, 1},        {"kB/s", 1000, 1},      {"KiB/s", 1024, 1},
    {"MB/s", 1000000, 1}, {"MiB/s", 1048576, 1},  {"bit/s", 1, 8},
    {"kbit/s", 1000, 8},  {"Mbit/s", 1000000, 8}, {NULL, 0, 0}};

static const struct unit probability_units[] = {{"", 1000000, 1}, {"%", 10000, 1}, {NULL, 0, 0}};

const char *sim_net_proxy_result_name(enum sim_net_proxy_result result) {
    switch (result) {
        case SIM_NET_PROXY_OK:
            return "ok";
        case SIM_NET_PROXY_ERR_INVALID:
            return "invalid";
        case SIM_NET_PROXY_ERR_NOT_FOUND:
            return "not-found";
        case SIM_NET_PROXY_ERR_EXISTS:
            return "exists";
        case SIM_NET_PROXY_ERR_FULL:
            return "full";
        case SIM_NET_PROXY_ERR_SYSTEM:
            return "system";
    }
    return "unknown";
}

// Reads digits with at most one '.', which must have a digit on each side. *out_rest is the
// first character after the number.
static bool read_decimal(const char *text, uint64_t *out_mantissa, unsigned *out_fraction_digits,
                         const char **out_rest) {
    uint64_t mantissa = 0;
    unsigned digits = 0;
    unsigned fraction = 0;
    bool in_fraction = false;
    const char *p = text;
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            if (++digits > MAX_DIGITS) {
                return false;
            }
            mantissa = mantissa * 10 + (uint64_t)(*p - '0');
            fraction += in_fraction ? 1 : 0;
        } else if (*p == '.' && !in_fraction && digits > 0 && p[1] >= '0' && p[1] <= '9') {
            in_fraction = true;
        } else {
            break;
        }
    }
    if (digits == 0) {
        return false;
    }
    *out_mantissa = mantissa;
    *out_fraction_digits = fraction;
    *out_rest = p;
    return true;
}

static void list_units(const struct unit *units, char *out, size_t out_size) {
    size_t used = 0;
    out[0] = '\0';
    for (const struct unit *u = units; u->suffix != NULL; u++) {
        if (u->suffix[0] == '\0') {
            continue;
        }
        int n = snprintf(out + used, out_size - used, "%s%s", used > 0 ? ", " : "", u->suffix);
        if (n < 0 || (size_t)n >= out_size - used) {
            return;
        }
        used += (size_t)n;
    }
}

// what names the kind of value for messages; example is a valid spelling of one.
static enum sim_net_proxy_result parse_with_units(const char *text, const struct unit *units,
                                                  const char *what, const char *example,
                                                  uint64_t max, char *err, size_t err_size,
                                                  uint64_t *out_value) {
    char unit_list[128];
    list_units(units, unit_list, sizeof(unit_list));
    uint64_t mantissa = 0;
    unsigned fraction = 0;
    const char *rest = NULL;
    if (text == NULL || !read_decimal(text, &mantissa, &fraction, &rest)) {
        snprintf(err, err_size, "'%s' is not %s (expected a number with one of %s, e.g. %s)",
                 text == NULL ? "" : text, what, unit_list, example);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    const struct unit *unit = NULL;
    for (const struct unit *u = units; u->suffix != NULL; u++) {
        if (strcmp(rest, u->suffix) == 0) {
            unit = u;
            break;
        }
    }
    if (unit == NULL) {
        snprintf(err, err_size, "'%s': %s '%s' (expected one of %s, e.g. %s)", text,
                 rest[0] == '\0' ? "missing unit" : "unknown unit", rest, unit_list, example);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    uint64_t divisor = unit->den;
    for (unsigned i = 0; i < fraction; i++) {
        divisor *= 10;  // at most 10^15 * 8: no overflow
    }
    if (mantissa > UINT64_MAX / unit->num) {
        snprintf(err, err_size, "'%s' is too large for %s", text, what);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    uint64_t scaled = mantissa * unit->num;
    if (scaled % divisor != 0) {
        snprintf(err, err_size, "'%s' is finer than %s allows", text, what);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    uint64_t value = scaled / divisor;
    if (value > max) {
        snprintf(err, err_size, "'%s' is too large for %s", text, what);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    *out_value = value;
    return SIM_NET_PROXY_OK;
}

enum sim_net_proxy_result sim_net_parse_duration(const char *text, char *err, size_t err_size,
                                                 uint64_t *out_us) {
    return parse_with_units(text, duration_units, "a duration (whole microseconds)", "200ms",
                            SIM_NET_MAX_DURATION_US, err, err_size, out_us);
}

enum sim_net_proxy_result sim_net_parse_bytes(const char *text, char *err, size_t err_size,
                                              uint64_t *out_bytes) {
    return parse_with_units(text, byte_units, "a byte count (whole bytes)", "4KiB",
                            SIM_NET_MAX_BYTES, err, err_size, out_bytes);
}

enum sim_net_proxy_result sim_net_parse_rate(const char *text, char *err, size_t err_size,
                                             uint64_t *out_bytes_per_s) {
    uint64_t rate = 0;
    enum sim_net_proxy_result r =
        parse_with_units(text, rate_units, "a rate (whole bytes per second)", "64kB/s",
                         SIM_NET_MAX_RATE, err, err_size, &rate);
    if (r == SIM_NET_PROXY_OK && rate == 0) {
        snprintf(err, err_size, "'%s': a rate must be at least 1B/s", text);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    if (r == SIM_NET_PROXY_OK) {
        *out_bytes_per_s = rate;
    }
    return r;
}

enum sim_net_proxy_result sim_net_parse_probability(const char *text, char *err, size_t err_size,
                                                    uint32_t *out_ppm) {
    uint64_t ppm = 0;
    enum sim_net_proxy_result r =
        parse_with_units(text, probability_units, "a probability (to a millionth)", "0.25 or 25%",
                         SIM_NET_PPM, err, err_size, &ppm);
    if (r == SIM_NET_PROXY_ERR_INVALID && strstr(err, "too large") != NULL) {
        snprintf(err, err_size, "'%s': a probability is at most 1 (100%%)", text);
    }
    if (r == SIM_NET_PROXY_OK) {
        *out_ppm = (uint32_t)ppm;
    }
    return r;
}

static void format_largest(uint64_t value, const struct unit *units, const char *const *order,
                           char *out, size_t out_size) {
    for (const char *const *name = order; *name != NULL; name++) {
        for (const struct unit *u = units; u->suffix != NULL; u++) {
            if (strcmp(u->suffix, *name) == 0 && u->den == 1 && value % u->num == 0 &&
                (value != 0 || u->num == 1)) {
                snprintf(out, out_size, "%" PRIu64 "%s", value / u->num, u->suffix);
                return;
            }
        }
    }
    snprintf(out, out_size, "%" PRIu64, value);
}

void sim_net_format_duration(uint64_t us, char *out, size_t out_size) {
    static const char *const order[] = {"s", "ms", "us", NULL};
    format_largest(us, duration_units, order, out, out_size);
}

void sim_net_format_bytes(uint64_t bytes, char *out, size_t out_size) {
    static const char *const order[] = {"B", NULL};
    format_largest(bytes, byte_units, order, out, out_size);
}

void sim_net_format_rate(uint64_t bytes_per_s, char *out, size_t out_size) {
    static const char *const order[] = {"B/s", NULL};
    format_largest(bytes_per_s, rate_units, order, out, out_size);
}

void sim_net_format_probability(uint32_t ppm, char *out, size_t out_size) {
    // Percent with up to four decimals states every ppm value exactly.
    uint32_t whole = ppm / 10000;
    uint32_t rest = ppm % 10000;
    if (rest == 0) {
        snprintf(out, out_size, "%" PRIu32 "%%", whole);
        return;
    }
    char decimals[8];
    snprintf(decimals, sizeof(decimals), "%04" PRIu32, rest);
    size_t len = strlen(decimals);
    while (len > 0 && decimals[len - 1] == '0') {
        decimals[--len] = '\0';
    }
    snprintf(out, out_size, "%" PRIu32 ".%s%%", whole, decimals);
}
