"""The Python leg of "make bench": create + destroy through the binding.

``python bench_vmmctl.py ROOT OPS BATCHES WARMUP`` prints
``{"batches_ns": [...]}``: nanoseconds per create + destroy of one
descriptor-scoped VM, one figure per batch of OPS.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import vmmctl


def batch(ctl: vmmctl.Control, name: str, ops: int) -> float:
    """Return the mean ns of one create + destroy over ``ops`` of them."""
    t0 = time.perf_counter_ns()
    for _ in range(ops):
        ctl.create(name)
        ctl.destroy(name)
    return (time.perf_counter_ns() - t0) / ops


def main(argv: list[str]) -> int:
    """Run the batches and print the JSON line."""
    if len(argv) != 5:
        print("usage: bench_vmmctl.py ROOT OPS BATCHES WARMUP", file=sys.stderr)
        return 2
    ops, batches, warm = (int(a) for a in argv[2:5])
    name = f"bench-py-{os.getpid()}"
    with vmmctl.open(Path(argv[1])) as ctl:
        batch(ctl, name, warm)
        res = [round(batch(ctl, name, ops), 1) for _ in range(batches)]
    print(json.dumps({"batches_ns": res}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
