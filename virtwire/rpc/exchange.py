"""Multi-step exchanges written once as generators, run by either runtime.

An exchange yields :class:`Call` (and receives the reply value, or has the call's
:class:`~virtwire.errors.Error` thrown in) or an :class:`Instruction` for the runtime, and
returns its result. Authentication and connection opening are written this way.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Call:
    """One RPC call for the runtime to make."""

    proc: Any
    args: Any = None


class Instruction:
    """Something only the runtime can do, asked for by an exchange."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class SetSecurityLayer(Instruction):
    """Wrap every later byte in this SASL security layer."""

    layer: Any


@dataclass(frozen=True, slots=True)
class TransportFacts(Instruction):
    """Ask for facts about the transport; the runtime sends back a :class:`ChannelInfo`."""


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What authentication needs to know about the channel."""

    secure: bool  # TLS or a local socket
    ssf: int  # TLS key size in bits, 0 otherwise
    can_pass_fds: bool
    host: str


class Exchange:
    """Steps a generator; :attr:`DONE` marks its end and :attr:`result` holds its value."""

    DONE: Final = object()

    __slots__ = ("_gen", "result")

    def __init__(self, gen: Generator[Any, Any, Any]) -> None:
        self._gen = gen
        self.result: Any = None

    def _step(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except StopIteration as stop:
            self.result = stop.value
            return Exchange.DONE

    def start(self) -> Any:
        """First item the exchange yields."""
        return self._step(next, self._gen)

    def send(self, value: Any) -> Any:
        """Resume with a reply value."""
        return self._step(self._gen.send, value)

    def throw(self, exc: BaseException) -> Any:
        """Resume by raising ``exc`` at the pending yield."""
        return self._step(self._gen.throw, exc)
