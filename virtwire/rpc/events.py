"""What the RPC core reports to its driver: one slotted dataclass per kind of happening.

Events are read-only by convention (not frozen: a frozen dataclass costs three times as
much to build, and one is built per reply).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from virtwire.errors import Error


class _NeedData:
    """Sentinel type: no event until more bytes arrive."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


#: Returned by :meth:`RpcConnection.next_event` when it needs more input.
NEED_DATA: Final = _NeedData()


@dataclass(slots=True)
class Reply:
    """A call completed; ``value`` is the decoded return struct (None for void)."""

    serial: int
    token: Any
    value: Any
    fds: tuple[int, ...] = ()


@dataclass(slots=True)
class CallFailed:
    """A call failed: a ``remote_error`` from the daemon, a bad reply, a timeout."""

    serial: int
    token: Any
    error: Error


@dataclass(slots=True)
class Message:
    """An asynchronous message from the daemon (an event), decoded."""

    program: int
    procedure: int
    value: Any


@dataclass(slots=True)
class StreamData:
    """Bytes for the stream opened by call ``serial``."""

    serial: int
    token: Any
    data: memoryview


@dataclass(slots=True)
class StreamHole:
    """A hole of ``length`` bytes in the stream opened by call ``serial``."""

    serial: int
    token: Any
    length: int
    flags: int


@dataclass(slots=True)
class StreamEnd:
    """The daemon finished the stream (end of data, or confirmation of ours)."""

    serial: int
    token: Any


@dataclass(slots=True)
class StreamFailed:
    """The daemon reported an error on the stream, or the stream was aborted."""

    serial: int
    token: Any
    error: Error


@dataclass(slots=True)
class ConnectionClosed:
    """The connection is finished; ``reason`` is a ``CLOSE_REASON_*`` value.

    ``error`` is why (None after a clean close requested by the client).
    """

    reason: int
    error: Error | None


Event = Reply | CallFailed | Message | StreamData | StreamHole | StreamEnd | StreamFailed
