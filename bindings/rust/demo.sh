#!/bin/sh
# The Rust part of "make demo": runs the example program vmmctl-demo
# (bindings/rust/vmmctl/examples, prebuilt by DEMO_PREP into
# $VMMCTL_BUILD/rust/target) against the simulator at $VMMCTL_ROOT.  It
# creates a scoped and a persistent VM, lists, destroys, closes the
# descriptor and checks the scoped VM went with it; it leaves nothing behind
# and exits non-zero on failure.
set -eu
: "${VMMCTL_ROOT:?VMMCTL_ROOT must name a running vmmctl-sim root}"
: "${VMMCTL_SRC:?}" "${VMMCTL_BUILD:?}"
demo="$VMMCTL_BUILD/rust/target/debug/examples/vmmctl-demo"
if [ ! -x "$demo" ]; then
	echo "rust demo: $demo is not built (make demo builds it)" >&2
	exit 1
fi
exec "$demo"
