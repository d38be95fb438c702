"""The loop-compilation pass: a `while` loop whose every operation has a Numba spelling
becomes `compiled_loop(<the loop>, list(<inputs>), list(<outputs>))`, run as one generated
nopython function (codegen/loops.py) instead of thousands of interpreted primitives.

Inside function bodies (never the program's top level: a notebook's later cells may read
its names), the pass takes each outermost `while` whose whole subtree
- is lowerable (codegen.loops.lowerable, checked without building anything),
- has no effects (seeded random: registry `effect=True`) other than `print`, which the
  compiled loop calls back into Python for when it runs (codegen/printing.py), no
  return/break/continue,
  no function definitions or lambdas (other than the bodies of fused primitives), and no
  calls of user functions or of primitive names the program rebinds.
Inputs are the variables the loop may read before writing them (a while body may run 0
times; an `if` writes what both branches write). Outputs are the variables it may assign
that are live after it: read later in the enclosing blocks, anywhere in an enclosing loop
(the back edge) or in a nested function, or not provably local to the function. An output
the loop does not write on every path is an input too. Arrays written in place need no
output: `store(slice(x, ...), v)`, and in-place operators (registry `writes_first`:
`x += v` is `store(x, __iadd(x, v))`, which reads x, writes its array in place and re-binds
x, so x is an input, and an output when live; a compiled form must write in place too).
The scheduler (scheduler/compiled.py) falls back to the interpreter at run time when the
values' types do not compile. This module must not evaluate or build.

A row loop -- a counted loop whose iterations are independent (passes/row_loops.py: each
writes one row of an array from values the loop does not change, as ALS's per-user and
per-item solves do) and whose outputs are at most its counter -- gets its counter's name as
a fourth argument, `compiled_loop(loop, list(...), list(...), "u")`, and the scheduler runs
pieces of its range on all workers. An outer loop containing row loops is not compiled whole
(one function runs on one core): it stays interpreted, its row loops and other loops are
compiled, and its remaining statements run as tasks. Liveness around an interpreted loop's
back edge is what the next iteration reads before writing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jetlag.runtime.codegen.loops import lowerable
from jetlag.runtime.codegen.printing import CALLED_BACK
from jetlag.runtime.ir.nodes import Call, Literal, Node, Program, Variable
from jetlag.runtime.passes.effects import (
    bound_names,
    evaluated_now,
    is_function_definition,
    is_user_call,
    nested_function_body,
)
from jetlag.runtime.passes.protocol import Applied, PassResult, rebuilt, statement_key
from jetlag.runtime.passes.row_loops import row_counter
from jetlag.runtime.primitives.registry import REGISTRY

#: The special form the scheduler runs a compiled loop with.
FORM = "compiled_loop"
#: Forms a compiled region cannot contain.
_REFUSED = frozenset({"return", "break", "continue", "for", FORM})


# -- dataflow over one subtree ---------------------------------------------------------


def _flow(node: Node, written: set[str], exposed: list[str]) -> set[str]:
    """Walk `node` in evaluation order given the names surely written before it; append
    reads of names not surely written to `exposed`; return the names surely written after."""
    if isinstance(node, Variable):
        if node.name not in written and node.name not in exposed:
            exposed.append(node.name)
        return written
    if not isinstance(node, Call):
        return written
    args = node.args
    if node.name in ("define", "store") and len(args) == 2:
        target = args[0]
        if isinstance(target, Variable):
            return _flow(args[1], written, exposed) | {target.name}
        # store(slice(x, i...), v): reads x (to write into it), the indices, the value.
        for part in (*target.children(), args[1]):
            written = _flow(part, written, exposed)
        return written
    if node.name == "if" and len(args) in (2, 3):
        after = _flow(args[0], written, exposed)
        then = _flow(args[1], after, exposed)
        other = _flow(args[2], after, exposed) if len(args) == 3 else after
        return then & other
    if node.name == "while" and len(args) == 2:
        after = _flow(args[0], written, exposed)
        _flow(args[1], after, exposed)  # the body may not run
        return after
    if node.name in ("__and", "__or") and len(args) == 2:
        after = _flow(args[0], written, exposed)
        _flow(args[1], after, exposed)  # may not run
        return after
    if node.name == "lambda":
        # A fused primitive's body: its parameters are its own, the rest is read now.
        params = {p.name for p in args[:-1] if isinstance(p, Variable)}
        if args:
            _flow(args[-1], written | params, exposed)
        return written
    for child in node.children():
        written = _flow(child, written, exposed)
    return written


def exposed_and_written(node: Node) -> tuple[list[str], set[str]]:
    """(names read before surely written, in first-read order; names surely written)."""
    exposed: list[str] = []
    written = _flow(node, set(), exposed)
    return exposed, written


def assigned(node: Node) -> list[str]:
    """Names the subtree may re-bind with define/store, in order of appearance."""
    names: list[str] = []
    for current in node.walk():
        if isinstance(current, Call) and current.name in ("define", "store") and current.args:
            target = current.args[0]
            if isinstance(target, Variable) and target.name not in names:
                names.append(target.name)
    return names


@dataclass(frozen=True)
class LoopFacts:
    """What running a compiled loop needs to know about its tree (scheduler/compiled.py)."""

    exposed: frozenset[str]  # read before surely written
    stored: frozenset[str]  # re-bound with store (must be bound before)
    defined: frozenset[str]  # bound with define (in the current scope)
    callees: frozenset[str]  # names called


def loop_facts(loop: Node) -> LoopFacts:
    """The LoopFacts of `loop`."""
    calls = [n for n in loop.walk() if isinstance(n, Call)]

    def targets(form: str) -> frozenset[str]:
        return frozenset(
            c.args[0].name
            for c in calls
            if c.name == form and c.args and isinstance(c.args[0], Variable)
        )

    exposed = frozenset(exposed_and_written(loop)[0])
    return LoopFacts(exposed, targets("store"), targets("define"), frozenset(c.name for c in calls))


def _reads(node: Node) -> set[str]:
    """Names the subtree reads anywhere (the targets of define/store are not reads)."""
    targets = {
        id(n.args[0])
        for n in node.walk()
        if isinstance(n, Call) and n.name in ("define", "store") and n.args
    }
    return {n.name for n in node.walk() if isinstance(n, Variable) and id(n) not in targets}


def _live_in(node: Node, live_out: set[str]) -> set[str]:
    exposed, written = exposed_and_written(node)
    return set(exposed) | (live_out - written)


# -- what may be compiled --------------------------------------------------------------


def refusal(loop: Call, shadowed: frozenset[str]) -> str | None:
    """Why `loop` cannot be compiled, or None when it can."""
    for node in loop.walk():
        if not isinstance(node, Call):
            continue
        if node.name in _REFUSED:
            return f"it contains {node.name}"
        if is_function_definition(node):
            return "it defines a function"
        primitive = REGISTRY.get(node.name)
        called_back = node.name in CALLED_BACK
        if (
            primitive is not None
            and primitive.effect
            and not called_back
            and node.name not in shadowed
        ):
            return f"it calls {node.name}, which has an effect"
        if is_user_call(node, shadowed):
            return f"it calls {node.name}, a user function"
    # Lambdas get past the lowering only as the bodies of fused primitives.
    return lowerable(loop)


# -- the walk over function bodies -----------------------------------------------------


def _ordered(names: Iterable[str], keep: set[str]) -> list[str]:
    seen: list[str] = []
    for name in names:
        if name in keep and name not in seen:
            seen.append(name)
    return seen


#: Primitives whose lambda argument they evaluate at once (it reads only its parameters).
_FUSED = frozenset({"fused_elementwise", "glm_gradient"})


def _escaping_bodies(body: Node) -> list[Node]:
    """Bodies of the functions a scope defines, which may run whenever they are called
    (not the lambdas fused primitives evaluate at once: those read only their parameters)."""
    bodies: list[Node] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if not isinstance(node, Call):
            continue
        if node.name in _FUSED:
            stack.extend(a for a in node.args if not (isinstance(a, Call) and a.name == "lambda"))
            continue
        inner = nested_function_body(node)
        if inner is not None:
            bodies.append(inner)
            continue
        stack.extend(node.children())
    return bodies


class _Scope:
    """What a function body's loops need to know about the body as a whole."""

    def __init__(self, body: Node, params: Iterable[str]):
        calls = [node for node in evaluated_now(body) if isinstance(node, Call)]
        self.local = set(params) | {
            c.args[0].name
            for c in calls
            if c.name == "define" and c.args and isinstance(c.args[0], Variable)
        }
        # Variables nested functions read may be read whenever they are called.
        self.captured: set[str] = set()
        for inner in _escaping_bodies(body):
            self.captured |= _reads(inner)


class _Walker:
    def __init__(self, shadowed: frozenset[str]):
        self.shadowed = shadowed
        self.applied: list[Applied] = []
        self.row_loops = 0  # row loops compiled so far

    def top_level(self, node: Node) -> Node:
        if isinstance(node, Call) and is_function_definition(node):
            return self.function(node)
        return node

    def function(self, node: Call) -> Call:
        """A function definition with the loops of its body (and nested ones) compiled."""
        if len(node.args) > 2:
            params = [p.name for p in node.args[1:-1] if isinstance(p, Variable)]
            body = self.body(node.args[-1], params)
            return node.replace(args=node.args[:-1] + (body,))
        lam = node.args[1]
        assert isinstance(lam, Call)
        params = [p.name for p in lam.args[:-1] if isinstance(p, Variable)]
        body = self.body(lam.args[-1], params)
        return node.replace(args=(node.args[0], lam.replace(args=lam.args[:-1] + (body,))))

    def body(self, body: Node, params: list[str]) -> Node:
        # At the end of a function body nothing but the body's value is live.
        return self.statement(body, set(), _Scope(body, params))

    def statement(self, node: Node, live_out: set[str], scope: _Scope) -> Node:
        """`node` (a statement whose successors read `live_out`) with its loops compiled."""
        if not isinstance(node, Call):
            return node
        if is_function_definition(node):
            return self.function(node)
        if node.name == "block":
            args = list(node.args)
            live = live_out
            for index in range(len(args) - 1, -1, -1):
                original = args[index]
                args[index] = self.statement(original, live, scope)
                live = _live_in(original, live)
            if all(new is old for new, old in zip(args, node.args, strict=True)):
                return node
            return node.replace(args=tuple(args))
        if node.name == "if" and len(node.args) in (2, 3):
            branches = tuple(self.statement(arg, live_out, scope) for arg in node.args[1:])
            if all(new is old for new, old in zip(branches, node.args[1:], strict=True)):
                return node
            return node.replace(args=(node.args[0], *branches))
        if node.name == "while" and len(node.args) == 2:
            if refusal(node, self.shadowed) is None:
                compiled = self.compile(node, live_out, scope)
                if len(compiled.args) == 4:
                    return compiled  # a row loop: its iterations are split across workers
                # Row loops inside run on all workers when this loop stays interpreted
                # (its other statements then run as tasks); else it compiles whole.
                applied, rows = len(self.applied), self.row_loops
                inside = self.around_back_edge(node, live_out, scope)
                if self.row_loops > rows:
                    del self.applied[applied - 1]  # the whole-loop compile just recorded
                    return inside
                del self.applied[applied:]
                self.row_loops = rows
                return compiled
            return self.around_back_edge(node, live_out, scope)
        if node.name == "for" and len(node.args) == 3:
            # A for loop's variable is bound by the form itself: stay conservative.
            body = self.statement(node.args[2], live_out | _reads(node), scope)
            return node if body is node.args[2] else node.replace(args=(*node.args[:2], body))
        return node

    def around_back_edge(self, loop: Call, live_out: set[str], scope: _Scope) -> Call:
        """An interpreted loop with the loops inside its body compiled."""
        # At the end of the body, what the next iteration reads before writing it is live.
        live = live_out | _live_in(loop, live_out)
        body = self.statement(loop.args[1], live, scope)
        return loop if body is loop.args[1] else loop.replace(args=(loop.args[0], body))

    def compile(self, loop: Call, live_out: set[str], scope: _Scope) -> Call:
        exposed, written = exposed_and_written(loop)
        may = assigned(loop)
        live = live_out | scope.captured | (set(may) - scope.local)
        outputs = _ordered(may, live)
        inputs = exposed + [name for name in outputs if name not in written]
        inputs = _ordered(inputs, set(inputs))

        def names(found: list[str]) -> Call:
            # Untagged: the lists are the pass's, not the user's; they print as list(a, b).
            return Call("list", tuple(Variable(n) for n in found))

        listed = f"inputs: {', '.join(inputs) or 'none'}; outputs: {', '.join(outputs) or 'none'}"
        prints = any(isinstance(n, Call) and n.name in CALLED_BACK for n in loop.walk())
        # A row loop's pieces run at once on several workers: prints must stay in order.
        rows = None if prints else row_counter(loop)
        if rows is not None and set(outputs) <= {rows.counter}:
            self.row_loops += 1
            self.applied.append(
                Applied(
                    f"compile: while loop -> one Numba function, its iterations over "
                    f"{rows.counter} (independent rows of {', '.join(rows.written)}) split "
                    f"across workers ({listed})",
                    statement_key(loop),
                )
            )
            counter = Literal(rows.counter)
            return Call(FORM, (loop, names(inputs), names(outputs), counter), loc=loop.loc)
        self.applied.append(
            Applied(f"compile: while loop -> one Numba function ({listed})", statement_key(loop))
        )
        return Call(FORM, (loop, names(inputs), names(outputs)), loc=loop.loc)


class CompileLoops:
    """Runs each outermost compilable while loop of a function body as one Numba function;
    loops over independent rows (row loops) inside it are compiled instead, their rows
    split across the workers."""

    name = "compile-loops"

    def run(self, program: Program) -> PassResult:
        """The program with compilable loops wrapped in compiled_loop(...)."""
        walker = _Walker(bound_names(program))
        body = tuple(walker.top_level(node) for node in program.body)
        return rebuilt(program, body, walker.applied)
