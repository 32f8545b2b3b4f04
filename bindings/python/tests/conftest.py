"""Fixtures: a private simulator per test (vmmctl.testing.Simulator).

The suite runs from the repository and from an unpacked sdist alike: it
needs only the installed package.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vmmctl.testing import Simulator

# sockaddr_un.sun_path is ~108 bytes; leave room for jails/NAME/vmmctl.
MAX_ROOT = 60


class Sim:
    """The tests' view of a running ``vmmctl.testing.Simulator``."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.root = Path(simulator.root)
        self.socket = self.root / "vmmctl"

    def vms(self, view: str = "") -> list[str]:
        """The VM entries of <root>[/jails/VIEW]/vmm/, sorted."""
        base = Path(self.simulator.jail_root(view)) if view else self.root
        try:
            return sorted(os.listdir(base / "vmm"))
        except FileNotFoundError:
            return []

    def stop(self) -> None:
        """Stop the simulator: every connection is closed, the root removed."""
        self.simulator.stop()


def _public_tmp() -> str:
    """A temp directory that uid 65534 can traverse (the privilege tests)."""
    tmp = Path(tempfile.gettempdir())
    if len(str(tmp)) <= 40 and all(
        os.stat(p).st_mode & 0o001 for p in (tmp, *tmp.parents)
    ):
        return str(tmp)
    return "/tmp"


@pytest.fixture
def short_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh empty directory whose path is short enough for a socket.

    pytest's tmp_path is used when it is short and every parent lets other
    users through (the privilege tests connect as uid 65534); else (the
    usual case: /tmp/pytest-of-USER is 0700) a directory under /tmp.
    """
    if len(str(tmp_path)) + 2 <= MAX_ROOT and all(
        os.stat(p).st_mode & 0o001 for p in tmp_path.parents
    ):
        path = tmp_path / "r"
        path.mkdir()
        yield path
        return
    path = Path(tempfile.mkdtemp(dir="/tmp", prefix="vmc."))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_sim() -> Iterator[Callable[..., Sim]]:
    """Start a private simulator with Simulator's options; stopped afterwards."""
    started: list[Sim] = []

    def start(**options: Any) -> Sim:
        assert not started, "one simulator per test"
        options.setdefault("dir", _public_tmp())
        # No per-uid limit unless a test asks: FreeBSD's default (4 x CPUs,
        # the simulator's) is too few for the tests that make many VMs.
        options.setdefault("uid_limit", 0)
        sim = Sim(Simulator(**options).start())
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(start_sim: Callable[..., Sim]) -> Sim:
    """A private simulator with default options."""
    return start_sim()
