"""PhySL statements to lines of Numba source, one primitive evaluation per line.

`StatementLowering` turns a statement region (block, define/store, in-place stores into
slices, if, while, and every call with a registry template) into Python source lines for
the body of a generated nopython function. Each call is evaluated into its own temporary,
preceded by `where[0] = k`: when compiled code raises, `sites[k]` is the PhySL node that
was running, so the error names the same primitive and line as the interpreter would.
Every `while` checks `stop[0]` at the top of each iteration and raises `LoopStopped`.

PhySL variables are spelled `v_<name>`, temporaries `t<k>`, the flags of `tracked`
variables (set once the variable is assigned) `w_<name>`; only those, registry
templates (through emit.Emitter) and checked numeric literals reach the source. Anything
else raises NotLowerable. This module never decides what to compile and never builds.
"""

from __future__ import annotations

import re

from jetlag.runtime.codegen.emit import Emitter, NotLowerable, literal_source
from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = "%"  # never part of a PhySL identifier: marks an already lowered operand

#: Forms whose value is a control-flow effect a compiled region cannot reproduce.
_CONTROL = frozenset({"break", "continue", "return", "for", "lambda"})


def variable_name(name: str) -> str:
    """The generated identifier of PhySL variable `name`."""
    if not _IDENTIFIER.fullmatch(name):
        raise NotLowerable(f"{name!r} is not a PhySL identifier")
    return f"v_{name}"


class StatementLowering:
    """Lowers one region; `lines` and `sites` accumulate as statements are lowered."""

    def __init__(self, indent: int = 1, tracked: frozenset[str] = frozenset()) -> None:
        self.tracked = tracked  # variables whose assignments also set a `w_<name>` flag
        self.lines: list[str] = []
        self.sites: list[Node] = []
        self.depth = indent
        self._temps = 0
        self._operands: list[str] = []
        self._bound: dict[str, str] = {}  # lambda parameters of a fused body -> operands
        self.emitter = Emitter(self._spell)

    # -- output ------------------------------------------------------------------------

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

    def _spell(self, name: str) -> str:
        if name.startswith(_PLACEHOLDER):
            return self._operands[int(name[1:])]
        return variable_name(name)

    # -- statements --------------------------------------------------------------------

    def statement(self, node: Node) -> None:
        """Lower `node` where its value is not used."""
        if isinstance(node, Literal):
            literal_source(node.value)  # a string statement is still not lowerable
            return
        if isinstance(node, Variable):
            variable_name(node.name)
            return
        assert isinstance(node, Call)
        if node.kwargs and node.name in ("define", "store", "block", "if", "while"):
            raise NotLowerable(f"{node.name} is called with keyword arguments")
        if node.name == "block":
            for arg in node.args:
                self.statement(arg)
        elif node.name in ("define", "store"):
            self.assignment(node)
        elif node.name == "if":
            self.conditional(node)
        elif node.name == "while":
            self.loop(node)
        else:
            self.value(node)

    def assignment(self, node: Call) -> str:
        """define(x, v) / store(x, v) / store(slice(x, ...), v); returns x's spelling."""
        if len(node.args) != 2:
            raise NotLowerable(f"{node.name} with {len(node.args)} arguments (a function)")
        target, value = node.args
        if isinstance(target, Call) and target.name == "slice" and node.name == "store":
            self.store_into(node, target)
            return ""
        if not isinstance(target, Variable):
            raise NotLowerable(f"{node.name} of {type(target).__name__}")
        if isinstance(value, Call) and value.name == "lambda":
            raise NotLowerable("a function definition")
        name = variable_name(target.name)
        self.emit(f"{name} = {self.value(value)}")
        if target.name in self.tracked:
            self.emit(f"w_{target.name} = True")
        return name

    def store_into(self, node: Call, target: Call) -> None:
        """store(slice(x, i...), v): x[i...] = v, in place."""
        if not target.args or not isinstance(target.args[0], Variable) or target.kwargs:
            raise NotLowerable("store(slice(...)) into something other than a variable")
        array = variable_name(target.args[0].name)
        index = self.index_tuple(target.args[1:])
        value = self.value(node.args[1])
        self.at(node)
        # Not `x[i] = v`: Numba's slice assignment costs ~1.8 s of compiling (support_store).
        self.emit(f"support_store({array}, {index}, {value})")

    def conditional(self, node: Call) -> None:
        """if(c, a[, b]) as a statement."""
        if len(node.args) not in (2, 3):
            raise NotLowerable(f"if with {len(node.args)} arguments")
        condition = self.value(node.args[0])
        self.at(node)
        self.emit(f"if {condition}:")
        self.nested(node.args[1])
        if len(node.args) == 3:
            self.emit("else:")
            self.nested(node.args[2])

    def loop(self, node: Call, limit: str | None = None) -> None:
        """while(c, body): stops at the top of an iteration when asked to, and once the
        source expression `limit` holds (after c, which may raise as the interpreter would)."""
        if len(node.args) != 2:
            raise NotLowerable(f"while with {len(node.args)} arguments")
        self.emit("while True:")
        self.depth += 1
        self.emit("if stop[0] != 0:")
        self.emit("    raise LoopStopped()")
        condition = self.value(node.args[0])
        self.at(node)
        self.emit(f"if not {condition}:")
        self.emit("    break")
        if limit is not None:
            self.emit(f"if {limit}:")
            self.emit("    break")
        self.statement(node.args[1])
        self.depth -= 1

    def nested(self, node: Node) -> None:
        """A branch: its statements one level deeper (`pass` when it emits nothing)."""
        self.depth += 1
        before = len(self.lines)
        self.statement(node)
        if len(self.lines) == before:
            self.emit("pass")
        self.depth -= 1

    # -- values ------------------------------------------------------------------------

    def value(self, node: Node) -> str:
        """Source of an operand (a variable, literal, temporary or tuple) holding `node`."""
        if isinstance(node, Literal):
            return literal_source(node.value)
        if isinstance(node, Variable):
            return self._bound.get(node.name) or variable_name(node.name)
        assert isinstance(node, Call)
        name = node.name
        if name in _CONTROL or name in ("while", "span", "compiled_loop"):
            raise NotLowerable(f"{name} is not compiled inside loops")
        if node.kwargs:
            raise NotLowerable(f"{name} is called with keyword arguments")
        if name in ("define", "store"):
            written = self.assignment(node)
            if not written:
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
            items = [self.value(arg) for arg in node.args]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if name == "slice":
            return self.read(node)
        if name == "fused_elementwise":
            return self.fused(node)
        if name == "glm_gradient":
            return self.glm_gradient(node)
        return self.call(node)

    def call(self, node: Call) -> str:
        """A registry primitive through its template, into a fresh temporary."""
        return self.template(node, node.name, [self.value(arg) for arg in node.args])

    def template(self, node: Node, name: str, operands: list[str]) -> str:
        """`result = <name's template over operands>`, with `node` as the running site."""
        start = len(self._operands)
        self._operands.extend(operands)
        placeholders = tuple(Variable(f"{_PLACEHOLDER}{start + k}") for k in range(len(operands)))
        try:
            text = self.emitter.expression(Call(name, placeholders))
        finally:
            del self._operands[start:]
        self.at(node)
        result = self.temporary()
        self.emit(f"{result} = {text}")
        return result

    def lambda_body(self, function: Node, operands: list[str]) -> str:
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

    def fused(self, node: Call) -> str:
        """fused_elementwise(lambda(p..., body), operands...): the body over whole arrays,
        which is what the primitive computes (in one pass, where this makes temporaries)."""
        if not node.args:
            raise NotLowerable("fused_elementwise without a lambda")
        operands = [self.value(arg) for arg in node.args[1:]]
        return self.lambda_body(node.args[0], operands)

    def glm_gradient(self, node: Call) -> str:
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

    def choice(self, node: Call) -> str:
        """if(c, a, b) as a value."""
        if len(node.args) != 3:
            raise NotLowerable("the value of an if without else (nil) is used")
        condition = self.value(node.args[0])
        result = self.temporary()
        self.at(node)
        self.emit(f"if {condition}:")
        self.depth += 1
        self.emit(f"{result} = {self.value(node.args[1])}")
        self.depth -= 1
        self.emit("else:")
        self.depth += 1
        self.emit(f"{result} = {self.value(node.args[2])}")
        self.depth -= 1
        return result

    def short_circuit(self, node: Call) -> str:
        """__and(a, b) / __or(a, b): b only when needed; the value is an operand."""
        if len(node.args) != 2:
            raise NotLowerable(f"{node.name} with {len(node.args)} arguments")
        result = self.temporary()
        self.emit(f"{result} = {self.value(node.args[0])}")
        self.at(node)
        self.emit(f"if {'' if node.name == '__and' else 'not '}{result}:")
        self.depth += 1
        self.emit(f"{result} = {self.value(node.args[1])}")
        self.depth -= 1
        return result

    def read(self, node: Call) -> str:
        """slice(x, i...): x[i...] into a temporary (a view for spans, as in NumPy)."""
        if not node.args:
            raise NotLowerable("slice without an operand")
        operand = self.value(node.args[0])
        index = self.index(node.args[1:])
        self.at(node)
        result = self.temporary()
        self.emit(f"{result} = {operand}[{index}]")
        return result

    def index(self, parts: tuple[Node, ...]) -> str:
        """The subscript of x[...]: ints, spans (lo:hi:step), nil (np.newaxis), arrays."""
        if not parts:
            raise NotLowerable("indexing with no index (x[()])")
        spelled = []
        for part in parts:
            if isinstance(part, Literal) and part.value is None:
                spelled.append("None")
            elif isinstance(part, Call) and part.name == "span":
                spelled.append(self.span(part))
            elif isinstance(part, Call) and part.name == "list":
                raise NotLowerable("a list used as an index")
            else:
                spelled.append(self.value(part))
        return ", ".join(spelled)

    def index_tuple(self, parts: tuple[Node, ...]) -> str:
        """The index of x[...] as a tuple expression, spans spelled slice(lo, hi, step)."""
        if not parts:
            raise NotLowerable("indexing with no index (x[()])")
        spelled = []
        for part in parts:
            if isinstance(part, Call) and part.name == "span":
                bounds = self.span_bounds(part)
                spelled.append("slice(" + ", ".join(b or "None" for b in bounds) + ")")
            else:
                spelled.append(self.index((part,)))
        return "(" + ", ".join(spelled) + ",)"

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
        return ["" if isinstance(p, Literal) and p.value is None else self.value(p) for p in parts]
