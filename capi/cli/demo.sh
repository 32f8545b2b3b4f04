#!/bin/sh
# "make demo": the main job of vmmctl, on a private vmmctl-sim.
# Usage: demo.sh SRCROOT BUILD
#
# Starts a simulator under BUILD/demo (or under a mktemp directory in /tmp
# when that socket path would be too long for a unix socket; or under
# $VMMCTL_DEMO_ROOT if set, which must not exist yet), shows persistent and
# descriptor-scoped VMs and the errors with the vmmctl command, then runs
# every bindings/*/demo.sh against the same simulator.  Each step is
# checked: the demo exits non-zero if anything is not as shown.  The
# simulator is always stopped and its root removed.
set -u

if [ $# -ne 2 ]; then
	echo "usage: demo.sh SRCROOT BUILD" >&2
	exit 64
fi
src=$1
build=$2
sim=$build/bin/vmmctl-sim
cli=$build/bin/vmmctl
for f in "$sim" "$cli"; do
	if [ ! -x "$f" ]; then
		echo "demo: $f is missing (run make first)" >&2
		exit 1
	fi
done

# Whatever happens, the simulator stops and what we made goes.
simpid=
rmroot=
simlog=

cleanup()
{
	if [ -n "$simpid" ]; then
		kill -TERM "$simpid" 2>/dev/null
		wait "$simpid" 2>/dev/null
		simpid=
	fi
	rm -rf "$rmroot" "$simlog"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A unix socket path holds about 100 bytes.
if [ -n "${VMMCTL_DEMO_ROOT:-}" ]; then
	root=$VMMCTL_DEMO_ROOT
	mkdir "$root" || exit 1
	rmroot=$root
elif [ ${#build} -le 80 ]; then
	root=$build/demo
	rm -rf "$root"
	mkdir -p "$root" || exit 1
	rmroot=$root
else
	root=$(mktemp -d /tmp/vmmdemo.XXXXXX) || exit 1
	rmroot=$root
fi
simlog=$(mktemp /tmp/vmmdemo-log.XXXXXX) || exit 1

die()
{
	echo "demo: FAILED: $*" >&2
	if [ -s "$simlog" ]; then
		echo "demo: vmmctl-sim said:" >&2
		sed 's/^/    /' "$simlog" >&2
	fi
	exit 1
}

# A comment in the transcript: one line per argument.
say()
{
	echo
	for _l in "$@"; do
		printf '# %s\n' "$_l"
	done
}

# A command as one would type it, quoting where the shell needs it.
show()
{
	_line='$'
	for _a in "$@"; do
		case $_a in
		'' | *[!A-Za-z0-9_./=:@%+,-]*)
			_a="'$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'"
			;;
		esac
		_line="$_line $_a"
	done
	printf '%s\n' "$_line"
}

# Shows a command, then runs it (stderr into the transcript).
run()
{
	show "$@"
	"$@" 2>&1 || die "$* exited $?"
}

# Shows a command that must fail with status $1, and its message.
fails()
{
	_want=$1
	shift
	show "$@"
	"$@" 2>&1
	_rc=$?
	echo "[exit status $_rc]"
	[ "$_rc" -eq "$_want" ] || die "$* exited $_rc, expected $_want"
}

# The sorted list, on one line, for checks.
names()
{
	vmmctl list 2>/dev/null | tr '\n' ' '
}

export PATH="$build/bin:$PATH"
export VMMCTL_ROOT="$root" VMMCTL_SRC="$src" VMMCTL_BUILD="$build"

echo "==> vmmctl demo: a private simulator at $root"
echo "\$ vmmctl-sim --root $root &"
"$sim" --root "$root" </dev/null >/dev/null 2>"$simlog" &
simpid=$!
i=0
while [ ! -S "$root/vmmctl" ]; do
	kill -0 "$simpid" 2>/dev/null || { simpid=; die "vmmctl-sim exited"; }
	i=$((i + 1))
	[ "$i" -le 1000 ] || die "vmmctl-sim not ready after 10 s"
	sleep 0.01
done
echo "\$ export VMMCTL_ROOT=$root"

say "Versions of the library and of the header vmmctl was built with."
run vmmctl version

say "Persistent VMs outlive the descriptor that created them."
run vmmctl create web0 db0
run vmmctl list
[ "$(names)" = "db0 web0 " ] || die "list shows '$(names)'"

say "A descriptor-scoped VM lives exactly as long as its command, which" \
    "inherits the control descriptor (its number is in \$VMMCTL_FD)."
run vmmctl run scratch0 -- sh -c \
    'echo "VMMCTL_FD=$VMMCTL_FD"; vmmctl list'
say "The command has exited: scratch0 is gone."
run vmmctl list
[ "$(names)" = "db0 web0 " ] || die "list shows '$(names)'"
say "Even when the command is killed, the kernel cleans up."
fails 137 vmmctl run doomed0 -- sh -c 'vmmctl list; kill -KILL $$'
[ "$(names)" = "db0 web0 " ] || die "list shows '$(names)'"

say "For programs: a JSON array of the names, sorted."
run vmmctl list --json
json=$(vmmctl list --json)
[ "$json" = '["db0", "web0"]' ] || die "list --json printed '$json'"

say "Errors name the VM and the reason.  Names are one global namespace" \
    "(EEXIST):"
fails 1 vmmctl create web0
say "Destroying a VM that does not exist (ENOENT; the kernel says EINVAL," \
    "the library tells them apart):"
fails 1 vmmctl destroy nosuch
say "A name is at most 229 bytes, with no '/' and not '.' or '..':"
fails 1 vmmctl create a/b

say "Clean up."
run vmmctl destroy web0 db0
run vmmctl list
[ -z "$(names)" ] || die "list shows '$(names)'"

# The bindings, against the same simulator.
nb=0
for d in "$src"/bindings/*/demo.sh; do
	[ -f "$d" ] || continue
	rel=${d#"$src"/}
	printf '\n==> %s\n' "$rel"
	sh "$d" 2>&1 || die "$rel exited $?"
	nb=$((nb + 1))
done

printf '\n==> stopping the simulator\n'
echo "\$ kill -TERM %1"
kill -TERM "$simpid"
wait "$simpid"
rc=$?
simpid=
[ "$rc" -eq 0 ] || die "vmmctl-sim exited $rc"
printf '\n==> demo done: vmmctl and %d binding demo(s) ran.\n' "$nb"
exit 0
