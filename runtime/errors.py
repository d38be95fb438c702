"""Error types users can catch; every message names the place (file:line:col) and the fix.

This module only defines the exception classes and how a source location is rendered;
it never decides policy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourcePlace:
    """Where a construct came from: a file name, 1-based line and 0-based column.

    `col` follows the Phylanx tag convention (0-based, as Python's AST); messages print
    it 1-based, as editors do.
    """

    file: str
    line: int
    col: int
    text: str = ""  # the source line itself, shown under the message when known

    def render(self) -> str:
        """`file:line:col` with a 1-based column."""
        return f"{self.file}:{self.line}:{self.col + 1}"


class JetLagError(Exception):
    """Base class of every error JetLag raises on purpose."""


class PhySLError(JetLagError):
    """An error tied to a place in the user's program."""

    def __init__(self, message: str, place: SourcePlace | None = None, hint: str = ""):
        self.message = message
        self.place = place
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        head = f"{self.place.render()}: {self.message}" if self.place else self.message
        lines = [head]
        if self.place and self.place.text:
            lines.append("    " + self.place.text.rstrip())
            lines.append("    " + " " * self.place.col + "^")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class PhySLSyntaxError(PhySLError):
    """The program uses a construct JetLag cannot compile (raised at decoration/parse time)."""


class PhySLRuntimeError(PhySLError):
    """A primitive failed while the tree ran (shape mismatch, singular matrix, bad index...).

    `primitive` is the PhySL instance name (`dot$12$15`); `cause` the underlying exception.
    """

    def __init__(
        self,
        message: str,
        place: SourcePlace | None = None,
        hint: str = "",
        primitive: str = "",
        cause: BaseException | None = None,
    ):
        self.primitive = primitive
        self.cause = cause
        super().__init__(message, place, hint)


class PrimitiveArgumentError(JetLagError, ValueError):
    """Raised by a primitive implementation for bad arguments; the scheduler adds the place."""


class SettingError(JetLagError, ValueError):
    """A JETLAG_* environment variable holds a value JetLag cannot use.

    The message names the variable, the value found, what it must be and how to get the
    default back; `variable` is the variable's name.
    """

    def __init__(self, variable: str, message: str) -> None:
        self.variable = variable
        super().__init__(message)
