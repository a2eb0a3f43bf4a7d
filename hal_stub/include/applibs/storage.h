// SPDX-License-Identifier: MIT
// applibs/storage.h for spheresim's Linux backend: read-only files shipped in the app's image
// package, and the app's one mutable storage file. The mutable file survives reboots and app
// updates; it is bound to the app's ComponentId and limited by the manifest's MutableStorage
// SizeKB.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// Builds the absolute path of relativePath inside the running app's image package. Does not
/// check that the file exists. The result is heap-allocated: the caller frees it with free().
/// The image package location is fixed for the life of the process but may differ between runs.
/// Returns the path; on failure NULL with errno set:
///   EINVAL  relativePath starts with '/' or '.', or contains "..".
///   EFAULT  relativePath is NULL.
///   ENOMEM  out of memory.
/// Other errno values are possible and not guaranteed to stay the same.
char *Storage_GetAbsolutePathInImagePackage(const char *relativePath);

/// Opens a regular file in the image package for reading; the caller closes it with close().
/// relativePath follows the rules of Storage_GetAbsolutePathInImagePackage.
/// Returns the descriptor; on failure -1 with errno set:
///   EINVAL  relativePath starts with '/' or '.', or contains "..".
///   EFAULT  relativePath is NULL.
///   ENOMEM  out of memory.
/// Other errno values (for example from opening the file) are possible and not guaranteed to
/// stay the same.
int Storage_OpenFileInImagePackage(const char *relativePath);

/// Opens the app's mutable storage file for reading and writing, creating it when absent. Each
/// call returns a new descriptor on the same file.
/// Returns the descriptor; on failure -1 with errno set:
///   EACCES  the manifest lacks the MutableStorage capability or its SizeKB is zero.
///   EIO     the file could not be created.
/// Other errno values are possible and not guaranteed to stay the same.
int Storage_OpenMutableFile(void);

/// Deletes the app's mutable storage file permanently. Every descriptor on it must be closed
/// first; otherwise the outcome is undefined.
/// Returns 0 on success; -1 with errno set on failure:
///   EACCES  the manifest lacks the MutableStorage capability.
///   EIO     the file could not be deleted.
///   ENOENT  there is no mutable storage file.
/// Other errno values are possible and not guaranteed to stay the same.
int Storage_DeleteMutableFile(void);

#ifdef __cplusplus
}
#endif
