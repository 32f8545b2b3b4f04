#!/bin/sh
# Regenerates vmmctl-sys's committed bindgen output.
# Usage: gen-bindings.sh SRCROOT OUTDIR
#   writes OUTDIR/bindings.rs   (from capi/include/vmmctl.h: the public API)
#   and    OUTDIR/kernel_abi.rs (from sys/include/vmmctl_dev.h: the kernel ABI)
#   and    OUTDIR/sim.rs        (from sys/sim/vmmctl_sim.h: the simulator host)
# `make bindings` runs it with OUTDIR = bindings/rust/vmmctl-sys/src; the
# bindings_up_to_date test runs it into a temporary directory and diffs.
# $BINDGEN names the pinned bindgen (bindings/rust/Makefile.inc installs it).
set -eu
src=$1
out=$2
bindgen=${BINDGEN:-bindgen}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmctl-bindgen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Only this API: the vmmctl_* functions, the VMMCTL_* constants and the
# opaque handle type.  Layout tests are kept (bindgen's default).
"$bindgen" "$src/capi/include/vmmctl.h" \
    --allowlist-function 'vmmctl_.*' \
    --allowlist-var 'VMMCTL_.*' \
    --allowlist-type 'vmmctl_t' \
    --merge-extern-blocks \
    --raw-line '// Generated from capi/include/vmmctl.h by bindings/rust/gen-bindings.sh' \
    --raw-line '// (`make bindings`); do not edit.' \
    --output "$tmp/bindings.rs" \
    -- -I"$src/capi/include"

# The request structures, the flags and the ioctl command words.  _IOWR()
# is a function-like macro: --clang-macro-fallback lets clang evaluate it,
# so VMMCTL_VM_CREATE/DESTROY come out as plain constants.
"$bindgen" "$src/sys/include/vmmctl_dev.h" \
    --allowlist-type 'vmmctl_vm_.*' \
    --allowlist-var 'VM_MAX_NAMELEN|VMMCTL_.*' \
    --with-derive-default \
    --clang-macro-fallback \
    --clang-macro-fallback-build-dir "$tmp" \
    --raw-line '// Generated from sys/include/vmmctl_dev.h by bindings/rust/gen-bindings.sh' \
    --raw-line '// (`make bindings`); do not edit.' \
    --output "$tmp/kernel_abi.rs" \
    -- -I"$src/sys/include"

# The simulator as a library (the host vmmctl::sim::Simulator runs in a
# thread): its functions, flags and the opaque struct vmmctl_sim.
"$bindgen" "$src/sys/sim/vmmctl_sim.h" \
    --allowlist-function 'vmmctl_sim_.*' \
    --allowlist-type 'vmmctl_sim' \
    --allowlist-var 'VMMCTL_SIM_.*' \
    --opaque-type 'vmmctl_sim' \
    --merge-extern-blocks \
    --raw-line '// Generated from sys/sim/vmmctl_sim.h by bindings/rust/gen-bindings.sh' \
    --raw-line '// (`make bindings`); do not edit.' \
    --output "$tmp/sim.rs" \
    -- -I"$src/sys/sim"

mkdir -p "$out"
for f in bindings.rs kernel_abi.rs sim.rs; do
	cp "$tmp/$f" "$out/$f.tmp"
	mv "$out/$f.tmp" "$out/$f"
done
