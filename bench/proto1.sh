#!/bin/sh
# The baseline of "make bench"'s protocol row: libvmmctl, vmmctl-sim and the
# C benchmark as they were at the last commit of sim protocol 1 (the one
# before per-request credentials and reply channels, issue #18), built from
# this repository's own history into OUT, so that both protocols are
# measured in one run on one machine.
#   proto1.sh SRCROOT OUT CC
set -eu
src=$1 out=$2 cc=$3
rev=5eaff4fcc22df712a27443e6d9f7505fdfc74d0d
[ -x "$out/vmmctl-sim" ] && [ -x "$out/vmmctl-bench" ] && exit 0
if ! git -C "$src" cat-file -e "$rev^{commit}" 2>/dev/null; then
	echo "proto1: $rev is not in this repository's history" >&2
	exit 1
fi
rm -rf "$out"
mkdir -p "$out/src" "$out/obj"
git -C "$src" archive "$rev" sys capi bench/c | tar -x -C "$out/src"
s=$out/src
cf="-std=c99 -O2 -g -D_DEFAULT_SOURCE -D_GNU_SOURCE -I$s/sys/include -I$s/sys/kern -I$s/sys/sim -I$s/capi/include"
for f in "$s"/capi/src/*.c "$s"/sys/kern/*.c; do
	$cc $cf -c -o "$out/obj/$(basename "$f" .c).o" "$f"
done
o=$out/obj
ar rcs "$out/libvmmctl.a" "$o/vmmctl.o" "$o/vmmctl_ioctl.o" "$o/vmmctl_sim.o" \
    "$o/vmmctl_strerror.o" "$o/vmmctl_name.o"
$cc $cf -o "$out/vmmctl-sim" "$s/sys/sim/vmmctl_sim.c" "$o/vmmctl_kern.o" \
    "$o/vmmctl_jail.o" "$o/vmmctl_table.o" "$o/vmmctl_name.o"
$cc $cf -o "$out/vmmctl-bench" "$s/bench/c/vmmctl_bench.c" \
    "$out/libvmmctl.a" -lpthread
