"""virtwire for asyncio: the same API as :mod:`virtwire`, with coroutines.

``conn = await virtwire.aio.Connection(uri)`` or ``async with virtwire.aio.Connection(uri) as
conn:`` opens the connection.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from virtwire.api._async import connection as _connection
from virtwire.errors import Error
from virtwire.protocol.lookup import procedure

__all__ = ["Connection", "Error", "procedure"]


def __getattr__(name: str) -> Any:
    from virtwire import OBJECT_CLASSES, load_class

    if name in OBJECT_CLASSES:
        return load_class(name, "_async")
    raise AttributeError(f"module 'virtwire.aio' has no attribute {name!r}")


class Connection(_connection.Connection):
    __doc__ = _connection.Connection.__doc__

    def __await__(self) -> Generator[Any, None, Connection]:
        yield from self.open().__await__()
        return self
