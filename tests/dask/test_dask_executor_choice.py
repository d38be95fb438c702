"""Choosing the Dask executor: a Client, a dask:// address (one Client per address), the
kernel's %executor magic, clear errors for a bad address, and a dask.array argument used
where it lives (never gathered to the client)."""

from __future__ import annotations

import dask.array as da
import data
import listings
import numpy as np
import pytest
from dask_compare import assert_same
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from jetlag import physl
from jetlag.kernel.magics import PhySLMagics
from jetlag.kernel.state import KernelState
from jetlag.runtime.scheduler import dask_executor
from jetlag.runtime.scheduler.dask_executor import DaskExecutionError, DaskSession


def test_a_client_or_its_address_selects_the_executor(client, monkeypatch):
    monkeypatch.setenv("JETLAG_DASK_THRESHOLD", str(16 << 10))
    x, y = data.lra_data(300, 40, seed=1)
    expected = physl(listings.lra)(x, y, 1e-3, 3, False)
    assert_same(physl(listings.lra, executor=client)(x, y, 1e-3, 3, False), expected)
    address = f"dask://{client.scheduler.address.removeprefix('tcp://')}"
    first = physl(listings.lra, executor=address)
    assert_same(first(x, y, 1e-3, 3, False), expected)
    second = physl(listings.lra, executor=address)
    second(x, y, 1e-3, 1, False)
    assert second._dask.client is first._dask.client  # one Client per address


def test_other_executor_values_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="'threads', a TaskPool, a dask.distributed Client"):
        physl(listings.lra, executor="tcp://127.0.0.1:8786")


def test_a_dead_address_names_itself_and_the_fix(monkeypatch):
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT_S", 1.0)
    f = physl(listings.lra, executor="dask://127.0.0.1:9")
    with pytest.raises(DaskExecutionError) as error:
        f(np.ones((4, 2)), np.ones(4), 0.1, 1, False)
    message = str(error.value)
    assert "tcp://127.0.0.1:9" in message and "dask scheduler" in message


def test_a_dask_array_argument_is_used_in_place(executor, monkeypatch):
    gathered = []
    original = DaskSession.gathered

    def recording(self, value):
        gathered.append(id(value))
        return original(self, value)

    monkeypatch.setattr(DaskSession, "gathered", recording)
    x, y = data.lra_data(400, 50, seed=6)
    x_blocks = executor.client.persist(da.from_array(x, chunks=(100, 50)))
    expected = physl(listings.lra)(x, y, 1e-3, 4, False)
    f = physl(listings.lra, executor=executor, trace="events")
    assert_same(f(x_blocks, y, 1e-3, 4, False), expected)
    assert id(x_blocks) not in gathered
    blocks = [e for e in f.trace.profile if e.display_name == "glm_gradient#block"]
    assert sum(e.count for e in blocks) == 4 * 4  # four iterations of its four blocks


def test_the_kernel_magic_switches_executors(client):
    shell = InteractiveShell.instance()
    state = KernelState()
    shell.register_magics(PhySLMagics(shell, state))
    address = client.scheduler.address.removeprefix("tcp://")
    shell.run_line_magic("executor", f"dask {address}")
    assert state.executor is not None and state.executor.client.scheduler.address.endswith(address)
    shell.user_ns["x"] = np.arange(12.0).reshape(4, 3)
    cell = "define(f, x, sum(__mul(x, 2.0), 0))\nf"
    assert_same(shell.run_cell_magic("physl", "x", cell), np.array([36.0, 44.0, 52.0]))
    shell.run_line_magic("executor", "threads")
    assert state.executor is None
    with pytest.raises(UsageError, match="usage: %executor dask HOST:PORT"):
        shell.run_line_magic("executor", "dask")


def test_the_kernel_magic_reports_a_bad_address(monkeypatch):
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT_S", 1.0)
    shell = InteractiveShell.instance()
    state = KernelState()
    shell.register_magics(PhySLMagics(shell, state))
    with pytest.raises(UsageError) as error:
        shell.run_line_magic("executor", "dask 127.0.0.1:9")
    assert "127.0.0.1:9" in str(error.value) and "dask://HOST:PORT" in str(error.value)
    assert state.executor is None
