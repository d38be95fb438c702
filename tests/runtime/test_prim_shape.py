"""Shape primitives (shape.py, joining.py, diagonals.py) against NumPy, registrations of
methods and properties, and exact error messages."""

from __future__ import annotations

import numpy as np
from primitive_calls import call, error

from jetlag.runtime.primitives import REGISTRY


def same(result, expected):
    if isinstance(expected, (tuple, list)):
        assert type(result) is tuple
        assert len(result) == len(expected)
        for got, want in zip(result, expected, strict=True):
            same(got, want)
        return
    assert type(result) is type(expected) or isinstance(expected, np.ndarray)
    assert np.asarray(result).dtype == np.asarray(expected).dtype
    assert np.shape(result) == np.shape(expected)
    np.testing.assert_array_equal(result, expected)


X = np.arange(24).reshape(2, 3, 4)
M = np.arange(12.0).reshape(3, 4)
V = np.array([3, 1, 2])


def test_registration():
    assert REGISTRY.resolve_property("T") == "transpose"
    assert REGISTRY.resolve_property("shape") == "shape"
    assert REGISTRY.resolve_property("ndim") == "ndim"
    assert REGISTRY.resolve_property("size") == "size"
    for method in (
        "reshape", "ravel", "flatten", "transpose", "copy", "diagonal", "trace", "squeeze",
        "swapaxes", "repeat",
    ):  # fmt: skip
        assert REGISTRY.resolve_method(method) == method
    assert REGISTRY.resolve_alias("builtins.len") == "len"
    for name in (
        "shape", "ndim", "size", "transpose", "reshape", "ravel", "copy", "squeeze",
        "expand_dims", "swapaxes", "moveaxis", "stack", "vstack", "hstack", "dstack",
        "column_stack", "concatenate", "split", "array_split", "tile", "repeat", "flip",
        "fliplr", "flipud", "roll", "broadcast_to", "atleast_1d", "atleast_2d", "diag",
        "diagonal", "trace", "tril", "triu",
    ):  # fmt: skip
        assert REGISTRY.resolve_alias(f"numpy.{name}") == name
        assert REGISTRY[name].category == "shape"


def test_queries():
    assert call("shape", X) == (2, 3, 4)
    assert all(type(n) is int for n in call("shape", X))
    assert call("shape", 3.0) == ()
    assert call("shape", (1, 2, 3)) == (3,)
    assert call("len", X) == 2
    assert call("len", (1, 2)) == 2
    assert call("len", "abc") == 3
    assert call("len", range(5)) == 5
    assert call("ndim", X) == 3 and type(call("ndim", X)) is int
    assert call("ndim", 1.5) == 0
    assert call("size", X) == 24 and type(call("size", X)) is int
    assert call("size", X, 1) == 3
    assert call("size", X, axis=-1) == 4


def test_transpose_and_reshape():
    same(call("transpose", X), np.transpose(X))
    same(call("transpose", X, (1, 0, 2)), np.transpose(X, (1, 0, 2)))
    same(call("transpose", X, 2, 0, 1), X.transpose(2, 0, 1))
    same(call("transpose", X, axes=(0, 2, 1)), np.transpose(X, axes=(0, 2, 1)))
    same(call("transpose", V), V.T)
    assert np.shares_memory(call("transpose", X), X)
    same(call("reshape", X, (4, 6)), np.reshape(X, (4, 6)))
    same(call("reshape", X, 4, -1), X.reshape(4, -1))
    same(call("reshape", X, -1), X.reshape(-1))
    same(call("reshape", X, shape=(6, 4)), np.reshape(X, shape=(6, 4)))
    same(call("reshape", X, (4, 6), order="F"), np.reshape(X, (4, 6), order="F"))
    same(call("reshape", 5, ()), np.reshape(5, ()))
    same(call("ravel", M.T), np.ravel(M.T))
    same(call("ravel", M, order="F"), np.ravel(M, order="F"))
    flat = call("flatten", M)
    same(flat, M.flatten())
    assert not np.shares_memory(flat, M)
    same(call("flatten", M, order="F"), M.flatten(order="F"))
    copied = call("copy", M)
    same(copied, np.copy(M))
    assert not np.shares_memory(copied, M)
    same(call("copy", 3), np.copy(3))


def test_axis_rearrangements():
    y = X.reshape(2, 1, 3, 4, 1)
    same(call("squeeze", y), np.squeeze(y))
    same(call("squeeze", y, axis=1), np.squeeze(y, axis=1))
    same(call("squeeze", y, axis=(1, 4)), np.squeeze(y, axis=(1, 4)))
    same(call("expand_dims", V, 0), np.expand_dims(V, 0))
    same(call("expand_dims", M, (0, 3)), np.expand_dims(M, (0, 3)))
    same(call("swapaxes", X, 0, 2), np.swapaxes(X, 0, 2))
    same(call("moveaxis", X, 0, -1), np.moveaxis(X, 0, -1))
    same(call("moveaxis", X, (0, 1), (2, 0)), np.moveaxis(X, (0, 1), (2, 0)))
    same(call("flip", X), np.flip(X))
    same(call("flip", X, axis=1), np.flip(X, axis=1))
    same(call("flip", X, (0, 2)), np.flip(X, (0, 2)))
    same(call("fliplr", M), np.fliplr(M))
    same(call("flipud", V), np.flipud(V))
    same(call("roll", V, 1), np.roll(V, 1))
    same(call("roll", M, -1, axis=1), np.roll(M, -1, axis=1))
    same(call("roll", M, (1, 2), axis=(0, 1)), np.roll(M, (1, 2), axis=(0, 1)))
    same(call("broadcast_to", V, (2, 3)), np.broadcast_to(V, (2, 3)))
    same(call("broadcast_to", 7, 4), np.broadcast_to(7, 4))
    same(call("atleast_1d", 5.0), np.atleast_1d(5.0))
    same(call("atleast_1d", V, 2), tuple(np.atleast_1d(V, 2)))
    same(call("atleast_2d", V), np.atleast_2d(V))
    same(call("atleast_2d", 1, M), tuple(np.atleast_2d(1, M)))


def test_joining_and_splitting():
    a, b = np.arange(6).reshape(2, 3), np.arange(6, 12).reshape(2, 3)
    same(call("stack", (a, b)), np.stack((a, b)))
    same(call("stack", (a, b), axis=-1), np.stack((a, b), axis=-1))
    same(call("vstack", (a, b)), np.vstack((a, b)))
    same(call("vstack", (V, V)), np.vstack((V, V)))
    same(call("hstack", (a, b)), np.hstack((a, b)))
    same(call("hstack", (V, np.ones(2))), np.hstack((V, np.ones(2))))
    same(call("dstack", (a, b)), np.dstack((a, b)))
    same(call("column_stack", (V, V * 2)), np.column_stack((V, V * 2)))
    same(call("concatenate", (a, b)), np.concatenate((a, b)))
    same(call("concatenate", (a, b), axis=1), np.concatenate((a, b), axis=1))
    same(call("concatenate", (a, b), axis=None), np.concatenate((a, b), axis=None))
    same(call("concatenate", (a, b.astype(np.float32))), np.concatenate((a, b.astype(np.float32))))
    same(call("split", np.arange(6), 3), tuple(np.split(np.arange(6), 3)))
    same(call("split", M, (1, 3), axis=1), tuple(np.split(M, (1, 3), axis=1)))
    same(call("array_split", np.arange(7), 3), tuple(np.array_split(np.arange(7), 3)))
    same(call("tile", V, 2), np.tile(V, 2))
    same(call("tile", M, (2, 1, 2)), np.tile(M, (2, 1, 2)))
    same(call("repeat", V, 2), np.repeat(V, 2))
    same(call("repeat", M, (1, 0, 2), axis=0), np.repeat(M, (1, 0, 2), axis=0))


def test_diagonals():
    same(call("diag", V), np.diag(V))
    same(call("diag", V, k=-1), np.diag(V, k=-1))
    same(call("diag", M), np.diag(M))
    same(call("diag", M, 1), np.diag(M, 1))
    same(call("diagonal", X), np.diagonal(X))
    same(call("diagonal", X, offset=1, axis1=1, axis2=2), np.diagonal(X, 1, 1, 2))
    same(call("trace", M), np.trace(M))
    same(call("trace", X, 0, 1, 2), np.trace(X, 0, 1, 2))
    same(call("trace", M, dtype="float32"), np.trace(M, dtype=np.float32))
    same(call("trace", np.eye(3, dtype=np.int8)), np.trace(np.eye(3, dtype=np.int8)))
    same(call("tril", M), np.tril(M))
    same(call("tril", M, k=-1), np.tril(M, -1))
    same(call("triu", M, 1), np.triu(M, 1))
    same(call("triu", X), np.triu(X))


# --- errors -----------------------------------------------------------------------------


def test_own_messages():
    assert error("len", np.float64(2.0)) == (
        "a float64 has no length; use size(x) for the number of elements"
    )
    assert error("len", np.array(2.0)) == (
        "a 0-d array has no length; use size(x) for the number of elements"
    )
    assert error("reshape", M) == "missing the new shape, e.g. reshape(x, list(2, 3))"
    assert error("reshape", M, (4, 3), shape=(3, 4)) == (
        "shape given both positionally and by keyword"
    )
    assert error("transpose", M, 1, 0, axes=(1, 0)) == (
        "axes given both positionally and by keyword"
    )
    assert error("broadcast_to", V, (4,)) == (
        "cannot broadcast an array of shape (3,) to shape (4,)"
    )
    assert error("broadcast_to", M, (4,)) == (
        "cannot broadcast an array of shape (3, 4) to shape (4,)"
    )


def test_numpy_messages_get_the_primitive_name():
    assert error("reshape", np.ones(6), (4,)) == ("cannot reshape array of size 6 into shape (4,)")
    assert error("reshape", np.ones(6), -1, -1) == "can only specify one unknown dimension"
    assert error("concatenate", (np.ones((2, 3)), np.ones((2, 2)))) == (
        "all the input array dimensions except for the concatenation axis must "
        "match exactly, but along dimension 1, the array at index 0 has size 3 and the array "
        "at index 1 has size 2"
    )
    assert error("squeeze", np.ones((2, 1)), axis=0) == (
        "cannot select an axis to squeeze out which has size not equal to one"
    )
    assert error("swapaxes", np.ones(3), 0, 2) == (
        "axis2: axis 2 is out of bounds for array of dimension 1"
    )
    assert error("split", np.ones(5), 2) == "array split does not result in an equal division"
    assert error("stack", ()) == "need at least one array to stack"
    assert error("fliplr", np.ones(3)) == "Input must be >= 2-d."
    assert error("transpose", M, (0,)) == "axes don't match array"
    assert error("diag", X) == "Input must be 1- or 2-d."
    assert error("trace", V) == "diag requires an array of at least two dimensions"
