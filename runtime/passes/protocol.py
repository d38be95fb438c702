"""What every pass is and reports: the Pass protocol, PassResult and Applied.

A pass is a pure function from a Program to a Program (JAX-style): it never mutates the
tree it is given and keeps every node's source location. Besides the new tree it reports
what it changed, each change attached to the statement it happened in, so the optimized
PhySL can say why it differs (annotate.py). This module holds no pass itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol

from jetlag.runtime.ir.nodes import Call, Node, Program, Variable

#: Identifies a statement across passes by its place: (line, col, tagged). Passes rebuild
#: trees and may rename the statement's call (dot -> inverse_dot) but keep locations, so
#: this survives where object identity and names do not.
StatementKey = tuple[int, int, bool]


def statement_key(node: Node) -> StatementKey | None:
    """The key of a statement node (an element of a block or of the program), or None."""
    if node.loc is None or not isinstance(node, (Call, Variable)):
        return None
    return (node.loc.line, node.loc.col, node.loc.tagged)


@dataclass(frozen=True)
class Applied:
    """One change a pass made: `text` (one comment line, without '#') and the statement
    whose printed form shows the change (None: the program as a whole)."""

    text: str
    statement: StatementKey | None


@dataclass(frozen=True)
class PassResult:
    """A pass's output: the new program and what changed."""

    program: Program
    applied: tuple[Applied, ...] = ()


class Pass(Protocol):
    """One optimization pass: `name` for listings, `run` the pure tree -> tree function."""

    name: str

    def run(self, program: Program) -> PassResult:
        """The rewritten program (the input is never mutated) and the changes made."""
        ...


def rebuilt(program: Program, body: tuple[Node, ...], applied: list[Applied]) -> PassResult:
    """The PassResult for `program` with its statements replaced by `body` (the same
    Program object when no statement changed, so callers can test identity)."""
    if all(new is old for new, old in zip(body, program.body, strict=True)):
        return PassResult(program, tuple(applied))
    return PassResult(dataclasses.replace(program, body=body), tuple(applied))
