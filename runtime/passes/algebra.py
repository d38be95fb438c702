"""The algebraic rewrite rules, as data: (pattern, replacement, reason), tried in order.

The table is what docs and the optimized PhySL's comments show (`describe()`); rewrite.py
runs it with one matcher (patterns.py). Each replacement primitive (primitives/rewritten.py)
computes exactly what its pattern computes and falls back to the pattern's own evaluation
when the operands are not the shapes the identity needs, so a rule never needs to know
ranks it cannot prove. Longer patterns come first: `dot(dot(transpose(Y), diag(c)), Y)`
must win over its inner `dot(A, diag(v))`.

Not rewritten on purpose: `dot(transpose(X), v)` (the scheduler's chunked product already
reads a column-major X fast) and `matmul` (its rules for stacks and scalars differ from
`dot`'s, and the replacement primitives implement `dot`). This module must not walk trees.
"""

from __future__ import annotations

from collections.abc import Mapping

import jetlag.runtime.primitives.rewritten  # noqa: F401  (registers the replacement primitives)
from jetlag.runtime.ir.nodes import Node
from jetlag.runtime.passes.patterns import Rule


def _provably_one_dimensional(bindings: Mapping[str, Node], context: object) -> bool:
    return context.kind(bindings["X"]) == 1  # type: ignore[attr-defined]


RULES: tuple[Rule, ...] = (
    Rule(
        "weighted-gram",
        "dot(dot(transpose(Y), diag(c)), Y)",
        "weighted_gram(Y, c)",
        "(Y^T * c) @ Y, no dense n x n diag(c); only the rows where c != 0 when most are 0",
    ),
    Rule(
        "shifted-weighted-product",
        "dot(dot(T, __add(diag(c), identity(n))), v)",
        "shifted_weighted_product(T, c, n, v)",
        "T ((c + 1) * v): no n x n matrices; only the rows where v != 0 when most are 0",
    ),
    Rule(
        "shifted-weighted-product-commuted",
        "dot(dot(T, __add(identity(n), diag(c))), v)",
        "shifted_weighted_product(T, c, n, v)",
        "T ((c + 1) * v): no n x n matrices; only the rows where v != 0 when most are 0",
    ),
    Rule(
        "scale-columns",
        "dot(A, diag(v))",
        "scale_columns(A, v)",
        "a broadcast multiply A * v instead of a product with a dense diagonal matrix",
    ),
    Rule(
        "scale-rows",
        "dot(diag(v), A)",
        "scale_rows(A, v)",
        "a broadcast multiply v[:, None] * A instead of a product with a dense diagonal matrix",
    ),
    Rule(
        "inverse-dot",
        "dot(inverse(A), b)",
        "inverse_dot(A, b)",
        "one LU solve instead of an inverse and a product",
    ),
    Rule(
        "double-transpose",
        "transpose(transpose(X))",
        "asarray(X)",
        "reversing the axes twice is the identity (asarray keeps the array conversion)",
    ),
    Rule(
        "transpose-1d",
        "transpose(X)",
        "X",
        "the transpose of a 1-D array is the array itself (X is provably 1-D)",
        guard=_provably_one_dimensional,
    ),
)


def rules_markdown(rules: tuple[Rule, ...] = RULES) -> str:
    """The rule table as Markdown, for docs."""
    lines = ["| rule | pattern | replacement | why |", "|---|---|---|---|"]
    for rule in rules:
        lines.append(f"| {rule.name} | `{rule.pattern}` | `{rule.replacement}` | {rule.reason} |")
    return "\n".join(lines) + "\n"
