"""Deciding, while a cell runs, which of its statements run compiled, and running them.

The rewritten cell (cells.py) asks its `CellController` before each candidate statement
whether to run it as Python. The controller then knows the namespace, so it takes the
longest unbroken sequence of candidates from that statement that
  - reads from the namespace only arrays, numbers, strings, tuples of those, modules and
    functions (anything else, e.g. a list or a DataFrame, keeps Python's meaning only in
    Python),
  - is array code (touches an array, or calls NumPy or a compiled function),
  - calls no function the user compiled with `physl(...)` (it runs as its own call, so
    its options hold and its `.trace` is set), and
  - compiles;
runs it as one task graph and stores its results back into the namespace. A statement
the frontend rejects splits the sequence there; the rejected statement runs as Python.
A compiled run is all or nothing: if it fails, none of its assignments are stored.
This module decides and runs; it does not parse cells (cells.py), write the synthetic
text (synthetic.py) or format errors (tracebacks.py).
"""

from __future__ import annotations

import ast
import builtins
import types
from dataclasses import dataclass
from typing import Any

import numpy as np

from jetlag.kernel.cells import CANDIDATE, DEF, CellPlan
from jetlag.kernel.dataflow import Flow, analyze
from jetlag.kernel.functions import CellFunction, kept_as_python, note, watched_globals
from jetlag.kernel.runner import optimized, run_program
from jetlag.kernel.state import KernelState, RunRecord
from jetlag.kernel.synthetic import (
    UNASSIGNED,
    SyntheticRun,
    build_run,
    cell_place,
    fresh_name,
    relocate_program,
)
from jetlag.kernel.values import is_data, kind
from jetlag.runtime.api import PhySLFunction
from jetlag.runtime.errors import PhySLSyntaxError
from jetlag.runtime.frontend import compile_source
from jetlag.runtime.ir.nodes import Program
from jetlag.runtime.ir.text import print_physl


def _calls_array_code(value: Any) -> bool:
    if isinstance(value, (types.ModuleType, PhySLFunction)):
        return True
    module = getattr(value, "__module__", None) or ""
    return module == "numpy" or module.startswith("numpy.")


@dataclass(frozen=True)
class Refused:
    """Why statements from `first` cannot run compiled; `at` is the statement to blame."""

    at: int | None
    reason: str


@dataclass(frozen=True)
class PreparedRun:
    """A compiled run of statements `first..last`, ready to call."""

    first: int
    last: int
    run: SyntheticRun
    entry: str
    program: Program  # as compiled (what %physl shows)
    runs: Program  # after the runtime's optimization passes (what runs and is traced)
    files: dict[str, str]  # function -> the file its tags point into
    texts: dict[str, str]  # file -> text, for every file in `files`

    @property
    def physl(self) -> str:
        """The PhySL text of the run (its own define last)."""
        return print_physl(self.program)


def _stale_call(statements: list[ast.stmt], flow: Flow, namespace: dict) -> tuple | None:
    # A function compiled into the run reads its globals when the run is compiled; Python
    # reads them at the call. A call after the run assigned one of them must start anew.
    for at, root in flow.call_sites:
        function = getattr(namespace.get(root), "__physl_python_function__", namespace.get(root))
        if not isinstance(function, types.FunctionType) or function.__globals__ is not namespace:
            continue
        compound = isinstance(statements[at], (ast.For, ast.While, ast.If))
        for name in watched_globals(function):
            assigned = flow.assign_index.get(name)
            if assigned is not None and (assigned < at or (assigned == at and compound)):
                return at, f"calls '{root}', which reads '{name}' assigned earlier in the run"
    return None


def _own_options_call(flow: Flow, namespace: dict) -> tuple | None:
    # A function the user compiled with physl(...) has its own options (optimize=False,
    # threads, trace) and records its own `.trace`: inlined into the cell's graph it would
    # lose both. Called as itself, from Python, it keeps them. (A def of the notebook, a
    # CellFunction, follows the kernel's settings and is inlined.)
    for at, root in flow.call_sites:
        value = namespace.get(root)
        if isinstance(value, PhySLFunction) and not isinstance(value, CellFunction):
            return at, (
                f"'{root}' is a function compiled with physl(...): it runs as its own call, "
                "with its own options, and sets its .trace"
            )
    return None


def _check_names(plan: CellPlan, first: int, last: int, namespace: dict) -> Refused | tuple:
    statements = [s.node for s in plan.statements[first : last + 1]]
    flow = analyze(statements)
    params: list[str] = []
    for name, rel in sorted(flow.reads.items(), key=lambda item: item[1]):
        at, assigned = first + rel, name in flow.assign_index
        if name in namespace:
            value = namespace[name]
            if is_data(value):
                params.append(name)
            elif assigned or not (isinstance(value, types.ModuleType) or callable(value)):
                return Refused(
                    at,
                    f"'{name}' is {kind(value)}; compiled runs take arrays, numbers and strings",
                )
        elif name in flow.maybe_reads:
            return Refused(at, f"'{name}' may be unassigned here")
        elif assigned or not hasattr(builtins, name):
            return Refused(at, f"name '{name}' is not defined")
    unassigned: list[str] = []
    for name in sorted(flow.conditional_first, key=flow.assign_index.__getitem__):
        if name in params:
            continue
        if name not in namespace:
            unassigned.append(name)
        elif is_data(namespace[name]):
            params.append(name)
        else:
            at = first + flow.assign_index[name]
            return Refused(at, f"'{name}' is {kind(namespace[name])} when not assigned")
    for name, rel in flow.aug_targets.items():
        if name in flow.copies or (name in params and type(namespace[name]) is np.ndarray):
            return Refused(first + rel, f"'{name} op= ...' would update an array in place")
    stale = _stale_call(statements, flow, namespace) or _own_options_call(flow, namespace)
    if stale is not None:
        return Refused(first + stale[0], stale[1])
    array_code = flow.works and (
        any(type(namespace[p]) is np.ndarray for p in params)
        or any(root in namespace and _calls_array_code(namespace[root]) for root in flow.call_roots)
    )
    if not array_code:
        return Refused(first, "no array work (no operation on arrays, NumPy or compiled calls)")
    return tuple(params), tuple(flow.assigned), tuple(unassigned), flow


def prepare_run(
    plan: CellPlan, first: int, last: int, namespace: dict, name: str, label: str
) -> PreparedRun | Refused:
    """Check and compile statements `first..last` of `plan` as one run named `name`.

    `label` is how refusals name the cell (`In[5]`).
    """
    checked = _check_names(plan, first, last, namespace)
    if isinstance(checked, Refused):
        return checked
    params, results, unassigned, flow = checked
    taken = set(flow.reads) | set(flow.assigned) | {name}
    value = None
    if plan.display_last and last == len(plan.statements) - 1:
        value = (fresh_name("out", taken), plan.statements[last].first_line)
    run = build_run(
        name,
        f"<jetlag run {name}>",
        plan.lines,
        plan.statements[first].first_line,
        plan.statements[last].last_line,
        params,
        results,
        tuple(unassigned),
        value,
    )
    try:
        compiled = compile_source(run.text, run.filename, name, namespace, first_line=1)
    except PhySLSyntaxError as error:
        if error.place is None or error.place.file != run.filename:
            return Refused(None, str(error).splitlines()[0])
        place = cell_place(error.place, run, plan.filename, plan.lines)
        at = plan.statement_at(place.line, first, last)
        message = f"{label}:{place.line}:{place.col + 1}: {error.message}"
        return Refused(at, message)
    except Exception as error:  # noqa: BLE001  (a compiler bug must not break the cell)
        return Refused(None, f"internal compiler error: {type(error).__name__}: {error}")
    program = relocate_program(compiled.program, compiled.entry, run, plan.filename, plan.lines)
    files = dict(compiled.origins)
    files[compiled.entry] = plan.filename
    texts = {file: text for file, text in compiled.texts if file != run.filename}
    texts[plan.filename] = "".join(f"{line}\n" for line in plan.lines)
    return PreparedRun(first, last, run, compiled.entry, program, optimized(program), files, texts)


class CellController:
    """Runs one cell's candidates compiled or as Python; the rewritten cell calls it."""

    def __init__(
        self, plan: CellPlan, namespace: dict, state: KernelState, label: str, number: Any
    ) -> None:
        self.plan = plan
        self.namespace = namespace
        self.state = state
        self.label = label
        self.number = number
        self.records: dict[int, RunRecord] = {}
        self.covered: set[int] = set()
        self.values: dict[int, Any] = {}
        self.runs: list[PreparedRun] = []

    def _run_name(self) -> str:
        base = f"cell{self.number}" if str(self.number).isdigit() else "cell"
        return base if not self.runs else f"{base}_{len(self.runs) + 1}"

    def plain(self, index: int) -> bool:
        """True when candidate `index` must run as Python; else it ran (or runs now) compiled."""
        if index in self.covered:
            return False
        last = self.plan.run_end(index)
        while True:
            outcome = prepare_run(
                self.plan, index, last, self.namespace, self._run_name(), self.label
            )
            if isinstance(outcome, PreparedRun):
                self._execute(outcome)
                return False
            if outcome.at is not None and outcome.at > index:
                last = outcome.at - 1
            elif outcome.at is None and last > index:
                last = index
            else:
                self._record_python(index, outcome.reason)
                return True

    def value(self, index: int) -> Any:
        """The displayed value of the last statement, computed by its compiled run."""
        return self.values.pop(index, None)

    def _execute(self, prepared: PreparedRun) -> None:
        self.runs.append(prepared)
        run = prepared.run
        first, last = self.plan.statements[prepared.first], self.plan.statements[prepared.last]
        lines = (
            f"line {first.first_line}"
            if first is last
            else (f"lines {first.first_line}-{last.last_line}")
        )
        detail = f"parameters ({', '.join(run.params)}) -> results ({', '.join(run.results)})"
        self.records[prepared.first] = RunRecord(
            lines, "compiled", f"run {prepared.entry}", detail, prepared.physl
        )
        self.covered.update(range(prepared.first, prepared.last + 1))
        args = tuple(self.namespace[name] for name in run.params)
        value, measured = run_program(
            prepared.runs,
            prepared.entry,
            args,
            self.state,
            files=prepared.files,
            label=f"{self.label} {lines}",
            texts=prepared.texts,
        )
        returned = list(value) if isinstance(value, tuple) else [value]
        for name, result in zip(run.results, returned, strict=False):
            if not (isinstance(result, str) and result == UNASSIGNED):
                self.namespace[name] = result
        if run.value_name is not None:
            self.values[prepared.last] = returned[-1]
        self.state.collect(prepared.entry, measured)

    def _record_python(self, index: int, reason: str) -> None:
        stmt = self.plan.statements[index]
        first = self.plan.lines[stmt.first_line - 1].strip() if self.plan.lines else ""
        self.records[index] = RunRecord(stmt.lines, "Python", first, reason)

    def compile_def(self, name: str, index: int) -> None:
        """Replace the Python function `name` just defined by its compiled CellFunction."""
        function = self.namespace.get(name)
        stmt = self.plan.statements[index]
        if not isinstance(function, types.FunctionType):
            return
        try:
            compiled = CellFunction(function, self.state, self.label)
        except Exception as error:  # noqa: BLE001  (keep the Python function, say why)
            reason = kept_as_python(name, error, self.state)
            note(reason)
            self.state.python_reasons[name] = reason
            self.records[index] = RunRecord(stmt.lines, "Python def", f"def {name}", reason)
            return
        self.namespace[name] = compiled
        self.state.python_reasons.pop(name, None)
        self.records[index] = RunRecord(
            stmt.lines, "compiled def", f"def {name}", "", compiled.physl
        )

    def report_rows(self) -> list[RunRecord]:
        """Every statement of the cell in order: what ran compiled, what as Python, why."""
        rows = []
        for stmt in self.plan.statements:
            if stmt.index in self.records:
                rows.append(self.records[stmt.index])
            elif stmt.index in self.covered:
                continue
            else:
                text = self.plan.lines[stmt.first_line - 1].strip() if self.plan.lines else ""
                how = "not run" if stmt.kind in (CANDIDATE, DEF) else "Python"
                rows.append(RunRecord(stmt.lines, how, text, stmt.reason))
        return rows
