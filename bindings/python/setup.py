"""setup.py: what pyproject.toml cannot say.

- ``cffi_modules``: the extension vmmctl._vmmctl (ffi_build.py);
- the wheel tag: the module uses only the stable ABI (cffi compiles it with
  Py_LIMITED_API), so the wheel is ``cp310-abi3``: one wheel for CPython
  3.10 and later (not for free-threaded or debug builds, which have no
  stable ABI);
- the sdist gets a copy of the repository's tests/abi/abi.json as
  tests/abi.json, for tests/test_abi.py outside the repository.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


class Sdist(sdist):
    """sdist that adds the repository's ABI description to tests/."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        """Lay out the sdist tree, then copy tests/abi/abi.json into it."""
        super().make_release_tree(base_dir, files)
        abi = REPO / "tests" / "abi" / "abi.json"
        if (REPO / "capi" / "include" / "vmmctl.h").is_file() and abi.is_file():
            shutil.copyfile(abi, Path(base_dir) / "tests" / "abi.json")


def _options() -> dict[str, Any]:
    stable_abi = (
        sys.implementation.name == "cpython"
        and not sysconfig.get_config_var("Py_GIL_DISABLED")
        and not hasattr(sys, "gettotalrefcount")
    )
    return {"bdist_wheel": {"py_limited_api": "cp310"}} if stable_abi else {}


setup(
    cffi_modules=["ffi_build.py:ffi"],
    cmdclass={"sdist": Sdist},
    options=_options(),
)
