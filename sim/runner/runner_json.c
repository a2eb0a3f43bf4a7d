// SPDX-License-Identifier: MIT
// Reading values out of what the hub and the devices report: body field paths ("$.a.b[2]"),
// message properties by their IoT Hub names, and the comparisons of field conditions. Values
// are typed as scenario values are (scenario.h): a number compares with numbers, a string with
// strings, so `eq: "10"` never matches the number 10.
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/runner_internal.h"

static bool name_char(char ch) {
    unsigned char u = (unsigned char)ch;
    return u > 0x20 && u != 0x7f && ch != '.' && ch != '[' && ch != ']';
}

const cJSON *rn_json_path(const cJSON *root, const char *path) {
    const cJSON *at = root;
    const char *p = path;
    if (*p == '$') {
        p++;
    } else {
        // A path without "$." starts with a name.
        size_t len = 0;
        while (name_char(p[len])) {
            len++;
        }
        char key[257];
        if (len == 0 || len >= sizeof(key) || !cJSON_IsObject(at)) {
            return NULL;
        }
        memcpy(key, p, len);
        key[len] = '\0';
        at = cJSON_GetObjectItemCaseSensitive(at, key);
        p += len;
    }
    while (at != NULL && *p != '\0') {
        if (*p == '.') {
            p++;
            size_t len = 0;
            while (name_char(p[len])) {
                len++;
            }
            char key[257];
            if (len == 0 || len >= sizeof(key) || !cJSON_IsObject(at)) {
                return NULL;
            }
            memcpy(key, p, len);
            key[len] = '\0';
            at = cJSON_GetObjectItemCaseSensitive(at, key);
            p += len;
        } else if (*p == '[') {
            char *end = NULL;
            long index = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || index < 0 || !cJSON_IsArray(at)) {
                return NULL;
            }
            at = cJSON_GetArrayItem(at, (int)index);
            p = end + 1;
        } else {
            return NULL;
        }
    }
    return at;
}

const cJSON *rn_message_property(const cJSON *message, const char *name) {
    static const struct {
        const char *alias;
        const char *system;
    } aliases[] = {{"$.mid", "message-id"},  {"$.cid", "correlation-id"},
                   {"$.ct", "content-type"}, {"$.ce", "content-encoding"},
                   {"$.uid", "user-id"},     {"$.ctime", "iothub-creation-time-utc"}};
    const cJSON *system = cJSON_GetObjectItemCaseSensitive(message, "systemProperties");
    const cJSON *app = cJSON_GetObjectItemCaseSensitive(message, "properties");
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcmp(name, aliases[i].alias) == 0) {
            return cJSON_GetObjectItemCaseSensitive(system, aliases[i].system);
        }
    }
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(app, name);
    return value != NULL ? value : cJSON_GetObjectItemCaseSensitive(system, name);
}

// A plain decimal: optional minus, digits, optionally a point and more digits. Not strtod's
// whole grammar: ids such as "2516061e-24" or "0x10" are text, not 2.5e-18 and 16.
static bool is_plain_decimal(const char *s) {
    if (*s == '-') {
        s++;
    }
    size_t whole = strspn(s, "0123456789");
    if (whole == 0) {
        return false;
    }
    s += whole;
    if (*s == '.') {
        size_t fraction = strspn(s + 1, "0123456789");
        if (fraction == 0) {
            return false;
        }
        s += 1 + fraction;
    }
    return *s == '\0';
}

// Plain decimals compare by value; otherwise digit runs compare as numbers and everything else
// byte by byte: "m-9" < "m-10".
int rn_natural_compare(const char *a, const char *b) {
    if (is_plain_decimal(a) && is_plain_decimal(b)) {
        double na = strtod(a, NULL);
        double nb = strtod(b, NULL);
        return na < nb ? -1 : na > nb ? 1 : 0;
    }
    while (*a != '\0' && *b != '\0') {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1])) {
                a++;
            }
            while (*b == '0' && isdigit((unsigned char)b[1])) {
                b++;
            }
            size_t la = 0;
            size_t lb = 0;
            while (isdigit((unsigned char)a[la])) {
                la++;
            }
            while (isdigit((unsigned char)b[lb])) {
                lb++;
            }
            if (la != lb) {
                return la < lb ? -1 : 1;
            }
            int c = strncmp(a, b, la);
            if (c != 0) {
                return c < 0 ? -1 : 1;
            }
            a += la;
            b += lb;
        } else {
            if (*a != *b) {
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            }
            a++;
            b++;
        }
    }
    return *a == *b ? 0 : *a == '\0' ? -1 : 1;
}

// The value as text for `matches`: strings as they are, anything else as compact JSON.
static char *as_text(const cJSON *value) {
    if (cJSON_IsString(value)) {
        return strdup(value->valuestring);
    }
    return cJSON_PrintUnformatted(value);
}

static bool equals(const struct scn_value *want, const cJSON *value) {
    switch (want->kind) {
        case SCN_VALUE_NULL:
            return cJSON_IsNull(value);
        case SCN_VALUE_BOOL:
            return cJSON_IsBool(value) && (cJSON_IsTrue(value) != 0) == want->boolean;
        case SCN_VALUE_NUMBER:
            return cJSON_IsNumber(value) && value->valuedouble == want->number;
        case SCN_VALUE_STRING:
            return cJSON_IsString(value) && strcmp(value->valuestring, want->string) == 0;
    }
    return false;
}

bool rn_field_matches(const struct scn_field_cond *cond, const cJSON *value, const regex_t *re) {
    if (cond->op == SCN_CMP_EXISTS) {
        return (value != NULL) == cond->value.boolean;
    }
    if (value == NULL) {
        return false;
    }
    switch (cond->op) {
        case SCN_CMP_EQ:
            return equals(&cond->value, value);
        case SCN_CMP_NE:
            return !equals(&cond->value, value);
        case SCN_CMP_MATCHES: {
            char *text = as_text(value);
            bool ok = text != NULL && re != NULL && regexec(re, text, 0, NULL, 0) == 0;
            free(text);
            return ok;
        }
        default:
            break;
    }
    double number = 0;
    if (cJSON_IsNumber(value)) {
        number = value->valuedouble;
    } else if (cJSON_IsString(value)) {
        // Message properties are strings; a property holding a number compares as one.
        char *end = NULL;
        number = strtod(value->valuestring, &end);
        if (end == value->valuestring || *end != '\0' || !isfinite(number)) {
            return false;
        }
    } else {
        return false;
    }
    double want = cond->value.number;
    switch (cond->op) {
        case SCN_CMP_LT:
            return number < want;
        case SCN_CMP_LE:
            return number <= want;
        case SCN_CMP_GT:
            return number > want;
        case SCN_CMP_GE:
            return number >= want;
        default:
            return false;
    }
}

bool rn_count_ok(const struct scn_count *count, uint64_t n) {
    return (!count->has_min || n >= count->min) && (!count->has_max || n <= count->max);
}

void rn_count_text(const struct scn_count *count, char *out, size_t out_size) {
    if (count->has_min && count->has_max && count->min == count->max) {
        snprintf(out, out_size, "exactly %llu", (unsigned long long)count->min);
    } else if (count->has_min && count->has_max) {
        snprintf(out, out_size, "%llu to %llu", (unsigned long long)count->min,
                 (unsigned long long)count->max);
    } else if (count->has_min) {
        snprintf(out, out_size, "at least %llu", (unsigned long long)count->min);
    } else if (count->has_max) {
        snprintf(out, out_size, "at most %llu", (unsigned long long)count->max);
    } else {
        snprintf(out, out_size, "any number");
    }
}
