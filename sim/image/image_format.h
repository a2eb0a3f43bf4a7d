// SPDX-License-Identifier: MIT
// The signed image package format (docs/image-packages.md): the byte layout of its header,
// metadata, file table and signature block, and the rules a well-formed package follows. Both
// sides use this file: the cloud tools encode packages with it and the device's verifier decodes
// them. It holds no cryptography, so the device verifier can link it without OpenSSL.
//
// Every decoder takes exactly the bytes of its structure, checks every field against the rules
// and never reads past what it was given. Reasons are written to err as one printable line; bytes
// from the package that appear in a reason are escaped (\xNN), so a hostile package cannot forge
// log lines.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_IMAGE_MAGIC "SPHIMG\r\n"
#define SIM_IMAGE_MAGIC_LEN 8
#define SIM_IMAGE_FORMAT_VERSION 1
#define SIM_IMAGE_HEADER_LEN 128
#define SIM_IMAGE_METADATA_LEN 128
#define SIM_IMAGE_FILE_ENTRY_LEN 192
#define SIM_IMAGE_SIG_MAGIC "SIG1"
#define SIM_IMAGE_SIG_BLOCK_LEN 112
#define SIM_IMAGE_SIG_ALG_ECDSA_P256_SHA256 1
#define SIM_IMAGE_SIG_MAX_DER 72
#define SIM_IMAGE_SHA256_LEN 32
#define SIM_IMAGE_KEY_ID_LEN 32

// Limits a device enforces before it reads anything else. The payload limit is far above the
// MT3620's 1 MiB because x86-64 builds (with sanitizers) of an app are much larger than ARM ones.
#define SIM_IMAGE_MAX_FILES 256
#define SIM_IMAGE_PATH_MAX 127
#define SIM_IMAGE_MAX_PAYLOAD (64ull * 1024 * 1024)
#define SIM_IMAGE_COMPONENT_ID_LEN 36
#define SIM_IMAGE_NAME_MAX 31

// The file every app package carries, and the component id of simulated OS releases.
#define SIM_IMAGE_MANIFEST_PATH "app_manifest.json"
#define SIM_IMAGE_OS_COMPONENT_ID "5d0e4b7a-3c1f-4e8a-9b62-0f7c1a2d8e35"
#define SIM_IMAGE_DEFAULT_OS_NAME "spheresim-os"

// Results of every image operation, cloud and device side. The device-side rejections are the
// reasons an update agent reports; sim_image_result_name gives each a stable name.
enum sim_image_result {
    SIM_IMAGE_OK = 0,
    SIM_IMAGE_ERR_IO,                 // a file could not be read or written
    SIM_IMAGE_ERR_BAD_FORMAT,         // not a package of a format version this code reads
    SIM_IMAGE_ERR_TRUNCATED,          // shorter than its header says
    SIM_IMAGE_ERR_MISSING_SIGNATURE,  // a complete package that was never signed
    SIM_IMAGE_ERR_WRONG_KEY,          // signed, but not by the trusted key
    SIM_IMAGE_ERR_BAD_SIGNATURE,      // the signature does not verify and no content changed
    SIM_IMAGE_ERR_TAMPERED_METADATA,  // metadata, file table or app_manifest.json changed
    SIM_IMAGE_ERR_TAMPERED_PAYLOAD,   // a file's content changed
    SIM_IMAGE_ERR_UNSAFE_PATH,        // a file path the device refuses to write
    SIM_IMAGE_ERR_WRONG_COMPONENT,    // a valid package for another component
    SIM_IMAGE_ERR_DOWNGRADE,          // version not newer than the installed one
    SIM_IMAGE_ERR_BAD_KEY,            // the trusted or signing key is unusable
    SIM_IMAGE_ERR_INVALID_INPUT,      // cloud side: a bad app directory, manifest or option
    SIM_IMAGE_ERR_CRYPTO,             // a crypto library failed on valid input
};

enum sim_image_type {
    SIM_IMAGE_TYPE_APP = 1,
    SIM_IMAGE_TYPE_OS = 2,
};

// A release version: MAJOR.MINOR.PATCH, compared as a tuple (semver without pre-release or build
// parts, which have no simple "newer than").
struct sim_image_version {
    uint32_t major, minor, patch;
};

struct sim_image_header {
    uint16_t format_version;
    uint16_t header_len;
    uint32_t flags;
    uint32_t metadata_len;
    uint32_t file_count;
    uint32_t file_entry_len;
    uint32_t signature_len;  // 0: unsigned; else SIM_IMAGE_SIG_BLOCK_LEN
    uint64_t payload_len;
    uint8_t metadata_sha256[SIM_IMAGE_SHA256_LEN];
    uint8_t file_table_sha256[SIM_IMAGE_SHA256_LEN];
};

struct sim_image_metadata {
    char component_id[SIM_IMAGE_COMPONENT_ID_LEN + 1];
    char name[SIM_IMAGE_NAME_MAX + 1];
    enum sim_image_type type;
    struct sim_image_version version;
    uint64_t build_time;  // seconds since the Unix epoch, UTC
};

struct sim_image_file {
    char path[SIM_IMAGE_PATH_MAX + 1];
    uint32_t mode;    // S_IFREG | permission bits (at most 0777)
    uint64_t offset;  // from the start of the payload
    uint64_t length;
    uint8_t sha256[SIM_IMAGE_SHA256_LEN];
};

struct sim_image_signature {
    uint16_t algorithm;
    uint16_t der_len;
    uint8_t key_id[SIM_IMAGE_KEY_ID_LEN];
    uint8_t der[SIM_IMAGE_SIG_MAX_DER];
};

// Returns the stable name of a result ("ok", "tampered-payload", ...); "unknown" for others.
const char *sim_image_result_name(enum sim_image_result result);

// "app" or "os"; "unknown" for others.
const char *sim_image_type_name(enum sim_image_type type);

// Parses "MAJOR.MINOR.PATCH" (decimal, no sign, no leading zeros, each at most 4294967295).
// Returns false for anything else.
bool sim_image_version_parse(const char *text, struct sim_image_version *out);

// Writes "MAJOR.MINOR.PATCH" into out (at least 33 bytes).
void sim_image_version_format(const struct sim_image_version *v, char *out, size_t out_size);

// <0, 0, >0 as a is older than, equal to, newer than b.
int sim_image_version_compare(const struct sim_image_version *a, const struct sim_image_version *b);

// True for a GUID in the manifest's form, 8-4-4-4-12 hex digits.
bool sim_image_guid_is_valid(const char *text);

// True when path is a relative file path the device writes: 1..SIM_IMAGE_PATH_MAX bytes of
// [A-Za-z0-9._+@=,~-] in '/'-separated components, none of them empty, "." or "..".
bool sim_image_path_is_safe(const char *path);

// Writes text into out with every byte outside printable ASCII (and the backslash) as \xNN;
// always terminates out. Returns out, for use in messages.
const char *sim_image_escape(const char *text, size_t len, char *out, size_t out_size);

// The number of bytes the signature covers (header, metadata, file table, payload), computed
// without overflow. Returns false when the header's lengths do not describe a v1 package within
// the limits above.
bool sim_image_signed_len(const struct sim_image_header *h, uint64_t *out_len);

// Decoders. Each checks that its bytes are a valid structure (magic, version, lengths within the
// limits, reserved fields zero, text fields terminated and printable) and returns
// SIM_IMAGE_ERR_BAD_FORMAT with a reason otherwise. decode_header needs SIM_IMAGE_HEADER_LEN
// bytes; a shorter input gives SIM_IMAGE_ERR_TRUNCATED when it is a prefix of a header.
enum sim_image_result sim_image_decode_header(const uint8_t *buf, size_t len,
                                              struct sim_image_header *out, char *err,
                                              size_t err_size);
enum sim_image_result sim_image_decode_metadata(const uint8_t *buf, size_t len,
                                                struct sim_image_metadata *out, char *err,
                                                size_t err_size);
// Decodes one file-table entry; the path is checked only for termination here (inspect shows
// unsafe paths), sim_image_check_file_table applies the path rules.
enum sim_image_result sim_image_decode_file_entry(const uint8_t *buf, size_t len,
                                                  struct sim_image_file *out, char *err,
                                                  size_t err_size);
// Decodes a signature block; any malformation is SIM_IMAGE_ERR_BAD_SIGNATURE.
enum sim_image_result sim_image_decode_signature(const uint8_t *buf, size_t len,
                                                 struct sim_image_signature *out, char *err,
                                                 size_t err_size);

// Checks the file table as a whole against the header and metadata: safe paths in strictly
// increasing byte order (so no duplicates), no path that is also another's directory, regular
// files with at most 0777 permissions, contiguous offsets from 0 that add up to payload_len, and
// for an app package an app_manifest.json. Returns SIM_IMAGE_ERR_UNSAFE_PATH for a path problem,
// SIM_IMAGE_ERR_BAD_FORMAT for the others.
enum sim_image_result sim_image_check_file_table(const struct sim_image_file *files, size_t count,
                                                 enum sim_image_type type, uint64_t payload_len,
                                                 char *err, size_t err_size);

// Encoders for the packer: write exactly the structure's length into out.
void sim_image_encode_header(const struct sim_image_header *h, uint8_t out[SIM_IMAGE_HEADER_LEN]);
void sim_image_encode_metadata(const struct sim_image_metadata *m,
                               uint8_t out[SIM_IMAGE_METADATA_LEN]);
void sim_image_encode_file_entry(const struct sim_image_file *f,
                                 uint8_t out[SIM_IMAGE_FILE_ENTRY_LEN]);
void sim_image_encode_signature(const struct sim_image_signature *s,
                                uint8_t out[SIM_IMAGE_SIG_BLOCK_LEN]);

// Lowercase hex of len bytes into out (2 * len + 1 bytes).
void sim_image_hex(const uint8_t *bytes, size_t len, char *out);
