"""The optimized PhySL with its reasons: canonical text plus `# ...` comment lines.

`annotate(program, applied)` prints exactly what `print_physl(program)` prints, with, above
each statement a pass changed (an element of the program or of a `block`), one comment line
per distinct change, indented like the statement (the printer's `notes` hook). The parser
ignores comments, so the text still parses to the optimized tree. This module must not
change trees.
"""

from __future__ import annotations

from collections.abc import Iterable

from jetlag.runtime.ir.nodes import Node, Program
from jetlag.runtime.ir.text import print_physl
from jetlag.runtime.passes.protocol import Applied, StatementKey, statement_key


def annotate(program: Program, applied: Iterable[Applied]) -> str:
    """`print_physl(program)` with `# text` lines above the statements in `applied`.

    Changes attached to no statement (None) are listed at the top of the text.
    """
    comments: dict[StatementKey, list[str]] = {}
    header: list[str] = []
    for change in applied:
        if change.statement is None:
            if change.text not in header:
                header.append(change.text)
        else:
            comments.setdefault(change.statement, []).append(change.text)

    def notes(statements: list[Node]) -> list[str]:
        out: list[str] = []
        for statement in statements:
            key = statement_key(statement)
            for text in comments.get(key, ()) if key is not None else ():
                if text not in out:
                    out.append(text)
        return out

    lines = [f"# {text}" for text in header]
    body = print_physl(program, notes)
    return "\n".join(lines) + "\n" + body if lines else body
