// SPDX-License-Identifier: MIT
// Unit tests for the simulated device identity: the tenant CA, the device id file, and the device
// certificates issued and checked against the simulated clock. Each test works in its own
// temporary directory under /tmp and removes it afterwards.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "os/identity.h"

#define DAY_SECONDS 86400L
#define RACERS 6

struct fixture {
    char root[64];
    char tenant[PATH_MAX];
    char other_tenant[PATH_MAX];
    char device[PATH_MAX];
    char cert[PATH_MAX];
    char err[512];
};

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL) {
        return -1;
    }
    snprintf(f->root, sizeof f->root, "/tmp/spheresim-identity-XXXXXX");
    if (mkdtemp(f->root) == NULL) {
        free(f);
        return -1;
    }
    // Nested, so that creating missing parents is exercised everywhere.
    snprintf(f->tenant, sizeof f->tenant, "%s/tenants/a", f->root);
    snprintf(f->other_tenant, sizeof f->other_tenant, "%s/tenants/b", f->root);
    snprintf(f->device, sizeof f->device, "%s/devices/d0", f->root);
    snprintf(f->cert, sizeof f->cert, "%s/device.pem", f->root);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    int rc = nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return rc;
}

static void path_in(char *out, size_t out_size, const char *dir, const char *name) {
    int n = snprintf(out, out_size, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < out_size);
}

// Returns the whole file as a NUL-terminated heap string; *out_len excludes the terminator.
static char *slurp(const char *path, size_t *out_len) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap == 0 ? 8192 : cap * 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, fp);
        len += n;
        if (n == 0) {
            break;
        }
    }
    assert_int_equal(ferror(fp), 0);
    fclose(fp);
    buf[len] = '\0';
    if (out_len != NULL) {
        *out_len = len;
    }
    return buf;
}

static void spit(const char *path, const char *text) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
}

static void copy_file(const char *from, const char *to) {
    char *text = slurp(from, NULL);
    spit(to, text);
    free(text);
}

static mode_t file_mode(const char *path) {
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static X509 *read_cert(const char *path) {
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    X509 *cert = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(cert);
    return cert;
}

static X509 *read_tenant_ca(const char *tenant) {
    char path[PATH_MAX];
    path_in(path, sizeof path, tenant, "ca.pem");
    return read_cert(path);
}

// Failures must name the file, fit on one line and leave no OpenSSL errors behind.
static void assert_failure_report(const char *err, const char *needle) {
    if (strstr(err, needle) == NULL) {
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
    }
    assert_null(strchr(err, '\n'));
    assert_int_equal(ERR_peek_error(), 0);
}

static void assert_lower_hex_id(const char *id) {
    assert_int_equal(strlen(id), SIM_DEVICE_ID_LEN);
    for (size_t i = 0; i < SIM_DEVICE_ID_LEN; i++) {
        assert_non_null(strchr("0123456789abcdef", id[i]));
    }
}

static void assert_no_temp_files(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (strstr(e->d_name, ".tmp-") != NULL) {
            fail_msg("temporary file %s left in %s", e->d_name, dir);
        }
    }
    closedir(d);
}

static void ensure_ca(struct fixture *f, const char *tenant) {
    enum sim_identity_result r = sim_tenant_ca_ensure(tenant, f->err, sizeof f->err);
    if (r != SIM_IDENTITY_OK) {
        fail_msg("sim_tenant_ca_ensure(%s) = %d: %s", tenant, r, f->err);
    }
}

static void issue(struct fixture *f, const char *tenant, const char *id, time_t now,
                  long validity) {
    enum sim_identity_result r =
        sim_device_cert_issue(tenant, id, now, validity, f->cert, f->err, sizeof f->err);
    if (r != SIM_IDENTITY_OK) {
        fail_msg("sim_device_cert_issue = %d: %s", r, f->err);
    }
}

static void test_sim_tenant_ca_ensure_fresh_dir_creates_p256_ca(void **state) {
    struct fixture *f = *state;
    char key_path[PATH_MAX];
    char cert_path[PATH_MAX];
    path_in(key_path, sizeof key_path, f->tenant, "ca.key");
    path_in(cert_path, sizeof cert_path, f->tenant, "ca.pem");
    time_t before = time(NULL);

    ensure_ca(f, f->tenant);

    assert_int_equal(file_mode(f->tenant), 0700);
    assert_int_equal(file_mode(key_path), 0600);
    X509 *ca = read_cert(cert_path);
    char cn[128];
    assert_true(
        X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn, sizeof cn) > 0);
    assert_memory_equal(cn, "spheresim tenant CA ", strlen("spheresim tenant CA "));
    assert_true(strlen(cn) > strlen("spheresim tenant CA "));
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(ca), X509_get_issuer_name(ca)), 0);

    EVP_PKEY *pub = X509_get0_pubkey(ca);
    assert_true(EVP_PKEY_is_a(pub, "EC"));
    char group[32];
    assert_int_equal(EVP_PKEY_get_group_name(pub, group, sizeof group, NULL), 1);
    assert_string_equal(group, "prime256v1");
    assert_int_equal(X509_verify(ca, pub), 1);

    assert_int_equal(X509_check_ca(ca), 1);
    int idx = X509_get_ext_by_NID(ca, NID_basic_constraints, -1);
    assert_true(idx >= 0);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(ca, idx)), 1);
    assert_int_equal(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);

    int days = 0;
    int secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca), X509_get0_notAfter(ca)),
                     1);
    // Backdated a year, so a device clock set well before today still verifies; ten years on.
    assert_in_range(days, 365 + 3650, 365 + 3653);
    assert_int_equal(X509_cmp_time(X509_get0_notBefore(ca), &(time_t){before - 364 * DAY_SECONDS}),
                     -1);
    assert_int_equal(X509_cmp_time(X509_get0_notBefore(ca), &(time_t){before - 366 * DAY_SECONDS}),
                     1);
    X509_free(ca);
}

static void test_sim_tenant_ca_ensure_second_call_keeps_same_ca(void **state) {
    struct fixture *f = *state;
    char key_path[PATH_MAX];
    char cert_path[PATH_MAX];
    path_in(key_path, sizeof key_path, f->tenant, "ca.key");
    path_in(cert_path, sizeof cert_path, f->tenant, "ca.pem");

    ensure_ca(f, f->tenant);
    char *cert1 = slurp(cert_path, NULL);
    char *key1 = slurp(key_path, NULL);
    ensure_ca(f, f->tenant);
    char *cert2 = slurp(cert_path, NULL);
    char *key2 = slurp(key_path, NULL);

    assert_string_equal(cert1, cert2);
    assert_string_equal(key1, key2);
    assert_no_temp_files(f->tenant);
    free(cert1);
    free(key1);
    free(cert2);
    free(key2);
}

static void test_sim_tenant_ca_ensure_mismatched_key_fails_invalid(void **state) {
    struct fixture *f = *state;
    char key_a[PATH_MAX];
    char key_b[PATH_MAX];
    path_in(key_a, sizeof key_a, f->tenant, "ca.key");
    path_in(key_b, sizeof key_b, f->other_tenant, "ca.key");
    ensure_ca(f, f->tenant);
    ensure_ca(f, f->other_tenant);
    copy_file(key_b, key_a);

    assert_int_equal(sim_tenant_ca_ensure(f->tenant, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, key_a);
    // Issuing must refuse the pair too, rather than sign with the wrong key.
    assert_int_equal(sim_device_cert_issue(f->tenant, "dev", time(NULL), DAY_SECONDS, f->cert,
                                           f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, key_a);
}

static void test_sim_tenant_ca_ensure_corrupt_cert_fails_invalid(void **state) {
    struct fixture *f = *state;
    char cert_path[PATH_MAX];
    path_in(cert_path, sizeof cert_path, f->tenant, "ca.pem");
    ensure_ca(f, f->tenant);
    spit(cert_path, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");

    assert_int_equal(sim_tenant_ca_ensure(f->tenant, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, cert_path);
}

static void test_sim_tenant_ca_ensure_corrupt_key_fails_invalid(void **state) {
    struct fixture *f = *state;
    char key_path[PATH_MAX];
    path_in(key_path, sizeof key_path, f->tenant, "ca.key");
    ensure_ca(f, f->tenant);
    spit(key_path, "garbage\n");

    assert_int_equal(sim_tenant_ca_ensure(f->tenant, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, key_path);
}

static void test_sim_tenant_ca_ensure_lone_key_fails_invalid(void **state) {
    struct fixture *f = *state;
    char cert_path[PATH_MAX];
    path_in(cert_path, sizeof cert_path, f->tenant, "ca.pem");
    ensure_ca(f, f->tenant);
    assert_int_equal(unlink(cert_path), 0);

    assert_int_equal(sim_tenant_ca_ensure(f->tenant, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, cert_path);
}

static void test_sim_tenant_ca_ensure_dir_is_file_fails_io(void **state) {
    struct fixture *f = *state;
    char path[PATH_MAX];
    path_in(path, sizeof path, f->root, "plain-file");
    spit(path, "x");

    assert_int_equal(sim_tenant_ca_ensure(path, f->err, sizeof f->err), SIM_IDENTITY_ERR_IO);
    assert_failure_report(f->err, path);
}

static void ca_racer(struct fixture *f, int out_fd) {
    (void)out_fd;
    char err[256];
    _exit(sim_tenant_ca_ensure(f->tenant, err, sizeof err) == SIM_IDENTITY_OK ? 0 : 1);
}

static void id_racer(struct fixture *f, int out_fd) {
    char err[256];
    char id[SIM_DEVICE_ID_LEN + 1];
    if (sim_device_id_ensure(f->device, id, err, sizeof err) != SIM_IDENTITY_OK) {
        _exit(1);
    }
    // Under PIPE_BUF, so each id arrives in one piece.
    _exit(write(out_fd, id, SIM_DEVICE_ID_LEN) == SIM_DEVICE_ID_LEN ? 0 : 2);
}

// Children start together on a pipe and report through their exit status.
static void run_racers(void (*body)(struct fixture *f, int out_fd), struct fixture *f, int out_fd) {
    int gate[2];
    pid_t pids[RACERS];
    assert_int_equal(pipe(gate), 0);
    for (int i = 0; i < RACERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char c;
            close(gate[1]);
            // Blocks until the parent closes its end, which releases everyone at once.
            (void)read(gate[0], &c, 1);
            body(f, out_fd);
            _exit(4);
        }
    }
    close(gate[0]);
    close(gate[1]);
    for (int i = 0; i < RACERS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

static void test_sim_tenant_ca_ensure_concurrent_callers_agree(void **state) {
    struct fixture *f = *state;
    run_racers(ca_racer, f, -1);

    // A mixed pair would be refused here.
    ensure_ca(f, f->tenant);
    assert_no_temp_files(f->tenant);
}

static void test_sim_device_id_ensure_fresh_dir_creates_128_hex(void **state) {
    struct fixture *f = *state;
    char id[SIM_DEVICE_ID_LEN + 1];
    char path[PATH_MAX];
    path_in(path, sizeof path, f->device, "device_id");

    assert_int_equal(sim_device_id_ensure(f->device, id, f->err, sizeof f->err), SIM_IDENTITY_OK);

    assert_lower_hex_id(id);
    char *text = slurp(path, NULL);
    assert_int_equal(strlen(text), SIM_DEVICE_ID_LEN + 1);
    assert_memory_equal(text, id, SIM_DEVICE_ID_LEN);
    assert_int_equal(text[SIM_DEVICE_ID_LEN], '\n');
    free(text);
    assert_no_temp_files(f->device);
}

static void test_sim_device_id_ensure_second_call_returns_same_id(void **state) {
    struct fixture *f = *state;
    char id1[SIM_DEVICE_ID_LEN + 1];
    char id2[SIM_DEVICE_ID_LEN + 1];
    char other[SIM_DEVICE_ID_LEN + 1];
    char other_dir[PATH_MAX];
    path_in(other_dir, sizeof other_dir, f->root, "devices/d1");

    assert_int_equal(sim_device_id_ensure(f->device, id1, f->err, sizeof f->err), SIM_IDENTITY_OK);
    assert_int_equal(sim_device_id_ensure(f->device, id2, f->err, sizeof f->err), SIM_IDENTITY_OK);
    assert_int_equal(sim_device_id_ensure(other_dir, other, f->err, sizeof f->err),
                     SIM_IDENTITY_OK);

    assert_string_equal(id1, id2);
    assert_string_not_equal(id1, other);
}

static void test_sim_device_id_ensure_corrupt_file_fails_invalid(void **state) {
    struct fixture *f = *state;
    char path[PATH_MAX];
    char id[SIM_DEVICE_ID_LEN + 1];
    char good[SIM_DEVICE_ID_LEN + 1];
    char text[SIM_DEVICE_ID_LEN + 8];
    path_in(path, sizeof path, f->device, "device_id");
    assert_int_equal(sim_device_id_ensure(f->device, good, f->err, sizeof f->err), SIM_IDENTITY_OK);

    const char *bad_suffixes[] = {"\n\n", "0", " ", "\r\n"};
    for (size_t i = 0; i < sizeof bad_suffixes / sizeof bad_suffixes[0]; i++) {
        snprintf(text, sizeof text, "%s%s", good, bad_suffixes[i]);
        spit(path, text);
        assert_int_equal(sim_device_id_ensure(f->device, id, f->err, sizeof f->err),
                         SIM_IDENTITY_ERR_INVALID);
        assert_failure_report(f->err, path);
    }

    snprintf(text, sizeof text, "%s", good);
    text[17] = 'g';
    spit(path, text);
    assert_int_equal(sim_device_id_ensure(f->device, id, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, path);

    text[17] = '\0';
    spit(path, text);
    assert_int_equal(sim_device_id_ensure(f->device, id, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);

    spit(path, "");
    assert_int_equal(sim_device_id_ensure(f->device, id, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, path);
}

static void test_sim_device_id_ensure_uppercase_without_newline_returns_lowercase(void **state) {
    struct fixture *f = *state;
    char path[PATH_MAX];
    char id[SIM_DEVICE_ID_LEN + 1];
    char text[SIM_DEVICE_ID_LEN + 1];
    char expected[SIM_DEVICE_ID_LEN + 1];
    for (size_t i = 0; i < SIM_DEVICE_ID_LEN; i++) {
        text[i] = "0123456789ABCDEF"[i % 16];
        expected[i] = "0123456789abcdef"[i % 16];
    }
    text[SIM_DEVICE_ID_LEN] = '\0';
    expected[SIM_DEVICE_ID_LEN] = '\0';
    path_in(path, sizeof path, f->root, "device_id");
    spit(path, text);

    assert_int_equal(sim_device_id_ensure(f->root, id, f->err, sizeof f->err), SIM_IDENTITY_OK);

    assert_string_equal(id, expected);
}

static void test_sim_device_id_ensure_concurrent_callers_agree(void **state) {
    struct fixture *f = *state;
    int ids[2];
    char got[RACERS][SIM_DEVICE_ID_LEN + 1];
    char id[SIM_DEVICE_ID_LEN + 1];
    assert_int_equal(pipe(ids), 0);

    run_racers(id_racer, f, ids[1]);
    close(ids[1]);

    for (int i = 0; i < RACERS; i++) {
        assert_int_equal(read(ids[0], got[i], SIM_DEVICE_ID_LEN), SIM_DEVICE_ID_LEN);
        got[i][SIM_DEVICE_ID_LEN] = '\0';
    }
    close(ids[0]);
    assert_int_equal(sim_device_id_ensure(f->device, id, f->err, sizeof f->err), SIM_IDENTITY_OK);
    for (int i = 0; i < RACERS; i++) {
        assert_string_equal(got[i], id);
    }
    assert_no_temp_files(f->device);
}

static void test_sim_device_cert_issue_valid_ca_writes_cn_and_exact_validity(void **state) {
    struct fixture *f = *state;
    char id[SIM_DEVICE_ID_LEN + 1];
    char cn[SIM_DEVICE_ID_LEN + 1];
    time_t nb = 0;
    time_t na = 0;
    time_t now = time(NULL);
    ensure_ca(f, f->tenant);
    assert_int_equal(sim_device_id_ensure(f->device, id, f->err, sizeof f->err), SIM_IDENTITY_OK);

    issue(f, f->tenant, id, now, DAY_SECONDS);

    assert_int_equal(sim_device_cert_read(f->cert, &nb, &na, cn, sizeof cn, f->err, sizeof f->err),
                     SIM_IDENTITY_OK);
    assert_string_equal(cn, id);
    assert_int_equal(nb, now);
    assert_int_equal(na, now + DAY_SECONDS);
    assert_int_equal(file_mode(f->cert), 0600);
    assert_no_temp_files(f->root);
}

static void test_sim_device_cert_issue_file_holds_cert_chain_and_matching_key(void **state) {
    struct fixture *f = *state;
    ensure_ca(f, f->tenant);
    issue(f, f->tenant, "device-1", time(NULL), DAY_SECONDS);
    X509 *tenant_ca = read_tenant_ca(f->tenant);

    FILE *fp = fopen(f->cert, "r");
    assert_non_null(fp);
    X509 *cert = PEM_read_X509(fp, NULL, NULL, NULL);
    X509 *chain = PEM_read_X509(fp, NULL, NULL, NULL);
    EVP_PKEY *key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(cert);
    assert_non_null(chain);
    assert_non_null(key);
    char *text = slurp(f->cert, NULL);
    assert_non_null(strstr(text, "-----BEGIN PRIVATE KEY-----"));
    free(text);

    assert_int_equal(X509_check_private_key(cert, key), 1);
    assert_int_equal(X509_cmp(chain, tenant_ca), 0);
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(tenant_ca)),
                     0);
    assert_int_equal(X509_verify(cert, X509_get0_pubkey(tenant_ca)), 1);
    assert_true(EVP_PKEY_is_a(key, "EC"));
    char group[32];
    assert_int_equal(EVP_PKEY_get_group_name(key, group, sizeof group, NULL), 1);
    assert_string_equal(group, "prime256v1");

    assert_int_equal(X509_check_ca(cert), 0);
    assert_int_equal(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
    int idx = X509_get_ext_by_NID(cert, NID_key_usage, -1);
    assert_true(idx >= 0);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(cert, idx)), 1);
    assert_int_equal(X509_get_extended_key_usage(cert), XKU_SSL_CLIENT);
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
    const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(cert);
    assert_non_null(ski);
    assert_non_null(aki);
    assert_int_equal(ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(tenant_ca)), 0);

    BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    assert_non_null(serial);
    assert_false(BN_is_negative(serial));
    assert_false(BN_is_zero(serial));
    assert_true(BN_num_bits(serial) <= 128);
    BN_free(serial);

    X509_free(tenant_ca);
    X509_free(cert);
    X509_free(chain);
    EVP_PKEY_free(key);
}

static void test_sim_device_cert_issue_twice_gives_new_key_and_serial(void **state) {
    struct fixture *f = *state;
    ensure_ca(f, f->tenant);
    issue(f, f->tenant, "device-1", time(NULL), DAY_SECONDS);
    X509 *first = read_cert(f->cert);
    issue(f, f->tenant, "device-1", time(NULL), DAY_SECONDS);
    X509 *second = read_cert(f->cert);

    assert_int_not_equal(
        ASN1_INTEGER_cmp(X509_get0_serialNumber(first), X509_get0_serialNumber(second)), 0);
    assert_int_not_equal(EVP_PKEY_eq(X509_get0_pubkey(first), X509_get0_pubkey(second)), 1);
    assert_int_equal(file_mode(f->cert), 0600);
    assert_no_temp_files(f->root);
    X509_free(first);
    X509_free(second);
}

static void test_sim_device_cert_verify_within_validity_succeeds(void **state) {
    struct fixture *f = *state;
    time_t now = time(NULL);
    ensure_ca(f, f->tenant);
    issue(f, f->tenant, "device-1", now, DAY_SECONDS);

    enum sim_identity_result r =
        sim_device_cert_verify(f->tenant, f->cert, now + 3600, f->err, sizeof f->err);
    if (r != SIM_IDENTITY_OK) {
        fail_msg("verify = %d: %s", r, f->err);
    }
    // OpenSSL counts the notAfter second itself as expired, so the last good second is one
    // before it.
    assert_int_equal(
        sim_device_cert_verify(f->tenant, f->cert, now + DAY_SECONDS - 1, f->err, sizeof f->err),
        SIM_IDENTITY_OK);
    assert_int_equal(sim_device_cert_verify(f->tenant, f->cert, now, f->err, sizeof f->err),
                     SIM_IDENTITY_OK);
}

static void test_sim_device_cert_verify_after_not_after_fails_expired(void **state) {
    struct fixture *f = *state;
    time_t now = time(NULL);
    ensure_ca(f, f->tenant);
    issue(f, f->tenant, "device-1", now, DAY_SECONDS);

    assert_int_equal(
        sim_device_cert_verify(f->tenant, f->cert, now + DAY_SECONDS + 1, f->err, sizeof f->err),
        SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, f->cert);
    assert_failure_report(f->err, "expired");
}

static void test_sim_device_cert_verify_before_not_before_fails_not_yet_valid(void **state) {
    struct fixture *f = *state;
    time_t now = time(NULL);
    ensure_ca(f, f->tenant);
    issue(f, f->tenant, "device-1", now, DAY_SECONDS);

    assert_int_equal(sim_device_cert_verify(f->tenant, f->cert, now - 10, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, "not yet valid");
}

static void test_sim_device_cert_verify_other_tenant_fails_invalid(void **state) {
    struct fixture *f = *state;
    time_t now = time(NULL);
    ensure_ca(f, f->tenant);
    ensure_ca(f, f->other_tenant);
    // The file carries tenant B's CA as its chain; that must not make it acceptable to A.
    issue(f, f->other_tenant, "device-1", now, DAY_SECONDS);

    assert_int_equal(sim_device_cert_verify(f->tenant, f->cert, now + 3600, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, f->cert);
    assert_int_equal(
        sim_device_cert_verify(f->other_tenant, f->cert, now + 3600, f->err, sizeof f->err),
        SIM_IDENTITY_OK);
}

static void test_sim_device_cert_verify_tampered_cert_fails_invalid(void **state) {
    struct fixture *f = *state;
    time_t now = time(NULL);
    ensure_ca(f, f->tenant);
    issue(f, f->tenant, "device-1", now, DAY_SECONDS);
    X509 *cert = read_cert(f->cert);
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    assert_true(len > 64);
    X509_free(cert);
    // The last byte belongs to the signature's s value; the certificate still parses.
    der[len - 1] ^= 0x01;
    const unsigned char *p = der;
    cert = d2i_X509(NULL, &p, len);
    OPENSSL_free(der);
    assert_non_null(cert);
    FILE *fp = fopen(f->cert, "w");
    assert_non_null(fp);
    assert_int_equal(PEM_write_X509(fp, cert), 1);
    fclose(fp);
    X509_free(cert);

    assert_int_equal(sim_device_cert_verify(f->tenant, f->cert, now + 3600, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, f->cert);
}

static void test_sim_device_cert_issue_device_clock_ahead_uses_device_time(void **state) {
    struct fixture *f = *state;
    time_t real_now = time(NULL);
    time_t device_now = real_now + 3L * 365 * DAY_SECONDS + 12345;
    time_t nb = 0;
    time_t na = 0;
    ensure_ca(f, f->tenant);

    issue(f, f->tenant, "device-1", device_now, 3600);

    assert_int_equal(sim_device_cert_read(f->cert, &nb, &na, NULL, 0, f->err, sizeof f->err),
                     SIM_IDENTITY_OK);
    assert_int_equal(nb, device_now);
    assert_int_equal(na, device_now + 3600);
    assert_int_equal(
        sim_device_cert_verify(f->tenant, f->cert, device_now + 60, f->err, sizeof f->err),
        SIM_IDENTITY_OK);
    assert_int_equal(sim_device_cert_verify(f->tenant, f->cert, real_now, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
}

static void test_sim_device_cert_issue_bad_arguments_fail_invalid(void **state) {
    struct fixture *f = *state;
    time_t now = time(NULL);
    char long_id[SIM_DEVICE_ID_LEN + 2];
    memset(long_id, 'a', SIM_DEVICE_ID_LEN + 1);
    long_id[SIM_DEVICE_ID_LEN + 1] = '\0';
    ensure_ca(f, f->tenant);

    const char *bad_ids[] = {"", "has space", "new\nline", "slash/", long_id};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        assert_int_equal(sim_device_cert_issue(f->tenant, bad_ids[i], now, DAY_SECONDS, f->cert,
                                               f->err, sizeof f->err),
                         SIM_IDENTITY_ERR_INVALID);
        assert_failure_report(f->err, f->cert);
    }
    assert_int_equal(
        sim_device_cert_issue(f->tenant, "dev", now, 0, f->cert, f->err, sizeof f->err),
        SIM_IDENTITY_ERR_INVALID);
    assert_int_equal(
        sim_device_cert_issue(f->tenant, "dev", now, -5, f->cert, f->err, sizeof f->err),
        SIM_IDENTITY_ERR_INVALID);
    assert_int_equal(sim_device_cert_issue(f->tenant, "dev", (time_t)INT64_MAX - 10, DAY_SECONDS,
                                           f->cert, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, f->cert);
    // Far beyond what an X.509 time can hold, but no arithmetic overflow.
    assert_int_equal(sim_device_cert_issue(f->tenant, "dev", (time_t)INT64_MAX / 2, DAY_SECONDS,
                                           f->cert, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, f->cert);
    assert_int_equal(access(f->cert, F_OK), -1);
    assert_no_temp_files(f->root);
}

static void test_sim_device_cert_issue_full_length_id_round_trips(void **state) {
    struct fixture *f = *state;
    char id[SIM_DEVICE_ID_LEN + 1];
    char cn[SIM_DEVICE_ID_LEN + 1];
    char small[SIM_DEVICE_ID_LEN];
    ensure_ca(f, f->tenant);
    assert_int_equal(sim_device_id_ensure(f->device, id, f->err, sizeof f->err), SIM_IDENTITY_OK);
    issue(f, f->tenant, id, time(NULL), DAY_SECONDS);

    assert_int_equal(
        sim_device_cert_read(f->cert, NULL, NULL, cn, sizeof cn, f->err, sizeof f->err),
        SIM_IDENTITY_OK);
    assert_string_equal(cn, id);
    // One byte short of room for the terminator.
    assert_int_equal(
        sim_device_cert_read(f->cert, NULL, NULL, small, sizeof small, f->err, sizeof f->err),
        SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, f->cert);
}

static void test_sim_device_cert_issue_missing_ca_fails_io(void **state) {
    struct fixture *f = *state;
    char cert_path[PATH_MAX];
    path_in(cert_path, sizeof cert_path, f->tenant, "ca.pem");

    assert_int_equal(sim_device_cert_issue(f->tenant, "dev", time(NULL), DAY_SECONDS, f->cert,
                                           f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_IO);
    assert_failure_report(f->err, cert_path);
    assert_int_equal(sim_device_cert_verify(f->tenant, f->cert, time(NULL), f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_IO);
    assert_failure_report(f->err, cert_path);
}

static void test_sim_device_cert_read_missing_or_garbage_fails(void **state) {
    struct fixture *f = *state;
    time_t nb = 0;

    assert_int_equal(sim_device_cert_read(f->cert, &nb, NULL, NULL, 0, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_IO);
    assert_failure_report(f->err, f->cert);

    spit(f->cert, "hello\n");
    assert_int_equal(sim_device_cert_read(f->cert, &nb, NULL, NULL, 0, f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, f->cert);
    assert_int_equal(sim_device_cert_verify(f->tenant, f->cert, time(NULL), f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_IO);  // no tenant CA yet: that is reported first
    ensure_ca(f, f->tenant);
    assert_int_equal(sim_device_cert_verify(f->tenant, f->cert, time(NULL), f->err, sizeof f->err),
                     SIM_IDENTITY_ERR_INVALID);
    assert_failure_report(f->err, f->cert);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sim_tenant_ca_ensure_fresh_dir_creates_p256_ca, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sim_tenant_ca_ensure_second_call_keeps_same_ca, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sim_tenant_ca_ensure_mismatched_key_fails_invalid,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sim_tenant_ca_ensure_corrupt_cert_fails_invalid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sim_tenant_ca_ensure_corrupt_key_fails_invalid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sim_tenant_ca_ensure_lone_key_fails_invalid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sim_tenant_ca_ensure_dir_is_file_fails_io, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sim_tenant_ca_ensure_concurrent_callers_agree, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_id_ensure_fresh_dir_creates_128_hex, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_id_ensure_second_call_returns_same_id,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_id_ensure_corrupt_file_fails_invalid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_sim_device_id_ensure_uppercase_without_newline_returns_lowercase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_id_ensure_concurrent_callers_agree, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_sim_device_cert_issue_valid_ca_writes_cn_and_exact_validity, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sim_device_cert_issue_file_holds_cert_chain_and_matching_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_cert_issue_twice_gives_new_key_and_serial,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_cert_verify_within_validity_succeeds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_cert_verify_after_not_after_fails_expired,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sim_device_cert_verify_before_not_before_fails_not_yet_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_cert_verify_other_tenant_fails_invalid,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_cert_verify_tampered_cert_fails_invalid,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sim_device_cert_issue_device_clock_ahead_uses_device_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_cert_issue_bad_arguments_fail_invalid,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_cert_issue_full_length_id_round_trips,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_cert_issue_missing_ca_fails_io, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sim_device_cert_read_missing_or_garbage_fails, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
