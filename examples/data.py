"""Inputs for the paper's workloads: LRA data and MovieLens-shaped ratings.

Synthetic data is seeded so every run (demo, tests, bench) sees the same numbers.
`movielens_100k` reads the real ratings from the recbole wheel when it has been
downloaded (the data's licence forbids committing it); otherwise callers fall back to
`synthetic_ratings` of the same shape.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np


def lra_data(rows: int, cols: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A separable-ish binary classification problem: X (rows x cols) and labels y."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, cols))
    truth = rng.standard_normal(cols)
    y = (x @ truth > 0).astype(np.float64)
    return x, y


def synthetic_ratings(
    users: int = 943, items: int = 1000, density: float = 0.08, seed: int = 0
) -> np.ndarray:
    """A users x items matrix with ~`density` nonzero ratings in 1..5 (MovieLens-shaped)."""
    rng = np.random.default_rng(seed)
    ratings = np.zeros((users, items))
    mask = rng.random((users, items)) < density
    ratings[mask] = rng.integers(1, 6, size=int(mask.sum()))
    return ratings


def movielens_100k(wheel: Path, items: int = 1000) -> np.ndarray:
    """The ml-100k ratings (943 users x first `items` movies) from a recbole==1.2.1 wheel."""
    member = "recbole/dataset_example/ml-100k/ml-100k.inter"
    with zipfile.ZipFile(wheel) as archive, archive.open(member) as handle:
        lines = handle.read().decode("utf-8").splitlines()
    users, movies, values = [], [], []
    for line in lines[1:]:
        user, movie, rating, _ = line.split("\t")
        users.append(int(user) - 1)
        movies.append(int(movie) - 1)
        values.append(float(rating))
    ratings = np.zeros((max(users) + 1, items))
    for user, movie, rating in zip(users, movies, values, strict=True):
        if movie < items:
            ratings[user, movie] = rating
    return ratings


def als_start(users: int, items: int, factors: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Initial user (X) and item (Y) factor matrices."""
    rng = np.random.default_rng(seed)
    return rng.random((users, factors)) * 0.01, rng.random((items, factors)) * 0.01
