"""Sys::Virt's connection object (asyncio)."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any, Final

from virtwire.api._async.connection_domains import DomainMethods
from virtwire.api._async.connection_events import EventMethods
from virtwire.api._async.connection_host import HostMethods
from virtwire.api._async.connection_objects import ObjectMethods
from virtwire.api._async.connection_streams import StreamMethods
from virtwire.api._async.runtime import AsyncRuntime
from virtwire.api.sysvirt_gen import ConnectionConstants
from virtwire.errors import Error, LocalProtocolError
from virtwire.protocol.lookup import procedure
from virtwire.rpc.connection import RpcConnection
from virtwire.rpc.events import ConnectionClosed, Message
from virtwire.rpc.handshake import Session, open_session
from virtwire.rpc.keepalive import DEFAULT_COUNT, DEFAULT_INTERVAL
from virtwire.transport import open_async_transport
from virtwire.transport.libvirt_conf import read_conf, resolve_uri
from virtwire.transport.uri import RemoteTarget, parse_uri

#: ``VIR_CONNECT_RO``
CONNECT_RO: Final = 1


def _programs() -> dict[tuple[int, int], Any]:
    from virtwire.protocol import lxc_gen, qemu_gen, remote_gen

    return {
        (remote_gen.REMOTE_PROGRAM, remote_gen.REMOTE_PROTOCOL_VERSION): remote_gen.PROCEDURES,
        (qemu_gen.QEMU_PROGRAM, qemu_gen.QEMU_PROTOCOL_VERSION): qemu_gen.PROCEDURES,
        (lxc_gen.LXC_PROGRAM, lxc_gen.LXC_PROTOCOL_VERSION): lxc_gen.PROCEDURES,
    }


class Connection(
    ConnectionConstants, DomainMethods, ObjectMethods, HostMethods, EventMethods, StreamMethods
):
    """A connection to a libvirt daemon, as Sys::Virt's ``Sys::Virt`` object (asyncio).

    ``uri`` (alias ``address``) names the daemon; None means ``LIBVIRT_DEFAULT_URI``,
    ``uri_default`` from libvirt.conf, or the local default. ``readonly`` asks for a
    read-only connection. ``auth``/``credlist``/``callback`` supply credentials for SASL
    the way Sys::Virt does. ``timeout`` is the default deadline of every call in seconds
    (None: wait forever). ``keepalive`` is ``(interval, count)``; None turns it off.
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
    ) -> None:
        if uri is None:
            uri = address
        self._requested_uri = uri
        self._readonly = bool(readonly)
        self._flags = flags | (CONNECT_RO if readonly else 0)
        self._auth = bool(auth)
        self._credlist = list(credlist) if credlist is not None else None
        self._callback = callback
        self._timeout = timeout
        self._keepalive = keepalive
        self._rt: AsyncRuntime | None = None
        self._session: Session | None = None
        self._target: RemoteTarget | None = None
        self._close_callback: Callable[[Connection, int], None] | None = None
        self._server_close_registered = False

    # ------------------------------------------------------------------ life

    async def open(self) -> Connection:
        """Connect, authenticate and open the hypervisor connection."""
        if self._rt is not None:
            return self
        conf = read_conf()
        uri = resolve_uri(self._requested_uri, conf=conf)
        target = parse_uri(uri, readonly=self._readonly, conf=conf)
        transport = await open_async_transport(target, timeout=self._timeout)
        rt = AsyncRuntime(transport, RpcConnection(_programs()))
        rt.default_timeout = self._timeout
        try:
            session = await rt.run(
                open_session(
                    target.name,
                    self._flags,
                    auth_pref=target.auth,
                    credentials=self._credentials(target),
                    host=target.hostname,
                )
            )
        except BaseException:
            rt.shutdown()
            raise
        self._rt = rt
        self._target = target
        self._session = session
        # The runtime (kept alive by its I/O) must not keep this object alive: weak handlers.
        ref = weakref.ref(self)

        def on_closed(event: ConnectionClosed) -> None:
            conn = ref()
            if conn is not None:
                conn._on_closed(event)

        def on_server_closed(event: Message) -> None:
            conn = ref()
            if conn is not None:
                conn._on_server_closed(event)

        rt.add_close_handler(on_closed)
        closed = procedure("REMOTE_PROC_CONNECT_EVENT_CONNECTION_CLOSED")
        rt.set_message_handler(
            closed.program,
            closed.number,
            on_server_closed,
        )
        if session.keepalive and self._keepalive is not None:
            rt.start_keepalive(*self._keepalive)
        return self

    def _credentials(self, target: RemoteTarget) -> Any:
        """Sys::Virt's rules: ``callback``/``credlist`` count only with ``auth``; values from
        libvirt's credential file (auth.conf) answer first."""
        from virtwire.auth import credentials
        from virtwire.auth.auth_conf import preset_credentials

        preset = preset_credentials(target.host, authfile=target.authfile)
        if not self._auth:
            return credentials.CredentialSource((), None, preset=preset)
        if self._callback is not None:
            return credentials.CredentialSource(
                self._credlist or credentials.DEFAULT_CREDTYPES, self._callback, preset=preset
            )
        return credentials.console_credentials(preset)

    async def close(self) -> None:
        """Close the connection (sends ``connect_close``); calling it twice is harmless."""
        rt = self._rt
        if rt is None or not rt.core.is_open:
            return
        if not rt.forked:
            try:
                await rt.call(procedure("REMOTE_PROC_CONNECT_CLOSE"), timeout=5)
            except Error:
                pass
        rt.shutdown()

    async def __aenter__(self) -> Connection:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def runtime(self) -> AsyncRuntime:
        """The runtime driving this connection (raises if not open)."""
        if self._rt is None:
            raise LocalProtocolError("the connection is not open")
        return self._rt

    @property
    def session(self) -> Session:
        """What was learnt about the daemon while opening."""
        if self._session is None:
            raise LocalProtocolError("the connection is not open")
        return self._session

    @property
    def target(self) -> RemoteTarget:
        """The parsed URI this connection reached."""
        if self._target is None:
            raise LocalProtocolError("the connection is not open")
        return self._target

    # ------------------------------------------------------------------ raw calls

    async def call(
        self,
        proc: str | int | Any,
        args: Any = None,
        *,
        timeout: float | None = None,
        fds: Sequence[int] = (),
    ) -> Any:
        """Call any remote procedure by name, number or description; return its ``_ret``."""
        if isinstance(proc, (str, int)):
            proc = procedure(proc)
        return await self.runtime.call(proc, args, timeout=timeout, fds=fds)

    def set_timeout(self, timeout: float | None) -> None:
        """Set the default deadline of later calls (None: no deadline)."""
        self._timeout = timeout
        if self._rt is not None:
            self._rt.default_timeout = timeout

    # ------------------------------------------------------------------ liveness

    def is_alive(self) -> bool:
        """True while the connection is open and the peer answers keepalives."""
        return self._rt is not None and self._rt.core.is_open and not self._rt.forked

    async def set_keep_alive(self, interval: float, count: int) -> None:
        """Send a keepalive PING after ``interval`` s of silence; give up after ``count``
        unanswered ones. ``interval <= 0`` turns keepalive off."""
        rt = self.runtime
        if not self.session.keepalive and interval > 0:
            raise Error(
                "the caller doesn't support keepalive protocol; perhaps it's missing event loop "
                "implementation",
                code=Error.ERR_OPERATION_INVALID,
                domain=Error.FROM_RPC,
            )
        if interval <= 0:
            rt.core.keepalive.stop()
        else:
            rt.start_keepalive(interval, count)

    async def is_secure(self) -> bool:
        """Whether the channel is safe from eavesdropping (Sys::Virt's ``is_secure``)."""
        ret = await self.call("REMOTE_PROC_CONNECT_IS_SECURE")
        secure = self.target.secure or (self.session.sasl_ssf >= 56)
        return bool(ret.secure) and secure

    async def is_encrypted(self) -> bool:
        """Whether the channel is encrypted (TLS or a SASL layer)."""
        ret = await self.call("REMOTE_PROC_CONNECT_IS_SECURE")
        encrypted = self.target.transport == "tls" or self.session.sasl_ssf > 0
        return bool(ret.secure) and encrypted

    # ------------------------------------------------------------------ close callbacks

    async def register_close_callback(self, callback: Callable[[Connection, int], None]) -> None:
        """Call ``callback(conn, reason)`` once when the connection closes."""
        if self._close_callback is not None:
            raise Error(
                "a close callback is already registered",
                code=Error.ERR_OPERATION_INVALID,
                domain=Error.FROM_NONE,
            )
        self._close_callback = callback
        if self.session.close_callback and not self._server_close_registered:
            await self.call("REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK")
            self._server_close_registered = True

    async def unregister_close_callback(self) -> None:
        """Remove the close callback."""
        self._close_callback = None
        if self._server_close_registered and self.is_alive():
            self._server_close_registered = False
            await self.call("REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK")

    def _on_closed(self, event: ConnectionClosed) -> None:
        callback = self._close_callback
        if callback is not None:
            callback(self, event.reason)

    def _on_server_closed(self, event: Message) -> None:
        # The daemon's own connection to the hypervisor ended: report it, keep the socket.
        callback = self._close_callback
        if callback is not None:
            callback(self, int(event.value.reason))

    # ------------------------------------------------------------------ basics

    async def get_type(self) -> str:
        """The hypervisor driver's name (``QEMU``, ``Test``...)."""
        return str((await self.call("REMOTE_PROC_CONNECT_GET_TYPE")).type)

    async def get_version(self) -> int:
        """The hypervisor's version as ``major*1000000 + minor*1000 + micro``."""
        return int((await self.call("REMOTE_PROC_CONNECT_GET_VERSION")).hv_ver)

    async def get_library_version(self) -> int:
        """The daemon's libvirt version as ``major*1000000 + minor*1000 + micro``."""
        return int((await self.call("REMOTE_PROC_CONNECT_GET_LIB_VERSION")).lib_ver)

    async def get_hostname(self) -> str:
        """The host's name as the daemon sees it."""
        return str((await self.call("REMOTE_PROC_CONNECT_GET_HOSTNAME")).hostname)

    async def get_uri(self) -> str:
        """The canonical URI of the hypervisor connection."""
        return str((await self.call("REMOTE_PROC_CONNECT_GET_URI")).uri)

    async def get_capabilities(self) -> str:
        """The capabilities XML."""
        return str((await self.call("REMOTE_PROC_CONNECT_GET_CAPABILITIES")).capabilities)
