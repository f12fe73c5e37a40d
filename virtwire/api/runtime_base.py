"""What the asyncio and blocking runtimes share: handlers, close callbacks, fork guard."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from typing import Any

from virtwire.errors import ConnectionClosedError, Error, LocalProtocolError, TransportError
from virtwire.rpc.connection import RpcConnection
from virtwire.rpc.events import ConnectionClosed, Message
from virtwire.rpc.exchange import (
    ChannelInfo,
    Instruction,
    SetSecurityLayer,
    TransportFacts,
)

_live: weakref.WeakSet[RuntimeBase] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for runtime in list(_live):
        runtime._forked = True


os.register_at_fork(after_in_child=_after_fork_in_child)

def io_error(exc: BaseException, action: str) -> Error:
    """The error for a failed socket operation (``action``: "read from", "write to")."""
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return ConnectionClosedError(f"the daemon closed the connection ({exc})")
    return TransportError(f"cannot {action} the daemon: {exc}")


def fds_unsupported() -> Error:
    """The error for file descriptors on a transport that cannot carry them, as libvirt's."""
    return Error(
        "Sending file descriptors is not supported on this socket",
        code=Error.ERR_INTERNAL_ERROR,
        domain=Error.FROM_RPC,
    )


MessageHandler = Callable[[Message], None]
CloseHandler = Callable[[ConnectionClosed], None]


class RuntimeBase:
    """State both runtimes keep beside the core."""

    def __init__(self, transport: Any, core: RpcConnection) -> None:
        self.transport = transport
        self.core = core
        self.default_timeout: float | None = None
        self._forked = False
        self._message_handlers: dict[tuple[int, int], MessageHandler] = {}
        self._close_handlers: list[CloseHandler] = []
        self._close_fired = False
        _live.add(self)

    def _check_usable(self) -> None:
        if self._forked:
            raise LocalProtocolError(
                "this connection was opened in the parent process and cannot be used "
                "after fork(); open a new connection in the child"
            )

    @property
    def forked(self) -> bool:
        """True in a child process created by fork() after the connection was opened."""
        return self._forked

    def channel_info(self) -> ChannelInfo:
        """Facts about the transport that authentication needs."""
        t = self.transport
        return ChannelInfo(
            secure=bool(getattr(t, "secure", False)),
            ssf=int(getattr(t, "ssf", 0)),
            can_pass_fds=bool(getattr(t, "can_pass_fds", False)),
            host=str(getattr(t, "host", "") or "localhost"),
        )

    def _apply(self, item: Instruction) -> Any:
        if isinstance(item, SetSecurityLayer):
            self.core.set_security_layer(item.layer)
            return None
        if isinstance(item, TransportFacts):
            return self.channel_info()
        raise LocalProtocolError(f"unknown instruction {item!r}")

    # ------------------------------------------------------------------ messages

    def set_message_handler(self, program: int, procedure: int, fn: MessageHandler | None) -> None:
        """Route asynchronous messages of ``procedure`` to ``fn`` (None removes it)."""
        if fn is None:
            self._message_handlers.pop((program, procedure), None)
        else:
            self._message_handlers[(program, procedure)] = fn

    def deliver_message(self, event: Message) -> None:
        """Call the handler registered for the message, if any."""
        fn = self._message_handlers.get((event.program, event.procedure))
        if fn is not None:
            fn(event)

    def dispatch_message(self, event: Message) -> None:
        """Hand a message to its handler (the blocking runtime defers to its thread)."""
        self.deliver_message(event)

    # ------------------------------------------------------------------ streams
    #
    # A call that opens a stream passes ``stream=token``. The runtime calls
    # ``token.bind(runtime, serial)`` right after queueing the call, and
    # ``token.on_stream_event(event)`` for every StreamData / StreamHole / StreamEnd /
    # StreamFailed of that serial, from its I/O context (the blocking runtime holds its
    # lock then): the token must only queue the event and wake its reader, never block.

    def dispatch_stream_event(self, event: Any) -> None:
        """Hand a stream event to the stream that owns it."""
        event.token.on_stream_event(event)

    # ------------------------------------------------------------------ close

    def add_close_handler(self, fn: CloseHandler) -> None:
        """Call ``fn(event)`` once when the connection ends."""
        self._close_handlers.append(fn)

    def remove_close_handler(self, fn: CloseHandler) -> None:
        """Forget a close handler."""
        try:
            self._close_handlers.remove(fn)
        except ValueError:
            pass

    def fire_close(self, event: ConnectionClosed) -> None:
        """Call the close handlers, once."""
        if self._close_fired:
            return
        self._close_fired = True
        for fn in list(self._close_handlers):
            try:
                fn(event)
            except Exception:  # noqa: BLE001 - a handler's failure must not stop the others
                pass
