"""Input/output primitives: print.

`print` is an effect: the scheduler runs it on the driver in program order. It writes to
whatever `sys.stdout` is when it runs (so a Jupyter kernel's captured stream receives it)
and flushes, so output appears while a long program is still running. Values are
formatted exactly as Python's print formats them (NumPy arrays by NumPy's str). This module
must not buffer output or open files.
"""

from __future__ import annotations

import builtins
import sys
from typing import Any

from jetlag.runtime.primitives.arguments import argument_error
from jetlag.runtime.primitives.registry import primitive


def _text_option(option: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise argument_error(  # Python's print raises TypeError
        f"{option} must be a string or nil, got {type(value).__name__} {value!r}", TypeError
    )


@primitive(
    "print",
    'print(*values, sep=" ", end="\\n")',
    "Print values to standard output, separated by sep and followed by end.",
    "io",
    aliases=("builtins.print",),
    effect=True,
)
def print_(*values: Any, sep: str | None = " ", end: str | None = "\n") -> None:
    """Python's print to the current sys.stdout, flushed at once."""
    builtins.print(
        *values,
        sep=_text_option("sep", sep),
        end=_text_option("end", end),
        file=sys.stdout,
        flush=True,
    )
