#! /usr/bin/env atf-sh
# The Go suites of bindings/go as Kyua cases, through tests/lib/foreign.subr:
#
#   Test*/Example*/Fuzz*  one case each of package vmmctl, run from the
#                         prebuilt vmmctl.test (go test -c -race; -asan
#                         under SANITIZE)
#   vmmctltest.*          the same, of package vmmctltest
#   vmmctl-sim.*          the same, of cmd/vmmctl-sim; its comparison with
#                         the C daemon gets $VMMCTL_BUILD/bin/vmmctl-sim
#   device_mode           package vmmctl's tests again, every simulator in
#                         device mode (-vmmctl.fuse: the library's ioctl
#                         path); skipped without VMMCTL_GO_TAGS=vmmctl_fuse
#   fuzz_FuzzCheckName    5 s of native fuzzing (the instrumented
#                         vmmctl-fuzz.test): Go's CheckName vs C's
#   go_vet, gofmt         builds by nature: go vet, gofmt -l
#   abi_json_copy         abi_json_test.go is what "make bindings" makes
#   system_tag_files      with -tags vmmctl_system, internal/cabi compiles
#                         the simulator host and none of libvmmctl's copies
#
# Needs VMMCTL_SRC and VMMCTL_BUILD, and from bindings/go/Makefile.inc
# VMMCTL_GO, VMMCTL_GO_TAGS, VMMCTL_GO_CGO_CFLAGS, VMMCTL_GO_CGO_LDFLAGS and absolute
# GOCACHE/GOPATH/GOMODCACHE (Kyua resets HOME and TMPDIR).

: "${VMMCTL_SRC:?VMMCTL_SRC is not set}"
. "$VMMCTL_SRC/tests/lib/foreign.subr"

FOREIGN_SKIP_RE='^[[:space:]]*--- SKIP'

# The race runtime sleeps 1 s at exit by default; every case lists the
# tests once and runs one, so that would add 2 s per case.  A race still
# fails the test that hit it.
GORACE="${GORACE:-atexit_sleep_ms=0}"
export GORACE

# The test binaries: "prefix binary"; package vmmctl's cases keep bare names.
_go_bins()
{
	_d=$(atf_get_srcdir)
	echo "- $_d/vmmctl.test"
	echo "vmmctltest. $_d/vmmctltest.test"
	echo "vmmctl-sim. $_d/vmmctl-sim.test"
}

foreign_list()
{
	_go_bins | while read -r _p _bin; do
		[ "$_p" = - ] && _p=
		"$_bin" -test.list '.*' | grep -E '^(Test|Example|Fuzz)' |
		    sed "s/^/$_p/" || exit 1
	done || return 1
	echo device_mode
	echo fuzz_FuzzCheckName
	echo go_vet
	echo gofmt
	echo abi_json_copy
	echo system_tag_files
}

_go_tool()
{
	if [ -z "${VMMCTL_GO:-}" ] || [ -z "${GOCACHE:-}" ]; then
		echo "VMMCTL_GO/GOCACHE not set: run through make test"
		return 1
	fi
	cd "$VMMCTL_SRC/bindings/go" || return 1
	CGO_ENABLED=1 CGO_CFLAGS="${VMMCTL_GO_CGO_CFLAGS:-}" \
	CGO_LDFLAGS="${VMMCTL_GO_CGO_LDFLAGS:-}" GOFLAGS=-mod=mod GOPROXY=off \
	    "$@"
}

# One test of one binary, verbosely.
_go_one()
{
	_bin=$1 _name=$2
	_out=$(VMMCTL_SIM_C="$VMMCTL_BUILD/bin/vmmctl-sim" "$_bin" \
	    -test.run "^$_name\$" -test.v -test.count 1 -test.timeout 5m 2>&1)
	_rc=$?
	printf '%s\n' "$_out"
	[ $_rc -eq 0 ] || return $_rc
	# A -test.run that matched nothing would pass silently.
	printf '%s\n' "$_out" | grep -qE "^(--- PASS|--- SKIP|PASS$)" ||
	    { echo "no test ran for $_name"; return 1; }
	printf '%s\n' "$_out" | grep -qE -- "^--- (PASS|SKIP): $_name " ||
	    { echo "no result line for $_name"; return 1; }
}

foreign_run()
{
	case "$1" in
	device_mode)
		case " ${VMMCTL_GO_TAGS:-} " in
		*" vmmctl_fuse "*) ;;
		*) echo "--- SKIP: built without vmmctl_fuse (no libfuse3)"
		   return 0 ;;
		esac
		# The one test that skips without root would mark the case
		# skipped: leave it out there.
		_skip='^$'
		[ "$(id -u)" = 0 ] || _skip='^TestUnprivileged$'
		"$(atf_get_srcdir)/vmmctl.test" -test.count 1 -test.timeout 5m \
		    -test.v -test.skip "$_skip" -vmmctl.fuse >out 2>&1
		_rc=$?
		cat out
		[ $_rc -eq 0 ] && grep -q '^PASS$' out
		;;
	fuzz_FuzzCheckName)
		mkdir -p fuzzcache
		"$(atf_get_srcdir)/vmmctl-fuzz.test" -test.run '^$' \
		    -test.fuzz '^FuzzCheckName$' -test.fuzztime 5s \
		    -test.fuzzcachedir "$PWD/fuzzcache" -test.parallel 2 \
		    -test.v
		;;
	go_vet)
		# The system tag's cgo asks pkg-config: the tree's own
		# uninstalled vmmctl.pc answers.
		_go_tool "$VMMCTL_GO" vet -buildvcs=false \
		    -tags "${VMMCTL_GO_TAGS:-}" ./... &&
		    _go_tool env PKG_CONFIG_PATH="$VMMCTL_BUILD/lib/pkgconfig" \
		    "$VMMCTL_GO" vet -buildvcs=false -tags vmmctl_system \
		    ./... && echo "go vet: clean"
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
	abi_json_copy)
		sh "$VMMCTL_SRC/tests/go/gen-abi-json.sh" "$VMMCTL_SRC" \
		    "$PWD/abi_json_test.go" || return 1
		cmp "$PWD/abi_json_test.go" \
		    "$VMMCTL_SRC/bindings/go/abi_json_test.go" ||
		    { echo "bindings/go/abi_json_test.go differs from" \
		    "tests/abi/abi.json: run make bindings"; return 1; }
		head -n 1 "$PWD/abi_json_test.go" | grep -q \
		    '^// Code generated .* DO NOT EDIT\.$' ||
		    { echo "no generated-code line"; return 1; }
		echo "abi_json_test.go matches tests/abi/abi.json"
		;;
	system_tag_files)
		# go/build reads the //go:build line on the second line of
		# the bundled copies (after the "Generated" comment).
		_tpl='{{join .CFiles " "}}'
		_all=$(_go_tool "$VMMCTL_GO" list -f "$_tpl" ./internal/cabi) ||
		    return 1
		_sys=$(_go_tool "$VMMCTL_GO" list -tags vmmctl_system \
		    -f "$_tpl" ./internal/cabi) || return 1
		echo "default: $_all"
		echo "vmmctl_system: $_sys"
		for _f in vmmctl.c vmmctl_ioctl.c vmmctl_sim.c \
		    vmmctl_strerror.c; do
			case " $_all " in *" $_f "*) ;;
			*) echo "default build lacks $_f"; return 1 ;; esac
			case " $_sys " in *" $_f "*)
				echo "vmmctl_system compiles $_f"; return 1 ;;
			esac
		done
		for _f in vmmctl_sim_host.c vmmctl_sim_sock.c vmmctl_kern.c \
		    vmmctl_name.c; do
			case " $_sys " in *" $_f "*) ;;
			*) echo "vmmctl_system lacks $_f"; return 1 ;; esac
		done
		;;
	vmmctltest.*)
		_go_one "$(atf_get_srcdir)/vmmctltest.test" "${1#vmmctltest.}"
		;;
	vmmctl-sim.*)
		_go_one "$(atf_get_srcdir)/vmmctl-sim.test" "${1#vmmctl-sim.}"
		;;
	*)
		_go_one "$(atf_get_srcdir)/vmmctl.test" "$1"
		;;
	esac
}

atf_init_test_cases()
{
	foreign_init
}
