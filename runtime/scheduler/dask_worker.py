"""What runs inside a Dask worker for the Dask executor: one primitive on one block, measured.

`run_block` evaluates a registered primitive (by its PhySL name, looked up in the one
REGISTRY on the worker) on blocks of its operands and records a JetLag task event in this
worker process: its parent is the client's task of the primitive, its location is the
worker's address plus its thread (the client gives every collected event a run-unique
GUID when it merges them). `take_events` hands a run's events to the client afterwards;
the client reads this worker's `events.now_ns` to measure its clock offset. Elementwise
lambdas (`fused_elementwise`, `glm_gradient`) travel as PhySL text and are parsed here.
This module never talks to the scheduler or the client itself.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from jetlag.runtime.ir.text import parse_physl
from jetlag.runtime.measure.events import now_ns
from jetlag.runtime.primitives.registry import REGISTRY
from jetlag.runtime.scheduler.scope import FunctionValue, Scope

#: Events of the runs this worker took part in: run id -> rows (parent, name, location,
#: start_ns, end_ns). Appended by block tasks, taken by `take_events`.
_events: dict[str, list[tuple[int, str, str, int, int]]] = {}
_events_lock = threading.Lock()
#: Runs whose events were taken: a block recomputed later (after a lost worker) is not
#: kept for a run nobody will collect again.
_taken: set[str] = set()


class LambdaText:
    """An elementwise PhySL lambda as text: what a block task carries instead of a
    FunctionValue (whose scope would drag every variable of the run along)."""

    __slots__ = ("params", "body")

    def __init__(self, params: tuple[str, ...], body: str) -> None:
        self.params, self.body = params, body

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (LambdaText, (self.params, self.body))

    def function(self) -> FunctionValue:
        """The lambda as a FunctionValue (parsed once per worker process)."""
        return _parsed(self.params, self.body)


@functools.lru_cache(maxsize=256)
def _parsed(params: tuple[str, ...], body: str) -> FunctionValue:
    # Cached: the fused kernels cache their compiled Numba loops per body node.
    node = parse_physl(body, file="<dask block>").body[0]
    return FunctionValue("lambda", params, node, Scope())


def _location() -> str:
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):
        address = "local"  # run outside a worker (dask's local scheduler)
    return f"{address}/{threading.current_thread().name}"


def run_block(tag: tuple[str, int, str], name: str, *operands: Any, **options: Any) -> Any:
    """`name`'s implementation on these blocks, recorded as one task event.

    `tag` is (run id, parent GUID on the client, primitive instance).
    """
    run_id, parent, label = tag
    values = [o.function() if isinstance(o, LambdaText) else o for o in operands]
    start = now_ns()
    try:
        return REGISTRY[name].impl(*values, **options)
    finally:
        row = (parent, f"{label}#block", _location(), start, now_ns())
        with _events_lock:
            if run_id not in _taken:
                _events.setdefault(run_id, []).append(row)


def take_events(run_id: str) -> list[tuple[int, str, str, int, int]]:
    """The events recorded here for `run_id`, removed from this worker."""
    with _events_lock:
        _taken.add(run_id)
        return _events.pop(run_id, [])


__all__ = ["LambdaText", "run_block", "take_events"]
