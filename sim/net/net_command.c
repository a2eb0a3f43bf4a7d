// SPDX-License-Identifier: MIT
// Text commands for the fault proxy; see net_command.h. Parsing is finished before anything is
// changed, so a bad command never half-applies.
#include "net/net_command.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define USAGE                                                                                     \
    "expected toxic add|remove|clear|list, network down|up or stats (e.g. toxic add all latency " \
    "200ms down)"

struct reply {
    char *out;
    size_t size;
    size_t used;
};

__attribute__((format(printf, 2, 3))) static void say(struct reply *r, const char *fmt, ...) {
    if (r->used + 1 >= r->size) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->out + r->used, r->size - r->used, fmt, ap);
    va_end(ap);
    if (n > 0) {
        r->used += (size_t)n < r->size - r->used ? (size_t)n : r->size - r->used - 1;
    }
}

static enum sim_net_proxy_result fail(struct reply *r, enum sim_net_proxy_result result,
                                      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum sim_net_proxy_result fail(struct reply *r, enum sim_net_proxy_result result,
                                      const char *fmt, ...) {
    r->used = 0;
    r->out[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->out, r->size, fmt, ap);
    va_end(ap);
    return result;
}

static enum sim_net_proxy_result scope_missing(struct reply *r, const char *verb,
                                               const char *scope) {
    return fail(r, SIM_NET_PROXY_ERR_NOT_FOUND,
                "toxic %s: no endpoint '%s' (use all or an endpoint name)", verb, scope);
}

static void list_scope(struct sim_net_proxy *proxy, const char *scope, struct reply *r) {
    struct sim_net_toxic toxics[SIM_NET_MAX_TOXICS];
    size_t count = 0;
    if (sim_net_proxy_list_toxics(proxy, scope, toxics, SIM_NET_MAX_TOXICS, &count) !=
        SIM_NET_PROXY_OK) {
        return;
    }
    for (size_t i = 0; i < count; i++) {
        char text[SIM_NET_TOXIC_TEXT_MAX];
        sim_net_toxic_format(&toxics[i], text, sizeof(text));
        say(r, "%s: %s\n", scope, text);
    }
}

static enum sim_net_proxy_result toxic_command(struct sim_net_proxy *proxy,
                                               const char *const *tokens, size_t count,
                                               struct reply *r) {
    const char *verb = count > 1 ? tokens[1] : "";
    const char *scope = count > 2 ? tokens[2] : NULL;
    if (strcmp(verb, "list") == 0) {
        if (count > 3) {
            return fail(r, SIM_NET_PROXY_ERR_INVALID,
                        "toxic list: unexpected '%s' (expected at most "
                        "a scope)",
                        tokens[3]);
        }
        if (scope != NULL) {
            if (strcmp(scope, SIM_NET_ALL_ENDPOINTS) != 0 &&
                sim_net_proxy_endpoint_info(proxy, scope, &(struct sim_net_endpoint_info){0}) !=
                    SIM_NET_PROXY_OK) {
                return scope_missing(r, verb, scope);
            }
            list_scope(proxy, scope, r);
            return SIM_NET_PROXY_OK;
        }
        list_scope(proxy, SIM_NET_ALL_ENDPOINTS, r);
        for (size_t i = 0; i < sim_net_proxy_endpoint_count(proxy); i++) {
            struct sim_net_endpoint_info info;
            if (sim_net_proxy_endpoint_at(proxy, i, &info) == SIM_NET_PROXY_OK) {
                list_scope(proxy, info.name, r);
            }
        }
        return SIM_NET_PROXY_OK;
    }
    if (strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0 && strcmp(verb, "clear") != 0) {
        return fail(r, SIM_NET_PROXY_ERR_INVALID,
                    "toxic: unknown action '%s' (expected add, remove, "
                    "clear or list)",
                    verb);
    }
    if (scope == NULL) {
        return fail(r, SIM_NET_PROXY_ERR_INVALID,
                    "toxic %s: missing the scope (all or an endpoint name)", verb);
    }
    enum sim_net_proxy_result result = SIM_NET_PROXY_OK;
    if (strcmp(verb, "add") == 0) {
        struct sim_net_toxic toxic;
        char err[320];
        if (sim_net_toxic_parse_tokens(tokens + 3, count - 3, err, sizeof(err), &toxic) !=
            SIM_NET_PROXY_OK) {
            // err counts tokens from the toxic's first word, the way a scenario step writes it.
            return fail(r, SIM_NET_PROXY_ERR_INVALID, "toxic add: in the toxic, %s", err);
        }
        result = sim_net_proxy_add_toxic(proxy, scope, &toxic);
        if (result == SIM_NET_PROXY_ERR_EXISTS) {
            return fail(r, result,
                        "toxic add: '%s' already has a toxic named '%s' (remove it "
                        "first or give another name)",
                        scope, toxic.name);
        }
        if (result == SIM_NET_PROXY_ERR_FULL) {
            return fail(r, result, "toxic add: '%s' already has %d toxics", scope,
                        SIM_NET_MAX_TOXICS);
        }
        if (result == SIM_NET_PROXY_OK) {
            char text[SIM_NET_TOXIC_TEXT_MAX];
            sim_net_toxic_format(&toxic, text, sizeof(text));
            say(r, "%s: %s\n", scope, text);
        }
    } else if (strcmp(verb, "remove") == 0) {
        if (count != 4) {
            return fail(r, SIM_NET_PROXY_ERR_INVALID, "toxic remove: expected SCOPE NAME");
        }
        result = sim_net_proxy_remove_toxic(proxy, scope, tokens[3]);
        if (result == SIM_NET_PROXY_ERR_NOT_FOUND &&
            sim_net_proxy_list_toxics(proxy, scope, NULL, 0, &(size_t){0}) == SIM_NET_PROXY_OK) {
            return fail(r, result, "toxic remove: '%s' has no toxic named '%s'", scope, tokens[3]);
        }
    } else {
        if (count != 3) {
            return fail(r, SIM_NET_PROXY_ERR_INVALID, "toxic clear: expected only SCOPE");
        }
        result = sim_net_proxy_clear_toxics(proxy, scope);
    }
    return result == SIM_NET_PROXY_ERR_NOT_FOUND ? scope_missing(r, verb, scope) : result;
}

static enum sim_net_proxy_result network_command(struct sim_net_proxy *proxy,
                                                 const char *const *tokens, size_t count,
                                                 struct reply *r) {
    const char *state = count > 1 ? tokens[1] : "";
    if (strcmp(state, "up") == 0 && count == 2) {
        sim_net_proxy_set_network(proxy, 1, SIM_NET_DOWN_RESET);
        say(r, "network up\n");
        return SIM_NET_PROXY_OK;
    }
    if (strcmp(state, "down") == 0 && count <= 3) {
        const char *mode = count == 3 ? tokens[2] : "reset";
        if (strcmp(mode, "reset") != 0 && strcmp(mode, "stall") != 0) {
            return fail(r, SIM_NET_PROXY_ERR_INVALID,
                        "network down: unknown mode '%s' (expected reset "
                        "or stall)",
                        mode);
        }
        sim_net_proxy_set_network(
            proxy, 0, strcmp(mode, "stall") == 0 ? SIM_NET_DOWN_STALL : SIM_NET_DOWN_RESET);
        say(r, "network down (%s)\n", mode);
        return SIM_NET_PROXY_OK;
    }
    return fail(r, SIM_NET_PROXY_ERR_INVALID, "network: expected up, or down [reset|stall]");
}

static void say_stats(const struct sim_net_endpoint_info *info, struct reply *r) {
    say(r,
        "%s: listen 127.0.0.1:%u upstream %s open %" PRIu64 " total %" PRIu64 " refused %" PRIu64
        " bytes_up %" PRIu64 " bytes_down %" PRIu64 " dropped_up %" PRIu64 " dropped_down %" PRIu64
        " toxics %zu\n",
        info->name, info->listen_port, info->upstream, info->connections_open,
        info->connections_total, info->connections_refused, info->bytes[0], info->bytes[1],
        info->dropped[0], info->dropped[1], info->toxics);
}

static enum sim_net_proxy_result stats_command(struct sim_net_proxy *proxy,
                                               const char *const *tokens, size_t count,
                                               struct reply *r) {
    struct sim_net_endpoint_info info;
    if (count > 2) {
        return fail(r, SIM_NET_PROXY_ERR_INVALID,
                    "stats: unexpected '%s' (expected at most an "
                    "endpoint name)",
                    tokens[2]);
    }
    if (count == 2) {
        if (sim_net_proxy_endpoint_info(proxy, tokens[1], &info) != SIM_NET_PROXY_OK) {
            return fail(r, SIM_NET_PROXY_ERR_NOT_FOUND, "stats: no endpoint '%s'", tokens[1]);
        }
        say_stats(&info, r);
        return SIM_NET_PROXY_OK;
    }
    say(r, "network %s\n", sim_net_proxy_network_up(proxy) ? "up" : "down");
    for (size_t i = 0; i < sim_net_proxy_endpoint_count(proxy); i++) {
        if (sim_net_proxy_endpoint_at(proxy, i, &info) == SIM_NET_PROXY_OK) {
            say_stats(&info, r);
        }
    }
    return SIM_NET_PROXY_OK;
}

enum sim_net_proxy_result sim_net_command(struct sim_net_proxy *proxy, const char *const *tokens,
                                          size_t count, char *out, size_t out_size) {
    if (out == NULL || out_size == 0) {
        return SIM_NET_PROXY_ERR_INVALID;
    }
    struct reply r = {.out = out, .size = out_size};
    out[0] = '\0';
    if (proxy == NULL || count == 0) {
        return fail(&r, SIM_NET_PROXY_ERR_INVALID, "empty command (" USAGE ")");
    }
    if (strcmp(tokens[0], "toxic") == 0) {
        return toxic_command(proxy, tokens, count, &r);
    }
    if (strcmp(tokens[0], "network") == 0) {
        return network_command(proxy, tokens, count, &r);
    }
    if (strcmp(tokens[0], "stats") == 0) {
        return stats_command(proxy, tokens, count, &r);
    }
    return fail(&r, SIM_NET_PROXY_ERR_INVALID, "unknown command '%s' (" USAGE ")", tokens[0]);
}

enum sim_net_proxy_result sim_net_command_line(struct sim_net_proxy *proxy, const char *line,
                                               char *out, size_t out_size) {
    char copy[SIM_NET_TOXIC_TEXT_MAX + 1];
    const char *tokens[SIM_NET_COMMAND_MAX_TOKENS];
    size_t count = 0;
    if (out == NULL || out_size == 0) {
        return SIM_NET_PROXY_ERR_INVALID;
    }
    struct reply r = {.out = out, .size = out_size};
    size_t len = line != NULL ? strnlen(line, sizeof(copy)) : 0;
    if (len >= sizeof(copy)) {
        return fail(&r, SIM_NET_PROXY_ERR_INVALID, "command is longer than %d characters",
                    SIM_NET_TOXIC_TEXT_MAX);
    }
    if (line != NULL) {
        memcpy(copy, line, len + 1);
    } else {
        copy[0] = '\0';
    }
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \t\r\n", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        if (count == SIM_NET_COMMAND_MAX_TOKENS) {
            return fail(&r, SIM_NET_PROXY_ERR_INVALID, "token %d '%s': more than %d tokens",
                        SIM_NET_COMMAND_MAX_TOKENS + 1, tok, SIM_NET_COMMAND_MAX_TOKENS);
        }
        tokens[count++] = tok;
    }
    return sim_net_command(proxy, tokens, count, out, out_size);
}
