"""PhySL values to lines of Numba source, one primitive evaluation per line.

`ValueLowering` holds what one generated region accumulates (its lines, the PhySL node of
each `where[0] = k` site, temporaries `t<k>`, the representation each generated name holds)
and lowers values: variables, literals, calls of primitives spelled exactly for their
operands' types (exact.py), slice reads, the bodies of fused primitives, `if` as a value,
`__and`/`__or`. Statements -- assignments, stores, `if`, `while` -- are statements.py's
(StatementLowering extends this class); a value that is an assignment is lowered through
it. A matrix the rewritten ALS routines read that the region never changes has its
finiteness checked once, before the loop (operands.FiniteChecks). This module never builds.
"""

from __future__ import annotations

import re

import numpy as np

from jetlag.runtime.codegen.emit import Emitter, NotLowerable, literal_source
from jetlag.runtime.codegen.exact import spell_sets
from jetlag.runtime.codegen.lowerings import numba_template
from jetlag.runtime.codegen.operands import (
    FiniteChecks,
    Operand,
    index_type,
    integers,
    literal_type,
    variable_name,
)
from jetlag.runtime.codegen.value_types import SPAN, ValueType, describe_set, join
from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = "%"  # never part of a PhySL identifier: marks an already lowered operand

#: Forms whose value is a control-flow effect a compiled region cannot reproduce.
_CONTROL = frozenset({"break", "continue", "return", "for", "lambda"})

Env = dict[str, frozenset]


class ValueLowering:
    """Lowers one region; `lines` and `sites` accumulate as statements are lowered.

    `env` (typed lowering) maps each variable bound before the region to its possible
    types; `heads` the loop-head types found so far (shared between rounds); `tags` the
    variables whose possible types at the end of the region are several, in order (their
    assignments then record which one they hold in `y_<name>`). `region` is the whole
    region being lowered: a matrix the rewritten ALS routines read that the region never
    changes has its finiteness checked once, before the loop (`finite`).
    """

    def __init__(
        self,
        indent: int = 1,
        tracked: frozenset[str] = frozenset(),
        env: Env | None = None,
        heads: dict[int, Env] | None = None,
        tags: dict[str, tuple[ValueType, ...]] | None = None,
        region: Node | None = None,
    ) -> None:
        self.tracked = tracked  # variables whose assignments also set a `w_<name>` flag
        self.typed = env is not None
        self.env: Env = dict(env or {})
        self.heads: dict[int, Env] = heads if heads is not None else {}
        self.heads_changed = False
        self.tags = tags or {}
        #: The representation every generated name holds (checked against Numba's types).
        self.holds: dict[str, tuple[str, str, int]] = {}
        #: Variables written in place (store into a slice).
        self.written: set[str] = set()
        #: How many prints call back into Python (printing.py).
        self.prints = 0
        self.lines: list[str] = []
        self.sites: list[Node] = []
        self.depth = indent
        self._temps = 0
        self._operands: list[str] = []
        self._bound: dict[str, Operand] = {}  # lambda parameters of a fused body -> operands
        self.emitter = Emitter(self._spell)
        for name, types in self.env.items():
            self.hold(variable_name(name), types)
        #: The finiteness checks run once before the region's loop (`hoisted` lines).
        self.finite = FiniteChecks(frozenset(self.env), region)

    def emit(self, line: str) -> None:
        """Append one source line at the current indentation."""
        self.lines.append("    " * self.depth + line)

    def at(self, node: Node) -> None:
        """Record `node` as the one running from here on (for error reports)."""
        self.sites.append(node)
        name = getattr(node, "instance_name", "")
        comment = f"  # {name}" if _IDENTIFIER.fullmatch(name.replace("$", "_")) else ""
        self.emit(f"where[0] = {len(self.sites) - 1}{comment}")

    def temporary(self) -> str:
        """A fresh temporary's name."""
        self._temps += 1
        return f"t{self._temps}"

    def hold(self, name: str, types: frozenset | None) -> None:
        """Record that generated name `name` holds values of `types` (one representation)."""
        if types is None:
            return
        representation = next(iter(join(types))).representation()
        known = self.holds.setdefault(name, representation)
        if known != representation:
            raise NotLowerable(
                f"{name.removeprefix('v_')} holds values of different kinds at different "
                "places (one compiled variable cannot)"
            )

    def _spell(self, name: str) -> str:
        if name.startswith(_PLACEHOLDER):
            return self._operands[int(name[1:])]
        return variable_name(name)

    def _truth(self, operand: Operand) -> None:
        if operand.types is not None and not all(t.scalar for t in operand.types):
            raise NotLowerable(
                f"a condition is {describe_set(operand.types)} (only numbers are compiled)"
            )

    def _merge(self, first: Env, second: Env) -> Env:
        if not self.typed:
            return first
        merged = dict(second)
        for name, types in first.items():
            merged[name] = join(types, second[name]) if name in second else types
        return merged

    def value(self, node: Node) -> Operand:
        """An operand (a variable, literal, temporary or tuple) holding `node`'s value."""
        if isinstance(node, Literal):
            source = literal_source(node.value)
            if not self.typed:
                return Operand(source)
            found = literal_type(node.value)
            return Operand(source, None if found is None else frozenset({found}))
        if isinstance(node, Variable):
            bound = self._bound.get(node.name)
            if bound is not None:
                return bound
            name = variable_name(node.name)
            if not self.typed:
                return Operand(name)
            types = self.env.get(node.name)
            if types is None:
                raise NotLowerable(f"{node.name} may have no value where it is read")
            return Operand(name, types)
        assert isinstance(node, Call)
        name = node.name
        if name in _CONTROL or name in ("while", "span", "compiled_loop"):
            raise NotLowerable(f"{name} is not compiled inside loops")
        if node.kwargs:
            raise NotLowerable(f"{name} is called with keyword arguments")
        if name in ("define", "store"):
            written = self.assignment(node)
            if written is None:
                raise NotLowerable("the value of an in-place store is used")
            return written
        if name == "block":
            if not node.args:
                raise NotLowerable("an empty block's value (nil) is used")
            for arg in node.args[:-1]:
                self.statement(arg)
            return self.value(node.args[-1])
        if name == "if":
            return self.choice(node)
        if name in ("__and", "__or"):
            return self.short_circuit(node)
        if name == "list":
            return self.tuple_value(node)
        if name == "slice":
            return self.read(node)
        if name == "fused_elementwise":
            return self.fused(node)
        if name == "glm_gradient":
            return self.glm_gradient(node)
        return self.call(node)

    def assignment(self, node: Call) -> Operand | None:
        """define/store as a value: statements.py's."""
        raise NotImplementedError

    def tuple_value(self, node: Call) -> Operand:
        """list(a, ...) as a tuple (compiled only as a tuple of Python ints)."""
        items = [self.value(arg) for arg in node.args]
        source = "(" + ", ".join(i.source for i in items) + ("," if len(items) == 1 else "") + ")"
        if not self.typed:
            return Operand(source)
        for item in items:
            if item.types is None or not all(
                t.kind == "python" and t.dtype.kind == "i" for t in item.types
            ):
                raise NotLowerable("a list of values other than Python ints")
        return Operand(source, frozenset({ValueType("shape", np.dtype(np.int64), len(items))}))

    def call(self, node: Call) -> Operand:
        """A registry primitive, exactly spelled for its operands' types."""
        operands = [self.value(arg) for arg in node.args]
        finite = "False"
        if node.args and "{finite}" in (numba_template(node.name) or ""):
            finite = self.finite.flag(node.args[0], self.env) if self.typed else "False"
        return self.template(node, node.name, operands, finite)

    def template(
        self, node: Node, name: str, operands: list[Operand], finite: str = "False"
    ) -> Operand:
        """`result = <name's spelling over operands>`, with `node` as the running site."""
        if self.typed:
            if any(op.types is None for op in operands):
                raise NotLowerable(f"{name} is called with nil")
            pattern, types = spell_sets(name, [op.types for op in operands])  # type: ignore[misc]
            pattern = pattern.replace("{finite}", finite)
            text = pattern.format(*(op.source for op in operands))
        else:
            types = None
            start = len(self._operands)
            self._operands.extend(op.source for op in operands)
            placeholders = tuple(
                Variable(f"{_PLACEHOLDER}{start + k}") for k in range(len(operands))
            )
            try:
                text = self.emitter.expression(Call(name, placeholders))
            finally:
                del self._operands[start:]
        self.at(node)
        result = self.temporary()
        self.emit(f"{result} = {text}")
        self.hold(result, types)
        return Operand(result, types)

    def lambda_body(self, function: Node, operands: list[Operand]) -> Operand:
        """The body of `lambda(p1, ..., pn, body)` with each p bound to an operand."""
        if not (isinstance(function, Call) and function.name == "lambda" and function.args):
            raise NotLowerable("a fused primitive without a lambda")
        params = function.args[:-1]
        if len(params) != len(operands) or not all(isinstance(p, Variable) for p in params):
            raise NotLowerable("a lambda called with the wrong number of operands")
        saved = self._bound
        self._bound = dict(saved)
        self._bound.update({p.name: op for p, op in zip(params, operands, strict=True)})  # type: ignore[union-attr]
        try:
            return self.value(function.args[-1])
        finally:
            self._bound = saved

    def fused(self, node: Call) -> Operand:
        """fused_elementwise(lambda(p..., body), operands...): the body over whole arrays,
        which is what the primitive computes (in one pass, where this makes temporaries)."""
        if not node.args:
            raise NotLowerable("fused_elementwise without a lambda")
        operands = [self.value(arg) for arg in node.args[1:]]
        return self.lambda_body(node.args[0], operands)

    def glm_gradient(self, node: Call) -> Operand:
        """glm_gradient(X, w, lambda(z, p..., body), p...) as its definition:
        dot(transpose(X), body(dot(X, w), p...))."""
        if len(node.args) < 3:
            raise NotLowerable("glm_gradient with fewer than 3 arguments")
        matrix, weights = self.value(node.args[0]), self.value(node.args[1])
        product = self.template(node, "dot", [matrix, weights])
        operands = [product] + [self.value(arg) for arg in node.args[3:]]
        inner = self.lambda_body(node.args[2], operands)
        transposed = self.template(node, "transpose", [matrix])
        return self.template(node, "dot", [transposed, inner])

    def choice(self, node: Call) -> Operand:
        """if(c, a, b) as a value."""
        if len(node.args) != 3:
            raise NotLowerable("the value of an if without else (nil) is used")
        condition = self.value(node.args[0])
        self._truth(condition)
        result = self.temporary()
        self.at(node)
        self.emit(f"if {condition.source}:")
        before = dict(self.env)
        self.depth += 1
        then = self.value(node.args[1])
        self.emit(f"{result} = {then.source}")
        self.depth -= 1
        after_then, self.env = self.env, dict(before)
        self.emit("else:")
        self.depth += 1
        other = self.value(node.args[2])
        self.emit(f"{result} = {other.source}")
        self.depth -= 1
        self.env = self._merge(after_then, self.env)
        types = None if not self.typed else join(then.types, other.types)  # type: ignore[arg-type]
        self.hold(result, types)
        return Operand(result, types)

    def short_circuit(self, node: Call) -> Operand:
        """__and(a, b) / __or(a, b): b only when needed; the value is an operand."""
        if len(node.args) != 2:
            raise NotLowerable(f"{node.name} with {len(node.args)} arguments")
        result = self.temporary()
        first = self.value(node.args[0])
        self._truth(first)
        self.emit(f"{result} = {first.source}")
        self.at(node)
        self.emit(f"if {'' if node.name == '__and' else 'not '}{result}:")
        before = dict(self.env)
        self.depth += 1
        second = self.value(node.args[1])
        self.emit(f"{result} = {second.source}")
        self.depth -= 1
        self.env = self._merge(self.env, before)
        types = None if not self.typed else join(first.types, second.types)  # type: ignore[arg-type]
        self.hold(result, types)
        return Operand(result, types)

    def read(self, node: Call) -> Operand:
        """slice(x, i...): x[i...] into a temporary (a view for spans, as in NumPy)."""
        if not node.args:
            raise NotLowerable("slice without an operand")
        operand = self.value(node.args[0])
        index, parts = self.index(node.args[1:])
        types = None
        if operand.types is not None:
            types = join(*(frozenset({index_type(t, parts)}) for t in operand.types))
        self.at(node)
        result = self.temporary()
        self.emit(f"{result} = {operand.source}[{index}]")
        self.hold(result, types)
        return Operand(result, types)

    def index(self, parts: tuple[Node, ...]) -> tuple[str, list[frozenset | None]]:
        """The subscript of x[...] (ints, spans lo:hi:step, nil for np.newaxis, arrays) and
        each part's possible types."""
        if not parts:
            raise NotLowerable("indexing with no index (x[()])")
        spelled: list[str] = []
        typed: list[frozenset | None] = []
        for part in parts:
            if isinstance(part, Literal) and part.value is None:
                spelled.append("None")
                typed.append(None)
            elif isinstance(part, Call) and part.name == "span":
                spelled.append(self.span(part))
                typed.append(frozenset({SPAN}))
            elif isinstance(part, Call) and part.name == "list":
                raise NotLowerable("a list used as an index")
            else:
                lowered = self.value(part)
                spelled.append(lowered.source)
                typed.append(lowered.types)
        return ", ".join(spelled), typed

    def index_tuple(self, parts: tuple[Node, ...]) -> tuple[str, list[frozenset | None]]:
        """The index of x[...] as a tuple expression, spans spelled slice(lo, hi, step)."""
        if not parts:
            raise NotLowerable("indexing with no index (x[()])")
        spelled: list[str] = []
        typed: list[frozenset | None] = []
        for part in parts:
            if isinstance(part, Call) and part.name == "span":
                bounds = self.span_bounds(part)
                spelled.append("slice(" + ", ".join(b or "None" for b in bounds) + ")")
                typed.append(frozenset({SPAN}))
            else:
                source, types = self.index((part,))
                spelled.append(source)
                typed.extend(types)
        return "(" + ", ".join(spelled) + ",)", typed

    def span(self, node: Call) -> str:
        """span(lo, hi, step) as lo:hi:step; nil parts are left out; span(hi) is :hi."""
        bounds = self.span_bounds(node)
        if len(bounds) == 3 and bounds[2] == "":
            bounds.pop()
        return ":".join(bounds)

    def span_bounds(self, node: Call) -> list[str]:
        """span(lo, hi[, step])'s parts as source ("" for nil); span(hi) is ["", hi]."""
        if node.kwargs or not 1 <= len(node.args) <= 3:
            raise NotLowerable(f"span with {len(node.args)} arguments")
        parts = list(node.args) if len(node.args) > 1 else [Literal(None), node.args[0]]
        spelled = []
        for part in parts:
            if isinstance(part, Literal) and part.value is None:
                spelled.append("")
                continue
            bound = self.value(part)
            if bound.types is not None and not integers(bound.types):
                raise NotLowerable(f"a slice bound is {describe_set(bound.types)}")
            spelled.append(bound.source)
        return spelled
