"""Functions the job tests send as source text (top-level defs, so their lines are kept)."""

import numpy as np

from jetlag import physl

RATE = 0.25


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@physl
def lra(X, y, alpha, iterations):
    w = np.zeros(X.shape[1])
    for _ in range(iterations):
        pred = sigmoid(X @ w)
        w = w - alpha * RATE * (X.T @ (pred - y))
    print("lra done after", iterations, "iterations")
    return w, iterations


def identity(a, b, c, d, e, f, g, h, i, j):
    return a, b, c, d, e, f, g, h, i, j


def scale(x, factor, shift):
    return x * factor + shift


def tiny(i):
    return i + 1


def forever(x):
    s = 0.0
    while s >= 0.0:
        s = s + x
    return s


def mismatch(a, b):
    return a + b
