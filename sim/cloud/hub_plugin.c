// SPDX-License-Identifier: MIT
// The local IoT Hub as a mosquitto 2.0 plugin (v5 plugin API). Deliberately thin: each broker
// event becomes a call on the hub engine (hub_engine.h), which decides everything, and the
// engine's answer becomes what mosquitto understands. The engine reaches back into the broker
// only through struct hub_io: a message to one client, dropping a connection, logging.
// Everything runs on the broker's single thread.
//
// Mosquitto 2.0.11 behaviours this relies on, checked against the Debian broker by the
// integration tests:
// - A MOSQ_EVT_MESSAGE callback may replace the message's topic (allocated with
//   mosquitto_strdup; the broker takes it, and the old one is the plugin's to free) and clear its
//   retain flag. That is how the hub consumes device messages, as IoT Hub does: a message the hub
//   took goes to HUB_SINK_TOPIC, a "$" topic no wildcard matches and no client may subscribe to,
//   so the broker acknowledges it and routes it nowhere. (Returning MOSQ_ERR_ACL_DENIED would
//   drop it too, but then an MQTT 5 client's PUBACK says 135, not authorised, for a message the
//   hub stored; with the sink it says 16, no matching subscribers, a success code. MQTT 3.1.1
//   PUBACKs carry no reason either way. 2.0.11 ignores the event's reason_code field.)
// - Any other error from an ACL or MESSAGE callback makes the broker close the connection, which
//   is what IoT Hub does for a topic a device may not use or a message it cannot take.
// And more: mosquitto_broker_publish_copy to a client id reaches that client (or its kept
// session) without subscription matching, so the engine itself decides who subscribed. Every
// UNSUBSCRIBE comes through the ACL callback (MOSQ_ACL_UNSUBSCRIBE), so the engine can count
// subscriptions. A client's will is never shown at CONNECT; the broker checks it through the ACL
// callback (MOSQ_ACL_WRITE, with the payload) just before sending it, after the DISCONNECT event
// of a connection that dropped, or after the BASIC_AUTH of a connection replacing it: the engine
// tells a will from a publish by the connection no longer being the device's current one, and
// the MESSAGE callback never sees a will.
//
// Options (plugin_opt_* in mosquitto.conf): state_dir (holds hub.db and service.token),
// hub_hostname (the "{name}.azure-devices.net" SAS tokens are signed for).

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "cloud/hub_engine.h"
#include "cloud/hub_protocol.h"
#include "cloud/hub_tls_observer.h"

// The broker looks these up with dlsym; everything else in the module is hidden.
#define HUB_PLUGIN_EXPORT __attribute__((visibility("default")))

// Acknowledge a will without sending it anywhere (the ACL check of a will has no topic to change).
#define HUB_CONSUMED MOSQ_ERR_ACL_DENIED
// Where consumed device messages go: nowhere anyone can listen (see above).
#define HUB_SINK_TOPIC "$spheresim/consumed"
// Close the device's connection.
#define HUB_CLOSE MOSQ_ERR_ADMINISTRATIVE_ACTION

#ifdef HUB_PLUGIN_TEST_OBSERVER
// Test builds only: clients that may watch every topic (ids starting with the prefix), so a
// test can prove that nothing a device sends is routed to subscribers. The production plugin
// has no such client.
#define TEST_OBSERVER_PREFIX "spheresim-test-observer"
static bool is_test_observer(const char *client_id) {
    return client_id != NULL &&
           strncmp(client_id, TEST_OBSERVER_PREFIX, sizeof TEST_OBSERVER_PREFIX - 1) == 0;
}
#else
static bool is_test_observer(const char *client_id) {
    (void)client_id;
    return false;
}
#endif

struct hub_plugin {
    mosquitto_plugin_id_t *id;
    struct hub_engine *engine;
    // From the TLS shim, when the broker runs with it (hub_tls_observer.h); NULL otherwise.
    hub_tls_last_connect_fn last_connect;
    hub_tls_take_completions_fn take_completions;
    char hub_hostname[256];
    char state_dir[PATH_MAX];
};

__attribute__((format(printf, 2, 3))) static void hub_log(int level, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    mosquitto_log_printf(level, "spheresim-hub: %s", line);
}

// Copies the certificate's single subject CN into out; false when there is none, more than one,
// or it does not fit or holds a NUL (which would let "dev\0x" pass as "dev").
static bool certificate_cn(X509 *cert, char *out, size_t out_size) {
    const X509_NAME *subject = X509_get_subject_name(cert);
    int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) {
        return false;
    }
    const ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    bool ok = len >= 0 && (size_t)len < out_size && memchr(utf8, '\0', (size_t)len) == NULL;
    if (ok) {
        memcpy(out, utf8, (size_t)len);
        out[len] = '\0';
    }
    OPENSSL_free(utf8);
    return ok;
}

static void on_completion(const char *client_id, const char *topic, void *ctx) {
    hub_engine_c2d_acked(ctx, client_id, topic);
}

// Passes on the PUBACKs the shim saw since the last event, so the engine hears of them before
// anything that followed them on the wire (a disconnect, a new subscription).
static void take_completions(struct hub_plugin *hub) {
    if (hub->take_completions != NULL) {
        hub->take_completions(on_completion, hub->engine);
    }
}

static int on_basic_auth(int event, void *event_data, void *userdata) {
    (void)event;
    struct hub_plugin *hub = userdata;
    struct mosquitto_evt_basic_auth *auth = event_data;
    take_completions(hub);
    const char *client_id = mosquitto_client_id(auth->client);
    if (client_id == NULL) {
        return MOSQ_ERR_AUTH;
    }
    if (is_test_observer(client_id)) {
        return MOSQ_ERR_SUCCESS;
    }
    char cn[HUB_MAX_ID + 2];
    bool has_cert = false;
    bool cn_ok = false;
    X509 *cert = mosquitto_client_certificate(auth->client);
    if (cert != NULL) {
        has_cert = true;
        cn_ok = certificate_cn(cert, cn, sizeof cn);
        X509_free(cert);
    }
    struct hub_connect_info info = {
        .client = auth->client,
        .client_id = client_id,
        .username = auth->username,
        .password = auth->password,
        .cert_cn = cn_ok ? cn : NULL,
        .bad_certificate = has_cert && !cn_ok,
        .clean_session = mosquitto_client_clean_session(auth->client),
    };
    // The CONNECT the shim read last is this client's: the broker authenticates a client while
    // handling the CONNECT it just read. The id check is belt and braces.
    const char *seen_id = NULL;
    if (hub->last_connect != NULL && hub->last_connect(&seen_id, &info.will, &info.will_topic) &&
        strcmp(seen_id, client_id) == 0) {
        info.will_seen = true;
    } else {
        info.will = false;
        info.will_topic = NULL;
    }
    return hub_engine_connect(hub->engine, &info) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_AUTH;
}

static int to_mosquitto(enum hub_verdict verdict) {
    switch (verdict) {
        case HUB_VERDICT_ALLOW:
            return MOSQ_ERR_SUCCESS;
        case HUB_VERDICT_CONSUMED:
            return HUB_CONSUMED;
        case HUB_VERDICT_FAIL:
            return MOSQ_ERR_UNKNOWN;
        case HUB_VERDICT_CLOSE:
            break;
    }
    return HUB_CLOSE;
}

static int on_acl_check(int event, void *event_data, void *userdata) {
    (void)event;
    struct hub_plugin *hub = userdata;
    struct mosquitto_evt_acl_check *acl = event_data;
    take_completions(hub);
    const char *client_id = mosquitto_client_id(acl->client);
    // Consumed messages never reach anyone, should a subscription to the sink ever exist.
    if (acl->access == MOSQ_ACL_READ && acl->topic != NULL &&
        strcmp(acl->topic, HUB_SINK_TOPIC) == 0) {
        return MOSQ_ERR_ACL_DENIED;
    }
    if (is_test_observer(client_id)) {
        return acl->access == MOSQ_ACL_WRITE ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_SUCCESS;
    }
    enum hub_access access;
    switch (acl->access) {
        case MOSQ_ACL_WRITE:
            access = HUB_ACCESS_WRITE;
            break;
        case MOSQ_ACL_SUBSCRIBE:
            access = HUB_ACCESS_SUBSCRIBE;
            break;
        case MOSQ_ACL_UNSUBSCRIBE:
            access = HUB_ACCESS_UNSUBSCRIBE;
            break;
        default:
            access = HUB_ACCESS_READ;
            break;
    }
    struct hub_acl_request request = {
        .client = acl->client,
        .client_id = client_id,
        .access = access,
        .topic = acl->topic,
        .payload = acl->payload,
        .payload_len = acl->payloadlen,
        .retain = acl->retain,
    };
    return to_mosquitto(hub_engine_acl(hub->engine, &request));
}

static int on_message(int event, void *event_data, void *userdata) {
    (void)event;
    struct hub_plugin *hub = userdata;
    struct mosquitto_evt_message *msg = event_data;
    take_completions(hub);
    enum hub_verdict verdict =
        hub_engine_message(hub->engine, mosquitto_client_id(msg->client), msg->topic, msg->payload,
                           msg->payloadlen, msg->retain);
    if (verdict != HUB_VERDICT_CONSUMED) {
        return to_mosquitto(verdict);
    }
    char *sink = mosquitto_strdup(HUB_SINK_TOPIC);
    if (sink == NULL) {
        return HUB_CONSUMED;  // still acknowledged and dropped, with the MQTT 5 reason 135
    }
    mosquitto_free(msg->topic);
    msg->topic = sink;
    msg->retain = false;  // a retained message would be kept on the sink topic
    return MOSQ_ERR_SUCCESS;
}

static int on_disconnect(int event, void *event_data, void *userdata) {
    (void)event;
    struct hub_plugin *hub = userdata;
    struct mosquitto_evt_disconnect *disconnect = event_data;
    take_completions(hub);
    hub_engine_disconnect(hub->engine, disconnect->client, mosquitto_client_id(disconnect->client));
    return MOSQ_ERR_SUCCESS;
}

static int on_tick(int event, void *event_data, void *userdata) {
    (void)event;
    (void)event_data;
    struct hub_plugin *hub = userdata;
    take_completions(hub);
    hub_engine_tick(hub->engine);
    return MOSQ_ERR_SUCCESS;
}

// ---- what the engine may ask of the broker ----

static int io_publish(void *ctx, const char *client_id, const char *topic, const void *payload,
                      size_t payload_len, int qos) {
    (void)ctx;
    if (payload_len > INT_MAX) {
        return -1;
    }
    int rc = mosquitto_broker_publish_copy(client_id, topic, (int)payload_len, payload, qos, false,
                                           NULL);
    return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}

static void io_kick(void *ctx, const char *client_id) {
    (void)ctx;
    mosquitto_kick_client_by_clientid(client_id, false);
}

static void io_log(void *ctx, enum hub_log_level level, const char *line) {
    (void)ctx;
    static const int levels[] = {
        [HUB_LOG_ERR] = MOSQ_LOG_ERR,
        [HUB_LOG_WARNING] = MOSQ_LOG_WARNING,
        [HUB_LOG_NOTICE] = MOSQ_LOG_NOTICE,
        [HUB_LOG_INFO] = MOSQ_LOG_INFO,
    };
    mosquitto_log_printf(levels[level], "spheresim-hub: %s", line);
}

struct callback {
    int event;
    MOSQ_FUNC_generic_callback fn;
};

static const struct callback callbacks[] = {
    {MOSQ_EVT_BASIC_AUTH, on_basic_auth},
    {MOSQ_EVT_ACL_CHECK, on_acl_check},
    {MOSQ_EVT_MESSAGE, on_message},
    {MOSQ_EVT_DISCONNECT, on_disconnect},
    {MOSQ_EVT_TICK, on_tick},
};
#define CALLBACK_COUNT (sizeof callbacks / sizeof callbacks[0])

static void hub_free(struct hub_plugin *hub) {
    for (size_t i = 0; i < CALLBACK_COUNT; i++) {
        mosquitto_callback_unregister(hub->id, callbacks[i].event, callbacks[i].fn, NULL);
    }
    hub_engine_close(hub->engine);
    free(hub);
}

HUB_PLUGIN_EXPORT int mosquitto_plugin_version(int supported_version_count,
                                               const int *supported_versions) {
    for (int i = 0; i < supported_version_count; i++) {
        if (supported_versions[i] == 5) {
            return 5;
        }
    }
    return -1;
}

HUB_PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
                                            struct mosquitto_opt *options, int option_count) {
    struct hub_plugin *hub = calloc(1, sizeof *hub);
    if (hub == NULL) {
        return MOSQ_ERR_NOMEM;
    }
    hub->id = identifier;
    int rc = MOSQ_ERR_INVAL;
    for (int i = 0; i < option_count; i++) {
        if (strcmp(options[i].key, "state_dir") == 0) {
            snprintf(hub->state_dir, sizeof hub->state_dir, "%s", options[i].value);
        } else if (strcmp(options[i].key, "hub_hostname") == 0) {
            snprintf(hub->hub_hostname, sizeof hub->hub_hostname, "%s", options[i].value);
        }
    }
    if (hub->state_dir[0] == '\0' || hub->hub_hostname[0] == '\0') {
        hub_log(MOSQ_LOG_ERR, "plugin_opt_state_dir and plugin_opt_hub_hostname are required");
        goto out;
    }
    // POSIX allows converting dlsym's object pointer to a function pointer.
    *(void **)&hub->last_connect = dlsym(RTLD_DEFAULT, HUB_TLS_LAST_CONNECT);
    *(void **)&hub->take_completions = dlsym(RTLD_DEFAULT, HUB_TLS_TAKE_COMPLETIONS);
    if (hub->last_connect == NULL || hub->take_completions == NULL) {
        hub_log(MOSQ_LOG_WARNING,
                "running without the TLS shim: wills are not checked at CONNECT and C2D messages "
                "complete when sent, not on their PUBACK");
    }
    struct hub_engine_options engine_options = {
        .state_dir = hub->state_dir,
        .hub_hostname = hub->hub_hostname,
        .io = {.publish = io_publish, .kick = io_kick, .log = io_log},
        .c2d_acks = hub->take_completions != NULL,
    };
    char err[512];
    if (hub_engine_open(&engine_options, &hub->engine, err, sizeof err) != 0) {
        hub_log(MOSQ_LOG_ERR, "%s", err);
        rc = MOSQ_ERR_UNKNOWN;
        goto out;
    }
    for (size_t i = 0; i < CALLBACK_COUNT; i++) {
        rc =
            mosquitto_callback_register(identifier, callbacks[i].event, callbacks[i].fn, NULL, hub);
        if (rc != MOSQ_ERR_SUCCESS) {
            hub_log(MOSQ_LOG_ERR, "cannot register for broker event %d", callbacks[i].event);
            goto out;
        }
    }
    hub_log(MOSQ_LOG_NOTICE, "hub %s ready, state in %s", hub->hub_hostname, hub->state_dir);
    *userdata = hub;
    return MOSQ_ERR_SUCCESS;
out:
    hub_free(hub);
    return rc;
}

HUB_PLUGIN_EXPORT int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options,
                                               int option_count) {
    (void)options;
    (void)option_count;
    if (userdata != NULL) {
        hub_free(userdata);
    }
    return MOSQ_ERR_SUCCESS;
}
