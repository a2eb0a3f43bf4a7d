// SPDX-License-Identifier: MIT
// networking.h, powermanagement.h and application.h end to end through the bus: readiness
// follows the OS's network state, configuration calls need their capabilities, power requests
// are checked and recorded for the supervisor, and real-time app connections are refused.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#define NETWORKING_STRUCTS_VERSION 1
#include <applibs/application.h>
#include <applibs/networking.h>
#include <applibs/powermanagement.h>

#include "os_harness.h"

static const char manifest[] =
    "{\"SchemaVersion\":1,\"Name\":\"platform-test\","
    "\"ComponentId\":\"dddddddd-2222-3333-4444-555555555555\",\"EntryPoint\":\"/bin/app\","
    "\"Capabilities\":{\"NetworkConfig\":true,\"PowerControls\":[\"ForceReboot\"],"
    "\"AllowedApplicationConnections\":[\"eeeeeeee-2222-3333-4444-555555555555\"]},"
    "\"ApplicationType\":\"Default\"}";

static struct sim_device *device;

static int set_up(void **state) {
    device = os_harness_start(manifest);
    return 0;
}

static int tear_down(void **state) {
    os_harness_stop();
    return 0;
}

static void test_Networking_IsNetworkingReady_follows_network_state(void **state) {
    bool ready = false;
    assert_int_equal(Networking_IsNetworkingReady(&ready), 0);
    assert_true(ready);
    Networking_InterfaceConnectionStatus status = 0;
    assert_int_equal(Networking_GetInterfaceConnectionStatus("wlan0", &status), 0);
    assert_int_equal(status, Networking_InterfaceConnectionStatus_InterfaceUp |
                                 Networking_InterfaceConnectionStatus_ConnectedToNetwork |
                                 Networking_InterfaceConnectionStatus_IpAvailable |
                                 Networking_InterfaceConnectionStatus_ConnectedToInternet);

    device->network.link_up = false;
    assert_int_equal(Networking_IsNetworkingReady(&ready), 0);
    assert_false(ready);
    assert_int_equal(Networking_GetInterfaceConnectionStatus("wlan0", &status), 0);
    assert_int_equal(status, Networking_InterfaceConnectionStatus_InterfaceUp);
    device->network.link_up = true;

    // Time not synced yet: connected, but not ready.
    device->network.time_synced = false;
    assert_int_equal(Networking_IsNetworkingReady(&ready), 0);
    assert_false(ready);
    device->network.time_synced = true;

    errno = 0;
    assert_int_equal(Networking_IsNetworkingReady(NULL), -1);
    assert_int_equal(errno, EFAULT);
}

static void test_Networking_GetInterfaces_reports_wlan0(void **state) {
    assert_int_equal(Networking_GetInterfaceCount(), 1);
    Networking_NetworkInterface interfaces[2];
    assert_int_equal(Networking_GetInterfaces(interfaces, 2), 1);
    assert_string_equal(interfaces[0].interfaceName, "wlan0");
    assert_true(interfaces[0].isEnabled);
    assert_int_equal(interfaces[0].interfaceMediumType, Networking_InterfaceMedium_Wifi);
    Networking_InterfaceConnectionStatus status;
    errno = 0;
    assert_int_equal(Networking_GetInterfaceConnectionStatus("eth9", &status), -1);
    assert_int_equal(errno, ENOENT);
}

static void test_Networking_SetInterfaceState_disables_and_needs_capability(void **state) {
    bool ready = true;
    assert_int_equal(Networking_SetInterfaceState("wlan0", false), 0);
    assert_int_equal(Networking_IsNetworkingReady(&ready), 0);
    assert_false(ready);
    assert_int_equal(Networking_SetInterfaceState("wlan0", true), 0);
    assert_int_equal(Networking_IsNetworkingReady(&ready), 0);
    assert_true(ready);
    errno = 0;
    assert_int_equal(Networking_SetInterfaceState("eth9", true), -1);
    assert_int_equal(errno, ENOENT);

    device->manifest.caps.network_config = false;
    errno = 0;
    assert_int_equal(Networking_SetInterfaceState("wlan0", false), -1);
    assert_int_equal(errno, EACCES);
    Networking_IpConfig config;
    Networking_IpConfig_Init(&config);
    errno = 0;
    assert_int_equal(Networking_IpConfig_Apply("wlan0", &config), -1);
    assert_int_equal(errno, EACCES);
    Networking_IpConfig_Destroy(&config);
    device->manifest.caps.network_config = true;
}

static void test_Networking_TimeSync_SetEnabled_without_capability_fails_EACCES(void **state) {
    errno = 0;
    assert_int_equal(Networking_TimeSync_SetEnabled(false), -1);
    assert_int_equal(errno, EACCES);
    bool enabled = false;
    assert_int_equal(Networking_TimeSync_GetEnabled(&enabled), 0);
    assert_true(enabled == device->network.time_sync_enabled);
}

static void test_PowerManagement_ForceSystemReboot_granted_is_recorded(void **state) {
    assert_int_equal(PowerManagement_ForceSystemReboot(), 0);
    assert_int_equal(device->power_request, SIM_POWER_REBOOT);
    device->power_request = SIM_POWER_NONE;
}

static void test_PowerManagement_without_capability_fails_EACCES(void **state) {
    errno = 0;
    assert_int_equal(PowerManagement_ForceSystemPowerDown(10), -1);
    assert_int_equal(errno, EACCES);
    errno = 0;
    assert_int_equal(PowerManagement_SetSystemPowerProfile(PowerManagement_PowerSaver), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(device->power_request, SIM_POWER_NONE);
}

static void test_PowerManagement_SetSystemPowerProfile_bad_value_fails_EINVAL(void **state) {
    device->manifest.caps.power_set_profile = true;
    assert_int_equal(PowerManagement_SetSystemPowerProfile(PowerManagement_Balanced), 0);
    assert_int_equal(device->power_profile, PowerManagement_Balanced);
    errno = 0;
    assert_int_equal(PowerManagement_SetSystemPowerProfile(7), -1);
    assert_int_equal(errno, EINVAL);
    device->manifest.caps.power_set_profile = false;
}

static void test_Application_Connect_errors(void **state) {
    errno = 0;
    assert_int_equal(Application_Connect("ffffffff-2222-3333-4444-555555555555"), -1);
    assert_int_equal(errno, EACCES);
    errno = 0;
    assert_int_equal(Application_Connect("eeeeeeee-2222-3333-4444-555555555555"), -1);
    assert_int_equal(errno, ECONNREFUSED);
    errno = 0;
    assert_int_equal(Application_Connect("not-a-guid"), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(Application_Connect(NULL), -1);
    assert_int_equal(errno, EFAULT);
}

static void test_Application_IsDeviceAuthReady_needs_declaration_certificate_network(void **state) {
    bool ready = true;
    device->cert_ready = true;
    assert_int_equal(Application_IsDeviceAuthReady(&ready), 0);
    assert_false(ready);  // no DeviceAuthentication in this manifest
    snprintf(device->manifest.caps.device_authentication,
             sizeof(device->manifest.caps.device_authentication), "%s",
             "00000000-0000-0000-0000-000000000000");
    assert_int_equal(Application_IsDeviceAuthReady(&ready), 0);
    assert_true(ready);
    device->network.link_up = false;
    assert_int_equal(Application_IsDeviceAuthReady(&ready), 0);
    assert_false(ready);
    device->network.link_up = true;
    device->cert_ready = false;
    assert_int_equal(Application_IsDeviceAuthReady(&ready), 0);
    assert_false(ready);
    errno = 0;
    assert_int_equal(Application_IsDeviceAuthReady(NULL), -1);
    assert_int_equal(errno, EFAULT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_Networking_IsNetworkingReady_follows_network_state),
        cmocka_unit_test(test_Networking_GetInterfaces_reports_wlan0),
        cmocka_unit_test(test_Networking_SetInterfaceState_disables_and_needs_capability),
        cmocka_unit_test(test_Networking_TimeSync_SetEnabled_without_capability_fails_EACCES),
        cmocka_unit_test(test_PowerManagement_ForceSystemReboot_granted_is_recorded),
        cmocka_unit_test(test_PowerManagement_without_capability_fails_EACCES),
        cmocka_unit_test(test_PowerManagement_SetSystemPowerProfile_bad_value_fails_EINVAL),
        cmocka_unit_test(test_Application_Connect_errors),
        cmocka_unit_test(test_Application_IsDeviceAuthReady_needs_declaration_certificate_network),
    };
    return cmocka_run_group_tests(tests, set_up, tear_down);
}
