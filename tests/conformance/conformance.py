#!/usr/bin/env python3
"""Cross-language conformance scenarios and the descriptor-lifetime stress.

One vmmctl-sim per scenario; the C, Rust, Python and Go drivers (see
tests/conformance/PROTOCOL.md) are scripted together against it, one
command at a time, so no two processes ever send requests on one shared
connection at the same instant (the socket transport's documented limit).

Every scenario runs twice: NAME against the sim's unix socket, and
fuse_NAME against its device mode (vmmctl-sim --fuse: the libraries' ioctl
transport on a FUSE file), skipped with the reason where FUSE is unusable.

    conformance.py --list            the scenario names, one a line
    conformance.py --run NAME        run one (exit 0: passed; a line
                                     "SKIP: reason" means skipped)
    conformance.py --stress [--fuse] [--seconds N] [--seed S] [--clients K]

Needs VMMCTL_BUILD (drivers, sim, test venv) and VMMCTL_SRC, as make
exports them.  Standard library only.
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

BUILD = Path(os.environ.get("VMMCTL_BUILD", "build")).resolve()
SRC = Path(os.environ.get("VMMCTL_SRC") or Path(__file__).resolve().parents[2])
TDIR = BUILD / "tests" / "conformance"
LANGS = ("c", "rust", "python", "go")
REPLY_TIMEOUT = 60.0
NOBODY = 65534
FUSE_PREFIX = "fuse_"
EX_UNAVAILABLE = 69  # vmmctl-sim --fuse where device mode cannot run


class Failure(Exception):
    """A broken rule: the scenario fails with this message."""


class Skip(Exception):
    """The scenario cannot run here, for the reason given."""


def driver_argv(lang: str) -> list[str]:
    if lang == "python":
        return [
            str(BUILD / "venv" / "bin" / "python"),
            str(SRC / "tests" / "conformance" / "drivers" / "python" / "driver.py"),
        ]
    return [str(TDIR / f"driver-{lang}")]


_nobody_bin_dir: str | None = None


def nobody_executable(path: str) -> str:
    """A copy of path that uid 65534 can execute.

    The build tree may sit under a directory that only root can traverse
    (a fresh clone under a 0700 temporary directory, /root): the copy lives
    in a 0755 directory under /tmp, removed when this process exits.
    """
    global _nobody_bin_dir
    if _nobody_bin_dir is None:
        _nobody_bin_dir = tempfile.mkdtemp(dir="/tmp", prefix="vmc-exe.")
        os.chmod(_nobody_bin_dir, 0o755)
        atexit.register(shutil.rmtree, _nobody_bin_dir, True)
    copy = os.path.join(_nobody_bin_dir, os.path.basename(path))
    if not os.path.exists(copy):
        shutil.copy2(path, copy)
        os.chmod(copy, 0o755)
    return copy


def python_env() -> dict[str, str]:
    """What a sanitizer build's interpreter needs (LD_PRELOAD, ...).

    bindings/python/Makefile.inc writes it to $(BUILD)/python/env.sh as
    VMMCTL_PY_ENV='K=V K=V' (empty for a normal build).
    """
    try:
        text = (BUILD / "python" / "env.sh").read_text()
    except FileNotFoundError:
        return {}
    for line in text.splitlines():
        if line.startswith("VMMCTL_PY_ENV="):
            value = line.partition("=")[2].strip("'\"")
            return dict(item.split("=", 1) for item in value.split() if "=" in item)
    return {}


def fuse_unusable() -> str | None:
    """Why device mode cannot run here, or None when it can."""
    try:
        os.close(os.open("/dev/fuse", os.O_RDWR))
    except OSError as e:
        return f"device mode needs a usable /dev/fuse: {e.strerror}"
    if os.geteuid() != 0 and shutil.which("fusermount3") is None:
        return "device mode needs root or fusermount3 (package fuse3)"
    return None


def mounted(path: Path) -> bool:
    """A mount (live, or dead after a killed sim) is at path."""
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == str(path) for line in f)


class Sim:
    """A private vmmctl-sim under a short temporary root.

    fuse: device mode, the root a FUSE mount.  Unix sockets the scenarios
    pass descriptors through live in scratch, beside the root.
    """

    def __init__(self, fuse: bool = False) -> None:
        self.fuse = fuse
        if fuse and (why := fuse_unusable()) is not None:
            raise Skip(why)
        self.scratch = Path(tempfile.mkdtemp(prefix="vmcs.", dir="/tmp"))
        self.scratch.chmod(0o755)  # unprivileged drivers bind here too
        self.root = Path(tempfile.mkdtemp(prefix="vmc.", dir="/tmp"))
        self.root.chmod(0o755)  # an unprivileged driver must reach the socket
        # No per-uid limit (the stress makes many VMs as one uid); as root,
        # gid 65534 is the vmm group so the unprivileged drivers may open.
        argv = [
            str(BUILD / "bin" / "vmmctl-sim"),
            "--root",
            str(self.root),
            "--uid-limit",
            "0",
        ]
        if os.geteuid() == 0:
            argv += ["--group", str(NOBODY)]
        try:
            self.proc = subprocess.Popen(
                argv + (["--fuse"] if fuse else []), stdin=subprocess.DEVNULL
            )
        except OSError as e:
            self.remove()
            raise Failure(f"cannot start vmmctl-sim: {e}") from e
        deadline = time.monotonic() + 30
        while not self.ready():
            if self.proc.poll() == EX_UNAVAILABLE and fuse:
                self.remove()
                raise Skip("vmmctl-sim --fuse: device mode unavailable")
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise Failure("vmmctl-sim did not start")
            time.sleep(0.02)
        print(f"transport: {self.transport()}", flush=True)

    def ready(self) -> bool:
        """<root>/vmmctl serves: the mount's file, or a listening socket.

        The socket's file appears at bind(2), before listen(2): only a
        connect tells.
        """
        path = self.root / "vmmctl"
        if self.fuse:
            return path.is_file()
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            try:
                s.connect(str(path))
            except OSError:
                return False
        return True

    def transport(self) -> str:
        if self.fuse:
            return "ioctl (vmmctl-sim --fuse: device mode, FUSE)"
        return "socket (vmmctl-sim's unix socket)"

    def remove(self) -> None:
        """Detaches what a killed sim left mounted, removes the trees."""
        if (
            mounted(self.root)
            and subprocess.call(["umount", "-l", str(self.root)]) != 0
        ):
            subprocess.call(["fusermount3", "-u", "-q", "-z", str(self.root)])
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def entries(self) -> set[str]:
        """The VM set as the simulator publishes it: <root>/vmm."""
        try:
            return set(os.listdir(self.root / "vmm"))
        except FileNotFoundError:
            return set()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        left = self.proc.returncode == 0 and mounted(self.root)
        self.remove()
        if left:
            raise Failure("vmmctl-sim exited 0 but left its root mounted")


class Driver:
    """One driver process; send() a command line, read its answer line."""

    def __init__(
        self, lang: str, as_nobody: bool = False, pass_fds: tuple[int, ...] = ()
    ) -> None:
        self.lang = lang
        argv = driver_argv(lang)
        # The Python interpreter may not be executable by uid 65534 (a
        # pyenv under /root): that driver drops privileges itself, before
        # its first request; the others are started as uid 65534.
        setuid = as_nobody and lang != "python"
        if as_nobody and lang == "python":
            argv += ["--uid", str(NOBODY)]
        if setuid:
            argv[0] = nobody_executable(argv[0])
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        if lang == "python":
            env.update(python_env())
        self.proc: subprocess.Popen[bytes] = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            user=NOBODY if setuid else None,
            group=NOBODY if setuid else None,
            extra_groups=[] if setuid else None,
            pass_fds=pass_fds,
        )
        self.buf = b""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def read(self) -> str:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + REPLY_TIMEOUT
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                raise Failure(f"{self.lang} driver: no answer in {REPLY_TIMEOUT}s")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise Failure(f"{self.lang} driver (pid {self.pid}) died")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode()

    def cmd(self, line: str) -> str:
        self.send(line)
        return self.read()

    def ok(self, line: str) -> str:
        reply = self.cmd(line)
        if reply.split()[:1] != ["ok"]:
            raise Failure(f"{self.lang}: {line!r} answered {reply!r}")
        return reply

    def names(self) -> set[str]:
        return set(self.ok("list").split()[1:])

    def end(self, how: str) -> None:
        """exit, crash (SIGKILL raised by itself) or kill (SIGKILL from us)."""
        if how == "kill":
            self.proc.kill()
        else:
            self.send(how)
        self.proc.wait(REPLY_TIMEOUT)
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.end("kill")


def wait_gone(pid: int) -> None:
    """Wait until pid (not our child) has exited: its files are released."""
    deadline = time.monotonic() + REPLY_TIMEOUT
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return
        if stat.rpartition(")")[2].split()[0] in ("Z", "X"):
            return
        time.sleep(0.005)
    raise Failure(f"process {pid} did not exit")


class Session:
    """A scenario's simulator and drivers, all cleaned up at the end."""

    def __init__(self, fuse: bool = False) -> None:
        self.sim = Sim(fuse)
        self.drivers: list[Driver] = []
        self.pids: list[int] = []

    def driver(
        self,
        lang: str,
        *,
        opened: bool = True,
        as_nobody: bool = False,
        pass_fds: tuple[int, ...] = (),
    ) -> Driver:
        d = Driver(lang, as_nobody, pass_fds)
        self.drivers.append(d)
        if opened:
            d.ok(f"open {self.sim.root}")
        return d

    def observe(self) -> set[str]:
        """The VM set seen through a fresh C descriptor; <root>/vmm must agree.

        The list request makes the simulator process every hang-up already
        pending first, so it reflects every process that has exited.
        """
        d = self.driver("c")
        seen = d.names()
        d.end("exit")
        self.drivers.remove(d)
        published = self.sim.entries()
        if seen != published:
            raise Failure(
                f"list says {sorted(seen)}, <root>/vmm has {sorted(published)}"
            )
        return seen

    def expect(self, want: set[str], why: str) -> None:
        seen = self.observe()
        if seen != want:
            raise Failure(f"{why}: want VMs {sorted(want)}, the sim has {sorted(seen)}")
        print(f"check: {why}: {sorted(seen)}")

    def close(self) -> None:
        for d in self.drivers:
            d.stop()
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.sim.stop()


def pass_fd(s: Session, src: Driver, dst: Driver, tag: str) -> None:
    """src hands its control descriptor to dst over SCM_RIGHTS."""
    path = s.sim.scratch / f"pass.{tag}"
    if dst.cmd(f"recv-fd {path}") != "ready":
        raise Failure(f"{dst.lang}: recv-fd did not get ready")
    src.ok(f"send-fd {path}")
    reply = dst.read()
    if reply != "ok":
        raise Failure(f"{dst.lang}: recv-fd answered {reply!r}")


# --- Scenarios -----------------------------------------------------------


def sc_persistent_python_go_rust(s: Session) -> None:
    """A persistent VM made from Python is listed by Go, destroyed by Rust."""
    py = s.driver("python")
    py.ok("create keep0 persistent")
    py.ok("create scoped0")
    py.end("exit")
    s.expect({"keep0"}, "after the Python process exits")
    go = s.driver("go")
    if go.names() != {"keep0"}:
        raise Failure("Go does not list keep0")
    rust = s.driver("rust")
    rust.ok("destroy keep0")
    if go.names():
        raise Failure("Go still lists a VM after Rust destroyed it")
    reply = rust.cmd("destroy keep0")
    if reply != "err ENOENT":
        raise Failure(f"second destroy answered {reply!r}")
    s.expect(set(), "after Rust destroyed keep0")


def make_pass(src_lang: str, dst_lang: str) -> Callable[[Session], None]:
    def scenario(s: Session) -> None:
        src = s.driver(src_lang)
        src.ok("create held0")
        src.ok("create held1")
        dst = s.driver(dst_lang, opened=False)
        pass_fd(s, src, dst, "1")
        src.end("exit")
        s.expect(
            {"held0", "held1"}, f"{src_lang} exited, {dst_lang} holds the descriptor"
        )
        if dst.names() != {"held0", "held1"}:
            raise Failure(f"{dst_lang} does not list what it holds")
        dst.ok("create held2")  # the received descriptor owns new VMs too
        s.expect({"held0", "held1", "held2"}, f"{dst_lang} created through it")
        dst.ok("close")
        s.expect(set(), f"{dst_lang} closed the last reference")

    scenario.__doc__ = f"{src_lang} passes its descriptor to {dst_lang}, exits; VMs live until {dst_lang} closes"
    return scenario


def sc_fork_c(s: Session) -> None:
    """A C program forks, the parent closes; the VMs live until the child exits."""
    c = s.driver("c")
    c.ok("create fork0")
    c.ok("create fork1")
    pid = int(c.ok("fork-hold").split()[1])
    s.pids.append(pid)
    c.ok("close")
    s.expect({"fork0", "fork1"}, "parent closed, child holds")
    c.end("exit")
    s.expect({"fork0", "fork1"}, "parent exited, child holds")
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    s.expect(set(), "child killed")


def sc_inherit_every_language(s: Session) -> None:
    """An inherited descriptor adopted by Rust, Python and Go: VMs last until all go."""
    c = s.driver("c")
    c.ok("create inherited0")
    path = s.sim.scratch / "to-controller"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        c.ok(f"send-fd {path}")
        _, fds, _, _ = socket.recv_fds(sock, 1, 1)
    if len(fds) != 1:
        raise Failure("the C driver's descriptor did not arrive")
    fd = fds[0]
    c.end("exit")
    heirs = []
    try:
        for lang in ("rust", "python", "go"):
            d = s.driver(lang, opened=False, pass_fds=(fd,))
            d.ok(f"adopt {fd}")
            d.ok(f"create {lang}0")
            heirs.append(d)
    finally:
        os.close(fd)  # from here on only the three heirs hold it
    everything = {"inherited0", "rust0", "python0", "go0"}
    s.expect(everything, "three heirs hold the descriptor")
    heirs[0].end("kill")
    heirs[1].end("exit")
    s.expect(everything, "one heir left")
    if heirs[2].names() != everything:
        raise Failure("the last heir does not list the VMs")
    heirs[2].end("crash")
    s.expect(set(), "the last heir crashed")
    for lang in LANGS:
        reply = s.driver(lang, opened=False).cmd("adopt 99")
        if reply != "err EBADF":
            raise Failure(f"{lang}: adopting a closed descriptor answered {reply!r}")


def make_sigkill(lang: str) -> Callable[[Session], None]:
    def scenario(s: Session) -> None:
        d = s.driver(lang)
        d.ok("create doomed0")
        d.ok("create doomed1")
        d.ok("create kept0 persistent")
        d.ok("dup")  # a second reference in the same process dies with it
        s.expect({"doomed0", "doomed1", "kept0"}, f"{lang} holds its VMs")
        d.end("kill")
        s.expect({"kept0"}, f"{lang} killed with SIGKILL")
        d2 = s.driver(lang)
        d2.ok("create doomed2")
        d2.end("crash")
        s.expect({"kept0"}, f"{lang} raised SIGKILL on itself")

    scenario.__doc__ = (
        f"a {lang} process killed with SIGKILL leaves no scoped VM behind"
    )
    return scenario


def errno_case(
    expected: str,
    setup: Callable[[Session], None],
    request: str,
    *,
    unprivileged: bool = False,
) -> Callable[[Session], None]:
    def scenario(s: Session) -> None:
        if unprivileged and os.geteuid() != 0:
            raise Skip(
                "needs root to run the drivers as uid 65534 (the sim's own uid is privileged)"
            )
        setup(s)
        answers = {}
        for lang in LANGS:
            d = s.driver(lang, as_nobody=unprivileged)
            answers[lang] = d.cmd(request)
            d.end("exit")
        print(f"{request[:60]}: {answers}")
        if len(set(answers.values())) != 1:
            raise Failure(f"the languages disagree: {answers}")
        if answers["c"] != f"err {expected}":
            raise Failure(
                f"want err {expected} (vmmctl(3)), all answered {answers['c']!r}"
            )

    scenario.__doc__ = f"every language answers {expected} to {request[:40]}"
    return scenario


def setup_existing(s: Session) -> None:
    s.driver("c").ok("create taken0 persistent")


def setup_nothing(s: Session) -> None:
    pass


SCENARIOS: dict[str, Callable[[Session], None]] = {
    "persistent_python_go_rust": sc_persistent_python_go_rust,
    "pass_go_to_python": make_pass("go", "python"),
    "pass_python_to_rust": make_pass("python", "rust"),
    "pass_rust_to_go": make_pass("rust", "go"),
    "pass_c_to_go": make_pass("c", "go"),
    "fork_c_child_holds": sc_fork_c,
    "inherit_every_language": sc_inherit_every_language,
    **{f"sigkill_{lang}": make_sigkill(lang) for lang in LANGS},
    "errno_existing_name": errno_case("EEXIST", setup_existing, "create taken0"),
    "errno_missing_vm": errno_case("ENOENT", setup_nothing, "destroy absent0"),
    "errno_invalid_name": errno_case("EINVAL", setup_nothing, "create a/b"),
    "errno_name_230_bytes": errno_case(
        "ENAMETOOLONG", setup_nothing, "create " + "n" * 230
    ),
    "errno_unprivileged_persistent": errno_case(
        "EPERM", setup_nothing, "create mine0 persistent", unprivileged=True
    ),
}


def run_scenario(name: str) -> int:
    fuse = name.startswith(FUSE_PREFIX)
    scenario = SCENARIOS[name.removeprefix(FUSE_PREFIX)]
    print(f"scenario {name}: {scenario.__doc__}")
    try:
        s = Session(fuse)
    except Skip as why:
        print(f"SKIP: {why}")
        return 0
    try:
        scenario(s)
    except Skip as why:
        print(f"SKIP: {why}")
    finally:
        s.close()
    return 0


# --- Stress --------------------------------------------------------------


@dataclass
class Ofd:
    """The model of one open file description of the control device."""

    refs: int = 0
    vms: set[str] = field(default_factory=set)


@dataclass
class Client:
    drv: Driver
    ctl: int | None = None  # the Ofd its active handle refers to
    held: list[int] = field(default_factory=list)  # dup'ed references


class Stress:
    """A seeded random controller that keeps a model of the rules."""

    NAMES: ClassVar[list[str]] = [f"v{i}" for i in range(24)]

    def __init__(self, seed: int, clients: int, fuse: bool = False) -> None:
        self.rng = random.Random(seed)
        self.s = Session(fuse)
        self.ofds: dict[int, Ofd] = {}
        self.next_ofd = 0
        self.persistent: set[str] = set()
        self.children: list[tuple[int, list[int]]] = []  # forked C holders
        self.counts: Counter[str] = Counter()
        self.log: list[str] = []
        self.clients = [self.spawn() for _ in range(clients)]

    def spawn(self) -> Client:
        lang = self.rng.choice(LANGS)
        self.counts[f"spawn-{lang}"] += 1
        return Client(self.s.driver(lang, opened=False))

    def ref(self, ofd: int) -> None:
        self.ofds[ofd].refs += 1

    def unref(self, ofd: int) -> None:
        o = self.ofds[ofd]
        o.refs -= 1
        if o.refs == 0:
            del self.ofds[ofd]  # its scoped VMs are destroyed with it

    def existing(self) -> set[str]:
        vms = set(self.persistent)
        for o in self.ofds.values():
            vms |= o.vms
        return vms

    def answer(self, c: Client, line: str, want: str) -> None:
        got = c.drv.cmd(line)
        self.log.append(f"{c.drv.lang}[{c.drv.pid}] {line} -> {got}")
        if got != want:
            raise Failure(
                f"{c.drv.lang}: {line!r} answered {got!r}, the model says {want!r}"
            )

    def check(self, why: str) -> None:
        want = self.existing()
        seen = self.s.observe()
        self.counts["checks"] += 1
        if seen != want:
            raise Failure(
                f"check ({why}): model {sorted(want)}, sim {sorted(seen)}; "
                f"missing {sorted(want - seen)}, extra {sorted(seen - want)}"
            )

    def end_client(self, i: int, how: str) -> None:
        c = self.clients[i]
        c.drv.end(how)
        self.log.append(f"{c.drv.lang}[{c.drv.pid}] {how}")
        for ofd in ([c.ctl] if c.ctl is not None else []) + c.held:
            self.unref(ofd)
        self.s.drivers.remove(c.drv)
        self.clients[i] = self.spawn()

    def step(self) -> None:
        rng = self.rng
        i = rng.randrange(len(self.clients))
        c = self.clients[i]
        if c.ctl is None:
            choices = ["open"] * 4 + ["recv"] * 2 + ["end"]
            if c.held:
                choices.append("release")
        else:
            choices = ["create"] * 6 + ["destroy"] * 4 + ["close", "dup", "end"]
            if c.held:
                choices.append("release")
            if c.drv.lang == "c" and len(self.children) < 4:
                choices.append("fork")
        if self.children:
            choices.append("killchild")
        op = rng.choice(choices)
        self.counts[op] += 1
        root = self.s.sim.root
        if op == "open":
            self.answer(c, f"open {root}", "ok")
            self.ofds[self.next_ofd] = Ofd(refs=1)
            c.ctl = self.next_ofd
            self.next_ofd += 1
        elif op == "create":
            assert c.ctl is not None
            name = rng.choice(self.NAMES)
            persistent = rng.random() < 0.2
            want = "err EEXIST" if name in self.existing() else "ok"
            self.answer(
                c, f"create {name}" + (" persistent" if persistent else ""), want
            )
            if want == "ok":
                (self.persistent if persistent else self.ofds[c.ctl].vms).add(name)
        elif op == "destroy":
            live = sorted(self.existing())
            name = (
                rng.choice(live)
                if live and rng.random() < 0.7
                else rng.choice(self.NAMES)
            )
            want = "ok" if name in live else "err ENOENT"
            self.answer(c, f"destroy {name}", want)
            self.persistent.discard(name)
            for o in self.ofds.values():
                o.vms.discard(name)
        elif op == "close":
            assert c.ctl is not None
            self.answer(c, "close", "ok")
            self.unref(c.ctl)
            c.ctl = None
        elif op == "dup":
            assert c.ctl is not None
            self.answer(c, "dup", "ok")
            c.held.append(c.ctl)
            self.ref(c.ctl)
        elif op == "release":
            self.answer(c, "release", "ok")
            for ofd in c.held:
                self.unref(ofd)
            c.held.clear()
        elif op == "fork":
            assert c.ctl is not None
            reply = c.drv.ok("fork-hold")
            pid = int(reply.split()[1])
            self.s.pids.append(pid)
            refs = [c.ctl, *c.held]  # the child inherits every descriptor
            for ofd in refs:
                self.ref(ofd)
            self.children.append((pid, refs))
            self.log.append(f"c[{c.drv.pid}] fork-hold -> {pid}")
        elif op == "killchild":
            pid, refs = self.children.pop(rng.randrange(len(self.children)))
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid)
            self.log.append(f"child {pid} killed")
            for ofd in refs:
                self.unref(ofd)
        elif op == "recv":
            senders = [x for x in self.clients if x.ctl is not None and x is not c]
            if not senders:
                self.counts[op] -= 1
                return
            src = rng.choice(senders)
            assert src.ctl is not None
            pass_fd(self.s, src.drv, c.drv, str(self.counts[op]))
            self.log.append(f"{src.drv.lang} passed to {c.drv.lang}")
            c.ctl = src.ctl
            self.ref(src.ctl)
        elif op == "end":
            how = rng.choice(["kill", "kill", "crash", "exit"])
            self.counts[f"end-{how}"] += 1
            self.end_client(i, how)

    def run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        steps = 0
        while time.monotonic() < deadline:
            self.step()
            steps += 1
            if steps % 25 == 0:
                self.check(f"after step {steps}")
        self.counts["steps"] = steps
        self.check("end of the run")
        # Every holder goes; only the persistent VMs may stay.
        for i in range(len(self.clients)):
            self.end_client(i, "kill")
        for pid, refs in self.children:
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid)
            for ofd in refs:
                self.unref(ofd)
        self.children.clear()
        if self.ofds:
            raise Failure(f"model bug: descriptions left {self.ofds}")
        self.check("every holder gone")
        self.counts["persistent-left"] = len(self.persistent)


def run_stress(seconds: float, seed: int, clients: int, fuse: bool = False) -> int:
    print(f"stress: seed {seed}, {clients} clients, {seconds:g}s", flush=True)
    try:
        st = Stress(seed, clients, fuse)
    except Skip as why:
        print(f"SKIP: {why}")
        return 0
    try:
        st.run(seconds)
    except Failure:
        print("stress: FAILED; last operations:")
        for line in st.log[-30:]:
            print("  " + line)
        print(f"stress: seed {seed}; counts {dict(sorted(st.counts.items()))}")
        raise
    finally:
        st.s.close()
    print(f"stress: seed {seed}; counts:")
    for key, value in sorted(st.counts.items()):
        print(f"  {key:16} {value}")
    print(f"stress: {st.counts['checks']} model checks passed")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--run", metavar="NAME")
    ap.add_argument("--stress", action="store_true")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--fuse", action="store_true", help="stress in device mode")
    args = ap.parse_args()
    names = [*SCENARIOS, "stress_short"]
    if args.list:
        print("\n".join(names + [FUSE_PREFIX + n for n in names]))
        return 0
    run = args.run or ""
    fuse = args.fuse or run.startswith(FUSE_PREFIX)
    try:
        if args.stress or run.removeprefix(FUSE_PREFIX) == "stress_short":
            seed = (
                args.seed
                if args.seed is not None
                else random.SystemRandom().randrange(2**32)
            )
            return run_stress(args.seconds, seed, args.clients, fuse)
        if run.removeprefix(FUSE_PREFIX) in SCENARIOS:
            return run_scenario(run)
    except Failure as failure:
        print(f"FAIL: {failure}")
        return 1
    ap.error("give --list, --run NAME or --stress")
    return 2


if __name__ == "__main__":
    sys.exit(main())
