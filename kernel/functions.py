"""Functions defined in a cell: compiled without a decorator, kept in step with the notebook.

`CellFunction` is a `PhySLFunction` that follows the kernel's `%threads`/`%trace`
settings, reports its traces for publishing and places its errors in the right cell.
The frontend captures numbers and the functions a function calls at compile time; in a
notebook those globals change when a cell is re-run. A CellFunction therefore remembers
the globals its code (and the code of the functions it calls) reads and recompiles when
one of them was rebound, so it never silently computes with stale values. Called with an
argument compiled code would treat differently (a list, any object; see values.py), it
runs its Python function. If a function cannot be compiled (now or after such a change) the Python function runs instead and the
kernel says so once on stderr.
It compiles through the frontend's entry points only and never edits the namespace.
"""

from __future__ import annotations

import dis
import sys
import types
from typing import Any

from jetlag.kernel.state import KernelState
from jetlag.kernel.tracebacks import interrupted, placed_runtime_error, renamed
from jetlag.kernel.values import is_data
from jetlag.runtime.api import PhySLFunction
from jetlag.runtime.errors import PhySLError, PhySLRuntimeError

_MISSING: Any = object()
_LITERALS = (bool, int, float, complex, str, bytes, type(None), tuple)


def _global_loads(code: types.CodeType) -> set[str]:
    names = set()
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            names.add(instruction.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_loads(const)
    return names


def watched_globals(function: types.FunctionType) -> dict[str, Any]:
    """The globals `function` and the user functions it reaches read, with their values."""
    namespace = function.__globals__
    seen: set[int] = set()
    watched: dict[str, Any] = {}
    stack = [function]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for name in _global_loads(current.__code__):
            value = current.__globals__.get(name, _MISSING)
            if current.__globals__ is namespace:
                watched.setdefault(name, value)
            inner = getattr(value, "__physl_python_function__", value)
            if isinstance(inner, types.FunctionType) and inner.__globals__ is namespace:
                stack.append(inner)
    return watched


def _same(old: Any, new: Any) -> bool:
    if old is new or getattr(new, "__physl_python_function__", None) is old:
        return True  # the same value, or the Python function the kernel then compiled
    return type(old) is type(new) and isinstance(old, _LITERALS) and bool(old == new)


def note(message: str) -> None:
    """One short line on stderr (the notebook shows it under the cell)."""
    print(f"JetLag: {message}", file=sys.stderr, flush=True)


def kept_as_python(name: str, error: BaseException, state: KernelState) -> str:
    """The note for a function that runs as Python, naming file:line:col and the reason."""
    if isinstance(error, PhySLError):
        reason = str(renamed(error, state)).splitlines()[0]
    else:
        reason = f"internal compiler error: {type(error).__name__}: {error}"
    return f"'{name}' runs as plain Python, not compiled: {reason}"


class CellFunction(PhySLFunction):
    """A notebook function compiled to PhySL; calls it like the original."""

    def __init__(self, function: types.FunctionType, state: KernelState, label: str) -> None:
        super().__init__(
            function, threads=state.threads, trace=state.trace_mode, executor=state.executor
        )
        self._state = state
        self._label = label
        self._watched = watched_globals(function)
        self.python_reason = ""  # set while the function runs as Python after a change

    def _stale(self) -> bool:
        namespace = self.__physl_python_function__.__globals__
        return any(
            not _same(old, namespace.get(name, _MISSING)) for name, old in self._watched.items()
        )

    def _recompile(self) -> None:
        function = self.__physl_python_function__
        self._watched = watched_globals(function)
        try:
            # Initialise afresh: compile, optimise and reset the policy as a new function.
            PhySLFunction.__init__(
                self,
                function,
                threads=self._state.threads,
                trace=self._state.trace_mode,
                executor=self._state.executor,
            )
        except Exception as error:  # noqa: BLE001  (any failure: run the Python function)
            reason = kept_as_python(function.__name__, error, self._state)
            if reason != self.python_reason:
                note(reason)
            self.python_reason = reason
        else:
            self.python_reason = ""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._stale():
            self._recompile()
        if self.python_reason or not all(map(is_data, (*args, *kwargs.values()))):
            # A list or any other object keeps its Python meaning only in Python.
            return self.__physl_python_function__(*args, **kwargs)
        state = self._state
        self.threads = state.threads
        self.trace_mode = state.trace_mode
        self.executor = state.executor
        try:
            value = super().__call__(*args, **kwargs)
        except PhySLRuntimeError as error:
            files = dict(self.compiled.origins)
            raise renamed(placed_runtime_error(error, self.program, files), state) from None
        except PhySLError as error:
            raise renamed(error, state) from None
        except KeyboardInterrupt:
            raise interrupted(f"function {self.__name__}", self._label) from None
        if state.trace_mode != "off":
            state.collect(self.compiled.entry, self._measurement)
        return value

    def __repr__(self) -> str:
        return f"<PhySL function {self.__name__} from {self._label}>"
