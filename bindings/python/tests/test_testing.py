"""vmmctl.testing (Simulator, sim_main), the pytest plugin and vmmctl-sim."""

from __future__ import annotations

import errno
import gc
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import vmmctl
from vmmctl.testing import HAVE_FUSE, Simulator, sim_main

# --- Simulator -------------------------------------------------------------


def test_simulator_lifecycle() -> None:
    sim = Simulator()
    with pytest.raises(RuntimeError):
        _ = sim.root
    assert not sim.running
    with sim as started:
        assert started is sim
        assert sim.running
        root = Path(sim.root)
        assert root.is_dir()
        assert (root / "vmmctl").is_socket()
        with sim.open() as ctl:
            ctl.create("scoped")
            ctl.create("kept", persistent=True)
            assert sorted(os.listdir(root / "vmm")) == ["kept", "scoped"]
            assert ctl.list() == ["kept", "scoped"]
    assert not sim.running
    assert not root.exists()
    assert sim.root == str(root)  # still tells where it was
    with pytest.raises(RuntimeError):
        sim.start()  # once only


def test_simulator_stop_closes_connections() -> None:
    with Simulator() as sim:
        ctl = sim.open()
        ctl.create("held")
        sim.stop()
        assert not Path(sim.root).exists()
        for call in (lambda: ctl.create("late"), ctl.list):
            with pytest.raises(OSError) as info:
                call()
            assert info.value.errno in (errno.EPIPE, errno.ECONNRESET, errno.EIO)
        ctl.close()
        sim.stop()  # idempotent


def test_simulator_root_is_short_and_fresh() -> None:
    with Simulator() as a, Simulator() as b:
        assert a.root != b.root
        # Room for the longest endpoint, with a jail: sun_path limit.
        assert len(os.fsencode(a.root)) + len("/jails/x/vmmctl") < 104
        with a.open() as ca, b.open() as cb:
            ca.create("same-name")
            cb.create("same-name")  # two separate simulators


def test_simulator_long_tmpdir_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    long_dir = tempfile.mkdtemp(prefix="x" * 90)
    try:
        monkeypatch.setattr(tempfile, "tempdir", long_dir)
        with Simulator(jails=["j"]) as sim:
            assert Path(sim.root).parent == Path("/tmp")
            with vmmctl.open(sim.jail_root("j")) as ctl:
                assert ctl.list() == []
    finally:
        os.rmdir(long_dir)


def test_simulator_dir(tmp_path: Path) -> None:
    parent = Path(tempfile.mkdtemp(dir="/tmp", prefix="p."))
    try:
        with Simulator(dir=parent) as sim:
            assert Path(sim.root).parent == parent
        assert os.listdir(parent) == []
    finally:
        parent.rmdir()


def test_simulator_jails() -> None:
    with Simulator(jails=("web", "a/b")) as sim:
        root = Path(sim.root)
        assert sim.jail_root("web") == str(root / "jails" / "web")
        assert sim.jail_root("a") == str(root / "jails" / "a")
        assert sim.jail_root("a/b") == str(root / "jails" / "a" / "b")
        assert sim.jail_root("a//b/") == sim.jail_root("a/b")  # as the C reads it
        with pytest.raises(KeyError):
            sim.jail_root("nope")
        with (
            sim.open() as host,
            vmmctl.open(sim.jail_root("web")) as web,
            vmmctl.open(sim.jail_root("a/b")) as ab,
            vmmctl.open(sim.jail_root("a")) as a,
        ):
            web.create("w0")
            ab.create("ab0")
            assert host.list() == ["ab0", "w0"]
            assert web.list() == ["w0"]
            assert a.list() == ["ab0"]  # a sees its child jail's VMs
            assert ab.list() == ["ab0"]
            with pytest.raises(FileNotFoundError):
                web.destroy("ab0")


def test_simulator_bad_jail() -> None:
    for bad in ("vmm", "vmmctl", "a/vmm", "", "/"):
        sim = Simulator(jails=[bad])
        with pytest.raises(OSError) as info:
            sim.start()
        assert info.value.errno == errno.EINVAL
        assert not sim.running
    with pytest.raises(TypeError):
        Simulator(jails=[b"bytes"])  # type: ignore[list-item]


def test_simulator_uid_limit() -> None:
    with Simulator(uid_limit=1) as sim, sim.open() as ctl:
        ctl.create("one")
        with pytest.raises(OSError) as info:
            ctl.create("two")
        assert info.value.errno == errno.ENOMEM
    with pytest.raises(ValueError, match="uid_limit"):
        Simulator(uid_limit=-1)
    with pytest.raises(ValueError, match="uid_limit"):
        Simulator(uid_limit=2**32)


def test_simulator_no_uid_limit() -> None:
    with Simulator(uid_limit=0) as sim, sim.open() as ctl:
        for i in range(100):
            ctl.create(f"vm{i}")
        assert len(ctl.list()) == 100


@pytest.mark.parametrize("generation", [0, 2, 3])
def test_simulator_generation_with_scoped_vms(generation: int) -> None:
    with Simulator(generation=generation) as sim:
        with sim.open() as ctl:
            ctl.create("scoped")
            ctl.create("kept", persistent=True)
            assert ctl.list() == ["kept", "scoped"]
        with sim.open() as ctl:
            assert ctl.list() == ["kept"]


def test_simulator_generation_1_has_no_scoped_vms() -> None:
    """15.0-RELEASE's /dev/vmmctl: every VM persistent, the flag refused."""
    with Simulator(generation=1) as sim, sim.open() as ctl:
        with pytest.raises(OSError) as info:
            ctl.create("scoped")
        # EINVAL as the kernel answers; EOPNOTSUPP once the library says why.
        assert info.value.errno in (errno.EINVAL, errno.EOPNOTSUPP)
        ctl.create("kept", persistent=True)
        assert ctl.list() == ["kept"]


@pytest.mark.parametrize("generation", [-1, 4])
def test_simulator_generation_invalid(generation: int) -> None:
    with pytest.raises(OSError) as info:
        Simulator(generation=generation).start()
    assert info.value.errno == errno.EINVAL


def test_simulator_fuse() -> None:
    """Device mode where built with it, else ENOTSUP saying why."""
    sim = Simulator(fuse=True, jails=["j"])
    if not HAVE_FUSE:
        with pytest.raises(OSError) as info:
            sim.start()
        assert info.value.errno == errno.ENOTSUP
        assert "FUSE" in str(info.value)
        assert not sim.running
        return
    try:
        sim.start()
    except OSError as e:
        if e.errno == errno.ENOTSUP:
            raise
        pytest.skip(f"device mode unavailable here: {e}")
    try:
        root = sim.root
        # Device mode: vmmctl is a file answering ioctl(2), not a socket.
        assert stat.S_ISREG(os.stat(os.path.join(root, "vmmctl")).st_mode)
        with sim.open() as ctl, vmmctl.open(sim.jail_root("j")) as jailed:
            assert stat.S_ISREG(os.fstat(ctl.fileno()).st_mode)
            jailed.create("in-j")
            ctl.create("kept", persistent=True)
            assert ctl.list() == ["in-j", "kept"]
            assert jailed.list() == ["in-j"]
            with pytest.raises(FileExistsError):
                ctl.create("in-j")
        with sim.open() as ctl:
            assert ctl.list() == ["kept"]
    finally:
        sim.stop()
    assert not os.path.exists(root)


def test_simulator_unstopped_warns() -> None:
    sim = Simulator().start()
    root = sim.root
    with pytest.warns(ResourceWarning, match="unstopped"):
        del sim
        gc.collect()
    assert not os.path.exists(root)


def test_simulator_forked_child_does_not_stop_it() -> None:
    with Simulator() as sim, sim.open() as ctl:
        ctl.create("parent0")
        pid = os.fork()
        if pid == 0:  # child: uses the parent's simulator, then drops it
            code = 1
            try:
                with vmmctl.open(sim.root) as c:
                    c.create("child0")
                sim.stop()  # not its own: only forgets it
                code = 0 if os.path.exists(sim.root) else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert ctl.list() == ["parent0"]  # child0 went with the child's fd
        assert sim.running
        ctl.create("after-fork")


def test_simulator_repr() -> None:
    sim = Simulator()
    assert repr(sim) == "<vmmctl.testing.Simulator stopped>"
    with sim:
        assert repr(sim) == f"<vmmctl.testing.Simulator root={sim.root!r} running>"


# --- the pytest plugin ----------------------------------------------------


def test_fixture(vmmctl_simulator: Simulator) -> None:
    assert vmmctl_simulator.running
    assert os.environ["VMMCTL_ROOT"] == vmmctl_simulator.root
    with vmmctl.open() as ctl:  # the default root is the simulator's
        ctl.create("by-default")
        vms = os.listdir(os.path.join(vmmctl_simulator.root, "vmm"))
        assert vms == ["by-default"]
    with vmmctl_simulator.open() as check:
        assert check.list() == []


@pytest.mark.vmmctl_simulator(jails=["j"], uid_limit=1)
def test_fixture_marker(vmmctl_simulator: Simulator) -> None:
    assert vmmctl_simulator.jails == ("j",)
    with vmmctl.open(vmmctl_simulator.jail_root("j")) as ctl:
        ctl.create("one")
        with pytest.raises(OSError) as info:
            ctl.create("two")
        assert info.value.errno == errno.ENOMEM


ROOTS: list[str] = []


@pytest.mark.parametrize("round_", [1, 2])
def test_fixture_is_private(vmmctl_simulator: Simulator, round_: int) -> None:
    """Each test gets a fresh one: no VM of the other round is there."""
    ROOTS.append(vmmctl_simulator.root)
    with vmmctl_simulator.open() as ctl:
        assert ctl.list() == []
        ctl.create("kept", persistent=True)
    assert len(set(ROOTS)) == len(ROOTS)


def test_plugin_registered(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("vmmctl")
    assert plugin is not None
    assert plugin.__name__ == "vmmctl.pytest_plugin"


# --- vmmctl-sim -----------------------------------------------------------


def _command() -> str:
    """The vmmctl-sim script installed beside this interpreter."""
    path = shutil.which("vmmctl-sim", path=os.path.dirname(sys.executable))
    assert path is not None, f"no vmmctl-sim beside {sys.executable}"
    return path


@pytest.fixture
def sim_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(dir="/tmp", prefix="vs."))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _wait_file(path: Path, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait (at most 30 s) for path to appear."""
    deadline = time.monotonic() + 30
    while not path.exists():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"vmmctl-sim exited {proc.returncode}")
        if time.monotonic() > deadline:
            pytest.fail(f"{path} did not appear within 30 s")
        time.sleep(0.02)


def test_command_help() -> None:
    out = subprocess.run([_command(), "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.startswith("usage: vmmctl-sim --root DIR")
    assert "--uid-limit N" in out.stdout


@pytest.mark.parametrize(
    "args",
    [[], ["--bogus"], ["--root", "/tmp/x", "--uid-limit", "-1"], ["--root"]],
    ids=["no_root", "unknown_option", "bad_limit", "missing_value"],
)
def test_command_usage_errors(args: list[str]) -> None:
    out = subprocess.run([_command(), *args], capture_output=True, text=True)
    assert out.returncode == 64  # EX_USAGE
    assert "usage: vmmctl-sim" in out.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_command_serves_until_signal(sim_dir: Path, signum: int) -> None:
    root, pidfile = sim_dir / "root", sim_dir / "pid"
    proc = subprocess.Popen(
        [
            _command(),
            "--root",
            str(root),
            "--jail",
            "j",
            "--uid-limit",
            "2",
            "--pidfile",
            str(pidfile),
        ],
        stdin=subprocess.DEVNULL,
    )
    try:
        _wait_file(pidfile, proc)
        assert int(pidfile.read_text()) == proc.pid
        with vmmctl.open(root) as ctl, vmmctl.open(root / "jails" / "j") as j:
            j.create("in-j")
            ctl.create("kept", persistent=True)
            assert ctl.list() == ["in-j", "kept"]
            assert j.list() == ["in-j"]
            with pytest.raises(OSError) as info:
                j.create("third")
            assert info.value.errno == errno.ENOMEM
            proc.send_signal(signum)
            assert proc.wait(timeout=60) == 0
        assert not root.exists()  # it made the root: it removed it
        assert not pidfile.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_command_fuse(sim_dir: Path) -> None:
    """--fuse: device mode where built with it, else exit 69 saying why."""
    root, pidfile = sim_dir / "root", sim_dir / "pid"
    args = [_command(), "--root", str(root), "--fuse", "--pidfile", str(pidfile)]
    if not HAVE_FUSE:
        out = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert out.returncode == 69  # EX_UNAVAILABLE, as the C daemon
        assert "without FUSE" in out.stderr
        assert not root.exists()
        return
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not pidfile.exists():
            if proc.poll() is not None:
                assert proc.stderr is not None
                why = proc.stderr.read().decode()
                if proc.returncode == 69:
                    pytest.skip(f"device mode unavailable here: {why}")
                pytest.fail(f"vmmctl-sim --fuse exited {proc.returncode}: {why}")
            assert time.monotonic() < deadline, "vmmctl-sim --fuse not ready"
            time.sleep(0.02)
        with vmmctl.open(root) as ctl:
            assert stat.S_ISREG(os.fstat(ctl.fileno()).st_mode)
            ctl.create("dev0")
            assert ctl.list() == ["dev0"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert not root.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_command_daemon(sim_dir: Path) -> None:
    root, pidfile = sim_dir / "root", sim_dir / "pid"
    out = subprocess.run(
        [_command(), "-d", "--root", str(root), "--pidfile", str(pidfile)],
        capture_output=True,
        timeout=60,
    )
    assert out.returncode == 0  # only once listening
    pid = int(pidfile.read_text())
    try:
        with vmmctl.open(root) as ctl:
            ctl.create("daemon0", persistent=True)
            assert ctl.list() == ["daemon0"]
    finally:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while root.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not root.exists()


def test_sim_main_in_process_restores_python_handlers(sim_dir: Path) -> None:
    """sim_main() serves until SIGTERM, then Python's handlers are back."""
    root, pidfile = sim_dir / "root", sim_dir / "pid"
    made: list[str] = []

    def stop_when_ready() -> None:
        try:
            # The pid file is written once every endpoint listens.
            deadline = time.monotonic() + 30
            while not pidfile.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            with vmmctl.open(root) as ctl:
                ctl.create("in-process")
                made.extend(ctl.list())
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # the C handler: a clean stop

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    stopper = threading.Thread(target=stop_when_ready)
    stopper.start()
    try:
        assert sim_main(["--root", str(root), "--pidfile", str(pidfile)]) == 0
    finally:
        stopper.join()
    assert made == ["in-process"]
    assert not root.exists()
    assert not pidfile.exists()
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)  # Python's own handler again
