#! /usr/bin/env atf-sh
# The pytest suite of the Python bindings (bindings/python/tests), one ATF
# case per pytest item, through tests/lib/foreign.subr.  Runs the package
# installed in $VMMCTL_BUILD/venv (built by "make": no compiling here).

: "${VMMCTL_SRC:?VMMCTL_SRC must be set (make exports it)}"
: "${VMMCTL_BUILD:?VMMCTL_BUILD must be set (make exports it)}"
. "$VMMCTL_SRC/tests/lib/foreign.subr"

VMMCTL_PY_ENV=
# Sanitizer builds: the runtimes to preload into the interpreter.
[ -f "$VMMCTL_BUILD/python/env.sh" ] && . "$VMMCTL_BUILD/python/env.sh"

PY_PKG=$VMMCTL_SRC/bindings/python
PY=$VMMCTL_BUILD/venv/bin/python
export PYTHONDONTWRITEBYTECODE=1
FOREIGN_SKIP_RE='^SKIPPED '

_pytest()
{
	# shellcheck disable=SC2086
	env $VMMCTL_PY_ENV "$PY" -m pytest -p no:cacheprovider \
	    --rootdir "$PY_PKG" -c "$PY_PKG/pyproject.toml" "$@"
}

foreign_list()
{
	[ -x "$PY" ] || { echo "$PY missing: run make" >&2; return 1; }
	# make writes the collected ids once (Kyua asks for the list again
	# for every case); collect afresh if a test file is newer.
	_list=$VMMCTL_BUILD/python/pytest.list
	if [ -s "$_list" ] &&
	    [ -z "$(find "$PY_PKG/tests" -name '*.py' -newer "$_list")" ]; then
		cat "$_list"
	else
		_pytest --collect-only -q "$PY_PKG/tests" | grep '::'
	fi
}

foreign_run()
{
	_pytest -rs -q "$PY_PKG/$1"
}

atf_init_test_cases()
{
	foreign_init
}
