"""Pause the cyclic garbage collector while a large message is decoded.

Decoding a large reply allocates tens of thousands of container objects
(one per struct, one per list) in a burst.  With the collector on, every
700 of them trigger a young collection that traverses the objects just
made, and the older generations get scanned in turn: for a reply of
40,000 typed parameters that adds a third to the decode time.  The objects
a decoder builds are a tree and cannot form reference cycles, so the
collector has nothing to find there; like Mercurial's ``util.nogc``,
:func:`gc_paused` turns it off for the duration::

    with gc_paused():
        value, end = unpack(data, 0)

Pauses nest and may overlap across threads: a process-wide depth counter,
guarded by a lock, disables the collector when the first pause begins
(only if it was enabled) and enables it again when the last one ends (only
if a pause disabled it).  A collector the application disabled before the
first pause stays disabled; one it disables during a pause is enabled again
when the last pause ends.  While any pause lasts the collector is off for
every thread, which is why only messages of at least
:data:`GC_PAUSE_MIN_BYTES` are worth it: small ones allocate too little for
a collection to start.
"""

from __future__ import annotations

import gc
import threading
from types import TracebackType
from typing import Final

__all__ = ["GC_PAUSE_MIN_BYTES", "gc_paused"]

GC_PAUSE_MIN_BYTES: Final = 64 * 1024
"""Messages at least this long are decoded with the collector paused."""

# Re-entrant: a signal handler may decode a message while this thread holds it.
_lock = threading.RLock()
_depth = 0
_we_disabled = False


class _GCPause:
    """The context manager :func:`gc_paused` returns; its state is process-wide."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _depth, _we_disabled
        with _lock:
            _depth += 1
            if _depth == 1 and gc.isenabled():
                gc.disable()
                _we_disabled = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _depth, _we_disabled
        with _lock:
            _depth -= 1
            if _depth == 0 and _we_disabled:
                _we_disabled = False
                gc.enable()


_PAUSE: Final = _GCPause()


def gc_paused() -> _GCPause:
    """A context manager that keeps the cyclic garbage collector off while it lasts."""
    return _PAUSE
