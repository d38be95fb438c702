"""Two real traces of the paper's LRA listing -- compiled with `optimize=False` and with the
default passes -- saved into one store, and the services that answer queries on them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def lra_traces() -> tuple[object, object]:
    """(trace without rewrites, trace with the default passes) of a small LRA run."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import listings
    finally:
        sys.path.remove(str(EXAMPLES))
    from jetlag import physl

    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 30))
    y = (rng.random(400) > 0.5).astype(np.float64)
    plain = physl(listings.lra, optimize=False, trace="events", threads=2)
    tuned = physl(listings.lra, trace="events", threads=2)
    plain(x, y, 1e-3, 4, False)
    tuned(x, y, 1e-3, 4, False)
    return plain.trace, tuned.trace


@pytest.fixture(scope="session")
def chart_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """(store root, id of the optimize=False trace, id of the default one)."""
    from jetlag.runtime.store.traces import TraceStore

    root = tmp_path_factory.mktemp("chart-store")
    plain, tuned = lra_traces()
    store = TraceStore(root)
    try:
        a = store.save(plain, label="optimize=False")
        b = store.save(tuned, label="default")
    finally:
        store.close()
    return root, a, b


@pytest.fixture
def services(chart_store: tuple[Path, str, str]) -> Iterator[object]:
    """Services on the chart store (no job monitor)."""
    from jetlag.server_ext.services import Services

    services = Services.create(chart_store[0], start=False)
    try:
        yield services
    finally:
        services.close()
