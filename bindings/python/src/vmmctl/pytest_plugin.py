"""pytest plugin of the vmmctl package: the ``vmmctl_simulator`` fixture.

Registered through the ``pytest11`` entry point, so installing the package
is all it takes::

    def test_orchestrator(vmmctl_simulator):
        with vmmctl_simulator.open() as ctl:
            ctl.create("guest0")

Each test gets its own started ``vmmctl.testing.Simulator``, stopped (its
VMs destroyed, its root removed) after the test; for the test's duration
``VMMCTL_ROOT`` names its root, so code under test that calls
``vmmctl.open()`` without a root, and the processes it starts, use it.
Options come from the ``vmmctl_simulator`` marker, which takes the
keyword arguments of ``Simulator``::

    @pytest.mark.vmmctl_simulator(jails=["web"], uid_limit=2)
    def test_limits(vmmctl_simulator): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .testing import Simulator

__all__ = ["vmmctl_simulator"]


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``vmmctl_simulator`` marker."""
    config.addinivalue_line(
        "markers",
        "vmmctl_simulator(*, jails=(), uid_limit=None, generation=None,"
        " fuse=False):"
        " options of the vmmctl_simulator fixture (vmmctl.testing.Simulator)",
    )


@pytest.fixture
def vmmctl_simulator(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Simulator]:
    """Yield a started private simulator; ``VMMCTL_ROOT`` names its root."""
    options: dict[str, Any] = {}
    marker = request.node.get_closest_marker("vmmctl_simulator")
    if marker is not None:
        if marker.args:
            pytest.fail("@pytest.mark.vmmctl_simulator takes keyword arguments only")
        options = dict(marker.kwargs)
    with Simulator(**options) as sim:
        monkeypatch.setenv("VMMCTL_ROOT", sim.root)
        yield sim
