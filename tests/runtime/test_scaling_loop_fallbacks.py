"""A loop that runs in the interpreter instead of compiled says so: in `physl_optimized`,
in the trace's metadata, and once as a LoopFallbackWarning (issue: scale with the cores).
"""

from __future__ import annotations

import ast
import inspect
import warnings

import numpy as np
import pytest

from jetlag import physl
from jetlag.runtime.scheduler import loop_notes
from jetlag.runtime.scheduler.loop_notes import LoopFallbackWarning


def breaking_sum(x, n, limit):
    total = 0.0
    i = 0
    while i < n:
        if total > limit:
            break
        total = total + x[i]
        i += 1
    return total


def plain_sum(x, n):
    total = 0.0
    i = 0
    while i < n:
        total = total + x[i]
        i += 1
    return total


def _while_line(function) -> int:
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if line.strip().startswith("while"))


BREAKING_LOOP = _while_line(breaking_sum)
PLAIN_LOOP = _while_line(plain_sum)


def _fallback_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, LoopFallbackWarning)]


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Each test sees its warnings: forget those given once by earlier tests."""
    monkeypatch.setattr(loop_notes, "_warned", set())


def test_a_loop_refused_by_the_pass_says_why_everywhere():
    f = physl(breaking_sum, trace="events")
    x = np.arange(5.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert f(x, 5, 100.0) == 10.0
        assert f(x, 5, 100.0) == 10.0
    messages = _fallback_warnings(caught)
    assert len(messages) == 1  # once, not per call
    assert f"line {BREAKING_LOOP}" in messages[0] and "it contains break" in messages[0]
    assert caught[0].filename == __file__  # points at the user's call
    text = f.physl_optimized
    comment = "# not compiled: this loop runs in the interpreter: it contains break"
    assert comment in text
    # the comment sits right above the loop it is about
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if comment in line)
    assert lines[at + 1].strip().startswith(f"while${BREAKING_LOOP}$")
    (note,) = f.trace.metadata["loop_fallbacks"]
    assert note["when"] == "compile" and note["line"] == BREAKING_LOOP and "break" in note["reason"]


def test_a_compiled_loop_says_nothing():
    f = physl(plain_sum)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert f(np.arange(4.0), 4) == 6.0
    assert _fallback_warnings(caught) == []
    assert "not compiled" not in f.physl_optimized and "fallback" not in f.physl_optimized
    assert "loop_fallbacks" not in f.trace.metadata
    assert f.loop_fallbacks() == []


def test_a_loop_refused_for_its_values_at_run_time_says_why():
    f = physl(plain_sum)
    objects = np.array([1.0, 2.0, 3.0], dtype=object)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert f(np.arange(3.0), 3) == 3.0
        assert f(objects, 3) == 6.0
        assert f(objects, 3) == 6.0
    messages = _fallback_warnings(caught)
    assert messages == [
        f"the while loop at line {PLAIN_LOOP} runs in the interpreter (slower, same result): "
        "x is a 1-D object array"
    ]
    assert "# fallback: interpreted in 2 of 3 runs so far: x is a 1-D object array" in (
        f.physl_optimized
    )
    (note,) = f.trace.metadata["loop_fallbacks"]
    assert note == {
        "loop": note["loop"],
        "line": PLAIN_LOOP,
        "when": "run",
        "reason": "x is a 1-D object array",
        "interpreted_runs": 2,
        "compiled_runs": 1,
    }
    assert note["loop"].startswith(f"while${PLAIN_LOOP}$")


def test_unoptimized_functions_report_no_loop_notes():
    f = physl(breaking_sum, optimize=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f(np.arange(3.0), 3, 100.0)
    assert _fallback_warnings(caught) == []
    assert f.loop_fallbacks() == []


def last_positive(a, n):
    i = 0
    while i < n:
        if a[i] > 0:
            last = a[i]
        i = i + 1
    return last


def _bound_before_the_loop(source: str) -> tuple[set[str], set[str]]:
    """(names the generated function returns, names bound before its loop starts)."""
    function = next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef) and node.name == "region"
    )
    bound = {arg.arg for arg in function.args.args}
    for statement in function.body:
        if isinstance(statement, ast.While):
            break
        for target in getattr(statement, "targets", []):
            bound |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    returned = next(s for s in function.body if isinstance(s, ast.Return))
    names = {n.id for n in ast.walk(returned) if isinstance(n, ast.Name)}
    return names, bound


@pytest.mark.parametrize(
    "values",
    [np.array([1.0, -2.0, 3.0]), np.array([1, -2, 3]), np.array([True, False])],
    ids=["float64", "int64", "bool"],
)
def test_generated_loops_return_no_variable_a_path_leaves_unbound(values):
    # Python 3.12's bytecode reads a maybe-unbound local with LOAD_FAST_CHECK /
    # LOAD_FAST_AND_CLEAR, which Numba's bytecode analysis refuses (NotDefinedError), so a
    # loop whose `return` names a variable only some paths assign ran interpreted there.
    f = physl(last_positive)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert f(values, len(values)) == last_positive(values, len(values))
    assert _fallback_warnings(caught) == []
    (node,) = loop_notes.compiled_loops(f.program)
    record = loop_notes.history(node)
    assert (record.compiled_runs, record.interpreted_runs) == (1, 0)
    (variant,) = record.variants.values()
    returned, bound = _bound_before_the_loop(variant.region.source)
    assert returned <= bound, f"returned but maybe unbound: {sorted(returned - bound)}"
