"""The JetLag paper's two listings compile to sensible PhySL trees.

The listings come from examples/listings.py, kept verbatim from the paper (Listing 1:
logistic regression, Listing 2: alternating least squares, which calls the bare
primitive `inverse`). They are compiled from source text, as a job or a notebook cell would be.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

from jetlag.runtime.frontend import compile_source
from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import listings  # noqa: E402

# The listings exactly as published (examples/listings.py keeps them verbatim), with their
# comment line first so the def is on line 2 as in the paper.
LISTING_1 = "# Logistic Regression Algorithm\n" + inspect.getsource(listings.lra)
LISTING_2 = "# Alternating Least Square\n" + inspect.getsource(listings.ALS)

NAMESPACE = {"np": np}


def calls(node: Node, name: str) -> list[Call]:
    return [n for n in node.walk() if isinstance(n, Call) and n.name == name]


def binder(call: Call) -> str:
    target = call.args[0]
    assert isinstance(target, Variable)
    return target.name


def position(source: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """(1-based line, 0-based column) of the n-th occurrence of `needle`."""
    found = -1
    for number, line in enumerate(source.splitlines(), start=1):
        col = line.find(needle)
        while col >= 0:
            found += 1
            if found == occurrence:
                return number, col
            col = line.find(needle, col + 1)
    raise AssertionError(f"{needle!r} not found")


@pytest.fixture(scope="module")
def lra():
    return compile_source(LISTING_1, "lra.py", "lra", NAMESPACE)


@pytest.fixture(scope="module")
def als():
    return compile_source(LISTING_2, "als.py", "ALS", NAMESPACE)


def test_lra_is_one_define_with_the_parameters(lra):
    assert lra.entry == "lra"
    assert lra.dependencies == ()
    assert lra.filename == "lra.py"
    (define,) = lra.program.body
    assert define.name == "define"
    names = [binder(define)] + [p.name for p in define.args[1:-1]]
    assert names == ["lra", "x", "y", "alpha", "iterations", "enable_output"]
    assert (define.loc.line, define.loc.col) == (2, 0)
    assert (define.args[0].loc.line, define.args[0].loc.col) == (2, 4)
    assert lra.program.source_line(2).startswith("def lra(")


def test_lra_defines_before_the_loop_and_stores_inside(lra):
    body = lra.program.body[0].args[-1]
    assert body.name == "block"
    top_defines = [binder(c) for c in body.args if isinstance(c, Call) and c.name == "define"]
    assert top_defines == ["weights", "transx", "pred", "error", "gradient", "step"]
    (loop,) = calls(lra.program, "while")
    stores = [binder(c) for c in calls(loop, "store")]
    assert stores == ["pred", "error", "gradient", "weights", "step"]
    assert calls(loop, "define") == []
    # `return weights` is the block's value, not a return(...) form
    assert body.args[-1] == Variable("weights", loc=body.args[-1].loc)
    assert calls(lra.program, "return") == []


def test_lra_expressions(lra):
    (loop,) = calls(lra.program, "while")
    assert loop.args[0].name == "__lt"
    (condition,) = calls(loop, "if")
    (print_call,) = calls(condition, "print")
    assert [a.value for a in print_call.args if isinstance(a, Literal)] == ["step:~", "~"]
    (neg,) = calls(loop, "__neg")
    assert neg.args[0].name == "dot"
    zeros = calls(lra.program, "zeros")[0]
    assert zeros.args[0].name == "slice"
    assert zeros.args[0].args[0].name == "shape"
    assert zeros.args[0].args[1] == Literal(1)
    line, col = position(LISTING_1, "np.exp")
    (exp,) = calls(lra.program, "exp")
    assert (exp.loc.line, exp.loc.col) == (line, col)
    (increment,) = [c for c in calls(loop, "store") if binder(c) == "step"]
    assert increment.args[1].name == "__iadd"
    assert increment.args[1].args[1] == Literal(1)


def test_als_structure(als):
    assert als.entry == "ALS"
    body = als.program.body[0].args[-1]
    top_defines = [binder(c) for c in body.args if isinstance(c, Call) and c.name == "define"]
    assert top_defines == [
        "num_users", "num_items", "conf", "conf_u", "conf_i", "c_u", "c_i", "p_u", "p_i",
        "I_f", "I_i", "I_u", "i", "u", "k", "XtX", "YtY", "A", "b", "result",
    ]  # fmt: skip
    loops = calls(als.program, "while")
    assert len(loops) == 3
    outer = loops[0]
    assert len(calls(outer, "while")) == 3  # itself and the two inner loops
    assert calls(outer, "define") == []
    plain = [binder(c) for c in calls(outer, "store") if isinstance(c.args[0], Variable)]
    assert plain == [
        "YtY", "XtX", "conf_u", "c_u", "p_u", "A", "b", "u",
        "conf_i", "c_i", "p_i", "A", "b", "i", "u", "i", "k",
    ]  # fmt: skip


def test_als_stores_into_rows(als):
    into = [c for c in calls(als.program, "store") if isinstance(c.args[0], Call)]
    assert len(into) == 2
    for store, (matrix, row) in zip(into, [("X", "u"), ("Y", "i")], strict=True):
        target = store.args[0]
        assert target.name == "slice"
        assert [a.name for a in target.args[:2]] == [matrix, row]
        assert target.args[2] == Call("span", (Literal(None),) * 3, loc=target.args[2].loc)
        value = store.args[1]
        assert value.name == "dot"
        assert value.args[0].name == "inverse"
        line, col = position(LISTING_2, f"{matrix}[{row}, :] =")
        assert (store.loc.line, store.loc.col) == (line, col)
        assert (target.args[0].loc.line, target.args[0].loc.col) == (line, col)


def test_als_slices_and_comparisons(als):
    rows, columns = [
        c
        for c in calls(als.program, "slice")
        if isinstance(c.args[0], Variable) and c.args[0].name == "conf"
    ]

    def everything(index: Node) -> bool:
        return isinstance(index, Call) and index.name == "span" and index.args == (nil,) * 3

    nil = Literal(None)
    assert rows.args[1].name == "u" and everything(rows.args[2])
    assert everything(columns.args[1]) and columns.args[2].name == "i"
    assert [c.name for c in calls(als.program, "__ne")] == ["__ne", "__ne"]
    assert len(calls(als.program, "diag")) == 2
    (vstack,) = calls(als.program, "vstack")
    assert vstack.args[0].name == "list"


def test_every_call_and_variable_is_tagged(lra, als):
    for compiled, source in ((lra, LISTING_1), (als, LISTING_2)):
        lines = source.splitlines()
        for node in compiled.program.walk():
            if isinstance(node, (Call, Variable)):
                assert node.loc is not None and node.loc.tagged, node
                text = lines[node.loc.line - 1]
                assert 0 <= node.loc.col < len(text)
            if isinstance(node, Variable):
                # a variable's tag points at its name in the source
                line = lines[node.loc.line - 1]
                assert line[node.loc.col :].startswith(node.name), (node, line)


def test_listings_print_and_parse_back(lra, als):
    text = pytest.importorskip("jetlag.runtime.ir.text")
    for compiled in (lra, als):
        printed = text.print_physl(compiled.program)
        assert "define$2$0(" in printed
        assert text.parse_physl(printed) == compiled.program
