// SPDX-License-Identifier: MIT
// Unit tests for the `hub enrollment` and `hub dps` verbs (cmd_hub_dps.c), run in-process against
// a temporary state directory with stdout and stderr captured: JSON output, the enrollment
// commands' effect on the database, usage errors (exit 2) and failures (exit 1) as one line, and
// that the credentials `dps key` and `dps sas-token` print get a device through DPS's CONNECT
// check.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cloud/hub_dps.h"
#include "cloud/hub_dps_auth.h"
#include "cloud/hub_enrollments.h"
#include "cloud/hub_store.h"

#define GROUP_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define DEVICE_01_KEY "YlH/UCsaA7mBBFGAlOysUKGTTAKpddEkTUFpC9ViNHA="

int sim_cmd_hub_enrollment(int argc, char **argv);

struct fixture {
    char dir[64];
    char out[8192];
    char err[2048];
    cJSON *json;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-dpscli-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    // A hub's state directory, as `hub start` leaves it: the verbs refuse any other.
    char path[PATH_MAX];
    char err[256];
    struct hub_store *store = NULL;
    snprintf(path, sizeof path, "%s/" HUB_STORE_FILE, f->dir);
    if (hub_store_open(path, &store, err, sizeof err) != HUB_STORE_OK) {
        return -1;
    }
    hub_store_close(store);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    cJSON_Delete(f->json);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static void slurp(int fd, char *out, size_t size) {
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, out, size - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
}

// Runs the verb words (NULL-terminated) with --state-dir added, capturing stdout and stderr;
// f->json holds stdout parsed (NULL when it is not JSON).
static int run(struct fixture *f, ...) {
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, f);
    for (const char *word = va_arg(ap, const char *); word != NULL && argc < 29;
         word = va_arg(ap, const char *)) {
        argv[argc++] = (char *)word;
    }
    va_end(ap);
    argv[argc++] = "--state-dir";
    argv[argc++] = f->dir;
    argv[argc] = NULL;

    char out_path[128];
    char err_path[128];
    snprintf(out_path, sizeof out_path, "%s/stdout", f->dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", f->dir);
    int out_fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int err_fd = open(err_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO);
    int saved_err = dup(STDERR_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    int status = sim_cmd_hub_enrollment(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    slurp(out_fd, f->out, sizeof f->out);
    slurp(err_fd, f->err, sizeof f->err);
    cJSON_Delete(f->json);
    f->json = cJSON_Parse(f->out);
    return status;
}

static const char *str(const cJSON *object, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static struct hub_enrollments *open_db(struct fixture *f) {
    char path[PATH_MAX];
    char err[256];
    struct hub_enrollments *e = NULL;
    snprintf(path, sizeof path, "%s/hub.db", f->dir);
    assert_int_equal(hub_enrollments_open(path, &e, err, sizeof err), HUB_ENROLLMENT_OK);
    return e;
}

static void test_cli_enrollment_add_symmetric_prints_dps_json_and_stores_it(void **state) {
    struct fixture *f = *state;
    assert_int_equal(run(f, "enrollment", "add", "dev-1", "--symmetric-key", NULL), 0);
    assert_non_null(f->json);
    assert_string_equal(str(f->json, "registrationId"), "dev-1");
    assert_string_equal(str(f->json, "provisioningStatus"), "enabled");
    const cJSON *attestation = cJSON_GetObjectItem(f->json, "attestation");
    assert_string_equal(str(attestation, "type"), "symmetricKey");
    const char *key = str(cJSON_GetObjectItem(attestation, "symmetricKey"), "primaryKey");
    assert_true(hub_enrollment_key_is_valid(key));

    struct hub_enrollments *e = open_db(f);
    struct hub_enrollment got;
    assert_int_equal(hub_enrollment_get(e, HUB_ENROLLMENT_INDIVIDUAL, "dev-1", &got),
                     HUB_ENROLLMENT_OK);
    assert_string_equal(got.primary_key, key);
    hub_enrollments_close(e);
}

static void test_cli_enrollment_group_add_list_disable_remove(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        run(f, "enrollment", "group", "add", "kits", "--symmetric-key", "--key", GROUP_KEY, NULL),
        0);
    assert_string_equal(str(f->json, "enrollmentGroupId"), "kits");
    assert_int_equal(run(f, "enrollment", "add", "cert-dev", "--x509", "--disabled", NULL), 0);
    assert_string_equal(str(f->json, "provisioningStatus"), "disabled");

    assert_int_equal(run(f, "enrollment", "list", NULL), 0);
    const cJSON *individual = cJSON_GetObjectItem(f->json, "individualEnrollments");
    const cJSON *groups = cJSON_GetObjectItem(f->json, "enrollmentGroups");
    assert_int_equal(cJSON_GetArraySize(individual), 1);
    assert_int_equal(cJSON_GetArraySize(groups), 1);
    assert_string_equal(str(cJSON_GetArrayItem(groups, 0), "enrollmentGroupId"), "kits");

    assert_int_equal(run(f, "enrollment", "group", "disable", "kits", NULL), 0);
    assert_string_equal(str(f->json, "provisioningStatus"), "disabled");
    assert_int_equal(run(f, "enrollment", "enable", "cert-dev", NULL), 0);
    assert_string_equal(str(f->json, "provisioningStatus"), "enabled");
    assert_int_equal(run(f, "enrollment", "group", "list", NULL), 0);
    assert_null(cJSON_GetObjectItem(f->json, "individualEnrollments"));

    assert_int_equal(run(f, "enrollment", "remove", "cert-dev", NULL), 0);
    assert_string_equal(str(f->json, "registrationId"), "cert-dev");
    assert_int_equal(run(f, "enrollment", "remove", "cert-dev", NULL), 1);
    assert_non_null(strstr(f->err, "spheresim: hub enrollment remove: "));
    assert_non_null(strstr(f->err, "not found"));
    assert_int_equal(run(f, "enrollment", "group", "remove", "kits", NULL), 0);
    assert_int_equal(run(f, "enrollment", "list", NULL), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f->json, "enrollmentGroups")), 0);
}

static void test_cli_enrollment_errors_are_one_line(void **state) {
    struct fixture *f = *state;
    assert_int_equal(run(f, "enrollment", "add", "dev", NULL), 2);
    assert_non_null(strstr(f->err, "--x509 or --symmetric-key"));
    assert_int_equal(run(f, "enrollment", "add", "dev", "--x509", "--key", GROUP_KEY, NULL), 2);
    assert_int_equal(run(f, "enrollment", "add", "bad/id", "--x509", NULL), 2);
    assert_int_equal(run(f, "enrollment", "add", "dev", "--x509", "--symmetric-key", NULL), 2);
    assert_int_equal(run(f, "enrollment", "frobnicate", NULL), 2);
    assert_int_equal(run(f, "enrollment", "list", "--bogus", NULL), 2);
    assert_int_equal(run(f, "enrollment", "add", "dev", "--symmetric-key", "--key", "short", NULL),
                     1);
    assert_int_equal(run(f, "enrollment", "add", "dev", "--x509", NULL), 0);
    assert_int_equal(run(f, "enrollment", "add", "dev", "--x509", NULL), 1);
    assert_non_null(strstr(f->err, "already exists"));
    assert_null(strchr(strchr(f->err, '\n') + 1, '\n'));  // one line
    assert_int_equal(run(f, "dps", "nothing", NULL), 2);
    char *argv[] = {"twin", NULL};
    assert_int_equal(sim_cmd_hub_enrollment(1, argv), -1);
}

static void test_cli_dps_key_derives_from_group(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        run(f, "enrollment", "group", "add", "kits", "--symmetric-key", "--key", GROUP_KEY, NULL),
        0);
    assert_int_equal(run(f, "dps", "key", "kits", "device-01", NULL), 0);
    assert_string_equal(str(f->json, "primaryKey"), DEVICE_01_KEY);
    assert_string_equal(str(f->json, "secondaryKey"), DEVICE_01_KEY);
    assert_string_equal(str(f->json, "registrationId"), "device-01");
    assert_int_equal(run(f, "dps", "key", "any", "device-01", "--key", GROUP_KEY, NULL), 0);
    assert_string_equal(str(f->json, "primaryKey"), DEVICE_01_KEY);
    assert_int_equal(run(f, "dps", "key", "missing", "device-01", NULL), 1);
    assert_int_equal(run(f, "enrollment", "group", "add", "certs", "--x509", NULL), 0);
    assert_int_equal(run(f, "dps", "key", "certs", "device-01", NULL), 1);
}

// Runs DPS's CONNECT check with what `dps sas-token` printed.
static enum hub_result connect_with_output(struct fixture *f, const char *id) {
    struct hub_enrollments *e = open_db(f);
    struct hub_dps_connect_request request = {
        .client_id = id,
        .username = str(f->json, "username"),
        .password = str(f->json, "sasToken"),
        .id_scope = HUB_DPS_DEFAULT_ID_SCOPE,
        .now = (long long)time(NULL),
    };
    struct hub_dps_identity identity;
    char reason[256];
    enum hub_result result = hub_dps_auth_connect(e, &request, &identity, reason, sizeof reason);
    hub_enrollments_close(e);
    return result;
}

static void test_cli_dps_sas_token_passes_dps_connect(void **state) {
    struct fixture *f = *state;
    assert_int_equal(run(f, "enrollment", "add", "sym-dev", "--symmetric-key", NULL), 0);
    assert_int_equal(run(f, "dps", "sas-token", "sym-dev", NULL), 0);
    assert_string_equal(str(f->json, "idScope"), HUB_DPS_DEFAULT_ID_SCOPE);
    assert_string_equal(str(f->json, "provisioningHost"), HUB_DPS_GLOBAL_HOST);
    assert_string_equal(str(f->json, "username"), HUB_DPS_DEFAULT_ID_SCOPE
                        "/registrations/sym-dev/api-version=" HUB_DPS_API_VERSION);
    assert_non_null(strstr(str(f->json, "sasToken"), "&skn=registration"));
    assert_int_equal(connect_with_output(f, "sym-dev"), HUB_OK);

    // A group member: the derived key from `dps key` signs its token.
    assert_int_equal(
        run(f, "enrollment", "group", "add", "kits", "--symmetric-key", "--key", GROUP_KEY, NULL),
        0);
    assert_int_equal(run(f, "dps", "sas-token", "device-01", "--key", DEVICE_01_KEY,
                         "--expiry-seconds", "60", NULL),
                     0);
    assert_int_equal(connect_with_output(f, "device-01"), HUB_OK);

    assert_int_equal(run(f, "dps", "sas-token", "device-01", NULL), 1);
    assert_non_null(strstr(f->err, "--key"));
    assert_int_equal(run(f, "dps", "sas-token", "device-01", "--key", "%%%", NULL), 1);
    assert_int_equal(run(f, "dps", "sas-token", "device-01", "--expiry-seconds", "0", NULL), 2);
}

static void test_cli_enrollment_without_a_hub_fails_and_creates_nothing(void **state) {
    struct fixture *f = *state;
    char path[PATH_MAX];
    const char *files[] = {HUB_STORE_FILE, HUB_STORE_FILE "-wal", HUB_STORE_FILE "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, files[i]);
        unlink(path);
    }
    assert_int_equal(run(f, "enrollment", "list", NULL), 1);
    assert_non_null(strstr(f->err, "holds no hub"));
    assert_non_null(strstr(f->err, f->dir));
    assert_int_equal(run(f, "enrollment", "add", "dev", "--x509", NULL), 1);
    assert_int_equal(run(f, "dps", "key", "kits", "device-01", NULL), 1);
    snprintf(path, sizeof path, "%s/" HUB_STORE_FILE, f->dir);
    assert_int_equal(access(path, F_OK), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_cli_enrollment_add_symmetric_prints_dps_json_and_stores_it),
        T(test_cli_enrollment_group_add_list_disable_remove),
        T(test_cli_enrollment_errors_are_one_line),
        T(test_cli_dps_key_derives_from_group),
        T(test_cli_dps_sas_token_passes_dps_connect),
        T(test_cli_enrollment_without_a_hub_fails_and_creates_nothing),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
