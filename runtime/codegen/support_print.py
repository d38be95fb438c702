"""What a compiled loop's `print` calls back into Python (inside `with objmode():`).

Numba's own print formats floats and arrays differently from Python, so generated code
never uses it: each `print(...)` of a loop becomes (printing.py)

    where[0] = k
    with objmode():
        support_print((support_text((115, 116, ...)), int(v_step), v_weights), None, None)

which hands Python values -- converted back to the exact Python or NumPy type the
interpreter would hold, strings spelled as their code points so no user text reaches the
source -- to the *print channel* of the thread running the loop. The scheduler sets one
(scheduler/loop_prints.py) so the driver writes the text, in order and in the cell's own
output; without one (the function called directly), the print primitive prints here and
now. This module decides nothing about what is compiled and never formats text itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol


class PrintChannel(Protocol):
    """Where a compiled loop's prints go (scheduler/loop_prints.py implements it)."""

    def send(self, values: tuple, sep: str | None, end: str | None) -> None:
        """Print `values` as print(*values, sep=sep, end=end) would."""


_local = threading.local()


@contextmanager
def printing_to(channel: PrintChannel | None) -> Iterator[None]:
    """Send the prints of compiled loops run by this thread to `channel` meanwhile."""
    previous = getattr(_local, "channel", None)
    _local.channel = channel
    try:
        yield
    finally:
        _local.channel = previous


def support_text(code_points: Sequence[int]) -> str:
    """The string with these code points (generated source spells strings so)."""
    return "".join(map(chr, code_points))


def support_print(values: tuple, sep: str | None, end: str | None) -> None:
    """print(*values, sep=sep, end=end) from compiled code, through this thread's channel."""
    channel: Any = getattr(_local, "channel", None)
    if channel is not None:
        channel.send(values, sep, end)
        return
    # Imported here: the primitives import codegen modules.
    from jetlag.runtime.primitives.io import print_

    print_(*values, sep=sep, end=end)
