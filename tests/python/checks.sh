#! /usr/bin/env atf-sh
# Checks of the Python bindings that are builds or tools by nature: ruff,
# mypy --strict, regenerating the cdef, and pip install into a fresh venv.

: "${VMMCTL_SRC:?VMMCTL_SRC must be set (make exports it)}"
: "${VMMCTL_BUILD:?VMMCTL_BUILD must be set (make exports it)}"

PY_PKG=$VMMCTL_SRC/bindings/python
TOOLS=${VMMCTL_PY_VENV:-$VMMCTL_SRC/.tools/venv}
WHEELS=${VMMCTL_PY_WHEELS:-$VMMCTL_SRC/.tools/wheels}
export PYTHONDONTWRITEBYTECODE=1

_need_tools()
{
	[ -x "$TOOLS/bin/python" ] ||
	    atf_fail "$TOOLS missing: run make deps"
}

atf_test_case ruff_check
ruff_check_head()
{
	atf_set descr "ruff check is clean on bindings/python"
}
ruff_check_body()
{
	_need_tools
	cd "$PY_PKG" || atf_fail "no $PY_PKG"
	atf_check -o ignore "$TOOLS/bin/ruff" check --no-cache . \
	    "$VMMCTL_SRC/tests/python/user"
}

atf_test_case ruff_format
ruff_format_head()
{
	atf_set descr "ruff format --check is clean on bindings/python"
}
ruff_format_body()
{
	_need_tools
	cd "$PY_PKG" || atf_fail "no $PY_PKG"
	atf_check -o ignore "$TOOLS/bin/ruff" format --check --no-cache . \
	    "$VMMCTL_SRC/tests/python/user"
}

atf_test_case mypy_strict
mypy_strict_head()
{
	atf_set descr "mypy --strict is clean on the package, tests, examples" \
	    "and the user's script of package_test"
	atf_set timeout 600
}
mypy_strict_body()
{
	_need_tools
	atf_check -o ignore "$TOOLS/bin/mypy" --strict \
	    --cache-dir "$PWD/mypy-cache" \
	    --config-file "$PY_PKG/pyproject.toml" \
	    "$PY_PKG/src/vmmctl" "$PY_PKG/tests" "$PY_PKG/examples" \
	    "$VMMCTL_SRC/tests/python/user"
}

atf_test_case cdef_is_generated
cdef_is_generated_head()
{
	atf_set descr "regenerating src/vmmctl/_cdef.h from the headers changes nothing"
}
cdef_is_generated_body()
{
	_need_tools
	atf_check "$TOOLS/bin/python" "$PY_PKG/tools/gen_cdef.py" \
	    --cc "${CC:-cc}" --src "$VMMCTL_SRC" -o "$PWD/cdef.h"
	atf_check -o ignore diff -u "$PY_PKG/src/vmmctl/_cdef.h" cdef.h
}

atf_test_case fresh_venv_install
fresh_venv_install_head()
{
	atf_set descr "pip install of bindings/python into a fresh venv, offline"
	atf_set timeout 600
}
fresh_venv_install_body()
{
	_need_tools
	VMMCTL_PY_ENV=
	[ -f "$VMMCTL_BUILD/python/env.sh" ] && . "$VMMCTL_BUILD/python/env.sh"
	base=$("$TOOLS/bin/python" -c 'import sys; print(sys._base_executable)')
	atf_check "$base" -m venv venv
	# The build requirements, offline: the pinned wheel cache, and
	# $PIP_FIND_LINKS when set.
	atf_check -o ignore -e ignore venv/bin/python -m pip install -q \
	    --no-index --find-links "$WHEELS" \
	    ${PIP_FIND_LINKS:+--find-links "$PIP_FIND_LINKS"} \
	    -c "$PY_PKG/requirements-tools.txt" cffi setuptools wheel
	# A clean copy of the sources: leaves the tree alone.
	mkdir pkg
	tar -C "$PY_PKG" --exclude=./build --exclude='*.egg-info' \
	    --exclude='_vmmctl*.so' --exclude=__pycache__ -cf - . |
	    tar -C pkg -xf - || atf_fail "cannot copy $PY_PKG"
	atf_check -o ignore -e ignore venv/bin/python -m pip install -q \
	    --no-index --no-build-isolation ./pkg
	venv=$PWD/venv
	cd / || atf_fail "cd /"
	# shellcheck disable=SC2086
	atf_check -o match:'^\(1, [0-9]+, [0-9]+\) /' \
	    env $VMMCTL_PY_ENV "$venv/bin/python" -c \
	    'import vmmctl; print(vmmctl.library_version(), vmmctl.__file__)'
	# Static link: no libvmmctl.so needed at run time.
	so=$(ls "$venv"/lib/python*/site-packages/vmmctl/_vmmctl*.so)
	atf_check -o not-match:libvmmctl ldd "$so"
}

atf_test_case sim_command_is_the_daemon
sim_command_is_the_daemon_head()
{
	atf_set descr "the package's vmmctl-sim answers as build/bin/vmmctl-sim" \
	    "does: --help, usage errors, a root it cannot make"
}
sim_command_is_the_daemon_body()
{
	py_sim=$VMMCTL_BUILD/venv/bin/vmmctl-sim
	c_sim=$VMMCTL_BUILD/bin/vmmctl-sim
	[ -x "$py_sim" ] && [ -x "$c_sim" ] || atf_fail "run make"
	touch file
	for args in "--help" "" "--bogus" "--root" "--root /tmp/x --uid-limit -1" \
	    "--root /tmp/x extra" "--root $PWD/file/sub"; do
		# shellcheck disable=SC2086
		"$c_sim" $args >c.out 2>c.err </dev/null
		c_rc=$?
		# shellcheck disable=SC2086
		"$py_sim" $args >py.out 2>py.err </dev/null
		py_rc=$?
		[ "$c_rc" -eq "$py_rc" ] ||
		    atf_fail "vmmctl-sim $args: exit $py_rc, the daemon's $c_rc"
		# getopt names the program as invoked: compare past it.
		sed "s|^$c_sim:|vmmctl-sim:|" c.err >c.err2
		atf_check -o file:c.out cat py.out
		atf_check -o file:c.err2 cat py.err
	done
}

atf_test_case device_mode_where_libfuse3_is
device_mode_where_libfuse3_is_head()
{
	atf_set descr "make builds the package with the simulator's device mode" \
	    "exactly where libfuse3 is, as it builds vmmctl-sim"
}
device_mode_where_libfuse3_is_body()
{
	want=False
	pkg-config --exists fuse3 2>/dev/null && want=True
	VMMCTL_PY_ENV=
	[ -f "$VMMCTL_BUILD/python/env.sh" ] && . "$VMMCTL_BUILD/python/env.sh"
	# shellcheck disable=SC2086
	atf_check -o inline:"$want\n" env $VMMCTL_PY_ENV \
	    "$VMMCTL_BUILD/venv/bin/python" -c \
	    'import vmmctl.testing as t; print(t.HAVE_FUSE)'
}

atf_test_case demo
demo_head()
{
	atf_set descr "bindings/python/demo.sh against a private vmmctl-sim"
}
demo_body()
{
	root=$(mktemp -d /tmp/vmc.XXXXXX) || atf_fail "mktemp"
	"$VMMCTL_BUILD/bin/vmmctl-sim" --root "$root" </dev/null &
	sim=$!
	VMMCTL_PY_ENV=
	[ -f "$VMMCTL_BUILD/python/env.sh" ] && . "$VMMCTL_BUILD/python/env.sh"
	# Ready when the socket accepts a connection (bounded to 10 s).
	# shellcheck disable=SC2086
	env $VMMCTL_PY_ENV "$VMMCTL_BUILD/venv/bin/python" -c '
import socket, sys, time
end = time.monotonic() + 10
while time.monotonic() < end:
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        try:
            s.connect(sys.argv[1] + "/vmmctl")
            sys.exit(0)
        except OSError:
            time.sleep(0.02)
sys.exit(1)' "$root" || { kill -TERM "$sim"; atf_fail "vmmctl-sim not ready"; }
	VMMCTL_ROOT=$root sh "$PY_PKG/demo.sh" >out 2>&1
	rc=$?
	left=$(ls "$root/vmm" 2>/dev/null)
	kill -TERM "$sim"
	wait "$sim"
	rm -rf "$root"
	cat out
	[ "$rc" -eq 0 ] || atf_fail "demo.sh exited $rc"
	[ -z "$left" ] || atf_fail "demo left VMs behind: $left"
	grep -q 'after close' out || atf_fail "no transcript"
}

atf_init_test_cases()
{
	atf_add_test_case ruff_check
	atf_add_test_case ruff_format
	atf_add_test_case mypy_strict
	atf_add_test_case cdef_is_generated
	atf_add_test_case fresh_venv_install
	atf_add_test_case sim_command_is_the_daemon
	atf_add_test_case device_mode_where_libfuse3_is
	atf_add_test_case demo
}
