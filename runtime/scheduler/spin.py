"""Waiting a few hundred microseconds without going to sleep, and without the GIL.

A thread that blocks (a lock, a queue) lets its core go idle; on a virtual machine the
hypervisor then halts that vCPU, and waking it again costs 30-50 µs -- measured on the
project's 2-vCPU machine for both hand-offs of every chunked primitive: waking the helper
that takes the chunks, and waking the caller when the helper's last chunk is done. A loop
like LRA 2000², ~1 ms per iteration, paid ~8 % for it; OpenBLAS avoids it by keeping its
threads spinning. The pool therefore spins briefly before it blocks (pool.py).

`Pulse.wait(seen, limit_ns)` spins until the pulse's 64-bit counter no longer holds
`seen`, or `limit_ns` passed; it runs as machine code called through ctypes, which
releases the GIL, so the thread that will change the cell is never held up by the spinner.
The loop is a few lines of LLVM IR compiled once per process with llvmlite (which Numba
brings; ~10 ms): a volatile load, the CPU's spin-wait hint, and a `sched_yield` every 256
rounds so a runnable thread on the same core gets it. Its round count is calibrated
against the clock on first use. Where llvmlite or the JIT is unavailable, or
`JETLAG_SPIN_US=0`, `Pulse.wait` returns False at once and callers simply block.
"""

from __future__ import annotations

import ctypes
import platform
import time
from collections.abc import Callable

from jetlag.runtime.locks import fork_safe_lock
from jetlag.runtime.settings import whole_number

#: Default spin budget in microseconds before a waiting worker blocks (JETLAG_SPIN_US).
DEFAULT_SPIN_US = 300

# `pause` (x86) tells the core this is a spin loop: less power, no memory-order stall on
# exit. Other targets spin without a hint.
_HINT_DECLARATION = {"x86_64": "declare void @llvm.x86.sse2.pause()"}
_HINT_CALL = {"x86_64": "call void @llvm.x86.sse2.pause()"}

_IR = """
{hint_declaration}
declare i32 @sched_yield()

; Optionally bump *cell first (then wait for a change past the bumped value); spin until
; *cell != seen or `rounds` rounds passed; after a change spin `grace` rounds more.
define i64 @wait_for_change(i64* %cell, i64 %seen, i64 %rounds, i64 %grace, i64 %bump) {{
entry:
  %bumping = icmp ne i64 %bump, 0
  br i1 %bumping, label %bump_first, label %start
bump_first:
  %before = atomicrmw add i64* %cell, i64 1 seq_cst
  %bumped = add i64 %seen, 1
  br label %start
start:
  %expect = phi i64 [%seen, %entry], [%bumped, %bump_first]
  br label %loop
loop:
  %i = phi i64 [0, %start], [%next, %tail]
  %value = load volatile i64, i64* %cell, align 8
  %changed = icmp ne i64 %value, %expect
  br i1 %changed, label %settle, label %count
count:
  %more = icmp slt i64 %i, %rounds
  br i1 %more, label %pause, label %gave_up
pause:
  {hint_call}
  %next = add i64 %i, 1
  %low = and i64 %next, 255
  %yield = icmp eq i64 %low, 0
  br i1 %yield, label %yielding, label %tail
yielding:
  %ignored = call i32 @sched_yield()
  br label %tail
tail:
  br label %loop
settle:
  %j = phi i64 [0, %loop], [%after, %settling]
  %waiting = icmp slt i64 %j, %grace
  br i1 %waiting, label %settling, label %found
settling:
  {hint_call}
  %after = add i64 %j, 1
  br label %settle
found:
  ret i64 1
gave_up:
  ret i64 0
}}
"""

_Spinner = Callable[[int, int, int, int, int], int]
_lock = fork_safe_lock()  # a parent thread may be compiling (holding it) at a fork
_spinner: _Spinner | None = None
_rounds_per_us = 0.0
_ready = False
_engine = None  # keeps the JIT's code alive


def spin_budget_ns() -> int:
    """How long a waiting worker spins before it blocks: JETLAG_SPIN_US µs (0 = never)."""
    spin_us = whole_number(
        "JETLAG_SPIN_US", DEFAULT_SPIN_US, 0, "µs a waiting worker spins before it sleeps"
    )
    return spin_us * 1000


def _compile() -> _Spinner | None:
    global _engine
    try:
        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        machine = platform.machine()
        source = _IR.format(
            hint_declaration=_HINT_DECLARATION.get(machine, ""),
            hint_call=_HINT_CALL.get(machine, ""),
        )
        module = llvm.parse_assembly(source)
        module.verify()
        target = llvm.Target.from_default_triple().create_target_machine()
        engine = llvm.create_mcjit_compiler(module, target)
        engine.finalize_object()
        address = engine.get_function_address("wait_for_change")
    except Exception:  # noqa: BLE001 - no JIT here: callers block instead of spinning
        return None
    if not address:
        return None
    _engine = engine
    # CFUNCTYPE (not PYFUNCTYPE): ctypes releases the GIL for the call.
    i64 = ctypes.c_int64
    prototype = ctypes.CFUNCTYPE(i64, ctypes.c_void_p, i64, i64, i64, i64)
    return prototype(address)


def _calibrate(spinner: _Spinner) -> float:
    """Rounds per microsecond on this CPU (a pause costs ~3-150 cycles by model)."""
    cell = ctypes.c_int64(0)
    rounds = 20_000
    start = time.perf_counter_ns()
    spinner(ctypes.addressof(cell), 0, rounds, 0, 0)
    elapsed = max(1, time.perf_counter_ns() - start)
    return max(0.01, rounds * 1000 / elapsed)


def _prepare() -> None:
    global _spinner, _rounds_per_us, _ready
    with _lock:
        if _ready:
            return
        spinner = _compile()
        if spinner is not None:
            _rounds_per_us = _calibrate(spinner)
        _spinner = spinner
        _ready = True


def available() -> bool:
    """Whether spinning is possible here (compiles the spin loop on first call)."""
    if not _ready:
        _prepare()
    return _spinner is not None


class Pulse:
    """A 64-bit counter other threads can spin on: `bump()` after publishing something,
    `wait(seen, limit_ns)` to spin until the counter moves past `seen`.

    Bumps happen under the GIL but are not atomic read-modify-writes, so two bumps may
    count once; a waiter only needs to see that the value moved, and one that misses a
    move times out and blocks on the real lock or queue, which is always correct.
    """

    __slots__ = ("_cell", "_address")

    def __init__(self) -> None:
        self._cell = ctypes.c_int64(0)
        self._address = ctypes.addressof(self._cell)

    @property
    def value(self) -> int:
        """The current count."""
        return self._cell.value

    def bump(self) -> None:
        """Move the counter on (wakes spinners)."""
        self._cell.value += 1

    def wait(self, seen: int, limit_ns: int, grace_ns: int = 0, bump: bool = False) -> bool:
        """Spin, without the GIL, until the count is not `seen` (True) or about `limit_ns`
        has passed (False); after a change spin `grace_ns` more before taking the GIL back.
        With `bump`, first bump the counter from inside the call, i.e. after this thread
        let go of the GIL: a waiter woken by it then finds the GIL free instead of sleeping
        on it (the count then has to move past `seen + 1`). False at once when spinning is
        unavailable or `limit_ns` <= 0 (and then `bump` bumps here)."""
        if limit_ns <= 0 or not available():
            if bump:
                self.bump()
            return False
        rounds = int(limit_ns / 1000 * _rounds_per_us)
        grace = int(grace_ns / 1000 * _rounds_per_us)
        return bool(_spinner(self._address, seen, rounds, grace, int(bump)))  # type: ignore[misc]
