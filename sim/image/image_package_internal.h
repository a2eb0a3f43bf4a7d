// SPDX-License-Identifier: MIT
// Shared by the device-side image files (image_verify.c, image_extract.c): reading a package by
// offset, whether it is a file or memory, and SHA-256 through mbedTLS under one set of names
// whichever mbedTLS major version is installed (2.28 has the *_ret functions, 3.x renamed them).
#pragma once

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "image/image_verify.h"

#if MBEDTLS_VERSION_MAJOR >= 3
#define sim_sha256_starts(ctx) mbedtls_sha256_starts((ctx), 0)
#define sim_sha256_update mbedtls_sha256_update
#define sim_sha256_finish mbedtls_sha256_finish
#else
#define sim_sha256_starts(ctx) mbedtls_sha256_starts_ret((ctx), 0)
#define sim_sha256_update mbedtls_sha256_update_ret
#define sim_sha256_finish mbedtls_sha256_finish_ret
#endif

// Chunk size for streaming payload bytes through a hash or into a file.
#define SIM_IMAGE_IO_CHUNK (16 * 1024)

// Writes "<package name>: <message>" into err and returns rc.
enum sim_image_result sim_image_pkg_fail(const struct sim_image_package *pkg,
                                         enum sim_image_result rc, char *err, size_t err_size,
                                         const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

// Reads exactly len bytes at offset; SIM_IMAGE_ERR_TRUNCATED if the package ends first (the file
// shrank), SIM_IMAGE_ERR_IO if reading fails.
enum sim_image_result sim_image_pkg_read(const struct sim_image_package *pkg, uint64_t offset,
                                         void *buf, size_t len, char *err, size_t err_size);

// Feeds len bytes at offset into ctx.
enum sim_image_result sim_image_pkg_hash(const struct sim_image_package *pkg, uint64_t offset,
                                         uint64_t len, mbedtls_sha256_context *ctx, char *err,
                                         size_t err_size);

// SHA-256 of len bytes in memory.
void sim_image_sha256(const void *data, size_t len, uint8_t out[SIM_IMAGE_SHA256_LEN]);

// The payload's offset in the package.
uint64_t sim_image_payload_offset(const struct sim_image_header *h);
