"""Fixtures: a private vmmctl-sim per test, under its own short temp root."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SRC = Path(os.environ.get("VMMCTL_SRC") or Path(__file__).resolve().parents[3])
BUILD = Path(os.environ.get("VMMCTL_BUILD") or SRC / "build")
SIM = BUILD / "bin" / "vmmctl-sim"
# sockaddr_un.sun_path is ~108 bytes; leave room for jails/NAME/vmmctl.
MAX_ROOT = 60


class Sim:
    """A running vmmctl-sim and its root directory."""

    def __init__(self, root: Path, args: tuple[str, ...]) -> None:
        self.root = root
        self.socket = root / "vmmctl"
        if not SIM.is_file():
            pytest.fail(f"{SIM} not built (run make)")
        self.proc = subprocess.Popen(
            [str(SIM), "--root", str(root), *args],
            stdin=subprocess.DEVNULL,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"vmmctl-sim exited {self.proc.returncode}")
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
                try:
                    s.connect(str(self.socket))
                    return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail("vmmctl-sim did not listen within 10 s")
            time.sleep(0.02)

    def vms(self, view: str = "") -> list[str]:
        """The VM entries of <root>[/jails/VIEW]/vmm/, sorted."""
        base = self.root / "jails" / view if view else self.root
        try:
            return sorted(os.listdir(base / "vmm"))
        except FileNotFoundError:
            return []

    def stop(self) -> None:
        """SIGTERM the simulator and wait for it (SIGKILL after 10 s)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


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
def start_sim(short_dir: Path) -> Iterator[Callable[..., Sim]]:
    """Start a private simulator with extra arguments; stopped afterwards."""
    started: list[Sim] = []

    def start(*args: str) -> Sim:
        assert not started, "one simulator per test"
        sim = Sim(short_dir, args)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(start_sim: Callable[..., Sim]) -> Sim:
    """A private simulator with default options."""
    return start_sim()
