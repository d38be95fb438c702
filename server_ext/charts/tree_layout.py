"""A tidy layout of the execution tree for a node-link diagram, computed in Python.

`layout_tree` keeps the nodes worth drawing (the program, calls, anything that ran), at
most `max_nodes` of them breadth-first; a parent whose children do not all fit gets one
`+N more` node standing for the rest. Leaves take consecutive x slots in depth-first
order and a parent sits midway over its first and last child, so nodes of one depth never
overlap (x differs by at least 1) and `y` is the depth (parents above children). Pure
Python on the `/tree` answer; no Altair here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from jetlag.runtime.measure.profile import display_name

#: Most nodes a tree chart draws before collapsing the rest into "+N more" nodes.
MAX_NODES = 2000
#: Kinds drawn even when they never ran (variables and literals only when they did).
DRAWN_KINDS = ("program", "call")


@dataclass
class Placed:
    """One node of the layout (or a `+N more` stand-in when `more` > 0)."""

    source: dict[str, Any] | None
    depth: int
    parent: int | None
    more: int = 0
    children: list[int] = field(default_factory=list)
    x: float = 0.0


@dataclass
class Layout:
    """The placed nodes (ids are list positions, root first) and what was left out."""

    nodes: list[Placed]
    hidden: int
    max_nodes: int


def _drawn(node: dict[str, Any]) -> bool:
    return node.get("kind") in DRAWN_KINDS or bool(node.get("profile"))


def _children(node: dict[str, Any]) -> list[dict[str, Any]]:
    """Children to draw: undrawn ones are skipped but their drawn descendants lifted up."""
    out: list[dict[str, Any]] = []
    for child in node.get("children") or []:
        if _drawn(child):
            out.append(child)
        else:
            out.extend(_children(child))
    return out


def _size(node: dict[str, Any]) -> int:
    """Drawn nodes in the subtree of `node` (itself included)."""
    total, stack = 0, [node]
    while stack:
        item = stack.pop()
        total += 1
        stack.extend(_children(item))
    return total


def layout_tree(root: dict[str, Any], max_nodes: int = MAX_NODES) -> Layout:
    """Place the drawn nodes of `root` (a `/tree` answer's `tree`), at most `max_nodes`."""
    cap = max(1, int(max_nodes))
    nodes = [Placed(root, 0, None)]
    hidden = 0
    queue = deque([0])
    real = 1
    while queue:
        index = queue.popleft()
        placed = nodes[index]
        kids = _children(placed.source) if placed.source is not None else []
        room = cap - real
        keep = kids[: max(room, 0)]
        for child in keep:
            nodes.append(Placed(child, placed.depth + 1, index))
            placed.children.append(len(nodes) - 1)
            queue.append(len(nodes) - 1)
            real += 1
        rest = kids[len(keep) :]
        if rest:
            omitted = sum(_size(child) for child in rest)
            hidden += omitted
            nodes.append(Placed(None, placed.depth + 1, index, more=omitted))
            placed.children.append(len(nodes) - 1)
    _place(nodes)
    return Layout(nodes, hidden, cap)


def _place(nodes: list[Placed]) -> None:
    """Leaves at consecutive slots (depth-first order), parents midway over their children."""
    slot = 0
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        index, done = stack.pop()
        node = nodes[index]
        if not node.children:
            node.x = float(slot)
            slot += 1
        elif done:
            node.x = (nodes[node.children[0]].x + nodes[node.children[-1]].x) / 2
        else:
            stack.append((index, True))
            stack.extend((child, False) for child in reversed(node.children))


def node_name(node: Placed) -> tuple[str | None, str]:
    """(instance name or None for a stand-in, the label shown)."""
    if node.source is None:
        return None, f"+{node.more} more"
    instance = node.source.get("instance") or node.source.get("name") or "?"
    if node.source.get("kind") == "program":
        return instance, "program"
    return instance, display_name(instance)
