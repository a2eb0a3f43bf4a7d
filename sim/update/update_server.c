// SPDX-License-Identifier: MIT
// The update service's HTTPS server; see update_server.h.
#include "update/update_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image_format.h"

#define CONNECTION_LIMIT 64
#define IDLE_TIMEOUT_S 60
// An upload is one package: its payload limit plus the largest header, table and signature.
#define UPLOAD_MAX                                                           \
    (SIM_IMAGE_MAX_PAYLOAD + SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN + \
     (unsigned long long)SIM_IMAGE_MAX_FILES * SIM_IMAGE_FILE_ENTRY_LEN + SIM_IMAGE_SIG_BLOCK_LEN)

struct update_server {
    struct MHD_Daemon *daemon;
    struct update_service *service;
    char upload_dir[PATH_MAX];
    int port;
};

struct request_state {
    char *body;
    size_t len;
    size_t cap;
    bool too_large;
    bool failed;
    int upload_fd;
    unsigned long long upload_len;
    char upload_path[PATH_MAX];
};

static bool append_body(struct request_state *st, const char *data, size_t size) {
    if (st->too_large || size > UPDATE_API_MAX_BODY - st->len) {
        st->too_large = true;
        return true;
    }
    if (st->len + size + 1 > st->cap) {
        size_t cap = st->cap == 0 ? 4096 : st->cap;
        while (cap < st->len + size + 1) {
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
    st->body[st->len] = '\0';
    return true;
}

static void write_upload(struct request_state *st, const char *data, size_t size) {
    if (st->too_large || st->failed) {
        return;
    }
    if (size > UPLOAD_MAX - st->upload_len) {
        st->too_large = true;
        return;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(st->upload_fd, data + done, size - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            st->failed = true;
            return;
        }
        done += (size_t)n;
    }
    st->upload_len += size;
}

// The CN of the client's certificate, if it sent one that verifies against the trusted CA.
static bool peer_device(struct MHD_Connection *conn, char *out, size_t out_size) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (info == NULL || info->tls_session == NULL) {
        return false;
    }
    gnutls_session_t session = (gnutls_session_t)info->tls_session;
    unsigned int status = 0;
    unsigned int count = 0;
    if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509 ||
        gnutls_certificate_verify_peers2(session, &status) != GNUTLS_E_SUCCESS || status != 0) {
        return false;
    }
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &count);
    if (certs == NULL || count == 0) {
        return false;
    }
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS) {
        return false;
    }
    size_t size = out_size;
    bool ok = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == GNUTLS_E_SUCCESS &&
              gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, out, &size) ==
                  GNUTLS_E_SUCCESS;
    gnutls_x509_crt_deinit(crt);
    return ok && size < out_size && strlen(out) == size;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct update_response *resp) {
    struct MHD_Response *response = NULL;
    if (resp->file_path[0] != '\0') {
        int fd = open(resp->file_path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0) {
            response = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
        } else {
            if (fd >= 0) {
                close(fd);
            }
            resp->status = 500;
        }
    }
    if (response == NULL && resp->body != NULL) {
        response =
            MHD_create_response_from_buffer(strlen(resp->body), resp->body, MHD_RESPMEM_MUST_FREE);
        if (response != NULL) {
            resp->body = NULL;  // the response owns it now
        }
    }
    if (response == NULL) {
        response = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (response == NULL) {
        update_api_response_free(resp);
        return MHD_NO;
    }
    if (resp->content_type != NULL && resp->status != 204) {
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    }
    enum MHD_Result result = MHD_queue_response(conn, (unsigned int)resp->status, response);
    MHD_destroy_response(response);
    update_api_response_free(resp);
    return result;
}

static enum MHD_Result send_plain_error(struct MHD_Connection *conn, int status,
                                        const char *message) {
    char text[256];
    snprintf(text, sizeof(text), "{\"error\":{\"code\":\"RequestError\",\"message\":\"%s\"}}",
             message);
    struct update_response resp = {
        .status = status, .body = strdup(text), .content_type = "application/json"};
    return send_response(conn, &resp);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls) {
    (void)version;
    struct update_server *server = cls;
    struct request_state *st = *con_cls;
    if (st == NULL) {
        st = calloc(1, sizeof(*st));
        if (st == NULL) {
            return MHD_NO;
        }
        st->upload_fd = -1;
        if (update_api_is_upload(method, url)) {
            int n = snprintf(st->upload_path, sizeof(st->upload_path), "%s/upload-XXXXXX",
                             server->upload_dir);
            if (n < 0 || (size_t)n >= sizeof(st->upload_path) ||
                (st->upload_fd = mkostemp(st->upload_path, O_CLOEXEC)) < 0) {
                st->upload_path[0] = '\0';
                st->failed = true;
            }
        }
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (st->upload_fd >= 0) {
            write_upload(st, upload_data, *upload_data_size);
        } else if (!append_body(st, upload_data, *upload_data_size)) {
            return MHD_NO;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->upload_fd >= 0) {
        if (fsync(st->upload_fd) != 0) {
            st->failed = true;
        }
        close(st->upload_fd);
        st->upload_fd = -1;
    }
    if (st->too_large) {
        return send_plain_error(conn, 413, "the request body is too large");
    }
    if (st->failed) {
        return send_plain_error(conn, 500, "the upload could not be stored");
    }
    char peer[UPDATE_DEVICE_ID_MAX + 2];
    bool has_peer = peer_device(conn, peer, sizeof(peer));
    struct update_request req = {
        .method = method,
        .path = url,
        .device_param = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "device"),
        .group_param = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "group"),
        .offset_param = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "offset"),
        .authorization =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .peer_device = has_peer ? peer : NULL,
        .body = st->body,
        .body_len = st->len,
        .upload_path = st->upload_path[0] != '\0' ? st->upload_path : NULL,
    };
    struct update_response resp;
    update_api_handle(server->service, &req, &resp);
    return send_response(conn, &resp);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode code) {
    (void)cls;
    (void)conn;
    (void)code;
    struct request_state *st = *con_cls;
    if (st == NULL) {
        return;
    }
    if (st->upload_fd >= 0) {
        close(st->upload_fd);
    }
    if (st->upload_path[0] != '\0') {
        unlink(st->upload_path);  // gone already when a deployment took it
    }
    free(st->body);
    free(st);
    *con_cls = NULL;
}

int update_server_start(const struct update_server_options *options,
                        struct update_server **out_server, char *err, size_t err_size) {
    *out_server = NULL;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, err_size, "this libmicrohttpd has no TLS support");
        return -1;
    }
    struct update_server *server = calloc(1, sizeof(*server));
    if (server == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    server->service = options->service;
    snprintf(server->upload_dir, sizeof(server->upload_dir), "%s", options->upload_dir);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)options->port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    server->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG, (uint16_t)options->port,
        NULL, NULL, handle, server, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_HTTPS_MEM_KEY,
        options->key_pem, MHD_OPTION_HTTPS_MEM_CERT, options->cert_pem, MHD_OPTION_HTTPS_MEM_TRUST,
        options->trust_pem, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
        completed, NULL, MHD_OPTION_END);
    if (server->daemon == NULL) {
        snprintf(err, err_size, "cannot listen on 127.0.0.1:%d with TLS", options->port);
        free(server);
        return -1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info != NULL ? info->port : options->port;
    *out_server = server;
    return 0;
}

int update_server_port(const struct update_server *server) {
    return server->port;
}

void update_server_stop(struct update_server *server) {
    if (server == NULL) {
        return;
    }
    MHD_stop_daemon(server->daemon);
    free(server);
}
