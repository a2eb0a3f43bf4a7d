// SPDX-License-Identifier: MIT
// The update agent's HTTPS client: one libcurl transfer at a time, driven by curl's multi socket
// API from the supervisor's epoll loop. curl's sockets live in an epoll set of their own whose
// descriptor the supervisor watches like any other, and curl's timer is one more deadline.
//
// Why this and not a thread or a child process: the OS is one thread by design (device state has
// one owner and no locks); the multi socket API was made for exactly this kind of loop; and a
// transfer in the same process is cancelled at once by a power cut, and dies with spheresim at a
// crash point, as a download dies with the device. The TLS handshake and the writes are short.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/sha256.h>

// Bodies the agent reads into memory (API replies) are capped; downloads go to a file.
#define SIM_UPDATE_HTTP_MAX_REPLY (256 * 1024)

struct sim_update_http_request {
    const char *url;
    const char *method;  // "GET" or "POST"
    const char *body;    // POST body (not copied: must live until the transfer ends)
    size_t body_len;
    const char *content_type;
    const char *ca_path;    // the service's CA
    const char *cert_path;  // the device certificate: cert, chain and key in one PEM
    int out_fd;             // >= 0: write the body here (a download), else keep it in memory
    uint64_t max_bytes;     // a download longer than this fails
    long timeout_ms;
};

struct sim_update_http {
    void *multi;  // CURLM *
    void *easy;   // CURL *, NULL when idle
    int epoll_fd;
    int64_t timer_ms;  // host monotonic deadline of curl's timer; 0 for none
    bool done;
    int result;   // CURLcode of the finished transfer
    long status;  // HTTP status, 0 if none
    char error[256];
    char *reply;
    size_t reply_len;
    size_t reply_cap;
    int out_fd;
    uint64_t written;
    uint64_t max_bytes;
    bool wrote_any;
    mbedtls_sha256_context sha;  // of a download's bytes
    void *headers;               // struct curl_slist *
};

// Returns 0, or -1 with a reason in err.
int sim_update_http_init(struct sim_update_http *http, char *err, size_t err_size);
void sim_update_http_close(struct sim_update_http *http);

// The descriptor to watch for input (the epoll set of curl's sockets).
int sim_update_http_fd(const struct sim_update_http *http);

// Starts a transfer (none may be running). Returns 0, or -1 with a reason in err.
int sim_update_http_start(struct sim_update_http *http, const struct sim_update_http_request *req,
                          char *err, size_t err_size);

// True while a transfer is running.
bool sim_update_http_busy(const struct sim_update_http *http);

// Lets curl work on whatever is ready, and on its timer if that is due. Returns true when the
// transfer has just finished: then http->result, status, error and the reply are valid until the
// next start or cancel.
bool sim_update_http_serve(struct sim_update_http *http);

// curl's timer as a host monotonic deadline (0: none).
int64_t sim_update_http_deadline(const struct sim_update_http *http);

// Abandons the running transfer, if any.
void sim_update_http_cancel(struct sim_update_http *http);

// The SHA-256 (hex, 65 bytes) of what the finished download wrote.
void sim_update_http_sha256(struct sim_update_http *http, char out[65]);
