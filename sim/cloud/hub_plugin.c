// SPDX-License-Identifier: MIT
// The local IoT Hub as a mosquitto 2.0 plugin (v5 plugin API). Deliberately thin: each broker
// event is translated into a call on the hub modules (hub_auth for who may connect and which
// topics a device may use, hub_telemetry and hub_store for what devices send) and their answer
// back into what mosquitto understands. Everything runs on the broker's single thread.
//
// Two mosquitto 2.0.11 behaviours this relies on, both checked against the Debian broker by the
// integration tests:
// - A MOSQ_EVT_MESSAGE callback returning MOSQ_ERR_ACL_DENIED makes the broker acknowledge the
//   PUBLISH (PUBACK for QoS 1) and drop it: not routed, not retained. That is how the hub
//   consumes device messages, as IoT Hub does.
// - Any other error from an ACL or MESSAGE callback makes the broker close the connection, which
//   is what IoT Hub does for a topic a device may not use or a message it cannot take.
//
// Options (plugin_opt_* in mosquitto.conf): state_dir (holds hub.db), hub_hostname (the
// "{name}.azure-devices.net" SAS tokens are signed for).

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

#include "cloud/hub_auth.h"
#include "cloud/hub_sessions.h"
#include "cloud/hub_store.h"
#include "cloud/hub_telemetry.h"

// The broker looks these up with dlsym; everything else in the module is hidden.
#define HUB_PLUGIN_EXPORT __attribute__((visibility("default")))

// Acknowledge a device's PUBLISH without routing it anywhere.
#define HUB_CONSUMED MOSQ_ERR_ACL_DENIED
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
    struct hub_store *store;
    struct hub_sessions sessions;
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

static int on_basic_auth(int event, void *event_data, void *userdata) {
    (void)event;
    struct hub_plugin *hub = userdata;
    struct mosquitto_evt_basic_auth *auth = event_data;
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
    if (has_cert && !cn_ok) {
        hub_log(MOSQ_LOG_NOTICE, "refused %s: client certificate without a usable CN", client_id);
        return MOSQ_ERR_AUTH;
    }
    struct hub_connect_request request = {
        .client_id = client_id,
        .username = auth->username,
        .password = auth->password,
        .cert_cn = has_cert ? cn : NULL,
        .hub_hostname = hub->hub_hostname,
        .now = (long long)time(NULL),
    };
    struct hub_device device;
    char reason[512] = "";
    enum hub_result result = hub_auth_connect(hub->store, &request, &device, reason, sizeof reason);
    if (result != HUB_OK) {
        hub_log(MOSQ_LOG_NOTICE, "refused %s: %s", client_id, reason);
        // Only registered devices get a history; anyone can make up unknown ids.
        if (result != HUB_ERR_NO_MATCH && result != HUB_ERR_INVALID) {
            hub_store_connection_event_add(hub->store, client_id, HUB_EVENT_REFUSED, reason);
        }
        return MOSQ_ERR_AUTH;
    }
    bool replaced = false;
    if (hub_sessions_set(&hub->sessions, client_id, auth->client, device.auth, &replaced) != 0) {
        hub_log(MOSQ_LOG_ERR, "refused %s: out of memory", client_id);
        return MOSQ_ERR_NOMEM;
    }
    hub_store_connection_event_add(hub->store, client_id, HUB_EVENT_CONNECTED,
                                   replaced ? "replaced the previous connection" : NULL);
    hub_log(MOSQ_LOG_INFO, "device %s connected (%s)", client_id, hub_auth_type_name(device.auth));
    return MOSQ_ERR_SUCCESS;
}

static int on_acl_check(int event, void *event_data, void *userdata) {
    (void)event;
    struct hub_plugin *hub = userdata;
    struct mosquitto_evt_acl_check *acl = event_data;
    const char *client_id = mosquitto_client_id(acl->client);
    if (is_test_observer(client_id)) {
        return acl->access == MOSQ_ACL_WRITE ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_SUCCESS;
    }
    if (acl->access != MOSQ_ACL_SUBSCRIBE && acl->access != MOSQ_ACL_WRITE) {
        // Deliveries to a device only ever match the filters allowed below (also for a session
        // kept while it is offline), and the hub's own replies are addressed to one client.
        return MOSQ_ERR_SUCCESS;
    }
    if (client_id == NULL || hub_sessions_find(&hub->sessions, client_id) == NULL) {
        return HUB_CLOSE;
    }
    if (acl->access == MOSQ_ACL_SUBSCRIBE) {
        if (hub_auth_may_subscribe(client_id, acl->topic)) {
            return MOSQ_ERR_SUCCESS;
        }
        hub_log(MOSQ_LOG_NOTICE, "closing %s: may not subscribe to %s", client_id, acl->topic);
        return HUB_CLOSE;
    }
    if (hub_auth_may_publish(client_id, acl->topic, NULL)) {
        return MOSQ_ERR_SUCCESS;
    }
    hub_log(MOSQ_LOG_NOTICE, "closing %s: may not publish to %s", client_id, acl->topic);
    return HUB_CLOSE;
}

static int handle_telemetry(struct hub_plugin *hub, const char *device_id,
                            const struct mosquitto_evt_message *msg,
                            const struct hub_publish_topic *topic) {
    struct hub_telemetry_input input = {
        .device_id = device_id,
        .topic = msg->topic,
        .classified = topic,
        .payload = msg->payload,
        .payload_len = msg->payloadlen,
        .retain = msg->retain,
        .now_ms = hub_store_now_ms(),
    };
    char reason[512] = "";
    enum hub_result result = hub_telemetry_accept(hub->store, &input, NULL, reason, sizeof reason);
    if (result == HUB_OK) {
        return HUB_CONSUMED;
    }
    if (result == HUB_ERR_INTERNAL) {
        // Not acknowledged: the device keeps the message and sends it again after reconnecting.
        hub_log(MOSQ_LOG_ERR, "closing %s: telemetry not stored: %s", device_id, reason);
        return MOSQ_ERR_UNKNOWN;
    }
    hub_log(MOSQ_LOG_NOTICE, "closing %s: telemetry refused: %s", device_id, reason);
    return HUB_CLOSE;
}

// Twin requests and method responses are consumed so they never reach other clients; the twin
// store and method dispatcher plug in here. Until then the device's request times out, as it
// would against a hub that does not answer.
static int handle_twin_request(struct hub_plugin *hub, const char *device_id,
                               const struct mosquitto_evt_message *msg,
                               const struct hub_publish_topic *topic) {
    (void)hub;
    (void)msg;
    hub_log(MOSQ_LOG_NOTICE, "device %s: twin %s ($rid=%s): twin not implemented yet", device_id,
            topic->kind == HUB_PUB_TWIN_GET ? "GET" : "reported PATCH", topic->request_id);
    return HUB_CONSUMED;
}

static int handle_method_response(struct hub_plugin *hub, const char *device_id,
                                  const struct mosquitto_evt_message *msg,
                                  const struct hub_publish_topic *topic) {
    (void)hub;
    (void)msg;
    hub_log(MOSQ_LOG_NOTICE,
            "device %s: method response %d ($rid=%s): direct methods not implemented yet",
            device_id, topic->status, topic->request_id);
    return HUB_CONSUMED;
}

static int on_message(int event, void *event_data, void *userdata) {
    (void)event;
    struct hub_plugin *hub = userdata;
    struct mosquitto_evt_message *msg = event_data;
    const char *client_id = mosquitto_client_id(msg->client);
    struct hub_publish_topic topic;
    if (client_id == NULL || !hub_auth_may_publish(client_id, msg->topic, &topic)) {
        return HUB_CLOSE;  // the ACL check lets nothing else through; be safe if it ever does
    }
    switch (topic.kind) {
        case HUB_PUB_TELEMETRY:
            return handle_telemetry(hub, client_id, msg, &topic);
        case HUB_PUB_TWIN_GET:
        case HUB_PUB_TWIN_PATCH_REPORTED:
            return handle_twin_request(hub, client_id, msg, &topic);
        case HUB_PUB_METHOD_RESPONSE:
            return handle_method_response(hub, client_id, msg, &topic);
        case HUB_PUB_DPS_REGISTER:
        case HUB_PUB_DPS_POLL:
            break;
    }
    return HUB_CLOSE;
}

static int on_disconnect(int event, void *event_data, void *userdata) {
    (void)event;
    struct hub_plugin *hub = userdata;
    struct mosquitto_evt_disconnect *disconnect = event_data;
    const char *client_id = mosquitto_client_id(disconnect->client);
    // Refused connections arrive here without an id; replaced ones are no longer current.
    if (client_id != NULL && hub_sessions_remove(&hub->sessions, client_id, disconnect->client)) {
        hub_store_connection_event_add(hub->store, client_id, HUB_EVENT_DISCONNECTED, NULL);
        hub_log(MOSQ_LOG_INFO, "device %s disconnected", client_id);
    }
    return MOSQ_ERR_SUCCESS;
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
};
#define CALLBACK_COUNT (sizeof callbacks / sizeof callbacks[0])

static void hub_free(struct hub_plugin *hub) {
    for (size_t i = 0; i < CALLBACK_COUNT; i++) {
        mosquitto_callback_unregister(hub->id, callbacks[i].event, callbacks[i].fn, NULL);
    }
    hub_store_close(hub->store);
    hub_sessions_free(&hub->sessions);
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
    char db_path[PATH_MAX + sizeof HUB_STORE_FILE + 1];
    snprintf(db_path, sizeof db_path, "%s/%s", hub->state_dir, HUB_STORE_FILE);
    char err[512];
    if (hub_store_open(db_path, &hub->store, err, sizeof err) != HUB_STORE_OK) {
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
