"""Passes on the execution tree: algebraic rewrites and dead-definition elimination.

`optimize(program)` runs the pipeline (pipeline.PIPELINE); `explain(program)` also returns
what changed, and `Optimization.text()` / `annotate(...)` print the optimized PhySL with a
`# rewrite: ...` line above each changed statement. The rule table is algebra.RULES.
"""

from jetlag.runtime.passes.algebra import RULES, rules_markdown
from jetlag.runtime.passes.annotate import annotate
from jetlag.runtime.passes.pipeline import PIPELINE, Optimization, explain, optimize
from jetlag.runtime.passes.protocol import Applied, Pass, PassResult

__all__ = [
    "PIPELINE",
    "RULES",
    "Applied",
    "Optimization",
    "Pass",
    "PassResult",
    "annotate",
    "explain",
    "optimize",
    "rules_markdown",
]
