"""A loop that prints is compiled: its prints call back into Python when they run.

Every test here is differential: the function runs as plain Python with NumPy, then
compiled, and the printed text must be byte for byte the same, and the values, their types
and dtypes the same; the tests also say whether the loop ran compiled or (visibly) fell
back to the interpreter.
"""

from __future__ import annotations

import math
import threading
import warnings

import numpy as np
import pytest

import examples.data as data
import examples.listings as listings
from jetlag import physl
from jetlag.runtime.codegen.loops import lowerable
from jetlag.runtime.codegen.support_loops import LoopStopped
from jetlag.runtime.errors import PhySLRuntimeError
from jetlag.runtime.ir.nodes import Call
from jetlag.runtime.ir.text import parse_physl
from jetlag.runtime.scheduler.compiled import LoopHistory, history
from jetlag.runtime.scheduler.loop_notes import LoopFallbackWarning
from jetlag.runtime.scheduler.loop_prints import COPY_LIMIT_BYTES, LoopPrints
from jetlag.runtime.scheduler.loop_size import SPLIT_ELEMENTS


def histories(function) -> list[LoopHistory]:
    return [
        history(node)
        for node in function.program.walk()
        if isinstance(node, Call) and node.name == "compiled_loop"
    ]


def assert_same(got, expected) -> None:
    """Equal values of the same type (and dtype); nan equals nan."""
    assert type(got) is type(expected), (got, expected)
    if isinstance(expected, tuple):
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert_same(g, e)
    elif isinstance(expected, np.ndarray | np.generic):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


def copied(args: tuple) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def differential(capsys, function, *args, compiled=None):
    """Run `function` as Python and compiled; assert same output and values."""
    expected = function(*copied(args))
    printed = capsys.readouterr().out
    compiled = compiled or physl(function)
    got = compiled(*copied(args))
    assert capsys.readouterr().out == printed
    assert_same(got, expected)
    return compiled, printed


def runs(compiled) -> list[tuple[int, int]]:
    return [(r.compiled_runs, r.interpreted_runs) for r in histories(compiled)]


def fallbacks(compiled) -> list[str]:
    return [reason for r in histories(compiled) for reason in r.fallbacks]


# -- the paper's listing -------------------------------------------------------------------


def test_lra_loop_compiles_and_prints_exactly_what_numpy_prints(capsys):
    x, y = data.lra_data(40, 5, seed=3)
    lra = physl(listings.lra)
    assert "# not compiled" not in lra.physl_optimized
    assert "compile: while loop -> one Numba function" in lra.physl_optimized
    expected = listings.lra(x, y, 1e-2, 6, True)
    printed = capsys.readouterr().out
    got = lra(x, y, 1e-2, 6, True)
    assert capsys.readouterr().out == printed and printed.count("step:~") == 6
    np.testing.assert_allclose(got, expected, rtol=1e-12)  # the rewrite reassociates sums
    assert runs(lra) == [(1, 0)]


def test_a_print_branch_never_taken_prints_nothing_and_compiles(capsys):
    x, y = data.lra_data(40, 5, seed=3)
    lra = physl(listings.lra)
    lra(x, y, 1e-2, 6, False)
    assert capsys.readouterr().out == ""
    assert runs(lra) == [(1, 0)]


def test_a_large_matrix_leaves_the_loop_to_the_split_primitives_without_a_warning(capsys):
    x, y = data.lra_data(1000, 600, seed=1)
    assert x.size >= SPLIT_ELEMENTS
    lra = physl(listings.lra)
    expected = listings.lra(x, y, 1e-3, 3, True)
    printed = capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("error", LoopFallbackWarning)  # a choice, not a fallback
        got = lra(x, y, 1e-3, 3, True)
    assert capsys.readouterr().out == printed
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    (record,) = histories(lra)
    assert (record.compiled_runs, record.interpreted_runs, record.split_runs) == (0, 0, 1)
    assert "glm_gradient" in {entry.display_name for entry in lra.trace.profile}


# -- values of every kind, printed as Python prints them --------------------------------------


def show_elements(a, n):
    i = 0
    v = a[0]
    while i < n:
        v = a[i]
        print("element", i, v, a[i:], np.shape(a), sep=":", end=";\n")
        i += 1
    return v


AWKWARD = [
    np.array([-128, 127, 0, -1], dtype=np.int8),
    np.array([0, 2**64 - 1, 2**63, 7], dtype=np.uint64),
    np.array([0.1, -2.5e-8, 3.4e38, 1e-45], dtype=np.float32),
    np.array([True, False, True, True]),
    np.array([np.nan, np.inf, -np.inf, -0.0, 1e16, 0.1 + 0.2, 1e-5, 123456789.125]),
]


@pytest.mark.parametrize("a", AWKWARD, ids=lambda a: str(a.dtype))
def test_numpy_scalars_and_arrays_of_awkward_dtypes_print_as_numpy_prints_them(capsys, a):
    compiled, printed = differential(capsys, show_elements, a, len(a))
    assert printed.count("element") == len(a)
    assert runs(compiled) == [(1, 0)]


def arithmetic(a, n, verbose):
    s = a[0]
    t = 0.5
    k = 3
    i = 1
    while i < n:
        s = s + a[i]
        t = t * 1.5
        k = k * 7
        if verbose:
            print(i, s, t, k, t > 1.0, s * 2, a[i:] > s, -t)
        i += 1
    return s, t, k


SUMMED = [
    np.array([1, -2, 3, 40], dtype=np.int8),  # no overflow (NumPy would warn)
    np.array([0, 2**62, 2**61, 7], dtype=np.uint64),
    np.array([0.1, -2.5e-8, 1e-45, 3.0], dtype=np.float32),
    AWKWARD[4],
]


@pytest.mark.parametrize("a", SUMMED, ids=lambda a: str(a.dtype))
def test_python_and_numpy_scalars_computed_in_the_loop_print_with_their_own_types(capsys, a):
    for verbose in (True, False):
        compiled, printed = differential(capsys, arithmetic, a, len(a), verbose)
        assert (printed != "") is verbose
        assert runs(compiled) == [(1, 0)]


def keywords(a, n):
    i = 0
    while i < n:
        print()
        print("only text")
        print(a[i], i, sep="")
        print(a[i], i, sep=None, end=None)
        print("tab\tand é and \\", end="")
        print(a[i] * 2.5, end="|\n")
        i += 1
    return i


def test_sep_end_empty_prints_and_unusual_characters(capsys):
    compiled, printed = differential(capsys, keywords, np.array([1, 2, 3]), 3)
    assert "only text" in printed and runs(compiled) == [(1, 0)]


def test_numpy_print_options_of_the_caller_apply(capsys):
    a = np.linspace(0.0, 1.0, 7)
    with np.printoptions(precision=2, floatmode="fixed"):
        compiled, printed = differential(capsys, show_elements, a, 3)
    assert "0.17" in printed and runs(compiled) == [(1, 0)]


def around(a, n):
    print("before", n)
    i = 0
    total = 0.0
    while i < n:
        total = total + a[i]
        print("step", i, total)
        i += 1
    print("after", total)
    return total


def test_prints_before_in_and_after_the_loop_keep_program_order(capfd):
    a = np.arange(5.0) / 3.0
    expected = around(a, 5)
    printed = capfd.readouterr().out
    compiled = physl(around)
    assert compiled(a, 5) == expected
    assert capfd.readouterr().out == printed
    assert runs(compiled) == [(1, 0)]


# -- what still falls back, visibly, with the same output ------------------------------------


def test_complex_values_fall_back_and_still_print_the_same(capsys):
    a = np.array([1 + 2j, -0.5j, np.nan + 1j], dtype=np.complex64)
    compiled, _ = differential(capsys, show_elements, a, 3)
    assert runs(compiled) == [(0, 1)]
    assert fallbacks(compiled) == ["a is a 1-D complex64 array"]


def mixed(a, n):
    v = 0
    i = 0
    while i < n:
        print(v)
        v = a[i]
        i += 1
    return v


def test_a_value_whose_type_differs_by_path_falls_back_and_says_why(capsys):
    compiled, printed = differential(capsys, mixed, np.array([4, 5]), 2)
    assert printed == "0\n4\n" and runs(compiled) == [(0, 1)]
    (reason,) = fallbacks(compiled)
    assert reason.startswith("print of a value that may be")


def powers(n):
    k = 1
    i = 0
    while i < n:
        k = k * 3
        print("k =", k)
        i += 1
    return k


def test_an_int_outgrowing_64_bits_reruns_without_printing_twice(capsys):
    compiled, printed = differential(capsys, powers, 50)
    assert printed.count("k =") == 50 and f"k = {3**50}\n" in printed
    assert runs(compiled) == [(0, 1)]
    (reason,) = fallbacks(compiled)
    assert "cannot compute as Python and NumPy do" in reason


def walk(a, n):
    i = 0
    while i < n:
        print("at", i, a)
        a[i] = a[i] + 1.0
        i += 1
    return a


def test_an_error_after_some_prints_prints_them_once_then_raises(capsys):
    a = np.zeros(3)
    with pytest.raises(IndexError):
        walk(a, 5)
    printed = capsys.readouterr().out
    b = np.zeros(3)
    with pytest.raises(PhySLRuntimeError, match="out of bounds"):
        physl(walk)(b, 5)
    assert capsys.readouterr().out == printed and printed.count("at") == 4
    np.testing.assert_array_equal(b, a)


# -- the pieces ----------------------------------------------------------------------------


def loop_of(text: str) -> Call:
    (node,) = parse_physl(text).body
    assert isinstance(node, Call)
    return node


@pytest.mark.parametrize(
    "body,reason",
    [
        ("print(s, flush=true)", "print is called with flush="),
        ("print(s, sep=s)", "print's sep is not a string literal or None"),
        ("store(s, print(s))", "print has no compiled form"),
    ],
)
def test_prints_without_a_compiled_form_say_why(body, reason):
    text = f"while(__lt(s, 3), block({body}, store(s, __add(s, 1))))"
    assert lowerable(loop_of(text)) == reason


def test_a_print_of_a_large_array_waits_and_leaves_when_the_loop_is_asked_to_stop():
    stop, where = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    prints = LoopPrints(stop, where)
    large = np.zeros(COPY_LIMIT_BYTES // 8 + 1)  # formatted while the loop waits, not copied
    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            prints.send((large,), None, None)
        except LoopStopped as stopped:
            outcome.append(stopped)

    thread = threading.Thread(target=worker)
    thread.start()
    stop[0] = 1  # the driver never served it (Ctrl-C)
    thread.join(timeout=5)
    assert not thread.is_alive() and len(outcome) == 1 and prints.written == []


class FailingStream:
    """A stdout whose writes fail after the first `good` ones (a closed pipe)."""

    def __init__(self, good: int) -> None:
        self.good, self.text = good, ""

    def write(self, text: str) -> int:
        if self.good == 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.good -= 1
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_a_failed_write_is_the_error_of_that_print_and_nothing_is_written_twice(monkeypatch):
    a = np.zeros(6)
    python_stream = FailingStream(15)  # two prints of 6 pieces, and 3 pieces of the third
    monkeypatch.setattr("sys.stdout", python_stream)
    with pytest.raises(BrokenPipeError):
        walk(a, 6)
    compiled_stream = FailingStream(15)
    monkeypatch.setattr("sys.stdout", compiled_stream)
    b = np.zeros(6)
    compiled = physl(walk)
    with pytest.raises(PhySLRuntimeError, match="print failed") as caught:
        compiled(b, 6)
    assert isinstance(caught.value.__cause__, BrokenPipeError)
    assert compiled_stream.text == python_stream.text
    assert python_stream.text.count("at") == 3 and python_stream.text.endswith("at 2")
    np.testing.assert_array_equal(b, a)
    assert runs(compiled) == [(0, 1)]  # failed at the print, then run by the interpreter
