#!/bin/sh
# Usage: other-pythons.sh TOOLS_PYTHON
# Prints, one a line, the CPython interpreters (3.10 or later) on this
# machine whose X.Y differs from TOOLS_PYTHON's: the ones an abi3 wheel
# built with TOOLS_PYTHON must also import under.  Looks at pyenv's
# versions, /usr/bin/python3.* and /usr/local/bin/python3.*.  Prints
# nothing when there is none.
set -eu
tools=$1
own=$("$tools" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
seen=" $own "
{
	if command -v pyenv >/dev/null 2>&1; then
		root=$(pyenv root)
	else
		root=${PYENV_ROOT:-$HOME/.pyenv}
	fi
	ls -d "$root"/versions/*/bin/python3 2>/dev/null || true
	ls /usr/bin/python3.* /usr/local/bin/python3.* 2>/dev/null || true
} | while read -r py; do
	[ -x "$py" ] || continue
	v=$("$py" -c 'import sys, sysconfig
if sys.implementation.name == "cpython" and sys.version_info >= (3, 10) \
    and not sysconfig.get_config_var("Py_GIL_DISABLED"):
    print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
	[ -n "$v" ] || continue
	case $seen in
	*" $v "*) continue ;;
	esac
	seen="$seen$v "
	echo "$py"
done
