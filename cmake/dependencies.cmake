# SPDX-License-Identifier: MIT
# Debian packages the simulator builds on (ci/bootstrap installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
# libyaml: scenario files (sim/runner).
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
# mbedTLS (device-side crypto: image signature checks). Debian's 2.28 ships neither a pkg-config
# file nor a CMake package, so the library and headers are found directly.
if(NOT TARGET MbedTLS::Crypto)
    find_path(MBEDTLS_INCLUDE_DIR mbedtls/pk.h REQUIRED)
    find_library(MBEDCRYPTO_LIBRARY mbedcrypto REQUIRED)
    add_library(MbedTLS::Crypto UNKNOWN IMPORTED)
    set_target_properties(MbedTLS::Crypto PROPERTIES IMPORTED_LOCATION "${MBEDCRYPTO_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${MBEDTLS_INCLUDE_DIR}")
endif()
