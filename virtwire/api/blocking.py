"""The blocking connection: opens in its constructor, as ``Sys::Virt->new`` does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from virtwire.api._sync import connection as _connection
from virtwire.rpc.keepalive import DEFAULT_COUNT, DEFAULT_INTERVAL


class Connection(_connection.Connection):
    __doc__ = (_connection.Connection.__doc__ or "") + """
    ``spin_wait`` (blocking connections only) is how long, in seconds, a lone call polls
    the socket for its reply before it sleeps: by default 200 µs on a daemon's unix socket
    with two CPUs or more, else 0 (see :mod:`virtwire.api._sync.runtime`); 0 turns it off.
    """

    def __init__(
        self,
        uri: str | None = None,
        readonly: bool = False,
        flags: int = 0,
        auth: bool | int = False,
        credlist: Sequence[int] | None = None,
        callback: Callable[[list[dict[str, Any]]], int] | None = None,
        *,
        address: str | None = None,
        timeout: float | None = None,
        keepalive: tuple[float, int] | None = (DEFAULT_INTERVAL, DEFAULT_COUNT),
        spin_wait: float | None = None,
    ) -> None:
        super().__init__(
            uri, readonly, flags, auth, credlist, callback,
            address=address, timeout=timeout, keepalive=keepalive,
        )
        self.open()
        rt = self.runtime
        # Opening's first calls are slow ones: judge spinning on the calls that follow.
        rt.spin_wait = rt.spin_wait if spin_wait is None else spin_wait

    def __del__(self) -> None:
        # Dropped without close(): release the socket and the dispatch thread (no RPC, as
        # garbage collection may run anywhere). The daemon sees the socket close.
        rt = getattr(self, "_rt", None)
        if rt is not None and not rt.forked:
            try:
                rt.shutdown(wait=False)
            except Exception:  # noqa: BLE001 - nothing can be reported from a finalizer
                pass
