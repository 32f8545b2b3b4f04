"""A user's script: the vmmctl package on its own, outside the repository.

Run by tests/python/package_test from a venv that has only the installed
sdist: a private Simulator with jails and a uid limit, scoped and persistent
VMs, the built-in exceptions, and the vmmctl-sim command.  Prints "ok".
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import vmmctl
from vmmctl.testing import Simulator


def raises(kind: type[BaseException], call: Callable[[], object]) -> BaseException:
    """Return the exception that call() raises, which must be a kind."""
    try:
        call()
    except kind as e:
        return e
    raise AssertionError(f"{kind.__name__} expected")


def check_simulator() -> None:
    """Use a Simulator: jails, uid limit, scoped and persistent VMs, errors."""
    with Simulator(jails=["web"], uid_limit=3) as sim:
        with sim.open() as host, vmmctl.open(sim.jail_root("web")) as web:
            web.create("w0")  # descriptor-scoped
            host.create("p0", persistent=True)
            assert host.list() == ["p0", "w0"], host.list()
            assert web.list() == ["w0"], web.list()
            taken = raises(FileExistsError, lambda: web.create("p0"))
            assert isinstance(taken, OSError) and taken.filename == "p0"
            raises(FileNotFoundError, lambda: web.destroy("p0"))  # not in the jail
            bad = raises(vmmctl.InvalidNameError, lambda: host.create("bad/name"))
            assert isinstance(bad, ValueError)
            host.create("x0")
            full = raises(OSError, lambda: host.create("x1"))  # a 4th for this uid
            assert isinstance(full, OSError) and full.errno == errno.ENOMEM
        with sim.open() as after:
            assert after.list() == ["p0"], after.list()  # w0, x0 went
            after.destroy("p0")
        root = sim.root
    assert not os.path.exists(root)


def check_command() -> None:
    """Use the vmmctl-sim command: pid file, a persistent VM, SIGTERM."""
    command = os.path.join(os.path.dirname(sys.executable), "vmmctl-sim")
    work = tempfile.mkdtemp(dir="/tmp", prefix="vu.")
    root, pidfile = os.path.join(work, "root"), os.path.join(work, "pid")
    proc = subprocess.Popen([command, "--root", root, "--pidfile", pidfile])
    deadline = time.monotonic() + 30
    while not os.path.exists(pidfile):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    with vmmctl.open(root) as ctl:
        ctl.create("cmd0", persistent=True)
        assert os.listdir(os.path.join(root, "vmm")) == ["cmd0"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert not os.path.exists(root) and not os.path.exists(pidfile)
    os.rmdir(work)


def main() -> int:
    """Run every check; print where vmmctl came from and "ok"."""
    assert not [k for k in os.environ if k.startswith("VMMCTL_")], os.environ
    print(f"vmmctl {vmmctl.__version__} from {vmmctl.__file__}")
    check_simulator()
    check_command()
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
