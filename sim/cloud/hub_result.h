// SPDX-License-Identifier: MIT
// The result type every local-hub core function returns: the protocol parsers and builders
// (hub_protocol.h), the twin document (hub_twin.h) and SAS tokens (hub_sas.h). 0 is success, so
// `if (r != HUB_OK)` reads the same everywhere; hub_result_name gives a stable word for logs.
#ifndef SPHERESIM_CLOUD_HUB_RESULT_H
#define SPHERESIM_CLOUD_HUB_RESULT_H

enum hub_result {
    HUB_OK = 0,
    HUB_ERR_INVALID,   /* malformed input: syntax, characters, missing fields */
    HUB_ERR_TOO_LARGE, /* well-formed, but past a size, count or depth limit */
    HUB_ERR_NO_MATCH,  /* not one of the forms this function knows, or not this device's */
    HUB_ERR_AUTH,      /* credentials present but wrong (signature, resource) */
    HUB_ERR_EXPIRED,   /* credentials valid but past their expiry */
    HUB_ERR_INTERNAL,  /* allocation or crypto library failure, or a bad key on our side */
};

// A lowercase name ("ok", "invalid", …); "unknown" for a value outside the enum. Never NULL.
const char *hub_result_name(enum hub_result r);

#endif
