// SPDX-License-Identifier: MIT
// The administrator's client of the update service; see update_client.h.
#include "update/update_client.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/fs_util.h"

#define REPLY_MAX (64u * 1024 * 1024)

int update_client_open(const char *state_dir, struct update_client *client, char *err,
                       size_t err_size) {
    memset(client, 0, sizeof(*client));
    char path[PATH_MAX];
    char text[4096];
    size_t len = 0;
    int n = snprintf(path, sizeof(path), "%s/service.json", state_dir);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        snprintf(err, err_size, "%s: path too long", state_dir);
        return -1;
    }
    if (sim_fs_read_file(path, text, sizeof(text), &len, err, err_size) != 0) {
        if (errno == ENOENT) {
            snprintf(err, err_size,
                     "no update service in %s (start one with 'spheresim deploy "
                     "--start --state-dir %s')",
                     state_dir, state_dir);
        }
        return -1;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(root, "url");
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(root, "ca");
    bool ok = cJSON_IsString(url) && cJSON_IsString(ca) &&
              strlen(url->valuestring) < sizeof(client->url) &&
              strncmp(url->valuestring, "https://127.", 12) == 0 &&
              strlen(ca->valuestring) < sizeof(client->ca);
    if (ok) {
        snprintf(client->url, sizeof(client->url), "%s", url->valuestring);
        snprintf(client->ca, sizeof(client->ca), "%s", ca->valuestring);
    } else {
        snprintf(err, err_size, "%s: \"url\" (https://127.x.y.z:PORT) and \"ca\" are required",
                 path);
    }
    cJSON_Delete(root);
    if (!ok) {
        return -1;
    }
    n = snprintf(path, sizeof(path), "%s/admin.token", state_dir);
    if (n > 0 && (size_t)n < sizeof(path) &&
        sim_fs_read_file(path, text, sizeof(client->token) - 1, &len, NULL, 0) == 0) {
        memcpy(client->token, text, len);
        client->token[len] = '\0';
        client->token[strcspn(client->token, "\r\n")] = '\0';
    }
    return 0;
}

struct reply_buffer {
    char *data;
    size_t len;
    size_t cap;
    bool overflow;
};

static size_t on_reply(char *data, size_t size, size_t count, void *userp) {
    struct reply_buffer *r = userp;
    size_t len = size * count;
    if (len > REPLY_MAX - r->len) {
        r->overflow = true;
        return 0;
    }
    if (r->len + len + 1 > r->cap) {
        size_t cap = r->cap == 0 ? 4096 : r->cap;
        while (cap < r->len + len + 1) {
            cap *= 2;
        }
        char *grown = realloc(r->data, cap);
        if (grown == NULL) {
            return 0;
        }
        r->data = grown;
        r->cap = cap;
    }
    memcpy(r->data + r->len, data, len);
    r->len += len;
    r->data[r->len] = '\0';
    return len;
}

int update_client_call(const struct update_client *client, const char *method, const char *path,
                       const void *body, size_t len, const char *content_type, long *out_status,
                       char **out_reply, size_t *out_len, char *err, size_t err_size) {
    *out_status = 0;
    *out_reply = NULL;
    if (out_len != NULL) {
        *out_len = 0;
    }
    char url[512];
    int n = snprintf(url, sizeof(url), "%s%s", client->url, path);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        snprintf(err, err_size, "request path too long");
        return -1;
    }
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(err, err_size, "cannot initialise libcurl");
        return -1;
    }
    struct curl_slist *headers = NULL;
    char header[128];
    if (client->token[0] != '\0') {
        snprintf(header, sizeof(header), "Authorization: Bearer %s", client->token);
        headers = curl_slist_append(headers, header);
    }
    if (content_type != NULL) {
        snprintf(header, sizeof(header), "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, header);
    }
    struct reply_buffer reply = {0};
    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_CAINFO, client->ca);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 120000L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, out_status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
        snprintf(err, err_size, "%s: %s", client->url,
                 reply.overflow ? "the reply is too large"
                                : (curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc)));
        free(reply.data);
        return -1;
    }
    if (reply.data == NULL) {
        reply.data = calloc(1, 1);
    }
    *out_reply = reply.data;
    if (out_len != NULL) {
        *out_len = reply.len;
    }
    return 0;
}

void update_client_error_text(const char *reply, char *out, size_t out_size) {
    cJSON *root = cJSON_Parse(reply != NULL ? reply : "");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "error"), "message");
    snprintf(out, out_size, "%s",
             cJSON_IsString(message) ? message->valuestring : (reply != NULL ? reply : ""));
    cJSON_Delete(root);
}
