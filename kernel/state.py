"""What the PhySL kernel remembers between cells: settings, cell names, traces, reports.

One `KernelState` is shared by the shell, the magics, the cell controllers and the
compiled cell functions. It holds the user's settings (`%threads`, `%trace`), the display
name of every cell file (`In[5]`), the traces of the cell now running (published when it
ends) and what the last cell ran compiled (for `%physl`). It runs nothing itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from jetlag.runtime.api import default_trace_mode
from jetlag.runtime.errors import SettingError
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.primitives.parallel import default_workers
from jetlag.runtime.scheduler.policy import AdaptivePolicy
from jetlag.runtime.scheduler.spin import spin_budget_ns


def drop_unusable_settings() -> list[str]:
    """Check the JETLAG_* settings runs will read; unset each unusable one in this process
    and say so. A kernel that refused to start over a setting would show the user only a
    dead kernel, and one whose every compiled run failed would be little better."""
    readers = (
        default_trace_mode,
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
    """The latest trace of one compiled function or run in the current cell."""

    key: str
    trace: Trace
    calls: int = 1


@dataclass
class KernelState:
    """Settings and memory of one kernel process."""

    threads: int | None = None
    trace_mode: str = field(default_factory=default_trace_mode)  # JETLAG_TRACE or profile
    inline_summary: bool = False  # set by an explicit `%trace profile|events`
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

    def collect(self, key: str, trace: Trace | None) -> None:
        """Keep the latest trace of `key` for publishing when the cell ends."""
        if trace is None:
            return
        known = self.collected.pop(key, None)
        calls = known.calls + 1 if known is not None else 1
        self.collected[key] = CollectedTrace(key, trace, calls)

    def take_traces(self) -> list[CollectedTrace]:
        """The traces collected since the last call, oldest first; clears them."""
        traces = list(self.collected.values())
        self.collected.clear()
        return traces
