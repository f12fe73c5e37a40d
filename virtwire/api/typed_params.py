"""Typed parameters: Python dicts to and from libvirt's ``remote_typed_param`` lists.

A dict maps field names to values; a field that repeats on the wire (a string list, such as
``migrate_disks``) is a list of str. Packing needs each field's type: from ``types`` (one of
the tables below, or the types the daemon reported), otherwise guessed from the Python value.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from virtwire.constants_gen import virTypedParameterFlags, virTypedParameterType
from virtwire.errors import Error
from virtwire.protocol.remote_gen import (
    remote_nonnull_domain,
    remote_typed_param,
    remote_typed_param_value,
    unpack_remote_connect_get_all_domain_stats_ret,
)

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


# -- decoding a get_all_domain_stats reply straight into dicts ---------------------------

_u32: Final = struct.Struct(">I").unpack_from
_u32_u32: Final = struct.Struct(">II").unpack_from
_i32_u32: Final = struct.Struct(">iI").unpack_from
_dom_tail: Final = struct.Struct(">16siII").unpack_from
_by_type: Final = {
    # type: (type, value, next word) and the bytes of type and value
    INT: (struct.Struct(">iiI").unpack_from, 8),
    UINT: (struct.Struct(">iII").unpack_from, 8),
    LLONG: (struct.Struct(">iqI").unpack_from, 12),
    ULLONG: (struct.Struct(">iQI").unpack_from, 12),
    DOUBLE: (struct.Struct(">idI").unpack_from, 12),
    BOOLEAN: (struct.Struct(">iiI").unpack_from, 8),
}
_PAD: Final = (b"", b"\0\0\0", b"\0\0", b"\0")
_LOOKAHEAD: Final = bytes(16)
_STRING_MAX: Final = 4194304  # REMOTE_STRING_MAX
_RECORDS_MAX: Final = 16384  # REMOTE_DOMAIN_LIST_MAX
_PARAMS_MAX: Final = 262144  # REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX


def _same(ref: remote_nonnull_domain) -> Any:
    return ref


class _Slow(Exception):
    """The fast decoder met something it leaves to the generated one."""


def unpack_domain_stats_ret(
    buf: bytes | memoryview,
    pos: int,
    wrap: Callable[[remote_nonnull_domain], Any] = _same,
) -> tuple[list[dict[str, Any]], int]:
    """Decode a ``remote_connect_get_all_domain_stats_ret`` as ``[{"dom": .., "data": ..}]``.

    ``dom`` is ``wrap`` of the record's domain, ``data`` the dict :func:`unpack_typed_params`
    makes of its parameters, built without the intermediate parameter objects. Anything
    short of a well-formed reply (truncation, bad lengths, padding, discriminants or UTF-8)
    goes to the generated decoder, which raises the error it describes.
    """
    try:
        return _fast_domain_stats(buf, pos, wrap)
    except (_Slow, struct.error, LookupError, UnicodeDecodeError):
        ret, end = unpack_remote_connect_get_all_domain_stats_ret(buf, pos)
        return [
            {"dom": wrap(rec.dom), "data": unpack_typed_params(rec.params)}
            for rec in ret.retStats
        ], end


def _fast_domain_stats(
    buf: bytes | memoryview, pos: int, wrap: Callable[[remote_nonnull_domain], Any]
) -> tuple[list[dict[str, Any]], int]:
    # Every read also fetches the word after it (the next length), so the copy gets
    # zero bytes past the end; ``end`` still bounds what the message may use.
    end = len(buf)
    data = b"".join((buf, _LOOKAHEAD))
    pad = _PAD
    by_type = _by_type
    u32 = _u32
    dom_tail = _dom_tail
    new = object.__new__
    count, n = _u32_u32(data, pos)
    pos += 4
    if count > _RECORDS_MAX:
        raise _Slow
    out: list[dict[str, Any]] = []
    append = out.append
    names: dict[bytes, str] = {}
    for _ in range(count):
        # n: the length of the domain name at pos
        if n > _STRING_MAX:
            raise _Slow
        s = pos + 4
        pos = s + ((n + 3) & -4)
        if pos > end or (n & 3 and data[s + n : pos] != pad[n & 3]):
            raise _Slow
        dom = new(remote_nonnull_domain)
        dom.name = data[s : s + n].decode()
        dom.uuid, dom.id, nparams, n = dom_tail(data, pos)
        pos += 24
        if nparams > _PARAMS_MAX:
            raise _Slow
        params: dict[str, Any] = {}
        for _ in range(nparams):
            # n: the length of the field name at pos
            if n > _STRING_MAX:
                raise _Slow
            s = pos + 4
            pos = s + ((n + 3) & -4)
            if pos > end:
                raise _Slow
            # Records repeat field names: a name's bytes (length word and padding
            # included) seen and checked before decode to the same str.
            key = data[s - 4 : pos]
            name = names.get(key)
            if name is None:
                if n & 3 and data[s + n : pos] != pad[n & 3]:
                    raise _Slow
                name = names[key] = data[s : s + n].decode()
            kind = data[pos + 3]
            value: Any
            if kind == 7:  # STRING
                kind2, n = _i32_u32(data, pos)
                if kind2 != kind or n > _STRING_MAX:
                    raise _Slow
                s = pos + 8
                pos = s + ((n + 3) & -4)
                if pos > end or (n & 3 and data[s + n : pos] != pad[n & 3]):
                    raise _Slow
                value = data[s : s + n].decode()
                (n,) = u32(data, pos)
            else:
                unpack, size = by_type[kind]  # KeyError: not a known type
                kind2, value, n = unpack(data, pos)
                if kind2 != kind:
                    raise _Slow
                if kind == BOOLEAN:
                    value = 1 if value else 0
                pos += size
            if name in params:
                previous = params[name]
                if isinstance(previous, list):
                    previous.append(value)
                else:
                    params[name] = [previous, value]
            else:
                params[name] = value
        append({"dom": wrap(dom), "data": params})
    if pos > end:
        raise _Slow
    return out, pos
