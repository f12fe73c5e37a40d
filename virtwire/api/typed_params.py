"""Typed parameters: Python dicts to and from libvirt's ``remote_typed_param`` lists.

A dict maps field names to values; a field that repeats on the wire (a string list, such as
``migrate_disks``) is a list of str. Packing needs each field's type: from ``types`` (one of
the tables below, or the types the daemon reported), otherwise guessed from the Python value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from virtwire.constants_gen import virTypedParameterFlags, virTypedParameterType
from virtwire.errors import Error
from virtwire.protocol.remote_gen import remote_typed_param, remote_typed_param_value

INT: Final = int(virTypedParameterType.VIR_TYPED_PARAM_INT)
UINT: Final = int(virTypedParameterType.VIR_TYPED_PARAM_UINT)
LLONG: Final = int(virTypedParameterType.VIR_TYPED_PARAM_LLONG)
ULLONG: Final = int(virTypedParameterType.VIR_TYPED_PARAM_ULLONG)
DOUBLE: Final = int(virTypedParameterType.VIR_TYPED_PARAM_DOUBLE)
BOOLEAN: Final = int(virTypedParameterType.VIR_TYPED_PARAM_BOOLEAN)
STRING: Final = int(virTypedParameterType.VIR_TYPED_PARAM_STRING)

#: ``VIR_TYPED_PARAM_STRING_OKAY``: the caller accepts string fields in a reply.
STRING_OKAY: Final = int(virTypedParameterFlags.VIR_TYPED_PARAM_STRING_OKAY)

_RANGES: Final[dict[int, tuple[int, int]]] = {
    INT: (-(2**31), 2**31 - 1),
    UINT: (0, 2**32 - 1),
    LLONG: (-(2**63), 2**63 - 1),
    ULLONG: (0, 2**64 - 1),
}

#: Migration parameters (``VIR_MIGRATE_PARAM_*``) and their types.
MIGRATE_PARAM_TYPES: Final[dict[str, int]] = {
    "migrate_uri": STRING,
    "destination_name": STRING,
    "destination_xml": STRING,
    "persistent_xml": STRING,
    "bandwidth": ULLONG,
    "bandwidth.postcopy": ULLONG,
    "bandwidth.avail.switchover": ULLONG,
    "graphics_uri": STRING,
    "listen_address": STRING,
    "migrate_disks": STRING,
    "migrate_disks_detect_zeroes": STRING,
    "disks_port": INT,
    "disks_uri": STRING,
    "compression": STRING,
    "compression.mt.level": INT,
    "compression.mt.threads": INT,
    "compression.mt.dthreads": INT,
    "compression.xbzrle.cache": ULLONG,
    "compression.zlib.level": INT,
    "compression.zstd.level": INT,
    "auto_converge.initial": INT,
    "auto_converge.increment": INT,
    "parallel.connections": INT,
    "tls.destination": STRING,
}

#: Block copy parameters (``VIR_DOMAIN_BLOCK_COPY_*``).
BLOCK_COPY_TYPES: Final[dict[str, int]] = {
    "bandwidth": ULLONG,
    "granularity": UINT,
    "buf-size": ULLONG,
}

#: Save and restore parameters (``VIR_DOMAIN_SAVE_PARAM_*``).
SAVE_PARAM_TYPES: Final[dict[str, int]] = {
    "file": STRING,
    "dxml": STRING,
    "image_format": STRING,
    "parallel.channels": INT,
}

#: Launch security state parameters (``VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET*``).
LAUNCH_SECURITY_STATE_TYPES: Final[dict[str, int]] = {
    "sev-secret-header": STRING,
    "sev-secret": STRING,
    "sev-secret-set-address": ULLONG,
}

#: IOThread parameters (``VIR_DOMAIN_IOTHREAD_*``).
IOTHREAD_PARAM_TYPES: Final[dict[str, int]] = {
    "poll_max_ns": ULLONG,
    "poll_grow": UINT,
    "poll_shrink": UINT,
    "thread_pool_min": INT,
    "thread_pool_max": INT,
}



def _invalid(message: str) -> Error:
    return Error(message, code=Error.ERR_INVALID_ARG, domain=Error.FROM_NONE)

def guess_type(value: Any) -> int:
    """The typed-parameter type a Python value travels as when no table names it."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return ULLONG if value >= 0 else LLONG
    if isinstance(value, float):
        return DOUBLE
    if isinstance(value, (str, bytes)):
        return STRING
    raise _invalid(f"cannot send {type(value).__name__} as a typed parameter")


def _coerce(name: str, ptype: int, value: Any) -> int | float | str:
    if ptype == STRING:
        if isinstance(value, bytes):
            return value.decode()
        return str(value)
    if ptype == DOUBLE:
        return float(value)
    if ptype == BOOLEAN:
        return 1 if value else 0
    if ptype in _RANGES:
        number = int(value)
        low, high = _RANGES[ptype]
        if not low <= number <= high:
            raise _invalid(f"typed parameter {name!r}: {number} is out of range")
        return number
    raise _invalid(f"typed parameter {name!r}: unknown type {ptype}")


def pack_typed_params(
    values: Mapping[str, Any], types: Mapping[str, int] | None = None
) -> list[remote_typed_param]:
    """Turn ``{field: value}`` into wire parameters; list values become repeated fields.

    ``None`` values are left out. A field's type comes from ``types`` when it names it,
    otherwise from the value (:func:`guess_type`).
    """
    out: list[remote_typed_param] = []
    for name, value in values.items():
        if value is None:
            continue
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        for item in items:
            ptype = types.get(name) if types is not None else None
            if ptype is None:
                ptype = guess_type(item)
            out.append(
                remote_typed_param(
                    field=name,
                    value=remote_typed_param_value(type=ptype, value=_coerce(name, ptype, item)),
                )
            )
    return out


def unpack_typed_params(params: Iterable[remote_typed_param]) -> dict[str, Any]:
    """Turn wire parameters into ``{field: value}``; repeated fields become lists."""
    out: dict[str, Any] = {}
    for param in params:
        name = param.field
        v = param.value
        value = v.value
        if v.type == BOOLEAN:
            value = 1 if value else 0
        if name in out:
            previous = out[name]
            if isinstance(previous, list):
                previous.append(value)
            else:
                out[name] = [previous, value]
        else:
            out[name] = value
    return out


def param_types(params: Iterable[remote_typed_param]) -> dict[str, int]:
    """``{field: type}`` of wire parameters (the types a daemon reported)."""
    return {p.field: int(p.value.type) for p in params}


def pack_known_params(
    values: Mapping[str, Any], current: Iterable[remote_typed_param]
) -> list[remote_typed_param]:
    """Pack the fields of ``values`` that the daemon reported in ``current``, with its types.

    Fields the daemon does not know are dropped, as Sys::Virt's setters do.
    """
    types = param_types(current)
    return pack_typed_params({k: v for k, v in values.items() if k in types}, types)
