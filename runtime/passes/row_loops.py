"""Which compiled loops are row loops: counted loops whose iterations are independent.

A loop over the rows of a result -- ALS's `while u < num_users: ...; X[u, :] = solve(A, b);
u = u + 1` -- computes each row from values the loop does not change. Its iterations can
run in any order, so the scheduler may split the counter's range across workers
(scheduler/compiled_rows.py) and still produce exactly the sequential result: each row is
computed by the same code from the same inputs, and no value flows between iterations.

`row_counter(loop)` says whether a `while` is such a loop and returns its counter and the
arrays it writes. It is conservative: the loop must be

    while(__lt(c, n), block(<statements>..., store(c, __add(c, 1))))

(or `store(c, __iadd(c, 1))`, Python's `c += 1`: `c` is an int when the rows are split)
with `n` a name or an integer literal that the body does not assign, `c` assigned only by
the last statement, no other in-place operator (registry `writes_first`: `t += v` on a
local `t = y[0]` would write `y` in every iteration), and every other statement either
`define`/`store` of a name that the body writes before it reads it (a value local to the
iteration), or `store(slice(x, c, ...), value)` writing row `c` of an array `x` that the
body neither reads nor re-binds, with the other indices free of names the body assigns. No
nested loops or branches. Effects and lowerability are the compile pass's checks; whether
the iteration-local names are read after the loop is its liveness (it only splits a loop
whose outputs are at most the counter). This module only describes trees.
"""

from __future__ import annotations

from dataclasses import dataclass

from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable
from jetlag.runtime.primitives.registry import REGISTRY

#: How the last statement may add 1 to the counter: `c = c + 1` or `c += 1`.
_INCREMENTS = frozenset({"__add", "__iadd"})


@dataclass(frozen=True)
class RowLoop:
    """A loop whose iterations over `counter` are independent."""

    counter: str
    bound: Node  # the name or integer literal the counter runs up to
    written: tuple[str, ...]  # arrays whose row `counter` each iteration writes


def _names(node: Node) -> set[str]:
    return {n.name for n in node.walk() if isinstance(n, Variable)}


def _is_increment(node: Node, counter: str) -> bool:
    if not (isinstance(node, Call) and node.name == "store" and len(node.args) == 2):
        return False
    target, value = node.args
    return (
        isinstance(target, Variable)
        and target.name == counter
        and isinstance(value, Call)
        and value.name in _INCREMENTS
        and len(value.args) == 2
        and isinstance(value.args[0], Variable)
        and value.args[0].name == counter
        and isinstance(value.args[1], Literal)
        and type(value.args[1].value) is int
        and value.args[1].value == 1
    )


def _writes_in_place(node: Node) -> bool:
    """Whether a subtree calls a primitive that writes its first operand in place."""
    for current in node.walk():
        if isinstance(current, Call):
            found = REGISTRY.get(current.name)
            if found is not None and found.writes_first:
                return True
    return False


def row_counter(loop: Node) -> RowLoop | None:
    """The RowLoop of `loop` when its iterations are independent, else None."""
    if not (isinstance(loop, Call) and loop.name == "while" and len(loop.args) == 2):
        return None
    condition, body = loop.args
    if not (
        isinstance(condition, Call)
        and condition.name == "__lt"
        and len(condition.args) == 2
        and not condition.kwargs
        and isinstance(condition.args[0], Variable)
    ):
        return None
    counter, bound = condition.args[0].name, condition.args[1]
    if not (
        isinstance(bound, Variable) or (isinstance(bound, Literal) and type(bound.value) is int)
    ):
        return None
    if not (isinstance(body, Call) and body.name == "block" and body.args):
        return None
    *statements, last = body.args
    if not statements or not _is_increment(last, counter):
        return None
    if any(_writes_in_place(statement) for statement in statements):
        return None
    # Names the body assigns; those not assigned yet when read carry a previous iteration's value.
    plain = {
        s.args[0].name
        for s in statements
        if isinstance(s, Call) and s.args and isinstance(s.args[0], Variable)
    }
    local: set[str] = set()  # names assigned so far in the iteration
    written: list[str] = []
    for statement in statements:
        if not (
            isinstance(statement, Call)
            and statement.name in ("define", "store")
            and len(statement.args) == 2
            and not statement.kwargs
        ):
            return None
        target, value = statement.args
        if any(isinstance(n, Call) and n.name in ("while", "for", "if") for n in value.walk()):
            return None
        reads = _names(value)
        if isinstance(target, Variable):
            if target.name == counter or target.name in written:
                return None
            if reads & (plain - local):
                return None
            local.add(target.name)
            continue
        if not (
            isinstance(target, Call)
            and target.name == "slice"
            and len(target.args) >= 2
            and isinstance(target.args[0], Variable)
            and isinstance(target.args[1], Variable)
            and target.args[1].name == counter
        ):
            return None
        array = target.args[0].name
        for index in target.args[2:]:
            if _names(index) & (local | {counter}):
                return None
        if array not in written:
            written.append(array)
        if reads & (plain - local):
            return None
    assigned = local | {counter}
    if isinstance(bound, Variable) and bound.name in assigned:
        return None
    for array in written:
        if array in assigned:
            return None
        # A written array appears only as the target of its row stores: never read.
        uses = sum(
            1 for s in statements for n in s.walk() if isinstance(n, Variable) and n.name == array
        )
        if uses != sum(1 for s in statements if _row_target(s) == array):
            return None
    return RowLoop(counter, bound, tuple(written))


def _row_target(statement: Node) -> str | None:
    """x for store(slice(x, ...), value), else None."""
    target = statement.args[0] if isinstance(statement, Call) and statement.args else None
    if isinstance(target, Call) and target.name == "slice" and isinstance(target.args[0], Variable):
        return target.args[0].name
    return None
