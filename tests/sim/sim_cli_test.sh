#! /usr/bin/env atf-sh
# vmmctl-sim's command line and life cycle: usage, start-up refusals,
# stale state, signals, daemon mode.  Each case runs its own simulator.

. "${VMMCTL_SRC:?}/tests/lib/testsim.subr"

sim_bin=$(testsim_bin)

# A fresh short directory for cases that run the sim by hand.
mkroot()
{
	_r=$(mktemp -d /tmp/vmc.XXXXXX) || atf_fail "mktemp"
	chmod 0755 "$_r"
	echo "0 $_r" >>testsim.state
	echo "$_r"
}

# Waits (bounded, ~10 s) until a daemonised sim has finished: it removes
# its pid file last.  (kill -0 would wait for whoever reaps the orphan.)
wait_pidfile_gone()
{
	_i=0
	while [ -e "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 1000 ] || atf_fail "$1 still there after 10 s"
		sleep 0.01
	done
}

atf_test_case help
help_head() { atf_set descr "--help prints usage on stdout, exit 0"; }
help_body()
{
	atf_check -s exit:0 -o match:'^usage: vmmctl-sim --root DIR' \
	    -e empty "$sim_bin" --help
}

atf_test_case bad_usage
bad_usage_head() { atf_set descr "bad usage: exit 64, usage on stderr"; }
bad_usage_body()
{
	atf_check -s exit:64 -o empty -e match:'usage:' "$sim_bin" --bogus
	atf_check -s exit:64 -o empty -e match:'usage:' "$sim_bin" -x
	atf_check -s exit:64 -o empty -e match:'root is required' "$sim_bin"
	atf_check -s exit:64 -o empty -e match:'usage:' \
	    "$sim_bin" --root /tmp/vmc.none extra
	atf_check -s exit:64 -o empty -e match:'uid-limit' \
	    "$sim_bin" --root /tmp/vmc.none --uid-limit -1
	atf_check -s exit:64 -o empty -e match:'uid-limit' \
	    "$sim_bin" --root /tmp/vmc.none --uid-limit 12x
	atf_check -s exit:64 -o empty -e match:'usage:' "$sim_bin" --root
	atf_check -s exit:64 -o empty -e match:'jail \.\.: ' \
	    "$sim_bin" --root /tmp/vmc.none --jail ..
	atf_check -s exit:64 -o empty -e match:'jail a/vmm: ' \
	    "$sim_bin" --root /tmp/vmc.none --jail a/vmm
	atf_check -s exit:64 -o empty -e match:'jail vmmctl: ' \
	    "$sim_bin" --root /tmp/vmc.none --jail vmmctl
	atf_check -s exit:64 -o empty -e match:'jail /: ' \
	    "$sim_bin" --root /tmp/vmc.none --jail /
	# Nothing was created by the refusals.
	atf_check test ! -e /tmp/vmc.none
}

atf_test_case root_too_long cleanup
root_too_long_head() { atf_set descr "a socket path beyond sun_path is refused"; }
root_too_long_body()
{
	r=$(mkroot)
	long=$r/$(printf '%0100d' 0)
	atf_check -s exit:1 -e match:'too long' "$sim_bin" --root "$long"
	atf_check test ! -e "$long"
	# A jail's endpoint counts too.
	atf_check -s exit:1 -e match:'too long' \
	    "$sim_bin" --root "$r" --jail "$(printf '%0100d' 0)"
	atf_check test ! -e "$r/vmmctl"
}
root_too_long_cleanup() { testsim_cleanup; }

atf_test_case second_sim cleanup
second_sim_head() { atf_set descr "a second sim on a served root is refused"; }
second_sim_body()
{
	testsim_start
	atf_check -s exit:1 -e match:'already serves' \
	    "$sim_bin" --root "$TESTSIM_ROOT"
	# The first one is untouched and still serving.
	atf_check test -S "$TESTSIM_ROOT/vmmctl"
	atf_check kill -0 "$TESTSIM_PID"
	testsim_stop
}
second_sim_cleanup() { testsim_cleanup; }

atf_test_case missing_root_created cleanup
missing_root_created_head() { atf_set descr "a missing root is created"; }
missing_root_created_body()
{
	r=$(mkroot)
	"$sim_bin" --root "$r/new/sub" --pidfile "$r.pid" 2>>testsim.err &
	pid=$!
	echo "$pid $r" >>testsim.state
	i=0
	while [ ! -s "$r.pid" ]; do
		i=$((i + 1))
		[ "$i" -le 1000 ] || atf_fail "sim not ready"
		kill -0 "$pid" || atf_fail "sim exited: $(cat testsim.err)"
		sleep 0.01
	done
	atf_check test -S "$r/new/sub/vmmctl"
	atf_check test -d "$r/new/sub/vmm"
	kill -TERM "$pid"
	wait "$pid"
	atf_check_equal 0 $?
	# What it created for itself it removes; the parents stay.
	atf_check test ! -e "$r/new/sub"
	atf_check test -d "$r/new"
	rm -f "$r.pid"
}
missing_root_created_cleanup() { testsim_cleanup; }

atf_test_case unwritable_root cleanup
unwritable_root_head()
{
	atf_set descr "an unwritable root is refused"
}
unwritable_root_body()
{
	r=$(mkroot)
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null ||
		    atf_skip "running as root and no setpriv(1) to become 65534"
		setpriv --reuid 65534 --regid 65534 --clear-groups \
		    "$sim_bin" --help >/dev/null 2>&1 ||
		    atf_skip "uid 65534 cannot run $sim_bin (a parent directory is not searchable)"
		# root owns r (0755): not writable by nobody.
		atf_check -s not-exit:0 -e match:"$r" \
		    setpriv --reuid 65534 --regid 65534 --clear-groups \
		    "$sim_bin" --root "$r"
		atf_check -s not-exit:0 -e match:"$r/sub" \
		    setpriv --reuid 65534 --regid 65534 --clear-groups \
		    "$sim_bin" --root "$r/sub"
	else
		chmod 0555 "$r"
		atf_check -s not-exit:0 -e match:"$r" "$sim_bin" --root "$r"
		chmod 0755 "$r"
	fi
	atf_check test ! -e "$r/vmmctl"
	atf_check test ! -e "$r/sub"
}
unwritable_root_cleanup() { testsim_cleanup; }

atf_test_case stale_entries cleanup
stale_entries_head() { atf_set descr "state of an earlier run is removed at start"; }
stale_entries_body()
{
	testsim_start --jail old
	r=$TESTSIM_ROOT
	# An unclean end: the socket stays behind; add stale entries.
	kill -9 "$TESTSIM_PID"
	wait "$TESTSIM_PID"
	TESTSIM_PID=
	atf_check test -S "$r/vmmctl"
	touch "$r/vmm/stale" "$r/jails/old/vmm/stale"
	mkdir -p "$r/jails/gone/vmm"
	touch "$r/jails/gone/vmm/x"
	touch "$r/keep"
	rm -f "$r.pid"
	"$sim_bin" --root "$r" --pidfile "$r.pid" 2>>testsim.err &
	pid=$!
	echo "$pid $r" >>testsim.state
	i=0
	while [ ! -s "$r.pid" ]; do
		i=$((i + 1))
		[ "$i" -le 1000 ] || atf_fail "sim not ready"
		kill -0 "$pid" || atf_fail "sim exited: $(cat testsim.err)"
		sleep 0.01
	done
	atf_check test -S "$r/vmmctl"
	atf_check test -d "$r/vmm"
	atf_check -o empty ls -A "$r/vmm"
	atf_check test ! -e "$r/jails"
	# Not ours: left alone.
	atf_check test -f "$r/keep"
	kill -TERM "$pid"
	wait "$pid"
	atf_check_equal 0 $?
}
stale_entries_cleanup() { testsim_cleanup; }

atf_test_case not_a_socket cleanup
not_a_socket_head() { atf_set descr "a non-socket <root>/vmmctl is not removed"; }
not_a_socket_body()
{
	r=$(mkroot)
	echo precious >"$r/vmmctl"
	atf_check -s exit:1 -e match:'no simulator made it' "$sim_bin" --root "$r"
	atf_check -o inline:'precious\n' cat "$r/vmmctl"
	# Even where a simulator ran before, a file is not a leftover socket.
	touch "$r/.vmmctl-sim.lock"
	atf_check -s exit:1 -e match:'not a socket' "$sim_bin" --root "$r"
	atf_check -o inline:'precious\n' cat "$r/vmmctl"
}
not_a_socket_cleanup() { testsim_cleanup; }

atf_test_case sigterm_cleanup cleanup
sigterm_cleanup_head() { atf_set descr "SIGTERM: exit 0, socket, views and pid file gone"; }
sigterm_cleanup_body()
{
	testsim_start --jail a/b --jail c
	r=$TESTSIM_ROOT
	atf_check test -S "$r/vmmctl"
	atf_check test -S "$r/jails/a/vmmctl"
	atf_check test -S "$r/jails/a/b/vmmctl"
	atf_check test -S "$r/jails/c/vmmctl"
	atf_check test -d "$r/jails/a/b/vmm"
	kill -TERM "$TESTSIM_PID"
	wait "$TESTSIM_PID"
	atf_check_equal 0 $?
	TESTSIM_PID=
	atf_check test ! -e "$r/vmmctl"
	atf_check test ! -e "$r/vmm"
	atf_check test ! -e "$r/jails"
	atf_check test ! -e "$r.pid"
	atf_check test -d "$r"
}
sigterm_cleanup_cleanup() { testsim_cleanup; }

atf_test_case sigint_cleanup cleanup
sigint_cleanup_head() { atf_set descr "SIGINT: exit 0, cleaned up"; }
sigint_cleanup_body()
{
	testsim_start
	r=$TESTSIM_ROOT
	kill -INT "$TESTSIM_PID"
	wait "$TESTSIM_PID"
	atf_check_equal 0 $?
	TESTSIM_PID=
	atf_check test ! -e "$r/vmmctl"
	atf_check test ! -e "$r.pid"
}
sigint_cleanup_cleanup() { testsim_cleanup; }

atf_test_case daemon cleanup
daemon_head() { atf_set descr "-d returns once listening; pid file; SIGTERM cleans up"; }
daemon_body()
{
	r=$(mkroot)
	atf_check -s exit:0 -o empty -e empty \
	    "$sim_bin" --root "$r" -d --pidfile "$r.pid"
	# Ready when -d returns: no waiting here.
	atf_check test -S "$r/vmmctl"
	atf_check test -s "$r.pid"
	pid=$(cat "$r.pid")
	echo "$pid $r" >>testsim.state
	atf_check kill -0 "$pid"
	# Its own session, not our child.
	atf_check -s exit:1 -e match:'already serves' "$sim_bin" --root "$r"
	kill -TERM "$pid"
	wait_pidfile_gone "$r.pid"
	atf_check test ! -e "$r/vmmctl"
	atf_check test ! -e "$r.pid"
	atf_check test ! -e "$r/vmm"
}
daemon_cleanup() { testsim_cleanup; }

atf_test_case daemon_failure cleanup
daemon_failure_head() { atf_set descr "-d reports a start-up failure in its exit status"; }
daemon_failure_body()
{
	testsim_start
	atf_check -s exit:1 -e match:'already serves' \
	    "$sim_bin" --root "$TESTSIM_ROOT" -d --pidfile "$TESTSIM_ROOT.2"
	atf_check test ! -e "$TESTSIM_ROOT.2"
	testsim_stop
}
daemon_failure_cleanup() { testsim_cleanup; }

# ---- device mode (--fuse) ----------------------------------------------

fuse_require()
{
	_why=$(testsim_fuse_unusable) && atf_skip "$_why"
	return 0
}

# The mount's type at $1, from /proc/self/mountinfo ("" if none).
mount_type()
{
	awk -v d="$1" '$5 == d { for (i = 7; $i != "-"; i++) ; t = $(i + 1) }
	    END { print t }' /proc/self/mountinfo
}

atf_test_case fuse_lifecycle cleanup
fuse_lifecycle_head() { atf_set descr "--fuse mounts the root (vmmctl and each jail's are files, nodes are served), SIGTERM unmounts and leaves the root as it was"; }
fuse_lifecycle_body()
{
	fuse_require
	testsim_start --fuse --jail a/b
	r=$TESTSIM_ROOT
	atf_check_equal fuse.vmmctl-sim "$(mount_type "$r")"
	atf_check test -f "$r/vmmctl"
	atf_check test -f "$r/jails/a/vmmctl"
	atf_check test -f "$r/jails/a/b/vmmctl"
	atf_check test -d "$r/jails/a/b/vmm"
	# Open 1: /dev/vmmctl's owner and mode (generation 3: 0660).
	atf_check -o inline:"660 $(id -u)\n" stat -c '%a %u' "$r/vmmctl"
	VMMCTL_ROOT=$r/jails/a/b atf_check -o ignore \
	    "$VMMCTL_BUILD/bin/vmmctl" run deep -- \
	    stat -c '%a %u %F' "$r/vmm/deep" "$r/jails/a/vmm/deep"
	atf_check -o empty ls "$r/vmm"
	kill -TERM "$TESTSIM_PID"
	wait "$TESTSIM_PID"
	atf_check_equal 0 $?
	TESTSIM_PID=
	atf_check_equal "" "$(mount_type "$r")"
	atf_check -o empty ls -A "$r"
	atf_check test ! -e "$r.pid"
}
fuse_lifecycle_cleanup() { testsim_cleanup; }

atf_test_case fuse_refusals cleanup
fuse_refusals_head() { atf_set descr "--fuse: a served root, a root holding foreign files, and a socket sim on a mounted root are refused"; }
fuse_refusals_body()
{
	fuse_require
	testsim_start --fuse
	atf_check -s exit:1 -e match:'already serves' \
	    "$sim_bin" --root "$TESTSIM_ROOT" --fuse
	atf_check -s exit:1 -e match:'already serves .* \(device mode\)' \
	    "$sim_bin" --root "$TESTSIM_ROOT"
	atf_check kill -0 "$TESTSIM_PID"
	atf_check test -f "$TESTSIM_ROOT/vmmctl"
	testsim_stop
	r=$(mkroot)
	echo mine >"$r/notes"
	atf_check -s exit:1 -e match:'holds notes' "$sim_bin" --root "$r" --fuse
	atf_check -o inline:"mine\n" cat "$r/notes"
	atf_check_equal "" "$(mount_type "$r")"
	# Someone else's mount at the root is left alone (root: a tmpfs).
	[ "$(id -u)" -eq 0 ] || return 0
	r=$(mkroot)
	mount -t tmpfs vmmctl-test "$r" || atf_fail "mount tmpfs"
	atf_check -s exit:1 -e match:'is a mount point \(tmpfs\)' \
	    "$sim_bin" --root "$r" --fuse
	atf_check_equal tmpfs "$(mount_type "$r")"
	umount "$r"
}
fuse_refusals_cleanup() { testsim_cleanup; }

atf_test_case fuse_stale_mount cleanup
fuse_stale_mount_head() { atf_set descr "--fuse after a SIGKILL: the dead mount is detected, detached and served again; with fusermount3 it is gone by itself"; }
fuse_stale_mount_body()
{
	fuse_require
	testsim_start --fuse
	r=$TESTSIM_ROOT
	VMMCTL_ROOT=$r atf_check "$VMMCTL_BUILD/bin/vmmctl" create left
	# The sim and fusermount3's auto_unmount watchdog (its child): a
	# dead mount stays.
	watchdog=$(ps -o pid= --ppid "$TESTSIM_PID" | tr -d ' ')
	kill -9 "$TESTSIM_PID" $watchdog
	wait "$TESTSIM_PID"
	TESTSIM_PID=
	atf_check_equal fuse.vmmctl-sim "$(mount_type "$r")"
	atf_check -s not-exit:0 -e match:'not connected' stat "$r/vmmctl"
	rm -f "$r.pid"
	testsim_start_at "$r" --fuse
	atf_check -o empty ls "$r/vmm"
	atf_check -o inline:"1\n" sh -c "grep -c ' $r ' /proc/self/mountinfo"
	# With its watchdog, a killed sim leaves nothing mounted.
	if [ -n "$watchdog" ]; then
		kill -9 "$TESTSIM_PID"
		wait "$TESTSIM_PID"
		TESTSIM_PID=
		i=0
		while testsim_mounted "$r"; do
			i=$((i + 1))
			[ "$i" -le 1000 ] || atf_fail "still mounted after 10 s"
			sleep 0.01
		done
	else
		testsim_stop
	fi
}
fuse_stale_mount_cleanup() { testsim_cleanup; }

atf_test_case fuse_daemon cleanup
fuse_daemon_head() { atf_set descr "--fuse -d returns once mounted; SIGTERM unmounts"; }
fuse_daemon_body()
{
	fuse_require
	r=$(mkroot)
	atf_check -s exit:0 -o empty -e empty \
	    "$sim_bin" --root "$r" --fuse -d --pidfile "$r.pid"
	atf_check test -f "$r/vmmctl"
	pid=$(cat "$r.pid")
	echo "$pid $r" >>testsim.state
	kill -TERM "$pid"
	wait_pidfile_gone "$r.pid"
	atf_check_equal "" "$(mount_type "$r")"
	atf_check -o empty ls -A "$r"
}
fuse_daemon_cleanup() { testsim_cleanup; }

atf_test_case fuse_unavailable cleanup
fuse_unavailable_head()
{
	atf_set descr "--fuse where device mode cannot run (uid 65534, no fusermount3 in PATH): exit 69 saying why, nothing made"
	atf_set require.user root
	atf_set require.progs setpriv
}
fuse_unavailable_body()
{
	d=$(mkroot)
	# A copy uid 65534 can execute, whatever the build tree's modes.
	cp "$sim_bin" "$d/sim"
	chmod 0755 "$d/sim"
	atf_check -s exit:69 -o empty \
	    -e match:'device mode is not available: (/dev/fuse|not root, and no fusermount3)' \
	    setpriv --reuid 65534 --regid 65534 --clear-groups \
	    env PATH=/nonexistent "$d/sim" --root "$d/r" --fuse
	atf_check test ! -e "$d/r"
}
fuse_unavailable_cleanup() { testsim_cleanup; }

atf_init_test_cases()
{
	atf_add_test_case help
	atf_add_test_case bad_usage
	atf_add_test_case root_too_long
	atf_add_test_case second_sim
	atf_add_test_case missing_root_created
	atf_add_test_case unwritable_root
	atf_add_test_case stale_entries
	atf_add_test_case not_a_socket
	atf_add_test_case sigterm_cleanup
	atf_add_test_case sigint_cleanup
	atf_add_test_case daemon
	atf_add_test_case daemon_failure
	atf_add_test_case fuse_lifecycle
	atf_add_test_case fuse_refusals
	atf_add_test_case fuse_stale_mount
	atf_add_test_case fuse_daemon
	atf_add_test_case fuse_unavailable
}
