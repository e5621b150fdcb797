#!/usr/bin/env bash
# Container-free cross build of tidegate for Raspberry Pi-class gateways.
#
# usage: cross/build.sh TARGET [--run-smoke] [extra cargo build args]
#
#   TARGET       aarch64-unknown-linux-gnu      (Pi 3/4/5, 64-bit OS)
#                armv7-unknown-linux-gnueabihf  (Pi 2/3/4, 32-bit OS)
#                aarch64-unknown-linux-musl     (static, linked with rust-lld)
#   --run-smoke  run the built binary with --help under qemu-user; fail unless it exits 0
#
# Debian/Ubuntu host only (apt-get). Idempotent: installs the rustup target, the
# Debian cross gcc + cross libc (gnu targets) or cross binutils (musl, for strip)
# and qemu-user only when missing. The linker is set through
# CARGO_TARGET_<TRIPLE>_LINKER (no .cargo/config.toml); a value already in the
# environment wins. CC_/AR_<triple> are set too, for crates that build C (gnu only).
#
# Output: target/TARGET/release/tidegate and a stripped copy tidegate.stripped.
set -euo pipefail

usage() {
    sed -n '4,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
TARGET=$1
shift
case $TARGET in -h | --help) usage ;; esac

RUN_SMOKE=0
CARGO_ARGS=()
for arg in "$@"; do
    if [[ $arg == --run-smoke ]]; then RUN_SMOKE=1; else CARGO_ARGS+=("$arg"); fi
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" # so a rust-toolchain.toml in the repo picks the toolchain

LINKER_KIND=gcc
case $TARGET in
aarch64-unknown-linux-gnu)
    GNU=aarch64-linux-gnu
    PKGS_LINK=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
    QEMU=qemu-aarch64
    ;;
armv7-unknown-linux-gnueabihf)
    GNU=arm-linux-gnueabihf
    PKGS_LINK=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
    QEMU=qemu-arm
    ;;
aarch64-unknown-linux-musl)
    # Static musl: rustc ships musl's libc.a and crt objects (self-contained), so
    # rust-lld links it without any cross gcc. Pure-Rust deps only: a crate that
    # compiles C would need a musl cross C compiler, which Debian does not ship.
    GNU=aarch64-linux-gnu
    PKGS_LINK=()
    LINKER_KIND=rust-lld
    QEMU=qemu-aarch64
    ;;
*)
    echo "error: unsupported target '$TARGET'" >&2
    usage
    ;;
esac
SYSROOT=/usr/$GNU
STRIP=$GNU-strip

log() { printf '==> %s\n' "$*" >&2; }

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || {
        echo "error: not root and no sudo: cannot install packages" >&2
        exit 1
    }
    SUDO=(sudo)
fi

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null || {
        echo "error: missing $*, and no apt-get to install it with" >&2
        exit 1
    }
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        "${SUDO[@]}" apt-get update -q
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$@"
}

# 1. Rust standard library for the target.
if ! rustup target list --installed | grep -qx "$TARGET"; then
    log "rustup target add $TARGET"
    rustup target add "$TARGET"
fi

# 2. Linker (and the cross libc it links against) + strip.
MISSING=()
if [[ $LINKER_KIND == gcc ]]; then
    command -v "$GNU-gcc" >/dev/null || MISSING+=("${PKGS_LINK[0]}")
    # libc6-dev-*-cross is only a Recommends of the cross gcc: without it there
    # is no crt1.o / libc.so to link against.
    [[ -e $SYSROOT/lib/crt1.o ]] || MISSING+=("${PKGS_LINK[1]}")
fi
command -v "$STRIP" >/dev/null || MISSING+=("binutils-$GNU")
if [[ ${#MISSING[@]} -gt 0 ]]; then
    apt_install "${MISSING[@]}"
fi

TRIPLE_UPPER=$(tr 'a-z-' 'A-Z_' <<<"$TARGET")
TRIPLE_LOWER=${TARGET//-/_}
LINKER_VAR=CARGO_TARGET_${TRIPLE_UPPER}_LINKER
if [[ -z ${!LINKER_VAR:-} ]]; then
    if [[ $LINKER_KIND == gcc ]]; then
        printf -v "$LINKER_VAR" '%s' "$GNU-gcc"
    else
        host=$(rustc -vV | sed -n 's/^host: //p')
        printf -v "$LINKER_VAR" '%s' "$(rustc --print sysroot)/lib/rustlib/$host/bin/rust-lld"
    fi
fi
export "${LINKER_VAR?}"
if [[ $LINKER_KIND == gcc ]]; then
    CC_VAR=CC_$TRIPLE_LOWER AR_VAR=AR_$TRIPLE_LOWER
    [[ -n ${!CC_VAR:-} ]] || printf -v "$CC_VAR" '%s' "$GNU-gcc"
    [[ -n ${!AR_VAR:-} ]] || printf -v "$AR_VAR" '%s' "$GNU-ar"
    export "${CC_VAR?}" "${AR_VAR?}"
fi
log "$LINKER_VAR=${!LINKER_VAR}"

# 3. Build.
log "cargo build --release --locked --target $TARGET ${CARGO_ARGS[*]:-}"
start=$SECONDS
cargo build --release --locked --target "$TARGET" ${CARGO_ARGS[@]+"${CARGO_ARGS[@]}"}
log "build took $((SECONDS - start)) s"

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/$TARGET/release/tidegate
[[ -x $BIN ]] || {
    echo "error: $BIN was not built" >&2
    exit 1
}

# 4. Strip a copy and report.
"$STRIP" -o "$BIN.stripped" "$BIN"
size_of() { stat -c %s "$1"; }
printf '%s\t%s bytes\n' "$BIN" "$(size_of "$BIN")"
printf '%s\t%s bytes (%s KiB)\n' "$BIN.stripped" "$(size_of "$BIN.stripped")" \
    "$(($(size_of "$BIN.stripped") / 1024))"

# 5. Optional smoke test under qemu-user.
if [[ $RUN_SMOKE -eq 1 ]]; then
    find_qemu() { command -v "$QEMU" || command -v "$QEMU-static" || true; }
    QEMU_BIN=$(find_qemu)
    if [[ -z $QEMU_BIN ]]; then
        apt_install qemu-user || apt_install qemu-user-static
        QEMU_BIN=$(find_qemu)
    fi
    [[ -n $QEMU_BIN ]] || {
        echo "error: $QEMU not available" >&2
        exit 1
    }
    log "smoke: $QEMU_BIN -L $SYSROOT $BIN.stripped --help"
    if ! "$QEMU_BIN" -L "$SYSROOT" "$BIN.stripped" --help; then
        echo "error: smoke test failed: '$BIN.stripped --help' under qemu did not exit 0" >&2
        exit 1
    fi
    log "smoke OK"
fi
