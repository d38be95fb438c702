"""Lowering a PhySL while loop to the source of one Numba function (codegen/loops.py)."""

from __future__ import annotations

import numpy as np
import pytest

from jetlag.runtime.codegen.build import load_source
from jetlag.runtime.codegen.loops import lowerable, region_source
from jetlag.runtime.codegen.support_loops import LoopStopped
from jetlag.runtime.ir.nodes import Call
from jetlag.runtime.ir.text import parse_physl


def loop_of(text: str) -> Call:
    """The first while loop of a PhySL text."""
    program = parse_physl(text)
    return next(n for n in program.walk() if isinstance(n, Call) and n.name == "while")


ACCUMULATE = """
while$2$4(
    __lt$2$10(i$2$10, n$2$14),
    block$3$8(
        if$3$8(
            __gt$3$11(slice$3$11(a$3$11, i$3$13), 0.0),
            store$4$12(total$4$12, __add$4$20(total$4$20, slice$4$28(a$4$28, i$4$30))),
            store$6$12(slice$6$12(a$6$12, i$6$14), 0.0)
        ),
        store$7$8(i$7$8, __add$7$12(i$7$12, 1))
    )
)
"""


def test_region_source_spells_each_primitive_once_with_its_site():
    region = region_source(loop_of(ACCUMULATE), ["i", "n", "a", "total"], ["total"])
    source = region.source
    assert '@njit(nogil=True, boundscheck=True, error_model="numpy")' in source
    assert "def region(v_i, v_n, v_a, v_total, where, stop):" in source
    assert source.count("raise LoopStopped()") == 1  # one loop: one check per iteration
    assert "        if stop[0] != 0:\n            raise LoopStopped()" in source
    assert "support_store(v_a, (v_i,), 0.0)" in source
    assert source.rstrip().endswith("return (v_total,)")
    # where[0] = k names sites[k]; every call and store has one.
    names = [getattr(site, "instance_name", "") for site in region.sites]
    assert names == [
        "__lt$2$10",
        "while$2$4",
        "slice$3$11",
        "__gt$3$11",
        "if$3$8",
        "slice$4$28",
        "__add$4$20",
        "store$6$12",
        "__add$7$12",
    ]
    for index, name in enumerate(names):
        assert f"where[0] = {index}  # {name}" in source


def test_typed_region_source_spells_python_ints_checked_and_numpy_floats_as_numpy():
    from jetlag.runtime.codegen.value_types import ValueType, python_scalar

    f64 = np.dtype(np.float64)
    types = [python_scalar(int), python_scalar(int), ValueType("array", f64, 1)]
    types.append(python_scalar(float))
    region = region_source(
        loop_of(ACCUMULATE), ["i", "n", "a", "total"], ["total"], (), None, types
    )
    source = region.source
    # i + 1 on Python ints: checked (a Python int grows past 64 bits; Deviation instead).
    assert "t6 = support_py_add(v_i, 1)" in source
    assert "from jetlag.runtime.codegen.support_exact import (\n    support_py_add,\n)" in source
    # total starts a Python float and becomes a NumPy float64 (a[i] is one): tagged.
    assert region.tagged == ("total",)
    assert [t.describe() for t in region.output_types[0]] == ["a NumPy float64", "a Python float"]
    assert "y_total = 1" in source and "y_total = 0" in source
    assert ("v_total", ("scalar", "float64", 0)) in region.holds
    assert region.written == ("a",)


def test_spans_nil_indices_and_lists():
    text = """
    while(__lt(i, 3), block(
        store(slice(x, i, span(nil, nil, nil)), slice(y, span(1, nil, 2), nil)),
        store(slice(x, span(2), 0), zeros_like(list(i, 2))),
        store(i, __add(i, 1))
    ))
    """
    assert lowerable(loop_of(text)) == "zeros_like has no compiled form"
    text = text.replace("zeros_like(list(i, 2))", "slice(list(i, 2), 0)")
    source = region_source(loop_of(text), ["i", "x", "y"], []).source
    assert "support_store(v_x, (v_i, slice(None, None, None),), t" in source
    assert "= v_y[1::2, None]" in source
    assert "support_store(v_x, (slice(None, 2), 0,), t" in source
    assert "= (v_i, 2)[0]" in source
    assert source.rstrip().endswith("return ()")


@pytest.mark.parametrize(
    "body,reason",
    [
        ("print(s, file=s)", "print is called with file="),
        ("store(s, sum(a, axis=0))", "sum is called with keyword arguments"),
        ("break()", "break is not compiled inside loops"),
        ("for(j, range(3), store(s, j))", "for is not compiled inside loops"),
        ('store(s, "text")', "the literal 'text' is not a number"),
        ("store(s, slice(a, list(0, 1)))", "a list used as an index"),
        ("define(g, x, x)", "define with 3 arguments (a function)"),
        ("store(s, if(true, 1))", "the value of an if without else (nil) is used"),
    ],
)
def test_not_lowerable_parts_say_why(body, reason):
    text = f"while(__lt(s, 3), block({body}, store(s, __add(s, 1))))"
    assert lowerable(loop_of(text)) == reason


def test_fused_primitives_lower_as_their_definition():
    text = """
    while(__lt(k, 2), block(
        store(w, fused_elementwise(lambda(t0, c, __add(t0, __mul(c, 2.0))), w, k)),
        store(g, glm_gradient(x, w, lambda(z, y, __sub(z, y)), y)),
        store(k, __add(k, 1))
    ))
    """
    source = region_source(loop_of(text), ["k", "w", "x", "y"], ["w", "g"]).source
    # The lambda parameters stand for the operands; nothing else of the lambda remains.
    assert "(v_k * 2.0)" in source
    assert "np.dot(v_x, v_w)" in source
    assert "np.dot(t" in source and "np.transpose(v_x)" in source
    assert "lambda" not in source.split("def region")[1]


def test_generated_function_runs_reports_its_site_and_stops():
    region = region_source(loop_of(ACCUMULATE), ["i", "n", "a", "total"], ["total"])
    function = load_source(region.source).region
    a = np.array([1.0, -2.0, 3.0])
    where, stop = np.zeros(1, np.int64), np.zeros(1, np.int64)
    assert function(0, 3, a, 0.0, where, stop) == (4.0,)
    np.testing.assert_array_equal(a, [1.0, 0.0, 3.0])
    with pytest.raises(IndexError):
        function(0, 5, a, 0.0, where, stop)
    assert region.sites[where[0]].instance_name == "slice$3$11"
    stop[0] = 1
    with pytest.raises(LoopStopped):
        function(0, 3, a, 0.0, where, stop)
