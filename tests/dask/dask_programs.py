"""Small NumPy-style functions over the primitives with a distributed form (and a few
without one), compiled by the Dask executor's tests and compared with the threads executor."""

import numpy as np


def elementwise(x, y):
    return np.exp(-x) * 2.0 + np.sqrt(np.abs(y)) - x / (1.0 + y * y)


def comparisons(x, y):
    return np.where(x > y, x, y) + (x <= 0.5)


def integer_math(n, k):
    return (n * 3 + k) // 2 - n % 5


def row_vector(x, v):
    return x * v + v


def reductions(x):
    return np.sum(x), np.max(x), np.min(x), np.mean(x)


def axis_reductions(x):
    return np.sum(x, axis=0), np.sum(x, axis=1), np.max(x, axis=0), np.min(x, axis=1)


def keepdims_reductions(x):
    return np.sum(x, axis=0, keepdims=True), np.mean(x, axis=1), np.prod(x[:3], axis=0)


def truth_reductions(x):
    return np.any(x > 0.99), np.all(x >= 0.0), np.sum(x > 0.5)


def integer_sum(n):
    return np.sum(n), np.sum(n, axis=0), np.max(n, axis=1)


def products(x, w):
    z = np.dot(x, w)
    g = np.dot(np.transpose(x), z)
    return z, g, x.T @ x, np.matmul(x, np.ones((x.shape[1], 3)))


def vector_dot(x):
    v = x[:, 0]
    return np.dot(v, v), np.dot(x.T, v)


def fused_chain(x, y):
    t = 1.0 / (1.0 + np.exp(-(x * 0.5 + y)))
    return t * t - y


def without_distributed_form(x):
    s = np.sort(x, axis=0)
    return s[0:3, :], np.cumsum(x, axis=1)[-1], np.linalg.norm(x[:4, :4])


def shape_of(x):
    rows = np.shape(x)[0]
    return rows + len(x) + x.ndim + np.size(x)


def loop_on_client(x, steps):
    total = np.zeros(x.shape[1])
    i = 0
    while i < steps:
        total = total + np.sum(x * (i + 1), axis=0)
        i += 1
    return total


def writes_argument(x, v):
    before = np.sum(x)
    x[0, :] = v
    return before, np.sum(x)
