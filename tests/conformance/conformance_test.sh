#! /usr/bin/env atf-sh
# The cross-language conformance scenarios and the short stress run of
# tests/conformance/conformance.py, one ATF case each.  Each case starts
# its own vmmctl-sim under a short temporary root and removes it.

: "${VMMCTL_SRC:?VMMCTL_SRC must be set (make exports it)}"
: "${VMMCTL_BUILD:?VMMCTL_BUILD must be set (make exports it)}"

. "$VMMCTL_SRC/tests/lib/foreign.subr"

RUNNER=$VMMCTL_SRC/tests/conformance/conformance.py
PYTHON=$VMMCTL_BUILD/venv/bin/python
# A short stress run inside "make test"; "make stress" runs long ones.
SHORT_STRESS_SECONDS=30
FOREIGN_SKIP_RE='^SKIP: '
export PYTHONDONTWRITEBYTECODE=1

foreign_list()
{
	"$PYTHON" "$RUNNER" --list
}

foreign_run()
{
	"$PYTHON" "$RUNNER" --run "$1" --seconds "$SHORT_STRESS_SECONDS"
}

atf_init_test_cases()
{
	foreign_init
}
