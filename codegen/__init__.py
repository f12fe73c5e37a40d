"""virtwire's protocol compiler: libvirt ``.x`` files in, Python codecs out.

Stages, each a module: ``lexer`` -> ``parser`` -> ``ir`` (frozen
dataclasses) -> ``link`` (names, values, procedures) -> ``shapes`` ->
``render``.  ``importer`` brings libvirt's files into ``protocol/``;
``headers`` does the same for the C header constants.  Run it with
``python -m codegen import-protocol | generate | check``.
"""
