"""The PhySL kernel states the compile cost where it happens, and `%bench` leaves it out.

A real `physl` kernel (the installed kernelspec): a function's first call shows
"JetLag: first call: compiled in X s" as an output of its own (not on stdout, which stays
the user's), a second call does not; `%bench` of a call that has not been compiled yet says
that its untimed first call included compiling, and the cell shows no second compile line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel

LRA = """
import numpy as np

def lra(x, y, alpha, iterations):
    weights = np.zeros(np.shape(x)[1])
    transx = np.transpose(x)
    step = 0
    while step < iterations:
        pred = 1.0 / (1.0 + np.exp(-np.dot(x, weights)))
        gradient = np.dot(transx, pred - y)
        weights = weights - alpha * gradient
        step += 1
    return weights

def lra2(x, y, alpha, iterations):
    weights = np.ones(np.shape(x)[1])
    step = 0
    while step < iterations:
        pred = 1.0 / (1.0 + np.exp(-np.dot(x, weights)))
        weights = weights - alpha * np.dot(np.transpose(x), pred - y)
        step += 1
    return weights

rng = np.random.default_rng(0)
x = rng.standard_normal((300, 20))
y = (x[:, 0] > 0) * 1.0
"""
COMPILED = re.compile(r"^JetLag: first call: compiled in (\d+\.\d) s \(Numba kernels")


class Cell:
    """The iopub messages of one executed cell."""

    def __init__(self, client: Any, code: str) -> None:
        self.messages: list[dict[str, Any]] = []
        reply = client.execute_interactive(
            code, output_hook=self.messages.append, timeout=300, stop_on_error=False
        )
        assert reply["content"]["status"] == "ok", reply["content"]

    def stream(self, name: str) -> str:
        return "".join(
            m["content"]["text"]
            for m in self.messages
            if m["msg_type"] == "stream" and m["content"]["name"] == name
        )

    def plain_displays(self) -> list[str]:
        return [
            m["content"]["data"]["text/plain"]
            for m in self.messages
            if m["msg_type"] == "display_data" and list(m["content"]["data"]) == ["text/plain"]
        ]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JETLAG_")}
    env["JETLAG_STORE"] = str(tmp_path_factory.mktemp("store"))
    manager, kernel_client = start_new_kernel(kernel_name="physl", startup_timeout=120, env=env)
    try:
        Cell(kernel_client, LRA)
        yield kernel_client
    finally:
        kernel_client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_first_call_says_what_it_spent_compiling_and_a_second_does_not(client):
    first = Cell(client, "w = lra(x, y, 1e-3, 5)")
    (said,) = [line for line in first.plain_displays() if COMPILED.match(line)]
    assert float(COMPILED.match(said).group(1)) > 0
    assert first.stream("stdout") == "" and first.stream("stderr") == ""
    second = Cell(client, "w = lra(x, y, 1e-3, 5)")
    assert not [line for line in second.plain_displays() if "compiled in" in line]


def test_bench_excludes_compiling_and_says_so(client):
    bench = Cell(client, "%bench -r 2 lra2(x, y, 1e-3, 5)")
    lines = bench.stream("stdout").splitlines()
    assert lines[0] == "%bench lra2(x, y, 1e-3, 5)"
    assert lines[1].lstrip().startswith("compiled (threads default):")
    assert "over 2 runs" in lines[1] and "over 2 runs" in lines[2]
    assert lines[3].lstrip().startswith("ratio compiled / NumPy:")
    last = re.fullmatch(
        r"  compiling excluded: an untimed first call took (.+), of which compiling (.+)",
        lines[4],
    )
    assert last, lines
    assert last.group(2) != "0 ns"  # lra2 had never run: its warm-up compiled it
    # %bench reported the compile itself; the cell does not say it a second time.
    assert not [line for line in bench.plain_displays() if "compiled in" in line]
