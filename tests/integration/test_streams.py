"""Streams against a real libvirtd: volume upload/download (plain and sparse), aborts, a
daemon dying mid-stream, flow control, callbacks, screenshots; both runtimes."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import virtwire
from virtwire import Error
from virtwire.api._async import stream as async_stream
from virtwire.protocol import remote_gen as r

from .clients import new_stream, open_client, unwrap
from .daemon import Daemon

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEST_SCREENSHOT = Path("/usr/share/libvirt/test-screenshot.png")
MIB = 1024 * 1024
UPLOAD_SPARSE = 1  # VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM
DOWNLOAD_SPARSE = 1  # VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM


class Pool:
    """A ``dir`` pool in a temp directory and helpers to make its volumes."""

    def __init__(self, conn: Any, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.name = "vw-st-" + uuid.uuid4().hex[:8]
        xml = (
            f"<pool type='dir'><name>{self.name}</name>"
            f"<target><path>{path}</path></target></pool>"
        )
        self.ref = conn.call(
            "storage_pool_create_xml", r.remote_storage_pool_create_xml_args(xml=xml, flags=0)
        ).pool

    def volume(self, capacity: int, name: str | None = None) -> Any:
        name = name or "v-" + uuid.uuid4().hex[:8]
        xml = (
            f"<volume><name>{name}</name><capacity>{capacity}</capacity>"
            "<allocation>0</allocation>"
            "<target><format type='raw'/></target></volume>"
        )
        return self.conn.call(
            "storage_vol_create_xml",
            r.remote_storage_vol_create_xml_args(pool=self.ref, xml=xml, flags=0),
        ).vol

    def destroy(self) -> None:
        self.conn.call("storage_pool_destroy", r.remote_storage_pool_destroy_args(pool=self.ref))


@pytest.fixture
def storage(kind: str, storage_daemon: Daemon, tmp_path: Path) -> Iterator[tuple[Any, Pool]]:
    client = open_client(kind, storage_daemon.uri("storage"))
    pooldir = tmp_path / "pool"
    pooldir.mkdir()
    pool = Pool(client, pooldir)
    try:
        yield client, pool
    finally:
        try:
            pool.destroy()
        finally:
            client.close()


def upload(client: Any, kind: str, vol: Any, data: bytes, flags: int = 0) -> None:
    st = new_stream(client, kind)
    args = r.remote_storage_vol_upload_args(vol=vol, offset=0, length=len(data), flags=flags)
    st._open("storage_vol_upload", args)
    src = io.BytesIO(data)
    st.send_all(lambda _st, nbytes: src.read(nbytes))
    st.finish()


def download(client: Any, kind: str, vol: Any, length: int = 0) -> bytes:
    st = new_stream(client, kind)
    args = r.remote_storage_vol_download_args(vol=vol, offset=0, length=length, flags=0)
    st._open("storage_vol_download", args)
    out = io.BytesIO()
    st.recv_all(lambda _st, data, nbytes: out.write(data))
    st.finish()
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 262_143, 262_144, 262_145, 64 * MIB])
def test_upload_then_download_is_identical(
    kind: str, storage: tuple[Any, Pool], size: int
) -> None:
    client, pool = storage
    data = os.urandom(size)
    vol = pool.volume(size)
    upload(client, kind, vol, data)
    assert hashlib.sha256((pool.path / vol.name).read_bytes()).digest() == (
        hashlib.sha256(data).digest()
    )
    got = download(client, kind, vol)
    assert len(got) == size and got == data
    assert client.get_type() == "storage"  # the connection is still healthy


def test_recv_and_send_sys_virt_style(kind: str, storage: tuple[Any, Pool]) -> None:
    client, pool = storage
    data = os.urandom(300_000)
    vol = pool.volume(len(data))
    st = new_stream(client, kind)
    st._open(
        "storage_vol_upload",
        r.remote_storage_vol_upload_args(vol=vol, offset=0, length=len(data), flags=0),
    )
    assert st.send(data, 100_000) == 100_000
    assert st.send(data[100_000:]) == 200_000
    st.finish()
    with pytest.raises(Error) as info:
        st.send(b"more")
    assert info.value.code == Error.ERR_OPERATION_FAILED and "closed" in info.value.message

    st = new_stream(client, kind)
    st._open(
        "storage_vol_download",
        r.remote_storage_vol_download_args(vol=vol, offset=10, length=1000, flags=0),
    )
    buf = bytearray()
    parts = []
    while (n := st.recv(buf, 300)) != 0:
        assert n == len(buf) <= 300
        parts.append(bytes(buf))
    assert b"".join(parts) == data[10:1010]
    st.finish()


def _make_sparse(path: Path, size: int) -> list[tuple[int, bytes]]:
    extents = [(0, os.urandom(MIB)), (300 * MIB + 4096, os.urandom(4096)),
               (size - MIB, os.urandom(MIB))]
    with open(path, "wb") as f:
        f.truncate(size)
        for offset, blob in extents:
            f.seek(offset)
            f.write(blob)
    return extents


def _sections(fd: int, size: int) -> Callable[[Any], list[int]]:
    """A Sys::Virt ``hole_handler`` over a file: ``[in_data, section_len]`` at its position."""

    def hole_handler(_st: Any) -> list[int]:
        pos = os.lseek(fd, 0, os.SEEK_CUR)
        if pos >= size:
            return [0, 0]
        try:
            data = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole is left
            data = size
        os.lseek(fd, pos, os.SEEK_SET)
        if data > pos:
            return [0, data - pos]
        hole = os.lseek(fd, pos, os.SEEK_HOLE)
        os.lseek(fd, pos, os.SEEK_SET)
        return [1, hole - pos]

    return hole_handler


def _allocated(path: Path) -> int:
    return os.stat(path).st_blocks * 512


def test_sparse_1gib_round_trip_keeps_holes(
    kind: str, storage: tuple[Any, Pool], tmp_path: Path
) -> None:
    client, pool = storage
    size = 1024 * MIB
    src = tmp_path / "sparse.img"
    extents = _make_sparse(src, size)
    assert _allocated(src) < 8 * MIB
    vol = pool.volume(size)
    on_pool = pool.path / vol.name
    assert _allocated(on_pool) < MIB
    holes: list[int] = []

    st = new_stream(client, kind)
    st._open(
        "storage_vol_upload",
        r.remote_storage_vol_upload_args(vol=vol, offset=0, length=size, flags=UPLOAD_SPARSE),
    )
    fd = os.open(src, os.O_RDONLY)
    try:
        st.sparse_send_all(
            lambda _st, nbytes: os.read(fd, nbytes),
            _sections(fd, size),
            lambda _st, length: os.lseek(fd, length, os.SEEK_CUR) and 0,
        )
    finally:
        os.close(fd)
    st.finish()
    assert os.path.getsize(on_pool) == size
    assert _allocated(on_pool) < 16 * MIB

    dest = tmp_path / "back.img"
    st = new_stream(client, kind)
    st._open(
        "storage_vol_download",
        r.remote_storage_vol_download_args(vol=vol, offset=0, length=0, flags=DOWNLOAD_SPARSE),
    )
    with open(dest, "wb") as out:

        def on_hole(_st: Any, length: int) -> int:
            holes.append(length)
            out.seek(length, os.SEEK_CUR)
            return 0

        st.sparse_recv_all(lambda _st, data, nbytes: out.write(data), on_hole)
        out.truncate()
    st.finish()
    assert holes and sum(holes) > size - 16 * MIB
    assert os.path.getsize(dest) == size
    assert _allocated(dest) < 16 * MIB
    with open(dest, "rb") as f:
        for offset, blob in extents:
            f.seek(offset)
            assert f.read(len(blob)) == blob
        f.seek(512 * MIB)
        assert f.read(MIB) == bytes(MIB)


def test_holes_need_a_sparse_stream(kind: str, storage: tuple[Any, Pool]) -> None:
    client, pool = storage
    vol = pool.volume(MIB)
    st = new_stream(client, kind)
    st._open(
        "storage_vol_upload",
        r.remote_storage_vol_upload_args(vol=vol, offset=0, length=MIB, flags=0),
    )
    with pytest.raises(Error) as info:
        st.send_hole(4096)
    assert info.value.code == Error.ERR_OPERATION_INVALID
    assert "Skipping is not supported" in info.value.message
    st.abort()


def test_recv_stop_at_hole_and_in_data(kind: str, storage: tuple[Any, Pool]) -> None:
    client, pool = storage
    vol = pool.volume(4 * MIB)
    data = os.urandom(4096)
    st = new_stream(client, kind)
    st._open(
        "storage_vol_upload",
        r.remote_storage_vol_upload_args(vol=vol, offset=0, length=4096, flags=0),
    )
    st.send(data)
    st.finish()
    st = new_stream(client, kind)
    st._open(
        "storage_vol_download",
        r.remote_storage_vol_download_args(vol=vol, offset=0, length=0, flags=DOWNLOAD_SPARSE),
    )
    assert st.in_data() == [1, 4096]
    buf = bytearray()
    assert st.recv(buf, MIB, virtwire.Stream.RECV_STOP_AT_HOLE) == 4096
    assert bytes(buf) == data
    assert st.recv(buf, MIB, virtwire.Stream.RECV_STOP_AT_HOLE) == -3
    assert st.recv_hole() == 4 * MIB - 4096
    assert st.recv(buf, MIB) == 0
    st.finish()


def test_abort_mid_download_and_upload_leaves_daemon_healthy(
    kind: str, storage: tuple[Any, Pool]
) -> None:
    client, pool = storage
    size = 64 * MIB
    vol = pool.volume(size)
    upload(client, kind, vol, os.urandom(size))

    st = new_stream(client, kind)
    st._open(
        "storage_vol_download",
        r.remote_storage_vol_download_args(vol=vol, offset=0, length=0, flags=0),
    )
    buf = bytearray()
    assert st.recv(buf, 65536) > 0
    st.abort()
    st.abort()  # harmless twice
    with pytest.raises(Error):
        st.recv(buf, 65536)

    st = new_stream(client, kind)
    st._open(
        "storage_vol_upload",
        r.remote_storage_vol_upload_args(vol=vol, offset=0, length=size, flags=0),
    )
    st.send(os.urandom(MIB))
    st.abort()

    assert client.get_type() == "storage"
    assert len(download(client, kind, vol)) == size


def test_error_from_daemon_mid_upload(kind: str, storage: tuple[Any, Pool]) -> None:
    client, pool = storage
    vol = pool.volume(MIB)
    st = new_stream(client, kind)
    st._open(
        "storage_vol_upload",
        r.remote_storage_vol_upload_args(vol=vol, offset=0, length=1000, flags=0),
    )
    with pytest.raises(Error) as info:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            st.send(bytes(65536))
            time.sleep(0.01)
        st.finish()
    # the daemon's write failure, sent back mid-transfer, as virsh would report it
    assert info.value.code == Error.ERR_SYSTEM_ERROR
    assert info.value.domain == Error.FROM_STREAMS
    assert "cannot write to stream" in info.value.message
    assert client.get_type() == "storage"


def test_daemon_killed_mid_stream_fails_promptly(
    kind: str, daemon_factory: Callable[..., Daemon], tmp_path: Path
) -> None:
    d = daemon_factory(drivers=("storage",))
    client = open_client(kind, d.uri("storage"))
    try:
        pooldir = tmp_path / "killpool"
        pooldir.mkdir()
        pool = Pool(client, pooldir)
        size = 64 * MIB
        vol = pool.volume(size)
        with open(pooldir / vol.name, "wb") as f:
            f.write(os.urandom(size))
        st = new_stream(client, kind)
        st._open(
            "storage_vol_download",
            r.remote_storage_vol_download_args(vol=vol, offset=0, length=0, flags=0),
        )
        buf = bytearray()
        assert st.recv(buf, 65536) > 0
        d.kill()
        start = time.monotonic()
        with pytest.raises(Error) as info:
            while st.recv(buf, MIB) > 0:
                pass
        assert time.monotonic() - start < 10
        assert isinstance(info.value, virtwire.ConnectionClosedError)
        st.abort()  # harmless on a failed stream
        assert not client.is_alive()
    finally:
        client.close()


def test_queue_is_bounded_while_nobody_reads(kind: str, storage: tuple[Any, Pool]) -> None:
    client, pool = storage
    size = 64 * MIB
    vol = pool.volume(size)
    data = os.urandom(size)
    upload(client, kind, vol, data)
    st = new_stream(client, kind)
    st._open(
        "storage_vol_download",
        r.remote_storage_vol_download_args(vol=vol, offset=0, length=0, flags=0),
    )
    time.sleep(1.5)  # let the connection read as much as it will
    inner = unwrap(st)
    limit = async_stream.QUEUE_HIGH + 2 * 262_148
    assert inner._queued <= limit
    h = hashlib.sha256()
    buf = bytearray()
    while st.recv(buf, MIB) > 0:
        h.update(buf)
        assert inner._queued <= limit
    st.finish()
    assert h.digest() == hashlib.sha256(data).digest()


def test_upload_leaves_nothing_queued_between_packets(
    kind: str, storage: tuple[Any, Pool]
) -> None:
    """Each packet is written (or waited for) before the source is asked for the next one:
    an upload never piles up in memory, whatever the runtime."""
    client, pool = storage
    size = 64 * MIB
    vol = pool.volume(size)
    core = client.runtime.core
    block = os.urandom(262_120)
    queued: list[bool] = []
    left = size

    def source(_st: Any, nbytes: int) -> bytes:
        nonlocal left
        queued.append(core.has_output)
        n = min(nbytes, left, len(block))
        left -= n
        return block[:n]

    st = new_stream(client, kind)
    st._open(
        "storage_vol_upload",
        r.remote_storage_vol_upload_args(vol=vol, offset=0, length=size, flags=0),
    )
    st.send_all(source)
    st.finish()
    assert left == 0 and len(queued) > 256
    assert not any(queued), f"{sum(queued)} of {len(queued)} packets found output queued"


def test_unopened_stream_and_misuse(kind: str, storage: tuple[Any, Pool]) -> None:
    client, _ = storage
    st = new_stream(client, kind)
    with pytest.raises(Error) as info:
        st.recv(bytearray(), 10)
    assert info.value.code == Error.ERR_NO_SUPPORT
    with pytest.raises(Error) as info:
        st.finish()
    assert info.value.code == Error.ERR_NO_SUPPORT
    st.abort()  # an unused stream aborts quietly, as libvirt's does
    nb = new_stream(client, kind, 1)  # NONBLOCK
    with pytest.raises(Error):
        nb.recv_all(lambda _st, data, n: n)  # not open yet
    with pytest.raises(Error):
        client.call("storage_vol_download", None)


@pytest.mark.parametrize("kind", ["sync"])
def test_nonblocking_stream_with_readable_callback(kind: str, storage: tuple[Any, Pool]) -> None:
    client, pool = storage
    size = 3 * MIB + 5
    data = os.urandom(size)
    vol = pool.volume(size)
    upload(client, "sync", vol, data)
    st = client.new_stream(1)  # NONBLOCK
    st._open(
        "storage_vol_download",
        r.remote_storage_vol_download_args(vol=vol, offset=0, length=0, flags=0),
    )
    got: list[bytes] = []
    results: list[int] = []
    done = threading.Event()

    def on_event(stream: Any, events: int) -> None:
        assert events & 1  # EVENT_READABLE
        buf = bytearray()
        while True:
            n = stream.recv(buf, MIB)
            results.append(n)
            if n == -2:
                return
            if n == 0:
                stream.remove_callback()
                done.set()
                return
            got.append(bytes(buf))

    st.add_callback(1, on_event)
    with pytest.raises(Error) as info:
        st.add_callback(1, on_event)
    assert "multiple stream callbacks" in info.value.message
    assert done.wait(30)
    st.finish()
    assert b"".join(got) == data
    with pytest.raises(Error) as info:
        st.recv_all(lambda _st, d, n: n)
    assert info.value.code == Error.ERR_OPERATION_INVALID


@pytest.mark.parametrize("kind", ["async"])
def test_async_for_and_write(kind: str, storage: tuple[Any, Pool]) -> None:
    client, pool = storage
    data = os.urandom(MIB + 77)
    vol = pool.volume(len(data))

    async def go(conn: Any) -> bytes:
        st = conn.new_stream()
        await st._open(
            "storage_vol_upload",
            r.remote_storage_vol_upload_args(vol=vol, offset=0, length=len(data), flags=0),
        )
        await st.write(data)
        await st.finish()
        st = virtwire.aio.Stream(conn)
        await st._open(
            "storage_vol_download",
            r.remote_storage_vol_download_args(vol=vol, offset=0, length=0, flags=0),
        )
        parts = [chunk async for chunk in st]
        await st.finish()
        return b"".join(parts)

    assert client.run(go) == data


@pytest.mark.parametrize("kind", ["sync"])
def test_iterating_a_blocking_stream(kind: str, storage: tuple[Any, Pool]) -> None:
    client, pool = storage
    data = os.urandom(MIB + 3)
    vol = pool.volume(len(data))
    upload(client, "sync", vol, data)
    st = virtwire.Stream(client)
    st._open(
        "storage_vol_download",
        r.remote_storage_vol_download_args(vol=vol, offset=0, length=0, flags=0),
    )
    assert b"".join(st) == data
    st.finish()


def test_screenshot_on_test_driver(kind: str, daemon: Daemon) -> None:
    client = open_client(kind, daemon.uri())
    try:
        dom = client.call(
            "domain_lookup_by_name", r.remote_domain_lookup_by_name_args(name="test")
        ).dom
        st = new_stream(client, kind)
        ret = st._open("domain_screenshot", r.remote_domain_screenshot_args(dom=dom, screen=0,
                                                                           flags=0))
        assert ret.mime == "image/png"
        out = io.BytesIO()
        st.recv_all(lambda _st, data, nbytes: out.write(data))
        st.finish()
        png = out.getvalue()
        assert png.startswith(PNG_SIGNATURE)
        if TEST_SCREENSHOT.exists():
            assert png == TEST_SCREENSHOT.read_bytes()
        # the Domain class's method, over the same wire path
        domain_cls = virtwire.Domain if kind == "sync" else virtwire.aio.Domain
        st = new_stream(client, kind)
        obj = domain_cls(client if kind == "sync" else client.conn, dom)
        if kind == "sync":
            mime = obj.screenshot(st, 0)
        else:
            mime = client.loop_thread.run(obj.screenshot(unwrap(st), 0))
        assert mime == "image/png"
        out = io.BytesIO()
        st.recv_all(lambda _st, data, nbytes: out.write(data))
        st.finish()
        assert out.getvalue() == png
    finally:
        client.close()
