"""Dead-definition elimination drops only assignments nobody can observe."""

from __future__ import annotations

import numpy as np
import pytest

from jetlag.runtime.ir.text import parse_physl, print_physl
from jetlag.runtime.passes.dead_code import DeadDefinitions
from jetlag.runtime.scheduler.execute import execute


def cleaned(text: str) -> str:
    return print_physl(DeadDefinitions().run(parse_physl(text)).program)


def function(*statements: str) -> str:
    return f"define(f, a, block({', '.join(statements)}))"


def test_unread_pure_assignments_go_with_all_their_stores():
    text = function(
        "define(m, zeros(list(3, 3)))",
        "define(i, 0)",
        "while(__lt(i, 2), block(store(m, diag(a)), store(i, __add(i, 1))))",
        "a",
    )
    out = cleaned(text)
    assert "zeros" not in out and "diag" not in out
    program = parse_physl(text)
    optimized = DeadDefinitions().run(program).program
    x = np.arange(3.0)
    np.testing.assert_array_equal(execute(optimized, "f", (x,)).value, x)


def test_chains_of_dead_definitions_are_removed_to_a_fixed_point():
    out = cleaned(function("define(x, ones(3))", "define(y, __mul(x, 2))", "a"))
    assert out == print_physl(parse_physl("define(f, a, block(a))"))


@pytest.mark.parametrize(
    "statements",
    [
        ("define(x, zeros(3))", "x"),  # read
        ("define(x, zeros(3))", "define(g, lambda(x))", "a"),  # read by a closure
        ("define(x, print(1))", "a"),  # an effect
        ("define(x, rand(3))", "a"),  # an effect (the random stream advances)
        ("define(g, lambda(a))", "define(x, g())", "a"),  # a user call might do anything
        ("define(x, zeros(3))", "store(slice(x, 0), 1.0)", "a"),  # written in place
        ("define(x, zeros(3))", "for(x, a, x)", "a"),  # a loop variable
        ("define(x, zeros(3))",),  # the function's value
    ],
)
def test_observable_assignments_stay(statements):
    text = function(*statements)
    assert cleaned(text) == print_physl(parse_physl(text))


def test_top_level_definitions_stay_for_later_cells():
    text = "define(x, zeros(3))\ndefine(y, 1)\ny"
    assert cleaned(text) == print_physl(parse_physl(text))


def test_a_store_that_may_rebind_an_outer_variable_stays():
    # g's store runs before any local define, so it re-binds f's x, which f then reads.
    text = (
        "define(f, a, block(define(x, 1),define(g, b, block(store(x, 2), define(x, 3), b)),g(a),x))"
    )
    assert cleaned(text) == print_physl(parse_physl(text))
    assert (
        execute(parse_physl(text), "f", (0,)).value
        == execute(DeadDefinitions().run(parse_physl(text)).program, "f", (0,)).value
    )


def test_nested_function_scopes_are_cleaned_too():
    text = "define(f, a, block(define(g, b, block(define(t, ones(2)), b)), g(a)))"
    assert "ones" not in cleaned(text)


def test_a_lone_dead_loop_body_becomes_an_empty_block():
    text = function(
        "define(i, 0)",
        "define(x, 0)",
        "while(__lt(i, 2), block(store(i, __add(i, 1)), if(true, store(x, i))))",
        "i",
    )
    out = cleaned(text)
    assert "if(true, block())" in out
    assert execute(parse_physl(out), "f", (0,)).value == 2
