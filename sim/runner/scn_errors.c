// SPDX-License-Identifier: MIT
// The scenario parser's one error message: "<file>:<line>:<column>: expected <what>, got <what>".
// Values echoed back are quoted, escaped and shortened, so a hostile file cannot forge lines in
// a log or a JUnit report, and a misspelt key gets a "did you mean" when a known key is close.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "runner/scn_internal.h"

enum scn_result scn_fail(struct scn_ctx *c, struct scn_loc loc, enum scn_result rc, const char *fmt,
                         ...) {
    if (c->err == NULL || c->err_size == 0) {
        return rc;
    }
    int n = snprintf(c->err, c->err_size, "%s:%u:%u: ", c->file, loc.line, loc.column);
    if (n >= 0 && (size_t)n < c->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return rc;
}

const char *scn_quote(const char *s, char *buf, size_t size) {
    if (size < 16) {
        if (size > 0) {
            buf[0] = '\0';
        }
        return buf;
    }
    size_t used = 0;
    const unsigned char *p = (const unsigned char *)s;
    buf[used++] = '"';
    // Leave room for an escape, the ellipsis, the closing quote and the NUL.
    for (; *p != '\0' && used + 9 < size; ++p) {
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\') {
            int w = snprintf(buf + used, size - used, "\\x%02x", *p);
            used += w > 0 ? (size_t)w : 0;
        } else {
            buf[used++] = (char)*p;
        }
    }
    if (*p != '\0') {
        memcpy(buf + used, "...", 3);
        used += 3;
    }
    buf[used++] = '"';
    buf[used] = '\0';
    return buf;
}

const char *scn_describe(const struct scn_node *n, char *buf, size_t size) {
    if (n == NULL) {
        snprintf(buf, size, "nothing");
    } else if (n->type == SCN_NODE_MAP) {
        snprintf(buf, size, "a mapping");
    } else if (n->type == SCN_NODE_SEQ) {
        snprintf(buf, size, "a sequence");
    } else if (n->plain && n->len == 0) {
        snprintf(buf, size, "an empty value");
    } else {
        scn_quote(n->text, buf, size);
    }
    return buf;
}

enum scn_result scn_expected(struct scn_ctx *c, const struct scn_node *n, const char *what) {
    char got[160];
    struct scn_loc at = n != NULL ? n->loc : (struct scn_loc){1, 1};
    return scn_fail(c, at, SCN_ERR_SCHEMA, "expected %s, got %s", what,
                    scn_describe(n, got, sizeof(got)));
}

static size_t min3(size_t a, size_t b, size_t d) {
    size_t m = a < b ? a : b;
    return m < d ? m : d;
}

// Edit distance counting a swap of neighbours as one edit (so "hots" is one edit from "host"),
// the usual typo. Long strings are never "close", so they are not measured.
static size_t distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) {
        return 99;
    }
    size_t d[65][65];
    for (size_t i = 0; i <= la; ++i) {
        d[i][0] = i;
    }
    for (size_t j = 0; j <= lb; ++j) {
        d[0][j] = j;
    }
    for (size_t i = 1; i <= la; ++i) {
        for (size_t j = 1; j <= lb; ++j) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j]) {
                d[i][j] = d[i - 2][j - 2] + 1;
            }
        }
    }
    return d[la][lb];
}

const char *scn_suggest(const char *got, const char *const *candidates, size_t count) {
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < count; ++i) {
        if (strcasecmp(got, candidates[i]) == 0) {
            return candidates[i];
        }
        // Short names need a closer match, or every short typo would suggest something.
        size_t len = strlen(candidates[i]);
        size_t limit = len <= 2 ? 0 : (len <= 4 ? 1 : 2);
        size_t d = distance(got, candidates[i]);
        if (d <= limit && d < best_d) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}

enum scn_result scn_unknown_key(struct scn_ctx *c, const struct scn_node *key, const char *context,
                                const char *const *known, size_t known_count) {
    char list[640];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < known_count && used + 1 < sizeof(list); ++i) {
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", known[i]);
        if (w < 0) {
            break;
        }
        used += (size_t)w;
    }
    if (used >= sizeof(list)) {
        memcpy(list + sizeof(list) - 4, "...", 4);
    }
    char got[160];
    scn_describe(key, got, sizeof(got));
    const char *near =
        key->type == SCN_NODE_SCALAR ? scn_suggest(key->text, known, known_count) : NULL;
    if (near != NULL) {
        return scn_fail(c, key->loc, SCN_ERR_SCHEMA,
                        "expected %s key (%s), got %s (did you mean %s?)", context, list, got,
                        near);
    }
    return scn_fail(c, key->loc, SCN_ERR_SCHEMA, "expected %s key (%s), got %s", context, list,
                    got);
}
