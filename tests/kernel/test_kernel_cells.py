"""The compile-or-Python split of cells, without a kernel: planning, data flow, runs.

These tests drive `CellController` directly with a plain dict as the namespace, the way
the rewritten cell does inside the kernel (one `plain(i)` call per candidate statement).
"""

from __future__ import annotations

import ast

import numpy as np
import pytest

from jetlag.kernel.cells import CANDIDATE, DEF, PLAIN, plan_cell, rewrite
from jetlag.kernel.dataflow import analyze
from jetlag.kernel.functions import CellFunction
from jetlag.kernel.runs import CellController, PreparedRun, Refused, prepare_run
from jetlag.kernel.state import KernelState
from jetlag.kernel.synthetic import build_run
from jetlag.kernel.values import is_data

CELL = "<cell>"


def plan_of(source: str):
    return plan_cell(ast.parse(source).body, tuple(source.splitlines()), CELL)


def run_cell(source: str, namespace: dict) -> CellController:
    """Run every candidate of `source` that the controller compiles; return the controller."""
    plan = plan_of(source)
    controller = CellController(plan, namespace, KernelState(trace_mode="off"), "In[1]", 1)
    for stmt in plan.statements:
        if stmt.kind == CANDIDATE:
            assert not controller.plain(stmt.index), controller.records[stmt.index].detail
    return controller


def test_plan_classifies_statements_with_reasons():
    plan = plan_of(
        "import numpy as np\n"
        "x = np.ones(3)\n"
        "def f(a):\n"
        "    return a\n"
        "xs = [1, 2]\n"
        "with open('f') as h:\n"
        "    pass\n"
        "y = x; z = x\n"
        "np.sum(x)\n"
    )
    kinds = [(s.kind, s.reason) for s in plan.statements]
    assert kinds == [
        (PLAIN, "import statements run as Python"),
        (CANDIDATE, ""),
        (DEF, ""),
        (PLAIN, "makes a list (a compiled run would make a tuple)"),
        (PLAIN, "with statements run as Python"),
        (PLAIN, "shares a line with another statement"),
        (PLAIN, "shares a line with another statement"),
        (CANDIDATE, ""),
    ]
    assert plan.display_last
    assert [s.lines for s in plan.statements[2:4]] == ["lines 3-4", "line 5"]


def test_lists_as_numpy_arguments_and_indexes_are_allowed():
    plan = plan_of("a = np.array([[1, 2], [3, 4]])\nb = a[[0, 1]]\nc = f([1])\n")
    assert [s.kind for s in plan.statements] == [CANDIDATE, CANDIDATE, PLAIN]


def test_rewrite_guards_candidates_and_compiles_defs():
    plan = plan_of("x = np.ones(3)\ndef f(a):\n    return a\nf(x)\n")
    nodes = rewrite(plan, "C")
    text = ast.unparse(ast.Module(nodes, []))
    assert "if C.plain(0):\n    x = np.ones(3)" in text
    assert "C.compile_def('f', 1)" in text
    assert text.endswith("C.value(2) if not C.plain(2) else f(x)")
    assert nodes[0].body[0] is plan.statements[0].node  # original positions kept


def test_dataflow_reads_assignments_and_conditionals():
    flow = analyze(
        ast.parse(
            "y = x + 1\n"
            "for i in range(n):\n"
            "    t = y * i\n"
            "    s = s + t\n"
            "if c:\n"
            "    u = 1\n"
            "else:\n"
            "    u = 2\n"
            "v = u + w\n"
        ).body
    )
    assert flow.reads == {"x": 0, "range": 1, "n": 1, "s": 1, "c": 2, "w": 3}
    assert flow.assigned == ["y", "i", "t", "s", "u", "v"]
    assert flow.conditional_first == {"i", "t", "s", "u"}
    assert flow.maybe_reads == set()


def test_dataflow_maybe_reads():
    flow = analyze(ast.parse("if c:\n    k = 1\nm = k + 1\n").body)
    assert flow.reads["k"] == 1 and flow.maybe_reads == {"k"}


def test_synthetic_text_and_line_map():
    lines = ("import numpy as np", "w = np.dot(x, y)", "", "w.sum()")
    run = build_run("cell1", "<r>", lines, 2, 4, ("x", "y"), ("w",), ("t",), ("out", 4))
    assert run.text == (
        "def cell1(x, y):\n"
        "    t = '<jetlag: unassigned>'\n"
        "    w = np.dot(x, y)\n"
        "\n"
        "    out = w.sum()\n"
        "    return (w, out,)\n"
    )
    assert run.cell_position(3, 8) == (2, 4)
    assert run.cell_position(5, 10) == (4, 0)
    assert run.cell_position(5, 4) is None  # the invented `out = `
    assert run.cell_position(1, 0) is None


def test_run_tags_point_at_cell_lines_and_columns():
    source = "import numpy as np\nw = np.dot(x, y) * 2.0\nz = w + 1.0\n"
    plan = plan_of(source)
    namespace = {"np": np, "x": np.ones((2, 3)), "y": np.ones(3)}
    prepared = prepare_run(plan, 1, 2, namespace, "cell7", "In[7]")
    assert isinstance(prepared, PreparedRun)
    assert prepared.run.params == ("x", "y") and prepared.run.results == ("w", "z")
    physl = prepared.physl
    assert "dot$2$4(x$2$11, y$2$14)" in physl
    assert "define$3$0(z$3$0, __add$3$4(w$3$4, 1.0))" in physl
    assert physl.startswith("define(\n    cell7,")  # invented nodes carry no tag


def test_controller_runs_compiled_and_stores_results():
    namespace = {"np": np, "x": np.arange(6.0).reshape(2, 3)}
    controller = run_cell("s = np.sum(x, axis=0)\nt = s * 2\nt.sum()\n", namespace)
    np.testing.assert_array_equal(namespace["t"], np.array([6.0, 10.0, 14.0]))
    assert controller.value(2) == 30.0
    assert [r.how for r in controller.report_rows()] == ["compiled"]


def test_unassigned_names_stay_unassigned():
    namespace = {"np": np, "x": np.ones(3)}
    run_cell("for i in range(0):\n    k = np.sum(x)\n", namespace)
    assert "i" not in namespace and "k" not in namespace


def test_conditionally_assigned_name_keeps_its_old_value():
    namespace = {"np": np, "x": np.ones(3), "k": 7}
    run_cell("if np.sum(x) > 10:\n    k = 1\n", namespace)
    assert namespace["k"] == 7


def test_statement_the_frontend_rejects_splits_the_run():
    source = "a = np.ones(2)\nb = np.fft.fft(a)\nc = a * 3\n"
    plan = plan_of(source)
    namespace = {"np": np}
    controller = CellController(plan, namespace, KernelState(trace_mode="off"), "In[3]", 3)
    assert controller.plain(0) is False  # runs `a = ...` compiled, alone
    assert "a" in namespace and "b" not in namespace
    assert controller.plain(1) is True
    reason = controller.records[1].detail
    assert reason.startswith("In[3]:2:5: ") and "numpy.fft.fft is not a PhySL primitive" in reason
    assert controller.plain(2) is False
    np.testing.assert_array_equal(namespace["c"], [3.0, 3.0])


@pytest.mark.parametrize(
    ("source", "namespace", "reason"),
    [
        ("y = np.sum(xs)\n", {"xs": [1, 2]}, "'xs' is a list; compiled runs take arrays"),
        ("y = np.sum(nope)\n", {}, "name 'nope' is not defined"),
        ("n = 3\nm = n + 1\n", {}, "no array work"),
        ("y = x\nx\n", {"x": np.ones(2)}, "no array work"),
        ("x += 1\n", {"x": np.ones(2)}, "'x op= ...' would update an array in place"),
    ],
)
def test_refusals_keep_python(source, namespace, reason):
    plan = plan_of(source)
    outcome = prepare_run(plan, 0, len(plan.statements) - 1, {"np": np, **namespace}, "c", "In")
    assert isinstance(outcome, Refused) and outcome.reason.startswith(reason)


def test_is_data():
    assert is_data(np.ones(2)) and is_data(3) and is_data((1.0, np.float32(2)))
    assert not is_data([1]) and not is_data(np.array([object()])) and not is_data({})


def bump_in_place(a, v):
    b = a
    a += v
    return b


def test_a_cell_function_updates_an_array_argument_in_place():
    # `a += v` in a function defined in a cell writes the caller's array, as in Python.
    function = CellFunction(bump_in_place, KernelState(trace_mode="off"), "In[1]")
    a = np.arange(3.0)
    assert function(a, 1.0) is a
    np.testing.assert_array_equal(a, [1.0, 2.0, 3.0])
    assert "__iadd" in function.physl
