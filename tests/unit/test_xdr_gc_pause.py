"""The collector pause: nests, spans threads, restores the state it found."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from virtwire.xdr import GC_PAUSE_MIN_BYTES, decode, gc_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_pauses_and_restores() -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restores_after_an_error() -> None:
    with pytest.raises(KeyError), gc_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_nested_pauses_end_with_the_outermost() -> None:
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_disabled_beforehand_stays_disabled() -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_pauses_in_threads() -> None:
    # A enters, B enters, A leaves (still paused for B), B leaves (collector back on).
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def a() -> None:
        with gc_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with gc_paused():
            b_in.set()
            a_out.wait(5)
            seen["after A left"] = gc.isenabled()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"after A left": False}
    assert gc.isenabled()


def test_many_threads_leave_the_collector_on() -> None:
    start = threading.Barrier(8)

    def work() -> None:
        start.wait(5)
        for _ in range(200):
            with gc_paused(), gc_paused():
                pass

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.isenabled()


def _probe(buf: bytes | memoryview, pos: int) -> tuple[bool, int]:
    """A stand-in decoder reporting whether the collector ran while it did."""
    return gc.isenabled(), len(buf)


def test_decode_pauses_only_for_large_messages() -> None:
    assert decode(_probe, bytes(GC_PAUSE_MIN_BYTES - 1)) is True
    assert decode(_probe, bytes(GC_PAUSE_MIN_BYTES)) is False
    assert decode(_probe, memoryview(bytes(GC_PAUSE_MIN_BYTES))) is False
    assert gc.isenabled()
