"""Descriptor-scoped bhyve VMs through /dev/vmmctl (bindings of libvmmctl).

A VM created through a control descriptor is destroyed by the kernel when
the last reference to that descriptor goes away (``close``, process exit,
crash), unless it was created with ``persistent=True``.  ``os.dup``,
``fork`` and passing the descriptor to another process share that
ownership, as they share any open file.

>>> import vmmctl
>>> with vmmctl.open() as ctl:          # $VMMCTL_ROOT, else /dev
...     ctl.create("guest0")            # descriptor-scoped
...     ctl.list()
['guest0']

The same calls work against FreeBSD's /dev/vmmctl and against vmmctl-sim.
Errors are ``OSError`` with the errno of the C library, so the built-in
subclasses come out (``FileExistsError``, ``FileNotFoundError``,
``PermissionError``, ...); an invalid VM name raises ``InvalidNameError``
(a ``ValueError``) before any request is made.
"""

from __future__ import annotations

import builtins
import errno as _errno
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import TYPE_CHECKING, Final, TypeAlias

from ._vmmctl import ffi, lib

if TYPE_CHECKING:
    from ._vmmctl import _CData

__all__ = [
    "CREATE_PERSISTENT",
    "NAME_MAX",
    "OPEN_INHERIT",
    "VERSION",
    "VERSION_MAJOR",
    "VERSION_MINOR",
    "VERSION_PATCH",
    "Control",
    "InvalidNameError",
    "check_name",
    "library_version",
    "open",
    "strerror",
]

__version__: Final = "1.0.0"

#: Major version of the C header these bindings were built from.
VERSION_MAJOR: Final[int] = lib.VMMCTL_VERSION_MAJOR
#: Minor version of the C header these bindings were built from.
VERSION_MINOR: Final[int] = lib.VMMCTL_VERSION_MINOR
#: Patch level of the C header these bindings were built from.
VERSION_PATCH: Final[int] = lib.VMMCTL_VERSION_PATCH
#: ``(VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH)``; compare with
#: ``library_version()``.
VERSION: Final[tuple[int, int, int]] = (VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH)
#: Longest VM name in bytes (UTF-8 / file system encoding), excluding the NUL.
NAME_MAX: Final[int] = lib.VMMCTL_NAME_MAX
#: The C flag behind ``open(inherit=True)``.
OPEN_INHERIT: Final[int] = lib.VMMCTL_OPEN_INHERIT
#: The C flag behind ``Control.create(name, persistent=True)``.
CREATE_PERSISTENT: Final[int] = lib.VMMCTL_CREATE_PERSISTENT

#: What a VM name or a root directory may be given as.
Name: TypeAlias = str | bytes
Path: TypeAlias = "str | bytes | os.PathLike[str] | os.PathLike[bytes]"


class InvalidNameError(ValueError):
    """A VM name that the library refuses before making any request.

    ``errno`` is ``EINVAL`` (empty, ``.``, ``..``, contains ``/`` or a NUL)
    or ``ENAMETOOLONG`` (longer than ``NAME_MAX`` bytes); ``strerror`` is the
    library's message and ``name`` the name given.
    """

    errno: int
    strerror: str
    name: Name

    def __init__(self, errno: int, strerror: str, name: Name) -> None:
        super().__init__(errno, strerror, name)
        self.errno = errno
        self.strerror = strerror
        self.name = name

    def __str__(self) -> str:
        """Return ``[Errno N] message: 'name'``, as OSError does."""
        return f"[Errno {self.errno}] {self.strerror}: {self.name!r}"


def strerror(error: int) -> str:
    """Return the library's message for an errno value it returned.

    The message is in the library's context, e.g. ``EPERM`` reads
    "unprivileged users can only create descriptor-scoped VMs".
    """
    return ffi.string(lib.vmmctl_strerror(error)).decode("utf-8", "replace")


def _oserror(error: int, filename: object = None) -> OSError:
    if filename is None:
        return OSError(error, strerror(error))
    return OSError(error, strerror(error), filename)


def _name_arg(name: Name) -> bytes:
    """Return a VM name encoded for the C library, checked as it would be.

    The one place that turns a name into bytes: ``str`` with the file system
    encoding, ``bytes`` as given.  Raises ``TypeError`` or
    ``InvalidNameError`` before any request is made.
    """
    if isinstance(name, str):
        data = os.fsencode(name)
    elif isinstance(name, bytes):
        data = name
    else:
        raise TypeError(f"VM name must be str or bytes, not {type(name).__name__}")
    if b"\0" in data:
        raise InvalidNameError(_errno.EINVAL, "embedded NUL in VM name", name)
    error = lib.vmmctl_check_name(data)
    if error:
        raise InvalidNameError(error, strerror(error), name)
    return data


def check_name(name: Name) -> None:
    """Check a VM name without asking the kernel; return None if it is valid.

    A valid name is 1 to ``NAME_MAX`` bytes, not ``.`` or ``..``, without
    ``/``, ``"`` or white space (or NUL).  Raises ``InvalidNameError``
    (errno ``EINVAL`` or ``ENAMETOOLONG``) otherwise, and ``TypeError`` for
    a non-string.
    """
    _name_arg(name)


def library_version() -> tuple[int, int, int]:
    """Return the version of the C library in use: ``(major, minor, patch)``.

    Compare with ``VERSION``, the version of the header the bindings were
    built from.
    """
    v = lib.vmmctl_version()
    return (v >> 16, (v >> 8) & 0xFF, v & 0xFF)


class Control:
    """One control descriptor of /dev/vmmctl (or of a vmmctl-sim).

    Get one with ``vmmctl.open()`` or ``Control.from_fd()``.  The VMs it
    creates without ``persistent=True`` are destroyed when the last
    reference to the descriptor goes: ``close()``, the end of a ``with``
    block, process exit.  A ``Control`` garbage-collected while open closes
    its descriptor and emits a ``ResourceWarning``, as files do.

    Methods may be called from several threads at once; ``close()`` waits
    for the calls in progress, and any call after it raises ``ValueError``.
    """

    _handle: _CData | None = None

    def __init__(self, handle: _CData, /) -> None:
        """Wrap a ``vmmctl_t *`` (private: use ``open()`` or ``from_fd()``)."""
        self._cond = threading.Condition(threading.Lock())
        self._busy = 0
        self._handle = handle

    @classmethod
    def from_fd(cls, fd: int) -> Control:
        """Adopt an open control descriptor, e.g. one inherited or received.

        On success the new ``Control`` owns ``fd`` and closes it; on failure
        ``fd`` is left open and an ``OSError`` is raised (``EBADF``: not
        open; ``ENODEV``: not a control descriptor).
        """
        out = ffi.new("vmmctl_t **")
        error = lib.vmmctl_from_fd(fd, out)
        if error:
            raise _oserror(error)
        return cls(out[0])

    @contextmanager
    def _use(self) -> Iterator[_CData]:
        with self._cond:
            handle = self._handle
            if handle is None:
                raise ValueError("I/O operation on closed vmmctl.Control")
            self._busy += 1
        try:
            yield handle
        finally:
            with self._cond:
                self._busy -= 1
                if self._busy == 0:
                    self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._handle is None

    def close(self) -> None:
        """Close the descriptor (idempotent).

        The VMs it owns are destroyed if this was the last reference to the
        descriptor; persistent VMs stay.  Waits for calls in progress in
        other threads.  Raises ``OSError`` (``EIO``) if close(2) reported an
        error; the descriptor is closed anyway.
        """
        with self._cond:
            handle = self._handle
            if handle is None:
                return
            self._handle = None
            while self._busy:
                self._cond.wait()
        error = lib.vmmctl_close(handle)
        if error:
            raise _oserror(error)

    def __del__(self) -> None:
        """Close an unclosed descriptor, with a ResourceWarning."""
        if self._handle is not None:
            warnings.warn(f"unclosed {self!r}", ResourceWarning, 2, source=self)
            with suppress(OSError):
                self.close()

    def __enter__(self) -> Control:
        """Return self; the ``with`` block closes it on exit."""
        if self._handle is None:
            raise ValueError("I/O operation on closed vmmctl.Control")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the descriptor, whether the block ended normally or not."""
        self.close()

    def __repr__(self) -> str:
        """Return ``<vmmctl.Control fd=N>`` or ``<vmmctl.Control closed>``."""
        handle = self._handle
        if handle is None:
            return "<vmmctl.Control closed>"
        return f"<vmmctl.Control fd={lib.vmmctl_fd(handle)}>"

    def fileno(self) -> int:
        """Return the descriptor, still owned by this ``Control``.

        For ``poll``, or to ``os.dup`` and pass on (e.g. ``pass_fds``).
        """
        with self._use() as handle:
            return int(lib.vmmctl_fd(handle))

    def create(self, name: Name, *, persistent: bool = False) -> None:
        """Create the VM ``name``.

        Without ``persistent`` the VM is descriptor-scoped: destroyed with
        the last reference to this descriptor.  ``persistent=True`` makes it
        outlive the descriptor; that needs privilege.

        Raises ``InvalidNameError`` (before any request), ``FileExistsError``
        (the name is taken, by anyone), ``PermissionError`` (persistent
        without privilege), ``OSError`` with ``ENOMEM`` (per-user VM limit)
        or another errno (``EPIPE``... : the simulator went away).
        """
        data = _name_arg(name)
        flags = lib.VMMCTL_CREATE_PERSISTENT if persistent else 0
        with self._use() as handle:
            error = lib.vmmctl_create(handle, data, flags)
        if error:
            raise _oserror(error, name)

    def destroy(self, name: Name) -> None:
        """Destroy the VM ``name``, whichever descriptor owns it.

        Raises ``InvalidNameError`` (before any request),
        ``FileNotFoundError`` (no such VM visible, or already being
        destroyed), ``PermissionError`` (another user's VM, without
        privilege), or ``OSError``.
        """
        data = _name_arg(name)
        with self._use() as handle:
            error = lib.vmmctl_destroy(handle, data)
        if error:
            raise _oserror(error, name)

    def list(self) -> builtins.list[str]:
        """Return the names of the VMs visible through this descriptor, sorted.

        Names are decoded with the file system encoding (``os.fsdecode``).
        """
        size = 512
        length = ffi.new("size_t *")
        with self._use() as handle:
            while True:
                buf = ffi.new("char[]", size)
                error = lib.vmmctl_list(handle, buf, size, length)
                if error == 0:
                    data = ffi.buffer(buf, length[0])[:]
                    break
                if error != _errno.ERANGE:
                    raise _oserror(error)
                # The set may grow between the two calls: loop.
                size = max(int(length[0]), size * 2)
        return sorted(os.fsdecode(n) for n in data.split(b"\0") if n)

    def vm_open(self, name: Name) -> int:
        """Open the VM's device node ``<root>/vmm/<name>`` read-write.

        Returns a new descriptor (close-on-exec), owned by the caller: close
        it with ``os.close`` or wrap it with ``os.fdopen``/``open(fd)``.
        Raises ``InvalidNameError``, ``FileNotFoundError`` (no such VM
        visible), ``PermissionError`` (another user's VM) or ``OSError``.
        """
        data = _name_arg(name)
        fd = ffi.new("int *")
        with self._use() as handle:
            error = lib.vmmctl_vm_open(handle, data, fd)
        if error:
            raise _oserror(error, name)
        return int(fd[0])


def open(root: Path | None = None, *, inherit: bool = False) -> Control:
    """Open the control device ``<root>/vmmctl`` and return a ``Control``.

    ``root`` is the directory that holds ``vmmctl``: None means
    ``$VMMCTL_ROOT`` if set and non-empty, else ``/dev``.  A character
    device is driven with ioctl(2), a unix socket is a vmmctl-sim.  The
    descriptor is close-on-exec unless ``inherit=True``.

    Raises ``FileNotFoundError`` (no ``<root>/vmmctl``), ``PermissionError``
    (no write access), ``ConnectionRefusedError`` (no simulator listening),
    or ``OSError`` (``ENODEV``: not a control device, ``EPROTO``, ...).
    """
    croot: _CData | bytes
    if root is None:
        croot = ffi.NULL
        where = os.path.join(os.environ.get("VMMCTL_ROOT") or "/dev", "vmmctl")
    else:
        broot = os.fsencode(root)
        if b"\0" in broot:
            raise ValueError("embedded null byte")
        croot = broot
        where = os.path.join(os.fsdecode(broot), "vmmctl")
    out = ffi.new("vmmctl_t **")
    flags = lib.VMMCTL_OPEN_INHERIT if inherit else 0
    error = lib.vmmctl_open(croot, flags, out)
    if error:
        raise _oserror(error, where)
    return Control(out[0])
