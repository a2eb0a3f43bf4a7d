// SPDX-License-Identifier: MIT
// Helpers shared by hub_protocol.c and hub_username.c and nothing else: query-string iteration and
// the checked decoding both need. Not part of the hub core's API.
#ifndef SPHERESIM_CLOUD_HUB_PROTOCOL_INTERNAL_H
#define SPHERESIM_CLOUD_HUB_PROTOCOL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "cloud/hub_result.h"

#define HUB_QUERY_KEY_BUF 32 /* long enough for every query key the parsers look for */

struct hub_pair {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
    bool has_value;
};

struct hub_pair_iter {
    const char *p;
    const char *end;
};

static inline bool hub_char_is_alnum(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The rest of s after prefix, or NULL when s does not start with it.
static inline const char *hub_skip_literal(const char *s, const char *prefix) {
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

// Next "k[=v]" segment of a query; empty segments are skipped. False at the end.
bool hub_pair_next(struct hub_pair_iter *it, struct hub_pair *out);

// Decodes a query key for comparison with known names: HUB_ERR_TOO_LARGE for keys longer than any
// of them (callers ignore those), HUB_ERR_INVALID for bad escapes.
enum hub_result hub_query_key(const struct hub_pair *p, char key[HUB_QUERY_KEY_BUF]);

// Decodes the value of a field allowed once; *seen tracks repeats. HUB_ERR_INVALID on a repeat,
// a bad escape or a value longer than out.
enum hub_result hub_query_field_once(const struct hub_pair *p, bool *seen, char *out,
                                     size_t out_size);

// True when every '%' in the n bytes at s starts a valid escape not decoding to NUL, and s has
// no NUL of its own.
bool hub_pct_valid(const char *s, size_t n);

// Copies [s, s+n) into out (HUB_MAX_ID + 1 bytes) when it is a valid device/module id.
bool hub_copy_id(const char *s, size_t n, char *out);

#endif
