"""libvirt's RPC programs as Python: one generated ``*_gen`` module per program.

Import the module you need (``virtwire.protocol.remote_gen`` is large);
nothing here imports them eagerly.  Each has the ``.x`` constants, enums
as ``IntEnum``, a class plus ``pack_T``/``unpack_T`` per type, and a
``PROCEDURES`` table of ``Procedure`` entries.
"""
