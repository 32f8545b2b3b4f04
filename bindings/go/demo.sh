#!/bin/sh
# The Go binding's part of "make demo": runs the example program
# (bindings/go/cmd/vmmctl-go-demo, prebuilt into $VMMCTL_BUILD/bin by
# DEMO_PREP) against the running simulator at $VMMCTL_ROOT.  It creates a
# scoped and a persistent VM, lists, destroys, closes the descriptor (the
# scoped VM goes, the persistent one stays) and removes its own VMs.
# Exits non-zero when anything is not as expected.
set -eu
: "${VMMCTL_ROOT:?VMMCTL_ROOT must name a running simulator's root}"
: "${VMMCTL_BUILD:?VMMCTL_BUILD is not set}"
demo=$VMMCTL_BUILD/bin/vmmctl-go-demo
if [ ! -x "$demo" ]; then
	echo "go demo: $demo is missing (make DEMO_PREP builds it)" >&2
	exit 1
fi
exec "$demo" -root "$VMMCTL_ROOT" -prefix "go-demo-$$"
