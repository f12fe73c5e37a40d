"""Finding a procedure and its argument struct by name, in the remote or the qemu program."""

from __future__ import annotations

from typing import Any

from virtwire.errors import LocalProtocolError
from virtwire.protocol import remote_gen
from virtwire.protocol._procedure import Procedure

_BY_NAME: dict[str, Procedure] = {}


def procedure(name: str | int) -> Procedure:
    """A remote procedure by number or name (``connect_get_type`` or
    ``REMOTE_PROC_CONNECT_GET_TYPE``); ``QEMU_PROC_*`` names the qemu program's."""
    if isinstance(name, int):
        try:
            return remote_gen.PROCEDURES[name]
        except KeyError:
            raise LocalProtocolError(f"unknown remote procedure {name}") from None
    found = _BY_NAME.get(name)
    if found is not None:
        return found
    key = name.upper()
    if key.startswith("QEMU_PROC_"):
        from virtwire.protocol import qemu_gen

        member = getattr(qemu_gen.qemu_procedure, key, None)
        table = qemu_gen.PROCEDURES
    else:
        if not key.startswith("REMOTE_PROC_"):
            key = "REMOTE_PROC_" + key
        member = getattr(remote_gen.remote_procedure, key, None)
        table = remote_gen.PROCEDURES
    if member is None:
        raise LocalProtocolError(f"unknown remote procedure {name!r}")
    found = _BY_NAME[name] = table[int(member)]
    return found


def make_args(proc: str, **fields: Any) -> Any:
    """The ``_args`` struct of ``proc`` (``domain_get_info``, ``REMOTE_PROC_…`` or
    ``QEMU_PROC_…``) built from ``fields``."""
    key = proc.upper()
    if key.startswith("QEMU_PROC_"):
        from virtwire.protocol import qemu_gen

        return getattr(qemu_gen, "qemu_" + key[len("QEMU_PROC_") :].lower() + "_args")(**fields)
    if key.startswith("REMOTE_PROC_"):
        key = key[len("REMOTE_PROC_") :]
    return getattr(remote_gen, "remote_" + key.lower() + "_args")(**fields)
