// SPDX-License-Identifier: MIT
// The update service's API without HTTP: who may call what, what a deployment records, which
// deployment a device's check is offered (target, group, component, newest, OS first), the
// event upload's offsets, results, reports, and state that survives reopening the store.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_test_util.h"
#include "update/update_api.h"

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define BEARER "Bearer " TOKEN
#define DEV_A "aaaa1111"
#define DEV_B "bbbb2222"

struct fixture {
    char root[PATH_MAX];
    char state[PATH_MAX];
    char app[PATH_MAX];
    char tenant[PATH_MAX];
    char key[PATH_MAX];
    char pub[PATH_MAX];
    uint8_t *pub_pem;
    size_t pub_len;
    struct update_store store;
    struct update_service service;
    int uploads;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof(*f));
    itu_temp_dir(f->root);
    itu_path(f->state, f->root, "state");
    itu_path(f->app, f->root, "app");
    itu_path(f->tenant, f->root, "tenant");
    itu_make_app(f->app);
    itu_make_key(f->tenant, f->key, f->pub, &f->pub_pem, &f->pub_len);
    char err[512];
    assert_int_equal(update_store_open(&f->store, f->state, err, sizeof(err)), UPDATE_STORE_OK);
    f->service.store = &f->store;
    snprintf(f->service.token, sizeof(f->service.token), "%s", TOKEN);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    itu_remove(f->root);
    free(f->pub_pem);
    free(f);
    return 0;
}

static struct update_response call(struct fixture *f, struct update_request req) {
    struct update_response out;
    update_api_handle(&f->service, &req, &out);
    return out;
}

static cJSON *body_json(const struct update_response *r) {
    assert_non_null(r->body);
    cJSON *root = cJSON_Parse(r->body);
    assert_non_null(root);
    return root;
}

// Writes a package of the fixture's app at version to a fresh upload file.
static void app_upload(struct fixture *f, const char *version, char *out_path) {
    char name[32];
    snprintf(name, sizeof(name), "upload-%d", f->uploads++);
    itu_path(out_path, f->root, name);
    size_t len = 0;
    free(itu_pack(f->app, version, f->key, out_path, &len));
}

static void os_upload(struct fixture *f, uint32_t major, char *out_path) {
    struct sim_image_metadata meta = {.type = SIM_IMAGE_TYPE_OS, .version = {major, 0, 0}};
    snprintf(meta.component_id, sizeof(meta.component_id), "%s", SIM_IMAGE_OS_COMPONENT_ID);
    snprintf(meta.name, sizeof(meta.name), "spheresim-os");
    const struct itu_file files[] = {{"release.txt", 0100644, "os"}};
    size_t len = 0;
    uint8_t *pkg = itu_raw_package(files, 1, &meta, &len);
    char name[32];
    snprintf(name, sizeof(name), "upload-%d", f->uploads++);
    itu_path(out_path, f->root, name);
    itu_write(f->root, name, pkg, len, 0644);
    free(pkg);
}

static long long deploy(struct fixture *f, const char *upload, const char *device,
                        const char *group) {
    struct update_response r = call(f, (struct update_request){.method = "POST",
                                                               .path = "/update/v1/deployments",
                                                               .device_param = device,
                                                               .group_param = group,
                                                               .authorization = BEARER,
                                                               .upload_path = upload});
    if (r.status != 201) {
        fail_msg("deploy: %d %s", r.status, r.body != NULL ? r.body : "");
    }
    cJSON *root = body_json(&r);
    long long id = (long long)cJSON_GetObjectItem(root, "id")->valuedouble;
    cJSON_Delete(root);
    update_api_response_free(&r);
    return id;
}

// The device's check with app version and OS version; returns the offered deployment or 0.
static long long check(struct fixture *f, const char *device, const char *component,
                       const char *app_version, const char *os_version, char *out_type) {
    char body[512];
    snprintf(body, sizeof(body),
             "{\"app\":{\"component_id\":\"%s\",\"version\":\"%s\"},\"os\":{\"version\":\"%s\"}}",
             component, app_version, os_version);
    char path[128];
    snprintf(path, sizeof(path), "/update/v1/devices/%s/check", device);
    struct update_response r = call(f, (struct update_request){.method = "POST",
                                                               .path = path,
                                                               .peer_device = device,
                                                               .body = body,
                                                               .body_len = strlen(body)});
    assert_int_equal(r.status, 200);
    cJSON *root = body_json(&r);
    const cJSON *update = cJSON_GetObjectItem(root, "update");
    long long id = 0;
    if (cJSON_IsObject(update)) {
        id = (long long)cJSON_GetObjectItem(update, "deployment")->valuedouble;
        if (out_type != NULL) {
            snprintf(out_type, 8, "%s", cJSON_GetObjectItem(update, "type")->valuestring);
        }
        assert_non_null(strstr(cJSON_GetObjectItem(update, "url")->valuestring, "/content"));
    } else {
        assert_true(cJSON_IsNull(update));
    }
    cJSON_Delete(root);
    update_api_response_free(&r);
    return id;
}

static void test_api_health_without_credentials_204(void **state) {
    struct fixture *f = *state;
    struct update_response r =
        call(f, (struct update_request){.method = "GET", .path = "/update/v1/health"});
    assert_int_equal(r.status, 204);
    update_api_response_free(&r);
}

static void test_api_admin_request_bad_token_401(void **state) {
    struct fixture *f = *state;
    const char *tokens[] = {NULL, "Bearer nope", "Bearer " TOKEN "0", "Basic " TOKEN};
    for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
        struct update_response r = call(
            f, (struct update_request){
                   .method = "GET", .path = "/update/v1/deployments", .authorization = tokens[i]});
        assert_int_equal(r.status, 401);
        update_api_response_free(&r);
    }
}

static void test_api_deploy_to_device_offered_until_installed(void **state) {
    struct fixture *f = *state;
    char upload[PATH_MAX];
    app_upload(f, "2.0.0", upload);
    long long id = deploy(f, upload, DEV_A, NULL);
    assert_int_equal(access(upload, F_OK), -1);  // moved into the store
    assert_int_equal(check(f, DEV_A, ITU_COMPONENT_ID, "1.0.0", "1.0.0", NULL), id);
    assert_int_equal(check(f, DEV_A, ITU_COMPONENT_ID, "2.0.0", "1.0.0", NULL), 0);
    assert_int_equal(check(f, DEV_B, ITU_COMPONENT_ID, "1.0.0", "1.0.0", NULL), 0);
    // Another component is never offered this one's package.
    assert_int_equal(
        check(f, DEV_A, "11111111-2222-3333-4444-555555555555", "0.0.0", "1.0.0", NULL), 0);
}

static void test_api_deploy_bad_target_400(void **state) {
    struct fixture *f = *state;
    char upload[PATH_MAX];
    app_upload(f, "2.0.0", upload);
    const struct {
        const char *device;
        const char *group;
    } cases[] = {{NULL, NULL}, {DEV_A, "g"}, {"bad/id", NULL}, {NULL, "no space"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct update_response r = call(f, (struct update_request){.method = "POST",
                                                                   .path = "/update/v1/deployments",
                                                                   .device_param = cases[i].device,
                                                                   .group_param = cases[i].group,
                                                                   .authorization = BEARER,
                                                                   .upload_path = upload});
        assert_int_equal(r.status, 400);
        update_api_response_free(&r);
    }
}

static void test_api_deploy_not_a_package_400_truncated_accepted_with_warning(void **state) {
    struct fixture *f = *state;
    itu_write(f->root, "junk", "hello", 5, 0644);
    char junk[PATH_MAX];
    itu_path(junk, f->root, "junk");
    struct update_response r = call(f, (struct update_request){.method = "POST",
                                                               .path = "/update/v1/deployments",
                                                               .device_param = DEV_A,
                                                               .authorization = BEARER,
                                                               .upload_path = junk});
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "not an image package"));
    update_api_response_free(&r);

    char upload[PATH_MAX];
    app_upload(f, "2.0.0", upload);
    assert_int_equal(truncate(upload, 600), 0);
    r = call(f, (struct update_request){.method = "POST",
                                        .path = "/update/v1/deployments",
                                        .device_param = DEV_A,
                                        .authorization = BEARER,
                                        .upload_path = upload});
    assert_int_equal(r.status, 201);
    cJSON *root = body_json(&r);
    assert_non_null(strstr(cJSON_GetObjectItem(root, "warning")->valuestring, "truncated"));
    assert_int_equal(cJSON_GetObjectItem(root, "size")->valuedouble, 600);
    cJSON_Delete(root);
    update_api_response_free(&r);
}

static void test_api_group_member_gets_group_deployment(void **state) {
    struct fixture *f = *state;
    char upload[PATH_MAX];
    app_upload(f, "3.0.0", upload);
    long long id = deploy(f, upload, NULL, "field");
    assert_int_equal(check(f, DEV_A, ITU_COMPONENT_ID, "1.0.0", "1.0.0", NULL), 0);
    struct update_response r =
        call(f, (struct update_request){.method = "PUT",
                                        .path = "/update/v1/groups/field/devices/AAAA1111",
                                        .authorization = BEARER});
    assert_int_equal(r.status, 204);
    update_api_response_free(&r);
    assert_int_equal(check(f, DEV_A, ITU_COMPONENT_ID, "1.0.0", "1.0.0", NULL), id);
    r = call(f, (struct update_request){.method = "DELETE",
                                        .path = "/update/v1/groups/field/devices/" DEV_A,
                                        .authorization = BEARER});
    assert_int_equal(r.status, 204);
    update_api_response_free(&r);
    assert_int_equal(check(f, DEV_A, ITU_COMPONENT_ID, "1.0.0", "1.0.0", NULL), 0);
    r = call(f, (struct update_request){.method = "DELETE",
                                        .path = "/update/v1/groups/field/devices/" DEV_A,
                                        .authorization = BEARER});
    assert_int_equal(r.status, 404);
    update_api_response_free(&r);
}

static void test_api_check_offers_os_first_then_latest_app_deployment(void **state) {
    struct fixture *f = *state;
    char upload[PATH_MAX];
    app_upload(f, "2.0.0", upload);
    deploy(f, upload, DEV_A, NULL);
    app_upload(f, "2.5.0", upload);
    deploy(f, upload, DEV_A, NULL);
    app_upload(f, "2.1.0", upload);
    long long latest = deploy(f, upload, NULL, "lab");
    char err[256];
    assert_int_equal(update_store_set_group(&f->store, DEV_A, "lab", err, sizeof(err)),
                     UPDATE_STORE_OK);
    os_upload(f, 7, upload);
    long long os = deploy(f, upload, DEV_A, NULL);
    char type[8] = "";
    assert_int_equal(check(f, DEV_A, ITU_COMPONENT_ID, "1.0.0", "1.0.0", type), os);
    assert_string_equal(type, "os");
    // The latest deployment, through the device's group, is what it should run...
    assert_int_equal(check(f, DEV_A, ITU_COMPONENT_ID, "1.0.0", "7.0.0", type), latest);
    assert_string_equal(type, "app");
    // ...even when it runs something newer (its anti-rollback check refuses that), but not
    // when it runs that very version.
    assert_int_equal(check(f, DEV_A, ITU_COMPONENT_ID, "2.5.0", "7.0.0", NULL), latest);
    assert_int_equal(check(f, DEV_A, ITU_COMPONENT_ID, "2.1.0", "7.0.0", NULL), 0);
}

static struct update_response check_raw(struct fixture *f, const char *body) {
    return call(f, (struct update_request){.method = "POST",
                                           .path = "/update/v1/devices/" DEV_A "/check",
                                           .peer_device = DEV_A,
                                           .body = body,
                                           .body_len = strlen(body)});
}

static void test_api_check_skips_refused_packages_and_versions(void **state) {
    struct fixture *f = *state;
    char upload[PATH_MAX];
    app_upload(f, "2.0.0", upload);
    long long first = deploy(f, upload, DEV_A, NULL);
    app_upload(f, "3.0.0", upload);
    deploy(f, upload, DEV_A, NULL);
    char body[1024];
    // The latest refused by its hash: the one before it is offered.
    snprintf(body, sizeof(body),
             "{\"app\":{\"component_id\":\"%s\",\"version\":\"1.0.0\"},\"os\":{\"version\":"
             "\"1.0.0\"},\"refused_packages\":[\"%s\"]}",
             ITU_COMPONENT_ID, f->store.deployments[1].sha256);
    struct update_response r = check_raw(f, body);
    assert_int_equal(r.status, 200);
    cJSON *root = body_json(&r);
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(root, "update"), "deployment")->valuedouble, first);
    cJSON_Delete(root);
    update_api_response_free(&r);
    // Both refused, the second by its version (a rollback): nothing.
    snprintf(body, sizeof(body),
             "{\"app\":{\"component_id\":\"%s\",\"version\":\"1.0.0\"},\"os\":{\"version\":"
             "\"1.0.0\"},\"refused_packages\":[\"%s\"],\"refused_versions\":[{\"component_id\":"
             "\"%s\",\"version\":\"3.0.0\"}]}",
             ITU_COMPONENT_ID, f->store.deployments[0].sha256, ITU_COMPONENT_ID);
    r = check_raw(f, body);
    assert_int_equal(r.status, 200);
    root = body_json(&r);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(root, "update")));
    cJSON_Delete(root);
    update_api_response_free(&r);
    // Malformed refusals are refused.
    r = check_raw(f, "{\"app\":{\"component_id\":\"" ITU_COMPONENT_ID
                     "\",\"version\":\"1.0.0\"},\"os\":{\"version\":\"1.0.0\"},"
                     "\"refused_packages\":[\"abc\"]}");
    assert_int_equal(r.status, 400);
    update_api_response_free(&r);
}

static void test_api_device_request_needs_own_certificate_403(void **state) {
    struct fixture *f = *state;
    const char *body = "{\"app\":{\"component_id\":\"" ITU_COMPONENT_ID
                       "\",\"version\":\"1.0.0\"},\"os\":{\"version\":\"1.0.0\"}}";
    const char *peers[] = {NULL, DEV_B};
    for (size_t i = 0; i < 2; i++) {
        struct update_response r =
            call(f, (struct update_request){.method = "POST",
                                            .path = "/update/v1/devices/" DEV_A "/check",
                                            .peer_device = peers[i],
                                            .authorization = BEARER,
                                            .body = body,
                                            .body_len = strlen(body)});
        assert_int_equal(r.status, 403);
        update_api_response_free(&r);
    }
}

static void test_api_check_bad_body_400(void **state) {
    struct fixture *f = *state;
    const char *bodies[] = {"", "{}",
                            "{\"app\":{\"component_id\":\"x\",\"version\":\"1.0.0\"},"
                            "\"os\":{\"version\":\"1.0.0\"}}",
                            "{\"app\":{\"component_id\":\"" ITU_COMPONENT_ID
                            "\",\"version\":\"1.0\"},\"os\":{\"version\":\"1.0.0\"}}"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct update_response r =
            call(f, (struct update_request){.method = "POST",
                                            .path = "/update/v1/devices/" DEV_A "/check",
                                            .peer_device = DEV_A,
                                            .body = bodies[i],
                                            .body_len = strlen(bodies[i])});
        assert_int_equal(r.status, 400);
        update_api_response_free(&r);
    }
}

static void test_api_content_only_for_targeted_device(void **state) {
    struct fixture *f = *state;
    char upload[PATH_MAX];
    app_upload(f, "2.0.0", upload);
    long long id = deploy(f, upload, DEV_A, NULL);
    char path[96];
    snprintf(path, sizeof(path), "/update/v1/deployments/%lld/content", id);
    struct update_response r =
        call(f, (struct update_request){.method = "GET", .path = path, .peer_device = DEV_B});
    assert_int_equal(r.status, 403);
    update_api_response_free(&r);
    r = call(f, (struct update_request){.method = "GET", .path = path, .peer_device = DEV_A});
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.file_path, "packages/"));
    assert_int_equal(access(r.file_path, R_OK), 0);
    update_api_response_free(&r);
    r = call(
        f, (struct update_request){
               .method = "GET", .path = "/update/v1/deployments/99/content", .peer_device = DEV_A});
    assert_int_equal(r.status, 404);
    update_api_response_free(&r);
}

static long long upload_events(struct fixture *f, const char *offset, const char *data,
                               int expect_status) {
    struct update_response r =
        call(f, (struct update_request){.method = "POST",
                                        .path = "/update/v1/devices/" DEV_A "/events",
                                        .peer_device = DEV_A,
                                        .offset_param = offset,
                                        .body = data,
                                        .body_len = strlen(data)});
    assert_int_equal(r.status, expect_status);
    cJSON *root = body_json(&r);
    long long received = (long long)cJSON_GetObjectItem(root, "received")->valuedouble;
    cJSON_Delete(root);
    update_api_response_free(&r);
    return received;
}

#define EVENT(desc)                                                                    \
    "{\"time\":\"2026-01-01T00:00:00.000Z\",\"time_ms\":1767225600000,\"event_type\":" \
    "\"Unplanned\",\"event_class\":\"Application\",\"description\":\"" desc "\"}\n"

static void test_api_events_offsets_append_skip_and_conflict(void **state) {
    struct fixture *f = *state;
    const char *first = EVENT("AppExit (exit_code=1)");
    const char *second = EVENT("AppExit (exit_code=2)");
    long long n1 = (long long)strlen(first);
    assert_int_equal(upload_events(f, "0", first, 200), n1);
    // The same bytes again (a lost answer) change nothing; then the next ones append.
    assert_int_equal(upload_events(f, "0", first, 200), n1);
    char offset[32];
    snprintf(offset, sizeof(offset), "%lld", n1);
    assert_int_equal(upload_events(f, offset, second, 200), n1 + (long long)strlen(second));
    // Ahead of what the service has: 409 with the service's count.
    assert_int_equal(upload_events(f, "100000", first, 409), n1 + (long long)strlen(second));
    struct update_response r =
        call(f, (struct update_request){.method = "GET",
                                        .path = "/update/v1/devices/" DEV_A "/events",
                                        .authorization = BEARER});
    assert_int_equal(r.status, 200);
    size_t len = 0;
    uint8_t *stored = itu_read(r.file_path, &len);
    assert_int_equal(len, strlen(first) + strlen(second));
    assert_memory_equal(stored, first, strlen(first));
    free(stored);
    update_api_response_free(&r);
    // Without ?offset the upload is refused.
    r = call(f, (struct update_request){.method = "POST",
                                        .path = "/update/v1/devices/" DEV_A "/events",
                                        .peer_device = DEV_A,
                                        .body = first,
                                        .body_len = strlen(first)});
    assert_int_equal(r.status, 400);
    update_api_response_free(&r);
}

static void test_api_events_torn_lines_dropped_and_report_aggregates(void **state) {
    struct fixture *f = *state;
    const char *data = EVENT("AppExit (exit_code=3)") "{\"torn\n" EVENT("AppExit (exit_code=3)");
    upload_events(f, "0", data, 200);
    struct update_response r =
        call(f, (struct update_request){.method = "GET",
                                        .path = "/update/v1/devices/" DEV_A "/report",
                                        .authorization = BEARER});
    assert_int_equal(r.status, 200);
    cJSON *root = body_json(&r);
    assert_int_equal(cJSON_GetArraySize(root), 1);
    const cJSON *row = cJSON_GetArrayItem(root, 0);
    assert_int_equal(cJSON_GetObjectItem(row, "eventCount")->valuedouble, 2);
    cJSON_Delete(root);
    update_api_response_free(&r);
}

static void test_api_status_recorded_and_listed(void **state) {
    struct fixture *f = *state;
    check(f, DEV_A, ITU_COMPONENT_ID, "1.0.0", "1.0.0", NULL);
    const char *good =
        "{\"deployment\":4,\"state\":\"rolled-back\",\"version\":\"2.0.0\","
        "\"reason\":\"exited 3 times\"}";
    const char *bad =
        "{\"deployment\":4,\"state\":\"exploded\",\"version\":\"2.0.0\","
        "\"reason\":\"\"}";
    struct update_response r =
        call(f, (struct update_request){.method = "POST",
                                        .path = "/update/v1/devices/" DEV_A "/status",
                                        .peer_device = DEV_A,
                                        .body = bad,
                                        .body_len = strlen(bad)});
    assert_int_equal(r.status, 400);
    update_api_response_free(&r);
    r = call(f, (struct update_request){.method = "POST",
                                        .path = "/update/v1/devices/" DEV_A "/status",
                                        .peer_device = DEV_A,
                                        .body = good,
                                        .body_len = strlen(good)});
    assert_int_equal(r.status, 204);
    update_api_response_free(&r);
    r = call(f, (struct update_request){
                    .method = "GET", .path = "/update/v1/devices", .authorization = BEARER});
    assert_int_equal(r.status, 200);
    cJSON *root = body_json(&r);
    const cJSON *device = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "devices"), 0);
    assert_string_equal(cJSON_GetObjectItem(device, "device_id")->valuestring, DEV_A);
    const cJSON *last = cJSON_GetObjectItem(device, "last_result");
    assert_string_equal(cJSON_GetObjectItem(last, "state")->valuestring, "rolled-back");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(device, "app"), "version")->valuestring, "1.0.0");
    cJSON_Delete(root);
    update_api_response_free(&r);
}

static void test_api_state_survives_reopen(void **state) {
    struct fixture *f = *state;
    char upload[PATH_MAX];
    app_upload(f, "2.0.0", upload);
    long long id = deploy(f, upload, NULL, "lab");
    char err[512];
    assert_int_equal(update_store_set_group(&f->store, DEV_B, "lab", err, sizeof(err)),
                     UPDATE_STORE_OK);
    static struct update_store reopened;
    assert_int_equal(update_store_open(&reopened, f->state, err, sizeof(err)), UPDATE_STORE_OK);
    f->service.store = &reopened;
    assert_int_equal(reopened.deployment_count, 1);
    assert_string_equal(update_store_group_of(&reopened, DEV_B), "lab");
    assert_int_equal(check(f, DEV_B, ITU_COMPONENT_ID, "1.0.0", "1.0.0", NULL), id);
    // A damaged state file is refused with its name, not half-loaded.
    itu_write(f->state, "deployments.json", "[{\"id\":1}]", 10, 0600);
    assert_int_equal(update_store_open(&reopened, f->state, err, sizeof(err)),
                     UPDATE_STORE_ERR_INVALID);
    assert_non_null(strstr(err, "deployments.json"));
}

static void test_api_unknown_paths_404(void **state) {
    struct fixture *f = *state;
    const char *paths[] = {"/", "/update/v1/", "/update/v1/nothing", "/update/v2/deployments",
                           "/update/v1/devices/" DEV_A "/a/b/c"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct update_response r = call(
            f, (struct update_request){.method = "GET", .path = paths[i], .authorization = BEARER});
        assert_int_equal(r.status, 404);
        update_api_response_free(&r);
    }
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_api_health_without_credentials_204),
        T(test_api_admin_request_bad_token_401),
        T(test_api_deploy_to_device_offered_until_installed),
        T(test_api_deploy_bad_target_400),
        T(test_api_deploy_not_a_package_400_truncated_accepted_with_warning),
        T(test_api_group_member_gets_group_deployment),
        T(test_api_check_offers_os_first_then_latest_app_deployment),
        T(test_api_check_skips_refused_packages_and_versions),
        T(test_api_device_request_needs_own_certificate_403),
        T(test_api_check_bad_body_400),
        T(test_api_content_only_for_targeted_device),
        T(test_api_events_offsets_append_skip_and_conflict),
        T(test_api_events_torn_lines_dropped_and_report_aggregates),
        T(test_api_status_recorded_and_listed),
        T(test_api_state_survives_reopen),
        T(test_api_unknown_paths_404),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
