"""`python -m jetlag.runtime.passes > docs/rewrites.md` writes the passes and the rule table."""

from jetlag.runtime.passes.algebra import rules_markdown
from jetlag.runtime.passes.pipeline import PIPELINE

print("# Optimization passes and algebraic rewrites\n")
print(
    "Generated from `jetlag.runtime.passes.pipeline.PIPELINE` and "
    "`jetlag.runtime.passes.algebra.RULES` by `python -m jetlag.runtime.passes`; do not edit "
    "by hand. `f.physl_optimized` names what was applied to a function; "
    "`@physl(optimize=False)` turns the passes off and `@physl(optimize=[names])` runs only "
    "the named ones.\n"
)
print("## Passes, in the order they run\n")
print("| pass | what it does |")
print("|---|---|")
for step in PIPELINE:
    summary = " ".join((type(step).__doc__ or "").split())
    print(f"| `{step.name}` | {summary} |")
print("\n## Algebraic rewrite rules (pass `algebra`)\n")
print(
    "Each replacement gives NumPy's answer for inf and nan too: it skips the products with "
    "the zeros of the dense matrices only when a cheap scan shows that the data they would "
    "meet are finite (for `inverse_dot`, also that the inverse provably does not overflow), "
    "and otherwise evaluates the pattern densely; finite values agree up to rounding, and "
    "a zero may have the other sign.\n"
)
print(rules_markdown(), end="")
