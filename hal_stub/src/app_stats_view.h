// SPDX-License-Identifier: MIT
// The app's writable view of its stats page (devbus.h, struct devbus_app_stats_page): the
// allocator (heap_accounting.c) publishes the heap figures there for the OS, and marks it before
// it kills the app for going over its memory budget.
#pragma once

#include <stdint.h>

#include "devbus.h"

// Maps the page the OS named in the environment (DEVBUS_STATS_FD_ENV), once. Runs before main
// by itself. Never call it from the allocator: it touches the environment.
void halstub_app_stats_map(void);

// The mapped page, or NULL when the OS shared none (or it was not valid). One atomic load, no
// allocation and no system call, so the allocator may call it.
struct devbus_app_stats_page *halstub_app_stats_page(void);

// Publishes the heap figures: relaxed atomic stores, nothing else; does nothing without a page.
void halstub_app_stats_publish(uint64_t in_use_bytes, uint64_t peak_bytes);

// Marks the page: the allocation of request_bytes is past budget_bytes, and the app is about to
// die for it. Does nothing without a page.
void halstub_app_stats_mark_budget_exceeded(uint64_t request_bytes, uint64_t budget_bytes);
