"""Conformance driver (Python): the line protocol of tests/conformance.

Reads one command per line on stdin and answers one line on stdout, so a
controller can script this process together with the C, Rust and Go
drivers against one simulator.  Run with the interpreter of the test venv,
which has the vmmctl package installed.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import sys

import vmmctl

# The errno names every driver reports (the same table in each language).
ERRNO_NAMES = [
    "EPERM",
    "ENOENT",
    "EINTR",
    "EIO",
    "EBADF",
    "EAGAIN",
    "ENOMEM",
    "EACCES",
    "EBUSY",
    "EEXIST",
    "ENODEV",
    "ENOTDIR",
    "EINVAL",
    "EMFILE",
    "ENOTTY",
    "EPIPE",
    "ERANGE",
    "ENAMETOOLONG",
    "EPROTO",
    "ECONNRESET",
    "ECONNREFUSED",
]
NAME_OF = {getattr(errno, name): name for name in ERRNO_NAMES}


def err(code: int | None) -> str:
    if code is None:
        return "err E?"
    return "err " + NAME_OF.get(code, f"E{code}")


class Driver:
    def __init__(self) -> None:
        self.ctl: vmmctl.Control | None = None
        self.held: list[int] = []

    def need_ctl(self) -> vmmctl.Control:
        if self.ctl is None:
            raise OSError(errno.EBADF, "no control descriptor")
        return self.ctl

    def run(self, words: list[str]) -> str:
        cmd, args = words[0], words[1:]
        if cmd == "open":
            if self.ctl is not None:
                return err(errno.EBUSY)
            self.ctl = vmmctl.open(args[0])
        elif cmd == "adopt":
            if self.ctl is not None:
                return err(errno.EBUSY)
            self.ctl = vmmctl.Control.from_fd(int(args[0]))
        elif cmd == "create":
            persistent = len(args) > 1 and args[1] == "persistent"
            self.need_ctl().create(args[0], persistent=persistent)
        elif cmd == "destroy":
            self.need_ctl().destroy(args[0])
        elif cmd == "list":
            return " ".join(["ok", *self.need_ctl().list()])
        elif cmd == "close":
            ctl = self.need_ctl()
            self.ctl = None
            ctl.close()
        elif cmd == "dup":
            self.held.append(os.dup(self.need_ctl().fileno()))
        elif cmd == "release":
            for fd in self.held:
                os.close(fd)
            self.held.clear()
        elif cmd == "send-fd":
            ctl = self.need_ctl()
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(args[0])
                socket.send_fds(sock, [b"F"], [ctl.fileno()])
        elif cmd == "recv-fd":
            if self.ctl is not None:
                return err(errno.EBUSY)
            return self.recv_fd(args[0])
        elif cmd in ("hold", "ping"):
            pass
        elif cmd == "exit":
            os._exit(0)
        elif cmd == "crash":
            os.kill(os.getpid(), signal.SIGKILL)
        else:
            return err(errno.EINVAL)
        return "ok"

    def recv_fd(self, path: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(path)
            try:
                print("ready", flush=True)
                _, fds, _, _ = socket.recv_fds(sock, 1, 1)
            finally:
                os.unlink(path)
        if len(fds) != 1:
            return err(errno.EBADMSG)
        try:
            self.ctl = vmmctl.Control.from_fd(fds[0])
        except OSError:
            os.close(fds[0])
            raise
        return "ok"


def drop_privileges(argv: list[str]) -> None:
    """``--uid N``: become uid/gid N before any request.

    For refusal checks run as root: the interpreter may live where uid N
    cannot execute it (a pyenv under /root), so it starts privileged and
    drops everything once its modules are loaded; the simulator sees the
    peer credentials of the connection, made later by ``open``.
    """
    if len(argv) == 3 and argv[1] == "--uid":
        uid = int(argv[2])
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def main() -> None:
    drop_privileges(sys.argv)
    driver = Driver()
    for line in sys.stdin:
        words = line.split()
        if not words:
            print(err(errno.EINVAL), flush=True)
            continue
        try:
            reply = driver.run(words)
        except (OSError, vmmctl.InvalidNameError) as exc:
            reply = err(exc.errno)
        except (IndexError, ValueError):
            reply = err(errno.EINVAL)
        print(reply, flush=True)


if __name__ == "__main__":
    main()
