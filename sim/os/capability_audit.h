// SPDX-License-Identifier: MIT
// What the app did with its manifest: every capability it used and every attempt the OS denied.
// At exit the OS turns this into the least-privilege report: capabilities declared but never
// used (candidates to remove from the manifest) and the denials (what the manifest lacks).
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "os/manifest.h"

#define SIM_AUDIT_MAX_ENTRIES 128
#define SIM_AUDIT_NAME_SIZE (SIM_MANIFEST_STR + 32)

struct sim_audit_entry {
    char capability[SIM_AUDIT_NAME_SIZE];  // e.g. "Gpio:8", "MutableStorage"
    unsigned used;
    unsigned denied;
};

struct sim_capability_audit {
    struct sim_audit_entry entries[SIM_AUDIT_MAX_ENTRIES];
    size_t count;
};

void sim_audit_reset(struct sim_capability_audit *audit);

// Counts one use (allowed) or one denial of a capability, named as the manifest would name it.
void sim_audit_record(struct sim_capability_audit *audit, const char *capability, bool allowed);

// Writes the report as JSON ({"unused":[…],"denied":[{"capability":…,"attempts":n}],
// "not_tracked":[…]}) into out. Returns the number of characters written, or -1 if out was too
// small.
int sim_audit_report_json(const struct sim_capability_audit *audit,
                          const struct sim_manifest *manifest, char *out, size_t out_size);
