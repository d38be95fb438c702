"""The optimized PhySL with its reasons: canonical text plus `# ...` comment lines.

`annotate(program, applied)` prints exactly what `print_physl(program)` prints, with, above
each statement a pass changed (an element of the program or of a `block`), one comment line
per distinct change, indented like the statement. The parser ignores comments, so the text
still parses to the optimized tree. The layout mirrors ir/text.py's printer (same width,
indent and one-line rule); a test holds the two to the same output. This module must not
change trees.
"""

from __future__ import annotations

from collections.abc import Iterable

from jetlag.runtime.ir.nodes import Call, Literal, Node, Program, Variable
from jetlag.runtime.ir.text import INDENT, LINE_WIDTH, format_literal
from jetlag.runtime.passes.protocol import Applied, StatementKey, statement_key


def _atom(node: Node) -> str:
    if isinstance(node, Literal):
        return format_literal(node.value)
    if isinstance(node, Variable):
        return node.instance_name
    raise TypeError(f"cannot print {type(node).__name__} as a PhySL expression")


def _lengths(roots: Iterable[Node]) -> dict[int, int]:
    """One-line text length of every node, keyed by id, bottom-up."""
    lengths: dict[int, int] = {}
    order = [node for root in roots for node in root.walk()]
    for node in reversed(order):
        if isinstance(node, Call):
            total = len(node.instance_name) + 2
            total += sum(lengths[id(arg)] for arg in node.args)
            total += sum(len(key) + 1 + lengths[id(value)] for key, value in node.kwargs)
            total += 2 * max(0, len(node.args) + len(node.kwargs) - 1)
            lengths[id(node)] = total
        else:
            lengths[id(node)] = len(_atom(node))
    return lengths


def _flat(node: Node) -> str:
    if not isinstance(node, Call):
        return _atom(node)
    parts = [_flat(arg) for arg in node.args]
    parts += [f"{key}={_flat(value)}" for key, value in node.kwargs]
    return f"{node.instance_name}({', '.join(parts)})"


def _statements_within(node: Node) -> list[Node]:
    """Statements printed inside a one-line `node` (elements of its blocks, any depth)."""
    found = []
    for inner in node.walk():
        if isinstance(inner, Call) and inner.name == "block":
            found.extend(inner.args)
    return found


class _Printer:
    def __init__(self, comments: dict[StatementKey, list[str]], roots: tuple[Node, ...]):
        self.comments = comments
        self.lengths = _lengths(roots)
        self.lines: list[str] = []

    def notes(self, statements: Iterable[Node]) -> list[str]:
        out: list[str] = []
        for statement in statements:
            key = statement_key(statement)
            for text in self.comments.get(key, ()) if key is not None else ():
                if text not in out:
                    out.append(text)
        return out

    def emit(self, indent: int, text: str, statements: list[Node]) -> None:
        pad = " " * indent
        self.lines.extend(f"{pad}# {note}" for note in self.notes(statements))
        self.lines.append(pad + text)

    def layout(self, root: Node) -> None:
        # Work items: (node, indent, prefix, suffix, is_statement) or a finished line.
        work: list[tuple[Node, int, str, str, bool] | str] = [(root, 0, "", "", True)]
        while work:
            item = work.pop()
            if isinstance(item, str):
                self.lines.append(item)
                continue
            node, indent, prefix, suffix, is_statement = item
            own = [node] if is_statement else []
            width = indent + len(prefix) + self.lengths[id(node)] + len(suffix)
            if not isinstance(node, Call) or not node.children() or width <= LINE_WIDTH:
                self.emit(indent, f"{prefix}{_flat(node)}{suffix}", own + _statements_within(node))
                continue
            self.emit(indent, f"{prefix}{node.instance_name}(", own)
            items: list[tuple[str, Node]] = [("", arg) for arg in node.args]
            items += [(f"{key}=", value) for key, value in node.kwargs]
            work.append(" " * indent + ")" + suffix)
            in_block = node.name == "block"
            for index in range(len(items) - 1, -1, -1):
                key, child = items[index]
                comma = "," if index < len(items) - 1 else ""
                work.append((child, indent + INDENT, key, comma, in_block and not key))


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
    printer = _Printer(comments, program.body)
    printer.lines.extend(f"# {text}" for text in header)
    for root in program.body:
        printer.layout(root)
    return "\n".join(printer.lines) + "\n" if printer.lines else ""
