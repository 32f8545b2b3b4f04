#! /usr/bin/env atf-sh
# tests/freebsd: every part cross-compiled for FreeBSD (mk/freebsd.mk), one
# test case per part, each running its make step against this build
# ($VMMCTL_BUILD/freebsd).  A failure shows the compiler's output.  The
# tools (Zig, the Rust FreeBSD target) come from "make deps": a missing one
# fails the case, nothing is downloaded here.

# Runs "make TARGET [VAR=VALUE...]" in the source tree; its output is kept
# in make.out and shown.  Returns make's exit status.
fbsd_make()
{
	[ -n "${VMMCTL_SRC:-}" ] && [ -n "${VMMCTL_BUILD:-}" ] ||
	    atf_fail "VMMCTL_SRC/VMMCTL_BUILD are not set: run through make test"
	# Not the jobserver or the variables of the make that started Kyua;
	# one step at a time in a build dir, should Kyua run cases in parallel
	# (they share the FreeBSD libvmmctl.a).
	_lock=
	if command -v flock >/dev/null 2>&1; then
		mkdir -p "$VMMCTL_BUILD/freebsd"
		_lock="flock $VMMCTL_BUILD/freebsd/.lock"
	fi
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	    $_lock make -C "$VMMCTL_SRC" --no-print-directory \
	    BUILD="$VMMCTL_BUILD" "$@" >make.out 2>&1
	_rc=$?
	cat make.out
	return $_rc
}

# The step must pass; on failure, the first compiler error is the reason.
fbsd_step()
{
	fbsd_make "$1" && return 0
	_why=$(grep -E -m1 'error(\[[A-Z0-9]*\])?:|\*\*\* ' make.out || true)
	atf_fail "make $1 failed: ${_why:-see its output}"
}

# The same, for a binding whose step says it is absent.
fbsd_binding_step()
{
	fbsd_step "$1"
	_skip=$(grep -m1 "^$1: skipped" make.out || true)
	[ -z "$_skip" ] || atf_skip "$_skip"
}

atf_test_case abi_probe
abi_probe_head()
{
	atf_set descr "vmmctl_dev.h's ABI asserts under FreeBSD's <sys/ioccom.h>" \
	    "(mk/freebsd/abi_probe.c, a FreeBSD executable)"
	atf_set timeout 600
}
abi_probe_body()
{
	fbsd_step freebsd-abi-probe
}

# The probe really compiles the FreeBSD branch of vmmctl_dev.h: breaking
# the FreeBSD-only line fails it, breaking the other branch does not, and
# the probe itself refuses to be compiled for anything but FreeBSD.
atf_test_case abi_probe_breakage
abi_probe_breakage_head()
{
	atf_set descr "a broken FreeBSD-only line fails the FreeBSD probe"
	atf_set timeout 600
}
abi_probe_breakage_body()
{
	hdr=$VMMCTL_SRC/sys/include/vmmctl_dev.h
	grep -q '^#include <sys/ioccom.h>$' "$hdr" ||
	    atf_fail "vmmctl_dev.h has no '#include <sys/ioccom.h>' line"
	out=$PWD/abi_probe

	# 1. The unchanged header passes (in a scratch copy).
	mkdir ok && cp "$hdr" ok/
	fbsd_make freebsd-abi-probe FREEBSD_PROBE_INC="$PWD/ok" \
	    FREEBSD_PROBE_OUT="$out" || atf_fail "the copied header fails"

	# 2. The FreeBSD branch's include removed: _IOWR is gone.
	mkdir noinc
	sed '/^#include <sys\/ioccom.h>$/d' "$hdr" >noinc/vmmctl_dev.h
	if fbsd_make freebsd-abi-probe FREEBSD_PROBE_INC="$PWD/noinc" \
	    FREEBSD_PROBE_OUT="$out"; then
		atf_fail "the probe passed without <sys/ioccom.h>"
	fi
	grep -q '_IOWR\|ioccom' make.out ||
	    atf_fail "the failure does not name _IOWR/ioccom.h"

	# 3. The FreeBSD branch's include misspelt: not found.
	mkdir badinc
	sed 's|^#include <sys/ioccom.h>$|#include <sys/ioccom_broken.h>|' \
	    "$hdr" >badinc/vmmctl_dev.h
	if fbsd_make freebsd-abi-probe FREEBSD_PROBE_INC="$PWD/badinc" \
	    FREEBSD_PROBE_OUT="$out"; then
		atf_fail "the probe passed with a broken FreeBSD-only include"
	fi
	grep -q 'ioccom_broken' make.out ||
	    atf_fail "the failure does not name the broken include"

	# 4. The non-FreeBSD branch broken: the FreeBSD build does not see it.
	mkdir other
	sed 's|^#include <sys/ioctl.h>\(.*\)$|#include <no_such_linux_header.h>\1|' \
	    "$hdr" >other/vmmctl_dev.h
	cmp -s "$hdr" other/vmmctl_dev.h &&
	    atf_fail "vmmctl_dev.h has no non-FreeBSD '#include <sys/ioctl.h>' line"
	fbsd_make freebsd-abi-probe FREEBSD_PROBE_INC="$PWD/other" \
	    FREEBSD_PROBE_OUT="$out" ||
	    atf_fail "the FreeBSD probe compiled the non-FreeBSD branch"

	# 5. The probe refuses a native (non-FreeBSD) compiler.
	if cc -std=c99 -I"$VMMCTL_SRC/sys/include" -I"$VMMCTL_SRC/sys/sim" \
	    -c -o native.o "$VMMCTL_SRC/mk/freebsd/abi_probe.c" >cc.out 2>&1
	then
		cat cc.out
		atf_fail "abi_probe.c compiled natively: its FreeBSD guard is gone"
	fi
	grep -q 'must be compiled for FreeBSD' cc.out ||
	    { cat cc.out; atf_fail "abi_probe.c failed natively for another reason"; }
}

# Every area's directory is globbed and compiled by the FreeBSD compiler: in
# a scratch copy of the tree, a new file holding a FreeBSD-only #error in
# sys/kern, sys/sim, capi/src or capi/cli fails that area's step.
atf_test_case new_files
new_files_head()
{
	atf_set descr "a new FreeBSD-only line in any area fails its step"
	atf_set timeout 600
}
new_files_body()
{
	command -v git >/dev/null 2>&1 || atf_skip "git is needed to copy the tree"
	mkdir tree
	(cd "$VMMCTL_SRC" && git ls-files -z | tar --null -T - -cf -) |
	    tar -xf - -C tree || atf_fail "cannot copy the tree"
	ln -s "$VMMCTL_SRC/.tools" tree/.tools
	for pair in sys/kern:freebsd-kern-sim sys/sim:freebsd-kern-sim \
	    capi/src:freebsd-libvmmctl capi/cli:freebsd-cli; do
		dir=${pair%%:*}
		step=${pair#*:}
		f=tree/$dir/zz_freebsd_only.c
		printf '%s\n' '#ifdef __FreeBSD__' \
		    '#error "FreeBSD-only line compiled"' '#endif' \
		    'int zz_freebsd_only(void);' \
		    'int zz_freebsd_only(void) { return 0; }' >"$f"
		if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		    make -C tree --no-print-directory BUILD="$PWD/build" \
		    "$step" >make.out 2>&1; then
			cat make.out
			atf_fail "$step passed with a new $dir file that fails on FreeBSD"
		fi
		grep -q 'FreeBSD-only line compiled' make.out ||
		    { cat make.out; atf_fail "$step failed for another reason"; }
		echo "$dir: $step fails as it must"
		rm -f "$f"
	done
	# And the copy itself passes without them.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	    make -C tree --no-print-directory BUILD="$PWD/build" \
	    freebsd-kern-sim freebsd-libvmmctl freebsd-cli >make.out 2>&1 ||
	    { cat make.out; atf_fail "the copied tree fails"; }
}

# The checks the steps rely on catch what they are for: a Linux binary is
# not taken for a FreeBSD one, a missing FreeBSD path is noticed, and a
# misspelt FreeBSD guard (false everywhere) is refused.
atf_test_case checks_detect
checks_detect_head()
{
	atf_set descr "check-elf.sh and guards.sh refuse what they must"
}
checks_detect_body()
{
	check=$VMMCTL_SRC/mk/freebsd/check-elf.sh
	guards=$VMMCTL_SRC/mk/freebsd/guards.sh
	native=$(command -v sh)
	atf_check -s exit:1 -o ignore -e match:'FreeBSD' sh "$check" exec "$native"
	atf_check -s exit:1 -o ignore -e match:'none of' \
	    sh "$check" uses "$native" no_such_function_xyz
	atf_check -s exit:0 -o ignore -e empty sh "$guards" \
	    "$VMMCTL_SRC/sys" "$VMMCTL_SRC/capi" "$VMMCTL_SRC/mk/freebsd"
	mkdir src
	printf '#ifdef __FreeBSD__\nint a;\n#endif\n' >src/good.c
	atf_check -s exit:0 -o empty -e empty sh "$guards" src
	printf '#if defined(__linux__) || defined(__FreeBSD)\nint b;\n#endif\n' \
	    >src/bad.c
	atf_check -s exit:1 -o empty -e match:'bad.c:1: __FreeBSD$' \
	    sh "$guards" src
}

atf_test_case kern_sim
kern_sim_head()
{
	atf_set descr "sys/kern and vmmctl-sim built and linked for FreeBSD"
	atf_set timeout 600
}
kern_sim_body()
{
	fbsd_step freebsd-kern-sim
}

atf_test_case libvmmctl
libvmmctl_head()
{
	atf_set descr "libvmmctl.a and libvmmctl.so.1 (both transports) for FreeBSD"
	atf_set timeout 600
}
libvmmctl_body()
{
	fbsd_step freebsd-libvmmctl
}

atf_test_case cli
cli_head()
{
	atf_set descr "the vmmctl command linked for FreeBSD"
	atf_set timeout 600
}
cli_body()
{
	fbsd_step freebsd-cli
}

atf_test_case rust
rust_head()
{
	atf_set descr "cargo check --target x86_64-unknown-freebsd (bindings/rust)"
	atf_set timeout 1200
}
rust_body()
{
	fbsd_binding_step freebsd-rust
}

atf_test_case go
go_head()
{
	atf_set descr "GOOS=freebsd cgo build of bindings/go with zig cc"
	atf_set timeout 1200
}
go_body()
{
	fbsd_binding_step freebsd-go
}

atf_init_test_cases()
{
	atf_add_test_case abi_probe
	atf_add_test_case abi_probe_breakage
	atf_add_test_case checks_detect
	atf_add_test_case new_files
	atf_add_test_case kern_sim
	atf_add_test_case libvmmctl
	atf_add_test_case cli
	atf_add_test_case rust
	atf_add_test_case go
}
