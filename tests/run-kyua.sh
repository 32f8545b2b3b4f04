#!/bin/sh
# Runs the whole Kyua tree and ends with the line "N passed, N failed"
# (a line "N skipped" before it when some were skipped, their names above).
# Usage: run-kyua.sh SRCROOT BUILD
set -u
src=$1
build=$2
out=$build/kyua
mkdir -p "$out"
rm -f "$out/results.db"

kyua --logfile "$out/kyua.log" test --kyuafile "$src/tests/Kyuafile" \
    --build-root "$build/tests" --results-file "$out/results.db"
rc=$?

if [ ! -s "$out/results.db" ]; then
	echo "kyua did not run (exit $rc); see $out/kyua.log" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# Everything that did not pass, with its reason (and its output when it
# failed), then the counts from Kyua's own summary.
# The verbose report's per-test sections (result, output, error), without
# its environment dump and metadata.
kyua report --results-file "$out/results.db" \
    --results-filter broken,failed --verbose 2>&1 |
    awk '/^===> (Execution context|Broken tests|Failed tests|Summary)/ {
		show = 0; next }
	/^===> / { show = 1 }
	/^Metadata:/ { meta = 1; next }
	meta && /^    / { next }
	{ meta = 0 }
	show' || true
kyua report --results-file "$out/results.db" --results-filter skipped,xfail,broken,failed |
    sed '/^===> Summary/,$d'
summary=$(kyua report --results-file "$out/results.db" --results-filter '' |
    grep '^Test cases:')
# "Test cases: T total, S skipped, X expected failures, B broken, F failed"
set -- $(echo "$summary" | tr -dc '0-9 ')
total=$1 skipped=$2 xfail=$3 broken=$4 failed=$5
failed=$((broken + failed))
passed=$((total - skipped - xfail - failed))
# The last line is exactly "N passed, N failed" (CI reads it); skipped
# cases were named above and are counted on the line before.
[ "$skipped" -gt 0 ] && echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
