#! /usr/bin/env atf-sh
# The Go module used as a user would (issue 15): a copy of bindings/go
# alone, in an empty directory outside the tree, in an environment without
# any VMMCTL_* variable, offline (GOPROXY=off: the module needs no other
# module), with the tree's path in no command the go tool runs.
#
#   module_alone     go vet and go test -race ./... in the copy
#   user_module      a module of its own (replace => the copy) tests with
#                    vmmctltest.Start(t, vmmctltest.Jail("j1")), also
#                    vendored (go mod vendor, -mod=vendor)
#   install_daemon   go install .../cmd/vmmctl-sim gives a working daemon
#   no_cgo           CGO_ENABLED=0 fails, naming cgo
#   system_library   -tags vmmctl_system against "make install PREFIX=..."
#                    of the tree: the module's tests, and a program that
#                    runs without LD_LIBRARY_PATH (the library dir gone)
#
# Needs VMMCTL_SRC, VMMCTL_GO and an absolute GOCACHE (bindings/go's
# Makefile.inc exports them; the cache is outside the tree).

: "${VMMCTL_SRC:?VMMCTL_SRC is not set}"

# The copy of the module, in a fresh directory under /tmp (Kyua's work
# directory may sit inside the tree's build directory).
setup()
{
	[ -n "${VMMCTL_GO:-}" ] && [ -n "${GOCACHE:-}" ] ||
	    atf_fail "VMMCTL_GO/GOCACHE not set: run through make test"
	top=$(mktemp -d /tmp/gopkg.XXXXXX) || atf_fail "mktemp"
	# The shared cache, unless it is inside the tree (it is hidden).
	gocache=$GOCACHE
	case "$GOCACHE" in
	"$VMMCTL_SRC"/*) gocache=$top/gocache ;;
	esac
	echo "$top" >top.path
	cp -R "$VMMCTL_SRC/bindings/go" "$top/vmmctl" ||
	    atf_fail "copying bindings/go"
	# Build outputs of the tree are no part of the module.
	find "$top/vmmctl" -name '*.test' -type f -exec rm -f {} +
	mkdir "$top/home" "$top/tmp" "$top/bin"
	gobin=$(dirname "$VMMCTL_GO")
	write_goenv
}

cleanup_top()
{
	[ -f top.path ] && rm -rf "$(cat top.path)"
}

# $goenv runs a command in the clean environment: no VMMCTL_* (nor anything
# else of the caller's but PATH, the Go cache and PKG_CONFIG_PATH/LIBDIR
# when exported), offline.  As root where namespaces work, it also runs
# without a network and with an empty tmpfs over the tree, so that nothing
# of the tree can be reached.  A script, so that atf_check can run it.
write_goenv()
{
	goenv=$top/goenv
	isolate=
	if [ "$(id -u)" = 0 ] && unshare -m -n true 2>/dev/null; then
		isolate="unshare -m -n sh -c 'mount -t tmpfs tmpfs \"\$0\" &&"
		isolate="$isolate exec \"\$@\"' \"$VMMCTL_SRC\""
		echo "the go tool runs with the tree hidden and no network"
	fi
	cat >"$goenv" <<EOF
#!/bin/sh
exec $isolate \\
    env -i PATH="$gobin:/usr/local/bin:/usr/bin:/bin" HOME="$top/home" \\
    TMPDIR="$top/tmp" GOCACHE="$gocache" GOPATH="$top/gopath" \\
    GOMODCACHE="$top/gopath/pkg/mod" GOPROXY=off GOFLAGS=-mod=mod \\
    GOTOOLCHAIN=local GOBIN="$top/bin" CGO_ENABLED=1 \\
    GORACE=atexit_sleep_ms=0 \\
    \${PKG_CONFIG_PATH:+"PKG_CONFIG_PATH=\$PKG_CONFIG_PATH"} \\
    \${PKG_CONFIG_LIBDIR:+"PKG_CONFIG_LIBDIR=\$PKG_CONFIG_LIBDIR"} "\$@"
EOF
	chmod +x "$goenv"
	cat "$goenv"
}

# No line of the go tool's log (-x) names the tree.
tree_free()
{
	if grep -F "$VMMCTL_SRC" "$1"; then
		atf_fail "the build refers to the tree ($VMMCTL_SRC)"
	fi
	grep -q 'gcc\|cc1\|-fPIC' "$1" ||
	    atf_fail "the log shows no C compiled: not a build log?"
}

# A user's module: a program that opens a root given as its argument,
# and a test that uses vmmctltest.
make_user_module()
{
	mkdir "$top/agent"
	cat >"$top/agent/go.mod" <<'EOF'
module example.com/agent

go 1.24

require vmmctl.dev/vmmctl v0.0.0

replace vmmctl.dev/vmmctl => ../vmmctl
EOF
	cat >"$top/agent/main.go" <<'EOF'
// Command agent makes a scoped and a persistent VM under a root, lists
// them, and removes the persistent one.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"vmmctl.dev/vmmctl"
)

func run(root string) error {
	c, err := vmmctl.Open(root)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Create("web", 0); err != nil {
		return err
	}
	if err := c.Create("db", vmmctl.Persistent); err != nil {
		return err
	}
	if err := c.Create("db", 0); !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("Create again: %v, want fs.ErrExist", err)
	}
	names, err := c.List()
	if err != nil {
		return err
	}
	fmt.Println("vms:", names)
	fmt.Println("library:", vmmctl.LibraryVersion())
	return c.Destroy("db")
}

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "agent:", err)
		os.Exit(1)
	}
}
EOF
	cat >"$top/agent/agent_test.go" <<'EOF'
package main

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"vmmctl.dev/vmmctl"
	"vmmctl.dev/vmmctl/vmmctltest"
)

func TestAgent(t *testing.T) {
	sim := vmmctltest.Start(t, vmmctltest.Jail("j1"))
	if err := run(sim.JailRoot("j1")); err != nil {
		t.Fatal(err)
	}
	host, err := sim.Open()
	if err != nil {
		t.Fatal(err)
	}
	// The agent closed its descriptor: its scoped VM is gone, and it
	// destroyed the persistent one.
	names, err := host.List()
	if err != nil || len(names) != 0 {
		t.Fatalf("List = %q, %v; want none", names, err)
	}
	if err := host.Create("kept", vmmctl.Persistent); err != nil {
		t.Fatal(err)
	}
	jailed, err := vmmctl.Open(sim.JailRoot("j1"))
	if err != nil {
		t.Fatal(err)
	}
	defer jailed.Close()
	if err := jailed.Create("kept", 0); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create of a taken name: %v, want fs.ErrExist", err)
	}
	if err := jailed.Create("mine", 0); err != nil {
		t.Fatal(err)
	}
	names, _ = host.List()
	if strings.Join(names, ",") != "kept,mine" {
		t.Fatalf("host List = %q", names)
	}
}
EOF
}

atf_test_case module_alone cleanup
module_alone_head()
{
	atf_set descr "A copy of bindings/go alone: go vet and go test -race ./... pass, offline, without the tree"
	atf_set timeout 900
}
module_alone_body()
{
	setup
	cd "$top/vmmctl" || atf_fail "cd"
	if [ -n "$isolate" ]; then
		atf_check -o empty "$goenv" ls -A "$VMMCTL_SRC"
	fi
	atf_check -o ignore -e save:build.log "$goenv" go build -x ./...
	tree_free build.log
	atf_check "$goenv" go vet ./...
	atf_check -o save:test.out -e ignore "$goenv" go test -race -count=1 \
	    -v ./...
	grep -E '^(ok|FAIL|---)' test.out
	atf_check -o match:'^ok  	vmmctl.dev/vmmctl	' cat test.out
	atf_check -o match:'^ok  	vmmctl.dev/vmmctl/vmmctltest	' cat test.out
	atf_check -o match:'^ok  	vmmctl.dev/vmmctl/cmd/vmmctl-sim	' cat test.out
	atf_check -o match:'^--- PASS: TestABIFunctions' cat test.out
	atf_check -o match:'^--- PASS: TestServe' cat test.out
}
module_alone_cleanup()
{
	cleanup_top
}

atf_test_case user_module cleanup
user_module_head()
{
	atf_set descr "A user's module tests its code with vmmctltest.Start(t, vmmctltest.Jail(\"j1\"))"
	atf_set timeout 600
}
user_module_body()
{
	setup
	make_user_module
	cd "$top/agent" || atf_fail "cd"
	atf_check -o save:test.out -e save:test.err "$goenv" go test -race \
	    -count=1 -v -x ./...
	cat test.out
	tree_free test.err
	atf_check -o match:'^--- PASS: TestAgent' cat test.out
	atf_check -o match:'^ok  	example.com/agent	' cat test.out
	# Vendored: the C lives in the package directories, which "go mod
	# vendor" copies (it would leave out C in a subdirectory).
	atf_check "$goenv" go mod vendor
	atf_check test -f vendor/vmmctl.dev/vmmctl/internal/cabi/vmmctl_sim_host.c
	atf_check -o match:'^ok  	example.com/agent	' "$goenv" go test \
	    -mod=vendor -count=1 ./...
}
user_module_cleanup()
{
	cleanup_top
}

atf_test_case install_daemon cleanup
install_daemon_head()
{
	atf_set descr "go install vmmctl.dev/vmmctl/cmd/vmmctl-sim gives a daemon that serves (-d, --jail, --pidfile, SIGTERM)"
	atf_set timeout 600
}
install_daemon_body()
{
	setup
	make_user_module
	cd "$top/agent" || atf_fail "cd"
	atf_check -e save:install.log "$goenv" go install -x \
	    vmmctl.dev/vmmctl/cmd/vmmctl-sim
	tree_free install.log
	atf_check "$goenv" go build -o agent .
	root=$top/r
	atf_check -o match:'^usage: vmmctl-sim --root DIR' \
	    "$goenv" "$top/bin/vmmctl-sim" --help
	atf_check -s exit:64 -e match:'--root is required' \
	    "$goenv" "$top/bin/vmmctl-sim"
	atf_check "$goenv" "$top/bin/vmmctl-sim" -d --root "$root" --jail j1 \
	    --pidfile "$top/pid"
	pid=$(cat "$top/pid")
	echo "$pid" >daemon.pid
	atf_check -o match:'^vms: \[db web\]$' "$goenv" ./agent "$root/jails/j1"
	atf_check -o match:'^vms: \[db web\]$' "$goenv" ./agent "$root"
	atf_check kill -TERM "$pid"
	n=0
	while kill -0 "$pid" 2>/dev/null || [ -e "$root" ]; do
		n=$((n + 1))
		[ $n -lt 300 ] || atf_fail "the daemon did not stop on SIGTERM"
		sleep 0.1
	done
	rm -f daemon.pid
	atf_check test ! -e "$top/pid"
}
install_daemon_cleanup()
{
	[ -f daemon.pid ] && kill -KILL "$(cat daemon.pid)" 2>/dev/null
	cleanup_top
}

atf_test_case no_cgo cleanup
no_cgo_head()
{
	atf_set descr "CGO_ENABLED=0 fails at compile time with a message naming cgo"
	atf_set timeout 300
}
no_cgo_body()
{
	setup
	make_user_module
	cd "$top/vmmctl" || atf_fail "cd"
	atf_check -s not-exit:0 -e match:'vmmctl_needs_cgo_build_with_CGO_ENABLED_1' \
	    "$goenv" CGO_ENABLED=0 go build ./...
	cd "$top/agent" || atf_fail "cd"
	atf_check -s not-exit:0 -e save:err "$goenv" CGO_ENABLED=0 go build .
	cat err
	atf_check -o match:'undefined: vmmctl_needs_cgo_build_with_CGO_ENABLED_1' cat err
	atf_check -s not-exit:0 -o ignore -e match:'cgo' \
	    "$goenv" CGO_ENABLED=0 go vet ./...
}
no_cgo_cleanup()
{
	cleanup_top
}

atf_test_case system_library cleanup
system_library_head()
{
	atf_set descr "-tags vmmctl_system links an installed libvmmctl through pkg-config; the result runs without LD_LIBRARY_PATH"
	atf_set require.progs "pkg-config readelf nm make cc"
	atf_set timeout 900
}
system_library_body()
{
	setup
	make_user_module
	prefix=$top/prefix
	atf_check -o ignore -e ignore env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -C "$VMMCTL_SRC" install PREFIX="$prefix" BUILD="$top/cbuild"
	atf_check test -f "$prefix/lib/libvmmctl.a"
	atf_check test -f "$prefix/lib/pkgconfig/vmmctl.pc"
	mkdir "$top/nopc"
	# Without vmmctl.pc the tag cannot build: it does use pkg-config.
	cd "$top/agent" || atf_fail "cd"
	export PKG_CONFIG_LIBDIR=$top/nopc
	atf_check -s not-exit:0 -e match:'vmmctl' \
	    "$goenv" go build -tags vmmctl_system -o agent .
	unset PKG_CONFIG_LIBDIR
	export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
	atf_check -e save:build.log "$goenv" go build -x -tags vmmctl_system \
	    -o agent .
	tree_free build.log
	atf_check -o match:"-L$prefix/lib" -o match:'-l:libvmmctl.a' \
	    cat build.log
	# The installed archive is linked: no libvmmctl.so.1 to load, and
	# the library's functions are in the program (the module's copy of
	# libvmmctl is not compiled with the tag: tests/go system_tag_files).
	atf_check -o not-match:'libvmmctl' readelf -d agent
	atf_check -o match:' T vmmctl_open$' nm agent
	# The module's own tests, against the installed library.
	cd "$top/vmmctl" || atf_fail "cd"
	atf_check -o save:test.out -e ignore "$goenv" go test -count=1 -v \
	    -tags vmmctl_system ./...
	atf_check -o match:'^ok  	vmmctl.dev/vmmctl	' cat test.out
	atf_check -o match:'^--- PASS: TestABIFunctions' cat test.out
	atf_check -o match:'^--- PASS: TestLibraryVersion' cat test.out
	unset PKG_CONFIG_PATH
	# The program runs with the installed library gone, and no
	# LD_LIBRARY_PATH (goenv passes none), against an installed daemon.
	rm -rf "$prefix" "$top/cbuild"
	cd "$top/agent" || atf_fail "cd"
	atf_check "$goenv" go install vmmctl.dev/vmmctl/cmd/vmmctl-sim
	atf_check "$goenv" "$top/bin/vmmctl-sim" -d --root "$top/r" \
	    --pidfile "$top/pid"
	cat "$top/pid" >daemon.pid
	atf_check -o match:'^vms: \[db web\]$' -o match:'^library: ' \
	    env -u LD_LIBRARY_PATH ./agent "$top/r"
	atf_check kill -TERM "$(cat daemon.pid)"
}
system_library_cleanup()
{
	[ -f daemon.pid ] && kill -TERM "$(cat daemon.pid)" 2>/dev/null
	sleep 0.2
	cleanup_top
}

atf_init_test_cases()
{
	atf_add_test_case module_alone
	atf_add_test_case user_module
	atf_add_test_case install_daemon
	atf_add_test_case no_cgo
	atf_add_test_case system_library
}
