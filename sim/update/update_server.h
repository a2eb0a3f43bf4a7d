// SPDX-License-Identifier: MIT
// The update service's HTTPS server: libmicrohttpd with its GnuTLS backend on 127.0.0.1. A
// device authenticates with its device certificate: the server asks every client for a
// certificate and trusts the tenant CA, and a request whose certificate verifies carries the
// certificate's CN (the device id) to update_api.c. The administrator's requests need no
// certificate; they carry the bearer token instead. One internal thread serves every connection,
// so the API and the store it uses run on one thread. Uploads (deployments) are streamed into a
// file in the state directory, never held in memory.
#pragma once

#include <stddef.h>

#include "update/update_api.h"

struct update_server;

struct update_server_options {
    int port;                // 0 picks a free one
    const char *key_pem;     // the server's private key (PEM, NUL-terminated)
    const char *cert_pem;    // its certificate
    const char *trust_pem;   // the CA device certificates must chain to (the tenant CA)
    const char *upload_dir;  // where uploads are received (same file system as the packages)
    struct update_service *service;
};

// Starts listening on 127.0.0.1. Returns 0, or -1 with a reason in err.
int update_server_start(const struct update_server_options *options,
                        struct update_server **out_server, char *err, size_t err_size);
int update_server_port(const struct update_server *server);
// Stops accepting, ends the connections, frees the server. NULL is fine.
void update_server_stop(struct update_server *server);
