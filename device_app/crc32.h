// SPDX-License-Identifier: MIT
// CRC-32 (the IEEE 802.3 polynomial, as used by zlib and Ethernet) for the telemetry queue's
// on-storage records and headers. A checksum is how the queue tells a record that was written
// completely from one that a power cut tore, so it must catch every short tear; CRC-32 detects
// all burst errors up to 32 bits and any other corruption with probability 1 - 2^-32.
#pragma once

#include <stddef.h>
#include <stdint.h>

/// Extends crc (0 for a new computation) over length bytes at data and returns the new value.
/// Computing over two pieces in turn gives the same result as over their concatenation.
/// data may be NULL only when length is 0.
uint32_t Crc32_Update(uint32_t crc, const void *data, size_t length);
