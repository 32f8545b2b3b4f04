"""A private vmmctl simulator for tests, and the vmmctl-sim command.

``Simulator`` runs the simulator that ships in this package (the kernel
core of FreeBSD's /dev/vmmctl and the vmmctl-sim host, compiled into
``vmmctl._vmmctl``) under a fresh temporary root that looks like ``/dev``::

    from vmmctl.testing import Simulator

    with Simulator(jails=["web"], uid_limit=8) as sim:
        with sim.open() as ctl:                  # <root>/vmmctl
            ctl.create("guest0")
        jailed = vmmctl.open(sim.jail_root("web"))  # <root>/jails/web/vmmctl

Any process may use the root while the simulator runs (e.g. with
``VMMCTL_ROOT=sim.root`` in its environment).  The pytest plugin of this
package (``vmmctl.pytest_plugin``) gives each test one through the
``vmmctl_simulator`` fixture.

The simulator serves in a thread of this process (a C thread: it never
takes the GIL, and calls into the library release it), so:

- the simulator's uid is the test's own uid, which it treats as privileged
  (persistent VMs may be created), as it would a vmmctl-sim started by the
  same user; requests are credited to the process that connected;
- a child made by ``fork`` has no simulator of its own, but the parent's
  keeps serving it; only the process that started a simulator stops it
  (a forked copy of the object does nothing on exit);
- a crash in the simulator is a crash of the test process, and a test that
  must survive the simulator (or test another uid's daemon) runs the
  ``vmmctl-sim`` command instead.

``sim_main()`` is that command: the C daemon's own ``vmmctl_sim_main()``,
with the same options, exit statuses and signal handling.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Final

from . import Control
from . import open as _open
from ._vmmctl import ffi, lib

if TYPE_CHECKING:
    from ._vmmctl import _CData

__all__ = ["HAVE_FUSE", "Simulator", "sim_main"]

#: True when the simulator's device mode (FUSE) is compiled in: the package
#: was built with ``VMMCTL_SIM_FUSE=1`` (see ffi_build.py).
HAVE_FUSE: Final[bool] = bool(lib.py_vmmctl_have_fuse)

#: Longest unix socket path accepted everywhere (sun_path is 104 bytes on
#: FreeBSD and macOS, 108 on Linux, NUL included).
SOCKET_PATH_MAX: Final = 103
# What mkdtemp() adds to the parent: "/vmmctl-" and 8 random characters.
_ROOT_NAME_LEN: Final = 16


def _endpoints(jails: Sequence[str]) -> list[str]:
    """Return the endpoint paths under a root, relative: vmmctl, jails/J/vmmctl."""
    return ["vmmctl", *(f"jails/{j}/vmmctl" for j in jails)]


def _short_parent(jails: Sequence[str]) -> str:
    """Return a temp directory short enough for every endpoint's socket path."""
    need = _ROOT_NAME_LEN + 1 + max(len(os.fsencode(e)) for e in _endpoints(jails))
    candidates = [tempfile.gettempdir(), "/tmp"]
    for parent in candidates:
        if len(os.fsencode(parent)) + need <= SOCKET_PATH_MAX and os.path.isdir(parent):
            return parent
    raise ValueError(
        f"no temporary directory short enough for the simulator's sockets"
        f" (tried {', '.join(candidates)}; a jail name is too long?)"
    )


def _jail_parts(spec: str) -> list[str]:
    """Return a jail spec's components, as the simulator reads them."""
    return [part for part in spec.split("/") if part]


def _jail_views(jails: Iterable[str]) -> list[str]:
    """Return every jail a list of specs makes: "a/b" makes "a" too."""
    views: list[str] = []
    for spec in jails:
        parts = _jail_parts(spec)
        for i in range(1, len(parts) + 1):
            view = "/".join(parts[:i])
            if view not in views:
                views.append(view)
    return views


class Simulator:
    """A private vmmctl simulator under a fresh temporary root.

    ``jails`` are jail names (``"a/b"`` nests ``b`` in ``a``, and makes
    ``a`` too); each has its own ``/dev`` at ``jail_root(name)``.
    ``uid_limit`` caps the VMs per uid (0: no limit; None: the simulator's
    default).  ``generation`` is the generation of /dev/vmmctl to model
    (FreeBSD.md: 1, 2 or 3; None or 0: the newest).  ``fuse`` serves in
    device mode: the root is a FUSE mount in which ``vmmctl`` is a file
    answering ioctl(2), as ``vmmctl-sim --fuse`` does (needs ``HAVE_FUSE``,
    /dev/fuse and root or fusermount3).  ``dir`` is the parent of the root
    (default: the temporary directory if its path is short enough for unix
    sockets, else ``/tmp``).

    Use it as a context manager, or call ``start()`` and ``stop()``.  On
    exit the simulator stops (every VM is destroyed, every connection
    closed: clients then get ``EPIPE`` or ``ECONNRESET``) and the root is
    removed with everything in it.

    ``start()`` raises ``OSError`` with the simulator's errno and message:
    ``EINVAL`` for a bad jail name or a generation that does not exist,
    ``ENOTSUP`` (an ``EOPNOTSUPP``) for one this build does not model or
    for ``fuse`` without ``HAVE_FUSE``.
    """

    def __init__(
        self,
        *,
        jails: Iterable[str] = (),
        uid_limit: int | None = None,
        generation: int | None = None,
        fuse: bool = False,
        dir: str | os.PathLike[str] | None = None,
    ) -> None:
        """Check and keep the configuration; nothing starts before ``start()``."""
        self.jails: tuple[str, ...] = tuple(jails)
        for jail in self.jails:
            if not isinstance(jail, str):
                raise TypeError(f"jail name must be str, not {type(jail).__name__}")
        if uid_limit is not None and not 0 <= uid_limit <= 0xFFFFFFFF:
            raise ValueError(f"uid_limit must be in 0..2**32-1, not {uid_limit}")
        self.uid_limit = uid_limit
        self.generation = generation
        self.fuse = fuse
        self._dir = None if dir is None else os.fspath(dir)
        self._lock = threading.Lock()
        self._sim: _CData | None = None
        self._root: str | None = None
        self._pid = 0

    @property
    def root(self) -> str:
        """The root directory: ``<root>/vmmctl``, ``<root>/vmm/<name>``."""
        if self._root is None:
            raise RuntimeError("the simulator was not started")
        return self._root

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._sim is not None

    def start(self) -> Simulator:
        """Make the root, start serving in a thread of this process; return self.

        When this returns, every endpoint accepts connections.
        """
        with self._lock:
            if self._root is not None:
                raise RuntimeError("a Simulator starts once")
            parent = self._dir if self._dir is not None else _short_parent(self.jails)
            root = tempfile.mkdtemp(prefix="vmmctl-", dir=parent)
            try:
                self._sim = self._new(root)
            except BaseException:
                shutil.rmtree(root, ignore_errors=True)
                raise
            self._root = root
            self._pid = os.getpid()
        return self

    def _new(self, root: str) -> _CData:
        out = ffi.new("struct vmmctl_sim **")
        error = lib.vmmctl_sim_new(os.fsencode(root), out)
        if error:
            raise OSError(error, os.strerror(error), root)
        sim: _CData = out[0]
        try:
            for jail in self.jails:
                self._check(sim, lib.vmmctl_sim_jail(sim, os.fsencode(jail)))
            if self.uid_limit is not None:
                self._check(sim, lib.vmmctl_sim_set_uid_limit(sim, self.uid_limit))
            if self.generation is not None:
                error = lib.vmmctl_sim_set_generation(sim, self.generation)
                if error:
                    raise OSError(
                        error,
                        f"generation {self.generation}: {os.strerror(error)}",
                    )
            if self.fuse:
                self._check(sim, lib.vmmctl_sim_set_fuse(sim, lib.VMMCTL_SIM_FUSE))
            self._check(sim, lib.vmmctl_sim_start(sim))
        except BaseException:
            lib.vmmctl_sim_free(sim)
            raise
        return sim

    @staticmethod
    def _check(sim: _CData, error: int) -> None:
        if error:
            message = ffi.string(lib.vmmctl_sim_error(sim)).decode("utf-8", "replace")
            raise OSError(error, message or os.strerror(error))

    def stop(self) -> None:
        """Stop serving, destroy every VM and remove the root (idempotent).

        In a process forked from the one that started it, only forgets it:
        the simulator belongs to its parent.
        """
        with self._lock:
            sim, self._sim = self._sim, None
            if sim is None or os.getpid() != self._pid:
                return
            lib.vmmctl_sim_free(sim)
            shutil.rmtree(self.root, ignore_errors=True)

    def open(self, *, inherit: bool = False) -> Control:
        """Open the simulator's control device: ``vmmctl.open(self.root)``."""
        return _open(self.root, inherit=inherit)

    def jail_root(self, name: str) -> str:
        """Return jail ``name``'s own ``/dev``: open it with ``vmmctl.open()``.

        Raises ``KeyError`` for a jail this simulator does not have.
        """
        view = "/".join(_jail_parts(name))
        if view not in _jail_views(self.jails):
            raise KeyError(name)
        return os.path.join(self.root, "jails", view)

    def __enter__(self) -> Simulator:
        """Start the simulator (see ``start()``)."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop it and remove its root, whether the block ended normally or not."""
        self.stop()

    def __del__(self) -> None:
        """Stop a simulator still running, with a ResourceWarning."""
        if getattr(self, "_sim", None) is not None:
            warnings.warn(f"unstopped {self!r}", ResourceWarning, 2, source=self)
            self.stop()

    def __repr__(self) -> str:
        """Return ``<vmmctl.testing.Simulator root=... running>``."""
        state = "running" if self.running else "stopped"
        where = f" root={self._root!r}" if self._root is not None else ""
        return f"<vmmctl.testing.Simulator{where} {state}>"


def sim_main(args: Sequence[str] | None = None) -> int:
    """Run the vmmctl-sim daemon with ``args`` (default: ``sys.argv[1:]``).

    The ``vmmctl-sim`` command installed with this package.  It calls the C
    daemon's own ``vmmctl_sim_main()``, so options, messages, exit statuses
    (0, 1, 64 for a usage error), ``-d`` and ``--pidfile`` are the same:
    it serves until SIGTERM or SIGINT, then stops cleanly and removes what
    it made.  Its signal handlers replace Python's while it runs (they are
    put back afterwards), so call it from the main thread.  Returns the
    exit status.
    """
    argv = ["vmmctl-sim", *(sys.argv[1:] if args is None else args)]
    keep = [ffi.new("char[]", os.fsencode(a)) for a in argv]
    cargv = ffi.new("char *[]", [*keep, ffi.NULL])
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        return int(lib.vmmctl_sim_main(len(argv), cargv))
    finally:
        if threading.current_thread() is threading.main_thread():
            for signum, handler in handlers.items():
                if handler is not None:
                    signal.signal(signum, handler)
