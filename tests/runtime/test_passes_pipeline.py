"""The pipeline on the paper's listings, and the annotated optimized PhySL."""

from __future__ import annotations

import numpy as np
import pytest

from examples import listings
from examples.data import als_start, lra_data, synthetic_ratings
from jetlag.runtime.frontend import compile_function
from jetlag.runtime.ir.nodes import Call, Literal, Program, Variable
from jetlag.runtime.ir.text import parse_physl, print_physl
from jetlag.runtime.passes import PIPELINE, annotate, explain, optimize
from jetlag.runtime.passes.protocol import Applied, PassResult
from jetlag.runtime.scheduler.execute import execute


@pytest.fixture(scope="module")
def als():
    return compile_function(listings.ALS).program


@pytest.fixture(scope="module")
def lra():
    return compile_function(listings.lra).program


def strip_comments(text: str) -> str:
    return "".join(line + "\n" for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_pipeline_is_an_explicit_list_of_named_passes():
    names = [
        "algebra",
        "glm-fusion",
        "dead-definitions",
        "elementwise-fusion",
        "compile-loops",
    ]
    assert [p.name for p in PIPELINE] == names
    assert explain(Program(())).passes == tuple(names)


def test_lra_gradient_is_fused_and_equals_numpy(lra):
    result = explain(lra)
    assert "glm_gradient" in print_physl(result.program)
    assert any(a.text.startswith("rewrite: dot(transpose(X)") for a in result.applied)
    x, y = lra_data(60, 8)
    want = listings.lra(x, y, 0.01, 5, False)
    got = execute(result.program, "lra", (x, y, 0.01, 5, False)).value
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_als_rewrites_and_drops_the_dense_matrices(als):
    printed = print_physl(optimize(als))
    for name in ("weighted_gram", "shifted_weighted_product", "inverse_dot"):
        assert printed.count(name + "$") == 2, name
    for gone in ("diag$", "inverse$", "I_i$", "I_u$", "c_u$", "c_i$"):
        assert gone not in printed, gone
    assert "transpose$64$45(p_u$64$58)" in printed  # p_u's rank is unknown: kept


def test_als_optimized_equals_numpy_to_1e_10(als):
    # reg=1 keeps every system well conditioned: solve(A, b) and inv(A) @ b then agree to
    # ~1e-15 (with reg=0.1 some systems have cond(A) ~1e6 and two iterations amplify the
    # difference, which is the conditioning's, not the rewrite's).
    ratings = synthetic_ratings(40, 50, density=0.1, seed=3)
    x0, y0 = als_start(40, 50, 4)
    args = (ratings, 1.0, 4, 2, 40.0)
    want = listings.ALS(*args, x0.copy(), y0.copy())
    got = execute(optimize(als), "ALS", (*args, x0.copy(), y0.copy())).value
    plain = execute(als, "ALS", (*args, x0.copy(), y0.copy())).value
    # Relative to the largest factor, as test_listings measures: a tiny entry (-0.0059
    # among entries ~2.5) carries the same absolute rounding as its neighbours.
    for result in (got, plain):
        assert np.abs(result - want).max() <= 1e-10 * np.abs(want).max()


def test_rewritten_nodes_keep_the_place_of_the_node_they_replace(als):
    optimized = optimize(als)
    found = {
        node.name: (node.loc.line, node.loc.col)
        for node in optimized.walk()
        if isinstance(node, Call) and node.name in ("weighted_gram", "inverse_dot")
    }
    assert found == {"weighted_gram": (71, 22), "inverse_dot": (74, 22)}
    assert optimized.source_lines == als.source_lines
    assert optimized.source_file == als.source_file


def test_annotated_text_round_trips_to_the_optimized_tree(als):
    result = explain(als)
    text = result.text()
    assert parse_physl(text) == result.program
    assert strip_comments(text) == print_physl(result.program)


def test_comments_sit_above_the_statements_they_explain(als):
    lines = explain(als).text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("store$65$12("))
    assert lines[index - 1] == (
        "                            # rewrite: dot(inverse(A), b) -> inverse_dot(A, b): "
        "one LU solve instead of an inverse and a product"
    )
    removed = [line.strip() for line in lines if "# removed:" in line]
    assert "# removed: store(c_u, diag(conf_u)): c_u is never read" in removed
    assert "# removed: define(I_i, identity(num_items)): I_i is never read" in removed


def test_comments_for_statements_printed_on_one_line():
    text = "define$1$0(f$1$7, a$1$9, v$1$12, block$1$0(dot$1$20(inverse$1$24(a$1$32), v$1$35)))"
    result = explain(parse_physl(text))
    assert result.text() == (
        "# rewrite: dot(inverse(A), b) -> inverse_dot(A, b): "
        "one LU solve instead of an inverse and a product\n"
        "define$1$0(f$1$7, a$1$9, v$1$12, block$1$0(inverse_dot$1$20(a$1$32, v$1$35)))\n"
    )


def test_annotate_without_changes_is_the_canonical_printer(lra, als):
    for program in (lra, als, optimize(als)):
        assert annotate(program, ()) == print_physl(program)
    note = Applied("hello", None)
    assert annotate(Program((Literal(1),)), (note,)) == "# hello\n1\n"


def test_a_tree_too_deep_for_the_passes_is_left_as_it_is():
    node = Variable("x")
    for _ in range(5000):
        node = Call("__neg", (node,))
    program = Program((node,))
    result = explain(program)
    assert result.program is program
    assert [a.text for a in result.applied] == [
        "algebra: skipped, the tree is nested too deeply",
        "dead-definitions: skipped, the tree is nested too deeply",
        "elementwise-fusion: skipped, the tree is nested too deeply",
    ]


def test_explain_runs_the_passes_it_is_given_in_order():
    seen = []

    class Mark:
        def __init__(self, name):
            self.name = name

        def run(self, program):
            seen.append(self.name)
            return PassResult(program, (Applied(self.name, None),))

    result = explain(Program(()), [Mark("one"), Mark("two")])
    assert seen == ["one", "two"]
    assert [a.text for a in result.applied] == ["one", "two"]


def test_optimize_names_the_passes_to_run():
    from jetlag.runtime.passes.pipeline import select_passes

    assert select_passes(True) == PIPELINE and select_passes(False) == ()
    chosen = select_passes(["elementwise-fusion", "algebra"])
    assert [p.name for p in chosen] == ["algebra", "elementwise-fusion"]  # pipeline order
    with pytest.raises(ValueError, match="^unknown pass 'nope': optimize= takes True, False"):
        select_passes(["nope"])
