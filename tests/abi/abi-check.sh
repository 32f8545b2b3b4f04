#!/bin/sh
# abi-check.sh: libvmmctl's binary interface against its three descriptions.
#
#   abi-check.sh [CHECK]...
#     symbols   the dynamic symbols libvmmctl.so.1 defines are exactly the
#               functions of vmmctl.h, each with default version VMMCTL_1.0,
#               plus the version node itself; nothing else leaks
#     map       capi/vmmctl.map's global list is exactly those functions
#     abidiff   abidiff against the committed baseline tests/abi/libvmmctl.abi
#               finds no change
#     baseline  (re)write tests/abi/libvmmctl.abi (not a check)
#   With no CHECK: symbols map abidiff.
#
# Finds the tree through VMMCTL_SRC and the build through VMMCTL_BUILD.
set -eu
: "${VMMCTL_SRC:?VMMCTL_SRC not set}"
: "${VMMCTL_BUILD:?VMMCTL_BUILD not set}"
so=$VMMCTL_BUILD/lib/libvmmctl.so.1
hdr=$VMMCTL_SRC/capi/include/vmmctl.h
map=$VMMCTL_SRC/capi/vmmctl.map
base=$VMMCTL_SRC/tests/abi/libvmmctl.abi
node=VMMCTL_1.0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/abi-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rc=0

fail() {
	echo "abi-check: $*" >&2
	rc=1
}

# The functions the header declares, from the preprocessed text (no
# comments, no macros): "name(" after a type, one declaration per ";".
header_funcs() {
	${CC:-cc} -E -P -I"$VMMCTL_SRC/sys/include" "$hdr" |
	    tr '\n' ' ' | tr ';' '\n' |
	    sed -n 's/.*[ *]\(vmmctl_[a-z_]*\)[ ]*(.*/\1/p' | sort
}

header_funcs >"$tmp/header"
[ "$(wc -l <"$tmp/header")" -gt 0 ] || fail "no function found in $hdr"

check_symbols() {
	[ -e "$so" ] || { fail "$so not built"; return; }
	# "ADDR T name@@VMMCTL_1.0", "0 A VMMCTL_1.0"
	nm -D --defined-only "$so" | awk '{ print $2, $3 }' >"$tmp/nm"
	grep -v "^A $node\$" "$tmp/nm" >"$tmp/syms" || true
	if grep -v "^T [a-z_]*@@$node\$" "$tmp/syms" >"$tmp/odd"; then
		fail "symbols not functions of $node:"
		cat "$tmp/odd" >&2
	fi
	grep -q "^A $node\$" "$tmp/nm" || fail "no version node $node"
	sed 's/^T \(.*\)@@.*/\1/' "$tmp/syms" | sort >"$tmp/exported"
	if ! cmp -s "$tmp/header" "$tmp/exported"; then
		fail "exported symbols differ from vmmctl.h's functions:"
		diff "$tmp/header" "$tmp/exported" >&2 || true
	fi
	# The version definitions: only the base (the SONAME) and VMMCTL_1.0.
	printf '%s\n' "$node" "libvmmctl.so.1" | sort >"$tmp/verwant"
	readelf -V -W "$so" | sed -n '/\.gnu\.version_d/,/\.gnu\.version_r/p' |
	    sed -n 's/.*Name: \([^ ]*\).*/\1/p' | sort -u >"$tmp/verdefs"
	if ! cmp -s "$tmp/verwant" "$tmp/verdefs"; then
		fail "version definitions differ:"
		diff "$tmp/verwant" "$tmp/verdefs" >&2 || true
	fi
	echo "symbols: $(wc -l <"$tmp/exported") functions, all @@$node"
}

check_map() {
	sed -e 's|/\*.*\*/||g' -e '/\/\*/,/\*\//d' "$map" |
	    awk '/global:/ { g = 1; next } /local:/ { g = 0 }
		g { gsub(/[ \t;]/, ""); if ($0 != "") print }' |
	    sort >"$tmp/map"
	if ! cmp -s "$tmp/header" "$tmp/map"; then
		fail "vmmctl.map's global list differs from vmmctl.h's functions:"
		diff "$tmp/header" "$tmp/map" >&2 || true
	fi
	grep -q "^$node[ 	]*{" "$map" || fail "vmmctl.map has no node $node"
	echo "map: $(wc -l <"$tmp/map") functions in $node"
}

# Deterministic output: no paths, no architecture, hashed type ids.
abidw_run() {
	(cd "$VMMCTL_BUILD/lib" && abidw --no-corpus-path --no-comp-dir-path \
	    --short-locs --no-architecture --drop-private-types \
	    --type-id-style hash --headers-dir "$VMMCTL_SRC/capi/include" \
	    --headers-dir "$VMMCTL_SRC/sys/include" libvmmctl.so.1)
}

check_abidiff() {
	[ -e "$so" ] || { fail "$so not built"; return; }
	[ -e "$base" ] || { fail "no baseline $base (make abi-baseline)"; return; }
	abidw_run >"$tmp/current.abi"
	set +e
	abidiff --no-added-syms "$base" "$tmp/current.abi" >"$tmp/diff" 2>&1
	st=$?
	set -e
	# A bit mask: 1 error, 2 usage, 4 ABI change, 8 incompatible change.
	if [ "$st" -ne 0 ]; then
		fail "abidiff exit $st (1 error, 2 usage, 4 change, 8 incompatible):"
		cat "$tmp/diff" >&2
	fi
	# Added symbols are ABI changes too, and --no-added-syms hid them: the
	# symbols check covers them.  Without the flag, compare once more.
	set +e
	abidiff "$base" "$tmp/current.abi" >"$tmp/diff" 2>&1
	st=$?
	set -e
	if [ "$st" -ne 0 ]; then
		fail "abidiff (with added symbols) exit $st:"
		cat "$tmp/diff" >&2
	fi
	echo "abidiff: no change against $(basename "$base")"
}

write_baseline() {
	abidw_run >"$base.tmp"
	mv "$base.tmp" "$base"
	echo "wrote $base"
}

[ $# -gt 0 ] || set -- symbols map abidiff
for c in "$@"; do
	case $c in
	symbols)	check_symbols ;;
	map)		check_map ;;
	abidiff)	check_abidiff ;;
	baseline)	write_baseline ;;
	*)		echo "usage: abi-check.sh [symbols|map|abidiff|baseline]..." >&2
			exit 2 ;;
	esac
done
exit $rc
