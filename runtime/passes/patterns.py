"""Tree patterns and rewrite rules: PhySL text with pattern variables, matched by one matcher.

A pattern is written in PhySL (`dot(A, diag(v))`). A call matches a call of the same name
with the same number of positional arguments and the same keyword names; a literal matches
an equal literal (same type); a variable is a pattern variable that binds any subtree. A
variable used twice must bind equal subtrees (locations ignored) that are pure, so one
evaluation can stand for two. The matcher can see through a program variable to the
expression it is known to hold (`lookup`, given by the dataflow in rewrite.py), so a rule
written against `diag(v)` also matches `c_u` after `c_u = diag(conf_u)`.

This module decides neither which rewrites are worth doing (algebra.py holds the table)
nor where a rewrite is valid (rewrite.py does the dataflow); it only matches and builds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from jetlag.runtime.ir.nodes import Call, Literal, Location, Node, Variable, relocated
from jetlag.runtime.ir.text import parse_physl

Bindings = dict[str, Node]
#: A program variable -> the expression it is known to hold here (None: nothing known).
Lookup = Callable[[Variable], Node | None]
#: Whether evaluating a subtree has no effect beyond its value (so it may be shared/dropped).
Purity = Callable[[Node], bool]
#: Extra condition on a match (e.g. "X is provably 1-D"), given the bindings and a context.
Guard = Callable[[Mapping[str, Node], object], bool]


def tree_key(node: Node) -> tuple:
    """A hashable structural key of a subtree that ignores source locations."""
    if isinstance(node, Literal):
        value = repr(node.value) if isinstance(node.value, float) else node.value
        return ("lit", type(node.value).__name__, value)
    if isinstance(node, Variable):
        return ("var", node.name)
    if isinstance(node, Call):
        return (
            "call",
            node.name,
            tuple(tree_key(arg) for arg in node.args),
            tuple((key, tree_key(value)) for key, value in node.kwargs),
        )
    raise TypeError(f"not an expression node: {type(node).__name__}")


def retag(node: Node, loc: Location | None) -> Node:
    """A copy of `node` whose calls and variables all carry `loc` (literals carry none).

    Used when the matcher sees through a variable: the expression it stands for is shown
    at the place of the variable that was read, not where it was defined.
    """
    return relocated(node, lambda _: loc, literals=False)


def parse_pattern(text: str) -> Node:
    """The single expression written in `text`, as a pattern tree."""
    program = parse_physl(text, file="<pattern>")
    if len(program.body) != 1:
        raise ValueError(f"a pattern is one expression, got {len(program.body)}: {text!r}")
    return program.body[0]


def pattern_variables(pattern: Node) -> set[str]:
    """Names of the pattern variables in a pattern or template."""
    return {node.name for node in pattern.walk() if isinstance(node, Variable)}


def call_names(pattern: Node) -> set[str]:
    """Names of the calls a pattern or template mentions."""
    return {node.name for node in pattern.walk() if isinstance(node, Call)}


@dataclass
class _Matcher:
    lookup: Lookup
    pure: Purity
    bindings: Bindings = field(default_factory=dict)

    def match(self, pattern: Node, node: Node) -> bool:
        if isinstance(pattern, Variable):
            return self.bind(pattern.name, node)
        if isinstance(pattern, Literal):
            return isinstance(node, Literal) and tree_key(node) == tree_key(pattern)
        assert isinstance(pattern, Call)
        if isinstance(node, Variable):
            known = self.lookup(node)
            if known is None:
                return False
            node = retag(known, node.loc)
        if not isinstance(node, Call) or node.name != pattern.name:
            return False
        if len(node.args) != len(pattern.args):
            return False
        if [key for key, _ in node.kwargs] != [key for key, _ in pattern.kwargs]:
            return False
        pairs = list(zip(pattern.args, node.args, strict=True))
        pairs += [(p, n) for (_, p), (_, n) in zip(pattern.kwargs, node.kwargs, strict=True)]
        return all(self.match(p, n) for p, n in pairs)

    def bind(self, name: str, node: Node) -> bool:
        bound = self.bindings.get(name)
        if bound is None:
            self.bindings[name] = node
            return True
        # One evaluation will stand for both occurrences: they must be the same pure value.
        return tree_key(bound) == tree_key(node) and self.pure(node)


def match(pattern: Node, node: Node, lookup: Lookup, pure: Purity) -> Bindings | None:
    """Bindings of the pattern variables when `pattern` matches `node`, else None."""
    matcher = _Matcher(lookup, pure)
    return matcher.bindings if matcher.match(pattern, node) else None


def instantiate(template: Node, bindings: Mapping[str, Node], loc: Location | None) -> Node:
    """The replacement tree: template calls get `loc` (the replaced node's place), pattern
    variables their bound subtrees (which keep their own places)."""
    if isinstance(template, Variable):
        return bindings[template.name]
    if isinstance(template, Call):
        return Call(
            template.name,
            tuple(instantiate(arg, bindings, loc) for arg in template.args),
            tuple((key, instantiate(value, bindings, loc)) for key, value in template.kwargs),
            loc=loc,
        )
    return template


@dataclass(frozen=True)
class Rule:
    """One rewrite: `pattern` -> `replacement`, with the reason it is worth doing.

    Both sides are PhySL text over pattern variables; `guard(bindings, context)` may veto a
    match the pattern alone cannot judge (e.g. the rank of a value).
    """

    name: str
    pattern: str
    replacement: str
    reason: str
    guard: Guard | None = None
    pattern_tree: Node = field(init=False, repr=False, compare=False)
    replacement_tree: Node = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = parse_pattern(self.pattern)
        replacement = parse_pattern(self.replacement)
        if not isinstance(pattern, Call):
            raise ValueError(f"rule {self.name}: a pattern must be a call, got {self.pattern!r}")
        unbound = pattern_variables(replacement) - pattern_variables(pattern)
        if unbound:
            raise ValueError(f"rule {self.name}: replacement uses unbound {sorted(unbound)}")
        object.__setattr__(self, "pattern_tree", _untagged(pattern))
        object.__setattr__(self, "replacement_tree", _untagged(replacement))

    @property
    def names(self) -> set[str]:
        """Every call name the rule reads or writes (a user binding of one disables it)."""
        return call_names(self.pattern_tree) | call_names(self.replacement_tree)

    @property
    def dropped(self) -> set[str]:
        """Pattern variables the replacement does not use (their subtrees must be pure)."""
        return pattern_variables(self.pattern_tree) - pattern_variables(self.replacement_tree)

    def describe(self) -> str:
        """`pattern -> replacement: reason`, as shown in docs and optimized PhySL comments."""
        return f"{self.pattern} -> {self.replacement}: {self.reason}"

    def apply(
        self, node: Node, lookup: Lookup, pure: Purity, context: object = None
    ) -> Node | None:
        """The rewritten node when this rule applies to `node`, else None."""
        bindings = match(self.pattern_tree, node, lookup, pure)
        if bindings is None:
            return None
        if not all(pure(bindings[name]) for name in self.dropped):
            return None
        if self.guard is not None and not self.guard(bindings, context):
            return None
        return instantiate(self.replacement_tree, bindings, node.loc)


def _untagged(node: Node) -> Node:
    """Pattern trees carry no locations (the parser gives untagged text positions)."""
    return retag(node, None)
