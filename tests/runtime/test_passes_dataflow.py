"""Rules see through variables only where the dataflow proves the variable still holds
`diag(v)` / `identity(n)`; wherever it might not, the tree is left as it was."""

from __future__ import annotations

import numpy as np
import pytest

from jetlag.runtime.ir.nodes import Call, Variable
from jetlag.runtime.ir.text import parse_physl, print_physl
from jetlag.runtime.passes import explain, optimize
from jetlag.runtime.passes.facts import Aliases
from jetlag.runtime.passes.ranks import INT, kind_of
from jetlag.runtime.scheduler.execute import execute

RNG = np.random.default_rng(11)


def optimized_text(text: str) -> str:
    return print_physl(optimize(parse_physl(text)))


def run_both(text: str, *args):
    program = parse_physl(text)
    before = execute(program, "f", tuple(np.copy(a) for a in args)).value
    after = execute(optimize(program), "f", tuple(np.copy(a) for a in args)).value
    return before, after


def function(*statements: str, params: str = "a, v") -> str:
    return f"define(f, {params}, block({', '.join(statements)}))"


def test_sees_through_a_definition_in_the_same_block():
    text = function("define(d, diag(v))", "dot(a, d)")
    assert "scale_columns(a, v)" in optimized_text(text)
    a, v = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    before, after = run_both(text, a, v)
    np.testing.assert_allclose(after, before, rtol=1e-12)


def test_seen_through_operands_take_the_place_of_the_variable_read():
    text = "define$1$0(f$1$7, a$1$9, v$1$12, block$1$0(\ndefine$2$4(d$2$4, diag$2$8(v$2$13)),\n"
    text += "dot$3$4(a$3$8, d$3$11)))"
    printed = optimized_text(text)
    assert "scale_columns$3$4(a$3$8, v$3$11)" in printed


@pytest.mark.parametrize(
    "between",
    [
        "store(v, __mul(v, 2.0))",  # the diagonal's source re-bound
        "store(d, __mul(a, 1.0))",  # the variable itself re-bound
        "store(slice(v, 0), 9.0)",  # written in place
        "store(slice(w, 0), 9.0)",  # written through an alias of v
        "g(v)",  # a user function could do anything
    ],
)
def test_anything_that_may_change_the_definition_stops_the_rewrite(between):
    text = function(
        "define(g, x, store(slice(x, 1), 5.0))",
        "define(w, v)",
        "define(d, diag(v))",
        between,
        "dot(a, d)",
    )
    assert "scale_columns" not in optimized_text(text)
    a, v = RNG.standard_normal((4, 4)), RNG.standard_normal(4)
    before, after = run_both(text, a, v)
    np.testing.assert_allclose(after, before, rtol=1e-12)


def test_a_write_into_an_unrelated_fresh_array_keeps_the_definition():
    text = function(
        "define(d, diag(v))", "define(z, zeros(3))", "store(slice(z, 0), 1.0)", "dot(a, d)"
    )
    assert "scale_columns" in optimized_text(text)


def test_parameters_may_alias_each_other():
    # f(a, a): writing into a may change v, so diag(v) computed earlier is not v's diag now.
    text = function("define(d, diag(v))", "store(slice(a, 0), 7.0)", "dot(a, d)")
    assert "scale_columns" not in optimized_text(text)
    program = parse_physl(text + "\ndefine(h, x, f(x, x))")
    x = RNG.standard_normal(4)
    expected = np.dot(np.where(np.arange(4) == 0, 7.0, x), np.diag(x))
    got = execute(optimize(program), "h", (x.copy(),)).value
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_loop_kills_count_for_the_whole_loop():
    # In the loop body, d is used before it is re-assigned: the first use may see the old d
    # of a previous iteration, so nothing may be assumed about it there.
    text = function(
        "define(d, diag(v))",
        "define(i, 0)",
        "define(acc, zeros(4))",
        "while(__lt(i, 3), block("
        "store(acc, __add(acc, dot(a, d))),"
        "store(d, diag(__mul(v, 2.0))),"
        "store(i, __add(i, 1))))",
        "acc",
    )
    printed = optimized_text(text)
    assert "scale_columns" not in printed
    a, v = RNG.standard_normal(4), RNG.standard_normal(4)
    before, after = run_both(text, a, v)
    np.testing.assert_allclose(after, before, rtol=1e-12)


def test_definition_inside_a_loop_body_is_seen_by_later_statements_of_that_body():
    text = function(
        "define(i, 0)",
        "define(acc, zeros(4))",
        "while(__lt(i, 3), block("
        "define(d, diag(__add(v, i))),"  # not transparent: the argument is a call
        "define(e, diag(v)),"
        "store(acc, __add(acc, dot(a, e))),"
        "store(i, __add(i, 1))))",
        "acc",
    )
    printed = optimized_text(text)
    assert "scale_columns(a, v)" in printed
    a, v = RNG.standard_normal(4), RNG.standard_normal(4)
    before, after = run_both(text, a, v)
    np.testing.assert_allclose(after, before, rtol=1e-12)


def test_definitions_made_in_a_branch_do_not_escape_it():
    text = function(
        "define(d, a)",
        "if(__gt(len(v), 2), store(d, diag(v)))",
        "dot(a, d)",
        params="a, v",
    )
    assert "scale_columns" not in optimized_text(text)


def test_function_bodies_start_with_no_facts():
    text = (
        "define(f, a, v, block("
        "define(d, diag(v)),"
        "define(g, x, dot(x, d)),"
        "store(v, __mul(v, 3.0)),"
        "g(a)))"
    )
    assert "scale_columns" not in optimized_text(text)


def test_identity_definition_survives_in_place_writes_to_other_arrays():
    text = function(
        "define(n, len(v))",
        "define(ident, identity(n))",
        "define(d, diag(v))",
        "define(out, zeros(len(v)))",
        "store(slice(a, 0, 0), 1.0)",
        "store(slice(out, span(nil, nil, nil)), dot(dot(transpose(a), __add(d, ident)), v))",
        "out",
    )
    printed = optimized_text(text)
    # a is a parameter: the write into it may change v (aliasing), so d is not trusted, but
    # the fresh identity still is; without d the shifted rule cannot apply.
    assert "shifted_weighted_product" not in printed
    text_ok = text.replace("store(slice(a, 0, 0), 1.0)", "store(slice(out, 0), 1.0)")
    assert "shifted_weighted_product" in optimized_text(text_ok)
    a, v = RNG.standard_normal((4, 4)), RNG.standard_normal(4)
    before, after = run_both(text_ok, a, v)
    np.testing.assert_allclose(after, before, rtol=1e-12)


def test_aliases_follow_views_and_stop_at_fresh_results():
    body = parse_physl(
        "define(x, zeros(3))\ndefine(y, slice(x, 0))\ndefine(z, __add(x, 1))\n"
        "define(t, transpose(y))\ndefine(s, dot(x, x))\ndefine(n, len(x))"
    ).body
    aliases = Aliases(body, (), frozenset())
    assert aliases.may_alias("x", "y") and aliases.may_alias("x", "t")
    assert aliases.may_alias("x", "z")  # tuples concatenate: __add may share its operands
    assert not aliases.may_alias("x", "s") and not aliases.may_alias("x", "n")


def test_applied_changes_name_their_statement():
    text = (
        "define$1$0(f$1$7, a$1$9, v$1$12, block$1$0(\n"
        "define$2$4(d$2$4, diag$2$8(v$2$13)),\n"
        "dot$3$4(a$3$8, d$3$11)))"
    )
    result = explain(parse_physl(text))
    rewrites = [c for c in result.applied if c.text.startswith("rewrite:")]
    assert [c.statement for c in rewrites] == [(3, 4, True)]
    assert rewrites[0].text == (
        "rewrite: dot(A, diag(v)) -> scale_columns(A, v): "
        "a broadcast multiply A * v instead of a product with a dense diagonal matrix"
    )
    removed = [c for c in result.applied if c.text.startswith("removed:")]
    assert removed[0].text == "removed: define(d, diag(v)): d is never read"
    assert removed[0].statement == (3, 4, True)


def test_optimize_never_mutates_its_input():
    program = parse_physl(function("define(d, diag(v))", "dot(a, d)"))
    text = print_physl(program)
    optimize(program)
    assert print_physl(program) == text
    assert isinstance(program.body[0], Call) and isinstance(program.body[0].args[0], Variable)


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("zeros(3)", 1),
        ("zeros(list(3, n))", 2),
        ("zeros(len(x))", 1),
        ("zeros(slice(shape(x), 1))", 1),
        ("__ne(zeros(3), 0)", 1),
        ("__add(zeros(list(2, 3)), zeros(3))", 2),
        ("slice(zeros(list(2, 3)), 0, span(nil, nil, nil))", 1),
        ("slice(zeros(list(2, 3)), 0, 1)", None),  # a NumPy scalar, not an array
        ("slice(zeros(list(2, 3)), nil)", None),  # newaxis
        ("transpose(identity(n))", 2),
        ("arange(5)", 1),
        ("zeros(x)", None),  # a parameter could be a tuple shape
        ("__add(n, 1)", None),  # Python ints stay ints
        ("transpose(x)", None),
    ],
)
def test_rank_inference_proves_only_what_the_tree_shows(expression, kind):
    node = parse_physl(expression).body[0]
    known = {"n": INT}
    assert kind_of(node, lambda v: known.get(v.name), frozenset()) == kind
