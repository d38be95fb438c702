"""Random primitives: NumPy's legacy global-state functions (numpy.random.seed, rand, ...).

Every one is an effect: the scheduler runs them on the driver in program order, so a
seeded PhySL program draws exactly the numbers the same NumPy program draws. They use
NumPy's global RandomState directly, which is what makes a `numpy.random.seed` in the
user's own Python code (outside JetLag) and `random_seed` inside it one stream. This module
must not keep any random state of its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jetlag.runtime.primitives.arguments import argument_errors, parse_dtype
from jetlag.runtime.primitives.registry import primitive


@primitive(
    "random_seed",
    "random_seed(seed=nil)",
    "Seed NumPy's global random generator (numpy.random.seed).",
    "random",
    numpy="numpy.random.seed",
    aliases=("numpy.random.seed",),
    effect=True,
)
@argument_errors
def random_seed(seed: Any = None) -> None:
    """numpy.random.seed."""
    np.random.seed(seed)


@primitive(
    "rand",
    "rand(*dims)",
    "Uniform samples in [0, 1) of the given dimensions (a float when none).",
    "random",
    numpy="numpy.random.rand",
    aliases=("numpy.random.rand",),
    effect=True,
)
@argument_errors
def rand(*dims: int) -> Any:
    """numpy.random.rand."""
    return np.random.rand(*dims)


@primitive(
    "randn",
    "randn(*dims)",
    "Standard normal samples of the given dimensions (a float when none).",
    "random",
    numpy="numpy.random.randn",
    aliases=("numpy.random.randn",),
    effect=True,
)
@argument_errors
def randn(*dims: int) -> Any:
    """numpy.random.randn."""
    return np.random.randn(*dims)


@primitive(
    "random",
    "random(size=nil)",
    "Uniform samples in [0, 1) of the given size (a float when nil).",
    "random",
    numpy="numpy.random.random",
    aliases=(
        "numpy.random.random",
        "numpy.random.random_sample",
        "numpy.random.sample",
        "numpy.random.ranf",
    ),
    effect=True,
)
@argument_errors
def random(size: Any = None) -> Any:
    """numpy.random.random (also random_sample)."""
    return np.random.random(size)


@primitive(
    "randint",
    'randint(low, high=nil, size=nil, dtype="int64")',
    "Random integers in [low, high) (in [0, low) when high is nil).",
    "random",
    numpy="numpy.random.randint",
    aliases=("numpy.random.randint",),
    effect=True,
)
@argument_errors
def randint(low: Any, high: Any = None, size: Any = None, dtype: Any = None) -> Any:
    """numpy.random.randint; dtype as a NumPy dtype or its name."""
    chosen = parse_dtype(dtype)
    return np.random.randint(low, high, size=size, dtype=int if chosen is None else chosen)


@primitive(
    "uniform",
    "uniform(low=0.0, high=1.0, size=nil)",
    "Uniform samples in [low, high).",
    "random",
    numpy="numpy.random.uniform",
    aliases=("numpy.random.uniform",),
    effect=True,
)
@argument_errors
def uniform(low: Any = 0.0, high: Any = 1.0, size: Any = None) -> Any:
    """numpy.random.uniform."""
    return np.random.uniform(low, high, size)


@primitive(
    "normal",
    "normal(loc=0.0, scale=1.0, size=nil)",
    "Normal (Gaussian) samples with mean loc and standard deviation scale.",
    "random",
    numpy="numpy.random.normal",
    aliases=("numpy.random.normal",),
    effect=True,
)
@argument_errors
def normal(loc: Any = 0.0, scale: Any = 1.0, size: Any = None) -> Any:
    """numpy.random.normal."""
    return np.random.normal(loc, scale, size)


@primitive(
    "standard_normal",
    "standard_normal(size=nil)",
    "Standard normal samples of the given size (a float when nil).",
    "random",
    numpy="numpy.random.standard_normal",
    aliases=("numpy.random.standard_normal",),
    effect=True,
)
@argument_errors
def standard_normal(size: Any = None) -> Any:
    """numpy.random.standard_normal."""
    return np.random.standard_normal(size)


@primitive(
    "choice",
    "choice(a, size=nil, replace=true, p=nil)",
    "Random sample from the elements of a 1-D array (or from range(a) for an int a).",
    "random",
    numpy="numpy.random.choice",
    aliases=("numpy.random.choice",),
    effect=True,
)
@argument_errors
def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None) -> Any:
    """numpy.random.choice."""
    return np.random.choice(a, size=size, replace=replace, p=p)


@primitive(
    "permutation",
    "permutation(x)",
    "A randomly permuted copy of an array (of range(x) for an int x).",
    "random",
    numpy="numpy.random.permutation",
    aliases=("numpy.random.permutation",),
    effect=True,
)
@argument_errors
def permutation(x: Any) -> np.ndarray:
    """numpy.random.permutation."""
    return np.random.permutation(x)
