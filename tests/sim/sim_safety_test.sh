#! /usr/bin/env atf-sh
# vmmctl-sim run as root where a hostile local user (uid 65534) may act:
# the root's checks, its lock, descriptor-relative node handling, the pid
# file.  Every victim is a scratch file that must be untouched afterwards.

. "${VMMCTL_SRC:?}/tests/lib/testsim.subr"

sim_bin=$(testsim_bin)
cli_bin=${VMMCTL_BUILD:-build}/bin/vmmctl

mkroot()
{
	_r=$(mktemp -d /tmp/vmc.XXXXXX) || atf_fail "mktemp"
	chmod 0755 "$_r"
	echo "0 $_r" >>testsim.state
	echo "$_r"
}

need_root()
{
	[ "$(id -u)" -eq 0 ] || atf_skip "needs root (to act as uid 65534)"
	command -v setpriv >/dev/null || atf_skip "no setpriv(1)"
}

as_nobody()
{
	setpriv --reuid 65534 --regid 65534 --clear-groups "$@"
}

# A victim: a root-owned file in a 0700 directory, with known content.
mkvictim()
{
	victim_dir=$(mktemp -d /tmp/vic.XXXXXX)
	echo "0 $victim_dir" >>testsim.state
	echo precious >"$victim_dir/file"
	chmod 0600 "$victim_dir/file"
}

victim_intact()
{
	atf_check -o inline:'precious\n' cat "$victim_dir/file"
	atf_check -o inline:'file\n' ls -A "$victim_dir"
}

mode_of() { stat -c %a "$1"; }

atf_test_case foreign_root cleanup
foreign_root_head() { atf_set descr "a root owned by another user, or writable by others, is refused untouched"; }
foreign_root_body()
{
	r=$(mkroot)
	# Writable by the group or by everyone (a shared 1777 directory).
	for m in 1777 0775 0757; do
		chmod "$m" "$r"
		atf_check -s exit:1 -e match:'writable by nobody else' \
		    "$sim_bin" --root "$r"
		atf_check_equal "$(mode_of "$r")" "$(printf %o $((0$m)))"
		atf_check -o empty ls -A "$r"
	done
	chmod 0755 "$r"
	[ "$(id -u)" -eq 0 ] || return 0
	# Owned by someone else, who could swap anything inside.
	chown 65534:65534 "$r"
	atf_check -s exit:1 -e match:'owned by uid 0' "$sim_bin" --root "$r"
	atf_check -o empty ls -A "$r"
	atf_check_equal "$(mode_of "$r")" 755
}
foreign_root_cleanup() { testsim_cleanup; }

atf_test_case root_is_link cleanup
root_is_link_head() { atf_set descr "a root that is a symbolic link is refused; its target untouched"; }
root_is_link_body()
{
	r=$(mkroot)
	mkdir "$r/target"
	chmod 0700 "$r/target"
	ln -s target "$r/link"
	atf_check -s exit:1 -e match:'symbolic link' "$sim_bin" --root "$r/link"
	atf_check -o empty ls -A "$r/target"
	atf_check_equal "$(mode_of "$r/target")" 700
	# A dangling one is not followed to make a root either.
	ln -s "$r/nowhere" "$r/dangling"
	atf_check -s exit:1 -e match:'symbolic link' \
	    "$sim_bin" --root "$r/dangling"
	atf_check test ! -e "$r/nowhere"
}
root_is_link_cleanup() { testsim_cleanup; }

atf_test_case foreign_files cleanup
foreign_files_head() { atf_set descr "vmm/, jails/ or vmmctl no simulator made are refused, never deleted"; }
foreign_files_body()
{
	r=$(mkroot)
	chmod 0711 "$r"
	mkdir -p "$r/vmm" "$r/jails/j/vmm"
	echo mine >"$r/vmm/x"
	echo mine >"$r/jails/j/vmm/y"
	atf_check -s exit:1 -e match:'no simulator made it' \
	    "$sim_bin" --root "$r"
	atf_check -o inline:'mine\n' cat "$r/vmm/x"
	atf_check -o inline:'mine\n' cat "$r/jails/j/vmm/y"
	atf_check_equal "$(mode_of "$r")" 711
	rm -rf "$r/vmm"
	atf_check -s exit:1 -e match:'jails exists and no simulator' \
	    "$sim_bin" --root "$r"
	atf_check -o inline:'mine\n' cat "$r/jails/j/vmm/y"
	[ "$(id -u)" -eq 0 ] || return 0
	# A simulator ran here, but this vmm/ is someone else's now.
	rm -rf "$r/jails"
	touch "$r/.vmmctl-sim.lock"
	chmod 0600 "$r/.vmmctl-sim.lock"
	mkdir "$r/vmm"
	echo theirs >"$r/vmm/z"
	chown -R 65534:65534 "$r/vmm"
	atf_check -s exit:1 -e match:"not the simulator's own" \
	    "$sim_bin" --root "$r"
	atf_check -o inline:'theirs\n' cat "$r/vmm/z"
	atf_check_equal "$(mode_of "$r")" 711
}
foreign_files_cleanup() { testsim_cleanup; }

# Swaps <root>/vmm for a link to the victim's directory, as a user with
# write access to the root could: the simulator keeps using its own vmm/
# through its descriptor, so nothing reaches the victim.
atf_test_case vmm_swapped cleanup
vmm_swapped_head()
{
	atf_set descr "vmm/ swapped for a link around creates and releases: the victim is untouched"
	atf_set timeout 300
}
vmm_swapped_body()
{
	mkvictim
	testsim_start --uid-limit 0
	r=$TESTSIM_ROOT
	i=0
	while [ "$i" -lt 200 ]; do
		# Around a create: the node lands in the real vmm/.
		mv "$r/vmm" "$r/vmm.real"
		ln -s "$victim_dir" "$r/vmm"
		atf_check "$cli_bin" -r "$r" create file
		atf_check test -f "$r/vmm.real/file"
		# Around a release: the victim's "file" is not unlinked.
		atf_check "$cli_bin" -r "$r" destroy file
		atf_check test ! -e "$r/vmm.real/file"
		atf_check "$cli_bin" -r "$r" run file -- true
		atf_check test ! -e "$r/vmm.real/file"
		rm "$r/vmm"
		mv "$r/vmm.real" "$r/vmm"
		i=$((i + 1))
	done
	victim_intact
	testsim_stop
}
vmm_swapped_cleanup() { testsim_cleanup; }

atf_test_case pidfile_link cleanup
pidfile_link_head() { atf_set descr "a link planted at the pid file's path is replaced, never followed"; }
pidfile_link_body()
{
	mkvictim
	r=$(mkroot)
	p=$(mkroot)
	ln -s "$victim_dir/file" "$p/sim.pid"
	"$sim_bin" --root "$r" --pidfile "$p/sim.pid" 2>err &
	pid=$!
	echo "$pid $r" >>testsim.state
	i=0
	while [ -L "$p/sim.pid" ] || [ ! -s "$p/sim.pid" ]; do
		i=$((i + 1))
		[ "$i" -le 1000 ] || atf_fail "no pid file: $(cat err)"
		sleep 0.01
	done
	atf_check -o "inline:$pid\n" cat "$p/sim.pid"
	atf_check test ! -L "$p/sim.pid"
	victim_intact
	kill -TERM "$pid"
	wait "$pid"
	atf_check_equal 0 $?
	atf_check -o empty ls -A "$p"
	victim_intact
}
pidfile_link_cleanup() { testsim_cleanup; }

atf_test_case two_at_once cleanup
two_at_once_head()
{
	atf_set descr "two simulators started together on one root: exactly one serves, every time"
	atf_set timeout 300
}
two_at_once_body()
{
	n=0
	while [ "$n" -lt 100 ]; do
		r=$(mkroot)
		"$sim_bin" --root "$r" --pidfile "$r.a" 2>a.err &
		a=$!
		"$sim_bin" --root "$r" --pidfile "$r.b" 2>b.err &
		b=$!
		echo "$a $r" >>testsim.state
		echo "$b $r" >>testsim.state
		# The loser exits 1 at once; the winner writes its pid file.
		i=0
		while :; do
			ka=0; kb=0
			kill -0 "$a" 2>/dev/null && ka=1
			kill -0 "$b" 2>/dev/null && kb=1
			if [ "$ka$kb" = 10 ] && [ -s "$r.a" ]; then
				win=$a; lose=$b; loser_err=b.err; break
			fi
			if [ "$ka$kb" = 01 ] && [ -s "$r.b" ]; then
				win=$b; lose=$a; loser_err=a.err; break
			fi
			[ "$ka$kb" != 00 ] || atf_fail "round $n: both exited"
			i=$((i + 1))
			[ "$i" -le 1000 ] || atf_fail "round $n: both still running"
			sleep 0.01
		done
		wait "$lose"
		atf_check_equal 1 $?
		atf_check -o match:'already serves' cat "$loser_err"
		# The winner serves, untouched by the loser.
		atf_check "$cli_bin" -r "$r" run vm -- true
		atf_check test -S "$r/vmmctl"
		kill -TERM "$win"
		wait "$win"
		atf_check_equal 0 $?
		atf_check -o empty ls -A "$r"
		n=$((n + 1))
	done
}
two_at_once_cleanup() { testsim_cleanup; }

atf_test_case sighup cleanup
sighup_head() { atf_set descr "SIGHUP stops the simulator cleanly, like SIGTERM"; }
sighup_body()
{
	testsim_start
	r=$TESTSIM_ROOT
	kill -HUP "$TESTSIM_PID"
	wait "$TESTSIM_PID"
	atf_check_equal 0 $?
	TESTSIM_PID=
	atf_check -o empty ls -A "$r"
	atf_check test ! -e "$r.pid"
}
sighup_cleanup() { testsim_cleanup; }

atf_test_case nobody_attacks cleanup
nobody_attacks_head()
{
	atf_set descr "root's simulator under a shared /tmp-like directory: uid 65534 can neither squat nor swap"
	atf_set timeout 300
}
nobody_attacks_body()
{
	need_root
	mkvictim
	shared=$(mkroot)
	chmod 1777 "$shared"
	# Squatting: nobody makes the root first; root's simulator refuses it.
	as_nobody mkdir "$shared/vmmroot"
	atf_check -s exit:1 -e match:'owned by uid 0' \
	    "$sim_bin" --root "$shared/vmmroot"
	atf_check -o empty ls -A "$shared/vmmroot"
	# A root root made: nobody can touch anything in it.
	r=$shared/mine
	"$sim_bin" --root "$r" --pidfile "$shared/mine.pid" 2>err &
	pid=$!
	echo "$pid $r" >>testsim.state
	i=0
	while [ ! -s "$shared/mine.pid" ]; do
		i=$((i + 1))
		[ "$i" -le 1000 ] || atf_fail "not ready: $(cat err)"
		sleep 0.01
	done
	n=0
	while [ "$n" -lt 100 ]; do
		atf_check -s not-exit:0 -e ignore as_nobody mv "$r/vmm" "$r/x"
		atf_check -s not-exit:0 -e ignore \
		    as_nobody ln -s "$victim_dir" "$r/vmm2"
		atf_check -s not-exit:0 -e ignore as_nobody rm -f "$r/vmmctl"
		atf_check "$cli_bin" -r "$r" run vm -- true
		n=$((n + 1))
	done
	victim_intact
	kill -TERM "$pid"
	wait "$pid"
	atf_check_equal 0 $?
	atf_check test ! -e "$r"
}
nobody_attacks_cleanup() { testsim_cleanup; }

atf_init_test_cases()
{
	atf_add_test_case foreign_root
	atf_add_test_case root_is_link
	atf_add_test_case foreign_files
	atf_add_test_case vmm_swapped
	atf_add_test_case pidfile_link
	atf_add_test_case two_at_once
	atf_add_test_case sighup
	atf_add_test_case nobody_attacks
}
