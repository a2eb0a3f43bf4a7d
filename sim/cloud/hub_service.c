// SPDX-License-Identifier: MIT
// The HTTP side of the hub's service API (hub_service.h). This file only moves bytes between
// libmicrohttpd and hub_rest/hub_service_client: it collects the body (refusing more than
// HUB_REST_MAX_BODY without buffering it), gathers the query and the If-Match header, runs the
// route, and writes whatever status and JSON came back. Every decision about what a request means
// is in hub_rest.c, where it is unit-tested.
#include "cloud/hub_service.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/hub_rest.h"
#include "cloud/hub_service_client.h"

#define MAX_QUERY 32
#define CONNECTION_LIMIT 64
#define IDLE_TIMEOUT_S 120
#define RECONNECT_WAIT_MS 10000 /* after a broker restart */

struct hub_service {
    struct MHD_Daemon *daemon;
    struct hub_service_client *client;
    hub_service_restart_fn restart;
    hub_service_server_ca_fn server_ca;
    void *restart_ctx;
    int port;
};

// Per-request state kept by MHD between calls of the access handler.
struct request_state {
    char *body;
    size_t len;
    size_t cap;
    bool too_large;
};

struct query {
    struct hub_rest_param params[MAX_QUERY];
    size_t count;
    bool overflow;
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
    struct query *query = cls;
    if (query->count == MAX_QUERY) {
        query->overflow = true; /* refused: a parameter past the limit might be one we read */
        return MHD_NO;
    }
    query->params[query->count].key = key;
    query->params[query->count].value = value;
    query->count++;
    return MHD_YES;
}

// Appends upload data; past the limit the rest is counted as too large and dropped unread.
static bool append_body(struct request_state *st, const char *data, size_t size) {
    if (st->too_large || size > HUB_REST_MAX_BODY - st->len) {
        st->too_large = true;
        free(st->body);
        st->body = NULL;
        st->len = st->cap = 0;
        return true;
    }
    if (st->len + size > st->cap) {
        size_t cap = st->cap == 0 ? 4096 : st->cap;
        while (cap < st->len + size) {
            cap *= 2;
        }
        char *grown = realloc(st->body, cap);
        if (grown == NULL) {
            return false;
        }
        st->body = grown;
        st->cap = cap;
    }
    memcpy(st->body + st->len, data, size);
    st->len += size;
    return true;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct hub_rest_response *reply,
                                  const char *allow) {
    struct MHD_Response *response = NULL;
    if (reply->body != NULL) {
        response = MHD_create_response_from_buffer(strlen(reply->body), reply->body,
                                                   MHD_RESPMEM_MUST_FREE);
    } else {
        response = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (response == NULL) {
        hub_rest_response_free(reply);
        return MHD_NO;
    }
    reply->body = NULL; /* the response owns it now */
    if (reply->status != 204) {
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json; charset=utf-8");
    }
    if (allow != NULL) {
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
    }
    enum MHD_Result result = MHD_queue_response(conn, (unsigned int)reply->status, response);
    MHD_destroy_response(response);
    return result;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int status, const char *text) {
    struct hub_rest_response reply;
    if (hub_rest_error(status, NULL, text, &reply) != HUB_OK) {
        return MHD_NO;
    }
    return send_reply(conn, &reply, NULL);
}

static enum MHD_Result send_too_large(struct MHD_Connection *conn) {
    char text[64];
    snprintf(text, sizeof(text), "request body is larger than %d bytes", HUB_REST_MAX_BODY);
    return send_error(conn, 413, text);
}

// Restarts the broker through the service's owner (plainly, or presenting another certificate),
// then waits for the service client to be back, so that the caller's next request finds the hub
// answering (204), not a 503.
static void restart_broker(struct hub_service *service, const struct hub_rest_route *route,
                           struct hub_rest_response *out) {
    char err[1024] = "";
    bool server_ca = route->action == HUB_REST_SERVER_CA;
    if (server_ca ? service->server_ca == NULL : service->restart == NULL) {
        hub_rest_error(501, "NotImplemented", "this service cannot restart the broker", out);
        return;
    }
    unsigned long before = hub_service_client_connections(service->client);
    int restarted =
        server_ca ? service->server_ca(service->restart_ctx, route->untrusted_ca, err, sizeof(err))
                  : service->restart(service->restart_ctx, route->kill_hard, err, sizeof(err));
    if (restarted != 0) {
        hub_rest_error(503, NULL, err[0] != '\0' ? err : "the broker did not restart", out);
        return;
    }
    // A connection made since the restart: the old one may not even be noticed as lost yet.
    bool back = false;
    for (int waited = 0; !back && waited < RECONNECT_WAIT_MS; waited += 10) {
        hub_service_client_wake(service->client);
        back = hub_service_client_connections(service->client) > before &&
               hub_service_client_ready(service->client);
        if (!back) {
            struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    if (!back) {
        hub_rest_error(503, NULL, "the broker restarted, but the service did not reconnect", out);
        return;
    }
    out->status = 204;
}

// Routes one complete request and, for a plugin operation, waits for the plugin's answer.
static void execute(struct hub_service *service, const struct hub_rest_request *req,
                    struct hub_rest_response *out, const char **out_allow) {
    struct hub_service_client *client = service->client;
    struct hub_rest_route route;
    int status = 0;
    char *body = NULL;
    *out_allow = NULL;
    if (hub_rest_route(req, &route) != HUB_OK) {
        hub_rest_error(500, NULL, "out of memory", out);
        goto out;
    }
    if (route.action == HUB_REST_RESPOND) {
        out->status = route.status;
        out->body = route.body;
        route.body = NULL;
        *out_allow = route.allow;
        goto out;
    }
    if (route.action == HUB_REST_BROKER_RESTART || route.action == HUB_REST_SERVER_CA) {
        restart_broker(service, &route, out);
        goto out;
    }
    enum hub_call_result called =
        hub_service_call(client, route.op, route.request_json, route.timeout_ms, &status, &body);
    if (called == HUB_CALL_OK && hub_rest_wants_update(&route, status)) {
        free(body);
        body = NULL;
        called = hub_service_call(client, "device-update", route.update_json, route.timeout_ms,
                                  &status, &body);
    }
    if (called != HUB_CALL_OK) {
        hub_rest_error(503, NULL, hub_call_result_text(called), out);
        goto out;
    }
    hub_rest_reply(route.endpoint, status, body, out);
out:
    free(body);
    hub_rest_route_free(&route);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls) {
    struct hub_service *service = cls;
    struct request_state *st = *con_cls;
    if (st == NULL) {
        st = calloc(1, sizeof(*st));
        if (st == NULL) {
            return MHD_NO;
        }
        *con_cls = st;
        // Refuse a declared oversize body before it is sent (curl waits on "100 Continue").
        const char *length =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        char *end = NULL;
        unsigned long long declared = length != NULL ? strtoull(length, &end, 10) : 0;
        if (length != NULL && end != length && declared > HUB_REST_MAX_BODY) {
            return send_too_large(conn);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        bool ok = append_body(st, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return ok ? MHD_YES : MHD_NO;
    }
    if (st->too_large) {
        return send_too_large(conn);
    }
    struct query query = {.count = 0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &query);
    if (query.overflow) {
        return send_error(conn, 400, "more than 32 query parameters");
    }
    struct hub_rest_request req = {
        .method = method,
        .path = url,
        .query = query.params,
        .query_count = query.count,
        .if_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Match"),
        .body = st->body,
        .body_len = st->len,
    };
    struct hub_rest_response reply = {0};
    const char *allow = NULL;
    execute(service, &req, &reply, &allow);
    if (reply.status == 0) {
        return send_error(conn, 500, "out of memory");
    }
    return send_reply(conn, &reply, allow);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
    struct request_state *st = *con_cls;
    if (st != NULL) {
        free(st->body);
        free(st);
        *con_cls = NULL;
    }
}

int hub_service_start(const struct hub_service_options *options, struct hub_service **out_service) {
    if (options == NULL || out_service == NULL || options->client == NULL ||
        options->http_port < 0 || options->http_port > 65535) {
        return -1;
    }
    *out_service = NULL;
    struct hub_service *service = calloc(1, sizeof(*service));
    if (service == NULL) {
        return -1;
    }
    service->client = options->client;
    service->restart = options->restart;
    service->server_ca = options->server_ca;
    service->restart_ctx = options->restart_ctx;
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons((uint16_t)options->http_port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    service->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
        (uint16_t)options->http_port, NULL, NULL, handle, service, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (service->daemon == NULL) {
        fprintf(stderr, "spheresim: hub service: cannot listen on 127.0.0.1:%d\n",
                options->http_port);
        free(service);
        return -1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(service->daemon, MHD_DAEMON_INFO_BIND_PORT);
    service->port = info != NULL && info->port != 0 ? info->port : options->http_port;
    *out_service = service;
    return 0;
}

int hub_service_port(const struct hub_service *service) {
    return service != NULL ? service->port : 0;
}

void hub_service_stop(struct hub_service *service) {
    if (service == NULL) {
        return;
    }
    MHD_stop_daemon(service->daemon);
    free(service);
}
