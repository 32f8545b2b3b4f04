#! /usr/bin/env atf-sh
#
# The libFuzzer targets inside "make test": for each, a short run from its
# committed corpus (new inputs and crashes stay in the case's work
# directory) and a replay of that corpus, so every input that once crashed
# stays fixed.  FUZZ_TEST_SECONDS (default 5) sets the length of the runs;
# "make fuzz" is the long version.

fuzz_bin()
{
	bin=${VMMCTL_BUILD:?}/tests/fuzz/$1
	corpus=${VMMCTL_SRC:?}/tests/fuzz/corpus/$1
	[ -x "$bin" ] || atf_fail "$bin is not built"
	[ -d "$corpus" ] || atf_fail "no corpus $corpus"
}

# A crash leaves its input and the sanitizer's report on stderr: shown by
# Kyua's verbose report.
fuzz_run()
{
	fuzz_bin "$1"
	mkdir -p new
	if ! "$bin" -max_total_time="${FUZZ_TEST_SECONDS:-5}" \
	    -print_final_stats=1 -artifact_prefix="$PWD/" new "$corpus" \
	    >log 2>&1; then
		tail -60 log >&2
		ls crash-* leak-* timeout-* oom-* 2>/dev/null >&2
		atf_fail "$1 found a failing input (see stderr)"
	fi
	grep -E 'stat::number_of_executed_units' log
}

fuzz_replay()
{
	fuzz_bin "$1"
	n=$(ls "$corpus" | wc -l)
	[ "$n" -gt 0 ] || atf_fail "empty corpus $corpus"
	# -runs=0: execute every corpus input once, mutate nothing.
	if ! "$bin" -runs=0 "$corpus" >log 2>&1; then
		tail -60 log >&2
		atf_fail "$1: a corpus input fails (see stderr)"
	fi
	echo "$1: $n corpus inputs replayed"
}

for t in kern sim name; do
	eval "
atf_test_case ${t}_run
${t}_run_head()
{
	atf_set descr 'fuzz_${t}: a short libFuzzer run from the corpus'
	atf_set timeout 120
}
${t}_run_body()
{
	fuzz_run fuzz_${t}
}

atf_test_case ${t}_replay
${t}_replay_head()
{
	atf_set descr 'fuzz_${t}: every committed corpus input passes'
	atf_set timeout 120
}
${t}_replay_body()
{
	fuzz_replay fuzz_${t}
}
"
done

# "make tsan" inside "make test": the ThreadSanitizer build that the
# tsan-build step made in $VMMCTL_BUILD-tsan (TSAN_BUILD's default; keep
# the case list in step with TSAN_CASES in Makefile.inc).
atf_test_case tsan
tsan_head()
{
	atf_set descr 'the concurrency tests are clean under ThreadSanitizer'
	atf_set timeout 300
}
tsan_body()
{
	tb=${VMMCTL_BUILD:?}-tsan
	[ -x "$tb/bin/vmmctl-sim" ] || atf_fail "no TSan build in $tb"
	if ! VMMCTL_BUILD=$tb sh "${VMMCTL_SRC:?}/tests/fuzz/runcases.sh" \
	    tsan "$PWD/tsan" "$tb/tests/kern/kern_thread_test" \
	    "$tb/tests/capi/capi_sim_test:threads,eintr" \
	    "$tb/tests/sim/sim_life_test" >out 2>&1; then
		cat out >&2
		cat tsan/tsan.* >&2 2>/dev/null
		atf_fail "ThreadSanitizer run failed (see stderr)"
	fi
	cat out
}

atf_init_test_cases()
{
	atf_add_test_case tsan
	for t in kern sim name; do
		atf_add_test_case ${t}_run
		atf_add_test_case ${t}_replay
	done
}
