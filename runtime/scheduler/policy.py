"""When a primitive runs inline (where it is issued) instead of as a task on the pool.

Spawning a task costs tens of microseconds; a primitive on a handful of elements costs
less. `InlinePolicy` decides from the operands' sizes alone. `AdaptivePolicy` is the
Phylanx/APEX policy: it starts with the static rule and, after a few measured
evaluations of a primitive instance, inlines it when its recent time is below a
threshold and spawns it otherwise. Its decisions are kept so traces can show them.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jetlag.runtime.primitives.registry import Primitive
from jetlag.runtime.settings import whole_number

#: Work (element touches) below which a ready primitive runs inline (static rule).
DEFAULT_INLINE_WORK = 32_768
#: CPU time below which the adaptive policy inlines a primitive instance. Small Python-
#: heavy tasks on workers contend with the driver for the GIL (each handoff can cost a
#: switch interval), so anything under about half a millisecond is cheaper inline.
DEFAULT_INLINE_NS = 500_000
#: Evaluations measured before the adaptive policy trusts the mean.
DEFAULT_WARMUP = 3


#: Primitives that only look at metadata or return views: constant work.
CONSTANT_WORK = frozenset(
    "shape len ndim size transpose reshape ravel squeeze expand_dims swapaxes moveaxis "
    "atleast_1d atleast_2d broadcast_to diagonal list span range".split()
)


def estimate_work(primitive: Primitive, args: Sequence[Any]) -> int:
    """Rough element touches of one evaluation: operand sizes, m*n*k for products.

    A primitive may give its own estimate as `extra["work"](*args)`.
    """
    if primitive.name in CONSTANT_WORK:
        return 0
    own = primitive.extra.get("work")
    if own is not None:
        return int(own(*args))
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    if primitive.name == "slice":  # a view, unless indexed by arrays
        return int(sum(a.size for a in arrays[1:]))
    if primitive.category in ("product", "linalg") and arrays:
        if len(arrays) >= 2 and arrays[0].ndim >= 1 and arrays[1].ndim >= 1:
            return int(arrays[0].size) * int(arrays[1].shape[-1])
        if arrays[0].ndim == 2:
            return int(arrays[0].shape[0]) ** 3
    return int(sum(a.size for a in arrays))


@dataclass
class InlinePolicy:
    """Static inline-vs-spawn decision by estimated work."""

    inline_work: int = DEFAULT_INLINE_WORK

    def should_inline(self, instance: str, primitive: Primitive, args: Sequence[Any]) -> bool:
        """True when the evaluation is too small to be worth a task."""
        return estimate_work(primitive, args) <= self.inline_work

    def measures(self, instance: str) -> bool:
        """Whether to measure this evaluation's CPU time for `observe` (never, here)."""
        return False

    def observe(self, instance: str, duration_ns: int) -> None:
        """A measured evaluation of `instance` (the static rule ignores it)."""

    def decisions(self) -> dict[str, dict[str, Any]]:
        """Per instance: the current decision and what it is based on (none here)."""
        return {}


#: How many recent evaluations of an instance the adaptive policy remembers.
RECENT = 5
#: After warm-up, the adaptive policy measures one evaluation in this many.
SAMPLE_EVERY = 8


@dataclass
class AdaptivePolicy(InlinePolicy):
    """Inline an instance once the median of its recent CPU times is below `inline_ns`.

    Until `warmup` evaluations of an instance are measured, the static rule decides.
    The median of the last few measured evaluations (not the mean) decides afterwards, so
    a first call that paid for compiling a kernel does not keep an instance spawned, and a
    decision flips back when the operands grow. After warm-up only one evaluation in
    `SAMPLE_EVERY` is measured: reading a thread's CPU clock is a system call, which would
    otherwise be a large part of a small evaluation's cost.
    """

    inline_ns: int = DEFAULT_INLINE_NS
    warmup: int = DEFAULT_WARMUP
    _recent: dict[str, deque[int]] = field(default_factory=dict, repr=False)
    _counts: dict[str, int] = field(default_factory=dict, repr=False)
    _medians: dict[str, int] = field(default_factory=dict, repr=False)
    _seen: dict[str, int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_environment(cls) -> AdaptivePolicy:
        """Thresholds from JETLAG_INLINE_NS / JETLAG_INLINE_WORK / JETLAG_INLINE_WARMUP."""
        return cls(
            inline_work=whole_number(
                "JETLAG_INLINE_WORK",
                DEFAULT_INLINE_WORK,
                -1,
                "element touches run inline; -1: none",
            ),
            inline_ns=whole_number("JETLAG_INLINE_NS", DEFAULT_INLINE_NS, 0, "ns run inline"),
            warmup=whole_number(
                "JETLAG_INLINE_WARMUP", DEFAULT_WARMUP, 0, "evaluations measured first"
            ),
        )

    def should_inline(self, instance: str, primitive: Primitive, args: Sequence[Any]) -> bool:
        """The measured rule after warm-up, the static one before."""
        median = self._medians.get(instance)
        if median is None:
            return super().should_inline(instance, primitive, args)
        return median < self.inline_ns

    def measures(self, instance: str) -> bool:
        """Every evaluation during warm-up, then one in `SAMPLE_EVERY`."""
        seen = self._seen.get(instance, 0) + 1
        self._seen[instance] = seen  # a lost update between threads only shifts a sample
        return seen <= self.warmup or seen % SAMPLE_EVERY == 0

    def observe(self, instance: str, duration_ns: int) -> None:
        """Remember one measured evaluation of the instance."""
        with self._lock:
            recent = self._recent.get(instance)
            if recent is None:
                recent = self._recent[instance] = deque(maxlen=RECENT)
            recent.append(duration_ns)
            count = self._counts[instance] = self._counts.get(instance, 0) + 1
            if count >= self.warmup:
                times = sorted(recent)
                self._medians[instance] = times[len(times) // 2]

    def decisions(self) -> dict[str, dict[str, Any]]:
        """{instance: {"decision", "median_ns", "count", "measured"}} past warm-up.

        `count` is the evaluations decided, `measured` those whose CPU time was taken.
        """
        with self._lock:
            medians = dict(self._medians)
            counts = dict(self._counts)
        return {
            name: {
                "decision": "inline" if median < self.inline_ns else "spawn",
                "median_ns": median,
                "count": max(self._seen.get(name, 0), counts[name]),
                "measured": counts[name],
            }
            for name, median in medians.items()
        }
