// SPDX-License-Identifier: MIT
// The OS fault control requests, kept apart from the other requests in ctl_commands.c:
//   {"cmd":"dns","state":"fail"}                        every name lookup goes unanswered
//   {"cmd":"dns","state":"fail","host":"*.example.net"} only lookups matching host
//   {"cmd":"dns","state":"ok"}                          the DNS server answers again
//   {"cmd":"time-sync","state":"unsynced"}              the time server stops answering
//   {"cmd":"time-sync","state":"synced"}                it answers again (syncs if online)
//   {"cmd":"storage","state":"full"|"eio"|"ok"}         the app's mutable storage fault
//   {"cmd":"memory","limit":N}                          the app's allocations fail past N bytes
//   {"cmd":"memory","state":"ok"}                       no heap limit again
// Every reply carries the faults' state after the request ("faults").
#pragma once

#include <cjson/cJSON.h>

#include "os/ctl_commands.h"
#include "os/device.h"

// Parses the fields of a dns, time-sync, storage or memory request (out->cmd already set). Returns
// NULL, or the one-line reason (static text).
const char *sim_ctl_faults_parse(const cJSON *request, struct sim_ctl_request *out);

// Carries out a parsed dns, time-sync, storage or memory request and adds the faults' state to
// reply. Returns NULL, or the one-line reason (static text) when a memory limit is asked of a
// build that cannot apply one (SIM_HEAP_LIMIT_SUPPORTED in fault_page.h).
const char *sim_ctl_faults_execute(struct sim_supervisor *supervisor,
                                   const struct sim_ctl_request *request, cJSON *reply);

// Adds the faults' state as members of object: dns_failing, dns_host, time_server_answering,
// storage, memory_limit_bytes (null when there is none).
void sim_ctl_faults_add_status(cJSON *object, const struct sim_device *device);
