"""The execution tree: the only program representation the passes and scheduler see.

Three node kinds, immutable: `Literal` (number, string, bool, nil), `Variable` (a name)
and `Call` (a primitive or special form applied to arguments). Everything else -- define,
store, block, while, if, lambda, slicing -- is a `Call` whose name the scheduler knows
(see docs/physl.md). Keeping one uniform node shape is what lets passes be small
pattern -> replacement rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

LiteralValue = int | float | bool | str | None


@dataclass(frozen=True)
class Location:
    """Source position of a node: 1-based line, 0-based column (the `name$line$col` tag).

    `tagged` is False for positions the parser invented (an untagged node in hand-written
    PhySL gets the position of its text); the printer only prints tagged locations.
    """

    line: int
    col: int
    tagged: bool = True


@dataclass(frozen=True, eq=False)
class Node:
    """Base of the three node kinds. Equality is structural and ignores untagged locations."""

    loc: Location | None = field(default=None, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        """Direct sub-nodes, in evaluation order."""
        return ()

    def walk(self) -> Iterator[Node]:
        """This node and all its descendants, pre-order."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))

    @cached_property
    def tag(self) -> str:
        """`$line$col` of a tagged location, or '' (the Phylanx naming convention)."""
        if self.loc is None or not self.loc.tagged:
            return ""
        return f"${self.loc.line}${self.loc.col}"

    def _key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())


def _loc_key(loc: Location | None) -> tuple[int, int] | None:
    return (loc.line, loc.col) if loc is not None and loc.tagged else None


@dataclass(frozen=True, eq=False)
class Literal(Node):
    """A constant: int, float, bool, str or None (`nil` in PhySL)."""

    value: LiteralValue

    def _key(self) -> tuple:
        # 1 == 1.0 == True in Python; keep the type so `1` and `1.0` stay distinct, and
        # compare floats by repr so nan equals nan and -0.0 differs from 0.0.
        value = repr(self.value) if isinstance(self.value, float) else self.value
        return ("lit", type(self.value).__name__, value)

    @cached_property
    def instance_name(self) -> str:
        """Name used for this node in traces and trees."""
        return "literal" + self.tag


@dataclass(frozen=True, eq=False)
class Variable(Node):
    """A reference to a named value: a parameter, a defined variable or a function."""

    name: str

    def _key(self) -> tuple:
        return ("var", self.name, _loc_key(self.loc))

    @cached_property
    def instance_name(self) -> str:
        """`name$line$col`, the Phylanx primitive-instance name."""
        return self.name + self.tag


@dataclass(frozen=True, eq=False)
class Call(Node):
    """`name(args..., key=value...)`: a primitive, a special form or a user function call."""

    name: str
    args: tuple[Node, ...] = ()
    kwargs: tuple[tuple[str, Node], ...] = ()

    def children(self) -> tuple[Node, ...]:
        return self.args + tuple(value for _, value in self.kwargs)

    def _key(self) -> tuple:
        return ("call", self.name, self.args, self.kwargs, _loc_key(self.loc))

    @cached_property
    def instance_name(self) -> str:
        """`name$line$col`, the Phylanx primitive-instance name."""
        return self.name + self.tag

    def kwarg(self, key: str) -> Node | None:
        """The keyword argument `key`, or None."""
        for name, value in self.kwargs:
            if name == key:
                return value
        return None

    def replace(self, **changes: object) -> Call:
        """A copy with some fields changed (passes build new trees, never mutate)."""
        fields = {"name": self.name, "args": self.args, "kwargs": self.kwargs, "loc": self.loc}
        fields.update(changes)
        return Call(**fields)  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class Program(Node):
    """A PhySL program: top-level expressions evaluated in order; its value is the last one.

    `source_file` and `source_lines` let errors quote the user's line; they are not part
    of the tree's identity.
    """

    body: tuple[Node, ...] = ()
    source_file: str = field(default="<physl>", compare=False)
    source_lines: tuple[str, ...] = field(default=(), compare=False)

    def children(self) -> tuple[Node, ...]:
        return self.body

    def _key(self) -> tuple:
        return ("program", self.body)

    def source_line(self, line: int) -> str:
        """The text of 1-based `line` of the source, or '' when unknown."""
        if 1 <= line <= len(self.source_lines):
            return self.source_lines[line - 1]
        return ""


def relocated(
    node: Node, locate: Callable[[Location | None], Location | None], literals: bool = True
) -> Node:
    """A copy of the tree with every location replaced by `locate(old)`.

    Literals keep theirs when `literals` is False. Used to show an expression at another
    place (a pass seeing through a variable, the kernel mapping a run back to its cell).
    """
    loc = locate(node.loc)
    if isinstance(node, Call):
        return Call(
            node.name,
            tuple(relocated(arg, locate, literals) for arg in node.args),
            tuple((key, relocated(value, locate, literals)) for key, value in node.kwargs),
            loc=loc,
        )
    if isinstance(node, Variable):
        return Variable(node.name, loc=loc)
    if isinstance(node, Literal) and literals:
        return Literal(node.value, loc=loc)
    return node
