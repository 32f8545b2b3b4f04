"""The Pythonic layer against a private vmmctl-sim per test."""

from __future__ import annotations

import errno
import gc
import json
import os
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Sim

import vmmctl

# --- module level ---------------------------------------------------------


def test_version_constants() -> None:
    assert vmmctl.VERSION == (
        vmmctl.VERSION_MAJOR,
        vmmctl.VERSION_MINOR,
        vmmctl.VERSION_PATCH,
    )
    assert vmmctl.VERSION_MAJOR == 1
    assert vmmctl.NAME_MAX == 229
    assert vmmctl.OPEN_INHERIT == 1
    assert vmmctl.CREATE_PERSISTENT == 1


def test_library_version_matches_header() -> None:
    assert vmmctl.library_version() == vmmctl.VERSION


@pytest.mark.parametrize(
    "name",
    ["a", "vm-0", "x" * 229, b"bytes-name", "é" * 114],
    ids=["one_byte", "dashed", "229_bytes", "bytes", "228_utf8_bytes"],
)
def test_check_name_valid(name: str | bytes) -> None:
    assert vmmctl.check_name(name) is None  # type: ignore[func-returns-value]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", errno.EINVAL),
        (".", errno.EINVAL),
        ("..", errno.EINVAL),
        ("a/b", errno.EINVAL),
        ("/", errno.EINVAL),
        ("a\0b", errno.EINVAL),
        (b"", errno.EINVAL),
        ("x" * 230, errno.ENAMETOOLONG),
        ("é" * 115, errno.ENAMETOOLONG),
    ],
    ids=[
        "empty",
        "dot",
        "dotdot",
        "slash",
        "root",
        "nul",
        "bytes_empty",
        "230_bytes",
        "230_utf8_bytes",
    ],
)
def test_check_name_invalid(name: str | bytes, code: int) -> None:
    with pytest.raises(vmmctl.InvalidNameError) as info:
        vmmctl.check_name(name)
    assert isinstance(info.value, ValueError)
    assert info.value.errno == code
    assert info.value.name == name
    assert info.value.strerror
    assert str(info.value).startswith(f"[Errno {code}] ")


def test_check_name_type() -> None:
    with pytest.raises(TypeError):
        vmmctl.check_name(5)  # type: ignore[arg-type]


def test_strerror() -> None:
    message = vmmctl.strerror(errno.EPERM)
    assert isinstance(message, str)
    assert message
    assert vmmctl.strerror(errno.EEXIST) != message


# --- open -----------------------------------------------------------------


def test_open_missing_root(short_dir: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        vmmctl.open(short_dir / "nothing")
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == str(short_dir / "nothing" / "vmmctl")


def test_open_not_a_device(short_dir: Path) -> None:
    (short_dir / "vmmctl").write_text("")
    with pytest.raises(OSError, match=r"\[Errno") as info:
        vmmctl.open(short_dir)
    assert info.value.errno == errno.ENODEV


def test_open_no_listener(short_dir: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.bind(str(short_dir / "vmmctl"))  # bound, never listening
        with pytest.raises(ConnectionRefusedError) as info:
            vmmctl.open(short_dir)
    assert info.value.errno == errno.ECONNREFUSED


def test_open_nul_in_root() -> None:
    with pytest.raises(ValueError, match="null"):
        vmmctl.open("/tmp\0x")


def test_open_str_bytes_pathlike(sim: Sim) -> None:
    for root in (str(sim.root), os.fsencode(sim.root), sim.root):
        with vmmctl.open(root) as ctl:
            assert ctl.list() == []


def test_open_default_root_from_env(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMMCTL_ROOT", str(sim.root))
    with vmmctl.open() as ctl:
        ctl.create("env0")
        assert sim.vms() == ["env0"]


def test_open_inherit_false(sim: Sim) -> None:
    with vmmctl.open(sim.root) as ctl:
        assert os.get_inheritable(ctl.fileno()) is False


def test_open_inherit_true(sim: Sim) -> None:
    with vmmctl.open(sim.root, inherit=True) as ctl:
        assert os.get_inheritable(ctl.fileno()) is True


# --- create, destroy, list, vm_open ----------------------------------------


def test_create_list_destroy(sim: Sim) -> None:
    with vmmctl.open(sim.root) as ctl:
        ctl.create("vm0")
        ctl.create(b"vm1")
        assert ctl.list() == ["vm0", "vm1"]
        assert sim.vms() == ["vm0", "vm1"]
        ctl.destroy("vm0")
        ctl.destroy(b"vm1")
        assert ctl.list() == []
        assert sim.vms() == []


def test_create_existing(sim: Sim) -> None:
    with vmmctl.open(sim.root) as ctl:
        ctl.create("dup")
        with pytest.raises(FileExistsError) as info:
            ctl.create("dup")
        assert info.value.errno == errno.EEXIST
        assert info.value.filename == "dup"
        assert info.value.strerror == vmmctl.strerror(errno.EEXIST)


def test_create_existing_is_global(sim: Sim) -> None:
    with vmmctl.open(sim.root) as a, vmmctl.open(sim.root) as b:
        a.create("taken", persistent=True)
        with pytest.raises(FileExistsError):
            b.create("taken")
        b.destroy("taken")


def test_destroy_missing(sim: Sim) -> None:
    with vmmctl.open(sim.root) as ctl, pytest.raises(FileNotFoundError) as info:
        ctl.destroy("ghost")
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == "ghost"


def test_destroy_through_another_descriptor(sim: Sim) -> None:
    with vmmctl.open(sim.root) as a, vmmctl.open(sim.root) as b:
        a.create("owned-by-a")
        b.destroy("owned-by-a")
        assert a.list() == []


@pytest.mark.parametrize("method", ["create", "destroy", "vm_open"])
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", errno.EINVAL),
        (".", errno.EINVAL),
        ("..", errno.EINVAL),
        ("a/b", errno.EINVAL),
        ("x" * 230, errno.ENAMETOOLONG),
    ],
    ids=["empty", "dot", "dotdot", "slash", "too_long"],
)
def test_invalid_name_checked_before_request(
    sim: Sim, method: str, name: str, code: int
) -> None:
    ctl = vmmctl.open(sim.root)
    try:
        # With the simulator gone, any request would fail with an OSError:
        # an InvalidNameError proves that none was made.
        sim.stop()
        with pytest.raises(vmmctl.InvalidNameError) as info:
            getattr(ctl, method)(name)
        assert info.value.errno == code
        with pytest.raises(OSError) as gone:
            getattr(ctl, method)("valid")
        assert not isinstance(gone.value, vmmctl.InvalidNameError)
    finally:
        ctl.close()


def test_simulator_gone(sim: Sim) -> None:
    ctl = vmmctl.open(sim.root)
    sim.stop()
    with pytest.raises(OSError) as info:
        ctl.create("late")
    assert info.value.errno in (errno.EPIPE, errno.ECONNRESET, errno.EIO)
    ctl.close()
    assert ctl.closed


def test_list_empty(sim: Sim) -> None:
    with vmmctl.open(sim.root) as ctl:
        assert ctl.list() == []


def test_list_grows_past_first_buffer(sim: Sim) -> None:
    names = [f"guest-with-a-long-name-{i:04d}-{'x' * 100}" for i in range(60)]
    with vmmctl.open(sim.root) as ctl:
        for name in names:
            ctl.create(name)
        assert ctl.list() == sorted(names)


def test_vm_open(sim: Sim) -> None:
    with vmmctl.open(sim.root) as ctl:
        ctl.create("node0")
        fd = ctl.vm_open("node0")
        try:
            assert fd >= 0
            os.fstat(fd)
            assert os.get_inheritable(fd) is False
        finally:
            os.close(fd)


def test_vm_open_missing(sim: Sim) -> None:
    with vmmctl.open(sim.root) as ctl, pytest.raises(FileNotFoundError) as info:
        ctl.vm_open("ghost")
    assert info.value.filename == "ghost"


def test_fileno_is_the_socket(sim: Sim) -> None:
    with vmmctl.open(sim.root) as ctl:
        assert stat.S_ISSOCK(os.fstat(ctl.fileno()).st_mode)


def test_uid_limit(start_sim: Callable[..., Sim]) -> None:
    sim = start_sim(uid_limit=2)
    with vmmctl.open(sim.root) as ctl:
        ctl.create("one")
        ctl.create("two")
        with pytest.raises(OSError) as info:
            ctl.create("three")
        assert info.value.errno == errno.ENOMEM
        assert info.value.filename == "three"
        ctl.destroy("one")
        ctl.create("three")


def test_jail_views(start_sim: Callable[..., Sim]) -> None:
    sim = start_sim(jails=["j1", "j2"])
    with (
        vmmctl.open(sim.root) as host,
        vmmctl.open(sim.simulator.jail_root("j1")) as j1,
        vmmctl.open(sim.simulator.jail_root("j2")) as j2,
    ):
        j1.create("in-j1")
        host.create("on-host")
        assert host.list() == ["in-j1", "on-host"]
        assert j1.list() == ["in-j1"]
        assert j2.list() == []
        with pytest.raises(FileExistsError):
            j2.create("in-j1")  # names stay globally unique
        with pytest.raises(FileNotFoundError):
            j2.destroy("in-j1")  # not visible there


# --- descriptor scoping ----------------------------------------------------


def test_close_destroys_scoped_keeps_persistent(sim: Sim) -> None:
    ctl = vmmctl.open(sim.root)
    ctl.create("scoped")
    ctl.create("kept", persistent=True)
    assert sim.vms() == ["kept", "scoped"]
    ctl.close()
    with vmmctl.open(sim.root) as other:
        assert other.list() == ["kept"]
        other.destroy("kept")


def test_with_block_closes(sim: Sim) -> None:
    with vmmctl.open(sim.root) as ctl:
        ctl.create("scoped")
    assert ctl.closed
    with vmmctl.open(sim.root) as other:
        assert other.list() == []


def test_with_block_exception_closes(sim: Sim) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), vmmctl.open(sim.root) as ctl:
        ctl.create("scoped")
        raise Boom
    assert ctl.closed
    with vmmctl.open(sim.root) as other:
        assert other.list() == []


def test_dup_shares_ownership(sim: Sim) -> None:
    ctl = vmmctl.open(sim.root)
    ctl.create("shared")
    dup = vmmctl.Control.from_fd(os.dup(ctl.fileno()))
    ctl.close()
    with vmmctl.open(sim.root) as other:
        assert other.list() == ["shared"]
        assert dup.list() == ["shared"]
        dup.close()
        assert other.list() == []


def test_from_fd_bad_descriptor() -> None:
    with pytest.raises(OSError) as info:
        vmmctl.Control.from_fd(-1)
    assert info.value.errno == errno.EBADF


def test_from_fd_not_a_control_descriptor_leaves_fd_open() -> None:
    r, w = os.pipe()
    try:
        with pytest.raises(OSError) as info:
            vmmctl.Control.from_fd(r)
        assert info.value.errno == errno.ENODEV
        os.fstat(r)  # still open
    finally:
        os.close(r)
        os.close(w)


CHILD = textwrap.dedent(
    """
    import os, sys, vmmctl
    ctl = vmmctl.Control.from_fd(int(os.environ["VMMCTL_FD"]))
    print(",".join(ctl.list()), flush=True)
    sys.stdin.readline()          # hold the descriptor until told
    ctl.close()
    """
)


def test_descriptor_passed_to_child_keeps_vms(sim: Sim) -> None:
    ctl = vmmctl.open(sim.root)
    ctl.create("shared")
    fd = ctl.fileno()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        pass_fds=[fd],
        env={**os.environ, "VMMCTL_FD": str(fd)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "shared"
        ctl.close()
        with vmmctl.open(sim.root) as other:
            assert other.list() == ["shared"]  # the child still holds it
            child.stdin.write("done\n")
            child.stdin.close()
            assert child.wait(timeout=60) == 0
            assert other.list() == []
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_child_exit_without_close_releases(sim: Sim) -> None:
    ctl = vmmctl.open(sim.root, inherit=True)
    ctl.create("held")
    code = (
        "import os, vmmctl\n"
        "vmmctl.Control.from_fd(int(os.environ['VMMCTL_FD']))\n"
        "os._exit(0)\n"
    )
    fd = ctl.fileno()
    subprocess.run(
        [sys.executable, "-c", code],
        pass_fds=[fd],
        env={**os.environ, "VMMCTL_FD": str(fd)},
        check=True,
    )
    # The child's copy died with it; ours still holds the VM.
    assert ctl.list() == ["held"]
    ctl.close()
    with vmmctl.open(sim.root) as other:
        assert other.list() == []


# --- object life cycle ------------------------------------------------------


def test_close_is_idempotent(sim: Sim) -> None:
    ctl = vmmctl.open(sim.root)
    assert ctl.closed is False
    ctl.close()
    assert ctl.closed is True
    ctl.close()
    assert ctl.closed is True


CLOSED_CALLS: dict[str, Callable[[vmmctl.Control], object]] = {
    "create": lambda c: c.create("x"),
    "destroy": lambda c: c.destroy("x"),
    "list": lambda c: c.list(),
    "vm_open": lambda c: c.vm_open("x"),
    "fileno": lambda c: c.fileno(),
    "enter": lambda c: c.__enter__(),
}


@pytest.mark.parametrize("call", list(CLOSED_CALLS))
def test_closed_raises_value_error(sim: Sim, call: str) -> None:
    ctl = vmmctl.open(sim.root)
    ctl.close()
    with pytest.raises(ValueError, match="closed"):
        CLOSED_CALLS[call](ctl)


def test_repr(sim: Sim) -> None:
    ctl = vmmctl.open(sim.root)
    assert repr(ctl) == f"<vmmctl.Control fd={ctl.fileno()}>"
    ctl.close()
    assert repr(ctl) == "<vmmctl.Control closed>"


def test_unclosed_resource_warning(sim: Sim) -> None:
    ctl = vmmctl.open(sim.root)
    ctl.create("leaked")
    with pytest.warns(ResourceWarning, match="unclosed"):
        del ctl
        gc.collect()
    with vmmctl.open(sim.root) as other:
        assert other.list() == []  # the collector closed it


def test_close_while_other_threads_use_it(sim: Sim) -> None:
    ctl = vmmctl.open(sim.root)
    ctl.create("busy")
    outcomes: list[str] = []
    lock = threading.Lock()
    started = threading.Barrier(5)

    def worker() -> None:
        started.wait()
        while True:
            try:
                assert ctl.list() == ["busy"]
            except ValueError:
                with lock:
                    outcomes.append("closed")
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    started.wait()
    ctl.close()
    for t in threads:
        t.join(timeout=60)
    assert outcomes == ["closed"] * 4
    with vmmctl.open(sim.root) as other:
        assert other.list() == []


# --- privilege (needs root to become an unprivileged uid) -------------------

NOBODY = 65534


def _as_nobody(
    root: Path, script: Callable[[], dict[str, object]]
) -> dict[str, object]:
    """Fork, become uid/gid 65534, run script, return its JSON result."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.write(w, json.dumps(script()).encode())
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "unprivileged child failed"
    result: dict[str, object] = json.loads(data)
    return result


needs_root = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="needs root to switch to an unprivileged uid "
    "(the uid that started the simulator is privileged)",
)


@needs_root
def test_unprivileged_refusals(sim: Sim) -> None:
    os.chmod(sim.root, 0o755)
    # The endpoint is 0660 in the vmm group, as /dev/vmmctl: let uid 65534
    # in, as an administrator adding it to the group would.
    os.chmod(sim.root / "vmmctl", 0o666)
    with vmmctl.open(sim.root) as admin:
        admin.create("roots-vm", persistent=True)

        def script() -> dict[str, object]:
            out: dict[str, object] = {}
            with vmmctl.open(sim.root) as ctl:
                try:
                    ctl.create("nobody-persistent", persistent=True)
                    out["persistent"] = "created"
                except PermissionError as e:
                    out["persistent"] = e.errno
                ctl.create("nobody-scoped")
                out["list"] = ctl.list()
                try:
                    ctl.destroy("roots-vm")
                    out["destroy"] = "destroyed"
                except PermissionError as e:
                    out["destroy"] = e.errno
                try:
                    os.close(ctl.vm_open("roots-vm"))
                    out["vm_open"] = "opened"
                except PermissionError as e:
                    out["vm_open"] = e.errno
            return out

        result = _as_nobody(sim.root, script)
        assert result == {
            "persistent": errno.EPERM,
            "list": ["nobody-scoped", "roots-vm"],
            "destroy": errno.EPERM,
            "vm_open": errno.EACCES,
        }
        assert admin.list() == ["roots-vm"]  # the scoped one went with the child
        admin.destroy("roots-vm")
