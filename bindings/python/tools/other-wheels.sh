#!/bin/sh
# Usage: other-wheels.sh TOOLS_PYTHON WHEELS REQUIREMENTS
# Fills the wheel cache WHEELS with the package's run-time dependencies
# (cffi as pinned by REQUIREMENTS, and the pycparser that CPython version
# can use: pycparser's newest wants 3.11) for every other CPython that
# tools/other-pythons.sh finds, so that tests/python/package_test can
# install the abi3 wheel under them offline.  Quick and offline when the
# cache has them already.
set -eu
tools=$1 wheels=$2 reqs=$3
here=$(dirname "$0")
cffi=$(grep '^cffi==' "$reqs")
pythons=$(sh "$here/other-pythons.sh" "$tools")
# The stamp: what the cache was last filled for.
stamp=$wheels/.vmmctl-other-pythons
want=$(printf '%s\n' "$cffi" $pythons)
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && exit 0
for py in $pythons; do
	v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	set -- -q --only-binary=:all: --python-version "$v" -d "$wheels" "$cffi"
	"$tools" -m pip download --no-index --find-links "$wheels" "$@" \
	    >/dev/null 2>&1 && continue
	echo "deps: cffi wheels for CPython $v ($py)" >&2
	"$tools" -m pip download "$@"
done
printf '%s\n' "$want" >"$stamp"
