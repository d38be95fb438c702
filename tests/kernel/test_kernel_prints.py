"""Through a real physl kernel: a loop that prints runs compiled, and its prints reach the
cell's own output, in program order, exactly as plain Python prints them."""

from __future__ import annotations

import contextlib
import io

import numpy as np
from kernel_session import KernelSession

PROGRESS = """\
def progress(v, n):
    total = 0.0
    i = 0
    while i < n:
        total = total + v[i]
        print('step', i, total, v[i:], sep='|')
        i += 1
    return total
"""


def test_a_loop_that_prints_compiles_and_prints_into_the_cell(kernel: KernelSession):
    namespace: dict = {"np": np}
    exec(PROGRESS, namespace)  # the same function as plain Python, for the expected text
    expected = io.StringIO()
    with contextlib.redirect_stdout(expected):
        print("before")
        total = namespace["progress"](np.array([0.5, 0.25, np.float32(1.0)]), 3)
        print("after", total)

    kernel.ok("import numpy as np")
    outcome = kernel.ok(
        PROGRESS
        + "print('before')\n"
        + "t = progress(np.array([0.5, 0.25, np.float32(1.0)]), 3)\n"
        + "print('after', t)"
    )
    assert outcome.stdout == expected.getvalue()
    assert outcome.stderr == ""  # no LoopFallbackWarning: the loop ran compiled
    assert "compile: while loop -> one Numba function" in kernel.ok("%physl progress").stdout
    # The prints arrive as they run, one stream message each, not as one block at the end.
    streams = [m["content"]["text"] for m in outcome.messages if m["msg_type"] == "stream"]
    assert streams[0] == "before\n" and streams[-1].startswith("after")
    assert len(streams) == 5
