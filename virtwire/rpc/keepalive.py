"""Keepalive bookkeeping as libvirt does it, without a timer: the owner supplies the time.

Any received message proves the peer alive. After ``interval`` seconds of silence a PING is
due; after ``count`` unanswered PINGs and one more interval, the peer is dead.
"""

from __future__ import annotations

import enum
from typing import Final

#: virsh's defaults.
DEFAULT_INTERVAL: Final = 5.0
DEFAULT_COUNT: Final = 6


class KeepaliveAction(enum.Enum):
    """What :meth:`Keepalive.tick` asks of the owner."""

    NOTHING = 0
    PING = 1
    DEAD = 2


class Keepalive:
    """Counts silent intervals. ``interval <= 0`` disables it."""

    __slots__ = ("interval", "count", "_started", "_interval_start", "_count_to_death", "_seen")

    def __init__(self, interval: float = DEFAULT_INTERVAL, count: int = DEFAULT_COUNT) -> None:
        self.interval = interval
        self.count = count
        self._started = False
        self._interval_start = 0.0
        self._count_to_death = count
        self._seen = False

    @property
    def active(self) -> bool:
        """True while keepalive is running."""
        return self._started and self.interval > 0

    def start(self, now: float, interval: float | None = None, count: int | None = None) -> None:
        """(Re)start with optional new figures."""
        if interval is not None:
            self.interval = interval
        if count is not None:
            self.count = count
        self._started = True
        self._interval_start = now
        self._count_to_death = self.count
        self._seen = False

    def stop(self) -> None:
        """Stop sending PINGs and declaring death."""
        self._started = False

    def mark_active(self) -> None:
        """Record that a message arrived (cheap; the time is taken at the next tick)."""
        self._seen = True

    def deadline(self) -> float | None:
        """When :meth:`tick` next needs to run, or None when inactive."""
        if not self.active:
            return None
        return self._interval_start + self.interval

    def tick(self, now: float) -> KeepaliveAction:
        """Advance to ``now``; say whether to send a PING or give the peer up."""
        if self._seen:  # first: the common case (start() resets all this anyway)
            self._seen = False
            self._interval_start = now
            self._count_to_death = self.count
            return KeepaliveAction.NOTHING
        if not self.active:
            return KeepaliveAction.NOTHING
        if now - self._interval_start < self.interval:
            return KeepaliveAction.NOTHING
        if self._count_to_death <= 0:
            return KeepaliveAction.DEAD
        self._count_to_death -= 1
        self._interval_start = now
        return KeepaliveAction.PING
