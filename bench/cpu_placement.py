"""Where a bench's daemon and clients run: the daemon on every CPU but the first, the clients
on the first.

Left to the scheduler on a small machine, the daemon's threads and the client share CPUs in a
different way each run, and the same client's throughput swings by 2x or more. Apart, each
client gets the same daemon, and the figures repeat.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def start_apart(start: Callable[[], T], pin: bool = True) -> tuple[T, str | None]:
    """Call ``start()`` (which starts the daemon) with the daemon's CPUs, then keep this
    process, and the client processes it starts, on the first CPU.

    Returns what ``start`` returned and a line describing the placement (None when left to
    the scheduler: ``pin`` false, or a single CPU).
    """
    cpus = sorted(os.sched_getaffinity(0))
    if not pin or len(cpus) < 2:
        return start(), None
    os.sched_setaffinity(0, cpus[1:])  # the daemon inherits these
    try:
        started = start()
    finally:
        os.sched_setaffinity(0, cpus[:1])
    return started, f"clients on CPU {cpus[0]}, the daemon on CPUs {','.join(map(str, cpus[1:]))}"
