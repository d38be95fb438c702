"""Input/output primitives: print.

`print` is an effect: the scheduler runs it on the driver in program order. It writes to
whatever `sys.stdout` is when it runs (so a Jupyter kernel's captured stream receives it)
and flushes, so output appears while a long program is still running. Values are
formatted exactly as Python's print formats them (NumPy arrays by NumPy's str). This module
must not buffer output or open files.

A compiled loop's prints are written here too (`print_recorded`, which keeps the text;
scheduler/loop_prints.py). When the interpreter runs such a loop again after the
compiled run stopped part-way (`replaying`), the texts already written are not written
twice: each print whose text is the next one already written is skipped.
"""

from __future__ import annotations

import builtins
import io
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
    sep, end = _text_option("sep", sep), _text_option("end", end)
    expected = getattr(_replay, "texts", None)
    if expected:
        if expected[0] == print_text(values, sep, end):
            expected.popleft()  # written already, by the compiled run of this loop
            return
        expected.clear()
    builtins.print(*values, sep=sep, end=end, file=sys.stdout, flush=True)


def print_text(values: tuple, sep: str | None, end: str | None) -> str:
    """What print(*values, sep=sep, end=end) writes, as Python formats it."""
    buffer = io.StringIO()
    builtins.print(*values, sep=_text_option("sep", sep), end=_text_option("end", end), file=buffer)
    return buffer.getvalue()


def print_recorded(values: tuple, sep: str | None, end: str | None) -> str:
    """print_(*values, sep=sep, end=end), written piece by piece to sys.stdout exactly as
    Python's print writes them; the text written (formatted once)."""
    stream = sys.stdout
    if stream is None:  # pythonw: print writes nothing
        return ""
    recorder = _Recorder(stream)
    builtins.print(
        *values,
        sep=_text_option("sep", sep),
        end=_text_option("end", end),
        file=recorder,
        flush=True,
    )
    return "".join(recorder.pieces)


class _Recorder:
    """Passes writes and flushes to `stream`, keeping the pieces written."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.pieces: list[str] = []

    def write(self, text: str) -> Any:
        written = self.stream.write(text)
        self.pieces.append(text)
        return written

    def flush(self) -> None:
        self.stream.flush()


_replay = threading.local()


@contextmanager
def replaying(written: Iterable[str]) -> Iterator[None]:
    """Meanwhile, on this thread, skip the prints whose texts were `written` already."""
    previous = getattr(_replay, "texts", None)
    _replay.texts = deque(written)
    try:
        yield
    finally:
        _replay.texts = previous
