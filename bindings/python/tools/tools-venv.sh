#!/bin/sh
# Usage: tools-venv.sh BASE_PYTHON VENV WHEELS REQUIREMENTS
# Creates or updates the project's Python tool environment VENV from the
# pinned REQUIREMENTS, through the wheel cache WHEELS (which later offline
# installs use: the test venvs, the fresh-venv pip install test).  Quick and
# offline when the venv already matches: the stamp is a copy of the
# requirements file.  Never removes what other areas added to the venv.
set -eu
base=$1 venv=$2 wheels=$3 reqs=$4
stamp=$venv/.vmmctl-python-requirements
if [ -x "$venv/bin/python" ] && cmp -s "$reqs" "$stamp"; then
	exit 0
fi
echo "deps: python tools venv $venv" >&2
if ! command -v "$base" >/dev/null 2>&1; then
	echo "deps: $base not found (install Python 3 with venv support)" >&2
	exit 1
fi
[ -x "$venv/bin/python" ] || "$base" -m venv "$venv"
mkdir -p "$wheels"
# Fill the wheel cache (only what is missing is downloaded), then install
# from it alone.
"$venv/bin/python" -m pip install -q --no-index --find-links "$wheels" \
    -r "$reqs" 2>/dev/null || {
	"$venv/bin/python" -m pip download -q -d "$wheels" -r "$reqs"
	"$venv/bin/python" -m pip install -q --no-index --find-links "$wheels" \
	    -r "$reqs"
}
cp "$reqs" "$stamp"
