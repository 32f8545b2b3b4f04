"""A short tour of the vmmctl Python bindings.

Runs against $VMMCTL_ROOT (a vmmctl-sim, or /dev on FreeBSD): creates a
descriptor-scoped and a persistent VM, lists them, destroys the persistent
one, closes the descriptor and shows that the scoped one went with it.
Leaves no VM of its own behind.
"""

from __future__ import annotations

import os
import sys

import vmmctl


def main() -> int:
    """Print a transcript; exit 0 when every step behaved as documented."""
    root = os.environ.get("VMMCTL_ROOT") or "/dev"
    tag = os.getpid()
    scoped, persistent = f"py-scoped-{tag}", f"py-persistent-{tag}"
    print(f"python: vmmctl {vmmctl.__version__}, library {vmmctl.library_version()}")

    with vmmctl.open() as ctl:
        print(f"python: opened {root}/vmmctl (fd {ctl.fileno()})")
        ctl.create(scoped)
        print(f"python: created {scoped} (descriptor-scoped)")
        ctl.create(persistent, persistent=True)
        print(f"python: created {persistent} (persistent)")
        mine = [n for n in ctl.list() if n in (scoped, persistent)]
        print(f"python: list -> {mine}")
        try:
            ctl.create(scoped)
        except FileExistsError as e:
            print(f"python: create {scoped} again -> FileExistsError: {e.strerror}")
        try:
            ctl.create("bad/name")
        except vmmctl.InvalidNameError as e:
            print(f"python: create 'bad/name' -> InvalidNameError: {e.strerror}")
        ctl.destroy(persistent)
        print(f"python: destroyed {persistent}")
    print("python: closed the descriptor")

    with vmmctl.open() as check:
        left = [n for n in check.list() if n in (scoped, persistent)]
    print(f"python: after close, list -> {left}")
    if left:
        print("python: FAIL: the scoped VM outlived its descriptor", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
