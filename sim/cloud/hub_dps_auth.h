// SPDX-License-Identifier: MIT
// Who may connect to the local Device Provisioning Service, decided the way DPS decides it over
// MQTT (shared/reference/iothub-mqtt-protocol.md, section 2). Pure decisions over the enrollment
// list: the plugin feeds in what mosquitto saw and acts on the answer.
//
// CONNECT: the client id is the registration id; the username is
// "{idScope}/registrations/{registrationId}/api-version=…" naming that same id under this
// service's id scope. Then an enrollment must cover the registration id:
//   - its individual enrollment if it has one (which then decides alone, as in DPS, so a
//     disabled individual enrollment keeps a device out of its group);
//   - otherwise an enrollment group of the attestation the client used.
// X.509: the client certificate's CN is the registration id (TLS already checked that the tenant
// CA issued it, which is what membership in an X.509 group means here). Symmetric key: the
// password is a SAS token for "{idScope}/registrations/{registrationId}" with skn=registration,
// signed with the individual enrollment's primary or secondary key, or with the key derived from
// a group's key for this registration id (hub_enrollment_derive_device_key); groups are tried in
// name order. A disabled enrollment still authenticates: DPS tells the device "disabled" in the
// registration result, not at CONNECT.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_enrollments.h"
#include "cloud/hub_protocol.h"
#include "cloud/hub_result.h"

#define HUB_DPS_SAS_KEY_NAME "registration"

struct hub_dps_connect_request {
    const char *client_id;
    const char *username;  // NULL when the client sent none
    const char *password;  // NULL when the client sent none
    const char *cert_cn;   // NULL when the client presented no certificate
    const char *id_scope;  // this service's id scope (HUB_DPS_DEFAULT_ID_SCOPE unless configured)
    long long now;         // seconds since the epoch, for SAS expiry
};

// Who a DPS connection is, once authenticated: what hub_dps_handle needs to register it.
struct hub_dps_identity {
    char registration_id[HUB_MAX_ID + 1];
    enum hub_attestation attestation;
    enum hub_enrollment_kind enrollment_kind;  // the enrollment that covers it
    char enrollment_id[HUB_MAX_ID + 1];        // the registration id, or the group's name
};

// True when username has the DPS form "{scope}/registrations/…" rather than a hub's
// "{host}/{deviceId}/…": the second segment is "registrations" and the first has no '.' (id
// scopes are alphanumeric; host names have dots). The plugin uses it to tell DPS connections
// from hub ones on the shared port. False for NULL.
bool hub_dps_is_dps_username(const char *username);

// Decides a DPS CONNECT. Returns HUB_OK and fills *out_identity; otherwise HUB_ERR_INVALID
// (malformed client id or username), HUB_ERR_AUTH (another id scope, a username naming another
// registration id, a reserved id, missing or wrong credentials, a CN that is not the
// registration id, an attestation the individual enrollment does not use), HUB_ERR_EXPIRED (an
// expired SAS token that is otherwise right), HUB_ERR_NO_MATCH (no enrollment covers the
// registration id) or HUB_ERR_INTERNAL (the enrollments could not be read). reason gets one line
// for the broker log; it never contains the password or a key.
enum hub_result hub_dps_auth_connect(struct hub_enrollments *enrollments,
                                     const struct hub_dps_connect_request *request,
                                     struct hub_dps_identity *out_identity, char *reason,
                                     size_t reason_size);

// True when a DPS client may publish to topic: the register and operation-status requests only
// (hub_classify_publish), with *out_topic (optional) filled for dispatch. DPS closes the
// connection for anything else.
bool hub_dps_may_publish(const char *client_id, const char *topic,
                         struct hub_publish_topic *out_topic);

// True when a DPS client may subscribe to filter: "$dps/registrations/res/#" only.
bool hub_dps_may_subscribe(const char *client_id, const char *filter);
