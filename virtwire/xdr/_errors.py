"""Where ``XDRError`` comes from (the project's error hierarchy)."""

from __future__ import annotations

try:
    from virtwire.errors import XDRError
except ModuleNotFoundError:  # pragma: no cover - only until virtwire.errors exists

    class XDRError(Exception):  # type: ignore[no-redef]
        """Temporary stand-in for ``virtwire.errors.XDRError``."""

        def __init__(self, message: str) -> None:
            super().__init__(message)


__all__ = ["XDRError"]
