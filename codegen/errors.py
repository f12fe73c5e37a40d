"""The one exception the protocol compiler raises."""

from __future__ import annotations


class CodegenError(Exception):
    """A problem in a ``.x`` source, located at ``file:line:column``."""

    def __init__(self, message: str, file: str = "", line: int = 0, column: int = 0) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.reason = message
        where = f"{file}:{line}:{column}: " if file else ""
        super().__init__(f"{where}{message}")
