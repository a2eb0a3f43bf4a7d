# SPDX-License-Identifier: MIT
# Debian packages the simulator builds on (ci/bootstrap installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
