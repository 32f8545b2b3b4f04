#! /usr/bin/env atf-sh
# The Python package as a user gets it (issue 13): built from a fresh copy
# of the tracked tree without "make", installed from the sdist alone in an
# empty directory outside the tree with the tree hidden, and used there;
# the abi3 wheel under the machine's other CPythons; the opt-in installed
# libvmmctl.  Offline: build requirements come from the tools venv, run-time
# ones from the wheel cache (make deps fills both).

: "${VMMCTL_SRC:?VMMCTL_SRC must be set (make exports it)}"
: "${VMMCTL_BUILD:?VMMCTL_BUILD must be set (make exports it)}"

TOOLS=${VMMCTL_PY_VENV:-$VMMCTL_SRC/.tools/venv}
WHEELS=${VMMCTL_PY_WHEELS:-$VMMCTL_SRC/.tools/wheels}
PY_PKG=$VMMCTL_SRC/bindings/python
USER_DIR=$VMMCTL_SRC/tests/python/user
SDIST_NAME=vmmctl-1.0.0
# pip: no network, no user or system configuration, no cache.
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_NO_CACHE_DIR=1
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

_need_tools()
{
	[ -x "$TOOLS/bin/python" ] && [ -x "$TOOLS/bin/auditwheel" ] ||
	    atf_fail "$TOOLS (with build and auditwheel) missing: run make deps"
}

# A directory outside the tree, removed by the case's cleanup.
_outside()
{
	_o=$(mktemp -d /tmp/vmmctl-pkg.XXXXXX) || atf_fail "mktemp"
	echo "$_o" >>outside.list
	echo "$_o"
}

_cleanup_outside()
{
	[ -f outside.list ] || return 0
	while read -r _o; do
		case $_o in
		/tmp/vmmctl-pkg.*) rm -rf "$_o" ;;
		esac
	done <outside.list
}

# What a fresh clone holds: the tracked files, as they are in the work tree
# (no build/, no .tools, nothing untracked), into ./clone.
_fresh_clone()
{
	mkdir clone || atf_fail "mkdir clone"
	(cd "$VMMCTL_SRC" && git ls-files -z |
	    tar --null -T - --ignore-failed-read -cf -) | tar -C clone -xf - ||
	    atf_fail "cannot copy the tracked tree of $VMMCTL_SRC"
	[ -f clone/bindings/python/ffi_build.py ] && [ ! -e clone/build ] ||
	    atf_fail "the copy does not look like a fresh clone"
}

# The sdist and the wheel built from it (python -m build), and the
# wheel's manylinux repair, from the fresh copy: into ./dist.
_dist()
{
	_fresh_clone
	sh clone/bindings/python/tools/dist.sh "$TOOLS/bin/python" \
	    "$PWD/clone/bindings/python" "$PWD/dist" >dist.log 2>&1 ||
	    { cat dist.log; atf_fail "building the sdist and wheel failed"; }
	[ -f "dist/$SDIST_NAME.tar.gz" ] || atf_fail "no dist/$SDIST_NAME.tar.gz"
}

# The interpreter new venvs are made from (outside the tree).
_base_python()
{
	"$TOOLS/bin/python" -c 'import sys; print(sys._base_executable)'
}

# Runs "$@" with the tree (and the tools, the build dir and the wheel cache
# wherever they are) replaced by empty directories in a private mount
# namespace, so that nothing run there can read them; without the
# privilege for that, runs "$@" as it is and says so (the callers also
# check that nothing they made names the tree).
_without_tree()
{
	_hide=
	for _d in "$VMMCTL_SRC" "$TOOLS" "$WHEELS" "$VMMCTL_BUILD"; do
		[ -d "$_d" ] && _hide="$_hide $(cd "$_d" && pwd -P)"
	done
	if unshare --mount true 2>/dev/null; then
		# A directory inside one already hidden is gone with it.
		unshare --mount sh -c 'for d in $0; do
			[ -d "$d" ] || continue
			mount -t tmpfs -o size=64k,mode=0755 hidden "$d" || exit 97
		done
		if ls "$1/bindings" >/dev/null 2>&1; then
			echo "the tree is still reachable" >&2
			exit 98
		fi
		shift
		exec "$@"' "$_hide" "$VMMCTL_SRC" "$@"
	else
		echo "NOTE: no mount namespace here: the tree is not hidden" >&2
		"$@"
	fi
}

atf_test_case sdist_stands_alone cleanup
sdist_stands_alone_head()
{
	atf_set descr "sdist from a fresh clone, copied alone outside the tree," \
	    "installed offline with the tree hidden and no VMMCTL_*:" \
	    "a user's script and test file, and the package's own suite"
	atf_set timeout 1200
}
sdist_stands_alone_body()
{
	_need_tools
	_dist
	tar -tzf "dist/$SDIST_NAME.tar.gz" >sdist.list
	for f in ffi_build.py setup.py pyproject.toml MANIFEST.in \
	    src/vmmctl/_cdef.h src/vmmctl/testing.py src/vmmctl/py.typed \
	    csrc/vmmctl.c csrc/vmmctl_sim_host.c csrc/vmmctl_sim_main.c \
	    tests/conftest.py tests/test_control.py tests/test_testing.py \
	    tests/abi.json; do
		grep -qx "$SDIST_NAME/$f" sdist.list ||
		    atf_fail "the sdist lacks $f"
	done
	! grep -q '\.so$' sdist.list || atf_fail "the sdist holds a compiled module"

	# Only the sdist goes outside (plus the user's own files and the
	# wheels of the build requirements, as a user's index would serve).
	out=$(_outside)
	cp "dist/$SDIST_NAME.tar.gz" "$out/" || atf_fail "cp"
	mkdir "$out/wheels" "$out/project" "$out/project/tests" "$out/home"
	cp "$WHEELS"/*.whl "$out/wheels/"
	# The pins of the build requirements (the venv's own setuptools is older
	# than the one pyproject.toml asks for).
	cp "$PY_PKG/requirements-tools.txt" "$out/build-pins.txt"
	cp "$USER_DIR/use_vmmctl.py" "$out/project/"
	# The README's test file of a user's project, verbatim.
	awk '/<!-- user-test-end -->/ { on = 0 } on && !/^```/ { print }
	    /<!-- user-test-begin -->/ { on = 1 }' "$PY_PKG/README.md" \
	    >"$out/project/tests/test_orchestrator.py"
	grep -q vmmctl_simulator "$out/project/tests/test_orchestrator.py" ||
	    atf_fail "no user test file in the README"
	base=$(_base_python)
	case $base in
	"$VMMCTL_SRC"/*) atf_fail "the base interpreter $base is in the tree" ;;
	esac
	cat >"$out/inside.sh" <<EOF
set -eux
cd "$out"
"$base" -m venv venv
venv/bin/python -m pip install -q --find-links wheels -c build-pins.txt \
    cffi setuptools wheel pytest
venv/bin/python -m pip install -v --no-build-isolation \
    ./$SDIST_NAME.tar.gz >install.log 2>&1 || { cat install.log; exit 1; }
test -x venv/bin/vmmctl-sim
cd project
../venv/bin/python use_vmmctl.py
../venv/bin/python -m pytest -p no:cacheprovider -v tests
cd ..
mkdir suite
tar -C suite -xzf $SDIST_NAME.tar.gz
cd suite/$SDIST_NAME
../../venv/bin/python -c 'import vmmctl; print(vmmctl.__file__)' | \
    grep -q "^$out/venv/lib/"
../../venv/bin/python -m pytest -p no:cacheprovider -q -rs tests
EOF
	_without_tree env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$out/home" \
	    LANG=C.UTF-8 TMPDIR=/tmp PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 \
	    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
	    PYTHONDONTWRITEBYTECODE=1 sh "$out/inside.sh" >inside.out 2>&1
	rc=$?
	cat inside.out
	[ "$rc" -eq 0 ] || atf_fail "using the package outside the tree failed ($rc)"
	grep -q '^ok$' inside.out || atf_fail "the user's script did not finish"
	grep -q 'test_orchestrator.py::test_jail_and_limit PASSED' inside.out ||
	    atf_fail "the user's test file did not pass"
	grep -Eq '^[0-9]+ passed in ' inside.out ||
	    atf_fail "the package's own suite did not pass whole"
	! grep -Eq '^[0-9]+ passed, .*(failed|skipped|error)' inside.out ||
	    atf_fail "the package's own suite did not pass whole"
	# Nothing that was built or installed names the tree.
	if grep -rl "$VMMCTL_SRC" "$out/install.log" "$out"/venv/lib/*/site-packages/vmmctl* \
	    >tree-refs 2>/dev/null; then
		cat tree-refs
		atf_fail "the install refers to the tree"
	fi
}
sdist_stands_alone_cleanup()
{
	_cleanup_outside
}

atf_test_case wheel_abi3 cleanup
wheel_abi3_head()
{
	atf_set descr "the wheel is cp310-abi3 (and repaired to manylinux) and" \
	    "imports and works under every other CPython >= 3.10 here"
	atf_set timeout 1200
}
wheel_abi3_body()
{
	_need_tools
	_dist
	set -- dist/*.whl
	[ $# -eq 1 ] || atf_fail "expected one wheel in dist/: $*"
	whl=$1
	case $whl in
	dist/vmmctl-1.0.0-cp310-abi3-linux_*.whl) ;;
	*) atf_fail "wheel not tagged cp310-abi3: $whl" ;;
	esac
	"$TOOLS/bin/python" - "$whl" <<'EOF' || atf_fail "wheel metadata"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
wheel = z.read("vmmctl-1.0.0.dist-info/WHEEL").decode()
assert "Tag: cp310-abi3-linux_" in wheel, wheel
assert "Root-Is-Purelib: false" in wheel, wheel
assert "vmmctl/_vmmctl.abi3.so" in names, names
assert "vmmctl/py.typed" in names, names
ep = z.read("vmmctl-1.0.0.dist-info/entry_points.txt").decode()
assert "vmmctl-sim = vmmctl.testing:sim_main" in ep, ep
assert "vmmctl = vmmctl.pytest_plugin" in ep, ep
print(wheel)
EOF
	set -- dist/wheelhouse/vmmctl-1.0.0-cp310-abi3-manylinux_*_x86_64.whl
	[ -f "$1" ] || atf_fail "auditwheel did not write a manylinux wheel"
	repaired=$PWD/$1
	echo "repaired: $repaired"

	pythons=$(sh "$PY_PKG/tools/other-pythons.sh" "$TOOLS/bin/python")
	[ -n "$pythons" ] || atf_skip "no CPython >= 3.10 other than" \
	    "$("$TOOLS/bin/python" -V) on this machine (looked at pyenv" \
	    "versions, /usr/bin/python3.*, /usr/local/bin/python3.*)"
	n=0
	for py in $pythons; do
		n=$((n + 1))
		v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
		echo "== CPython $v: $py"
		"$py" -m venv "venv$n" || atf_fail "venv for $py"
		"venv$n/bin/python" -m pip install -q --find-links "$WHEELS" \
		    cffi >"pip$n.log" 2>&1 ||
		    { cat "pip$n.log"; atf_fail "no cffi wheel for CPython $v" \
		    "in $WHEELS: run make deps"; }
		"venv$n/bin/python" -m pip install -q --no-deps "$repaired" ||
		    atf_fail "pip refused the abi3 wheel under CPython $v"
		(cd / && "$OLDPWD/venv$n/bin/python" - "$v") <<'EOF' ||
import sys
import vmmctl
from vmmctl.testing import Simulator
assert "%d.%d" % sys.version_info[:2] == sys.argv[1]
assert vmmctl._vmmctl.__file__.endswith("_vmmctl.abi3.so")
with Simulator(jails=["j"]) as sim:
    with sim.open() as ctl:
        ctl.create("scoped")
        ctl.create("kept", persistent=True)
        try:
            ctl.create("kept")
        except FileExistsError:
            pass
        else:
            raise AssertionError("FileExistsError expected")
    with vmmctl.open(sim.jail_root("j")) as jailed, sim.open() as ctl:
        assert ctl.list() == ["kept"], ctl.list()
        assert jailed.list() == []
print("CPython", sys.argv[1], "ok:", vmmctl.library_version())
EOF
		    atf_fail "the wheel does not work under CPython $v"
	done
}
wheel_abi3_cleanup()
{
	_cleanup_outside
}

atf_test_case installed_library
installed_library_head()
{
	atf_set descr "VMMCTL_USE_PKG_CONFIG=1 and VMMCTL_INCLUDE_DIR/LIB_DIR" \
	    "link the installed libvmmctl; the simulator still comes from csrc/"
	atf_set timeout 900
}
installed_library_body()
{
	_need_tools
	[ -f "$VMMCTL_BUILD/lib/pkgconfig/vmmctl.pc" ] ||
	    atf_fail "no $VMMCTL_BUILD/lib/pkgconfig/vmmctl.pc: run make"
	base=$(_base_python)
	VMMCTL_PY_ENV=
	# Sanitizer builds: the library needs the runtimes preloaded.
	[ -f "$VMMCTL_BUILD/python/env.sh" ] && . "$VMMCTL_BUILD/python/env.sh"
	mkdir pkg
	tar -C "$PY_PKG" --exclude=./build --exclude='*.egg-info' \
	    --exclude='_vmmctl*.so' --exclude=__pycache__ --exclude=./dist \
	    -cf - . | tar -C pkg -xf - || atf_fail "cannot copy $PY_PKG"
	for how in pkgconfig dirs; do
		"$base" -m venv "venv-$how" || atf_fail "venv"
		"venv-$how/bin/python" -m pip install -q --find-links "$WHEELS" \
		    -c "$PY_PKG/requirements-tools.txt" cffi setuptools wheel ||
		    atf_fail "build requirements"
		if [ "$how" = pkgconfig ]; then
			set -- VMMCTL_USE_PKG_CONFIG=1 \
			    PKG_CONFIG_PATH="$VMMCTL_BUILD/lib/pkgconfig"
		else
			set -- VMMCTL_LIB_DIR="$VMMCTL_BUILD/lib" \
			    VMMCTL_INCLUDE_DIR="$VMMCTL_SRC/capi/include"
		fi
		rm -rf pkg/build
		(cd pkg && env "$@" "../venv-$how/bin/python" -m pip install -q \
		    --no-build-isolation .) >"build-$how.log" 2>&1 ||
		    { cat "build-$how.log"; atf_fail "build with $*"; }
		so=$(ls venv-"$how"/lib/python*/site-packages/vmmctl/_vmmctl*.so)
		ldd "$so" >"ldd-$how"
		grep -q "libvmmctl\.so\.1 => $VMMCTL_BUILD/lib/" "ldd-$how" ||
		    { cat "ldd-$how"; atf_fail "$how: not linked to the installed library"; }
		# libvmmctl's code is the installed one; the simulator's is
		# in the module.
		nm "$so" | grep -q ' [tT] vmmctl_sim_start$' ||
		    atf_fail "$how: no simulator in the module"
		! nm "$so" | grep -q ' [tT] vmmctl_create$' ||
		    atf_fail "$how: libvmmctl compiled in as well"
		# shellcheck disable=SC2086
		(cd / && env $VMMCTL_PY_ENV "$OLDPWD/venv-$how/bin/python" -c '
import vmmctl
from vmmctl.testing import Simulator
with Simulator() as sim, sim.open() as ctl:
    ctl.create("linked")
    assert ctl.list() == ["linked"]
    print(vmmctl.library_version())
') || atf_fail "$how: the package does not work"
	done
}

atf_init_test_cases()
{
	atf_add_test_case sdist_stands_alone
	atf_add_test_case wheel_abi3
	atf_add_test_case installed_library
}
