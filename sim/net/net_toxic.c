// SPDX-License-Identifier: MIT
// The toxic's text form: parsing (token by token, every error naming the token), validation and
// the canonical formatting that parses back to the same toxic. See net_toxic.h.
#include "net/net_toxic.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "net/net_units.h"

#define MAX_TOKENS 32
#define DEFAULT_SLICE_SIZE 8
#define DEFAULT_SLICE_DELAY_US 1000

struct kind_info {
    enum sim_net_toxic_kind kind;
    const char *name;
    const char *alias;
    const char *keys;        // its own parameters, for "expected …" messages
    const char *positional;  // what its bare value is, NULL if it takes none
};

static const struct kind_info kinds[] = {
    {SIM_NET_TOXIC_LATENCY, "latency", NULL, "a delay, jitter", "delay"},
    {SIM_NET_TOXIC_BANDWIDTH, "bandwidth", NULL, "a rate", "rate"},
    {SIM_NET_TOXIC_RESET, "reset", NULL, "after", NULL},
    {SIM_NET_TOXIC_BLACKHOLE, "blackhole", NULL, NULL, NULL},
    {SIM_NET_TOXIC_SLOW_CLOSE, "slow_close", "slow-close", "a delay", "delay"},
    {SIM_NET_TOXIC_SLICER, "slicer", NULL, "size, variation, delay", NULL},
    {SIM_NET_TOXIC_LIMIT_DATA, "limit_data", "cut", "a byte count", "byte count"},
};

#define KIND_LIST "latency, bandwidth, reset, blackhole, slow_close, slicer or limit_data"

static const struct kind_info *find_kind(const char *word) {
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(word, kinds[i].name) == 0 ||
            (kinds[i].alias != NULL && strcmp(word, kinds[i].alias) == 0)) {
            return &kinds[i];
        }
    }
    return NULL;
}

static const struct kind_info *kind_info(enum sim_net_toxic_kind kind) {
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (kinds[i].kind == kind) {
            return &kinds[i];
        }
    }
    return NULL;
}

const char *sim_net_toxic_kind_name(enum sim_net_toxic_kind kind) {
    const struct kind_info *info = kind_info(kind);
    return info != NULL ? info->name : "none";
}

const char *sim_net_direction_name(unsigned directions) {
    switch (directions) {
        case SIM_NET_UP:
            return "up";
        case SIM_NET_DOWN:
            return "down";
        case SIM_NET_BOTH:
            return "both";
        default:
            return "none";
    }
}

int sim_net_name_valid(const char *name) {
    size_t len = 0;
    for (const char *p = name; *p != '\0'; p++, len++) {
        if (len >= SIM_NET_TOXIC_NAME_MAX ||
            !(isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.')) {
            return 0;
        }
    }
    return len > 0;
}

static unsigned direction_word(const char *word) {
    if (strcmp(word, "up") == 0 || strcmp(word, "upstream") == 0) {
        return SIM_NET_UP;
    }
    if (strcmp(word, "down") == 0 || strcmp(word, "downstream") == 0) {
        return SIM_NET_DOWN;
    }
    if (strcmp(word, "both") == 0) {
        return SIM_NET_BOTH;
    }
    return 0;
}

// Everything the parser keeps while walking the tokens.
struct parse_state {
    const char *const *tokens;
    size_t count;
    size_t at;  // index of the token being looked at
    char *err;
    size_t err_size;
    const struct kind_info *kind;
    struct sim_net_toxic toxic;
    bool seen_direction, seen_probability, seen_name, seen_positional;
    bool seen_jitter, seen_after, seen_size, seen_variation, seen_delay;
};

static enum sim_net_proxy_result token_error(struct parse_state *ps, size_t index,
                                             const char *what) {
    snprintf(ps->err, ps->err_size, "token %zu '%s': %s", index + 1, ps->tokens[index], what);
    return SIM_NET_PROXY_ERR_INVALID;
}

// The value token after a key; an error naming the key if there is none.
static enum sim_net_proxy_result take_value(struct parse_state *ps, bool *seen,
                                            const char **out_value) {
    size_t key = ps->at;
    if (*seen) {
        return token_error(ps, key, "given twice");
    }
    if (key + 1 >= ps->count) {
        return token_error(ps, key, "missing a value after it");
    }
    *seen = true;
    ps->at++;
    *out_value = ps->tokens[ps->at];
    return SIM_NET_PROXY_OK;
}

typedef enum sim_net_proxy_result (*value_parser)(const char *, char *, size_t, uint64_t *);

// Parses the current token with parse into *out, prefixing its own message with the token.
static enum sim_net_proxy_result parse_value(struct parse_state *ps, value_parser parse,
                                             uint64_t *out) {
    char why[256];
    if (parse(ps->tokens[ps->at], why, sizeof(why), out) != SIM_NET_PROXY_OK) {
        snprintf(ps->err, ps->err_size, "token %zu: %s", ps->at + 1, why);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    return SIM_NET_PROXY_OK;
}

static enum sim_net_proxy_result keyed(struct parse_state *ps, bool *seen, value_parser parse,
                                       uint64_t *out) {
    const char *value = NULL;
    enum sim_net_proxy_result r = take_value(ps, seen, &value);
    return r != SIM_NET_PROXY_OK ? r : parse_value(ps, parse, out);
}

// A parameter of the toxic's own kind. Returns SIM_NET_PROXY_ERR_NOT_FOUND when the word is not
// one.
static enum sim_net_proxy_result parse_kind_parameter(struct parse_state *ps) {
    const char *word = ps->tokens[ps->at];
    struct sim_net_toxic *t = &ps->toxic;
    switch (t->kind) {
        case SIM_NET_TOXIC_LATENCY:
            if (strcmp(word, "jitter") == 0) {
                return keyed(ps, &ps->seen_jitter, sim_net_parse_duration, &t->jitter_us);
            }
            break;
        case SIM_NET_TOXIC_RESET:
            if (strcmp(word, "after") == 0) {
                return keyed(ps, &ps->seen_after, sim_net_parse_duration, &t->after_us);
            }
            break;
        case SIM_NET_TOXIC_SLICER:
            if (strcmp(word, "size") == 0) {
                return keyed(ps, &ps->seen_size, sim_net_parse_bytes, &t->size);
            }
            if (strcmp(word, "variation") == 0) {
                return keyed(ps, &ps->seen_variation, sim_net_parse_bytes, &t->variation);
            }
            if (strcmp(word, "delay") == 0) {
                return keyed(ps, &ps->seen_delay, sim_net_parse_duration, &t->delay_us);
            }
            break;
        default:
            break;
    }
    return SIM_NET_PROXY_ERR_NOT_FOUND;
}

// The bare value a kind takes (latency's delay, bandwidth's rate, …).
static enum sim_net_proxy_result parse_positional(struct parse_state *ps) {
    struct sim_net_toxic *t = &ps->toxic;
    ps->seen_positional = true;
    switch (t->kind) {
        case SIM_NET_TOXIC_LATENCY:
            return parse_value(ps, sim_net_parse_duration, &t->latency_us);
        case SIM_NET_TOXIC_BANDWIDTH:
            return parse_value(ps, sim_net_parse_rate, &t->rate);
        case SIM_NET_TOXIC_SLOW_CLOSE:
            return parse_value(ps, sim_net_parse_duration, &t->delay_us);
        case SIM_NET_TOXIC_LIMIT_DATA:
            return parse_value(ps, sim_net_parse_bytes, &t->bytes);
        default:
            return SIM_NET_PROXY_ERR_NOT_FOUND;
    }
}

static enum sim_net_proxy_result unknown_parameter(struct parse_state *ps) {
    char what[256];
    const char *keys = ps->kind->keys;
    if (ps->seen_positional && ps->kind->positional != NULL) {
        // The bare value is taken; listing it again would mislead.
        keys = strcmp(ps->kind->name, "latency") == 0 ? "jitter" : NULL;
    }
    snprintf(what, sizeof(what),
             "unknown parameter for %s (expected %s%sup, down, both, "
             "probability or name)",
             ps->kind->name, keys != NULL ? keys : "", keys != NULL ? ", " : "");
    return token_error(ps, ps->at, what);
}

static enum sim_net_proxy_result parse_common(struct parse_state *ps) {
    const char *word = ps->tokens[ps->at];
    unsigned direction = direction_word(word);
    if (direction != 0) {
        if (ps->seen_direction) {
            return token_error(ps, ps->at, "a second direction (give one of up, down or both)");
        }
        ps->seen_direction = true;
        ps->toxic.directions = direction;
        return SIM_NET_PROXY_OK;
    }
    if (strcmp(word, "probability") == 0) {
        const char *value = NULL;
        enum sim_net_proxy_result r = take_value(ps, &ps->seen_probability, &value);
        char why[256];
        if (r == SIM_NET_PROXY_OK &&
            sim_net_parse_probability(value, why, sizeof(why), &ps->toxic.probability_ppm) !=
                SIM_NET_PROXY_OK) {
            snprintf(ps->err, ps->err_size, "token %zu: %s", ps->at + 1, why);
            r = SIM_NET_PROXY_ERR_INVALID;
        }
        return r;
    }
    if (strcmp(word, "name") == 0) {
        const char *value = NULL;
        enum sim_net_proxy_result r = take_value(ps, &ps->seen_name, &value);
        if (r != SIM_NET_PROXY_OK) {
            return r;
        }
        if (!sim_net_name_valid(value)) {
            return token_error(ps, ps->at,
                               "not a toxic name (1 to 31 characters of A-Z, a-z, 0-9, _, - "
                               "or .)");
        }
        snprintf(ps->toxic.name, sizeof(ps->toxic.name), "%s", value);
        return SIM_NET_PROXY_OK;
    }
    return SIM_NET_PROXY_ERR_NOT_FOUND;
}

enum sim_net_proxy_result sim_net_toxic_parse_tokens(const char *const *tokens, size_t count,
                                                     char *err, size_t err_size,
                                                     struct sim_net_toxic *out_toxic) {
    struct parse_state ps = {.tokens = tokens, .count = count, .err = err, .err_size = err_size};
    if (count == 0) {
        snprintf(err, err_size, "empty toxic (expected one of %s)", KIND_LIST);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    ps.kind = find_kind(tokens[0]);
    if (ps.kind == NULL) {
        return token_error(&ps, 0, "unknown toxic (expected " KIND_LIST ")");
    }
    ps.toxic.kind = ps.kind->kind;
    ps.toxic.directions = SIM_NET_BOTH;
    ps.toxic.probability_ppm = SIM_NET_PPM;
    if (ps.toxic.kind == SIM_NET_TOXIC_SLICER) {
        ps.toxic.size = DEFAULT_SLICE_SIZE;
        ps.toxic.delay_us = DEFAULT_SLICE_DELAY_US;
    }
    for (ps.at = 1; ps.at < count; ps.at++) {
        enum sim_net_proxy_result r = parse_common(&ps);
        if (r == SIM_NET_PROXY_ERR_NOT_FOUND) {
            r = parse_kind_parameter(&ps);
        }
        if (r == SIM_NET_PROXY_ERR_NOT_FOUND && !ps.seen_positional) {
            r = parse_positional(&ps);
        }
        if (r == SIM_NET_PROXY_ERR_NOT_FOUND) {
            r = unknown_parameter(&ps);
        }
        if (r != SIM_NET_PROXY_OK) {
            return r;
        }
    }
    if (ps.kind->positional != NULL && !ps.seen_positional) {
        snprintf(err, err_size, "%s: missing its %s (e.g. %s)", ps.kind->name, ps.kind->positional,
                 ps.toxic.kind == SIM_NET_TOXIC_LATENCY      ? "latency 200ms"
                 : ps.toxic.kind == SIM_NET_TOXIC_BANDWIDTH  ? "bandwidth 64kB/s"
                 : ps.toxic.kind == SIM_NET_TOXIC_SLOW_CLOSE ? "slow_close 2s"
                                                             : "limit_data 100");
        return SIM_NET_PROXY_ERR_INVALID;
    }
    if (!ps.seen_name) {
        snprintf(ps.toxic.name, sizeof(ps.toxic.name), "%s_%s", ps.kind->name,
                 sim_net_direction_name(ps.toxic.directions));
    }
    enum sim_net_proxy_result r = sim_net_toxic_validate(&ps.toxic, err, err_size);
    if (r == SIM_NET_PROXY_OK) {
        *out_toxic = ps.toxic;
    }
    return r;
}

enum sim_net_proxy_result sim_net_toxic_parse(const char *text, char *err, size_t err_size,
                                              struct sim_net_toxic *out_toxic) {
    char copy[SIM_NET_TOXIC_TEXT_MAX + 1];
    const char *tokens[MAX_TOKENS];
    size_t count = 0;
    if (text == NULL) {
        snprintf(err, err_size, "empty toxic (expected one of %s)", KIND_LIST);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    size_t len = strnlen(text, SIM_NET_TOXIC_TEXT_MAX + 1);
    if (len > SIM_NET_TOXIC_TEXT_MAX) {
        snprintf(err, err_size, "toxic text is longer than %d characters", SIM_NET_TOXIC_TEXT_MAX);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    memcpy(copy, text, len + 1);
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \t\r\n", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        if (count == MAX_TOKENS) {
            snprintf(err, err_size, "token %d '%s': more than %d tokens", MAX_TOKENS + 1, tok,
                     MAX_TOKENS);
            return SIM_NET_PROXY_ERR_INVALID;
        }
        tokens[count++] = tok;
    }
    return sim_net_toxic_parse_tokens(tokens, count, err, err_size, out_toxic);
}

enum sim_net_proxy_result sim_net_toxic_validate(const struct sim_net_toxic *t, char *err,
                                                 size_t err_size) {
    const char *bad = NULL;
    if (kind_info(t->kind) == NULL) {
        bad = "kind: not a toxic kind";
    } else if (t->directions < SIM_NET_UP || t->directions > SIM_NET_BOTH) {
        bad = "directions: must be up, down or both";
    } else if (t->probability_ppm > SIM_NET_PPM) {
        bad = "probability: must be at most 1";
    } else if (!sim_net_name_valid(t->name)) {
        bad = "name: 1 to 31 characters of A-Z, a-z, 0-9, _, - or .";
    } else if (t->latency_us > SIM_NET_MAX_DURATION_US || t->jitter_us > SIM_NET_MAX_DURATION_US ||
               t->after_us > SIM_NET_MAX_DURATION_US || t->delay_us > SIM_NET_MAX_DURATION_US) {
        bad = "a duration is longer than a day";
    } else if (t->kind == SIM_NET_TOXIC_BANDWIDTH && (t->rate == 0 || t->rate > SIM_NET_MAX_RATE)) {
        bad = "rate: must be at least 1B/s and at most 1TiB/s";
    } else if (t->kind == SIM_NET_TOXIC_SLICER &&
               (t->size == 0 || t->size > SIM_NET_MAX_BYTES || t->variation > SIM_NET_MAX_BYTES)) {
        bad = "size: a slice must be at least 1 byte";
    } else if (t->bytes > SIM_NET_MAX_BYTES) {
        bad = "bytes: at most 1TiB";
    }
    if (bad != NULL) {
        snprintf(err, err_size, "toxic '%s': %s", t->name, bad);
        return SIM_NET_PROXY_ERR_INVALID;
    }
    return SIM_NET_PROXY_OK;
}

// Appends " WORD VALUE" pieces; quietly stops at the end of out (callers size it to fit).
static void append(char *out, size_t out_size, const char *piece) {
    size_t used = strnlen(out, out_size);
    if (used + 1 < out_size) {
        snprintf(out + used, out_size - used, "%s", piece);
    }
}

void sim_net_toxic_format(const struct sim_net_toxic *t, char *out, size_t out_size) {
    char a[48];
    char b[48];
    char c[48];
    char piece[200];
    if (out_size == 0) {
        return;
    }
    out[0] = '\0';
    append(out, out_size, sim_net_toxic_kind_name(t->kind));
    piece[0] = '\0';
    switch (t->kind) {
        case SIM_NET_TOXIC_LATENCY:
            sim_net_format_duration(t->latency_us, a, sizeof(a));
            sim_net_format_duration(t->jitter_us, b, sizeof(b));
            if (t->jitter_us > 0) {
                snprintf(piece, sizeof(piece), " %s jitter %s", a, b);
            } else {
                snprintf(piece, sizeof(piece), " %s", a);
            }
            break;
        case SIM_NET_TOXIC_BANDWIDTH:
            sim_net_format_rate(t->rate, a, sizeof(a));
            snprintf(piece, sizeof(piece), " %s", a);
            break;
        case SIM_NET_TOXIC_RESET:
            if (t->after_us > 0) {
                sim_net_format_duration(t->after_us, a, sizeof(a));
                snprintf(piece, sizeof(piece), " after %s", a);
            }
            break;
        case SIM_NET_TOXIC_SLOW_CLOSE:
            sim_net_format_duration(t->delay_us, a, sizeof(a));
            snprintf(piece, sizeof(piece), " %s", a);
            break;
        case SIM_NET_TOXIC_SLICER:
            sim_net_format_bytes(t->size, a, sizeof(a));
            sim_net_format_bytes(t->variation, b, sizeof(b));
            sim_net_format_duration(t->delay_us, c, sizeof(c));
            snprintf(piece, sizeof(piece), " size %s variation %s delay %s", a, b, c);
            break;
        case SIM_NET_TOXIC_LIMIT_DATA:
            sim_net_format_bytes(t->bytes, a, sizeof(a));
            snprintf(piece, sizeof(piece), " %s", a);
            break;
        default:
            break;
    }
    append(out, out_size, piece);
    sim_net_format_probability(t->probability_ppm, a, sizeof(a));
    snprintf(piece, sizeof(piece), " %s probability %s name %s",
             sim_net_direction_name(t->directions), a, t->name);
    append(out, out_size, piece);
}
