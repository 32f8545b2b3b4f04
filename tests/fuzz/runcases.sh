#!/bin/sh
#
# Runs every case of the given ATF-C programs outside Kyua, each in its own
# scratch directory with HOME and TMPDIR inside it as Kyua would, under an
# optional wrapper (valgrind) or as is (a ThreadSanitizer build), and sums
# up what the tools reported.  Used by "make valgrind" and "make tsan".
#
# Usage: runcases.sh MODE LOGDIR PROG[:CASE,CASE...]...
#   MODE  valgrind: each case under memcheck, and every program it execs
#         (the simulators it starts) too; per-process logs in LOGDIR.
#         tsan: the programs are a -fsanitize=thread build; reports go to
#         LOGDIR through TSAN_OPTIONS log_path.
# Needs VMMCTL_SRC and VMMCTL_BUILD (the tests find the sim through it).
# RUNCASES_SKIP: "prog:case ..." not to run (counted as skipped), for cases
# whose subject the wrapper itself changes.
# Exit 0 only when every case passed or was skipped and the tools found
# nothing.

set -u
mode=$1
logdir=$2
shift 2
: "${VMMCTL_SRC:?}" "${VMMCTL_BUILD:?}"
supp=$VMMCTL_SRC/tests/fuzz/valgrind.supp

rm -rf "$logdir"
mkdir -p "$logdir"
logdir=$(cd "$logdir" && pwd)

case $mode in
valgrind)
	# System programs the tests exec (sh, true, ...) are not ours, and
	# capi_fdcheck reports which descriptors survived an exec: under
	# valgrind it would see valgrind's view, not the kernel's.
	set -- valgrind --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	    --track-fds=no --suppressions="$supp" --trace-children=yes \
	    --trace-children-skip='/bin/*,/usr/bin/*,/sbin/*,/usr/sbin/*,*/capi_fdcheck' \
	    --child-silent-after-fork=yes \
	    --log-file="$logdir/vg.%p.log" -- "$@"
	;;
tsan)
	export TSAN_OPTIONS="log_path=$logdir/tsan halt_on_error=0 \
second_deadlock_stack=1"
	set -- -- "$@"
	;;
*)
	echo "runcases.sh: unknown mode $mode" >&2
	exit 2
	;;
esac

# Split the wrapper from the program list.
wrap=
while [ "$1" != "--" ]; do
	wrap="$wrap '$1'"
	shift
done
shift

npass=0
nfail=0
nskip=0
for spec in "$@"; do
	prog=${spec%%:*}
	if [ "$prog" = "$spec" ]; then
		cases=$("$prog" -l | sed -n 's/^ident: //p')
	else
		cases=$(echo "${spec#*:}" | tr ',' ' ')
	fi
	for tc in $cases; do
		case " ${RUNCASES_SKIP:-} " in
		*" ${prog##*/}:$tc "*)
			echo "skip ${prog##*/}:$tc (RUNCASES_SKIP)"
			nskip=$((nskip + 1))
			continue
			;;
		esac
		work=$(mktemp -d "${TMPDIR:-/tmp}/rc.XXXXXX")
		cleanup=$("$prog" -l | awk -v tc="$tc" '
		    /^ident: / { cur = $2 }
		    cur == tc && /^has.cleanup: true/ { print "yes" }')
		(cd "$work" && HOME=$work TMPDIR=$work \
		    eval timeout 600 "$wrap" '"$prog"' -r "$work/result" "$tc" \
		    >"$work/out" 2>&1)
		rc=$?
		if [ "$cleanup" = yes ]; then
			(cd "$work" && HOME=$work TMPDIR=$work \
			    "$prog" -r /dev/null "$tc:cleanup" >/dev/null 2>&1)
		fi
		res=$(head -1 "$work/result" 2>/dev/null)
		case "$rc:$res" in
		0:passed*|0:expected_*)
			npass=$((npass + 1)) ;;
		0:skipped*)
			nskip=$((nskip + 1)) ;;
		*)
			nfail=$((nfail + 1))
			echo "FAIL ${prog##*/}:$tc (exit $rc): ${res:-no result}"
			tail -20 "$work/out" | sed 's/^/    /'
			;;
		esac
		rm -rf "$work"
	done
done

echo "$mode: $npass passed, $nfail failed, $nskip skipped"
status=0
[ "$nfail" -eq 0 ] || status=1
case $mode in
valgrind)
	# Every process's log, the simulators' included.
	nlogs=$(ls "$logdir" | wc -l)
	errs=$(cat "$logdir"/vg.*.log 2>/dev/null |
	    sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' |
	    awk '{ s += $1 } END { print s + 0 }')
	lost=$(cat "$logdir"/vg.*.log 2>/dev/null |
	    sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' |
	    tr -d , | awk '{ s += $1 } END { print s + 0 }')
	echo "valgrind: $nlogs process logs, $errs errors," \
	    "$lost bytes definitely lost (logs in $logdir)"
	[ "$errs" -eq 0 ] && [ "$lost" -eq 0 ] || status=1
	;;
tsan)
	nrep=$(cat "$logdir"/tsan.* 2>/dev/null |
	    grep -c '^WARNING: ThreadSanitizer' || true)
	echo "tsan: $nrep ThreadSanitizer reports (in $logdir)"
	[ "$nrep" -eq 0 ] || status=1
	;;
esac
exit $status
