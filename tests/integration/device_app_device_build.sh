#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# device_app's Azure Sphere build (DEVICE_HAL=azsphere), rehearsed without the SDK. The SDK
# cannot be installed here, so tests/device_build/sdk_standin_toolchain.cmake stands in for its
# toolchain file, and device_app/ is configured on its own, as the SDK's tooling does. This
# checks what does not need the SDK itself:
#   - the azsphere branch of device_app/CMakeLists.txt configures, with the SDK's functions
#     called the way the SDK takes them (hardware definition, manifest, resource files);
#   - every source compiles with the branch's -Wall -Wextra -Werror for 32-bit ARM (the MT3620's
#     Cortex-A7) and against musl's headers (the SDK's C library);
#   - the TLS code compiles against wolfSSL's OpenSSL compatibility layer, the TLS library of
#     the device, and not only against OpenSSL;
#   - every symbol the app needs is offered by musl, the applibs API, libmosquitto, wolfSSL or
#     cJSON (link_check.sh).
# What it cannot check: the SDK's own headers and libraries, the real compiler and sysroot,
# building libmosquitto against wolfSSL, and running on a board.
set -euo pipefail

source_dir=${SPHERESIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
standin="$source_dir/tests/device_build/sdk_standin_toolchain.cmake"
multiarch=$(gcc -print-multiarch)

# The Debian packages that provide the stand-ins (ci/packages.txt installs them). Outside CI a
# machine without them skips the test; in CI their absence is a failure.
required=(arm-linux-gnueabihf-gcc musl-gcc /usr/include/wolfssl/options.h
    "/usr/lib/$multiarch/libwolfssl.a" /usr/include/mosquitto.h "/usr/lib/$multiarch/libmosquitto.so"
    /usr/include/cjson/cJSON.h "/usr/lib/$multiarch/libcjson.so")
for tool in "${required[@]}"; do
    if ! command -v "$tool" >/dev/null && [ ! -e "$tool" ]; then
        echo "device_build: $tool is missing (ci/bootstrap installs it)"
        if [ -n "${CI:-}" ]; then exit 1; fi
        exit 77
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The libraries the SDK does not have, laid out as docs/real-iot-hub.md asks for them.
# libmosquitto: Debian's headers, and its shared library standing in for lib/libmosquitto.a
# (link_check.sh reads the names either defines).
mkdir -p "$work/mosquitto/include" "$work/mosquitto/lib"
ln -s /usr/include/mosquitto.h "$work/mosquitto/include/mosquitto.h"
ln -s "/usr/lib/$multiarch/libmosquitto.so" "$work/mosquitto/lib/libmosquitto.a"
# wolfSSL: Debian's build has the OpenSSL compatibility layer (OPENSSL_ALL); its headers are
# reached as <wolfssl/...> and, for the OpenSSL API, as <openssl/...>.
mkdir -p "$work/wolfssl/include"
ln -s /usr/include/wolfssl "$work/wolfssl/include/wolfssl"
# cJSON: Debian ships no cJSON.c, so the one compiled in is generated: a definition for each
# function the real library exports, enough for link_check.sh to see which names resolve.
mkdir -p "$work/cjson"
ln -s /usr/include/cjson/cJSON.h "$work/cjson/cJSON.h"
nm -D --defined-only "/usr/lib/$multiarch/libcjson.so" | awk '$2 == "T" {print "void " $3 "(void) {}"}' \
    >"$work/cjson/cJSON.c"

# build NAME COMPILER: configures and builds device_app/ with the stand-in SDK.
build() {
    local name=$1 compiler=$2
    echo "== device_app for the device, compiled with $compiler"
    cmake -S "$source_dir/device_app" -B "$work/$name" -G Ninja \
        -DCMAKE_TOOLCHAIN_FILE="$standin" -DSDK_STANDIN_COMPILER="$compiler" \
        -DCJSON_DIR="$work/cjson" -DMOSQUITTO_DIR="$work/mosquitto" \
        -DDEVICE_APP_TLS_LIBS="/usr/lib/$multiarch/libwolfssl.a" \
        -DDEVICE_APP_TLS_INCLUDE_DIR="$work/wolfssl/include;$work/wolfssl/include/wolfssl" \
        -DDEVICE_APP_TLS_DEFINITIONS=EXTERNAL_OPTS_OPENVPN >"$work/$name.configure.log" 2>&1 ||
        { cat "$work/$name.configure.log"; echo "device_build: configure failed ($name)"; exit 1; }
    grep -F "device_app: building for Azure Sphere" "$work/$name.configure.log" >/dev/null ||
        { echo "device_build: the stand-in SDK was not taken for the Azure Sphere SDK"; exit 1; }
    cmake --build "$work/$name" ||
        { echo "device_build: build failed ($name)"; exit 1; }
    head -1 "$work/$name/device_app"
}

build armhf arm-linux-gnueabihf-gcc
# musl's headers and library for the same sources; link_check.sh reads musl's libc.a either way.
build musl musl-gcc

# The check must be able to fail: a symbol the device does not offer is refused.
echo "== a call the device does not offer is refused"
printf 'int NotOnTheDevice(void);\nint main(void) { return NotOnTheDevice(); }\n' >"$work/bad.c"
musl-gcc -c "$work/bad.c" -o "$work/bad.o"
if bash "$source_dir/tests/device_build/link_check.sh" --compiler musl-gcc \
    --applibs-headers "$source_dir/hal_stub/include" --output "$work/bad" "$work/bad.o" -- \
    -lapplibs -lc >"$work/bad.log" 2>&1; then
    echo "device_build: link_check.sh accepted an undefined symbol"; exit 1
fi
grep -F "NotOnTheDevice (used by bad.o)" "$work/bad.log" >/dev/null ||
    { cat "$work/bad.log"; echo "device_build: link_check.sh did not name the symbol"; exit 1; }
echo "device_build: ok"
