"""A compiled cell in a real PhySL kernel: its trace lands in the store and the server lists
and queries it through REST (the kernel and the server share the store, nothing else)."""

from __future__ import annotations

import os
import time

import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import start_new_kernel

TRACE_MIME = "application/vnd.jetlag.trace+json"
CELL = """\
x = np.linspace(0.0, 1.0, 200_000)

def weigh(a, b):
    c = a * b + 1.0
    return np.sum(c * c)

total = weigh(x, x)
"""


@pytest.fixture
def kernel_env(live_server) -> dict[str, str]:
    try:
        KernelSpecManager().get_kernel_spec("physl")
    except NoSuchKernel:
        pytest.fail("the 'physl' kernelspec is not installed: run `pip install -e .`")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JETLAG_")}
    env["JETLAG_STORE"] = str(live_server.store)
    return env


def test_a_compiled_cells_trace_is_listed_and_queried(live_server, kernel_env):
    live_server.start()
    manager, client = start_new_kernel(kernel_name="physl", startup_timeout=60, env=kernel_env)
    try:
        messages: list[dict] = []
        for code in ("import numpy as np", CELL):
            reply = client.execute_interactive(
                code, output_hook=messages.append, timeout=120, stop_on_error=False
            )
            assert reply["content"]["status"] == "ok", messages[-3:]
        payloads = [
            m["content"]["data"][TRACE_MIME]
            for m in messages
            if m["msg_type"] == "display_data" and TRACE_MIME in m["content"]["data"]
        ]
        assert payloads, "the compiled cell published no trace"
        trace_id = payloads[-1]["trace_id"]
        assert trace_id, payloads[-1]

        # The kernel writes the trace when it is idle; the server sees it once it is indexed.
        deadline = time.monotonic() + 60
        listed: list[dict] = []
        while time.monotonic() < deadline:
            listed = live_server.request("GET", "traces", params={"origin": "cell"}).json()[
                "traces"
            ]
            if any(row["id"] == trace_id for row in listed):
                break
            time.sleep(0.2)
        (row,) = [row for row in listed if row["id"] == trace_id]
        assert row["origin"] == "cell" and row["events"] > 0

        utilization = live_server.request(
            "GET", f"traces/{trace_id}/utilization", params={"bins": 50}
        )
        assert utilization.status_code == 200
        assert len(utilization.json()["total"]) == 50
        assert max(utilization.json()["total"]) > 0
        gantt = live_server.request("GET", f"traces/{trace_id}/gantt", params={"bins": 50})
        assert gantt.status_code == 200 and gantt.json()["legend"]
        tree = live_server.request("GET", f"traces/{trace_id}/tree")
        assert tree.status_code == 200
        names = _names(tree.json()["tree"])
        assert "weigh" in names or any("weigh" in n for n in names), names
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _names(node: dict) -> set[str]:
    found, stack = set(), [node]
    while stack:
        current = stack.pop()
        found.add(current["name"])
        stack.extend(current["children"])
    return found
