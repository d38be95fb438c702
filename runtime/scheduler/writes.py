"""In-place writes as fences: what the driver knows about unfinished writes into arrays.

`store(slice(x, ...), v)` and calls of primitives registered `writes_first` (`__iadd` for
`x += v` on an array) change memory other values may share (views, `b = a`). Such a write
waits for every task issued before it, and a task issued after it that may read the
written memory (an unfinished operand, or an array that may share memory with a target)
waits for it; the driver waits too before it reads such memory itself (a loop condition,
print). That keeps NumPy's view semantics exact while unrelated work goes on. `Run`
(evaluator.py) mixes this in; this module issues nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.ir.nodes import Node
from jetlag.runtime.scheduler.futures import Future
from jetlag.runtime.scheduler.tasks import RunCancelled

#: Unfinished in-place writes to this many different arrays are tracked one by one; beyond
#: that every later task with an array operand waits for the latest write.
MAX_FENCE_TARGETS = 16
#: `Run.written_array` of a value that is no array: nothing is written in place.
NOT_AN_ARRAY = object()
#: Unfinished fresh values (`Run._fresh`) kept before the finished ones are dropped.
_FRESH_KEPT = 1024


class InPlaceWrites:
    """The in-place write tracking of a run (mixed into `Run`, which issues the tasks)."""

    fence: Future | None
    # Run's own, used here.
    issue: Callable[..., Any]
    inflight: Callable[[], list[Future]]
    failures_so_far: Callable[[], bool]
    issued_so_far: Callable[[], int]
    failed_before: Callable[[int], bool]
    raise_earlier_failure: Callable[[], None]

    def init_writes(self) -> None:
        """No write is running yet."""
        # The latest in-place write still running. It waits for every earlier task, so once
        # it is done every earlier write is done too.
        self.fence: Future | None = None
        # Unfinished writes -> what each writes, and those targets without repeats: what a
        # later task must not read before `fence` is done. A target is an ndarray, None
        # (not known yet: any array), or a Future in `_fresh` (see `written_array`).
        self._writes: dict[Future, Any] = {}
        self._written: list[Any] = []
        # Unfinished results of `x op= v` on a number x: a number, or a new array that no
        # value made before it shares (`0.0 + a`). Insertion-ordered set.
        self._fresh: dict[Future, None] = {}

    def _may_read_fenced(self, operands: list[Any]) -> bool:
        written = self._written
        return any(_may_alias(value, target) for value in operands for target in written)

    def write_in_place(
        self,
        node: Node,
        impl: Callable[..., Any],
        args: list[Any],
        kwargs: dict[str, Any],
        written: Any,
    ) -> Any:
        """Issue an evaluation that may write `written` (a value or a Future of one) in
        place, as a fence: it runs after every task issued before it (any of them may read
        that memory), and later tasks that may read the memory wait for it. A value known
        to be no array (a number: `step += 1` re-binds) is no write and issues plainly.
        """
        target = self.written_array(written)
        if target is NOT_AN_ARRAY:
            result = self.issue(node, impl, args, kwargs)
            if isinstance(result, Future) and not result.done():
                self._note_fresh(result)
            return result
        if self.failures_so_far():
            self.raise_earlier_failure()  # Python stopped at that error: no write
        earlier = tuple(self.inflight())
        if earlier:
            impl = self._unless_earlier_failed(impl, self.issued_so_far())
        result = self.issue(node, impl, args, kwargs, extra_dependencies=earlier)
        if isinstance(result, Future) and not result.done():
            self._fence_on(result, target)
        return result

    def _unless_earlier_failed(self, impl: Callable[..., Any], mark: int) -> Callable[..., Any]:
        """`impl`, skipped when a task issued before it (before `mark`) failed: Python stops
        at the first error, so the write would never have happened (the run reports that
        error). Tasks issued after it may fail first without stopping it."""

        def write(*args: Any, **kwargs: Any) -> Any:
            if self.failed_before(mark):
                raise RunCancelled("an earlier statement failed")
            return impl(*args, **kwargs)

        return write

    def written_array(self, value: Any) -> Any:
        """What an in-place write into `value` (a value or a Future) changes, known before
        it runs: the ndarray; NOT_AN_ARRAY for a value that is no array; a Future still
        making a fresh value (a number, or an array nothing made before it can share, e.g.
        `total` in a loop doing `total += sum(x)`); None when not known (any array)."""
        if isinstance(value, Future):
            if value.done():
                if value.error is not None:
                    return None
                value = value.value_if_done()
            elif value in self._fresh:
                return value
            else:
                # An earlier write's result is what that write wrote (or not known yet).
                return self._writes.get(value)
        return value if isinstance(value, np.ndarray) else NOT_AN_ARRAY

    def _note_fresh(self, result: Future) -> None:
        fresh = self._fresh
        fresh[result] = None
        if len(fresh) > _FRESH_KEPT:
            self._fresh = {future: None for future in fresh if not future.done()}

    def _fence_on(self, write: Future, target: Any) -> None:
        fence = self.fence
        if fence is None or fence.done():
            self._writes, self._written = {}, []
        self._writes[write] = target
        written = self._written
        if not any(known is target for known in written):
            written.append(target)
            if len(written) > MAX_FENCE_TARGETS:
                self._written = [None]  # too many to check one by one: any array may be
        self.fence = write

    def wait_for_writes(self, values: list[Any]) -> None:
        """Wait (on the driver) for the unfinished in-place writes when one may change
        memory `values` share: the driver is about to read them itself."""
        fence = self.fence
        if fence is not None and not fence.done() and self._may_read_fenced(values):
            fence.wait()


def _may_alias(value: Any, target: Any) -> bool:
    """Whether `value` may share memory with what an in-place write writes: an ndarray,
    None (not known: any array), or a Future making a fresh value (Run.written_array)."""
    if isinstance(value, Future):
        if not value.done():
            return True
        return value.error is None and _may_alias(value.value_if_done(), target)
    if isinstance(target, Future):
        if not target.done():
            # Only values made from it, which are unfinished too, can share its memory.
            return False
        if target.error is not None:
            return False
        target = target.value_if_done()
        if not isinstance(target, np.ndarray):
            return False  # a number: the write re-binds, memory is untouched
    if isinstance(value, np.ndarray):
        return target is None or np.may_share_memory(value, target)
    if isinstance(value, tuple):
        return any(_may_alias(item, target) for item in value)
    return False  # scalars, strings, slices, functions


__all__ = ["InPlaceWrites", "MAX_FENCE_TARGETS", "NOT_AN_ARRAY"]
