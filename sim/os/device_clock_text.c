// SPDX-License-Identifier: MIT
// Device times, durations and rates as people and scenario files write them; see
// device_clock.h. The parsers take untrusted text (control requests, command lines): every
// number is bounded before it is multiplied, and nothing is accepted half-way.
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "os/device_clock.h"

#define MS_PER_DAY INT64_C(86400000)
// 100 years of 365.25 days: further than any scenario means to jump.
#define MAX_DURATION_MS (INT64_C(36525) * MS_PER_DAY)
#define MAX_DIGITS 18  // any run of 18 digits fits in int64_t

struct unit {
    const char *name;
    int64_t ms;
};

// "ms" before "m", so the longer name wins.
static const struct unit units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", MS_PER_DAY},
};

// Reads up to MAX_DIGITS decimal digits; returns how many there were (0: none, or too many).
static size_t read_digits(const char *text, int64_t *out_value) {
    size_t n = 0;
    int64_t value = 0;
    while (isdigit((unsigned char)text[n])) {
        if (n == MAX_DIGITS) {
            return 0;
        }
        value = value * 10 + (text[n] - '0');
        n++;
    }
    *out_value = value;
    return n;
}

enum sim_clock_result sim_clock_parse_duration(const char *text, int64_t *out_ms) {
    const char *p = text;
    bool negative = false;
    if (*p == '+' || *p == '-') {
        negative = *p == '-';
        p++;
    }
    if (*p == '\0') {
        return SIM_CLOCK_ERR_SYNTAX;
    }
    int64_t total = 0;
    bool too_long = false;
    while (*p != '\0') {
        int64_t value = 0;
        size_t digits = read_digits(p, &value);
        if (digits == 0) {
            // Either no number here, or one too long to be anything but out of range.
            if (!isdigit((unsigned char)*p)) {
                return SIM_CLOCK_ERR_SYNTAX;
            }
            too_long = true;
            while (isdigit((unsigned char)*p)) {
                p++;
            }
        }
        p += digits;
        const struct unit *unit = NULL;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && unit == NULL; i++) {
            size_t len = strlen(units[i].name);
            if (strncmp(p, units[i].name, len) == 0 && !isalpha((unsigned char)p[len])) {
                unit = &units[i];
            }
        }
        if (unit == NULL) {
            return SIM_CLOCK_ERR_SYNTAX;
        }
        p += strlen(unit->name);
        if (too_long || value > MAX_DURATION_MS / unit->ms) {
            too_long = true;
            continue;  // finish checking the syntax first: a typo is the better message
        }
        total += value * unit->ms;
        if (total > MAX_DURATION_MS) {
            too_long = true;
        }
    }
    if (too_long) {
        return SIM_CLOCK_ERR_RANGE;
    }
    *out_ms = negative ? -total : total;
    return SIM_CLOCK_OK;
}

// Reads exactly `count` digits as a number; false if any is not a digit.
static bool fixed_digits(const char *text, size_t count, int *out_value) {
    int value = 0;
    for (size_t i = 0; i < count; i++) {
        if (!isdigit((unsigned char)text[i])) {
            return false;
        }
        value = value * 10 + (text[i] - '0');
    }
    *out_value = value;
    return true;
}

static bool is_leap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// Days from 1970-01-01 to the given proleptic Gregorian date (year >= 1970).
static int64_t days_since_epoch(int year, int month, int day) {
    static const int before_month[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t days = 0;
    for (int y = 1970; y < year; y++) {
        days += is_leap(y) ? 366 : 365;
    }
    days += before_month[month - 1] + (month > 2 && is_leap(year) ? 1 : 0);
    return days + day - 1;
}

enum sim_clock_result sim_clock_parse_time(const char *text, int64_t *out_epoch_ms) {
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    // YYYY-MM-DDTHH:MM:SS, checked one field and separator at a time.
    if (strnlen(text, 20) < 20 || !fixed_digits(text, 4, &year) || text[4] != '-' ||
        !fixed_digits(text + 5, 2, &month) || text[7] != '-' || !fixed_digits(text + 8, 2, &day) ||
        (text[10] != 'T' && text[10] != 't') || !fixed_digits(text + 11, 2, &hour) ||
        text[13] != ':' || !fixed_digits(text + 14, 2, &minute) || text[16] != ':' ||
        !fixed_digits(text + 17, 2, &second)) {
        return SIM_CLOCK_ERR_SYNTAX;
    }
    const char *p = text + 19;
    int64_t ms = 0;
    if (*p == '.') {
        p++;
        size_t digits = 0;
        while (isdigit((unsigned char)p[digits])) {
            if (digits < 3) {
                ms = ms * 10 + (p[digits] - '0');
            }
            digits++;
        }
        if (digits == 0 || digits > 9) {
            return SIM_CLOCK_ERR_SYNTAX;
        }
        for (size_t i = digits; i < 3; i++) {
            ms *= 10;
        }
        p += digits;
    }
    if ((*p != 'Z' && *p != 'z') || p[1] != '\0') {
        return SIM_CLOCK_ERR_SYNTAX;
    }
    static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
        (month == 2 && day == 29 && !is_leap(year)) || hour > 23 || minute > 59 || second > 59) {
        return SIM_CLOCK_ERR_RANGE;
    }
    int64_t epoch_ms = days_since_epoch(year, month, day) * MS_PER_DAY +
                       ((int64_t)hour * 3600 + minute * 60 + second) * 1000 + ms;
    if (epoch_ms > SIM_CLOCK_WALL_MAX_MS) {
        return SIM_CLOCK_ERR_RANGE;
    }
    *out_epoch_ms = epoch_ms;
    return SIM_CLOCK_OK;
}

enum sim_clock_result sim_clock_parse_rate(const char *text, double *out_rate) {
    // Plain decimals only: strtod alone would also take hex, exponents, inf and nan.
    size_t dots = 0;
    size_t digits = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '.') {
            dots++;
        } else if (isdigit((unsigned char)*p)) {
            digits++;
        } else {
            return SIM_CLOCK_ERR_SYNTAX;
        }
    }
    if (digits == 0 || dots > 1 || strlen(text) > 32) {
        return SIM_CLOCK_ERR_SYNTAX;
    }
    double rate = strtod(text, NULL);
    if (!isfinite(rate) || rate < SIM_CLOCK_RATE_MIN || rate > SIM_CLOCK_RATE_MAX) {
        return SIM_CLOCK_ERR_RANGE;
    }
    *out_rate = rate;
    return SIM_CLOCK_OK;
}

void sim_clock_format(int64_t epoch_ms, char *out, size_t out_size) {
    int64_t seconds = epoch_ms / 1000;
    int64_t ms = epoch_ms % 1000;
    if (ms < 0) {
        seconds--;
        ms += 1000;
    }
    time_t t = (time_t)seconds;
    struct tm utc;
    if (gmtime_r(&t, &utc) == NULL) {
        snprintf(out, out_size, "(time out of range)");
        return;
    }
    snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
             utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, (int)ms);
}

void sim_clock_format_duration(int64_t ms, char *out, size_t out_size) {
    // INT64_MIN has no positive counterpart; it is far beyond any duration the clock takes.
    uint64_t rest = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    size_t used = 0;
    int n = snprintf(out, out_size, "%s", ms < 0 ? "-" : "+");
    used = n > 0 ? (size_t)n : 0;
    if (rest == 0) {
        snprintf(out + used, used < out_size ? out_size - used : 0, "0s");
        return;
    }
    for (size_t i = sizeof(units) / sizeof(units[0]); i-- > 0;) {
        uint64_t unit_ms = (uint64_t)units[i].ms;
        if (rest >= unit_ms && used < out_size) {
            n = snprintf(out + used, out_size - used, "%llu%s",
                         (unsigned long long)(rest / unit_ms), units[i].name);
            used += n > 0 ? (size_t)n : 0;
            rest %= unit_ms;
        }
    }
}
