// SPDX-License-Identifier: MIT
// The update agent's HTTPS client over curl's multi socket API; see update_agent_http.h.
#include "os/update_agent_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "os/device_clock.h"
#include "os/update_agent_crash.h"

// Tells curl about readiness of the sockets in our epoll set.
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
    (void)easy;
    (void)socketp;
    struct sim_update_http *http = userp;
    if (what == CURL_POLL_REMOVE) {
        // The socket may already be closed; then the kernel dropped it from the set itself.
        epoll_ctl(http->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    struct epoll_event ev = {.data.fd = fd};
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) {
        ev.events |= EPOLLIN;
    }
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) {
        ev.events |= EPOLLOUT;
    }
    if (epoll_ctl(http->epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0) {
        epoll_ctl(http->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    }
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
    (void)multi;
    struct sim_update_http *http = userp;
    http->timer_ms = timeout_ms < 0 ? 0 : sim_clock_monotonic_ms() + timeout_ms;
    return 0;
}

static size_t on_body(char *data, size_t size, size_t count, void *userp) {
    struct sim_update_http *http = userp;
    size_t len = size * count;
    if (http->out_fd >= 0) {
        if (len > http->max_bytes - http->written) {
            snprintf(http->error, sizeof(http->error), "the download is longer than announced");
            return 0;
        }
        size_t done = 0;
        while (done < len) {
            ssize_t n = write(http->out_fd, data + done, len - done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                snprintf(http->error, sizeof(http->error), "writing the download: %s",
                         strerror(errno));
                return 0;
            }
            done += (size_t)n;
        }
        mbedtls_sha256_update_ret(&http->sha, (const unsigned char *)data, len);
        http->written += len;
        if (!http->wrote_any) {
            http->wrote_any = true;
            sim_update_crash_point("download-partial");
        }
        return len;
    }
    if (len > SIM_UPDATE_HTTP_MAX_REPLY - http->reply_len) {
        snprintf(http->error, sizeof(http->error), "the reply is longer than %d bytes",
                 SIM_UPDATE_HTTP_MAX_REPLY);
        return 0;
    }
    if (http->reply_len + len + 1 > http->reply_cap) {
        size_t cap = http->reply_cap == 0 ? 4096 : http->reply_cap;
        while (cap < http->reply_len + len + 1) {
            cap *= 2;
        }
        char *grown = realloc(http->reply, cap);
        if (grown == NULL) {
            snprintf(http->error, sizeof(http->error), "out of memory");
            return 0;
        }
        http->reply = grown;
        http->reply_cap = cap;
    }
    memcpy(http->reply + http->reply_len, data, len);
    http->reply_len += len;
    http->reply[http->reply_len] = '\0';
    return len;
}

int sim_update_http_init(struct sim_update_http *http, char *err, size_t err_size) {
    memset(http, 0, sizeof(*http));
    http->out_fd = -1;
    http->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (http->epoll_fd < 0) {
        snprintf(err, err_size, "cannot create the update agent's epoll set: %s", strerror(errno));
        return -1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
        (http->multi = curl_multi_init()) == NULL) {
        snprintf(err, err_size, "cannot initialise libcurl");
        close(http->epoll_fd);
        http->epoll_fd = -1;
        return -1;
    }
    curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
    curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
    return 0;
}

static void release_easy(struct sim_update_http *http) {
    if (http->easy != NULL) {
        curl_multi_remove_handle(http->multi, http->easy);
        curl_easy_cleanup(http->easy);
        http->easy = NULL;
    }
    curl_slist_free_all(http->headers);
    http->headers = NULL;
    http->timer_ms = 0;
}

void sim_update_http_cancel(struct sim_update_http *http) {
    if (http->multi == NULL) {
        return;
    }
    release_easy(http);
    mbedtls_sha256_free(&http->sha);
    http->done = false;
}

void sim_update_http_close(struct sim_update_http *http) {
    sim_update_http_cancel(http);
    if (http->multi != NULL) {
        curl_multi_cleanup(http->multi);
        curl_global_cleanup();
        http->multi = NULL;
    }
    if (http->epoll_fd >= 0) {
        close(http->epoll_fd);
        http->epoll_fd = -1;
    }
    free(http->reply);
    http->reply = NULL;
    http->reply_len = http->reply_cap = 0;
}

int sim_update_http_fd(const struct sim_update_http *http) {
    return http->epoll_fd;
}

bool sim_update_http_busy(const struct sim_update_http *http) {
    return http->easy != NULL;
}

int64_t sim_update_http_deadline(const struct sim_update_http *http) {
    return http->easy != NULL ? http->timer_ms : 0;
}

int sim_update_http_start(struct sim_update_http *http, const struct sim_update_http_request *req,
                          char *err, size_t err_size) {
    sim_update_http_cancel(http);
    CURL *easy = curl_easy_init();
    if (easy == NULL) {
        snprintf(err, err_size, "cannot create a libcurl transfer");
        return -1;
    }
    http->easy = easy;
    http->done = false;
    http->result = CURLE_OK;
    http->status = 0;
    http->error[0] = '\0';
    http->reply_len = 0;
    http->out_fd = req->out_fd;
    http->written = 0;
    http->wrote_any = false;
    http->max_bytes = req->max_bytes;
    mbedtls_sha256_init(&http->sha);
    mbedtls_sha256_starts_ret(&http->sha, 0);
    if (req->content_type != NULL) {
        char header[128];
        snprintf(header, sizeof(header), "Content-Type: %s", req->content_type);
        http->headers = curl_slist_append(NULL, header);
    }
    curl_easy_setopt(easy, CURLOPT_URL, req->url);
    // Only HTTPS, no redirects: whatever the service answers cannot send the device elsewhere.
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CAINFO, req->ca_path);
    curl_easy_setopt(easy, CURLOPT_SSLCERT, req->cert_path);
    curl_easy_setopt(easy, CURLOPT_SSLKEY, req->cert_path);
    curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, http->error);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, http);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 30000L);
    if (http->headers != NULL) {
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, http->headers);
    }
    if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    if (curl_multi_add_handle(http->multi, easy) != CURLM_OK) {
        snprintf(err, err_size, "cannot start a libcurl transfer");
        release_easy(http);
        return -1;
    }
    return 0;
}

static bool collect_done(struct sim_update_http *http) {
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(http->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE || msg->easy_handle != http->easy) {
            continue;
        }
        http->result = msg->data.result;
        curl_easy_getinfo(http->easy, CURLINFO_RESPONSE_CODE, &http->status);
        if (http->result != CURLE_OK && http->error[0] == '\0') {
            snprintf(http->error, sizeof(http->error), "%s",
                     curl_easy_strerror((CURLcode)http->result));
        }
        release_easy(http);
        http->done = true;
        return true;
    }
    return false;
}

bool sim_update_http_serve(struct sim_update_http *http) {
    if (http->easy == NULL) {
        return false;
    }
    int running = 0;
    struct epoll_event events[8];
    int n = epoll_wait(http->epoll_fd, events, 8, 0);
    for (int i = 0; i < n && http->easy != NULL; i++) {
        int flags = 0;
        if (events[i].events & EPOLLIN) {
            flags |= CURL_CSELECT_IN;
        }
        if (events[i].events & EPOLLOUT) {
            flags |= CURL_CSELECT_OUT;
        }
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
            flags |= CURL_CSELECT_ERR;
        }
        curl_multi_socket_action(http->multi, events[i].data.fd, flags, &running);
    }
    if (http->easy != NULL && http->timer_ms != 0 && sim_clock_monotonic_ms() >= http->timer_ms) {
        http->timer_ms = 0;
        curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    return http->easy != NULL && collect_done(http);
}

void sim_update_http_sha256(struct sim_update_http *http, char out[65]) {
    unsigned char digest[32];
    mbedtls_sha256_finish_ret(&http->sha, digest);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
    }
}
