"""Fixtures of the store tests: a fresh store under tmp_path and a small trace."""

from __future__ import annotations

import pytest
from store_data import small_trace

from jetlag.runtime.store.traces import TraceStore


@pytest.fixture
def store(tmp_path, monkeypatch):
    # Also the default for anything that opens "the" store without a root.
    monkeypatch.setenv("JETLAG_STORE", str(tmp_path / "store"))
    opened = TraceStore(tmp_path / "store")
    yield opened
    opened.flush(30)
    opened.close()


@pytest.fixture
def trace():
    return small_trace()


def leftovers(store: TraceStore) -> list[str]:
    """Entries of the traces folder that are not listed traces (partial or orphan folders)."""
    listed = {row["id"] for row in store.list(limit=10_000)}
    return sorted(p.name for p in store.traces_dir.iterdir() if p.name not in listed)
