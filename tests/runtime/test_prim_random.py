"""Random primitives: seeded draws through the primitives equal NumPy's legacy global
functions drawing the same sequence; all are effects."""

from __future__ import annotations

import numpy as np
import pytest

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives import REGISTRY

NAMES = (
    "rand", "randn", "random", "randint", "uniform", "normal", "standard_normal", "choice",
    "permutation",
)  # fmt: skip


def call(name, *args, **kwargs):
    return REGISTRY[name].impl(*args, **kwargs)


def error(name, *args, **kwargs):
    with pytest.raises(PrimitiveArgumentError) as info:
        call(name, *args, **kwargs)
    return str(info.value)


@pytest.fixture(autouse=True)
def keep_global_state():
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def test_registration():
    assert REGISTRY.resolve_alias("numpy.random.seed") == "random_seed"
    assert REGISTRY["random_seed"].effect
    for name in NAMES:
        assert REGISTRY.resolve_alias(f"numpy.random.{name}") == name
        assert REGISTRY[name].effect
        assert REGISTRY[name].category == "random"
        assert REGISTRY[name].numpy == f"numpy.random.{name}"
    assert REGISTRY.resolve_alias("numpy.random.random_sample") == "random"


# Each draw is (primitive name, args, kwargs); numpy.random.<name> takes the same arguments
# except randint's dtype, given to the primitive by name.
DRAWS = [
    ("rand", (), {}),
    ("rand", (3, 2), {}),
    ("randn", (4,), {}),
    ("random", (), {}),
    ("random", ((2, 3),), {}),
    ("randint", (10,), {}),
    ("randint", (-5, 5), {"size": 6}),
    ("randint", (0, 100), {"size": (2, 2)}),
    ("uniform", (), {}),
    ("uniform", (-1.0, 3.0), {"size": 5}),
    ("normal", (2.0, 0.5), {"size": (3,)}),
    ("normal", (), {}),
    ("standard_normal", (), {"size": 4}),
    ("choice", (5,), {}),
    ("choice", (np.array([10, 20, 30]),), {"size": 4, "p": (0.2, 0.3, 0.5)}),
    ("choice", (7, 3), {"replace": False}),
    ("permutation", (6,), {}),
    ("permutation", (np.arange(10).reshape(5, 2),), {}),
]


def test_seeded_sequence_equals_numpy():
    call("random_seed", 1234)
    ours = [call(name, *args, **kwargs) for name, args, kwargs in DRAWS]
    np.random.seed(1234)
    theirs = [getattr(np.random, name)(*args, **kwargs) for name, args, kwargs in DRAWS]
    for got, want in zip(ours, theirs, strict=True):
        assert type(got) is type(want)
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(got, want)


def test_seed_forms_and_dtype():
    call("random_seed", (1, 2, 3))
    ours = call("randint", 0, 50, size=5, dtype="int32")
    np.random.seed((1, 2, 3))
    theirs = np.random.randint(0, 50, size=5, dtype=np.int32)
    assert ours.dtype == np.int32
    np.testing.assert_array_equal(ours, theirs)
    assert call("random_seed", 5) is None
    call("random_seed")  # nil reseeds from the OS, as numpy.random.seed() does


def test_permutation_copies():
    data = np.arange(5)
    call("random_seed", 0)
    call("permutation", data)
    np.testing.assert_array_equal(data, np.arange(5))


def test_errors():
    assert error("choice", 3, 5, replace=False) == (
        "Cannot take a larger sample than population when 'replace=False'"
    )
    assert error("randint", 5, 1) == "low >= high"
    assert error("rand", 2.5) == "'float' object cannot be interpreted as an integer"
    assert error("randint", 0, 5, dtype="int3").startswith(
        "unknown dtype 'int3'; valid dtype names:"
    )
