// SPDX-License-Identifier: MIT
// CRC-32, reflected, polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF. A 16-entry
// table processed a nibble at a time keeps the code and its data tiny (64 bytes of constants,
// no start-up computation), which matters more on the MT3620 than raw speed: the queue only
// checksums a few kilobytes at start-up and a record per message afterwards.

#include "crc32.h"

static const uint32_t nibbleTable[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t Crc32_Update(uint32_t crc, const void *data, size_t length) {
    const uint8_t *bytes = data;
    crc = ~crc;
    for (size_t i = 0; i < length; i++) {
        crc ^= bytes[i];
        crc = (crc >> 4) ^ nibbleTable[crc & 0x0Fu];
        crc = (crc >> 4) ^ nibbleTable[crc & 0x0Fu];
    }
    return ~crc;
}
