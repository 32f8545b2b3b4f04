#! /usr/bin/env atf-sh
# The Go suite of bindings/go as Kyua cases, through tests/lib/foreign.subr:
#
#   Test*/Example*/Fuzz*  one case each, run from the prebuilt
#                         vmmctl.test (go test -c -race; -asan under SANITIZE)
#   fuzz_FuzzCheckName    5 s of native fuzzing (the instrumented
#                         vmmctl-fuzz.test): Go's CheckName vs C's
#   go_vet, gofmt         builds by nature: go vet, gofmt -l
#
# Needs VMMCTL_SRC and VMMCTL_BUILD, and from bindings/go/Makefile.inc
# VMMCTL_GO, VMMCTL_GO_TAGS, VMMCTL_GO_CGO_CFLAGS, VMMCTL_GO_CGO_LDFLAGS and
# absolute GOCACHE/GOPATH/GOMODCACHE (Kyua resets HOME and TMPDIR).

: "${VMMCTL_SRC:?VMMCTL_SRC is not set}"
. "$VMMCTL_SRC/tests/lib/foreign.subr"

FOREIGN_SKIP_RE='^[[:space:]]*--- SKIP'

# The race runtime sleeps 1 s at exit by default; every case lists the
# tests once and runs one, so that would add 2 s per case.  A race still
# fails the test that hit it.
GORACE="${GORACE:-atexit_sleep_ms=0}"
export GORACE

_go_bin()
{
	echo "$(atf_get_srcdir)/vmmctl.test"
}

foreign_list()
{
	"$(_go_bin)" -test.list '.*' | grep -E '^(Test|Example|Fuzz)' || return 1
	echo fuzz_FuzzCheckName
	echo go_vet
	echo gofmt
}

_go_tool()
{
	if [ -z "${VMMCTL_GO:-}" ] || [ -z "${GOCACHE:-}" ]; then
		echo "VMMCTL_GO/GOCACHE not set: run through make test"
		return 1
	fi
	cd "$VMMCTL_SRC/bindings/go" || return 1
	CGO_ENABLED=1 CGO_CFLAGS="${VMMCTL_GO_CGO_CFLAGS:-}" \
	CGO_LDFLAGS="${VMMCTL_GO_CGO_LDFLAGS:-}" "$@"
}

foreign_run()
{
	case "$1" in
	fuzz_FuzzCheckName)
		mkdir -p fuzzcache
		"$(atf_get_srcdir)/vmmctl-fuzz.test" -test.run '^$' \
		    -test.fuzz '^FuzzCheckName$' -test.fuzztime 5s \
		    -test.fuzzcachedir "$PWD/fuzzcache" -test.parallel 2 \
		    -test.v
		;;
	go_vet)
		_go_tool "$VMMCTL_GO" vet -buildvcs=false \
		    -tags "${VMMCTL_GO_TAGS:-vmmctl_external}" ./... &&
		    echo "go vet: clean"
		;;
	gofmt)
		_out=$(_go_tool "$(dirname "$VMMCTL_GO")/gofmt" -l .) ||
		    return 1
		if [ -n "$_out" ]; then
			echo "gofmt -l lists files that need formatting:"
			echo "$_out"
			return 1
		fi
		echo "gofmt -l: clean"
		;;
	*)
		# One test, verbosely; the package's tests find the sources
		# and the simulator through VMMCTL_SRC and VMMCTL_BUILD.
		_out=$("$(_go_bin)" -test.run "^$1\$" -test.v -test.count 1 \
		    -test.timeout 5m 2>&1)
		_rc=$?
		printf '%s\n' "$_out"
		[ $_rc -eq 0 ] || return $_rc
		# A -test.run that matched nothing would pass silently.
		printf '%s\n' "$_out" | grep -qE "^(--- PASS|--- SKIP|PASS$)" ||
		    { echo "no test ran for $1"; return 1; }
		printf '%s\n' "$_out" | grep -qE -- "^--- (PASS|SKIP): $1 " ||
		    { echo "no result line for $1"; return 1; }
		;;
	esac
}

atf_init_test_cases()
{
	foreign_init
}
