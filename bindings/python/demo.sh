#!/bin/sh
# The Python part of "make demo": runs examples/demo.py with the package
# installed in $VMMCTL_BUILD/venv against the simulator at $VMMCTL_ROOT.
set -eu
: "${VMMCTL_ROOT:?VMMCTL_ROOT must name a running vmmctl-sim root}"
: "${VMMCTL_SRC:?}" "${VMMCTL_BUILD:?}"
VMMCTL_PY_ENV=
# Sanitizer builds: the runtimes to preload into the interpreter.
if [ -f "$VMMCTL_BUILD/python/env.sh" ]; then
	. "$VMMCTL_BUILD/python/env.sh"
fi
export PYTHONDONTWRITEBYTECODE=1
# shellcheck disable=SC2086
exec env $VMMCTL_PY_ENV "$VMMCTL_BUILD/venv/bin/python" \
    "$VMMCTL_SRC/bindings/python/examples/demo.py"
