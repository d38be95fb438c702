"""PhySL statements to lines of Numba source, one primitive evaluation per line.

`StatementLowering` turns a statement region (block, define/store, in-place stores into
slices, if, while, print (a call back into Python: printing.py), and every call with a
compiled form) into Python source lines for the body of a generated nopython function. Each call is evaluated into its own temporary,
preceded by `where[0] = k`: when compiled code raises, `sites[k]` is the PhySL node that
was running, so the error names the same primitive and line as the interpreter would.
Every `while` checks `stop[0]` at the top of each iteration and raises `LoopStopped`.

Given the types of the region's inputs (`env`), the lowering is typed: it follows every
value's NumPy/Python type (value_types.py) through the region and spells each call with
the exact spelling for those types (exact.py), so the generated code computes what the
interpreter computes. Without types (the pass's cheap "could this compile at all?" check)
calls use their registry templates. A loop's variables may change type between
iterations: the types at each loop head are kept in `heads` and widened until they settle
(the caller lowers the region again while `heads_changed`).

PhySL variables are spelled `v_<name>`, temporaries `t<k>`, the flags of `tracked`
variables (set once the variable is assigned) `w_<name>`, the type tags of `tagged`
variables (which of their possible types they hold) `y_<name>`; only those, spellings
and checked numeric literals reach the source. Anything else raises NotLowerable. This
module never decides what to compile and never builds.
"""

from __future__ import annotations

from jetlag.runtime.codegen.emit import NotLowerable, literal_source
from jetlag.runtime.codegen.operands import (
    Operand,
    index_type,
    literal_type,
    storable,
    variable_name,
)
from jetlag.runtime.codegen.printing import CALLED_BACK, lower_print
from jetlag.runtime.codegen.value_types import describe_set
from jetlag.runtime.codegen.values import ValueLowering
from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable


class StatementLowering(ValueLowering):
    """Lowers one region's statements (the values in them through ValueLowering)."""

    def statement(self, node: Node) -> None:
        """Lower `node` where its value is not used."""
        if isinstance(node, Literal):
            literal_source(node.value)  # a string statement is still not lowerable
            return
        if isinstance(node, Variable):
            self.value(node)
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
        elif node.name in CALLED_BACK:
            lower_print(self, node)
        else:
            self.value(node)

    def assignment(self, node: Call) -> Operand | None:
        """define(x, v) / store(x, v) / store(slice(x, ...), v); x's operand, or None for
        an in-place store."""
        if len(node.args) != 2:
            raise NotLowerable(f"{node.name} with {len(node.args)} arguments (a function)")
        target, value = node.args
        if isinstance(target, Call) and target.name == "slice" and node.name == "store":
            self.store_into(node, target)
            return None
        if not isinstance(target, Variable):
            raise NotLowerable(f"{node.name} of {type(target).__name__}")
        if isinstance(value, Call) and value.name == "lambda":
            raise NotLowerable("a function definition")
        name = variable_name(target.name)
        lowered = self.value(value)
        self.emit(f"{name} = {lowered.source}")
        if target.name in self.tracked:
            self.emit(f"w_{target.name} = True")
        if lowered.types is not None:
            self.hold(name, lowered.types)
            self.env[target.name] = lowered.types
            self._tag(target.name, lowered.types)
        return Operand(name, lowered.types)

    def _tag(self, name: str, types: frozenset) -> None:
        possible = self.tags.get(name)
        if possible is None:
            return
        if len(types) != 1:
            raise NotLowerable(f"{name} may be {describe_set(types)} here")
        self.emit(f"y_{name} = {possible.index(next(iter(types)))}")

    def store_into(self, node: Call, target: Call) -> None:
        """store(slice(x, i...), v): x[i...] = v, in place."""
        if not target.args or not isinstance(target.args[0], Variable) or target.kwargs:
            raise NotLowerable("store(slice(...)) into something other than a variable")
        array = self.value(target.args[0])
        index, parts = self.index_tuple(target.args[1:])
        value = self.value(node.args[1])
        if array.types is not None and value.types is not None:
            for into in array.types:
                if into.kind != "array":
                    raise NotLowerable(f"an element store into {into.describe()}")
                index_type(into, parts)
                for stored in value.types:
                    if not stored.scalar and stored.kind != "array" or not storable(into, stored):
                        raise NotLowerable(
                            f"storing {stored.describe()} into {into.describe()} converts "
                            "differently compiled"
                        )
        self.written.add(target.args[0].name)
        self.at(node)
        # Not `x[i] = v`: Numba's slice assignment costs ~1.8 s of compiling (support_store).
        self.emit(f"support_store({array.source}, {index}, {value.source})")

    def conditional(self, node: Call) -> None:
        """if(c, a[, b]) as a statement."""
        if len(node.args) not in (2, 3):
            raise NotLowerable(f"if with {len(node.args)} arguments")
        condition = self.value(node.args[0])
        self._truth(condition)
        self.at(node)
        self.emit(f"if {condition.source}:")
        before = dict(self.env)
        self.nested(node.args[1])
        after_then = self.env
        self.env = dict(before)
        if len(node.args) == 3:
            self.emit("else:")
            self.nested(node.args[2])
        self.env = self._merge(after_then, self.env)

    def loop(self, node: Call, limit: str | None = None) -> None:
        """while(c, body): stops at the top of an iteration when asked to, and once the
        source expression `limit` holds (after c, which may raise as the interpreter would)."""
        if len(node.args) != 2:
            raise NotLowerable(f"while with {len(node.args)} arguments")
        if self.typed:
            head = self._merge(self.heads.get(id(node), {}), self.env)
            head = {name: head[name] for name in self.env}  # names bound before the loop
            for name, types in head.items():
                self.hold(variable_name(name), types)
            self.env = dict(head)
        self.emit("while True:")
        self.depth += 1
        self.emit("if stop[0] != 0:")
        self.emit("    raise LoopStopped()")
        condition = self.value(node.args[0])
        self._truth(condition)
        self.at(node)
        self.emit(f"if not {condition.source}:")
        self.emit("    break")
        if limit is not None:
            self.emit(f"if {limit}:")
            self.emit("    break")
        entry = dict(self.env)
        self.statement(node.args[1])
        self.depth -= 1
        if self.typed:
            widened = self._merge(self.env, entry)
            previous = self.heads.get(id(node))
            if previous != widened:
                self.heads[id(node)] = widened
                self.heads_changed = True
            # Leaving happens at the condition: the head's types, with names first bound
            # in the body (read after the loop only when it ran).
            self.env = widened

    def nested(self, node: Node) -> None:
        """A branch: its statements one level deeper (`pass` when it emits nothing)."""
        self.depth += 1
        before = len(self.lines)
        self.statement(node)
        if len(self.lines) == before:
            self.emit("pass")
        self.depth -= 1


__all__ = ["Operand", "StatementLowering", "literal_type", "storable", "variable_name"]
