"""The PhySL kernel's magics: %physl, %%physl, %trace, %threads, %executor and %bench.

- `%physl` shows how the last cell ran (which statements compiled, which ran as Python
  and why) and its PhySL; `%physl name` shows the PhySL of a compiled function.
- `%%physl [names...]` runs the cell as hand-written PhySL (`run_physl`); when its value
  is a function, it is called with the named notebook variables. Its value is displayed.
- `%trace [off|profile|events] [--cap N]` sets what compiled code records and how many task
  events a trace keeps; `%trace summary on|off` whether a one-line summary is printed
  after each compiled cell; `%trace save on|off` whether traces go to the trace store;
  `%trace` alone shows them all.
- `%threads [N|default]` sets the worker threads of compiled code.
- `%executor dask HOST:PORT | threads` runs compiled code on a Dask cluster (the scheduler
  at that address) or back on the threads executor.
- `%bench [-r N] statement` times the statement compiled and as plain NumPy, after an
  untimed first call so compiling is excluded (bench.py).
This module parses magic arguments and prints; the work is done elsewhere.
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

from jetlag.kernel.bench import bench
from jetlag.kernel.state import KernelState
from jetlag.runtime.api import TRACE_MODES, PhySLFunction, run_physl
from jetlag.runtime.scheduler.dask_executor import DaskExecutionError, resolve_executor


def format_report(state: KernelState) -> str:
    """The text `%physl` prints for the last cell."""
    report = state.last_report
    if report is None:
        return "No cell has run yet."
    rows = report.records
    width = max((len(row.lines) for row in rows), default=4)
    how_width = max((len(row.how) for row in rows), default=6)
    compiled = sum(1 for row in rows if row.how.startswith("compiled"))
    out = [f"{report.label}: {compiled} of {len(rows)} statement group(s) ran compiled"]
    for row in rows:
        detail = f"  ({row.detail})" if row.detail else ""
        what = row.what if len(row.what) <= 48 else row.what[:45] + "..."
        out.append(f"  {row.lines:<{width}}  {row.how:<{how_width}}  {what}{detail}")
    for row in rows:
        if row.physl:
            out.append(f"\n--- PhySL of {row.what} ({report.label}, {row.lines}) ---")
            out.append(row.physl.rstrip())
    return "\n".join(out)


TRACE_USAGE = (
    "usage: %trace [off|profile|events] [--cap N], %trace summary on|off or %trace save on|off"
)


def parse_trace_arguments(words: list[str]) -> tuple[str | None, int | None]:
    """(mode, cap) from `%trace` words such as ["events", "--cap", "10"]."""
    mode: str | None = None
    cap: int | None = None
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word == "--cap" or word.startswith("--cap="):
            text = word[len("--cap=") :] if "=" in word else (rest.pop(0) if rest else "")
            digits = text.replace("_", "").replace(",", "")
            if not digits.isdigit() or int(digits) < 1:
                raise UsageError(f"%trace --cap takes a positive whole number; got {text!r}")
            cap = int(digits)
        elif word in TRACE_MODES and mode is None:
            mode = word
        else:
            raise UsageError(
                f"%trace takes one of {', '.join(TRACE_MODES)}; got {word!r}. {TRACE_USAGE}"
            )
    return mode, cap


def saving_text(state: KernelState) -> str:
    """`on (store: /path)` or `off`."""
    return f"on (store: {state.saver.where})" if state.saver.enabled else "off"


def describe_tracing(state: KernelState) -> str:
    """What `%trace` without arguments prints: mode, event cap, summary and saving."""
    saving = saving_text(state)
    if state.saver.enabled and state.trace_mode == "off":
        saving += "; nothing to save while the trace mode is off"
    return (
        f"trace mode: {state.trace_mode}\n"
        f"event cap: {state.event_cap:,} task events per trace\n"
        f"trace summary: {'on' if state.inline_summary else 'off'}\n"
        f"trace saving: {saving}"
    )


@magics_class
class PhySLMagics(Magics):
    """Magics bound to one kernel's state."""

    def __init__(self, shell: Any, state: KernelState) -> None:
        super().__init__(shell)
        self.state = state

    @line_cell_magic
    def physl(self, line: str, cell: str | None = None) -> Any:
        """%physl [name]: how the last cell ran, or a function's PhySL.
        %%physl [names...]: run the cell as PhySL (called with the named variables)."""
        if cell is not None:
            return self._run_physl(line, cell)
        name = line.strip()
        if not name:
            print(format_report(self.state))
            return None
        value = self.shell.user_ns.get(name)
        if isinstance(value, PhySLFunction):
            reason = getattr(value, "python_reason", "")
            if reason:
                print(f"'{name}' currently runs as Python: {reason}")
            print(value.physl.rstrip())
            runs = getattr(value, "physl_optimized", None)
            if runs is not None and runs.strip() != value.physl.strip():
                print(f"\n--- what runs, after the runtime's rewrites ---\n{runs.rstrip()}")
            return None
        if callable(value):
            raise UsageError(
                self.state.python_reasons.get(
                    name, f"'{name}' was not defined in a notebook cell, so it is not compiled"
                )
            )
        raise UsageError(f"'{name}' is not a function defined in this notebook")

    def _run_physl(self, line: str, cell: str) -> Any:
        args = []
        for name in line.split():
            if name not in self.shell.user_ns:
                raise UsageError(f"%%physl: no variable named '{name}'")
            args.append(self.shell.user_ns[name])
        label = f"In[{self.shell.execution_count}]"
        # A leading newline keeps PhySL line numbers equal to the cell's (line 1: %%physl).
        return run_physl(
            "\n" + cell,
            *args,
            file=label,
            threads=self.state.threads,
            executor=self.state.executor,
        )

    @line_magic
    def trace(self, line: str) -> None:
        """%trace [off|profile|events] [--cap N]: what compiled code records and how many
        task events a trace keeps; %trace summary on|off: a one-line summary after each
        compiled cell; %trace save on|off: whether traces go to the store; no argument
        shows them all."""
        words = line.split()
        if not words:
            print(describe_tracing(self.state))
            return
        if words[0] in ("save", "summary"):
            if len(words) != 2 or words[1] not in ("on", "off"):
                raise UsageError(f"usage: %trace {words[0]} on|off")
            if words[0] == "save":
                self.state.saver.enabled = words[1] == "on"
                print(f"trace saving: {saving_text(self.state)}")
            else:
                self.state.inline_summary = words[1] == "on"
                print(f"trace summary: {words[1]}")
            return
        mode, cap = parse_trace_arguments(words)
        if cap is not None:
            self.state.event_cap = cap
        if mode is not None:
            self.state.trace_mode = mode
        shown = [f"trace mode: {self.state.trace_mode}"]
        if cap is not None:
            shown.append(f"at most {cap:,} task events per trace")
        print(", ".join(shown))

    @line_magic
    def threads(self, line: str) -> None:
        """%threads [N|default]: worker threads for compiled code; no argument shows it."""
        value = line.strip()
        if value in ("default", "auto"):
            self.state.threads = None
        elif value:
            if not value.isdigit() or int(value) < 1:
                raise UsageError(f"%threads takes a positive integer or 'default'; got {value!r}")
            self.state.threads = int(value)
        shown = self.state.threads or "default (the cores this process may use)"
        print(f"threads: {shown}")

    @line_magic
    def executor(self, line: str) -> None:
        """%executor dask HOST:PORT | threads: where compiled code runs; no argument shows it."""
        words = line.split()
        if words == ["threads"]:
            self.state.executor = None
        elif len(words) == 2 and words[0] == "dask":
            address = words[1].removeprefix("dask://")
            try:
                self.state.executor = resolve_executor(f"dask://{address}")
            except DaskExecutionError as error:
                raise UsageError(f"%executor dask {words[1]}: {error}") from None
        elif words:
            raise UsageError("usage: %executor dask HOST:PORT | threads")
        if self.state.executor is None:
            print("executor: threads (this process's cores)")
        else:
            address = self.state.executor.client.scheduler.address
            print(f"executor: dask {address}")

    @line_magic
    def bench(self, line: str) -> None:
        """%bench [-r N] statement: time it compiled and as plain NumPy (medians, min-max),
        after one untimed warm-up call, so compiling is excluded (the report says so)."""
        repeat, statement = 5, line.strip()
        if statement.startswith("-r"):
            parts = statement.split(None, 2)
            if len(parts) < 3 or not parts[1].isdigit() or int(parts[1]) < 1:
                raise UsageError("usage: %bench [-r N] statement")
            repeat, statement = int(parts[1]), parts[2]
        if not statement:
            raise UsageError("usage: %bench [-r N] statement")
        print(bench(self.shell, self.state, statement, repeat))
