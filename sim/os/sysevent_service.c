// SPDX-License-Identifier: MIT
// Sending system events to the registered app; see sysevent_service.h.
#include "os/sysevent_service.h"

#include <sys/socket.h>

#include "devbus.h"

bool sim_sysevent_deliver(struct sim_device *device, const struct sim_sysevent *event) {
    if (device->sysevent_fd < 0 || (device->sysevent_mask & event->event) == 0) {
        return false;
    }
    struct devbus_sysevent_msg msg = {.event = event->event,
                                      .status = event->status,
                                      .update_type = event->update_type,
                                      .max_deferral_minutes = event->max_deferral_minutes};
    return send(device->sysevent_fd, &msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT) ==
           (ssize_t)sizeof(msg);
}
