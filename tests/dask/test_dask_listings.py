"""The paper's listings (1: LRA, 2: ALS) on a two-worker Dask cluster give the threads
executor's results, with their big arguments partitioned across both workers."""

from __future__ import annotations

import data
import listings
import pytest
from dask_compare import assert_same

from jetlag import physl


def workers_of(trace) -> set[str]:
    """The worker addresses (the node part of the locations) that ran blocks."""
    return {w.rsplit("/", 1)[0] for w in trace.workers if w != "driver"}


@pytest.mark.parametrize("optimize", [True, False], ids=["fused", "as-written"])
def test_lra_equals_threads_executor(executor, optimize):
    x, y = data.lra_data(400, 60, seed=4)
    expected = physl(listings.lra, optimize=optimize)(x, y, 1e-3, 6, False)
    f = physl(listings.lra, optimize=optimize, executor=executor, trace="events")
    got = f(x, y, 1e-3, 6, False)
    assert_same(got, expected)
    blocks = {e.display_name for e in f.trace.profile if e.display_name.endswith("#block")}
    # Fused: X is read once per iteration (glm_gradient); as written: dot and dot(transx, e).
    assert ("glm_gradient#block" in blocks) == optimize
    assert "dot#block" in blocks or optimize
    assert len(workers_of(f.trace)) == 2


def test_lra_prints_what_the_threads_executor_prints(executor, capsys):
    x, y = data.lra_data(300, 20, seed=3)
    physl(listings.lra)(x, y, 1e-2, 3, True)
    expected = capsys.readouterr().out
    physl(listings.lra, executor=executor)(x, y, 1e-2, 3, True)
    assert capsys.readouterr().out == expected


@pytest.mark.parametrize("optimize", [False, True], ids=["as-written", "optimized"])
def test_als_equals_threads_executor(executor, optimize):
    # Optimized, the threads executor runs the row loops compiled (LU solves in Numba) and
    # Dask interprets them: both differ from inv(A) @ b by about cond(A) * eps, so the
    # systems are kept well conditioned (reg = 1.0), as tests/runtime/test_listings.py does.
    reg = 1.0 if optimize else 0.1
    ratings = data.synthetic_ratings(60, 80, density=0.1, seed=2)  # 38 KB: partitioned
    x0, y0 = data.als_start(60, 80, 8)
    threads_x, threads_y = x0.copy(), y0.copy()
    expected = physl(listings.ALS, optimize=optimize)(
        ratings, reg, 8, 2, 40.0, threads_x, threads_y
    )
    dask_x, dask_y = x0.copy(), y0.copy()
    f = physl(listings.ALS, optimize=optimize, executor=executor, trace="events")
    got = f(ratings, reg, 8, 2, 40.0, dask_x, dask_y)
    assert_same(got, expected)
    # The factors are written in place, as NumPy (and the threads executor) write them.
    assert_same(dask_x, threads_x)
    assert_same(dask_y, threads_y)
    assert len(workers_of(f.trace)) == 2
