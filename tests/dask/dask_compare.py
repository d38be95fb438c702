"""The Dask executor's rule: a result equals the threads executor's (1e-10 relative for
floats, exactly otherwise), with the same types, dtypes and shapes."""

from __future__ import annotations

from typing import Any

import numpy as np


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    """max |got - expected| / max |expected| (0 for two zero arrays)."""
    scale = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    if scale == 0.0:
        return float(np.max(np.abs(got))) if np.size(got) else 0.0
    return float(np.max(np.abs(got - expected)) / scale)


def assert_same(got: Any, expected: Any, where: str = "result") -> None:
    """`got` (Dask) equals `expected` (threads) as the executor promises."""
    assert type(got) is type(expected), f"{where}: {type(got)} != {type(expected)}"
    if isinstance(expected, (tuple, list)):
        assert len(got) == len(expected), where
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            assert_same(g, e, f"{where}[{i}]")
        return
    if isinstance(expected, (np.ndarray, np.generic)):
        assert got.dtype == expected.dtype, f"{where}: dtype {got.dtype} != {expected.dtype}"
        assert np.shape(got) == np.shape(expected), f"{where}: shape"
        if expected.dtype.kind in "fc":
            assert relative_error(got, expected) <= 1e-10, f"{where}: {got} != {expected}"
        else:
            np.testing.assert_array_equal(got, expected, err_msg=where)
        return
    assert got == expected, where
