"""docs/primitives.md, generated from the one primitive registry.

`python -m jetlag.runtime.primitives.catalog > docs/primitives.md` rewrites the file; a
test fails when the committed file and the registry disagree.
"""

from __future__ import annotations

from jetlag.runtime.primitives import REGISTRY


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown() -> str:
    """The primitives table as Markdown, grouped by category."""
    lines = [
        "# PhySL primitives",
        "",
        "Generated from the primitive registry by "
        "`python -m jetlag.runtime.primitives.catalog`; do not edit by hand.",
        "",
        f"{len(REGISTRY)} primitives. *Python spellings* are what the frontend maps to the "
        "primitive (module functions, `x.method()`, `x.attribute`); *kernel* marks a Numba "
        "`nogil` kernel behind the NumPy path; *effect* primitives run in program order.",
    ]
    category = None
    for primitive in REGISTRY:
        if primitive.category != category:
            category = primitive.category
            lines += [
                "",
                f"## {category}",
                "",
                "| PhySL | matches | Python spellings | notes | what it does |",
                "|---|---|---|---|---|",
            ]
        spellings = list(primitive.aliases)
        spellings += [f"x.{m}()" for m in primitive.methods]
        spellings += [f"x.{p}" for p in primitive.properties]
        notes = [n for n, on in (("kernel", primitive.kernel), ("effect", primitive.effect)) if on]
        lines.append(
            f"| `{_cell(primitive.signature)}` | {_cell(primitive.numpy or '')} | "
            f"{_cell(', '.join(spellings))} | {', '.join(notes)} | {_cell(primitive.doc)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
