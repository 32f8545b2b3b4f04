#!/bin/sh
# Usage: apt.sh FILE:PACKAGE ...
# Installs each Debian PACKAGE whose FILE does not exist; does nothing (and
# asks nothing of the network) when every FILE is present.  Idempotent.
set -eu
missing=
for pair in "$@"; do
	file=${pair%%:*}
	pkg=${pair#*:}
	[ -e "$file" ] || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo -n"
else
	echo "deps: need root (or sudo) to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have empty package lists: update once, then retry.
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends $missing
}
