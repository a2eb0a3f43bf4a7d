// SPDX-License-Identifier: MIT
// Hub actions (runner_cloud.c): the service API calls a scenario makes (desired patches, method
// calls, C2D messages) and the hub's fault hooks.
#pragma once

#include <stddef.h>
#include <stdint.h>

struct rn_runner;

// Runs a hub action of step (its time has come). Returns 0 when it was started (the answer
// comes later), -1 when it failed (recorded).
int rn_cloud_action(struct rn_runner *r, size_t step);
// Undoes a hub fault whose `for` ran out.
void rn_cloud_revert(struct rn_runner *r, size_t step);
// Sends message number of a C2D burst and schedules the next one.
void rn_cloud_c2d_next(struct rn_runner *r, size_t step, uint64_t number);
