"""What the PhySL kernel remembers between cells: settings, cell names, traces, reports.

One `KernelState` is shared by the shell, the magics, the cell controllers and the
compiled cell functions. It holds the user's settings (`%threads`, `%trace`, the event
cap, the trace saver of store_saving.py), the display name of every cell file (`In[5]`),
the traces of the cell now running (published when it ends) and what the last cell ran
compiled (for `%physl`). It runs nothing itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from jetlag.kernel.store_saving import TraceSaver, event_cap_setting, saving_setting
from jetlag.runtime.api import TRACE_MODES
from jetlag.runtime.errors import SettingError
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.primitives.parallel import default_workers
from jetlag.runtime.scheduler.policy import AdaptivePolicy
from jetlag.runtime.scheduler.spin import spin_budget_ns
from jetlag.runtime.settings import one_of

#: What the kernel records when JETLAG_TRACE is unset: every task event (the panel and the
#: store want them), where a plain `@physl` function outside the kernel keeps the profile.
KERNEL_TRACE_MODE = "events"


def kernel_trace_mode() -> str:
    """The kernel's trace mode: JETLAG_TRACE, else "events"."""
    return one_of("JETLAG_TRACE", KERNEL_TRACE_MODE, TRACE_MODES, "what each run records")


def drop_unusable_settings() -> list[str]:
    """Check the JETLAG_* settings runs will read; unset each unusable one in this process
    and say so. A kernel that refused to start over a setting would show the user only a
    dead kernel, and one whose every compiled run failed would be little better."""
    readers = (
        kernel_trace_mode,
        event_cap_setting,
        saving_setting,
        default_workers,
        spin_budget_ns,
        AdaptivePolicy.from_environment,
    )
    warnings = []
    for read in readers:
        while True:
            try:
                read()
                break
            except SettingError as error:
                os.environ.pop(error.variable, None)
                warnings.append(f"{error}. This kernel ignores it and uses the default.")
    return warnings


@dataclass
class RunRecord:
    """One entry of a cell's report: a statement or run and how it ran."""

    lines: str  # "line 3" / "lines 3-5"
    how: str  # "compiled", "Python", "compiled def", "Python def"
    what: str  # the statement's first line, or the run's function name
    detail: str = ""  # params/results of a run, or why it ran as Python
    physl: str = ""  # PhySL text of a compiled run or def


@dataclass
class CellReport:
    """How the statements of one cell ran, for `%physl`."""

    label: str  # "In[5]"
    records: list[RunRecord] = field(default_factory=list)


@dataclass
class CollectedTrace:
    """The latest trace of one compiled function or run in the current cell.

    `measured` is the Trace, or the runtime's Measurement whose `trace()` assembles it:
    a function called in a loop then assembles one trace per cell, not one per call.
    """

    key: str
    measured: Any
    calls: int = 1
    trace_id: str | None = None  # its id in the trace store, once saved

    @property
    def trace(self) -> Trace:
        """The trace (assembled on first use)."""
        if not isinstance(self.measured, Trace):
            self.measured = self.measured.trace()
        return self.measured


@dataclass
class KernelState:
    """Settings and memory of one kernel process."""

    threads: int | None = None
    #: Where compiled code runs (`%executor`): None for the threads executor, else a
    #: DaskExecutor.
    executor: Any = None
    trace_mode: str = field(default_factory=kernel_trace_mode)  # JETLAG_TRACE or events
    inline_summary: bool = False  # `%trace summary on|off`
    #: Task events kept per trace (JETLAG_TRACE_CAP, `%trace events --cap N`).
    event_cap: int = field(default_factory=event_cap_setting)
    #: Saves every published trace into the trace store (JETLAG_TRACE_SAVE, `%trace save`).
    saver: TraceSaver = field(default_factory=lambda: TraceSaver(saving_setting()))
    cell_names: dict[str, str] = field(default_factory=dict)
    collected: dict[str, CollectedTrace] = field(default_factory=dict)
    last_report: CellReport | None = None
    python_reasons: dict[str, str] = field(default_factory=dict)  # defs kept as Python
    #: Warnings not yet shown to the user, said on the next cell's stderr.
    warnings: list[str] = field(default_factory=list)

    def display_file(self, filename: str) -> str:
        """`In[5]` for a cell's file, the file name otherwise."""
        return self.cell_names.get(filename, filename)

    def name_cell(self, filename: str, execution_count: Any) -> str:
        """Remember a cell file's display name and return it."""
        label = f"In[{execution_count}]"
        self.cell_names[filename] = label
        return label

    def collect(self, key: str, measured: Any) -> None:
        """Keep the latest trace of `key` (a Trace, or a Measurement that makes it) for
        publishing when the cell ends."""
        if measured is None:
            return
        known = self.collected.pop(key, None)
        calls = known.calls + 1 if known is not None else 1
        self.collected[key] = CollectedTrace(key, measured, calls)

    def take_traces(self) -> list[CollectedTrace]:
        """The traces collected since the last call, oldest first; clears them."""
        traces = list(self.collected.values())
        self.collected.clear()
        return traces
