#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The link step of sdk_standin_toolchain.cmake. Instead of an executable it checks that every
# symbol the app's objects need is offered on the device, and writes what it resolved where to
# the output file. What the device offers:
#   -lc, -lm,
#   -lpthread      musl's C library (the SDK's sysroot is musl); its names, read from
#                  SDK_STANDIN_LIBC (default: Debian's musl libc.a);
#   -lgcc_s        the compiler's own runtime library (libgcc);
#   -lapplibs,
#   -ltlsutils     the functions the applibs and tlsutils headers declare (the SDK's libraries
#                  implement exactly those);
#   a path         whatever that archive or shared library defines.
# Any other -l is refused: the sysroot has no such library here.
#
# usage: link_check.sh --compiler CC --applibs-headers DIR --output FILE OBJECT... -- LIBRARY...
set -euo pipefail

fail() {
    echo "link_check: $*" >&2
    exit 1
}

compiler="" headers="" output=""
objects=()
while [ $# -gt 0 ]; do
    case "$1" in
    --compiler) compiler=$2; shift 2 ;;
    --applibs-headers) headers=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    --) shift; break ;;
    *) objects+=("$1"); shift ;;
    esac
done
[ -n "$compiler" ] && [ -n "$headers" ] && [ -n "$output" ] || fail "usage: see the header of $0"
[ ${#objects[@]} -gt 0 ] || fail "no objects to link"

# The host's nm reads the symbol tables of ARM objects as well as of the host's libraries (a
# cross nm would read only its own target's).
nm=nm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# defined_names FILE: the global symbols FILE defines (archive, object or shared library).
defined_names() {
    { "$nm" -g --defined-only "$1" 2>/dev/null || true
      "$nm" -D --defined-only "$1" 2>/dev/null || true; } |
        awk 'NF >= 3 && $2 ~ /^[A-Za-z]$/ && $2 != "U" {print $3}' | sed 's/@.*//' | sort -u
}

# applibs_names: every function the applibs and tlsutils headers declare, as the compiler sees
# them; functions the headers define inline need no library.
applibs_names() {
    local unit="$work/applibs.c"
    find "$headers/applibs" "$headers/tlsutils" -name '*.h' | sort |
        sed 's/.*/#include "&"/' >"$unit"
    "$compiler" -std=gnu11 -fsyntax-only -isystem "$headers" -aux-info "$work/aux.txt" "$unit"
    grep -F "$headers/" "$work/aux.txt" | grep -v ' static ' |
        sed 's|^/\*[^*]*\*/ ||' | sed -n 's/^[^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\) (.*/\1/p' | sort -u
}

libc=${SDK_STANDIN_LIBC:-/usr/lib/x86_64-linux-musl/libc.a}
: >"$work/offered"
for library in "$@"; do
    case "$library" in
    -lc | -lm | -lpthread)
        [ -f "$libc" ] || fail "musl's C library $libc is missing (Debian package musl-dev)"
        defined_names "$libc" | sed 's/$/ libc/' >>"$work/offered" ;;
    -lgcc_s)
        defined_names "$("$compiler" -print-libgcc-file-name)" | sed 's/$/ libgcc/' >>"$work/offered" ;;
    -lapplibs | -ltlsutils)
        applibs_names | sed "s/\$/ ${library#-l}/" >>"$work/offered" ;;
    -l*)
        fail "the device's sysroot has no library '${library#-l}' modelled here" ;;
    *)
        [ -e "$library" ] || fail "library $library does not exist"
        defined_names "$library" | sed "s|\$| $(basename "$library")|" >>"$work/offered" ;;
    esac
done

for object in "${objects[@]}"; do
    defined_names "$object"
done | sort -u >"$work/own"
for object in "${objects[@]}"; do
    "$nm" -u "$object" | awk '{print $NF}'
done | sed 's/@.*//' | sort -u | comm -23 - "$work/own" >"$work/needed"

sort -k1,1 -u "$work/offered" >"$work/offered.sorted"
join -a1 "$work/needed" "$work/offered.sorted" >"$work/resolved"
missing=$(awk 'NF == 1 {print $1}' "$work/resolved")
if [ -n "$missing" ]; then
    echo "link_check: the app needs symbols the device does not offer:" >&2
    for symbol in $missing; do
        users=$(for object in "${objects[@]}"; do
                    # Not grep -q: its early exit would fail the pipeline under pipefail.
                    "$nm" -u "$object" | awk '{print $NF}' | grep -x "$symbol" >/dev/null &&
                        basename "$object" || true
                done | tr '\n' ' ')
        echo "  $symbol (used by ${users% })" >&2
    done
    exit 1
fi
{
    echo "# $(wc -l <"$work/resolved") symbols, each with the library that offers it"
    cat "$work/resolved"
} >"$output"
echo "link_check: $(wc -l <"$work/resolved") symbols resolved against the device's libraries"
