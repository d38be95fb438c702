"""Exports of the execution tree for people and viewers: PhySL text, Graphviz DOT, Newick, JSON.

`ExecutionTree` is what users get as `f.tree`. Graph nodes are named by their Phylanx
instance name (`dot$12$15`), the same key the measurement layer uses for per-primitive
counters, so a trace's counters can be laid over the tree. This module only formats: it
must not run Graphviz or import any rendering library, and never changes the tree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from jetlag.runtime.ir.nodes import Call, Literal, Node, Program, Variable
from jetlag.runtime.ir.text import format_literal, parse_physl, print_physl

__all__ = ["Counters", "ExecutionTree", "to_dot", "to_json", "to_newick"]

Counters = Mapping[str, Mapping[str, float]]
T = TypeVar("T")

# Newick reserves these in unquoted labels; '_' too, because readers turn it into a blank.
_NEWICK_SPECIAL = re.compile(r"[\s()\[\]':;,_]")


def _instance(node: Node) -> str:
    """The instance name counters are keyed by (`literal` for untagged literals)."""
    if isinstance(node, (Call, Variable, Literal)):
        return node.instance_name
    return "program"


def _label(node: Node) -> str:
    """What a graph node is called: a literal's PhySL value, otherwise the instance name."""
    if isinstance(node, Literal):
        return format_literal(node.value)
    if isinstance(node, (Call, Variable)):
        return node.instance_name
    return "program"


def _kind(node: Node) -> str:
    if isinstance(node, Call):
        return "call"
    if isinstance(node, Variable):
        return "variable"
    if isinstance(node, Literal):
        return "literal"
    return "program"


def _format_number(value: object) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4g}"
    return str(value)


def _json_number(value: object) -> object:
    # JSON has no inf/nan; strings keep them readable instead of crashing json.dumps.
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def _keywords(node: Node) -> dict[int, str]:
    """Positions (in `children()` order) of keyword-argument values, with their keys."""
    if not isinstance(node, Call):
        return {}
    start = len(node.args)
    return {start + i: key for i, (key, _) in enumerate(node.kwargs)}


def _fold(roots: tuple[Node, ...], build: Callable[[Node, list[T]], T]) -> list[T]:
    """Bottom-up `build(node, results of its children)` over trees, without recursion."""
    results: dict[int, T] = {}
    # Pre-order puts each node before its descendants, so reversed order is bottom-up.
    # A shared subtree is built once; `build` must not mutate the child results.
    for node in reversed([n for root in roots for n in root.walk()]):
        if id(node) not in results:
            results[id(node)] = build(node, [results[id(c)] for c in node.children()])
    return [results[id(root)] for root in roots]


def _expressions(node: Node) -> tuple[Node, ...]:
    return node.body if isinstance(node, Program) else (node,)


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


_DOT_SHAPES = {"call": "box", "variable": "ellipse", "literal": "plaintext"}


def to_dot(node: Node, counters: Counters | None = None) -> str:
    """Graphviz DOT of the tree: one graph node per call, variable and literal.

    Top-level expressions are the roots (a Program itself gets no graph node); edges go
    parent -> child in argument order, keyword arguments labelled with their key. When
    `counters` maps an instance name to e.g. {"count": 3, "time_ns": 1200}, those lines
    are appended to the node's label.
    """
    counters = counters or {}
    lines = ["digraph execution_tree {", '  node [fontname="monospace"];']
    edges: list[str] = []
    count = 0
    # (node, parent graph id, keyword): a node reached twice (a shared subtree) is drawn
    # twice, so the picture is always a tree like the text.
    stack: list[tuple[Node, str, str]] = [(root, "", "") for root in _expressions(node)[::-1]]
    while stack:
        current, parent, keyword = stack.pop()
        name = f"n{count}"
        count += 1
        label = [_label(current)]
        for key, value in counters.get(_instance(current), {}).items():
            label.append(f"{key}={_format_number(value)}")
        escaped = "\\n".join(_dot_escape(part) for part in label)
        lines.append(f'  {name} [label="{escaped}", shape={_DOT_SHAPES[_kind(current)]}];')
        if parent:
            attrs = f' [label="{_dot_escape(keyword)}"]' if keyword else ""
            edges.append(f"  {parent} -> {name}{attrs};")
        keywords = _keywords(current)
        children = current.children()
        for index in range(len(children) - 1, -1, -1):
            stack.append((children[index], name, keywords.get(index, "")))
    lines.extend(edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _newick_label(label: str) -> str:
    if label and not _NEWICK_SPECIAL.search(label):
        return label
    return "'" + label.replace("'", "''") + "'"


def to_newick(node: Node) -> str:
    """Newick text of the tree, ending in ';'.

    Leaves are nodes without children; labels are instance names (literals: their value),
    single-quoted when they contain Newick-special characters. A Program with exactly one
    top-level expression is that expression's tree; otherwise the root is `program`.
    """

    def build(current: Node, children: list[str]) -> str:
        label = _newick_label(_label(current))
        return f"({','.join(children)}){label}" if children else label

    if isinstance(node, Program) and len(node.body) == 1:
        node = node.body[0]
    return _fold((node,), build)[0] + ";"


def to_json(node: Node, counters: Counters | None = None) -> dict[str, Any]:
    """The tree as a JSON-serializable nested dict.

    Every node has kind ("program"/"call"/"variable"/"literal"), name, instance, line and
    col (None when untagged) and children; literals add value (inf/nan as strings) and
    type; keyword-argument values add keyword; nodes named in `counters` add counters.
    """
    counters = counters or {}

    def build(current: Node, children: list[dict[str, Any]]) -> dict[str, Any]:
        tagged = current.loc is not None and current.loc.tagged
        entry: dict[str, Any] = {
            "kind": _kind(current),
            "name": getattr(current, "name", _kind(current)),
            "instance": _instance(current),
            "line": current.loc.line if tagged else None,  # type: ignore[union-attr]
            "col": current.loc.col if tagged else None,  # type: ignore[union-attr]
        }
        if isinstance(current, Literal):
            entry["value"] = _json_number(current.value)
            entry["type"] = "nil" if current.value is None else type(current.value).__name__
        if isinstance(current, Program):
            entry["file"] = current.source_file
        children = list(children)
        for index, key in _keywords(current).items():
            children[index] = {**children[index], "keyword": key}
        entry["children"] = children
        if entry["instance"] in counters and not isinstance(current, Program):
            stats = counters[entry["instance"]]
            entry["counters"] = {key: _json_number(value) for key, value in stats.items()}
        return entry

    return _fold((node,), build)[0]


class ExecutionTree:
    """A parsed PhySL program with its exports: what `f.tree` is.

    `physl()` gives the canonical text, `dot()`/`newick()`/`to_json()` the tree for
    viewers, `nodes()` the (instance name, node) pairs that counters are keyed by.
    """

    def __init__(self, program: Node):
        self.program = program if isinstance(program, Program) else Program((program,))

    @classmethod
    def from_physl(cls, text: str, file: str = "<physl>") -> ExecutionTree:
        """Parse PhySL text into a tree (raises PhySLSyntaxError)."""
        return cls(parse_physl(text, file))

    def physl(self) -> str:
        """Canonical PhySL text of the program."""
        return print_physl(self.program)

    def dot(self, counters: Counters | None = None) -> str:
        """Graphviz DOT text; see `to_dot`."""
        return to_dot(self.program, counters)

    def newick(self) -> str:
        """Newick text; see `to_newick`."""
        return to_newick(self.program)

    def to_json(self, counters: Counters | None = None) -> dict[str, Any]:
        """JSON-serializable nested dict; see `to_json`."""
        return to_json(self.program, counters)

    def nodes(self) -> Iterator[tuple[str, Node]]:
        """(instance name, node) for every call, variable and literal, pre-order."""
        for root in self.program.body:
            for node in root.walk():
                yield _instance(node), node

    def __repr__(self) -> str:
        kinds = {"call": 0, "variable": 0, "literal": 0}
        for _, node in self.nodes():
            kinds[_kind(node)] += 1
        total = sum(kinds.values())
        return (
            f"<ExecutionTree {self.program.source_file!r}: {len(self.program.body)} "
            f"expression(s), {total} nodes ({kinds['call']} calls, {kinds['variable']} "
            f"variables, {kinds['literal']} literals)>"
        )
