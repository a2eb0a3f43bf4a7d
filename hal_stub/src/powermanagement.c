// SPDX-License-Identifier: MIT
// The functions behind powermanagement.h's inline wrappers. The OS checks PowerControls and then
// acts asynchronously: as on the device, SIGTERM may arrive before the call has returned.
#include <applibs/powermanagement.h>

#include "bus_client.h"

static int power_request(uint16_t op, int32_t arg) {
    const int32_t args[4] = {arg, 0, 0, 0};
    struct devbus_msg reply;
    return halstub_bus_call(op, args, NULL, 0, &reply, NULL) < 0 ? -1 : 0;
}

int halstub_power_force_system_reboot(void) {
    return power_request(DEVBUS_OP_POWER_REBOOT, 0);
}

int halstub_power_force_system_power_down(unsigned int maximum_residency_in_seconds) {
    if (maximum_residency_in_seconds > INT32_MAX) {
        maximum_residency_in_seconds = INT32_MAX;
    }
    return power_request(DEVBUS_OP_POWER_DOWN, (int32_t)maximum_residency_in_seconds);
}

int halstub_power_set_system_power_profile(PowerManagement_System_PowerProfile profile) {
    return power_request(DEVBUS_OP_POWER_PROFILE, (int32_t)profile);
}
