#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `spheresim image` end to end on the built device_app.app: the tenant signing key, pack, sign and
# inspect (text and --json), every rejection a device makes (tampered payload, tampered manifest,
# missing signature, wrong key, wrong component, truncation, downgrade), OS releases, and the
# packer's refusals. Packages are also checked, and installed, by image_verify_tool: the device's
# mbedTLS verifier in a program without OpenSSL.
source "$SPHERESIM_SOURCE_DIR/tests/integration/lib.sh"
: "${IMAGE_VERIFY_TOOL:?run through ctest (IMAGE_VERIFY_TOOL is the device-side verifier)}"

S=$SPHERESIM
W=$TEST_DIR/work
TENANT=$SPHERESIM_HOME/tenant
PUB=$TENANT/image-signing.pub.pem
COMPONENT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ComponentId"])' \
    "$DEVICE_APP/app_manifest.json")
mkdir -p "$W"
[ -x "$DEVICE_APP/bin/app" ] || fail "device_app.app is not built at $DEVICE_APP"

# expect_status WANT CMD...: runs CMD, which must exit with WANT; its output is in $W/out, $W/err.
expect_status() {
    local want=$1 status=0
    shift
    "$@" >"$W/out" 2>"$W/err" || status=$?
    [ "$status" -eq "$want" ] ||
        fail "'$*' exited $status, expected $want: $(cat "$W/out" "$W/err")"
}

# device_says WANT PACKAGE [COMPONENT [INSTALLED [DEST]]]: the device-side verdict.
device_says() {
    local want=$1 got
    shift
    got=$("$IMAGE_VERIFY_TOOL" "$1" "$PUB" "${@:2}" || true)
    [ "${got%%:*}" = "$want" ] || fail "device verdict on $1: '$got', expected $want"
}

json_field() {
    python3 -c 'import json,sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2:]:
    value = value[int(key)] if isinstance(value, list) else value[key]
print(value)' "$@"
}

echo "--- help and usage"
"$S" image --help | grep "pack DIR -o FILE" >/dev/null || fail "image --help lacks pack"
"$S" --help | grep "image pack|sign|inspect" >/dev/null || fail "spheresim --help lacks image"
expect_status 2 "$S" image
expect_status 2 "$S" image frobnicate
expect_status 2 "$S" image pack "$DEVICE_APP" -o "$W/x.img"
grep -q "MAJOR.MINOR.PATCH" "$W/err" || fail "no version hint: $(cat "$W/err")"
expect_status 2 "$S" image pack "$DEVICE_APP" -o "$W/x.img" --version 1.0
expect_status 2 "$S" image pack "$DEVICE_APP" -o "$W/x.img" --version 1.0.0 --type firmware
expect_status 2 "$S" image inspect "$W/x.img" --bogus

echo "--- keygen"
"$S" image keygen >"$W/keygen.txt"
grep -q "(created)" "$W/keygen.txt" || fail "first keygen did not create: $(cat "$W/keygen.txt")"
[ "$(stat -c %a "$TENANT/image-signing.key")" = 600 ] || fail "private key is not 0600"
KEY_ID=$(sed -n 's/^key id: //p' "$W/keygen.txt")
"$S" image keygen --json >"$W/keygen.json"
[ "$(json_field "$W/keygen.json" created)" = False ] || fail "second keygen created a key"
[ "$(json_field "$W/keygen.json" keyId)" = "$KEY_ID" ] || fail "key id changed"

echo "--- pack unsigned, sign, inspect"
"$S" image pack "$DEVICE_APP" -o "$W/v1.img" --version 1.0.0 >/dev/null
expect_status 1 "$S" image inspect "$W/v1.img"
grep -q "^signature:    missing-signature" "$W/out" || fail "unsigned: $(cat "$W/out")"
grep -q "not signed" "$W/err" || fail "no reason for unsigned: $(cat "$W/err")"
device_says missing-signature "$W/v1.img"
"$S" image sign "$W/v1.img" >/dev/null
expect_status 0 "$S" image inspect "$W/v1.img"
grep -q "^signature:    valid" "$W/out" || fail "signed: $(cat "$W/out")"
grep -q "^component id: $COMPONENT" "$W/out" || fail "component id: $(cat "$W/out")"
expect_status 0 "$S" image inspect "$W/v1.img" --json
cp "$W/out" "$W/v1.json"
[ "$(json_field "$W/v1.json" type)" = app ] || fail "type"
[ "$(json_field "$W/v1.json" version)" = 1.0.0 ] || fail "version"
[ "$(json_field "$W/v1.json" componentId)" = "$COMPONENT" ] || fail "componentId"
[ "$(json_field "$W/v1.json" signature status)" = ok ] || fail "signature status"
[ "$(json_field "$W/v1.json" signature keyId)" = "$KEY_ID" ] || fail "signature keyId"
[ "$(json_field "$W/v1.json" files 1 path)" = bin/app ] || fail "files[1] is not bin/app"
[ "$(json_field "$W/v1.json" files 1 mode)" = 0755 ] || fail "bin/app mode"
[ "$(json_field "$W/v1.json" files 1 sha256)" = "$(sha256sum <"$DEVICE_APP/bin/app" | cut -d' ' -f1)" ] ||
    fail "bin/app hash differs from sha256sum"

echo "--- the device accepts it and installs it"
device_says ok "$W/v1.img" "$COMPONENT" - "$W/slot-a"
cmp "$W/slot-a/bin/app" "$DEVICE_APP/bin/app" || fail "installed bin/app differs"
cmp "$W/slot-a/app_manifest.json" "$DEVICE_APP/app_manifest.json" || fail "manifest differs"
[ "$(stat -c %a "$W/slot-a/bin/app")" = 755 ] || fail "installed bin/app is not 0755"

echo "--- pack and sign in one step; anti-rollback and component"
"$S" image pack "$DEVICE_APP" -o "$W/v2.img" --version 1.1.0 --sign >/dev/null
device_says ok "$W/v2.img" "$COMPONENT" 1.0.0
device_says downgrade "$W/v1.img" "$COMPONENT" 1.1.0
device_says downgrade "$W/v2.img" "$COMPONENT" 1.1.0
device_says wrong-component "$W/v2.img" 00000000-0000-0000-0000-000000000000

echo "--- tampering"
size=$(stat -c %s "$W/v2.img")
flip() { # flip FILE OFFSET: changes one byte
    python3 -c 'import sys
path, at = sys.argv[1], int(sys.argv[2])
data = bytearray(open(path, "rb").read()); data[at] ^= 0x40
open(path, "wb").write(data)' "$1" "$2"
}
cp "$W/v2.img" "$W/payload.img"
flip "$W/payload.img" $((size - 112 - 100))  # inside bin/app, the last file
expect_status 1 "$S" image inspect "$W/payload.img"
grep -q "tampered-payload" "$W/out" || fail "payload: $(cat "$W/out")"
device_says tampered-payload "$W/payload.img"
cp "$W/v2.img" "$W/manifest.img"
flip "$W/manifest.img" $((128 + 128 + 2 * 192 + 20))  # inside app_manifest.json, the first file
expect_status 1 "$S" image inspect "$W/manifest.img" --json
[ "$(json_field "$W/out" signature status)" = tampered-metadata ] || fail "manifest: $(cat "$W/out")"
device_says tampered-metadata "$W/manifest.img"
head -c $((size - 50)) "$W/v2.img" >"$W/short.img"
expect_status 1 "$S" image inspect "$W/short.img"
grep -q "truncated" "$W/err" || fail "truncated: $(cat "$W/err")"
device_says truncated "$W/short.img"

echo "--- wrong key"
"$S" image keygen --tenant-dir "$W/other-tenant" >/dev/null
cp "$W/v2.img" "$W/other.img"
"$S" image sign "$W/other.img" --key "$W/other-tenant/image-signing.key" >/dev/null
expect_status 1 "$S" image inspect "$W/other.img"
grep -q "^signature:    wrong-key" "$W/out" || fail "wrong key: $(cat "$W/out")"
device_says wrong-key "$W/other.img"
expect_status 0 "$S" image inspect "$W/other.img" --key "$W/other-tenant/image-signing.pub.pem"
expect_status 1 "$S" image inspect "$W/v2.img" --tenant-dir "$W/no-such-tenant"
grep -q "^signature:    unchecked" "$W/out" || fail "no key: $(cat "$W/out")"

echo "--- OS release"
mkdir -p "$W/os"
echo "spheresim-os 2.0.0" >"$W/os/os-release"
"$S" image pack "$W/os" --type os --name spheresim-os -o "$W/os.img" --version 2.0.0 --sign \
    --json >"$W/os-pack.json"
[ "$(json_field "$W/os-pack.json" signed)" = True ] || fail "OS package not signed"
expect_status 0 "$S" image inspect "$W/os.img" --json
[ "$(json_field "$W/out" type)" = os ] || fail "OS type: $(cat "$W/out")"
[ "$(json_field "$W/out" name)" = spheresim-os ] || fail "OS name"

echo "--- packer refusals and reproducibility"
expect_status 1 "$S" image pack "$W/os" -o "$W/x.img" --version 1.0.0
grep -q "no app_manifest.json" "$W/err" || fail "no manifest: $(cat "$W/err")"
expect_status 1 "$S" image pack "$DEVICE_APP" -o "$W/x.img" --version 1.0.0 --name x
cp -r "$DEVICE_APP" "$W/app-copy"
ln -s /etc/passwd "$W/app-copy/passwd"
expect_status 1 "$S" image pack "$W/app-copy" -o "$W/x.img" --version 1.0.0
grep -q "symbolic link" "$W/err" || fail "symlink: $(cat "$W/err")"
[ ! -e "$W/x.img" ] || fail "a refused pack wrote a package"
SOURCE_DATE_EPOCH=1700000000 "$S" image pack "$DEVICE_APP" -o "$W/r1.img" --version 1.0.0 >/dev/null
SOURCE_DATE_EPOCH=1700000000 "$S" image pack "$DEVICE_APP" -o "$W/r2.img" --version 1.0.0 >/dev/null
cmp "$W/r1.img" "$W/r2.img" || fail "packing is not reproducible"
"$S" image inspect "$W/r1.img" --json >"$W/r1.json" 2>/dev/null || true
[ "$(json_field "$W/r1.json" buildTime)" = 2023-11-14T22:13:20Z ] || fail "SOURCE_DATE_EPOCH ignored"

echo "PASS"
