// SPDX-License-Identifier: MIT
// Which certificate the broker's listener presents (see hub_broker_internal.h): the hub's own,
// from pki/, or for the untrusted_ca fault the one from pki/untrusted/, chained to a CA no device
// trusts. The choice is the certfile and keyfile lines of mosquitto.conf, rewritten in place so
// that every other setting of the running hub (port, plugin options, log level) stays as it was.
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cloud/hub_broker_internal.h"
#include "cloud/hub_pki.h"
#include "os/fs_util.h"

#define CONFIG_MAX 16384

// Appends text to out (size out_size, used *used); false when it does not fit.
static bool append(char *out, size_t out_size, size_t *used, const char *text, size_t len) {
    if (len >= out_size - *used) {
        return false;
    }
    memcpy(out + *used, text, len);
    *used += len;
    out[*used] = '\0';
    return true;
}

enum hub_broker_result hub_broker_config_set_server_dir(const char *config_path,
                                                        const char *server_dir, char *err,
                                                        size_t err_size) {
    static char text[CONFIG_MAX];
    static char out[CONFIG_MAX + 2 * PATH_MAX];
    size_t len = 0;
    if (strpbrk(server_dir, " #\n\r\t") != NULL) {
        snprintf(err, err_size, "'%s' cannot be written into mosquitto.conf", server_dir);
        return HUB_BROKER_ERR_INVALID;
    }
    if (sim_fs_read_file(config_path, text, sizeof text - 1, &len, err, err_size) != 0) {
        return HUB_BROKER_ERR_IO;
    }
    text[len] = '\0';
    size_t used = 0;
    int replaced = 0;
    bool fits = true;
    out[0] = '\0';
    for (const char *line = text; fits && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t line_len = end != NULL ? (size_t)(end - line) + 1 : strlen(line);
        bool cert = strncmp(line, "certfile ", 9) == 0;
        bool key = strncmp(line, "keyfile ", 8) == 0;
        if (cert || key) {
            char setting[2 * PATH_MAX];
            int n = snprintf(setting, sizeof setting, "%s %s/%s\n", cert ? "certfile" : "keyfile",
                             server_dir, cert ? HUB_PKI_SERVER_CERT : HUB_PKI_SERVER_KEY);
            fits = n > 0 && (size_t)n < sizeof setting &&
                   append(out, sizeof out, &used, setting, (size_t)n);
            replaced++;
        } else {
            fits = append(out, sizeof out, &used, line, line_len);
        }
        line += line_len;
    }
    if (!fits || replaced != 2) {
        snprintf(err, err_size, "%s: %s", config_path,
                 fits ? "expected one certfile and one keyfile line" : "too long");
        return HUB_BROKER_ERR_INVALID;
    }
    if (sim_fs_write_atomic(config_path, out, used, 0600, NULL, err, err_size) != 0) {
        return HUB_BROKER_ERR_IO;
    }
    return HUB_BROKER_OK;
}
