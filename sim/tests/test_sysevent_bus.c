// SPDX-License-Identifier: MIT
// System events end to end: registration through the bus (EACCES without
// SystemEventNotifications, one registration per app), delivery through the app's event loop
// with the update data, and the errno rules of GetUpdateData, Defer and Resume.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <applibs/eventloop.h>
#include <applibs/sysevent.h>

#include "os/sysevent_service.h"
#include "os_harness.h"

static const char manifest[] =
    "{\"SchemaVersion\":1,\"Name\":\"sysevent-test\","
    "\"ComponentId\":\"cccccccc-2222-3333-4444-555555555555\",\"EntryPoint\":\"/bin/app\","
    "\"Capabilities\":{\"SystemEventNotifications\":true},\"ApplicationType\":\"Default\"}";

static struct sim_device *device;

struct seen {
    int calls;
    SysEvent_Events event;
    SysEvent_Status status;
    int get_data_result;
    int get_data_errno;
    SysEvent_Info_UpdateData data;
};

static void on_event(SysEvent_Events event, SysEvent_Status state, const SysEvent_Info *info,
                     void *context) {
    struct seen *seen = context;
    seen->calls++;
    seen->event = event;
    seen->status = state;
    errno = 0;
    seen->get_data_result = SysEvent_Info_GetUpdateData(info, &seen->data);
    seen->get_data_errno = errno;
}

static int set_up(void **state) {
    device = os_harness_start(manifest);
    return 0;
}

static int tear_down(void **state) {
    os_harness_stop();
    return 0;
}

static void test_SysEvent_Register_event_delivered_through_event_loop(void **state) {
    EventLoop *loop = EventLoop_Create();
    struct seen seen = {0};
    EventRegistration *reg = SysEvent_RegisterForEventNotifications(
        loop, SysEvent_Events_UpdateReadyForInstall | SysEvent_Events_NoUpdateAvailable, on_event,
        &seen);
    assert_non_null(reg);

    // A second registration while the first is active is refused.
    errno = 0;
    assert_null(SysEvent_RegisterForEventNotifications(loop, SysEvent_Events_UpdateStarted,
                                                       on_event, &seen));
    assert_int_equal(errno, EBUSY);

    struct sim_sysevent pending = {.event = SysEvent_Events_UpdateReadyForInstall,
                                   .status = SysEvent_Status_Pending,
                                   .update_type = SysEvent_UpdateType_App,
                                   .max_deferral_minutes = 60};
    assert_true(sim_sysevent_deliver(device, &pending));
    assert_int_equal(EventLoop_Run(loop, 5000, true), EventLoop_Run_Finished);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.event, SysEvent_Events_UpdateReadyForInstall);
    assert_int_equal(seen.status, SysEvent_Status_Pending);
    assert_int_equal(seen.get_data_result, 0);
    assert_int_equal(seen.data.max_deferral_time_in_minutes, 60);
    assert_int_equal(seen.data.update_type, SysEvent_UpdateType_App);

    // Update data exists only for UpdateReadyForInstall.
    struct sim_sysevent none = {.event = SysEvent_Events_NoUpdateAvailable,
                                .status = SysEvent_Status_Complete};
    assert_true(sim_sysevent_deliver(device, &none));
    assert_int_equal(EventLoop_Run(loop, 5000, true), EventLoop_Run_Finished);
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.get_data_result, -1);
    assert_int_equal(seen.get_data_errno, EINVAL);

    // Events outside the registered mask are not sent.
    struct sim_sysevent started = {.event = SysEvent_Events_UpdateStarted};
    assert_false(sim_sysevent_deliver(device, &started));

    assert_int_equal(SysEvent_UnregisterForEventNotifications(reg), 0);
    assert_false(sim_sysevent_deliver(device, &pending));
    // After unregistering, registering again works.
    reg = SysEvent_RegisterForEventNotifications(loop, SysEvent_Events_Mask, on_event, &seen);
    assert_non_null(reg);
    assert_int_equal(SysEvent_UnregisterForEventNotifications(reg), 0);
    EventLoop_Close(loop);
}

static void test_SysEvent_Register_bad_arguments_fail(void **state) {
    EventLoop *loop = EventLoop_Create();
    errno = 0;
    assert_null(SysEvent_RegisterForEventNotifications(NULL, SysEvent_Events_Mask, on_event, NULL));
    assert_int_equal(errno, EFAULT);
    errno = 0;
    assert_null(SysEvent_RegisterForEventNotifications(loop, SysEvent_Events_Mask, NULL, NULL));
    assert_int_equal(errno, EFAULT);
    errno = 0;
    assert_null(SysEvent_RegisterForEventNotifications(loop, 0x80, on_event, NULL));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(SysEvent_Info_GetUpdateData(NULL, NULL), -1);
    assert_int_equal(errno, EFAULT);
    EventLoop_Close(loop);
}

static void test_SysEvent_Register_without_capability_fails_EACCES(void **state) {
    EventLoop *loop = EventLoop_Create();
    device->manifest.caps.system_event_notifications = false;
    errno = 0;
    assert_null(SysEvent_RegisterForEventNotifications(loop, SysEvent_Events_Mask, on_event, NULL));
    assert_int_equal(errno, EACCES);
    device->manifest.caps.system_event_notifications = true;
    EventLoop_Close(loop);
}

static void test_SysEvent_DeferEvent_without_capability_fails_EACCES(void **state) {
    errno = 0;
    assert_int_equal(SysEvent_DeferEvent(SysEvent_Events_UpdateReadyForInstall, 10), -1);
    assert_int_equal(errno, EACCES);
    errno = 0;
    assert_int_equal(SysEvent_ResumeEvent(SysEvent_Events_UpdateReadyForInstall), -1);
    assert_int_equal(errno, EACCES);
}

static void test_SysEvent_DeferEvent_nothing_pending_fails_EINVAL(void **state) {
    device->manifest.caps.software_update_deferral = true;
    errno = 0;
    assert_int_equal(SysEvent_DeferEvent(SysEvent_Events_UpdateReadyForInstall, 10), -1);
    assert_int_equal(errno, EINVAL);
    device->manifest.caps.software_update_deferral = false;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_SysEvent_Register_event_delivered_through_event_loop),
        cmocka_unit_test(test_SysEvent_Register_bad_arguments_fail),
        cmocka_unit_test(test_SysEvent_Register_without_capability_fails_EACCES),
        cmocka_unit_test(test_SysEvent_DeferEvent_without_capability_fails_EACCES),
        cmocka_unit_test(test_SysEvent_DeferEvent_nothing_pending_fails_EINVAL),
    };
    return cmocka_run_group_tests(tests, set_up, tear_down);
}
