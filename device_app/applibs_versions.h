// SPDX-License-Identifier: MIT
// Struct versions of the applibs headers that need one. An applibs header with versioned
// structs refuses to compile unless its version macro is defined first, so every source file
// includes this header before any applibs header. Version 1 is what the reference app was
// written against.
#pragma once

#define NETWORKING_STRUCTS_VERSION 1
#define I2C_STRUCTS_VERSION 1
