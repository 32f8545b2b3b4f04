"""cffi builder of vmmctl._vmmctl (out-of-line API mode).

Run by setuptools through ``cffi_modules`` (see setup.py).  The cdef is
src/vmmctl/_cdef.h, generated from the C headers by tools/gen_cdef.py
(``make bindings``); in API mode the C compiler checks every struct layout
and constant of it against the real headers.

Which libvmmctl to build against, chosen by the environment:

- default: the repository's build, linked STATIC so that nothing is needed
  at run time: ``$VMMCTL_BUILD/lib/libvmmctl.a`` (VMMCTL_BUILD defaults to
  ``$VMMCTL_SRC/build``, VMMCTL_SRC to the repository that holds this file)
  and the headers under ``$VMMCTL_SRC/capi/include`` and
  ``$VMMCTL_SRC/sys/include``.  An archive built with sanitizers
  (``make SANITIZE=1``) is detected and the module is linked with them.
- ``VMMCTL_USE_PKG_CONFIG=1``: an installed copy, as ``pkg-config vmmctl``
  describes it (set PKG_CONFIG_PATH for a non-standard prefix); linked
  shared, with an rpath to its library directory.
- ``VMMCTL_INCLUDE_DIR`` and/or ``VMMCTL_LIB_DIR``: an installed copy whose
  headers (vmmctl.h, vmmctl_dev.h) and libvmmctl.so are there; linked
  shared, with an rpath to VMMCTL_LIB_DIR.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

from cffi import FFI

HERE = Path(__file__).resolve().parent
CDEF = HERE / "src" / "vmmctl" / "_cdef.h"
SOURCE = "#include <vmmctl.h>\n#include <vmmctl_dev.h>\n"


def _pkg_config() -> dict[str, Any]:
    def run(*args: str) -> list[str]:
        out = subprocess.run(
            ["pkg-config", *args, "vmmctl"], capture_output=True, text=True
        )
        if out.returncode != 0:
            raise SystemExit(f"pkg-config {' '.join(args)} vmmctl: {out.stderr}")
        return shlex.split(out.stdout)

    cfg: dict[str, Any] = {
        "include_dirs": [],
        "library_dirs": [],
        "libraries": [],
        "extra_compile_args": [],
        "extra_link_args": [],
    }
    for flag in run("--cflags"):
        if flag.startswith("-I"):
            cfg["include_dirs"].append(flag[2:])
        else:
            cfg["extra_compile_args"].append(flag)
    for flag in run("--libs"):
        if flag.startswith("-L"):
            cfg["library_dirs"].append(flag[2:])
        elif flag.startswith("-l"):
            cfg["libraries"].append(flag[2:])
        else:
            cfg["extra_link_args"].append(flag)
    cfg["runtime_library_dirs"] = list(cfg["library_dirs"])
    return cfg


def _installed(include_dir: str, lib_dir: str) -> dict[str, Any]:
    cfg: dict[str, Any] = {"libraries": ["vmmctl"]}
    if include_dir:
        cfg["include_dirs"] = [include_dir]
    if lib_dir:
        cfg["library_dirs"] = [lib_dir]
        cfg["runtime_library_dirs"] = [lib_dir]
    return cfg


def _repository() -> dict[str, Any]:
    src = Path(os.environ.get("VMMCTL_SRC") or HERE.parents[1])
    build = Path(os.environ.get("VMMCTL_BUILD") or src / "build")
    archive = build / "lib" / "libvmmctl.a"
    if not archive.is_file():
        raise SystemExit(
            f"vmmctl: {archive} not found: run 'make' at the repository root"
            " first, or set VMMCTL_BUILD, VMMCTL_USE_PKG_CONFIG=1 or"
            " VMMCTL_INCLUDE_DIR/VMMCTL_LIB_DIR (see ffi_build.py)"
        )
    cfg: dict[str, Any] = {
        "include_dirs": [str(src / "capi" / "include"), str(src / "sys" / "include")],
        "extra_objects": [str(archive)],
        "libraries": ["pthread"],
    }
    # An ASan/UBSan archive needs the sanitizer runtimes linked in too
    # (and LD_PRELOADed into the interpreter at run time).
    if os.environ.get("VMMCTL_SANITIZE") == "1" or b"__asan_" in archive.read_bytes():
        cfg["extra_link_args"] = ["-fsanitize=address,undefined"]
    return cfg


def config() -> dict[str, Any]:
    """Return the set_source() keyword arguments for the chosen library."""
    if os.environ.get("VMMCTL_USE_PKG_CONFIG") == "1":
        return _pkg_config()
    include_dir = os.environ.get("VMMCTL_INCLUDE_DIR", "")
    lib_dir = os.environ.get("VMMCTL_LIB_DIR", "")
    if include_dir or lib_dir:
        return _installed(include_dir, lib_dir)
    return _repository()


ffi = FFI()
ffi.cdef(CDEF.read_text())
ffi.set_source("vmmctl._vmmctl", SOURCE, **config())

if __name__ == "__main__":
    ffi.compile(verbose=True)
