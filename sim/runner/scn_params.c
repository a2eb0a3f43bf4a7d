// SPDX-License-Identifier: MIT
// The table-driven reader for the option mappings of actions and conditions: each table entry
// names a key, its type, its bounds and where it lands in the target struct, so the one loop
// here checks every option of every kind the same way (types, ranges, unknown and missing keys)
// and each kind's code only adds what a table cannot say. Also variable expansion and path
// resolution, which path-typed options use.
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runner/scn_internal.h"

#define SCN_MAX_EXPANDED 4096u
#define SCN_MAX_STRING 4096u

void scn_format_duration(uint64_t ms, char *buf, size_t size) {
    static const struct {
        const char *name;
        uint64_t factor;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); ++i) {
        if (ms != 0 && ms % units[i].factor == 0) {
            snprintf(buf, size, "%" PRIu64 "%s", ms / units[i].factor, units[i].name);
            return;
        }
    }
    snprintf(buf, size, "0s");
}

static void format_bound(enum scn_ptype type, double v, char *buf, size_t size) {
    if (type == SCN_P_DURATION || type == SCN_P_SDURATION) {
        scn_format_duration((uint64_t)(v < 0 ? -v : v), buf + (v < 0), size - (v < 0));
        if (v < 0) {
            buf[0] = '-';
        }
    } else if (type == SCN_P_NUMBER) {
        snprintf(buf, size, "%g", v);
    } else {
        snprintf(buf, size, "%.0f", v);
    }
}

static enum scn_result out_of_range(struct scn_ctx *c, const struct scn_node *n,
                                    const struct scn_param *p) {
    char lo[32], hi[32], got[160];
    format_bound(p->type, p->min, lo, sizeof(lo));
    format_bound(p->type, p->max, hi, sizeof(hi));
    return scn_fail(c, n->loc, SCN_ERR_SCHEMA, "expected %s from %s to %s, got %s", p->key, lo, hi,
                    scn_describe(n, got, sizeof(got)));
}

static bool has_range(const struct scn_param *p) {
    return p->min < p->max;
}

static bool in_range(const struct scn_param *p, double v) {
    return !has_range(p) || (v >= p->min && v <= p->max);
}

static bool single_line(const char *s) {
    for (; *s != '\0'; ++s) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return false;
        }
    }
    return true;
}

enum scn_result scn_expand(struct scn_ctx *c, const struct scn_node *n, char **out) {
    char buf[SCN_MAX_EXPANDED + 1];
    size_t used = 0;
    const char *s = n->text;
    while (*s != '\0') {
        const char *piece = s;
        size_t piece_len = 1;
        if (s[0] == '$' && s[1] == '$') {
            s += 2;
        } else if (s[0] == '$' && s[1] == '{') {
            const char *end = strchr(s + 2, '}');
            if (end == NULL) {
                return scn_expected(c, n, "'}' closing the ${variable}");
            }
            size_t name_len = (size_t)(end - (s + 2));
            char name[64];
            if (name_len == 0 || name_len >= sizeof(name)) {
                return scn_expected(c, n, "a variable name of 1 to 63 characters in ${...}");
            }
            memcpy(name, s + 2, name_len);
            name[name_len] = '\0';
            const struct scn_variable *v = NULL;
            const char *known[64];
            size_t known_count = 0;
            for (size_t i = 0; i < c->scn->variable_count; ++i) {
                if (strcmp(c->scn->variables[i].name, name) == 0) {
                    v = &c->scn->variables[i];
                }
                if (known_count < 64) {
                    known[known_count++] = c->scn->variables[i].name;
                }
            }
            if (v == NULL) {
                char q[96];
                const char *near = scn_suggest(name, known, known_count);
                return scn_fail(c, n->loc, SCN_ERR_SCHEMA,
                                "expected a defined variable in ${...}, got %s%s%s%s",
                                scn_quote(name, q, sizeof(q)), near ? " (did you mean " : "",
                                near ? near : "", near ? "?)" : "");
            }
            piece = v->value;
            piece_len = strlen(v->value);
            s = end + 1;
        } else {
            s += 1;
        }
        if (used + piece_len > SCN_MAX_EXPANDED) {
            return scn_fail(c, n->loc, SCN_ERR_LIMIT,
                            "expected at most %u bytes after expanding variables, got more",
                            SCN_MAX_EXPANDED);
        }
        memcpy(buf + used, piece, piece_len);
        used += piece_len;
    }
    buf[used] = '\0';
    *out = scn_arena_strndup(c->arena, buf, used);
    return *out != NULL ? SCN_OK : scn_fail(c, n->loc, SCN_ERR_NOMEM, "out of memory");
}

static enum scn_result parse_path(struct scn_ctx *c, const struct scn_node *n, char **out) {
    if (n->type != SCN_NODE_SCALAR || n->len == 0 || !single_line(n->text)) {
        return scn_expected(c, n, "a path");
    }
    char *expanded;
    enum scn_result rc = scn_expand(c, n, &expanded);
    if (rc != SCN_OK) {
        return rc;
    }
    if (expanded[0] == '\0') {
        return scn_expected(c, n, "a path that is not empty after expanding variables");
    }
    if (expanded[0] == '/' || strcmp(c->base_dir, ".") == 0) {
        *out = expanded;
        return SCN_OK;
    }
    size_t len = strlen(c->base_dir) + 1 + strlen(expanded);
    if (len > PATH_MAX) {
        return scn_fail(c, n->loc, SCN_ERR_LIMIT, "expected a path of at most %d bytes, got %zu",
                        PATH_MAX, len);
    }
    *out = scn_arena_alloc(c->arena, len + 1);
    if (*out == NULL) {
        return scn_fail(c, n->loc, SCN_ERR_NOMEM, "out of memory");
    }
    snprintf(*out, len + 1, "%s/%s", c->base_dir, expanded);
    return SCN_OK;
}

static enum scn_result parse_enum(struct scn_ctx *c, const struct scn_node *n,
                                  const struct scn_param *p, int *out) {
    const char *names[32];
    size_t count = 0;
    for (const struct scn_name *e = p->names; e->name != NULL && count < 32; ++e) {
        if (n->type == SCN_NODE_SCALAR && strcmp(n->text, e->name) == 0) {
            *out = e->value;
            return SCN_OK;
        }
        names[count++] = e->name;
    }
    char list[256], got[160];
    size_t used = 0;
    for (size_t i = 0; i < count && used < sizeof(list); ++i) {
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", i == 0 ? "" : ", ", names[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    const char *near = n->type == SCN_NODE_SCALAR ? scn_suggest(n->text, names, count) : NULL;
    return scn_fail(c, n->loc, SCN_ERR_SCHEMA, "expected %s to be one of %s, got %s%s%s%s", p->key,
                    list, scn_describe(n, got, sizeof(got)), near ? " (did you mean " : "",
                    near ? near : "", near ? "?)" : "");
}

static enum scn_result parse_signal(struct scn_ctx *c, const struct scn_node *n, int *out) {
    int sig = n->type == SCN_NODE_SCALAR ? scn_signal_number(n->text) : 0;
    if (sig != 0) {
        *out = sig;
        return SCN_OK;
    }
    char got[160], upper[16] = "SIG";
    const char *near = NULL;
    if (n->type == SCN_NODE_SCALAR && n->len < 12) {
        // "segv" and "sigsegv" are near misses of SIGSEGV too.
        size_t skip = strncasecmp(n->text, "SIG", 3) == 0 ? 3 : 0;
        for (size_t i = skip; i < n->len; ++i) {
            upper[3 + i - skip] = (char)toupper((unsigned char)n->text[i]);
        }
        near = scn_suggest(upper, scn_signal_names, scn_signal_name_count);
    }
    return scn_fail(c, n->loc, SCN_ERR_SCHEMA,
                    "expected a signal name such as SIGSEGV, SIGABRT or SIGBUS, got %s%s%s%s",
                    scn_describe(n, got, sizeof(got)), near ? " (did you mean " : "",
                    near ? near : "", near ? "?)" : "");
}

enum scn_result scn_parse_param_value(struct scn_ctx *c, const struct scn_node *n,
                                      const struct scn_param *p, void *base) {
    char *field = (char *)base + p->offset;
    const char *why = NULL;
    bool scalar = n->type == SCN_NODE_SCALAR;
    bool plain_scalar = scalar && n->plain;
    switch (p->type) {
        case SCN_P_DURATION: {
            uint64_t v;
            if (!scalar || !scn_parse_duration(n->text, &v, &why)) {
                return scn_expected(c, n, why != NULL ? why + strlen("expected ") : "a duration");
            }
            if (!in_range(p, (double)v)) {
                return out_of_range(c, n, p);
            }
            memcpy(field, &v, sizeof(v));
            return SCN_OK;
        }
        case SCN_P_SDURATION: {
            int64_t v;
            if (!scalar || !scn_parse_signed_duration(n->text, &v, &why)) {
                return scn_expected(c, n, why != NULL ? why + strlen("expected ") : "a duration");
            }
            if (!in_range(p, (double)v)) {
                return out_of_range(c, n, p);
            }
            memcpy(field, &v, sizeof(v));
            return SCN_OK;
        }
        case SCN_P_U64:
        case SCN_P_INT: {
            uint64_t u = 0;
            int64_t i = 0;
            bool ok = plain_scalar && (p->type == SCN_P_U64 ? scn_parse_u64(n->text, &u)
                                                            : scn_parse_i64(n->text, &i));
            if (!ok) {
                return scn_expected(
                    c, n, p->type == SCN_P_U64 ? "a whole number (0 or more)" : "a whole number");
            }
            double v = p->type == SCN_P_U64 ? (double)u : (double)i;
            if (!in_range(p, v) || (p->type == SCN_P_INT && (i < INT_MIN || i > INT_MAX))) {
                return out_of_range(c, n, p);
            }
            if (p->type == SCN_P_U64) {
                memcpy(field, &u, sizeof(u));
            } else {
                int iv = (int)i;
                memcpy(field, &iv, sizeof(iv));
            }
            return SCN_OK;
        }
        case SCN_P_SIZE: {
            uint64_t v;
            if (!plain_scalar || !scn_parse_size(n->text, &v, &why)) {
                return scn_expected(c, n,
                                    why != NULL ? why + strlen("expected ") : "a size in bytes");
            }
            if (!in_range(p, (double)v)) {
                return out_of_range(c, n, p);
            }
            memcpy(field, &v, sizeof(v));
            return SCN_OK;
        }
        case SCN_P_NUMBER: {
            double v;
            if (!plain_scalar || !scn_parse_number(n->text, &v)) {
                return scn_expected(c, n, "a number");
            }
            if (!in_range(p, v)) {
                return out_of_range(c, n, p);
            }
            memcpy(field, &v, sizeof(v));
            return SCN_OK;
        }
        case SCN_P_BOOL: {
            bool v;
            if (plain_scalar && strcmp(n->text, "true") == 0) {
                v = true;
            } else if (plain_scalar && strcmp(n->text, "false") == 0) {
                v = false;
            } else {
                return scn_expected(c, n, "true or false");
            }
            memcpy(field, &v, sizeof(v));
            return SCN_OK;
        }
        case SCN_P_STRING:
        case SCN_P_TEXT: {
            bool line = p->type == SCN_P_STRING;
            if (!scalar ||
                (line && (n->len == 0 || n->len > SCN_MAX_STRING || !single_line(n->text)))) {
                return scn_expected(c, n,
                                    line ? "a one-line text of 1 to 4096 characters" : "a text");
            }
            char *s = n->text;
            memcpy(field, &s, sizeof(s));
            return SCN_OK;
        }
        case SCN_P_PATH: {
            char *s = NULL;
            enum scn_result rc = parse_path(c, n, &s);
            if (rc == SCN_OK) {
                memcpy(field, &s, sizeof(s));
            }
            return rc;
        }
        case SCN_P_ENUM: {
            int v = 0;
            enum scn_result rc = parse_enum(c, n, p, &v);
            if (rc == SCN_OK) {
                memcpy(field, &v, sizeof(v));
            }
            return rc;
        }
        case SCN_P_SIGNAL: {
            int v = 0;
            enum scn_result rc = parse_signal(c, n, &v);
            if (rc == SCN_OK) {
                memcpy(field, &v, sizeof(v));
            }
            return rc;
        }
        case SCN_P_JSON: {
            char *json = NULL;
            enum scn_result rc = scn_to_json(c, n, &json);
            if (rc == SCN_OK) {
                memcpy(field, &json, sizeof(json));
            }
            return rc;
        }
        case SCN_P_CUSTOM:
            return p->custom(c, n, base);
    }
    return scn_expected(c, n, "a value");
}

enum scn_result scn_parse_params(struct scn_ctx *c, const struct scn_node *map, const char *context,
                                 const struct scn_param *params, size_t count, void *base,
                                 uint64_t *out_seen) {
    uint64_t seen = 0;
    enum scn_result rc;
    if (map->type != SCN_NODE_MAP) {
        char what[96];
        snprintf(what, sizeof(what), "a mapping of %s options", context);
        return scn_expected(c, map, what);
    }
    for (const struct scn_node *k = map->first; k != NULL; k = k->next->next) {
        size_t i = 0;
        while (i < count && strcmp(params[i].key, k->text) != 0) {
            ++i;
        }
        if (i == count) {
            const char *known[SCN_MAX_PARAMS];
            size_t n = 0;
            for (; n < count && n < SCN_MAX_PARAMS; ++n) {
                known[n] = params[n].key;
            }
            char ctx[96];
            snprintf(ctx, sizeof(ctx), "a %s", context);
            return scn_unknown_key(c, k, ctx, known, n);
        }
        rc = scn_parse_param_value(c, k->next, &params[i], base);
        if (rc != SCN_OK) {
            return rc;
        }
        if (params[i].has_offset != 0) {
            *((bool *)((char *)base + params[i].has_offset)) = true;
        }
        seen |= 1ull << i;
    }
    for (size_t i = 0; i < count; ++i) {
        if (params[i].required && (seen & (1ull << i)) == 0) {
            return scn_fail(c, map->loc, SCN_ERR_SCHEMA, "expected key %s in the %s, got none",
                            params[i].key, context);
        }
    }
    if (out_seen != NULL) {
        *out_seen = seen;
    }
    return SCN_OK;
}
