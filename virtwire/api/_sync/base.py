# Generated from virtwire/api/_async/base.py by scripts/unasync.py -- do not edit.
"""What every Sys::Virt object class shares: its connection, its server identity, calls."""

from __future__ import annotations

import uuid as _uuid
from typing import TYPE_CHECKING, Any, ClassVar, Self

from virtwire.protocol.lookup import make_args

if TYPE_CHECKING:
    from virtwire.api._sync.connection import Connection
    from virtwire.api._sync.domain import Domain


class RemoteObject:
    """An object living on the daemon (domain, network, pool...), as Sys::Virt's classes.

    ``ref`` is the ``remote_nonnull_*`` struct naming it on the wire. Objects compare and
    hash by their identity on the server (``_identity`` fields: uuid, name or key, as libvirt
    does), and keep a reference to their connection.
    """

    __slots__ = ("_conn", "_ref")

    #: Fields of ``ref`` that identify the object on the server.
    _identity: ClassVar[tuple[str, ...]] = ("uuid",)

    def __init__(self, conn: Connection, ref: Any) -> None:
        self._conn = conn
        self._ref = ref

    @property
    def connection(self) -> Connection:
        """The connection this object belongs to."""
        return self._conn

    @property
    def ref(self) -> Any:
        """The ``remote_nonnull_*`` struct naming this object on the wire."""
        return self._ref

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self._ref, f) for f in self._identity)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, RemoteObject)
        return other._conn is self._conn and other._key() == self._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, id(self._conn), self._key()))

    def __repr__(self) -> str:
        name = getattr(self._ref, "name", None) or getattr(self._ref, "key", None)
        return f"<{type(self).__name__} {name!r}>"

    #: The field naming this object in the procedures' ``_args`` structs (``dom``, ``net``…).
    _arg: ClassVar[str]

    def _arg_value(self) -> Any:
        """What goes into :attr:`_arg` (the ref itself, for most classes)."""
        return self._ref

    def _call(self, proc: str, args: Any = None) -> Any:
        return self._conn.call(proc, args)

    def _do(self, proc: str, **fields: Any) -> Any:
        """Call ``proc`` with this object in its ``_args`` struct plus ``fields``."""
        fields[self._arg] = self._arg_value()
        args = make_args(proc, **fields)
        return self._call(proc, args)


class DomainChild(RemoteObject):
    """A snapshot or checkpoint: named within its domain, compared by domain UUID and name."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("name",)

    def _key(self) -> tuple[Any, ...]:
        return (bytes(self._ref.dom.uuid), self._ref.name)

    def _wrap(self, ref: Any) -> Self:
        return type(self)(self._conn, ref)

    def get_domain(self) -> Domain:
        """The domain this object belongs to."""
        from virtwire.api._sync.domain import Domain

        return Domain(self._conn, self._ref.dom)


class UuidMethods:
    """``get_uuid`` and ``get_uuid_string`` for objects whose ref carries a UUID."""

    __slots__ = ()

    _ref: Any

    def get_uuid(self) -> bytes:
        """The raw 16-byte UUID."""
        return bytes(self._ref.uuid)

    def get_uuid_string(self) -> str:
        """The UUID as ``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx``."""
        return str(_uuid.UUID(bytes=bytes(self._ref.uuid)))


class Caller:
    """The one thing the connection's method groups need: a way to call the daemon."""

    __slots__ = ()

    def call(
        self, proc: Any, args: Any = None, *, timeout: float | None = None, fds: Any = ()
    ) -> Any:
        """Call a remote procedure (implemented by the connection)."""
        raise NotImplementedError
