#! /usr/bin/env atf-sh
#
# vmmctl(1): every subcommand, its messages and exit statuses, against a
# private vmmctl-sim per test case.

. "$VMMCTL_SRC/tests/lib/testsim.subr"

V="$VMMCTL_BUILD/bin/vmmctl"

# Test cases that need a simulator: NAME DESCRIPTION.
sim_case()
{
	atf_test_case "$1" cleanup
	eval "_descr_$1=\$2"
	eval "$1_head() { atf_set descr \"\$_descr_$1\"; atf_set require.progs python3; }"
	eval "$1_cleanup() { testsim_cleanup; }"
	SIM_CASES="$SIM_CASES $1"
}

# Declared before the bodies below, which replace atf_test_case's stubs.
SIM_CASES=
sim_case create_one "create one persistent VM"
sim_case create_several "create several VMs at once"
sim_case create_existing "create of a taken name: message, exit 1, others done"
sim_case create_badname "create with bad and over-long names"
sim_case destroy_existing "destroy existing VMs"
sim_case destroy_missing "destroy of a missing VM: ENOENT message, exit 1"
sim_case list_empty "list and list --json with no VMs"
sim_case list_novmm "list with no ROOT/vmm (FreeBSD: no VM yet) is empty"
sim_case list_sorted "list is sorted by bytes"
sim_case list_json "list --json is valid JSON for any byte in a name"
sim_case list_escaped "list: one line per VM, every byte but printable ASCII escaped, invertible"
sim_case message_escaped "names in messages are escaped as in list"
sim_case run_dash_name "run -- -x -- cmd makes a VM named -x; run -x is a usage error"
sim_case run_visible "run: the VM exists during the command, not after"
sim_case run_close_complete "run: once it returns, the VM's node is gone (1,000 rounds)"
sim_case run_status "run: the command's exit status is vmmctl's"
sim_case run_fd "run: VMMCTL_FD names an inherited control descriptor"
sim_case run_adopt "run: the command adopts VMMCTL_FD and creates more scoped VMs"
sim_case run_holder "run: the VM lives as long as the descriptor's last holder"
sim_case run_killed "run: a command killed by SIGKILL gives 137, VM gone"
sim_case run_signal "run: SIGTERM/SIGHUP/SIGINT sent to vmmctl reach the command"
sim_case run_missing "run: command not found 127, not executable 126, no VM left"
sim_case run_taken "run: a VM that cannot be created means no command"
sim_case jails "-r ROOT/jails/NAME: a jail sees its own VMs, siblings do not"
sim_case uid_limit "create beyond the per-user limit: ENOMEM message, exit 1"
sim_case no_sim "no control device at the root: exit 69, and the message says vmm(4) is not loaded or the system predates /dev/vmmctl"
sim_case run_close_complete "1,000 rounds of run NAME -- true, then a test of the node: none is left"
sim_case run_generation1 "run on a generation-1 kernel (FreeBSD 15.0): no VM, no command, exit 1, and the message says why"
sim_case root_select "-r ROOT and VMMCTL_ROOT both honoured, -r first"

# The root's VM list on one line: "a b c " (empty: "").
names()
{
	"$V" -r "$TESTSIM_ROOT" list | tr '\n' ' '
}

expect_names()
{
	_got=$(names)
	[ "$_got" = "$1" ] || atf_fail "list: expected '$1', got '$_got'"
}

# Waits (bounded) until a VM disappears, for holders not our children.
wait_gone()
{
	_i=0
	while "$V" -r "$TESTSIM_ROOT" list | grep -qx "$1"; do
		_i=$((_i + 1))
		[ "$_i" -le 1000 ] || atf_fail "$1 still exists after 10 s"
		sleep 0.01
	done
}

create_one_body()
{
	testsim_start
	atf_check -s exit:0 -o empty -e empty "$V" -r "$TESTSIM_ROOT" create vm0
	[ -e "$TESTSIM_ROOT/vmm/vm0" ] || atf_fail "no $TESTSIM_ROOT/vmm/vm0"
	atf_check -s exit:0 -o inline:"vm0\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" list
	testsim_stop
}

create_several_body()
{
	testsim_start
	atf_check -s exit:0 -o empty -e empty \
	    "$V" -r "$TESTSIM_ROOT" create zeta alpha mid
	# Persistent: they outlived the command's descriptor; sorted.
	atf_check -s exit:0 -o inline:"alpha\nmid\nzeta\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" list
	testsim_stop
}

create_existing_body()
{
	testsim_start
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create vm0
	atf_check -s exit:1 -o empty \
	    -e inline:"vmmctl: create vm0: VM name already in use\n" \
	    "$V" -r "$TESTSIM_ROOT" create vm0
	# Every name is tried; each failure is reported; the status says so.
	atf_check -s exit:1 -o empty \
	    -e inline:"vmmctl: create vm0: VM name already in use\n" \
	    "$V" -r "$TESTSIM_ROOT" create vm1 vm0 vm2
	expect_names "vm0 vm1 vm2 "
	testsim_stop
}

create_badname_body()
{
	testsim_start
	for n in "" "a/b" "." ".."; do
		atf_check -s exit:1 -o empty \
		    -e inline:"vmmctl: create $n: Invalid VM name or argument\n" \
		    "$V" -r "$TESTSIM_ROOT" create -- "$n"
	done
	# 229 bytes is the longest name, 230 is one too many.
	n229=$(printf '%0229d' 0)
	n230=$(printf '%0230d' 0)
	atf_check -s exit:0 -e empty "$V" -r "$TESTSIM_ROOT" create "$n229"
	atf_check -s exit:1 -o empty \
	    -e inline:"vmmctl: create $n230: VM name (or path) too long\n" \
	    "$V" -r "$TESTSIM_ROOT" create "$n230"
	expect_names "$n229 "
	# A name may start with '-' after "--".
	atf_check -s exit:0 -e empty "$V" -r "$TESTSIM_ROOT" create -- -dash
	expect_names "-dash $n229 "
	testsim_stop
}

destroy_existing_body()
{
	testsim_start
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create a b c
	atf_check -s exit:0 -o empty -e empty \
	    "$V" -r "$TESTSIM_ROOT" destroy a c
	expect_names "b "
	[ ! -e "$TESTSIM_ROOT/vmm/a" ] || atf_fail "vmm/a is still there"
	testsim_stop
}

destroy_missing_body()
{
	testsim_start
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create b
	atf_check -s exit:1 -o empty -e match:"^vmmctl: destroy nosuch: No such VM" \
	    "$V" -r "$TESTSIM_ROOT" destroy nosuch
	# The others are still destroyed.
	atf_check -s exit:1 -o empty -e match:"^vmmctl: destroy a: No such VM" \
	    "$V" -r "$TESTSIM_ROOT" destroy a b
	expect_names ""
	atf_check -s exit:1 -e match:"destroy a/b: Invalid VM name" \
	    "$V" -r "$TESTSIM_ROOT" destroy a/b
	testsim_stop
}

list_empty_body()
{
	testsim_start
	atf_check -s exit:0 -o empty -e empty "$V" -r "$TESTSIM_ROOT" list
	atf_check -s exit:0 -o inline:"[]\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" list --json
	testsim_stop
}

list_novmm_body()
{
	testsim_start
	rmdir "$TESTSIM_ROOT/vmm" || atf_fail "cannot remove the empty vmm/"
	atf_check -s exit:0 -o empty -e empty "$V" -r "$TESTSIM_ROOT" list
	atf_check -s exit:0 -o inline:"[]\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" list --json
	mkdir "$TESTSIM_ROOT/vmm"
	testsim_stop
}

list_sorted_body()
{
	testsim_start
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create b10 B a b2 _x 0
	# Byte order (strcmp), whatever the locale.
	atf_check -s exit:0 -o inline:"0\nB\n_x\na\nb10\nb2\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" list
	testsim_stop
}

# Entries FreeBSD's devfs never has (whitespace in a name), put into
# ROOT/vmm directly: list must not rely on the kernel's name rules.  They
# go before the sim stops (its clean-up removes only what it made).
vmm_entries()
{
	for _n in "$@"; do
		: >"$TESTSIM_ROOT/vmm/$_n" || atf_fail "cannot make vmm/$_n"
	done
}
vmm_entries_rm()
{
	for _n in "$@"; do
		rm -f "$TESTSIM_ROOT/vmm/$_n"
	done
}

list_json_body()
{
	testsim_start
	# '"' and white space are refused up front (devfs would refuse
	# them): those come as entries of vmm/.
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create plain \
	    'back\slash' "$(printf 'ctl\001x')" "$(printf 'del\177x')" \
	    "$(printf 'esc\033[2Jx')" "$(printf 'us\037x')" \
	    "$(printf 'hi\377x')" "$(printf 'utf\303\251')" \
	    "$(printf 'bad\303x')" "$(printf 'sur\355\240\200')" \
	    "$(printf 'c1\302\233x')" "$(printf 'bidi\342\200\256x')" \
	    "$(printf 'ls\342\200\250x')"
	vmm_entries 'q"uote' "$(printf 'nl\nx')" "$(printf 'tab\tx')"
	"$V" -r "$TESTSIM_ROOT" list --json >out.json ||
	    atf_fail "list --json failed"
	vmm_entries_rm 'q"uote' "$(printf 'nl\nx')" "$(printf 'tab\tx')"
	cat out.json
	# Valid JSON, one line, and nothing a terminal acts on; names as
	# bytes (invalid UTF-8 bytes come back as lone surrogates, like
	# Python's surrogateescape); byte-sorted.
	atf_check -s exit:0 -o inline:"ok\n" python3 -c '
import json, sys
with open("out.json", "rb") as f:
    raw = f.read()
text = raw.decode("utf-8")    # the output itself is valid UTF-8
assert text.endswith("]\n") and text.count("\n") == 1, text
hidden = [c for c in text[:-1] if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f
          or c in "\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
          or 0x2066 <= ord(c) <= 0x2069]
assert not hidden, hidden
names = json.loads(raw)
got = [n.encode("utf-8", "surrogateescape") for n in names]
want = [b"plain", b"q\"uote", b"back\\slash", b"nl\nx", b"tab\tx",
        b"ctl\x01x", b"del\x7fx", b"esc\x1b[2Jx", b"us\x1fx", b"hi\xffx",
        b"utf\xc3\xa9", b"bad\xc3x", b"sur\xed\xa0\x80", b"c1\xc2\x9bx",
        b"bidi\xe2\x80\xaex", b"ls\xe2\x80\xa8x"]
assert got == sorted(want), (got, sorted(want))
assert "\\u00e9" not in text and "\u00e9" in names[-1], names
for esc in ("\\u009b", "\\u202e", "\\u2028", "\\u001b"):
    assert esc in text, esc
print("ok")
'
	testsim_stop
}

list_escaped_body()
{
	testsim_start
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create -- plain \
	    "$(printf 'esc\033[31mred')" "$(printf 'ctl\001x')" \
	    "$(printf 'del\177x')" "$(printf 'hi\377x')" \
	    "$(printf 'utf\303\251')" 'back\slash' "$(printf 'c1\302\233x')" \
	    '-dash' '\012'
	vmm_entries "$(printf 'nl\nfake-vm')" "$(printf 'tab\tx')" \
	    "$(printf 'cr\rx')" 'sp ace'
	"$V" -r "$TESTSIM_ROOT" list >out
	rc=$?
	vmm_entries_rm "$(printf 'nl\nfake-vm')" "$(printf 'tab\tx')" \
	    "$(printf 'cr\rx')" 'sp ace'
	[ "$rc" -eq 0 ] || atf_fail "list exited $rc"
	# Byte-sorted; printable ASCII as is, "\" doubled, the rest \ooo.
	printf '%s\n' '-dash' '\\012' 'back\\slash' 'c1\302\233x' \
	    'cr\015x' 'ctl\001x' 'del\177x' 'esc\033[31mred' 'hi\377x' \
	    'nl\012fake-vm' 'plain' 'sp ace' 'tab\011x' 'utf\303\251' \
	    >expected
	atf_check -o file:expected cat out
	# Only printable ASCII and newlines; one line per VM, and each line
	# decodes back to its name.
	atf_check -s exit:0 -o inline:"ok\n" python3 -c '
import codecs
with open("out", "rb") as f:
    raw = f.read()
assert all(0x20 <= b <= 0x7e or b == 0x0a for b in raw), raw
lines = raw.split(b"\n")
assert lines[-1] == b"", raw
got = [codecs.escape_decode(l)[0] for l in lines[:-1]]
want = [b"plain", b"esc\x1b[31mred", b"ctl\x01x", b"del\x7fx", b"hi\xffx",
        b"utf\xc3\xa9", b"back\\slash", b"c1\xc2\x9bx", b"-dash",
        b"\\012", b"sp ace", b"nl\nfake-vm", b"tab\tx", b"cr\rx"]
assert got == sorted(want), (got, sorted(want))
print("ok")
'
	testsim_stop
}

# The message for a bad name shows it escaped (the name is the caller's).
message_escaped_body()
{
	testsim_start
	"$V" -r "$TESTSIM_ROOT" create "$(printf 'a/\033[2J')" 2>err
	[ $? -eq 1 ] || atf_fail "create of a bad name did not exit 1"
	printf '%s\n' 'vmmctl: create a/\033[2J: Invalid VM name or argument' \
	    >expected
	atf_check -o file:expected cat err
	"$V" -r "$TESTSIM_ROOT" destroy 'no\such' "$(printf 'e\033x')" 2>err
	[ $? -eq 1 ] || atf_fail "destroy of missing VMs did not exit 1"
	atf_check -o match:'^vmmctl: destroy no\\\\such: No such VM' \
	    -o match:'^vmmctl: destroy e\\033x: No such VM' cat err
	atf_check -o inline:"2\n" wc -l <err
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create "$(printf 'e\033x')"
	"$V" -r "$TESTSIM_ROOT" run "$(printf 'e\033x')" -- true 2>err
	[ $? -eq 1 ] || atf_fail "run of a taken name did not exit 1"
	printf '%s\n' 'vmmctl: run e\033x: VM name already in use' >expected
	atf_check -o file:expected cat err
	testsim_stop
	# The root too.
	"$V" -r "$(printf '/nonexistent/\033x')" list 2>err
	[ $? -eq 69 ] || atf_fail "list under a missing root did not exit 69"
	atf_check -o match:'^vmmctl: cannot open /nonexistent/\\033x/vmmctl: ' \
	    cat err
}

run_dash_name_body()
{
	testsim_start
	atf_check -s exit:0 -o inline:"-x\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" run -- -x -- "$V" list
	# The second "--" may go when the command does not start with '-'.
	atf_check -s exit:0 -o inline:"-y\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" run -- -y "$V" list
	# A name that starts with '-' without "--" is an unknown option.
	atf_check -s exit:64 -o empty \
	    -e match:"^vmmctl: run: unknown option '-x' \(a name that starts with '-' follows '--'\)$" \
	    -e match:"^usage: vmmctl" \
	    "$V" -r "$TESTSIM_ROOT" run -x -- touch ran
	[ ! -e ran ] || atf_fail "the command ran"
	expect_names ""
	testsim_stop
}

run_visible_body()
{
	testsim_start
	# -r is passed on to the command as VMMCTL_ROOT.
	atf_check -s exit:0 -o inline:"other\nscoped0\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" run scoped0 -- sh -c \
	    '"$VMMCTL_BUILD/bin/vmmctl" create other && "$VMMCTL_BUILD/bin/vmmctl" list'
	expect_names "other "
	# Without "--" too.
	atf_check -s exit:0 -o inline:"other\nscoped1\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" run scoped1 "$V" list
	expect_names "other "
	testsim_stop
}

run_close_complete_body()
{
	testsim_start
	i=0
	left=0
	while [ "$i" -lt 1000 ]; do
		"$V" -r "$TESTSIM_ROOT" run vm -- true ||
		    atf_fail "run failed in round $i"
		[ -e "$TESTSIM_ROOT/vmm/vm" ] && left=$((left + 1))
		i=$((i + 1))
	done
	atf_check_equal 0 "$left"
	testsim_stop
}

run_status_body()
{
	testsim_start
	atf_check -s exit:0 -o empty -e empty "$V" -r "$TESTSIM_ROOT" run s -- true
	atf_check -s exit:7 -o empty -e empty \
	    "$V" -r "$TESTSIM_ROOT" run s -- sh -c 'exit 7'
	atf_check -s exit:255 "$V" -r "$TESTSIM_ROOT" run s -- sh -c 'exit 255'
	atf_check -s exit:1 -o inline:"args: a b c\n" \
	    "$V" -r "$TESTSIM_ROOT" run s -- sh -c 'echo args: "$@"; false' sh a b c
	expect_names ""
	testsim_stop
}

run_fd_body()
{
	testsim_start
	# The descriptor is open in the command, a socket connected to the
	# sim, not close-on-exec, and not one of stdin/stdout/stderr.
	atf_check -s exit:0 -o inline:"ok\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" run s0 -- python3 -c '
import os, stat, fcntl
fd = int(os.environ["VMMCTL_FD"])
assert fd > 2, fd
assert stat.S_ISSOCK(os.fstat(fd).st_mode)
assert not fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
print("ok")
'
	testsim_stop
}

run_adopt_body()
{
	testsim_start
	helper=$(atf_get_srcdir)/cli_adopt
	[ -x "$helper" ] || atf_fail "no $helper"
	# Through the adopted descriptor: the VMs it creates die with it too.
	"$V" -r "$TESTSIM_ROOT" run s0 -- "$helper" extra0 extra1 >out 2>err
	rc=$?
	cat out err
	[ "$rc" -eq 0 ] || atf_fail "exit $rc"
	atf_check -o inline:"extra0\nextra1\ns0\n" sort out
	expect_names ""
	testsim_stop
}

run_holder_body()
{
	testsim_start
	mkfifo go || atf_fail "mkfifo"
	# The command hands the descriptor to a background process and exits:
	# the VM lives on with it, and dies with the last holder.
	atf_check -s exit:0 -o empty -e empty \
	    "$V" -r "$TESTSIM_ROOT" run held0 -- sh -c \
	    '(read x <go) </dev/null >/dev/null 2>&1 &'
	expect_names "held0 "
	echo go >go
	wait_gone held0
	expect_names ""
	testsim_stop
}

run_killed_body()
{
	testsim_start
	atf_check -s exit:137 -o inline:"k0\n" -e empty \
	    "$V" -r "$TESTSIM_ROOT" run k0 -- sh -c \
	    '"$VMMCTL_BUILD/bin/vmmctl" list; kill -KILL $$'
	expect_names ""
	testsim_stop
}

# Starts "vmmctl run NAME -- sh -c SCRIPT" in the background and waits
# until SCRIPT has touched "ready"; sets RUNPID.
run_bg()
{
	rm -f ready
	"$V" -r "$TESTSIM_ROOT" run "$1" -- sh -c "$2" >run.out 2>run.err &
	RUNPID=$!
	_i=0
	while [ ! -e ready ]; do
		kill -0 "$RUNPID" 2>/dev/null || atf_fail "vmmctl run exited early"
		_i=$((_i + 1))
		[ "$_i" -le 1000 ] || atf_fail "the command never got ready"
		sleep 0.01
	done
}

run_signal_body()
{
	testsim_start
	# Caught by the command: its exit status comes back.
	run_bg t0 'trap "kill \$! 2>/dev/null; exit 42" TERM; sleep 60 & touch ready; wait'
	expect_names "t0 "
	kill -TERM "$RUNPID"
	wait "$RUNPID"
	rc=$?
	[ "$rc" -eq 42 ] || atf_fail "SIGTERM: exit $rc, expected 42"
	expect_names ""
	# SIGINT is ignored in a background job of a script: forwarded, it
	# stays ignored in the command, as it would be without vmmctl.
	run_bg i0 'trap "kill \$! 2>/dev/null; exit 43" TERM; sleep 60 & touch ready; wait'
	kill -INT "$RUNPID"
	expect_names "i0 "
	kill -TERM "$RUNPID"
	wait "$RUNPID"
	rc=$?
	[ "$rc" -eq 43 ] || atf_fail "SIGINT then SIGTERM: exit $rc, expected 43"
	expect_names ""
	# Not caught: the command dies of it, 128 + SIGHUP.
	run_bg h0 'touch ready; exec sleep 60'
	kill -HUP "$RUNPID"
	wait "$RUNPID"
	rc=$?
	[ "$rc" -eq 129 ] || atf_fail "SIGHUP: exit $rc, expected 129"
	expect_names ""
	testsim_stop
}

run_missing_body()
{
	testsim_start
	atf_check -s exit:127 -o empty \
	    -e match:"^vmmctl: run m0: /nonexistent/cmd: No such file" \
	    "$V" -r "$TESTSIM_ROOT" run m0 -- /nonexistent/cmd
	atf_check -s exit:127 -o empty -e match:"run m0: no-such-command-here" \
	    "$V" -r "$TESTSIM_ROOT" run m0 -- no-such-command-here
	expect_names ""
	printf '#!/bin/sh\nexit 0\n' >notexec
	chmod 0644 notexec
	atf_check -s exit:126 -o empty -e match:"run m1: ./notexec: Permission denied" \
	    "$V" -r "$TESTSIM_ROOT" run m1 -- ./notexec
	expect_names ""
	testsim_stop
}

run_taken_body()
{
	testsim_start
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create vm0
	# The command is not run when the VM cannot be created.
	atf_check -s exit:1 -o empty \
	    -e inline:"vmmctl: run vm0: VM name already in use\n" \
	    "$V" -r "$TESTSIM_ROOT" run vm0 -- touch ran
	[ ! -e ran ] || atf_fail "the command ran"
	atf_check -s exit:1 -o empty -e match:"run a/b: Invalid VM name" \
	    "$V" -r "$TESTSIM_ROOT" run a/b -- touch ran
	[ ! -e ran ] || atf_fail "the command ran"
	expect_names "vm0 "
	testsim_stop
}

atf_test_case version
version_head()
{
	atf_set descr "version prints the library's and the header's versions"
}
version_body()
{
	h=$VMMCTL_SRC/capi/include/vmmctl.h
	maj=$(sed -n 's/^#define[[:space:]]*VMMCTL_VERSION_MAJOR[[:space:]]*//p' "$h")
	min=$(sed -n 's/^#define[[:space:]]*VMMCTL_VERSION_MINOR[[:space:]]*//p' "$h")
	pat=$(sed -n 's/^#define[[:space:]]*VMMCTL_VERSION_PATCH[[:space:]]*//p' "$h")
	[ -n "$maj" ] && [ -n "$min" ] && [ -n "$pat" ] ||
	    atf_fail "no version in $h"
	atf_check -s exit:0 -o inline:"library $maj.$min.$pat\nheader $maj.$min.$pat\n" \
	    -e empty "$V" version
	# Needs no control device.
	atf_check -s exit:0 -o match:"^library " -e empty \
	    "$V" -r /nonexistent version
}

atf_test_case help
help_head()
{
	atf_set descr "-h, --help and help print the usage and exit statuses"
}
help_body()
{
	for opt in -h --help help; do
		atf_check -s exit:0 -o save:help.out -e empty "$V" $opt
		for w in "usage: vmmctl" "create \[--\] name" "destroy \[--\] name" \
		    "list \[--json\]" "run \[--\] name -- command" version "-r root" VMMCTL_ROOT \
		    VMMCTL_FD "64 usage" "69 control device" "126/127"; do
			grep -q -- "$w" help.out || atf_fail "$opt: no '$w'"
		done
	done
}

atf_test_case usage
usage_head()
{
	atf_set descr "bad usage exits 64 with the usage on stderr"
}
# Bad usage: what was wrong (pattern $1), then the usage; exit 64.
usage_is()
{
	_want=$1
	shift
	atf_check -s exit:64 -o empty -e match:"$_want" -e match:"^usage: vmmctl" \
	    "$V" "$@"
}

usage_body()
{
	usage_is "^vmmctl: no command$"
	usage_is "^vmmctl: unknown command 'frob'$" frob
	usage_is "^vmmctl: unknown command 'fr\\\\033ob'$" "$(printf 'fr\033ob')"
	usage_is "invalid option -- 'x'" -x list
	usage_is "requires an argument -- 'r'" -r
	usage_is "^vmmctl: create: no VM name$" create
	usage_is "^vmmctl: create: no VM name$" create --
	usage_is "^vmmctl: create: unknown option '-f' \(a name that" create -f vm0
	usage_is "^vmmctl: destroy: no VM name$" destroy
	usage_is "^vmmctl: destroy: unknown option '--all'" destroy --all
	usage_is "^vmmctl: list: unexpected argument 'extra'$" list extra
	usage_is "^vmmctl: list: unknown option '--xml'$" list --xml
	usage_is "^vmmctl: list: unexpected argument 'x'$" list --json x
	usage_is "^vmmctl: run: no VM name$" run
	usage_is "^vmmctl: run: no VM name$" run --
	usage_is "^vmmctl: run: no command for VM 'vm0'$" run vm0
	usage_is "^vmmctl: run: no command for VM 'vm0'$" run vm0 --
	usage_is "^vmmctl: run: no command for VM '-x'$" run -- -x --
	usage_is "^vmmctl: version: unexpected argument '2'$" version 2
}

jails_body()
{
	testsim_start --jail j1 --jail j2
	j1=$TESTSIM_ROOT/jails/j1
	j2=$TESTSIM_ROOT/jails/j2
	atf_check -s exit:0 -e empty "$V" -r "$j1" create in1
	# The host (the jail's ancestor) sees it, the sibling does not ...
	expect_names "in1 "
	atf_check -s exit:0 -o empty -e empty "$V" -r "$j2" list
	atf_check -s exit:1 -o empty -e match:"^vmmctl: destroy in1: No such VM" \
	    "$V" -r "$j2" destroy in1
	# ... yet the name is taken everywhere.
	atf_check -s exit:1 -o empty \
	    -e inline:"vmmctl: create in1: VM name already in use\n" \
	    "$V" -r "$j2" create in1
	# A scoped VM run in j2: j2 sees it, j1 sees only its own.
	atf_check -s exit:0 -o inline:"s2\n--\nin1\n" -e empty \
	    "$V" -r "$j2" run s2 -- sh -c \
	    'vmmctl=$VMMCTL_BUILD/bin/vmmctl; $vmmctl list; echo --;
	    $vmmctl -r "$VMMCTL_ROOT/../j1" list'
	atf_check -s exit:0 -e empty "$V" -r "$j1" destroy in1
	expect_names ""
	testsim_stop
}

uid_limit_body()
{
	testsim_start --uid-limit 2
	atf_check -s exit:1 -o empty \
	    -e inline:"vmmctl: create c: Per-user VM limit reached, or out of memory\n" \
	    "$V" -r "$TESTSIM_ROOT" create a b c
	expect_names "a b "
	atf_check -s exit:1 -o empty -e match:"^vmmctl: run s0: Per-user VM limit" \
	    "$V" -r "$TESTSIM_ROOT" run s0 -- true
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" destroy a
	atf_check -s exit:0 -o inline:"b\ns0\n" \
	    "$V" -r "$TESTSIM_ROOT" run s0 -- "$V" list
	testsim_stop
}

run_close_complete_body()
{
	testsim_start
	left=0
	i=0
	while [ "$i" -lt 1000 ]; do
		"$V" -r "$TESTSIM_ROOT" run r -- true ||
		    atf_fail "round $i: run exited $?"
		[ ! -e "$TESTSIM_ROOT/vmm/r" ] || left=$((left + 1))
		i=$((i + 1))
	done
	[ "$left" -eq 0 ] || atf_fail "$left of 1000 nodes outlived vmmctl run"
	testsim_stop
}

run_generation1_body()
{
	testsim_start --generation 1
	atf_check -s exit:1 -o empty \
	    -e match:"^vmmctl: run g1: .*cannot tie a VM to a descriptor" \
	    "$V" -r "$TESTSIM_ROOT" run g1 -- touch ran
	[ ! -e ran ] || atf_fail "the command ran"
	expect_names ""
	# What it can do there: persistent VMs.
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create g1p
	expect_names "g1p "
	testsim_stop
}

no_sim_body()
{
	testsim_start
	root=$TESTSIM_ROOT
	testsim_stop
	mkdir "$root"
	for cmd in "create a" "destroy a" "list" "list --json" "run a -- true"; do
		atf_check -s exit:69 -o empty \
		    -e match:"^vmmctl: cannot open $root/vmmctl: " \
		    -e match:"vmm\(4\) is not loaded, or the system predates /dev/vmmctl" \
		    "$V" -r "$root" $cmd
	done
	rmdir "$root"
	env VMMCTL_ROOT=/nonexistent/root "$V" list >/dev/null 2>err
	rc=$?
	[ "$rc" -eq 69 ] || atf_fail "VMMCTL_ROOT=/nonexistent/root: exit $rc"
	grep -q "cannot open /nonexistent/root/vmmctl" err ||
	    atf_fail "message: $(cat err)"
}

root_select_body()
{
	testsim_start
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create vm0
	# $VMMCTL_ROOT when there is no -r ...
	atf_check -s exit:0 -o inline:"vm0\n" -e empty \
	    env VMMCTL_ROOT="$TESTSIM_ROOT" "$V" list
	# ... and -r wins over it, both ways.
	atf_check -s exit:0 -o inline:"vm0\n" -e empty \
	    env VMMCTL_ROOT=/nonexistent "$V" -r "$TESTSIM_ROOT" list
	atf_check -s exit:0 -o inline:"vm0\n" -e empty \
	    env VMMCTL_ROOT=/nonexistent "$V" --root "$TESTSIM_ROOT" list
	atf_check -s exit:69 -o empty -e match:"cannot open /nonexistent/vmmctl" \
	    env VMMCTL_ROOT="$TESTSIM_ROOT" "$V" -r /nonexistent list
	# An empty VMMCTL_ROOT means the default, /dev (no vmmctl here).
	if [ ! -e /dev/vmmctl ]; then
		atf_check -s exit:69 -o empty -e match:"cannot open /dev/vmmctl" \
		    env VMMCTL_ROOT= "$V" list
	fi
	testsim_stop
}

atf_test_case unpriv cleanup
unpriv_head()
{
	atf_set descr "an unprivileged user may only run scoped VMs (EPERM)"
	atf_set require.user root
	atf_set require.progs setpriv
}
unpriv_body()
{
	testsim_start
	nob="setpriv --reuid=65534 --regid=65534 --clear-groups"
	# uid 65534 may not reach the build tree (a clone under a 0700
	# directory): it runs a copy from a 0755 directory of its own.
	bindir=$(mktemp -d /tmp/vmc-exe.XXXXXX)
	echo "$bindir" >bindir
	chmod 0755 "$bindir"
	cp "$V" "$bindir/vmmctl"
	nv="$bindir/vmmctl"
	atf_check -s exit:1 -o empty \
	    -e match:"^vmmctl: create u0: Operation not permitted" \
	    $nob "$nv" -r "$TESTSIM_ROOT" create u0
	atf_check -s exit:0 -o inline:"u1\n" -e empty \
	    $nob "$nv" -r "$TESTSIM_ROOT" run u1 -- "$nv" list
	atf_check -s exit:0 "$V" -r "$TESTSIM_ROOT" create r0
	atf_check -s exit:1 -o empty -e match:"^vmmctl: destroy r0: Operation not permitted" \
	    $nob "$nv" -r "$TESTSIM_ROOT" destroy r0
	expect_names "r0 "
	testsim_stop
}
unpriv_cleanup()
{
	[ -s bindir ] && rm -rf "$(cat bindir)"
	testsim_cleanup
}

atf_test_case impostor cleanup
impostor_head()
{
	atf_set descr "as root: uid 65534 listening first in a shared directory is refused (69), and gets no byte"
	atf_set require.user root
	atf_set require.progs "setpriv /usr/bin/python3"
}
impostor_body()
{
	d=$(mktemp -d /tmp/vmc-shr.XXXXXX)
	echo "$d" >shareddir
	chmod 1777 "$d"
	# Two connections, then it says how many bytes it was sent; it gives
	# up after 60 s should the test die first.  The system's python3
	# (make deps installs it): the one in PATH may be under root's home.
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1] + "/vmmctl")
s.listen(4)
s.settimeout(60)
open(sys.argv[1] + "/ready", "w").close()
got = 0
for i in range(2):
    c, _ = s.accept()
    c.settimeout(60)
    while True:
        b = c.recv(4096)
        if not b:
            break
        got += len(b)
    c.close()
print(got)
' "$d" >impostor.out 2>&1 &
	echo $! >impostor.pid
	i=0
	while [ ! -e "$d/ready" ]; do
		i=$((i + 1))
		[ "$i" -le 1000 ] || atf_fail "the impostor never listened"
		sleep 0.01
	done
	msg="Refused: the control socket is served by neither root nor the owner of its directory"
	atf_check -s exit:69 -o empty \
	    -e inline:"vmmctl: cannot open $d/vmmctl: $msg\n" "$V" -r "$d" list
	atf_check -s exit:69 -o empty \
	    -e inline:"vmmctl: cannot open $d/vmmctl: $msg\n" \
	    env VMMCTL_ROOT="$d" "$V" create vm0
	wait "$(cat impostor.pid)"
	atf_check -o inline:"0\n" cat impostor.out
}
impostor_cleanup()
{
	[ -s impostor.pid ] && kill "$(cat impostor.pid)" 2>/dev/null
	[ -s shareddir ] && rm -rf "$(cat shareddir)"
}

atf_init_test_cases()
{
	for c in $SIM_CASES; do
		atf_add_test_case "$c"
	done
	atf_add_test_case version
	atf_add_test_case help
	atf_add_test_case usage
	atf_add_test_case unpriv
	atf_add_test_case impostor
}
