"""What a compiled loop has built in this process: its functions per input types, and
their compiles.

A `compiled_loop` node gets one `LoopHistory`: the generated function for each set of input
types, tracked outputs and row-loop split (`variant_for`, built once; the reason when the
loop has no exact compiled form for those types), and per Numba signature whether it
compiled and passed the typing check (`compile_variant`; verify.py). The scheduler's
`compiled_loop` form (compiled.py) runs them; this module never runs a loop.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jetlag.runtime.codegen.build import load_source
from jetlag.runtime.codegen.emit import NotLowerable
from jetlag.runtime.codegen.loops import Region, region_source
from jetlag.runtime.codegen.value_types import ValueType
from jetlag.runtime.codegen.verify import compiled_typemap, typing_mismatch
from jetlag.runtime.ir.nodes import Call
from jetlag.runtime.locks import fork_safe_lock
from jetlag.runtime.passes.compile_loops import LoopFacts
from jetlag.runtime.passes.row_loops import RowLoop


@dataclass(frozen=True)
class Variant:
    """The loop built for one set of input types and tracked outputs (outputs without a
    value before it)."""

    region: Region
    function: Callable[..., Any]


@dataclass
class LoopHistory:
    """What happened to one compiled loop in this process (for tests and curious users)."""

    compiled_runs: int = 0
    interpreted_runs: int = 0
    #: Runs left to the interpreter by choice: its primitives split across the workers on
    #: operands this large (loop_size.py); not fallbacks.
    split_runs: int = 0
    #: Why the interpreter ran instead, by reason text (with how often).
    fallbacks: dict[str, int] = field(default_factory=dict)
    #: Built functions (or why the loop has none) by (tracked outputs, row-loop counter,
    #: input types).
    variants: dict[tuple[str, ...], Variant | str] = field(default_factory=dict, repr=False)
    #: (tracked outputs, Numba signature, counter, input types) compiled, and refused with
    #: the reason.
    compiled: set[tuple] = field(default_factory=set, repr=False)
    refused: dict[tuple, str] = field(default_factory=dict, repr=False)
    facts: LoopFacts | None = field(default=None, repr=False)
    rows: RowLoop | None = field(default=None, repr=False)  # a row loop's counter and arrays
    #: Names the loop passes to primitives that split across workers (loop_size.py).
    split_operands: frozenset[str] | None = field(default=None, repr=False)

    def count_interpreted(self, reason: str) -> None:
        """One run by the interpreter, and why."""
        with _lock:
            self.interpreted_runs += 1
            self.fallbacks[reason] = self.fallbacks.get(reason, 0) + 1

    def count_split(self) -> None:
        """One run by the interpreter, chosen for its primitives to split (loop_size.py)."""
        with _lock:
            self.split_runs += 1

    def count_compiled(self) -> None:
        """One run of the compiled function to its end."""
        with _lock:
            self.compiled_runs += 1


_lock = fork_safe_lock()
_histories: dict[int, tuple[Call, LoopHistory]] = {}


def history(node: Call) -> LoopHistory:
    """The history of one `compiled_loop(...)` node of a program."""
    with _lock:
        found = _histories.get(id(node))
        if found is None or found[0] is not node:
            # Keeping `node` alive keeps its id from being reused by another node.
            found = _histories[id(node)] = (node, LoopHistory())
        return found[1]


def variant_for(
    record: LoopHistory,
    loop: Call,
    inputs: Sequence[str],
    types: Sequence[ValueType],
    outputs: Sequence[str],
    tracked: tuple[str, ...],
    counter: str | None,
) -> Variant | str:
    """The loop's function for inputs of these types, these tracked outputs and, for a row
    loop split into pieces, its counter (built once), or why it has none."""
    key = (tracked, counter, tuple(types))
    with _lock:
        found = record.variants.get(key)
    if found is not None:
        return found
    try:
        region = region_source(loop, inputs, outputs, tracked, counter, types)
        built: Variant | str = Variant(region, load_source(region.source).region)
    except NotLowerable as reason:
        built = str(reason)
    with _lock:
        return record.variants.setdefault(key, built)


def numba_signature(values: Sequence[Any]) -> tuple[tuple | None, str | None]:
    """The Numba types of the inputs, or why Numba cannot type one."""
    try:
        return tuple(numba_type(v) for v in values), None
    except Exception as error:  # noqa: BLE001 - any value Numba cannot type is refused
        return None, f"Numba cannot type an input: {error}"


#: Numba's type of a plain ndarray, by everything its typeof looks at: dtype, dimensions,
#: layout, writeability and alignment (typeof costs ~5 us an array, paid by every call).
_ARRAY_TYPES: dict[tuple, Any] = {}


def numba_type(value: Any) -> Any:
    """`numba.typeof(value)`, remembered for plain ndarrays (whose type depends only on the
    key above; subclasses and every other value are asked each time)."""
    from numba import typeof

    if type(value) is not np.ndarray:
        return typeof(value)
    flags = value.flags
    layout = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "A"
    key = (value.dtype, value.ndim, layout, flags.writeable, flags.aligned)
    found = _ARRAY_TYPES.get(key)
    if found is None:
        found = typeof(value)
        with _lock:
            _ARRAY_TYPES.setdefault(key, found)
    return found


def compile_variant(record: LoopHistory, variant: Variant, key: tuple) -> str | None:
    """Compile for key = (tracked, Numba signature, counter, input types) once, on the
    calling worker, and check Numba's typing against NumPy's; the reason when either
    fails (nothing of the loop has run, so interpreting is safe)."""
    from numba import typeof
    from numba.core.errors import NumbaPerformanceWarning, NumbaWarning

    with _lock:
        if key in record.compiled:
            return None
        if key in record.refused:
            return record.refused[key]
    flags = typeof(np.zeros(1, dtype=np.int64))
    span = (typeof(0), typeof(0)) if key[2] else ()  # a row loop's lo and hi
    signature = key[1] + (flags, flags) + span
    try:
        with warnings.catch_warnings():
            # np.dot on a transposed (Fortran-ordered) view is what the program asks for.
            warnings.simplefilter("ignore", NumbaPerformanceWarning)
            # A print's `with objmode()` takes the GIL only while it prints (printing.py).
            warnings.filterwarnings("ignore", "Code running in object mode", NumbaWarning)
            variant.function.compile(signature)  # type: ignore[attr-defined]
        # Typing must give every value NumPy's type, else the code computes something else.
        reason = typing_mismatch(
            compiled_typemap(variant.function, signature), variant.region.holds
        )
    except Exception as error:  # noqa: BLE001 - typing/lowering errors: interpret instead
        text = str(error).strip()
        first = text.splitlines()[0] if text else ""
        reason = f"Numba cannot compile it for these types: {type(error).__name__}: {first}"
    if reason is not None:
        with _lock:
            record.refused[key] = reason
        return reason
    with _lock:
        record.compiled.add(key)
    return None
