"""The loop-compilation pass: which loops compile, their inputs and outputs, the PhySL."""

from __future__ import annotations

import pytest

import examples.listings as listings
from jetlag import physl
from jetlag.runtime.ir.nodes import Call, Program
from jetlag.runtime.ir.text import parse_physl, print_physl
from jetlag.runtime.passes import explain
from jetlag.runtime.passes.compile_loops import CompileLoops


def compiled(program: Program) -> list[tuple]:
    """(the loop's instance name, inputs, outputs[, row counter]) of each compiled_loop."""
    found = []
    for node in program.walk():
        if isinstance(node, Call) and node.name == "compiled_loop":
            loop, inputs, outputs, *counter = node.args
            names = [[v.name for v in part.args] for part in (inputs, outputs)]  # type: ignore[union-attr]
            rows = tuple(c.value for c in counter)  # type: ignore[attr-defined]
            found.append((loop.instance_name, *names, *rows))  # type: ignore[union-attr]
    return found


def run_pass(text: str) -> tuple[Program, list[str]]:
    result = CompileLoops().run(parse_physl(text))
    return result.program, [change.text for change in result.applied]


def in_function(body: str, params: str = "a, n") -> str:
    return f"define$1$0(f$1$4, {params}, block$1$0({body}))"


def test_als_row_loops_compile_with_exact_inputs_and_the_outer_loop_stays_interpreted():
    als = physl(listings.ALS)
    assert compiled(als.program) == [
        (
            "while$58$8",
            ["u", "num_users", "conf", "YtY", "Y", "num_items", "X"],
            [],
            "u",
        ),
        (
            "while$67$8",
            ["i", "num_items", "conf", "XtX", "X", "num_users", "Y"],
            [],
            "i",
        ),
    ]
    assert (
        "                # compile: while loop -> one Numba function, its iterations over u "
        "(independent rows of X) split across workers (inputs: u, num_users, conf, YtY, Y, "
        "num_items, X; outputs: none)\n                compiled_loop$58$8(\n"
    ) in als.physl_optimized
    assert "        while$55$4(\n" in als.physl_optimized  # interpreted: its products are tasks


def test_a_loop_without_row_loops_inside_compiles_whole():
    text = in_function(
        """
        define(i, 0), define(j, 0), define(s, 0.0),
        while$3$8(__lt(i, n), block(
            store(j, 0),
            while(__lt(j, 3), block(store(s, __add(s, slice(a, i, j))), store(j, __add(j, 1)))),
            store(i, __add(i, 1))
        )),
        s
        """
    )
    program, applied = run_pass(text)
    assert compiled(program) == [("while$3$8", ["i", "n", "s", "a"], ["s"])]
    assert applied == ["compile: while loop -> one Numba function (inputs: i, n, s, a; outputs: s)"]


def test_optimized_physl_round_trips():
    program = physl(listings.ALS).program
    text = print_physl(program)
    assert "list(u, num_users, conf, YtY, Y, num_items, X),\n" in text
    assert '"u"\n' in text  # the row counter
    reparsed = parse_physl(text)
    assert reparsed == program
    assert print_physl(reparsed) == text
    # Optimizing again leaves the compiled loop as it is.
    again = explain(reparsed)
    assert compiled(again.program) == compiled(program)
    assert not [a for a in again.applied if a.text.startswith("compile:")]


def test_optimize_false_compiles_nothing():
    assert compiled(physl(listings.ALS, optimize=False).program) == []


def test_top_level_loops_stay_interpreted():
    program, applied = run_pass("define(i, 0)\nwhile(__lt(i, 3), store(i, __add(i, 1)))")
    assert compiled(program) == [] and applied == []


@pytest.mark.parametrize(
    "statement",
    [
        "if(__gt(i, 5), break())",
        "if(__gt(i, 5), return(i))",
        "store(s, g(i))",  # a user function
        "define(h, x, __add(x, 1))",
        "store(s, random(3))",  # an effect
        "store(s, sum(a))",  # no compiled form
    ],
)
def test_loops_with_effects_control_or_unknown_calls_stay_interpreted(statement):
    text = "define(g, x, x)\n" + in_function(
        f"define(s, 0), define(i, 0), while(__lt(i, n), block({statement}, "
        "store(i, __add(i, 1)))), s"
    )
    program, applied = run_pass(text)
    assert compiled(program) == [] and applied == []


def test_a_loop_that_prints_compiles_and_is_never_split_into_rows():
    # print calls back into Python when it runs (codegen/printing.py); the rows of a row
    # loop would run at once on several workers, so a printing one runs whole, in order.
    text = in_function(
        "define(i, 0), while$2$4(__lt(i, n), block("
        'print("row", i), store(slice(a, i), 1.0), store(i, __add(i, 1)))), a'
    )
    program, applied = run_pass(text)
    assert compiled(program) == [("while$2$4", ["i", "n", "a"], [])]
    assert applied == ["compile: while loop -> one Numba function (inputs: i, n, a; outputs: none)"]


def test_a_primitive_name_the_program_rebinds_is_not_compiled():
    text = in_function(
        "define(exp, 2.0), define(i, 0), define(s, 0.0), "
        "while(__lt(i, n), block(store(s, __add(s, exp(1.0))), store(i, __add(i, 1)))), s"
    )
    assert compiled(run_pass(text)[0]) == []


def test_inputs_are_upward_exposed_and_outputs_live_after():
    text = in_function(
        """
        define(s, 0.0), define(i, 0), define(t, 0.0), define(unused, 0),
        while$3$4(__lt(i, n), block(
            if(__gt(slice(a, i), 0.0), define(t, 1.0), define(t, 2.0)),
            define(last, slice(a, i)),
            store(s, __add(s, t)),
            store(unused, i),
            store(i, __add(i, 1))
        )),
        list(s, last)
        """
    )
    program, applied = run_pass(text)
    # t is written on both branches before it is read: not an input. `last` is live after
    # the loop but written only if the body runs: an input as well as an output.
    assert compiled(program) == [("while$3$4", ["i", "n", "a", "s", "last"], ["last", "s"])]
    assert applied == [
        "compile: while loop -> one Numba function (inputs: i, n, a, s, last; outputs: last, s)"
    ]


def test_one_sided_if_leaves_the_variable_exposed():
    text = in_function(
        """
        define(t, 0.0), define(s, 0.0), define(i, 0),
        while$3$4(__lt(i, n), block(
            if(__gt(slice(a, i), 0.0), store(t, slice(a, i))),
            store(s, __add(s, t)),
            store(i, __add(i, 1))
        )),
        s
        """
    )
    assert compiled(run_pass(text)[0]) == [("while$3$4", ["i", "n", "a", "s", "t"], ["s"])]


def test_arrays_written_in_place_need_no_output():
    text = in_function(
        "define(i, 0), "
        "while$2$4(__lt(i, n), block(store(slice(a, i), __mul(slice(a, i), 2.0)), "
        "store(i, __add(i, 1)))), a"
    )
    assert compiled(run_pass(text)[0]) == [("while$2$4", ["i", "n", "a"], [])]


def test_inner_loop_of_an_interpreted_loop_keeps_what_the_outer_loop_reads():
    text = in_function(
        """
        define(i, 0), define(j, 0), define(s, 0.0), define(scratch, 0.0),
        while(__lt(i, n), block(
            print(s),
            if(__gt(s, 99.0), break()),
            store(j, 0),
            while$5$8(__lt(j, 3), block(
                store(s, __add(s, slice(a, i, j))),
                store(scratch, s),
                store(j, __add(j, 1))
            )),
            store(i, __add(i, 1))
        ))
        """
    )
    # The outer loop breaks: it stays interpreted. s is read by it (print); j only after the next iteration resets it,
    # and scratch never: neither is live after the inner loop.
    assert compiled(run_pass(text)[0]) == [("while$5$8", ["j", "s", "a", "i"], ["s"])]


def test_loops_of_nested_functions_and_captured_names():
    text = in_function(
        """
        define(s, 0.0), define(i, 0), define(c, 0.0),
        define(get, lambda(c)),
        define(inner, m, block(
            define(k, 0),
            while$4$8(__lt(k, m), block(store(c, __add(c, 1.0)), store(k, __add(k, 1)))),
            k
        )),
        while$6$4(__lt(i, n), block(store(c, __add(c, slice(a, i))), store(i, __add(i, 1)))),
        list(inner(n), get())
        """
    )
    # c belongs to f and `get` reads it: an output of both loops, also of the one in
    # `inner` (not a local of inner); inner returns k.
    assert compiled(run_pass(text)[0]) == [
        ("while$4$8", ["k", "m", "c"], ["c", "k"]),
        ("while$6$4", ["i", "n", "c", "a"], ["c"]),
    ]
