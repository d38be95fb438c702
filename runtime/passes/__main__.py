"""`python -m jetlag.runtime.passes > docs/rewrites.md` writes the rewrite-rule table."""

from jetlag.runtime.passes.algebra import rules_markdown

print("# Algebraic rewrites\n")
print(
    "Generated from `jetlag.runtime.passes.algebra.RULES` by "
    "`python -m jetlag.runtime.passes`; do not edit by hand. `f.physl_optimized` names the "
    "rules applied to a function; `@physl(optimize=False)` turns the passes off.\n"
)
print(rules_markdown(), end="")
