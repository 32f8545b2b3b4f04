"""The compiled module against the shared ABI description tests/abi/abi.json."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import Sim

import vmmctl
from vmmctl._vmmctl import ffi, lib

# The repository's tests/abi/abi.json; an sdist carries a copy beside this
# file (setup.py puts it there).
HERE = Path(__file__).resolve().parent
ABI_JSON = (
    HERE / "abi.json"
    if (HERE / "abi.json").is_file()
    else Path(os.environ.get("VMMCTL_SRC") or HERE.parents[2]) / "tests/abi/abi.json"
)


def _abi() -> dict[str, Any]:
    if not ABI_JSON.is_file():
        pytest.fail(f"{ABI_JSON} missing")
    data: dict[str, Any] = json.loads(Path(ABI_JSON).read_text())
    assert data["schema"] == 1
    return data


ABI = _abi()


@pytest.mark.parametrize("name", sorted(ABI["constants"]))
def test_constant(name: str) -> None:
    assert getattr(lib, name) == ABI["constants"][name]


def test_no_unknown_constant() -> None:
    # VMMCTL_SIM_*: the simulator library's (vmmctl.testing), not libvmmctl's.
    ours = {n for n in dir(lib) if n.isupper() and not n.startswith("VMMCTL_SIM_")}
    assert ours == set(ABI["constants"])


def test_python_constants() -> None:
    c = ABI["constants"]
    assert vmmctl.VERSION == (
        c["VMMCTL_VERSION_MAJOR"],
        c["VMMCTL_VERSION_MINOR"],
        c["VMMCTL_VERSION_PATCH"],
    )
    assert vmmctl.NAME_MAX == c["VMMCTL_NAME_MAX"]
    assert vmmctl.OPEN_INHERIT == c["VMMCTL_OPEN_INHERIT"]
    assert vmmctl.CREATE_PERSISTENT == c["VMMCTL_CREATE_PERSISTENT"]


@pytest.mark.parametrize("name", sorted(ABI["structs"]))
def test_struct_layout(name: str) -> None:
    desc = ABI["structs"][name]
    ctype = ffi.typeof(f"struct {name}")
    assert ffi.sizeof(ctype) == desc["size"]
    assert ffi.alignof(ctype) == desc["align"]
    assert [f[0] for f in ctype.fields or []] == [f["name"] for f in desc["fields"]]
    for field in desc["fields"]:
        assert ffi.offsetof(ctype, field["name"]) == field["offset"], field
        ftype = dict(ctype.fields or [])[field["name"]].type
        assert ffi.sizeof(ftype) == field["size"], field
        assert _norm(ftype.cname) == _norm(field["type"]), field


def _norm(ctype: str) -> str:
    """A C type spelled comparably: cffi drops const and expands typedefs."""
    ctype = re.sub(r"\bconst\b", "", ctype)
    ctype = re.sub(r"\bvmmctl_t\b", "struct vmmctl", ctype)
    return re.sub(r"\s+", "", ctype)


def test_functions_are_those_of_the_header() -> None:
    # vmmctl_sim_*: the simulator library (vmmctl.testing), not libvmmctl.
    ours = [
        n
        for n in dir(lib)
        if n.startswith("vmmctl_") and not n.startswith("vmmctl_sim_")
    ]
    assert sorted(ours) == sorted(f["name"] for f in ABI["functions"])


@pytest.mark.parametrize("func", ABI["functions"], ids=lambda f: str(f["name"]))
def test_function_signature(func: dict[str, Any]) -> None:
    ctype = ffi.typeof(ffi.addressof(lib, func["name"]))
    assert ctype.kind == "function"
    assert _norm(ctype.result.cname) == _norm(func["return"])
    assert [_norm(a.cname) for a in ctype.args] == [
        _norm(p["type"]) for p in func["params"]
    ]


def test_raw_ioctl_with_kernel_structs(sim: Sim) -> None:
    """VMMCTL_VM_CREATE/DESTROY through vmmctl_ioctl with cffi's structs."""
    with vmmctl.open(sim.root) as ctl:
        handle = ctl._handle
        assert handle is not None
        create = ffi.new("struct vmmctl_vm_create *")
        create.name = b"raw0"
        create.flags = lib.VMMCTL_CREATE_DESTROY_ON_CLOSE
        assert lib.vmmctl_ioctl(handle, lib.VMMCTL_VM_CREATE, create) == 0
        assert ctl.list() == ["raw0"]
        create.reserved[14] = 1  # the last word of the struct is checked
        assert lib.vmmctl_ioctl(handle, lib.VMMCTL_VM_CREATE, create) == errno.EINVAL
        destroy = ffi.new("struct vmmctl_vm_destroy *")
        destroy.name = b"raw0"
        assert lib.vmmctl_ioctl(handle, lib.VMMCTL_VM_DESTROY, destroy) == 0
        # The kernel's own errno for a missing VM (the library maps it).
        assert lib.vmmctl_ioctl(handle, lib.VMMCTL_VM_DESTROY, destroy) == errno.EINVAL
        assert ctl.list() == []
