"""Opening, calling and closing against a real libvirtd, over every transport, both runtimes."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

import virtwire
from virtwire import Error

from .clients import open_client
from .daemon import Daemon, free_ports
from .pki import PkiFiles
from .sshd import Sshd


def _check_test_driver(conn: Any) -> None:
    assert conn.get_type() == "TEST"
    assert conn.get_hostname()
    assert conn.get_library_version() >= 9_000_000
    assert "<capabilities>" in conn.get_capabilities()
    assert conn.is_alive()


def test_unix_rw(kind: str, daemon: Daemon) -> None:
    conn = open_client(kind, daemon.uri())
    try:
        _check_test_driver(conn)
        assert conn.get_uri() == "test:///default"
        assert conn.is_secure() is True
        assert conn.is_encrypted() is False
    finally:
        conn.close()
    assert not conn.is_alive()


def test_unix_readonly_refuses_writes(kind: str, daemon: Daemon) -> None:
    conn = open_client(kind, daemon.uri(readonly=True), readonly=True)
    try:
        _check_test_driver(conn)
        from virtwire.protocol import remote_gen as r

        dom = conn.call("domain_lookup_by_name", r.remote_domain_lookup_by_name_args(name="test"))
        with pytest.raises(Error) as info:
            conn.call("domain_suspend", r.remote_domain_suspend_args(dom=dom.dom))
        assert info.value.code == Error.ERR_OPERATION_DENIED
    finally:
        conn.close()


def test_tcp(kind: str, daemon: Daemon) -> None:
    conn = open_client(kind, daemon.uri(transport="tcp"))
    try:
        _check_test_driver(conn)
        assert conn.is_secure() is False
    finally:
        conn.close()


def test_tls(kind: str, daemon: Daemon) -> None:
    pkipath = str(daemon.tls.client_pkipath)
    conn = open_client(kind, daemon.uri(transport="tls", params={"pkipath": pkipath}))
    try:
        _check_test_driver(conn)
        assert conn.is_secure() is True
        assert conn.is_encrypted() is True
    finally:
        conn.close()


def test_tls_wrong_ca_is_refused(daemon: Daemon, pki: PkiFiles) -> None:
    uri = daemon.uri(transport="tls", params={"pkipath": str(pki.wrong_ca_pkipath)})
    with pytest.raises(virtwire.TransportError) as info:
        virtwire.Connection(uri)
    assert "certificate" in str(info.value).lower()


def test_tls_wrong_host_name_is_refused_unless_no_verify(
    daemon_factory: Any, pki: PkiFiles
) -> None:
    d = daemon_factory(tls=pki.with_wrong_host())
    uri = d.uri(transport="tls", params={"pkipath": str(pki.client_pkipath)})
    with pytest.raises(virtwire.TransportError) as info:
        virtwire.Connection(uri)
    assert "localhost" in str(info.value) or "host" in str(info.value).lower()
    conn = virtwire.Connection(
        d.uri(transport="tls", params={"pkipath": str(pki.client_pkipath), "no_verify": "1"})
    )
    try:
        _check_test_driver(conn)
    finally:
        conn.close()


def test_ssh(kind: str, daemon: Daemon, sshd: Sshd) -> None:
    conn = open_client(kind, sshd.uri(daemon))
    try:
        _check_test_driver(conn)
    finally:
        conn.close()


def test_ssh_with_keyfile_and_known_hosts(daemon: Daemon, sshd: Sshd) -> None:
    conn = virtwire.Connection(sshd.uri(daemon, transport="libssh2"))
    try:
        _check_test_driver(conn)
    finally:
        conn.close()


def test_ext(kind: str, daemon: Daemon, tmp_path: Path) -> None:
    script = tmp_path / "tunnel.sh"
    script.write_text(f"#!/bin/sh\nexec nc -U {daemon.sock}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    conn = open_client(kind, f"test+ext:///default?command={quote(str(script))}")
    try:
        _check_test_driver(conn)
    finally:
        conn.close()


def test_remote_error_carries_libvirt_code_and_domain(kind: str, test_uri: str) -> None:
    from virtwire.protocol import remote_gen as r

    conn = open_client(kind, test_uri)
    try:
        with pytest.raises(Error) as info:
            conn.call("domain_lookup_by_name", r.remote_domain_lookup_by_name_args(name="nope"))
        err = info.value
        assert err.code == Error.ERR_NO_DOMAIN
        assert err.domain == Error.FROM_TEST
        assert err.message.startswith("Domain not found")
        assert conn.is_alive()  # an error reply leaves the connection usable
    finally:
        conn.close()


def test_unknown_procedure_is_not_supported(kind: str, test_uri: str) -> None:
    conn = open_client(kind, test_uri)
    try:
        with pytest.raises(Error) as info:
            conn.call(453)  # DOMAIN_EVENT_NIC_MAC_CHANGE: newer than the daemon here
        assert info.value.code in (Error.ERR_NO_SUPPORT, Error.ERR_RPC)
        assert conn.is_alive()
    finally:
        conn.close()


def test_many_threads_share_one_blocking_connection(test_uri: str) -> None:
    conn = virtwire.Connection(test_uri)
    errors: list[BaseException] = []
    results: list[str] = []

    def work() -> None:
        try:
            for _ in range(200):
                results.append(conn.get_type())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    conn.close()
    assert not errors
    assert results == ["TEST"] * 1600


def test_asyncio_calls_in_flight_together(test_uri: str) -> None:
    import asyncio

    async def main() -> list[str]:
        async with virtwire.aio.Connection(test_uri) as conn:
            return list(await asyncio.gather(*(conn.get_type() for _ in range(500))))

    assert asyncio.run(main()) == ["TEST"] * 500


def test_call_timeout_and_late_reply_discarded(kind: str, tmp_daemon: Daemon) -> None:
    conn = open_client(kind, tmp_daemon.uri(), keepalive=None)
    try:
        tmp_daemon.pause()
        start = time.monotonic()
        with pytest.raises(virtwire.CallTimeoutError):
            conn.call("connect_get_type", timeout=0.5)
        assert time.monotonic() - start < 3
        tmp_daemon.resume()
        # the late reply of the timed-out call arrives and is dropped
        assert conn.get_type() == "TEST"
        assert conn.get_hostname()
    finally:
        tmp_daemon.resume()
        conn.close()


def test_asyncio_cancellation_leaves_connection_usable(tmp_daemon: Daemon) -> None:
    import asyncio

    async def main() -> str:
        async with virtwire.aio.Connection(tmp_daemon.uri(), keepalive=None) as conn:
            tmp_daemon.pause()
            task = asyncio.ensure_future(conn.get_type())
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            tmp_daemon.resume()
            return await conn.get_type()

    try:
        assert asyncio.run(main()) == "TEST"
    finally:
        tmp_daemon.resume()


def test_daemon_killed_mid_call_fails_promptly(kind: str, tmp_daemon: Daemon) -> None:
    reasons: list[int] = []
    conn = open_client(kind, tmp_daemon.uri())
    conn.register_close_callback(lambda c, reason: reasons.append(reason))
    tmp_daemon.pause()
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            conn.get_type()
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.3)
    killed = time.monotonic()
    tmp_daemon.kill()
    t.join(5)
    assert not t.is_alive()
    assert time.monotonic() - killed < 1.5
    assert len(outcome) == 1 and isinstance(outcome[0], virtwire.ConnectionClosedError)
    deadline = time.monotonic() + 2
    while not reasons and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reasons == [virtwire.CLOSE_REASON_EOF]
    assert not conn.is_alive()
    with pytest.raises(virtwire.ConnectionClosedError):
        conn.get_type()
    conn.close()
    assert reasons == [virtwire.CLOSE_REASON_EOF]  # fired once


def test_keepalive_closes_a_silent_peer(kind: str, tmp_daemon: Daemon) -> None:
    reasons: list[int] = []
    conn = open_client(kind, tmp_daemon.uri())
    try:
        conn.register_close_callback(lambda c, reason: reasons.append(reason))
        conn.set_keep_alive(0.3, 2)
        tmp_daemon.pause()
        deadline = time.monotonic() + 5
        while conn.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not conn.is_alive()
        while not reasons and time.monotonic() < deadline:
            time.sleep(0.02)
        assert reasons == [virtwire.CLOSE_REASON_KEEPALIVE]
        with pytest.raises(virtwire.ConnectionClosedError) as info:
            conn.get_type()
        assert "keepalive" in str(info.value)
    finally:
        tmp_daemon.resume()
        conn.close()


def test_keepalive_keeps_an_idle_healthy_connection(kind: str, test_uri: str) -> None:
    conn = open_client(kind, test_uri)
    try:
        conn.set_keep_alive(0.2, 1)
        time.sleep(1.5)  # many intervals: pings must be answered by the daemon
        assert conn.is_alive()
        assert conn.get_type() == "TEST"
    finally:
        conn.close()


def test_close_callback_reports_client_close(kind: str, test_uri: str) -> None:
    reasons: list[int] = []
    conn = open_client(kind, test_uri)
    conn.register_close_callback(lambda c, reason: reasons.append(reason))
    conn.close()
    deadline = time.monotonic() + 2
    while not reasons and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reasons == [virtwire.CLOSE_REASON_CLIENT]


def test_unregistered_close_callback_is_not_called(test_uri: str) -> None:
    reasons: list[int] = []
    conn = virtwire.Connection(test_uri)
    conn.register_close_callback(lambda c, reason: reasons.append(reason))
    conn.unregister_close_callback()
    conn.close()
    time.sleep(0.1)
    assert reasons == []


def test_context_managers(test_uri: str) -> None:
    import asyncio

    with virtwire.Connection(test_uri) as conn:
        assert conn.get_type() == "TEST"
    assert not conn.is_alive()

    async def main() -> bool:
        async with virtwire.aio.Connection(test_uri) as aconn:
            assert await aconn.get_type() == "TEST"
        return aconn.is_alive()

    assert asyncio.run(main()) is False


def test_connection_refused_names_the_address() -> None:
    (port,) = free_ports(1)
    with pytest.raises(virtwire.TransportError) as info:
        virtwire.Connection(f"test+tcp://127.0.0.1:{port}/default")
    assert str(port) in str(info.value)


def test_missing_socket_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "no-such-sock"
    with pytest.raises(virtwire.TransportError) as info:
        virtwire.Connection(f"test+unix:///default?socket={path}")
    assert str(path) in str(info.value)


def test_use_after_fork_fails_clearly(test_uri: str) -> None:
    conn = virtwire.Connection(test_uri)
    try:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            code = 3
            try:
                conn.get_type()
            except virtwire.LocalProtocolError as exc:
                code = 0 if "fork" in str(exc) else 1
            except BaseException:  # noqa: BLE001
                code = 2
            os.write(w, bytes([code]))
            os._exit(0)
        os.close(w)
        result = os.read(r, 1)
        os.close(r)
        os.waitpid(pid, 0)
        assert result == b"\0"
        assert conn.get_type() == "TEST"  # the parent's connection is untouched
    finally:
        conn.close()


def test_events_are_dispatched_in_order(kind: str, test_uri: str) -> None:
    """Lifecycle events through the server-side callback procedures, at RPC level."""
    from virtwire.protocol import remote_gen as r

    xml = (
        "<domain type='test'><name>{}</name><memory>1024</memory><os><type>hvm</type></os>"
        "</domain>"
    )
    seen: list[tuple[str, int]] = []
    done = threading.Event()
    conn = open_client(kind, test_uri)
    try:
        ret = conn.call(
            "connect_domain_event_callback_register_any",
            r.remote_connect_domain_event_callback_register_any_args(eventID=0, dom=None),
        )

        def on_message(msg: Any) -> None:
            seen.append((msg.value.msg.dom.name, int(msg.value.msg.event)))
            if len(seen) == 40:
                done.set()

        conn.runtime.set_message_handler(
            r.REMOTE_PROGRAM,
            int(r.remote_procedure.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE),
            on_message,
        )
        for i in range(20):
            name = f"evt-{kind}-{i}"
            conn.call("domain_create_xml",
                      r.remote_domain_create_xml_args(xml_desc=xml.format(name), flags=0))
            dom = conn.call("domain_lookup_by_name", r.remote_domain_lookup_by_name_args(name=name))
            conn.call("domain_destroy", r.remote_domain_destroy_args(dom=dom.dom))
        assert done.wait(10), seen
        started, stopped = 2, 5  # VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STOPPED
        expected = []
        for i in range(20):
            expected += [(f"evt-{kind}-{i}", started), (f"evt-{kind}-{i}", stopped)]
        assert seen == expected
        conn.call(
            "connect_domain_event_callback_deregister_any",
            r.remote_connect_domain_event_callback_deregister_any_args(callbackID=ret.callbackID),
        )
    finally:
        conn.close()


def test_shutdown_wakes_a_thread_blocked_in_a_call(kind: str, tmp_daemon: Daemon) -> None:
    conn = open_client(kind, tmp_daemon.uri(), keepalive=None)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            conn.get_type()
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    tmp_daemon.pause()
    try:
        t = threading.Thread(target=call)
        t.start()
        time.sleep(0.3)
        start = time.monotonic()
        if kind == "sync":
            conn.runtime.shutdown()
        else:
            conn.loop_thread.loop.call_soon_threadsafe(conn.conn.runtime.shutdown)
        t.join(5)
        assert not t.is_alive() and time.monotonic() - start < 2
        assert len(outcome) == 1 and isinstance(outcome[0], virtwire.ConnectionClosedError)
        assert not conn.is_alive()
    finally:
        tmp_daemon.resume()
        conn.close()


def test_dropped_connection_releases_its_thread_and_socket(test_uri: str) -> None:
    import gc

    before = {t.ident for t in threading.enumerate()}
    conn = virtwire.Connection(test_uri)
    assert conn.get_type() == "TEST"
    thread = next(t for t in threading.enumerate() if t.ident not in before)
    sock = conn.runtime.transport.sock
    del conn
    gc.collect()
    thread.join(5)
    assert not thread.is_alive()
    assert sock.fileno() == -1  # closed


# -- spin-waiting (blocking runtime) ----------------------------------------------


class _CountingSpins:
    """Wraps a runtime's ``_spin`` to count spins and the ones that got bytes."""

    def __init__(self, rt: Any) -> None:
        self.spins = self.hits = 0
        self.company: list[int] = []  # calls waiting on the connection as each spin starts
        self.seconds: list[float] = []  # how long each spin took
        self._rt = rt
        self._spin = rt._spin
        rt._spin = self

    def __call__(self) -> bytes | None:
        self.spins += 1
        self.company.append(self._rt._callers)
        start = time.monotonic()
        data = self._spin()
        self.seconds.append(time.monotonic() - start)
        self.hits += data is not None
        return data  # type: ignore[no-any-return]


def test_spin_wait_defaults_by_transport(daemon: Daemon) -> None:
    from virtwire.api._sync.runtime import SPIN_WAIT

    expected = SPIN_WAIT if (os.cpu_count() or 1) >= 2 else 0.0
    with virtwire.Connection(daemon.uri()) as conn:
        assert conn.runtime.spin_wait == expected
    with virtwire.Connection(daemon.uri(transport="tcp")) as conn:
        assert conn.runtime.spin_wait == 0.0
    with virtwire.Connection(daemon.uri(), spin_wait=0) as conn:
        assert conn.runtime.spin_wait == 0.0
        assert conn.get_type() == "TEST"


@pytest.mark.parametrize("timeout", [None, 30.0])
def test_lone_calls_spin_for_their_replies(daemon: Daemon, timeout: float | None) -> None:
    with virtwire.Connection(daemon.uri(), spin_wait=0.05, timeout=timeout) as conn:
        counter = _CountingSpins(conn.runtime)
        names = [conn.get_hostname() for _ in range(50)]
        assert len(set(names)) == 1 and names[0]
        assert counter.spins >= 50 and counter.hits >= 25  # a 50 ms spin sees most replies
        assert conn.runtime._spin_pause == 0


def test_spins_that_see_nothing_pause_spinning(tmp_daemon: Daemon) -> None:
    from virtwire.api._sync.runtime import SPIN_MISSES, SPIN_PAUSE

    with virtwire.Connection(tmp_daemon.uri(), spin_wait=1e-6, keepalive=None) as conn:
        counter = _CountingSpins(conn.runtime)
        for _ in range(SPIN_MISSES):
            tmp_daemon.pause()  # no reply can come within the spin
            threading.Timer(0.1, tmp_daemon.resume).start()
            assert conn.get_type() == "TEST"
        assert counter.spins == SPIN_MISSES and counter.hits == 0
        assert conn.runtime._spin_pause == SPIN_PAUSE
        conn.get_type()
        assert counter.spins == SPIN_MISSES  # paused
        assert conn.runtime._spin_pause == SPIN_PAUSE - 1
        conn.runtime.spin_wait = 0.05  # setting it judges the daemon afresh
        assert conn.runtime._spin_pause == 0
        conn.get_type()
        assert counter.spins == SPIN_MISSES + 1


def test_a_call_made_while_another_waits_does_not_spin(tmp_daemon: Daemon) -> None:
    with virtwire.Connection(tmp_daemon.uri(), spin_wait=5, keepalive=None) as conn:
        warmed, go = threading.Event(), threading.Event()
        first: list[str] = []

        def reader() -> None:
            conn.get_type()
            conn.get_type()  # calls in a row from this thread: its next one may spin
            warmed.set()
            go.wait(10)
            first.append(conn.get_type())

        thread = threading.Thread(target=reader)
        thread.start()
        assert warmed.wait(10)
        counter = _CountingSpins(conn.runtime)
        tmp_daemon.pause()
        go.set()  # the reader calls alone: spins
        time.sleep(0.2)
        threading.Timer(0.3, tmp_daemon.resume).start()
        assert conn.get_hostname()  # company: the spin stops, and this call does not spin
        thread.join(10)
        assert first == ["TEST"]
        assert counter.spins >= 1 and set(counter.company) == {1}
        assert counter.hits < counter.spins and counter.seconds[0] < 0.3  # cut short


def test_threads_taking_turns_do_not_spin(daemon: Daemon) -> None:
    with virtwire.Connection(daemon.uri(), spin_wait=0.05) as conn:
        counter = _CountingSpins(conn.runtime)
        turn = threading.Semaphore(1)
        names: list[str] = []

        def work() -> None:
            for _ in range(20):
                with turn:  # one call at a time, but from changing threads
                    names.append(conn.get_type())
                time.sleep(0.001)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert names == ["TEST"] * 60
        assert counter.spins < 20  # only when one thread happened to call three in a row
        conn.get_type()
        conn.get_type()
        conn.get_type()  # the third in a row from this thread
        assert counter.spins >= 1


def test_spin_wait_set_on_a_tls_connection_is_ignored(daemon: Daemon) -> None:
    pkipath = str(daemon.tls.client_pkipath)
    uri = daemon.uri(transport="tls", params={"pkipath": pkipath})
    with virtwire.Connection(uri, spin_wait=0.05) as conn:
        counter = _CountingSpins(conn.runtime)
        assert [conn.get_type() for _ in range(5)] == ["TEST"] * 5
        conn.set_timeout(30)
        assert conn.get_type() == "TEST"  # the path with a deadline
        assert counter.spins == 0


def test_unix_socket_has_room_for_a_whole_stream_packet(kind: str, daemon: Daemon) -> None:
    import socket

    from virtwire.rpc.framing import STREAM_CHUNK_MAX

    conn = open_client(kind, daemon.uri("test", "unix"))
    try:
        sock = conn.runtime._sock
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) > STREAM_CHUNK_MAX + 28
        assert conn.get_type() == "TEST"
    finally:
        conn.close()
