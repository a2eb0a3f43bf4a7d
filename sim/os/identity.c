// SPDX-License-Identifier: MIT
// The simulated device's identity: the tenant CA kept in a host directory, the device id file, and
// the 24 h client certificates the CA issues against the simulated device clock. This is what the
// OS hands an app through DeviceAuth_GetCertificatePath and what the local hub trusts.
//
// Everything is OpenSSL 3 EVP/X509. Files are read into memory BIOs with a size cap (they may
// have been edited by hand) and written through a temporary file and a rename, so a reader never
// sees half a certificate or a key.

#include "os/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#define CA_CERT_NAME "ca.pem"
#define CA_KEY_NAME "ca.key"
#define DEVICE_ID_NAME "device_id"

#define CA_VALIDITY_DAYS 3652  // ten years, leap days included
#define CA_TAG_BYTES 4
#define SERIAL_BITS 128
#define MAX_PEM_FILE_BYTES (64 * 1024)

// time_t is a signed integer type on every platform this runs on (POSIX leaves it open).
#define TIME_T_MAX ((time_t)(((uintmax_t)1 << (sizeof(time_t) * CHAR_BIT - 1)) - 1))
_Static_assert(sizeof(long) <= sizeof(time_t), "a validity in long seconds must fit in time_t");

#define CA_KEY_MODE 0600
#define CA_CERT_MODE 0644
#define DEVICE_CERT_MODE 0600
#define DEVICE_ID_MODE 0644
#define DIR_MODE 0700

// Fills err with the formatted reason plus the most recent OpenSSL error, if any, and empties the
// queue so a later failure is not blamed on this one.
__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_size,
                                                          const char *fmt, ...) {
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

static void clear_err(char *err, size_t err_size) {
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
}

static void format_utc(time_t t, char *out, size_t out_size) {
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, out_size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, out_size, "@%lld", (long long)t);
    }
}

static enum sim_identity_result join_path(char *out, size_t out_size, const char *dir,
                                          const char *name, char *err, size_t err_size) {
    int n = snprintf(out, out_size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= out_size) {
        set_err(err, err_size, "path %s/%s is too long", dir, name);
        return SIM_IDENTITY_ERR_INVALID;
    }
    return SIM_IDENTITY_OK;
}

// Creates dir and any missing parents, all private: the tenant directory holds the CA key.
static enum sim_identity_result make_dirs(const char *dir, char *err, size_t err_size) {
    char buf[PATH_MAX];
    int n = snprintf(buf, sizeof buf, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof buf) {
        set_err(err, err_size, "directory path %s is too long", dir);
        return SIM_IDENTITY_ERR_INVALID;
    }

    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(buf, DIR_MODE) != 0 && errno != EEXIST) {
            set_err(err, err_size, "cannot create directory %s: %s", buf, strerror(errno));
            return SIM_IDENTITY_ERR_IO;
        }
        *p = '/';
    }
    if (mkdir(buf, DIR_MODE) != 0 && errno != EEXIST) {
        set_err(err, err_size, "cannot create directory %s: %s", buf, strerror(errno));
        return SIM_IDENTITY_ERR_IO;
    }

    struct stat st;
    if (stat(buf, &st) != 0) {
        set_err(err, err_size, "cannot stat directory %s: %s", buf, strerror(errno));
        return SIM_IDENTITY_ERR_IO;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, err_size, "%s exists and is not a directory", buf);
        return SIM_IDENTITY_ERR_IO;
    }
    return SIM_IDENTITY_OK;
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
    set_err(err, err_size, "cannot stat %s: %s", path, strerror(errno));
    return SIM_IDENTITY_ERR_IO;
}

// Durability of the rename itself; failing here does not undo a rename that already happened, so
// it is best effort.
static void sync_parent_dir(const char *path) {
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, sizeof dir, ".");
    } else if (slash == path) {
        snprintf(dir, sizeof dir, "/");
    } else {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

// Writes data to a temporary file next to path, syncs it, and moves it into place. With
// keep_existing, an existing path wins (link() refuses to replace it) and *out_existed says so,
// which lets racing creators of the same file settle on one content.
static enum sim_identity_result write_file_atomic(const char *path, const void *data, size_t len,
                                                  mode_t mode, bool keep_existing,
                                                  bool *out_existed, char *err, size_t err_size) {
    enum sim_identity_result res = SIM_IDENTITY_ERR_IO;
    char tmp[PATH_MAX];
    int fd = -1;
    bool tmp_created = false;

    if (out_existed != NULL) {
        *out_existed = false;
    }
    int n = snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        set_err(err, err_size, "path %s is too long", path);
        return SIM_IDENTITY_ERR_INVALID;
    }

    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        set_err(err, err_size, "cannot create temporary file for %s: %s", path, strerror(errno));
        goto out;
    }
    tmp_created = true;
    if (fchmod(fd, mode) != 0) {
        set_err(err, err_size, "cannot set mode of %s: %s", tmp, strerror(errno));
        goto out;
    }

    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            set_err(err, err_size, "cannot write %s: %s", tmp, strerror(errno));
            goto out;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        set_err(err, err_size, "cannot sync %s: %s", tmp, strerror(errno));
        goto out;
    }
    int close_rc = close(fd);
    fd = -1;
    if (close_rc != 0) {
        set_err(err, err_size, "cannot close %s: %s", tmp, strerror(errno));
        goto out;
    }

    if (keep_existing) {
        if (link(tmp, path) != 0) {
            if (errno == EEXIST && out_existed != NULL) {
                *out_existed = true;
                res = SIM_IDENTITY_OK;
                goto out;
            }
            set_err(err, err_size, "cannot create %s: %s", path, strerror(errno));
            goto out;
        }
    } else {
        if (rename(tmp, path) != 0) {
            set_err(err, err_size, "cannot replace %s: %s", path, strerror(errno));
            goto out;
        }
        tmp_created = false;
    }
    sync_parent_dir(path);
    res = SIM_IDENTITY_OK;

out:
    if (fd >= 0) {
        close(fd);
    }
    if (tmp_created) {
        unlink(tmp);
    }
    return res;
}

// Reads a whole (small) file into a secure-heap memory BIO, since some of these files hold keys.
static enum sim_identity_result read_file_bio(const char *path, BIO **out_bio, char *err,
                                              size_t err_size) {
    enum sim_identity_result res = SIM_IDENTITY_ERR_IO;
    char buf[4096];
    size_t total = 0;
    BIO *bio = NULL;

    *out_bio = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, err_size, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    bio = BIO_new(BIO_s_secmem());
    if (bio == NULL) {
        res = SIM_IDENTITY_ERR_CRYPTO;
        set_err(err, err_size, "cannot allocate a buffer for %s", path);
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            set_err(err, err_size, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) {
            break;
        }
        total += (size_t)n;
        if (total > MAX_PEM_FILE_BYTES) {
            res = SIM_IDENTITY_ERR_INVALID;
            set_err(err, err_size, "%s is larger than %d bytes", path, MAX_PEM_FILE_BYTES);
            goto out;
        }
        if (BIO_write(bio, buf, (int)n) != (int)n) {
            res = SIM_IDENTITY_ERR_CRYPTO;
            set_err(err, err_size, "cannot buffer %s", path);
            goto out;
        }
    }
    *out_bio = bio;
    bio = NULL;
    res = SIM_IDENTITY_OK;

out:
    OPENSSL_cleanse(buf, sizeof buf);
    BIO_free(bio);
    if (fd >= 0) {
        close(fd);
    }
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

static enum sim_identity_result load_cert(const char *path, X509 **out_cert, char *err,
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
        set_err(err, err_size, "%s does not hold a PEM certificate", path);
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
        set_err(err, err_size, "%s does not hold an unencrypted PEM private key", path);
        goto out;
    }

out:
    BIO_free(bio);
    return res;
}

// Loads the tenant CA certificate and, when out_key is non-NULL, its key, refusing a pair that
// could not issue certificates that verify.
static enum sim_identity_result load_ca(const char *tenant_dir, X509 **out_cert, EVP_PKEY **out_key,
                                        char *err, size_t err_size) {
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

    res = load_cert(cert_path, &cert, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    if (X509_check_ca(cert) == 0) {
        res = SIM_IDENTITY_ERR_INVALID;
        set_err(err, err_size, "%s is not a CA certificate", cert_path);
        goto out;
    }
    if (out_key != NULL) {
        res = load_key(key_path, &key, err, err_size);
        if (res != SIM_IDENTITY_OK) {
            goto out;
        }
        if (X509_check_private_key(cert, key) != 1) {
            res = SIM_IDENTITY_ERR_INVALID;
            set_err(err, err_size, "%s does not match the certificate in %s", key_path, cert_path);
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

static bool set_random_serial(X509 *cert) {
    BIGNUM *bn = BN_new();
    // BN_rand gives an unsigned magnitude, so the serial is positive; a zero serial is
    // forbidden by RFC 5280 and, however unlikely, replaced.
    bool ok = bn != NULL && BN_rand(bn, SERIAL_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
              (!BN_is_zero(bn) || BN_one(bn) == 1) &&
              BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    BN_free(bn);
    return ok;
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
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

static EVP_PKEY *generate_p256_key(void) {
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
    key = generate_p256_key();
    if (key == NULL) {
        set_err(err, err_size, "cannot generate a P-256 key for %s", cert_path);
        goto out;
    }
    // The tag tells tenants apart when several are lying around, as in tests.
    if (RAND_bytes(tag, sizeof tag) != 1) {
        set_err(err, err_size, "no random bytes for the CA name in %s", cert_path);
        goto out;
    }
    hex_encode(tag, sizeof tag, tag_hex);
    snprintf(cn, sizeof cn, "spheresim tenant CA %s", tag_hex);

    cert = X509_new();
    name = X509_NAME_new();
    time_t now = time(NULL);
    if (cert == NULL || name == NULL || X509_set_version(cert, X509_VERSION_3) != 1 ||
        !set_random_serial(cert) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_subject_name(cert, name) != 1 || X509_set_issuer_name(cert, name) != 1 ||
        ASN1_TIME_set(X509_getm_notBefore(cert), now) == NULL ||
        ASN1_TIME_adj(X509_getm_notAfter(cert), now, CA_VALIDITY_DAYS, 0) == NULL ||
        X509_set_pubkey(cert, key) != 1) {
        set_err(err, err_size, "cannot build the CA certificate for %s", cert_path);
        goto out;
    }
    if (!add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_ext(cert, cert, NID_subject_key_identifier, "hash")) {
        set_err(err, err_size, "cannot add extensions to the CA certificate for %s", cert_path);
        goto out;
    }
    if (X509_sign(cert, key, EVP_sha256()) <= 0) {
        set_err(err, err_size, "cannot sign the CA certificate for %s", cert_path);
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

// Writes the contents of a memory BIO to path.
static enum sim_identity_result write_bio_atomic(BIO *bio, const char *path, mode_t mode, char *err,
                                                 size_t err_size) {
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || data == NULL) {
        set_err(err, err_size, "nothing was encoded for %s", path);
        return SIM_IDENTITY_ERR_CRYPTO;
    }
    return write_file_atomic(path, data, (size_t)len, mode, false, NULL, err, err_size);
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
    clear_err(err, err_size);
    if (tenant_dir == NULL || tenant_dir[0] == '\0') {
        set_err(err, err_size, "no tenant directory given");
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
    res = make_dirs(tenant_dir, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        return res;
    }

    // The CA is two files, so renaming each into place is not enough on its own: two creators
    // could leave one's key next to the other's certificate. Creators take turns on a lock on
    // the directory itself, and whoever comes second finds the first one's CA and keeps it.
    dir_fd = open(tenant_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        res = SIM_IDENTITY_ERR_IO;
        set_err(err, err_size, "cannot open directory %s: %s", tenant_dir, strerror(errno));
        goto out;
    }
    while (flock(dir_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            res = SIM_IDENTITY_ERR_IO;
            set_err(err, err_size, "cannot lock directory %s: %s", tenant_dir, strerror(errno));
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
        res = load_ca(tenant_dir, &cert, &key, err, err_size);
        goto out;
    }
    if (have_cert != have_key) {
        // Never overwrite a lone key or certificate: it may be someone's real CA half-copied.
        res = SIM_IDENTITY_ERR_INVALID;
        set_err(err, err_size, "tenant CA is incomplete: %s exists but %s does not",
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
        set_err(err, err_size, "cannot encode the tenant CA for %s", cert_path);
        goto out;
    }
    // Key first: a crash between the two leaves a lone key, which is refused above, rather than a
    // certificate whose key is lost.
    res = write_bio_atomic(key_pem, key_path, CA_KEY_MODE, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    res = write_bio_atomic(cert_pem, cert_path, CA_CERT_MODE, err, err_size);

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
        set_err(err, err_size, "cannot open %s: %s", path, strerror(errno));
        return SIM_IDENTITY_ERR_IO;
    }
    while (len < sizeof buf) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            set_err(err, err_size, "cannot read %s: %s", path, strerror(errno));
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
        set_err(err, err_size, "%s does not hold a device id of %d hex digits", path,
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
    clear_err(err, err_size);
    if (device_dir == NULL || device_dir[0] == '\0' || out_id == NULL) {
        set_err(err, err_size, "no device directory or output buffer given");
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

    res = make_dirs(device_dir, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    if (RAND_bytes(raw, sizeof raw) != 1) {
        res = SIM_IDENTITY_ERR_CRYPTO;
        set_err(err, err_size, "no random bytes for a new device id in %s", path);
        goto out;
    }
    hex_encode(raw, sizeof raw, content);
    content[SIM_DEVICE_ID_LEN] = '\n';
    content[SIM_DEVICE_ID_LEN + 1] = '\0';
    res = write_file_atomic(path, content, SIM_DEVICE_ID_LEN + 1, DEVICE_ID_MODE, true, &existed,
                            err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    if (existed) {
        // Another process created it first; its id is the device's id.
        res = read_device_id(path, id, &missing, err, err_size);
        if (res == SIM_IDENTITY_OK && missing) {
            res = SIM_IDENTITY_ERR_IO;
            set_err(err, err_size, "%s disappeared while it was being created", path);
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

// IoT Hub's device id alphabet: ids outside it could never authenticate there anyway, and
// keeping to it keeps control characters out of certificate subjects.
static bool is_valid_device_id(const char *id) {
    static const char extra[] = "-.%_*?!(),:=@$'";
    size_t len = strnlen(id, SIM_DEVICE_ID_LEN + 1);
    if (len == 0 || len > SIM_DEVICE_ID_LEN) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && strchr(extra, c) == NULL) {
            return false;
        }
    }
    return true;
}

enum sim_identity_result sim_device_cert_issue(const char *tenant_dir, const char *device_id,
                                               time_t device_now, long validity_seconds,
                                               const char *out_path, char *err, size_t err_size) {
    enum sim_identity_result res = SIM_IDENTITY_ERR_CRYPTO;
    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    X509_NAME *subject = NULL;
    BIO *pem = NULL;

    ERR_clear_error();
    clear_err(err, err_size);
    if (tenant_dir == NULL || device_id == NULL || out_path == NULL) {
        set_err(err, err_size, "missing tenant directory, device id or output path");
        return SIM_IDENTITY_ERR_INVALID;
    }
    if (!is_valid_device_id(device_id)) {
        set_err(err, err_size, "device id for %s is not 1-%d IoT Hub device id characters",
                out_path, SIM_DEVICE_ID_LEN);
        return SIM_IDENTITY_ERR_INVALID;
    }
    if (validity_seconds <= 0 || device_now > TIME_T_MAX - (time_t)validity_seconds) {
        set_err(err, err_size, "validity of %ld s from %lld for %s is out of range",
                validity_seconds, (long long)device_now, out_path);
        return SIM_IDENTITY_ERR_INVALID;
    }
    time_t not_after = device_now + (time_t)validity_seconds;

    res = load_ca(tenant_dir, &ca, &ca_key, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }

    res = SIM_IDENTITY_ERR_CRYPTO;
    key = generate_p256_key();
    if (key == NULL) {
        set_err(err, err_size, "cannot generate a P-256 key for %s", out_path);
        goto out;
    }
    cert = X509_new();
    subject = X509_NAME_new();
    // A 128-digit id is longer than the 64-character upper bound X.520 sets for a CN, which
    // OpenSSL enforces only when it picks the string type itself (MBSTRING_*). IoT Hub matches
    // the whole CN against the device id, so the id goes in as an explicit UTF8String.
    if (cert == NULL || subject == NULL || X509_set_version(cert, X509_VERSION_3) != 1 ||
        !set_random_serial(cert) ||
        X509_NAME_add_entry_by_txt(subject, "CN", V_ASN1_UTF8STRING,
                                   (const unsigned char *)device_id, -1, -1, 0) != 1 ||
        X509_set_subject_name(cert, subject) != 1 ||
        X509_set_issuer_name(cert, X509_get_subject_name(ca)) != 1 ||
        X509_set_pubkey(cert, key) != 1) {
        set_err(err, err_size, "cannot build the device certificate for %s", out_path);
        goto out;
    }
    if (ASN1_TIME_set(X509_getm_notBefore(cert), device_now) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(cert), not_after) == NULL) {
        res = SIM_IDENTITY_ERR_INVALID;
        set_err(err, err_size, "validity from %lld to %lld for %s cannot be encoded",
                (long long)device_now, (long long)not_after, out_path);
        goto out;
    }
    if (!add_ext(cert, ca, NID_key_usage, "critical,digitalSignature") ||
        !add_ext(cert, ca, NID_ext_key_usage, "clientAuth") ||
        !add_ext(cert, ca, NID_subject_key_identifier, "hash") ||
        !add_ext(cert, ca, NID_authority_key_identifier, "keyid:always")) {
        set_err(err, err_size, "cannot add extensions to the device certificate for %s", out_path);
        goto out;
    }
    if (X509_sign(cert, ca_key, EVP_sha256()) <= 0) {
        set_err(err, err_size, "cannot sign the device certificate for %s", out_path);
        goto out;
    }

    pem = BIO_new(BIO_s_secmem());
    if (pem == NULL || PEM_write_bio_X509(pem, cert) != 1 || PEM_write_bio_X509(pem, ca) != 1 ||
        PEM_write_bio_PrivateKey(pem, key, NULL, NULL, 0, NULL, NULL) != 1) {
        set_err(err, err_size, "cannot encode the device certificate for %s", out_path);
        goto out;
    }
    res = write_bio_atomic(pem, out_path, DEVICE_CERT_MODE, err, err_size);

out:
    BIO_free(pem);
    X509_NAME_free(subject);
    X509_free(cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    X509_free(ca);
    ERR_clear_error();
    return res;
}

static bool asn1_time_to_time_t(const ASN1_TIME *t, time_t *out) {
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        return false;
    }
    *out = timegm(&tm);
    return true;
}

enum sim_identity_result sim_device_cert_read(const char *path, time_t *out_not_before,
                                              time_t *out_not_after, char *out_cn, size_t cn_size,
                                              char *err, size_t err_size) {
    enum sim_identity_result res;
    X509 *cert = NULL;
    unsigned char *cn = NULL;
    time_t not_before = 0;
    time_t not_after = 0;

    ERR_clear_error();
    clear_err(err, err_size);
    if (path == NULL || (out_cn != NULL && cn_size == 0)) {
        set_err(err, err_size, "missing certificate path or CN buffer");
        return SIM_IDENTITY_ERR_INVALID;
    }
    res = load_cert(path, &cert, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }

    res = SIM_IDENTITY_ERR_INVALID;
    if (!asn1_time_to_time_t(X509_get0_notBefore(cert), &not_before) ||
        !asn1_time_to_time_t(X509_get0_notAfter(cert), &not_after)) {
        set_err(err, err_size, "%s has an unreadable validity period", path);
        goto out;
    }

    X509_NAME *subject = X509_get_subject_name(cert);
    int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (idx < 0) {
        set_err(err, err_size, "%s has no subject CN", path);
        goto out;
    }
    int cn_len =
        ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx)));
    if (cn_len < 0) {
        set_err(err, err_size, "%s has an unreadable subject CN", path);
        goto out;
    }
    if (memchr(cn, '\0', (size_t)cn_len) != NULL) {
        set_err(err, err_size, "subject CN of %s contains a NUL byte", path);
        goto out;
    }
    if (out_cn != NULL && (size_t)cn_len >= cn_size) {
        set_err(err, err_size, "subject CN of %s (%d bytes) does not fit in %zu bytes", path,
                cn_len, cn_size);
        goto out;
    }

    if (out_not_before != NULL) {
        *out_not_before = not_before;
    }
    if (out_not_after != NULL) {
        *out_not_after = not_after;
    }
    if (out_cn != NULL) {
        memcpy(out_cn, cn, (size_t)cn_len);
        out_cn[cn_len] = '\0';
    }
    res = SIM_IDENTITY_OK;

out:
    OPENSSL_free(cn);
    X509_free(cert);
    ERR_clear_error();
    return res;
}

enum sim_identity_result sim_device_cert_verify(const char *tenant_dir, const char *path, time_t at,
                                                char *err, size_t err_size) {
    enum sim_identity_result res;
    X509 *ca = NULL;
    X509 *leaf = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    char at_text[32];

    ERR_clear_error();
    clear_err(err, err_size);
    if (tenant_dir == NULL || path == NULL) {
        set_err(err, err_size, "missing tenant directory or certificate path");
        return SIM_IDENTITY_ERR_INVALID;
    }
    // The CA key is not needed to verify, and a verifier (the hub) may not be able to read it.
    res = load_ca(tenant_dir, &ca, NULL, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    res = load_cert(path, &leaf, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }

    res = SIM_IDENTITY_ERR_CRYPTO;
    store = X509_STORE_new();
    ctx = X509_STORE_CTX_new();
    // No untrusted intermediates: the tenant CA issues device certificates directly, and the
    // chain in the file must not be able to stand in for the tenant's own CA.
    if (store == NULL || ctx == NULL || X509_STORE_add_cert(store, ca) != 1 ||
        X509_STORE_CTX_init(ctx, store, leaf, NULL) != 1 ||
        X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
        set_err(err, err_size, "cannot set up verification of %s", path);
        goto out;
    }
    // Device time, not the host's: set_time also turns on X509_V_FLAG_USE_CHECK_TIME.
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);

    if (X509_verify_cert(ctx) == 1) {
        res = SIM_IDENTITY_OK;
        goto out;
    }
    int code = X509_STORE_CTX_get_error(ctx);
    if (code == X509_V_OK) {
        set_err(err, err_size, "verification of %s could not run", path);
        goto out;
    }
    res = SIM_IDENTITY_ERR_INVALID;
    format_utc(at, at_text, sizeof at_text);
    // The verify result says it all; whatever verification left on the queue would only repeat
    // it less precisely.
    ERR_clear_error();
    set_err(err, err_size, "%s does not verify against the tenant CA in %s at %s: %s", path,
            tenant_dir, at_text, X509_verify_cert_error_string(code));

out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(leaf);
    X509_free(ca);
    ERR_clear_error();
    return res;
}
