#! /usr/bin/env atf-sh
# The Rust suite of bindings/rust as Kyua cases, through
# tests/lib/foreign.subr:
#
#   <target>.<kind>::<test>  one case per test of every prebuilt test binary
#                            (unit tests of both crates, vmmctl/tests/*.rs),
#                            run as `BIN --exact <test>`; listed in
#                            test-binaries by bindings/rust/Makefile.inc
#   doctests                 cargo test --doc (rustdoc compiles them: a
#                            build by nature)
#   link_variants            vmmctl-sys linked to a prebuilt libvmmctl
#                            (VMMCTL_LIB_DIR), static and shared (builds by
#                            nature); the bundled C is what every other case
#                            links, and package_test covers pkg-config
#   example_demo             the prebuilt example program against its own
#                            vmmctl-sim
#   rustdoc, clippy, rustfmt cargo doc and clippy with -D warnings, cargo fmt
#                            --check
#   fuse_feature             vmmctl's simulator tests with the crate feature
#                            `fuse` (libfuse3): device mode in process
#   docs_rs                  cargo doc as docs.rs runs it (DOCS_RS set) with
#                            no working C compiler: build.rs compiles nothing
#   bindings_up_to_date      regenerate the bindgen output, diff it against
#                            the committed files
#   abi_json_copy            the vmmctl crate's copy of tests/abi/abi.json
#                            (tests/common/abi_json.rs) is up to date
#
# Needs VMMCTL_SRC and VMMCTL_BUILD; the tool locations (Kyua resets HOME
# and TMPDIR) come from rust-env.sh, written beside this program by
# `make test`.  A Rust test that prints "SKIPPED: <reason>" (at the start
# of a line or right after the harness's "test NAME ... ") is
# reported skipped with that reason.

: "${VMMCTL_SRC:?VMMCTL_SRC is not set}"
. "$VMMCTL_SRC/tests/lib/foreign.subr"

FOREIGN_SKIP_RE='(^|\.\.\. )SKIPPED: '

_rust_dir()
{
	atf_get_srcdir
}

_rust_env()
{
	_env="$(_rust_dir)/rust-env.sh"
	[ -r "$_env" ] || { echo "no $_env: run through make test"; return 1; }
	. "$_env"
}

foreign_list()
{
	_list="$(_rust_dir)/test-binaries"
	[ -r "$_list" ] || return 1
	while IFS='	' read -r _label _bin; do
		"$_bin" --list --format terse </dev/null |
		    sed -n "s/: test\$//p" | sed "s|^|$_label::|" || return 1
	done <"$_list"
	echo doctests
	echo link_variants
	echo example_demo
	echo rustdoc
	echo docs_rs
	echo fuse_feature
	echo clippy
	echo rustfmt
	echo bindings_up_to_date
	echo abi_json_copy
}

_rust_test()
{
	_label=${1%%::*}
	_name=${1#*::}
	_bin=$(awk -F '\t' -v l="$_label" '$1 == l { print $2 }' \
	    "$(_rust_dir)/test-binaries")
	[ -n "$_bin" ] || { echo "no test binary for $_label"; return 1; }
	"$_bin" --exact "$_name" --nocapture --test-threads 1 >rust.out 2>&1
	_rc=$?
	cat rust.out
	[ "$_rc" -eq 0 ] || return "$_rc"
	# --exact with a name that matches nothing runs nothing and passes.
	grep -q '^test result: ok\. 1 passed' rust.out ||
	    { echo "the test did not run"; return 1; }
}

_sim_stop()
{
	[ -n "${_sim_pid:-}" ] && kill "$_sim_pid" 2>/dev/null &&
	    wait "$_sim_pid" 2>/dev/null
	[ -n "${_sim_root:-}" ] && rm -rf "$_sim_root"
	_sim_pid= _sim_root=
}

_example_demo()
{
	[ -x "$VMMCTL_BUILD/bin/vmmctl-sim" ] ||
	    { echo "no $VMMCTL_BUILD/bin/vmmctl-sim"; return 1; }
	_sim_root=$(mktemp -d /tmp/vmr.XXXXXX) || return 1
	"$VMMCTL_BUILD/bin/vmmctl-sim" --root "$_sim_root" &
	_sim_pid=$!
	_i=0
	until "$RUST_EXAMPLE" "$_sim_root" >demo.out 2>&1; do
		# Not ready yet (no socket, refused): retry for about 10 s.
		if ! grep -Eq 'os error (2|111)\)' demo.out ||
		    [ "$_i" -ge 100 ]; then
			cat demo.out
			_sim_stop
			return 1
		fi
		_i=$((_i + 1))
		sleep 0.1
	done
	cat demo.out
	# The example must leave nothing behind.
	_left=$(ls "$_sim_root/vmm")
	_sim_stop
	[ -z "$_left" ] || { echo "left behind: $_left"; return 1; }
	grep -q 'the scoped VM went with its descriptor' demo.out
}

# vmmctl-sys/build.rs's VMMCTL_LIB_DIR, each a build into its own target
# directory under the suite's (cached between runs): this build's
# libvmmctl.a (static, the default) and libvmmctl.so (VMMCTL_STATIC=0, run
# with LD_LIBRARY_PATH); the unit tests of vmmctl-sys run in each.
_link_variant()
{
	_what=$1
	shift
	echo "== $_what"
	(cd "$RUST_SRC" && env VMMCTL_LIB_DIR="$VMMCTL_BUILD/lib" "$@" \
	    cargo test --offline -p vmmctl-sys --lib --no-run \
	    --message-format=json \
	    --target-dir "$CARGO_TARGET_DIR/link-$_what") >"link-$_what.json" ||
	    return 1
	_bin=$(jq -r 'select(.profile.test == true and .executable != null) |
	    .executable' "link-$_what.json")
	[ -x "$_bin" ] || { echo "no test binary"; return 1; }
	env LD_LIBRARY_PATH="$VMMCTL_BUILD/lib" "$_bin" || return 1
	env LD_LIBRARY_PATH="$VMMCTL_BUILD/lib" ldd "$_bin" >"link-$_what.ldd"
}

_link_variants()
{
	_link_variant shared VMMCTL_STATIC=0 || return 1
	grep -q "libvmmctl\.so\.1 => $VMMCTL_BUILD/lib/" link-shared.ldd ||
	    { cat link-shared.ldd; echo "not linked to libvmmctl.so.1"; return 1; }
	echo "linked to $(grep -o 'libvmmctl\.so\.1 => [^ ]*' link-shared.ldd)"
	_link_variant static || return 1
	! grep -q 'libvmmctl' link-static.ldd ||
	    { cat link-static.ldd; echo "not static"; return 1; }
	# The archive came from VMMCTL_LIB_DIR, not from csrc/ through cc.
	grep -q "cargo:rustc-link-search=native=$VMMCTL_BUILD/lib" \
	    "$CARGO_TARGET_DIR"/link-static/debug/build/vmmctl-sys-*/output ||
	    { echo "VMMCTL_LIB_DIR was not used"; return 1; }
	echo "static: $VMMCTL_BUILD/lib/libvmmctl.a"
}

foreign_run()
{
	_rust_env || return 1
	case "$1" in
	*::*)
		_rust_test "$1"
		;;
	doctests)
		(cd "$RUST_SRC" && cargo test --workspace --doc --offline)
		;;
	link_variants)
		_link_variants
		;;
	example_demo)
		_example_demo
		;;
	rustdoc)
		(cd "$RUST_SRC" && RUSTDOCFLAGS="-D warnings" cargo doc \
		    --workspace --no-deps --offline) && echo "rustdoc: clean"
		;;
	fuse_feature)
		pkg-config --exists fuse3 ||
		    { echo "SKIPPED: no libfuse3 (pkg-config fuse3)"; return 0; }
		(cd "$RUST_SRC" && cargo test --offline -p vmmctl --features fuse \
		    --test sim --target-dir "$CARGO_TARGET_DIR/fuse" -- \
		    --test-threads 1 --nocapture) >fuse.out 2>&1
		_rc=$?
		cat fuse.out
		[ "$_rc" -eq 0 ] || return "$_rc"
		# A machine without a usable /dev/fuse: reported skipped.
		grep -q 'SKIPPED: ' fuse.out && return 0
		grep -q '^test fuse_device_mode \.\.\. ok' fuse.out ||
		    { echo "device mode did not run"; return 1; }
		;;
	docs_rs)
		(cd "$RUST_SRC" && env DOCS_RS=1 CC=/bin/false \
		    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps \
		    --offline --target-dir "$CARGO_TARGET_DIR/docs-rs") &&
		    ! grep -q 'rustc-link-lib' \
		    "$CARGO_TARGET_DIR"/docs-rs/debug/build/vmmctl-sys-*/output &&
		    echo "docs.rs: no C compiled or linked"
		;;
	clippy)
		(cd "$RUST_SRC" && cargo clippy --workspace --all-targets \
		    --offline -- -D warnings) && echo "clippy: clean"
		;;
	rustfmt)
		(cd "$RUST_SRC" && cargo fmt --all --check) &&
		    echo "rustfmt: clean"
		;;
	bindings_up_to_date)
		_gen="$PWD/gen"
		sh "$RUST_SRC/gen-bindings.sh" "$VMMCTL_SRC" "$_gen" || return 1
		for _f in bindings.rs kernel_abi.rs sim.rs; do
			diff -u "$RUST_SRC/vmmctl-sys/src/$_f" "$_gen/$_f" ||
			    return 1
		done
		echo "bindings: up to date"
		;;
	abi_json_copy)
		sh "$RUST_SRC/gen-abi-json.sh" "$VMMCTL_SRC" "$PWD/abi_json.rs" &&
		    diff -u "$RUST_SRC/vmmctl/tests/common/abi_json.rs" \
		    abi_json.rs && echo "abi_json.rs: up to date"
		;;
	*)
		echo "unknown test $1"
		return 1
		;;
	esac
}

atf_init_test_cases()
{
	foreign_init
}
