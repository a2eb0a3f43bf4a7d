// SPDX-License-Identifier: MIT
// The file is read into memory once (bounded) and both the checksum and the certificate come
// from that copy, so the identity and the "changed" verdict describe the same bytes even if
// the OS replaces the file meanwhile. OpenSSL parses the PEM; it is in the process anyway for
// libmosquitto's TLS.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crc32.h"
#include "device_identity.h"

static bool IsDeviceIdChar(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-.%_*?!(),:=@$'", c) != NULL);
}

// Reads the whole file (at most DEVICE_IDENTITY_MAX_FILE_SIZE bytes) into a new buffer.
static DeviceIdentity_Result ReadFile(const char *path, char **outData, size_t *outLength,
                                      char *error, size_t errorSize) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(error, errorSize, "cannot open the device certificate %s: %s", path,
                 strerror(errno));
        return DeviceIdentity_Result_Unavailable;
    }
    DeviceIdentity_Result result = DeviceIdentity_Result_Ok;
    char *data = malloc(DEVICE_IDENTITY_MAX_FILE_SIZE + 1);
    size_t length = 0;
    if (data == NULL) {
        snprintf(error, errorSize, "out of memory reading the device certificate");
        result = DeviceIdentity_Result_Unavailable;
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, data + length, DEVICE_IDENTITY_MAX_FILE_SIZE + 1 - length);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            snprintf(error, errorSize, "cannot read the device certificate %s: %s", path,
                     strerror(errno));
            result = DeviceIdentity_Result_Unavailable;
            goto out;
        }
        if (n == 0) {
            break;
        }
        length += (size_t)n;
        if (length > DEVICE_IDENTITY_MAX_FILE_SIZE) {
            snprintf(error, errorSize, "device certificate %s is larger than %d bytes", path,
                     DEVICE_IDENTITY_MAX_FILE_SIZE);
            result = DeviceIdentity_Result_Invalid;
            goto out;
        }
    }
    if (length == 0) {
        snprintf(error, errorSize, "device certificate %s is empty", path);
        result = DeviceIdentity_Result_Unavailable;
    }
out:
    close(fd);
    if (result != DeviceIdentity_Result_Ok) {
        free(data);
        return result;
    }
    *outData = data;
    *outLength = length;
    return result;
}

// Extracts the single CN of the first certificate in data into out.
static DeviceIdentity_Result ReadCommonName(const char *data, size_t length, char *out,
                                            size_t outSize, char *error, size_t errorSize) {
    DeviceIdentity_Result result = DeviceIdentity_Result_Invalid;
    BIO *bio = BIO_new_mem_buf(data, (int)length);
    X509 *certificate = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    if (certificate == NULL) {
        snprintf(error, errorSize, "the device certificate file holds no PEM certificate");
        goto out;
    }
    // Not const: wolfSSL's OpenSSL layer, which the device build links, takes these non-const.
    X509_NAME *subject = X509_get_subject_name(certificate);
    int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) {
        snprintf(error, errorSize, "the device certificate's subject needs exactly one CN");
        goto out;
    }
    ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    int cnLength = ASN1_STRING_length(cn);
    const unsigned char *cnData = ASN1_STRING_get0_data(cn);
    if (cnLength <= 0 || cnLength > DEVICE_IDENTITY_MAX_ID_LENGTH || (size_t)cnLength >= outSize) {
        snprintf(error, errorSize, "the device certificate's CN has %d characters (1-%d allowed)",
                 cnLength, DEVICE_IDENTITY_MAX_ID_LENGTH);
        goto out;
    }
    for (int i = 0; i < cnLength; i++) {
        if (!IsDeviceIdChar(cnData[i])) {
            snprintf(error, errorSize,
                     "the device certificate's CN has a character (0x%02x at %d) that a device "
                     "id cannot have",
                     cnData[i], i);
            goto out;
        }
    }
    memcpy(out, cnData, (size_t)cnLength);
    out[cnLength] = '\0';
    result = DeviceIdentity_Result_Ok;
out:
    X509_free(certificate);
    BIO_free(bio);
    return result;
}

DeviceIdentity_Result DeviceIdentity_Load(DeviceIdentity *identity, const char *path, char *error,
                                          size_t errorSize) {
    if (error != NULL && errorSize > 0) {
        error[0] = '\0';
    }
    if (identity == NULL || path == NULL || error == NULL || errorSize == 0) {
        return DeviceIdentity_Result_InvalidArgument;
    }
    char *data = NULL;
    size_t length = 0;
    DeviceIdentity_Result result = ReadFile(path, &data, &length, error, errorSize);
    if (result != DeviceIdentity_Result_Ok) {
        return result;
    }
    char deviceId[DEVICE_IDENTITY_MAX_ID_LENGTH + 1];
    result = ReadCommonName(data, length, deviceId, sizeof(deviceId), error, errorSize);
    uint32_t crc = Crc32_Update(0, data, length);
    free(data);
    if (result != DeviceIdentity_Result_Ok) {
        return result;
    }
    bool changed =
        identity->loaded && (identity->contentCrc != crc || identity->contentLength != length);
    identity->loaded = true;
    identity->contentCrc = crc;
    identity->contentLength = length;
    memcpy(identity->deviceId, deviceId, sizeof(deviceId));
    return changed ? DeviceIdentity_Result_Changed : DeviceIdentity_Result_Ok;
}
