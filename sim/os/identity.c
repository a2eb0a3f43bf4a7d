// SPDX-License-Identifier: MIT
// The simulated device's identity: the tenant CA kept in a host directory, the device id file, and
// the 24 h client certificates the CA issues against the simulated device clock. This is what the
// OS hands an app through DeviceAuth_GetCertificatePath and what the local hub trusts.
//
// Everything is OpenSSL 3 EVP/X509. Files are read into memory BIOs with a size cap (they may
// have been edited by hand) and written through a temporary file and a rename, so a reader never
// sees half a certificate or a key. Device certificates (issue, read, verify) are in
// identity_cert.c; this file has the tenant CA, the device id and the helpers both use.

#include "os/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "os/fs_util.h"
#include "os/identity_internal.h"

#define CA_CERT_NAME "ca.pem"
#define CA_KEY_NAME "ca.key"
#define DEVICE_ID_NAME "device_id"

#define CA_VALIDITY_DAYS 3652  // ten years, leap days included
// A device clock may be well behind the day the CA was made (a boot without time sync starts
// from the OS image's build time, or a scenario sets it back): the CA still verifies then.
#define CA_BACKDATE_DAYS 365
#define CA_TAG_BYTES 4
#define SERIAL_BITS 128
#define MAX_PEM_FILE_BYTES (64 * 1024)

#define CA_KEY_MODE 0600
#define CA_CERT_MODE 0644
#define DEVICE_ID_MODE 0644
#define DIR_MODE 0700

void sim_identity_set_err(char *err, size_t err_size, const char *fmt, ...) {
    char ossl[256] = "";
    unsigned long code = ERR_peek_last_error();
    if (code != 0) {
        ERR_error_string_n(code, ossl, sizeof ossl);
    }
    ERR_clear_error();
    if (err == NULL || err_size == 0) {
        return;
    }

    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    if (n < 0) {
        err[0] = '\0';
        return;
    }
    if ((size_t)n < err_size && ossl[0] != '\0') {
        snprintf(err + n, err_size - (size_t)n, ": %s", ossl);
    }
}

void sim_identity_clear_err(char *err, size_t err_size) {
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
}

static enum sim_identity_result join_path(char *out, size_t out_size, const char *dir,
                                          const char *name, char *err, size_t err_size) {
    int n = snprintf(out, out_size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= out_size) {
        sim_identity_set_err(err, err_size, "path %s/%s is too long", dir, name);
        return SIM_IDENTITY_ERR_INVALID;
    }
    return SIM_IDENTITY_OK;
}

// fs_util says why through errno: a path or file beyond its limits is unusable input, anything
// else is the filesystem failing.
static enum sim_identity_result fs_failure(void) {
    return errno == ENAMETOOLONG || errno == EFBIG ? SIM_IDENTITY_ERR_INVALID : SIM_IDENTITY_ERR_IO;
}

static enum sim_identity_result file_exists(const char *path, bool *out_exists, char *err,
                                            size_t err_size) {
    struct stat st;
    if (stat(path, &st) == 0) {
        *out_exists = true;
        return SIM_IDENTITY_OK;
    }
    if (errno == ENOENT) {
        *out_exists = false;
        return SIM_IDENTITY_OK;
    }
    sim_identity_set_err(err, err_size, "cannot stat %s: %s", path, strerror(errno));
    return SIM_IDENTITY_ERR_IO;
}

// Reads a whole (small) file into a secure-heap memory BIO, since some of these files hold keys.
static enum sim_identity_result read_file_bio(const char *path, BIO **out_bio, char *err,
                                              size_t err_size) {
    enum sim_identity_result res = SIM_IDENTITY_ERR_CRYPTO;
    size_t len = 0;

    *out_bio = NULL;
    char *buf = OPENSSL_secure_malloc(MAX_PEM_FILE_BYTES);
    BIO *bio = BIO_new(BIO_s_secmem());
    if (buf == NULL || bio == NULL) {
        sim_identity_set_err(err, err_size, "cannot allocate a buffer for %s", path);
        goto out;
    }
    if (sim_fs_read_file(path, buf, MAX_PEM_FILE_BYTES, &len, err, err_size) != 0) {
        res = fs_failure();
        goto out;
    }
    if (BIO_write(bio, buf, (int)len) != (int)len) {
        sim_identity_set_err(err, err_size, "cannot buffer %s", path);
        goto out;
    }
    *out_bio = bio;
    bio = NULL;
    res = SIM_IDENTITY_OK;

out:
    OPENSSL_secure_clear_free(buf, MAX_PEM_FILE_BYTES);
    BIO_free(bio);
    return res;
}

// Our keys are never encrypted; refusing a passphrase also keeps OpenSSL from prompting on the
// terminal for a hand-placed encrypted key.
static int refuse_passphrase(char *buf, int size, int rwflag, void *user) {
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)user;
    return -1;
}

enum sim_identity_result sim_identity_load_cert(const char *path, X509 **out_cert, char *err,
                                                size_t err_size) {
    BIO *bio = NULL;
    *out_cert = NULL;
    enum sim_identity_result res = read_file_bio(path, &bio, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    *out_cert = PEM_read_bio_X509(bio, NULL, refuse_passphrase, NULL);
    if (*out_cert == NULL) {
        res = SIM_IDENTITY_ERR_INVALID;
        sim_identity_set_err(err, err_size, "%s does not hold a PEM certificate", path);
        goto out;
    }
    // Anything after the first certificate (chain, key) is not this function's business, and
    // the failed lookups it may leave on the queue are not errors.
    ERR_clear_error();

out:
    BIO_free(bio);
    return res;
}

static enum sim_identity_result load_key(const char *path, EVP_PKEY **out_key, char *err,
                                         size_t err_size) {
    BIO *bio = NULL;
    *out_key = NULL;
    enum sim_identity_result res = read_file_bio(path, &bio, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    *out_key = PEM_read_bio_PrivateKey(bio, NULL, refuse_passphrase, NULL);
    if (*out_key == NULL) {
        res = SIM_IDENTITY_ERR_INVALID;
        sim_identity_set_err(err, err_size, "%s does not hold an unencrypted PEM private key",
                             path);
        goto out;
    }

out:
    BIO_free(bio);
    return res;
}

enum sim_identity_result sim_identity_load_ca(const char *tenant_dir, X509 **out_cert,
                                              EVP_PKEY **out_key, char *err, size_t err_size) {
    char cert_path[PATH_MAX];
    char key_path[PATH_MAX];
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    enum sim_identity_result res;

    *out_cert = NULL;
    if (out_key != NULL) {
        *out_key = NULL;
    }
    res = join_path(cert_path, sizeof cert_path, tenant_dir, CA_CERT_NAME, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    res = join_path(key_path, sizeof key_path, tenant_dir, CA_KEY_NAME, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }

    res = sim_identity_load_cert(cert_path, &cert, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    if (X509_check_ca(cert) == 0) {
        res = SIM_IDENTITY_ERR_INVALID;
        sim_identity_set_err(err, err_size, "%s is not a CA certificate", cert_path);
        goto out;
    }
    if (out_key != NULL) {
        res = load_key(key_path, &key, err, err_size);
        if (res != SIM_IDENTITY_OK) {
            goto out;
        }
        if (X509_check_private_key(cert, key) != 1) {
            res = SIM_IDENTITY_ERR_INVALID;
            sim_identity_set_err(err, err_size, "%s does not match the certificate in %s", key_path,
                                 cert_path);
            goto out;
        }
    }

    *out_cert = cert;
    cert = NULL;
    if (out_key != NULL) {
        *out_key = key;
        key = NULL;
    }

out:
    X509_free(cert);
    EVP_PKEY_free(key);
    return res;
}

bool sim_identity_random_serial(X509 *cert) {
    BIGNUM *bn = BN_new();
    // BN_rand gives an unsigned magnitude, so the serial is positive; a zero serial is
    // forbidden by RFC 5280 and, however unlikely, replaced.
    bool ok = bn != NULL && BN_rand(bn, SERIAL_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
              (!BN_is_zero(bn) || BN_one(bn) == 1) &&
              BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    BN_free(bn);
    return ok;
}

bool sim_identity_add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) {
        return false;
    }
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

EVP_PKEY *sim_identity_p256_key(void) {
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static void hex_encode(const unsigned char *in, size_t in_len, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < in_len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * in_len] = '\0';
}

static enum sim_identity_result build_ca(const char *cert_path, X509 **out_cert, EVP_PKEY **out_key,
                                         char *err, size_t err_size) {
    enum sim_identity_result res = SIM_IDENTITY_ERR_CRYPTO;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    X509_NAME *name = NULL;
    unsigned char tag[CA_TAG_BYTES];
    char tag_hex[2 * CA_TAG_BYTES + 1];
    char cn[64];

    *out_cert = NULL;
    *out_key = NULL;
    key = sim_identity_p256_key();
    if (key == NULL) {
        sim_identity_set_err(err, err_size, "cannot generate a P-256 key for %s", cert_path);
        goto out;
    }
    // The tag tells tenants apart when several are lying around, as in tests.
    if (RAND_bytes(tag, sizeof tag) != 1) {
        sim_identity_set_err(err, err_size, "no random bytes for the CA name in %s", cert_path);
        goto out;
    }
    hex_encode(tag, sizeof tag, tag_hex);
    snprintf(cn, sizeof cn, "spheresim tenant CA %s", tag_hex);

    cert = X509_new();
    name = X509_NAME_new();
    time_t now = time(NULL);
    if (cert == NULL || name == NULL || X509_set_version(cert, X509_VERSION_3) != 1 ||
        !sim_identity_random_serial(cert) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_subject_name(cert, name) != 1 || X509_set_issuer_name(cert, name) != 1 ||
        ASN1_TIME_adj(X509_getm_notBefore(cert), now, -CA_BACKDATE_DAYS, 0) == NULL ||
        ASN1_TIME_adj(X509_getm_notAfter(cert), now, CA_VALIDITY_DAYS, 0) == NULL ||
        X509_set_pubkey(cert, key) != 1) {
        sim_identity_set_err(err, err_size, "cannot build the CA certificate for %s", cert_path);
        goto out;
    }
    if (!sim_identity_add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE") ||
        !sim_identity_add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !sim_identity_add_ext(cert, cert, NID_subject_key_identifier, "hash")) {
        sim_identity_set_err(err, err_size, "cannot add extensions to the CA certificate for %s",
                             cert_path);
        goto out;
    }
    if (X509_sign(cert, key, EVP_sha256()) <= 0) {
        sim_identity_set_err(err, err_size, "cannot sign the CA certificate for %s", cert_path);
        goto out;
    }

    *out_cert = cert;
    cert = NULL;
    *out_key = key;
    key = NULL;
    res = SIM_IDENTITY_OK;

out:
    X509_NAME_free(name);
    X509_free(cert);
    EVP_PKEY_free(key);
    return res;
}

enum sim_identity_result sim_identity_write_bio(BIO *bio, const char *path, mode_t mode, char *err,
                                                size_t err_size) {
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || data == NULL) {
        sim_identity_set_err(err, err_size, "nothing was encoded for %s", path);
        return SIM_IDENTITY_ERR_CRYPTO;
    }
    if (sim_fs_write_atomic(path, data, (size_t)len, mode, NULL, err, err_size) != 0) {
        return fs_failure();
    }
    return SIM_IDENTITY_OK;
}

enum sim_identity_result sim_tenant_ca_ensure(const char *tenant_dir, char *err, size_t err_size) {
    enum sim_identity_result res;
    char cert_path[PATH_MAX];
    char key_path[PATH_MAX];
    int dir_fd = -1;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    BIO *key_pem = NULL;
    BIO *cert_pem = NULL;
    bool have_cert = false;
    bool have_key = false;

    ERR_clear_error();
    sim_identity_clear_err(err, err_size);
    if (tenant_dir == NULL || tenant_dir[0] == '\0') {
        sim_identity_set_err(err, err_size, "no tenant directory given");
        return SIM_IDENTITY_ERR_INVALID;
    }
    res = join_path(cert_path, sizeof cert_path, tenant_dir, CA_CERT_NAME, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        return res;
    }
    res = join_path(key_path, sizeof key_path, tenant_dir, CA_KEY_NAME, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        return res;
    }
    if (sim_fs_make_dirs(tenant_dir, DIR_MODE, err, err_size) != 0) {
        return fs_failure();
    }

    // The CA is two files, so renaming each into place is not enough on its own: two creators
    // could leave one's key next to the other's certificate. Creators take turns on a lock on
    // the directory itself, and whoever comes second finds the first one's CA and keeps it.
    dir_fd = open(tenant_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        res = SIM_IDENTITY_ERR_IO;
        sim_identity_set_err(err, err_size, "cannot open directory %s: %s", tenant_dir,
                             strerror(errno));
        goto out;
    }
    while (flock(dir_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            res = SIM_IDENTITY_ERR_IO;
            sim_identity_set_err(err, err_size, "cannot lock directory %s: %s", tenant_dir,
                                 strerror(errno));
            goto out;
        }
    }

    res = file_exists(cert_path, &have_cert, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    res = file_exists(key_path, &have_key, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    if (have_cert && have_key) {
        res = sim_identity_load_ca(tenant_dir, &cert, &key, err, err_size);
        goto out;
    }
    if (have_cert != have_key) {
        // Never overwrite a lone key or certificate: it may be someone's real CA half-copied.
        res = SIM_IDENTITY_ERR_INVALID;
        sim_identity_set_err(err, err_size, "tenant CA is incomplete: %s exists but %s does not",
                             have_cert ? cert_path : key_path, have_cert ? key_path : cert_path);
        goto out;
    }

    res = build_ca(cert_path, &cert, &key, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    key_pem = BIO_new(BIO_s_secmem());
    cert_pem = BIO_new(BIO_s_mem());
    if (key_pem == NULL || cert_pem == NULL ||
        PEM_write_bio_PrivateKey(key_pem, key, NULL, NULL, 0, NULL, NULL) != 1 ||
        PEM_write_bio_X509(cert_pem, cert) != 1) {
        res = SIM_IDENTITY_ERR_CRYPTO;
        sim_identity_set_err(err, err_size, "cannot encode the tenant CA for %s", cert_path);
        goto out;
    }
    // Key first: a crash between the two leaves a lone key, which is refused above, rather than a
    // certificate whose key is lost.
    res = sim_identity_write_bio(key_pem, key_path, CA_KEY_MODE, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    res = sim_identity_write_bio(cert_pem, cert_path, CA_CERT_MODE, err, err_size);

out:
    BIO_free(cert_pem);
    BIO_free(key_pem);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (dir_fd >= 0) {
        close(dir_fd);  // releases the lock
    }
    ERR_clear_error();
    return res;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Reads an existing device id; *out_missing is set instead of an error when there is none yet.
static enum sim_identity_result read_device_id(const char *path, char out_id[SIM_DEVICE_ID_LEN + 1],
                                               bool *out_missing, char *err, size_t err_size) {
    enum sim_identity_result res = SIM_IDENTITY_ERR_IO;
    // One byte more than the longest valid content, to notice a longer file.
    char buf[SIM_DEVICE_ID_LEN + 2];
    size_t len = 0;

    *out_missing = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *out_missing = true;
            return SIM_IDENTITY_OK;
        }
        sim_identity_set_err(err, err_size, "cannot open %s: %s", path, strerror(errno));
        return SIM_IDENTITY_ERR_IO;
    }
    while (len < sizeof buf) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            sim_identity_set_err(err, err_size, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }

    bool shape_ok = len == SIM_DEVICE_ID_LEN ||
                    (len == SIM_DEVICE_ID_LEN + 1 && buf[SIM_DEVICE_ID_LEN] == '\n');
    for (size_t i = 0; shape_ok && i < SIM_DEVICE_ID_LEN; i++) {
        int v = hex_value(buf[i]);
        if (v < 0) {
            shape_ok = false;
        } else {
            out_id[i] = "0123456789abcdef"[v];
        }
    }
    if (!shape_ok) {
        res = SIM_IDENTITY_ERR_INVALID;
        sim_identity_set_err(err, err_size, "%s does not hold a device id of %d hex digits", path,
                             SIM_DEVICE_ID_LEN);
        goto out;
    }
    out_id[SIM_DEVICE_ID_LEN] = '\0';
    res = SIM_IDENTITY_OK;

out:
    close(fd);
    return res;
}

enum sim_identity_result sim_device_id_ensure(const char *device_dir,
                                              char out_id[SIM_DEVICE_ID_LEN + 1], char *err,
                                              size_t err_size) {
    enum sim_identity_result res;
    char path[PATH_MAX];
    char id[SIM_DEVICE_ID_LEN + 1];
    char content[SIM_DEVICE_ID_LEN + 2];
    unsigned char raw[SIM_DEVICE_ID_LEN / 2];
    bool missing = false;
    bool existed = false;

    ERR_clear_error();
    sim_identity_clear_err(err, err_size);
    if (device_dir == NULL || device_dir[0] == '\0' || out_id == NULL) {
        sim_identity_set_err(err, err_size, "no device directory or output buffer given");
        return SIM_IDENTITY_ERR_INVALID;
    }
    res = join_path(path, sizeof path, device_dir, DEVICE_ID_NAME, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    res = read_device_id(path, id, &missing, err, err_size);
    if (res != SIM_IDENTITY_OK || !missing) {
        goto out;
    }

    if (sim_fs_make_dirs(device_dir, DIR_MODE, err, err_size) != 0) {
        res = fs_failure();
        goto out;
    }
    if (RAND_bytes(raw, sizeof raw) != 1) {
        res = SIM_IDENTITY_ERR_CRYPTO;
        sim_identity_set_err(err, err_size, "no random bytes for a new device id in %s", path);
        goto out;
    }
    hex_encode(raw, sizeof raw, content);
    content[SIM_DEVICE_ID_LEN] = '\n';
    content[SIM_DEVICE_ID_LEN + 1] = '\0';
    if (sim_fs_write_atomic(path, content, SIM_DEVICE_ID_LEN + 1, DEVICE_ID_MODE, &existed, err,
                            err_size) != 0) {
        res = fs_failure();
        goto out;
    }
    if (existed) {
        // Another process created it first; its id is the device's id.
        res = read_device_id(path, id, &missing, err, err_size);
        if (res == SIM_IDENTITY_OK && missing) {
            res = SIM_IDENTITY_ERR_IO;
            sim_identity_set_err(err, err_size, "%s disappeared while it was being created", path);
        }
        goto out;
    }
    memcpy(id, content, SIM_DEVICE_ID_LEN);
    id[SIM_DEVICE_ID_LEN] = '\0';

out:
    if (res == SIM_IDENTITY_OK) {
        memcpy(out_id, id, sizeof id);
    }
    ERR_clear_error();
    return res;
}
