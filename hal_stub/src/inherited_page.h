// SPDX-License-Identifier: MIT
// The app's side of a page the OS shares with it (sim/os/shared_page.h): the OS spawns the app
// with the page's descriptor number in an environment variable; the app maps the page once,
// before main, and closes the descriptor.
#pragma once

#include <stdint.h>

// Maps the page whose descriptor env_name names, with prot (PROT_READ, or PROT_READ |
// PROT_WRITE), if it is a file at least a page long whose first two 32-bit words are magic and
// version. The variable is removed either way, so a program this app starts inherits nothing.
// Returns the mapping, or NULL when there is no such page.
void *halstub_map_inherited_page(const char *env_name, int prot, uint32_t magic, uint32_t version);
