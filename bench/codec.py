"""Codec benchmark: generated codecs against the same encodings written on xdrlib3.

Run: ``python bench/codec.py [--no-gc]``.  Prints µs per message, MB/s and
the ratio (xdrlib3 time / virtwire time) for encode and decode, then the
import time of ``virtwire`` and of the largest generated module.

Decoding the large messages allocates tens of thousands of objects.  The
cyclic garbage collector would charge time for each; virtwire's ``decode``
pauses it for messages of 64 KiB or more, while xdrlib3 pays it.
``--no-gc`` pauses the collector for both sides while timing, as ``timeit``
does, to compare the codecs alone.
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xdrlib3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from virtwire.protocol import remote_gen as r  # noqa: E402
from virtwire.xdr import decode, encode  # noqa: E402

# -- workloads ---------------------------------------------------------------


def domains(n: int) -> list[r.remote_nonnull_domain]:
    return [r.remote_nonnull_domain(f"domain-{i:05d}", uuid.UUID(int=i).bytes, i) for i in range(n)]


def typed_params(record: int) -> list[r.remote_typed_param]:
    params = []
    for k in range(40):
        kind = k % 7 + 1
        value: Any = {
            1: -k,
            2: k * 1000,
            3: -(2**40) - k,
            4: 2**50 + record,
            5: k / 3.0,
            6: k & 1,
            7: f"vda-{record}-{k}",
        }[kind]
        params.append(
            r.remote_typed_param(f"block.{k}.stat", r.remote_typed_param_value(kind, value))
        )
    return params


LIST_ALL = r.remote_connect_list_all_domains_ret(domains(10_000), 10_000)
STATS = r.remote_connect_get_all_domain_stats_ret(
    [r.remote_domain_stats_record(d, typed_params(i)) for i, d in enumerate(domains(1_000))]
)
LOOKUP = r.remote_domain_lookup_by_name_args("a-domain-name")

# -- the same encodings on xdrlib3 -------------------------------------------


def _x_pack_domain(p: xdrlib3.Packer, d: r.remote_nonnull_domain) -> None:
    p.pack_string(d.name.encode())
    p.pack_fopaque(16, d.uuid)
    p.pack_int(d.id)


def _x_unpack_domain(u: xdrlib3.Unpacker) -> r.remote_nonnull_domain:
    return r.remote_nonnull_domain(u.unpack_string().decode(), u.unpack_fopaque(16), u.unpack_int())


def x_pack_list_all(v: r.remote_connect_list_all_domains_ret) -> bytes:
    p = xdrlib3.Packer()
    p.pack_array(v.domains, lambda d: _x_pack_domain(p, d))
    p.pack_uint(v.ret)
    return p.get_buffer()


def x_unpack_list_all(data: bytes) -> r.remote_connect_list_all_domains_ret:
    u = xdrlib3.Unpacker(data)
    doms = u.unpack_array(lambda: _x_unpack_domain(u))
    ret = u.unpack_uint()
    u.done()
    return r.remote_connect_list_all_domains_ret(doms, ret)


def _x_pack_param(p: xdrlib3.Packer, t: r.remote_typed_param) -> None:
    p.pack_string(t.field.encode())
    kind, value = t.value.type, t.value.value
    p.pack_int(kind)
    if kind in (1, 6):
        p.pack_int(value)
    elif kind == 2:
        p.pack_uint(value)
    elif kind == 3:
        p.pack_hyper(value)
    elif kind == 4:
        p.pack_uhyper(value)
    elif kind == 5:
        p.pack_double(value)
    else:
        p.pack_string(value.encode())


def _x_unpack_param(u: xdrlib3.Unpacker) -> r.remote_typed_param:
    field = u.unpack_string().decode()
    kind = u.unpack_int()
    value: Any
    if kind in (1, 6):
        value = u.unpack_int()
    elif kind == 2:
        value = u.unpack_uint()
    elif kind == 3:
        value = u.unpack_hyper()
    elif kind == 4:
        value = u.unpack_uhyper()
    elif kind == 5:
        value = u.unpack_double()
    else:
        value = u.unpack_string().decode()
    return r.remote_typed_param(field, r.remote_typed_param_value(kind, value))


def x_pack_stats(v: r.remote_connect_get_all_domain_stats_ret) -> bytes:
    p = xdrlib3.Packer()

    def record(rec: r.remote_domain_stats_record) -> None:
        _x_pack_domain(p, rec.dom)
        p.pack_array(rec.params, lambda t: _x_pack_param(p, t))

    p.pack_array(v.retStats, record)
    return p.get_buffer()


def x_unpack_stats(data: bytes) -> r.remote_connect_get_all_domain_stats_ret:
    u = xdrlib3.Unpacker(data)

    def record() -> r.remote_domain_stats_record:
        dom = _x_unpack_domain(u)
        return r.remote_domain_stats_record(dom, u.unpack_array(lambda: _x_unpack_param(u)))

    stats = u.unpack_array(record)
    u.done()
    return r.remote_connect_get_all_domain_stats_ret(stats)


def x_pack_lookup(v: r.remote_domain_lookup_by_name_args) -> bytes:
    p = xdrlib3.Packer()
    p.pack_string(v.name.encode())
    return p.get_buffer()


def x_unpack_lookup(data: bytes) -> r.remote_domain_lookup_by_name_args:
    u = xdrlib3.Unpacker(data)
    name = u.unpack_string().decode()
    u.done()
    return r.remote_domain_lookup_by_name_args(name)


# -- timing --------------------------------------------------------------------


PAUSE_GC = "--no-gc" in sys.argv[1:]


def best(fn: Callable[[], object], rounds: int, number: int) -> float:
    """Best seconds per call over ``rounds`` rounds of ``number`` calls."""
    gc.collect()
    if PAUSE_GC:
        gc.disable()
    times = []
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times.append((time.perf_counter() - start) / number)
    finally:
        gc.enable()
    return min(times)


def row(label: str, ours: float, theirs: float, size: int) -> None:
    mbs = size / ours / 1e6
    print(
        f"  {label:<7} virtwire {ours * 1e6:11.1f} µs/msg {mbs:8.1f} MB/s"
        f"   xdrlib3 {theirs * 1e6:11.1f} µs/msg   ratio {theirs / ours:5.2f}x"
    )


def case(
    title: str,
    value: Any,
    pack: Callable[..., None],
    unpack: Callable[..., Any],
    x_pack: Callable[[Any], bytes],
    x_unpack: Callable[[bytes], Any],
    rounds: int,
    number: int,
) -> None:
    data = encode(pack, value)
    assert data == x_pack(value), "xdrlib3 encoding differs"
    assert decode(unpack, data) == value == x_unpack(data)
    print(f"{title}  ({len(data):,} bytes)")
    enc = best(lambda: encode(pack, value), rounds, number)
    x_enc = best(lambda: x_pack(value), rounds, number)
    row("encode", enc, x_enc, len(data))
    dec = best(lambda: decode(unpack, data), rounds, number)
    x_dec = best(lambda: x_unpack(data), rounds, number)
    row("decode", dec, x_dec, len(data))


def import_ms(module: str) -> float:
    """Cumulative import time of ``module`` in a fresh interpreter (bytecode cached)."""
    cmd = [sys.executable, "-X", "importtime", "-c", f"import {module}"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(cmd, capture_output=True, check=True, env=env)  # warm the bytecode cache
    err = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stderr
    for line in reversed(err.splitlines()):
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if m and m.group(3) == module:
            return int(m.group(1)) / 1000
    raise RuntimeError(f"no import time for {module}")


def main() -> None:
    if PAUSE_GC:
        print("(garbage collector paused while timing)")
    case(
        "(a) remote_connect_list_all_domains_ret, 10,000 domains",
        LIST_ALL,
        r.pack_remote_connect_list_all_domains_ret,
        r.unpack_remote_connect_list_all_domains_ret,
        x_pack_list_all,
        x_unpack_list_all,
        rounds=7,
        number=3,
    )
    case(
        "(b) remote_connect_get_all_domain_stats_ret, 1,000 records x 40 typed params",
        STATS,
        r.pack_remote_connect_get_all_domain_stats_ret,
        r.unpack_remote_connect_get_all_domain_stats_ret,
        x_pack_stats,
        x_unpack_stats,
        rounds=5,
        number=2,
    )
    case(
        "(c) remote_domain_lookup_by_name_args",
        LOOKUP,
        r.pack_remote_domain_lookup_by_name_args,
        r.unpack_remote_domain_lookup_by_name_args,
        x_pack_lookup,
        x_unpack_lookup,
        rounds=7,
        number=20_000,
    )
    print(f"import virtwire: {import_ms('virtwire'):.1f} ms")
    print(
        f"import virtwire.protocol.remote_gen: {import_ms('virtwire.protocol.remote_gen'):.1f} ms"
    )


if __name__ == "__main__":
    main()
