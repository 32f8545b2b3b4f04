#!/bin/sh
# Usage: guards.sh DIR...
# Fails when a C source or header under DIR tests a misspelt FreeBSD macro
# in #if/#ifdef/#ifndef/#elif (__FreeBSD, __FREEBSD__, __freebsd__,
# FreeBSD, ...): such a guard is false on every system, so the code under
# it would compile to nothing on FreeBSD too and no build would notice.
# __FreeBSD__, __FreeBSD_version and __FreeBSD_kernel__ are the real ones.
set -eu
bad=$(find "$@" -type f \( -name '*.c' -o -name '*.h' \) -print |
    sort | xargs grep -nHE '^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|elif)\b' |
    grep -oE '^[^:]+:[0-9]+:|[A-Za-z_][A-Za-z0-9_]*' |
    awk '/:[0-9]+:$/ { loc = $0; next }
	tolower($0) ~ /freebsd/ && $0 != "__FreeBSD__" &&
	$0 != "__FreeBSD_version" && $0 != "__FreeBSD_kernel__" {
		print loc " " $0 }' || true)
if [ -n "$bad" ]; then
	echo "freebsd: misspelt FreeBSD guard (always false, even on FreeBSD):" >&2
	echo "$bad" >&2
	exit 1
fi
