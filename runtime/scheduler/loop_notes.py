"""Why a loop runs in the interpreter instead of as one compiled function, said out loud.

A loop that stays interpreted still gives the right result, only slower -- each iteration
pays for every primitive it evaluates -- so a user must be able to see that it happened
and why: in the optimized PhySL (`f.physl_optimized`, the kernel's `%physl`), in the
trace's metadata, and once per loop and reason as a `LoopFallbackWarning`. Two kinds:

- refused when compiled: the compile-loops pass left a `while` in a function body as it
  was, because it prints, calls a user function, ... (passes/compile_loops.refusal);
- refused when run: a `compiled_loop` fell back for the values it got (Numba cannot type
  an input, Numba refused the generated code, ...; scheduler/compiled.py counts these in
  the loop's LoopHistory).

This module only reads trees and histories; it never runs or changes a loop.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable
from typing import Any

from jetlag.runtime.ir.nodes import Call, Node, Program
from jetlag.runtime.passes.compile_loops import FORM, refusal
from jetlag.runtime.passes.effects import is_function_definition
from jetlag.runtime.passes.protocol import Applied, statement_key
from jetlag.runtime.scheduler.compiled_variants import history


class LoopFallbackWarning(UserWarning):
    """A loop runs in the interpreter (correct, slower); the message says which and why."""


_warned: set[tuple[Any, str]] = set()
_warned_lock = threading.Lock()


def _place(loop: Call) -> str:
    return f"line {loop.loc.line}" if loop.loc is not None else "a loop"


def warn_once(loop: Call, reason: str, stacklevel: int = 2) -> None:
    """Warn about `loop` falling back for `reason`, once per loop and reason per process."""
    key = (statement_key(loop) or id(loop), reason)
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(
        f"the while loop at {_place(loop)} runs in the interpreter (slower, same result): {reason}",
        LoopFallbackWarning,
        stacklevel=stacklevel,
    )


def _function_bodies(program: Program) -> Iterable[Node]:
    """Every function definition's body (loops at a program's top level are never compiled:
    a notebook's later cells may read their names)."""
    for node in program.walk():
        if isinstance(node, Call) and is_function_definition(node):
            yield node.args[-1]


def _interpreted_whiles(program: Program) -> list[Call]:
    """The `while` loops in function bodies that are not inside a compiled loop."""
    found: list[Call] = []
    seen: set[int] = set()
    for body in _function_bodies(program):
        stack = [body]
        while stack:
            node = stack.pop()
            if not isinstance(node, Call) or id(node) in seen or node.name == FORM:
                continue  # a compiled loop's fallbacks are `runtime_fallbacks`
            seen.add(id(node))
            if node.name == "while" and len(node.args) == 2:
                found.append(node)
            stack.extend(reversed(node.children()))
    return found


def refused_loops(program: Program, original: Program | None = None) -> list[tuple[Call, str]]:
    """(loop, reason) for each `while` in a function body of `program` (the optimized one)
    that stays interpreted because the compile-loops pass refused it. Reasons are taken
    from the same loop in `original` (the program before the passes) when given, so an
    outer loop is not said to be refused for the inner loops the pass compiled. Loops kept
    interpreted only so their row loops run on all workers are not listed."""
    before = {}
    for loop in _interpreted_whiles(original) if original is not None else ():
        before.setdefault(statement_key(loop), loop)
    found: list[tuple[Call, str]] = []
    for loop in _interpreted_whiles(program):
        reason = refusal(before.get(statement_key(loop), loop), frozenset())
        if reason is not None:
            found.append((loop, reason))
    return found


def compiled_loops(program: Program) -> list[Call]:
    """The `compiled_loop(...)` statements of a program, in order."""
    return [n for n in program.walk() if isinstance(n, Call) and n.name == FORM]


def runtime_fallbacks(loops: Iterable[Call]) -> list[dict[str, Any]]:
    """For each compiled loop that fell back in this process: its place, each reason and
    how many runs it caused (cumulative), and how many runs were compiled."""
    found = []
    for node in loops:
        record = history(node)
        for reason, runs in sorted(record.fallbacks.items()):
            found.append(
                {
                    "loop": node.args[0].instance_name if node.args else FORM,
                    "line": node.loc.line if node.loc is not None else None,
                    "when": "run",
                    "reason": reason,
                    "interpreted_runs": runs,
                    "compiled_runs": record.compiled_runs,
                }
            )
    return found


def compile_time_notes(program: Program, original: Program | None = None) -> list[dict[str, Any]]:
    """`refused_loops` as plain data (for the trace's metadata)."""
    return [
        {
            "loop": loop.instance_name,
            "line": loop.loc.line if loop.loc is not None else None,
            "when": "compile",
            "reason": reason,
        }
        for loop, reason in refused_loops(program, original)
    ]


def annotations(
    program: Program, loops: Iterable[Call], original: Program | None = None
) -> list[Applied]:
    """Comment lines for the optimized PhySL: above each compiled loop that fell back when
    run and, when `original` (the program before a compile-loops pass) is given, above
    each `while` that pass refused."""
    refused = refused_loops(program, original) if original is not None else []
    notes = [
        Applied(f"not compiled: this loop runs in the interpreter: {reason}", statement_key(loop))
        for loop, reason in refused
    ]
    for node in loops:
        record = history(node)
        for reason, runs in sorted(record.fallbacks.items()):
            notes.append(
                Applied(
                    f"fallback: interpreted in {runs} of "
                    f"{record.interpreted_runs + record.compiled_runs} runs so far: {reason}",
                    statement_key(node),
                )
            )
    return notes
