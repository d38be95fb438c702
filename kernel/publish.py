"""Handing the traces of a compiled cell to the JetLag panel, and the inline summary.

Choice: after each cell that ran compiled code, the kernel sends one Jupyter
`display_data` message per compiled function or run of the cell (its latest call), with
the custom MIME type `application/vnd.jetlag.trace+json` and a one-line `text/plain`
fallback. A display message rather than a comm because it needs no handshake (the panel
may open after the cell ran), it is stored in the notebook with the cell that produced it
(so a saved notebook reopens with its traces) and any frontend without the JetLag
renderer still shows the fallback line. The JSON is compact: the function, the cell, the
wall time, the task count, the top primitives of the profile and the execution tree
(`trace.tree.to_json()` with per-node counters); whole event logs go to the trace store
(store_saving.py) and the payload carries the stored trace's id (`trace_id`, null when
saving is off or failed), so the panel can open the full trace from the output. Version 2
added `trace_id`, `events_dropped` and `event_cap`.

With an explicit `%trace profile` or `%trace events`, a short summary (time, tasks, top 3
primitives) is also printed under the cell. This module formats and sends; it does not
measure anything.
"""

from __future__ import annotations

import sys
from typing import Any

from jetlag.kernel.state import CollectedTrace
from jetlag.kernel.store_saving import trace_label, wall_ns
from jetlag.runtime.measure.profile import ProfileEntry, format_ns
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.primitives.registry import REGISTRY

MIME_TYPE = "application/vnd.jetlag.trace+json"
PAYLOAD_VERSION = 2
TOP = 10


def task_count(trace: Trace) -> int:
    """Task events of the run: those kept plus those dropped (profile mode, the event cap)."""
    return len(trace.events) + int(trace.metadata.get("events_dropped", 0))


def top_primitives(trace: Trace, count: int = TOP) -> list[ProfileEntry]:
    """The primitive instances with the most inclusive time (no run root, calls, chunks)."""
    chosen = []
    for entry in trace.profile.top(len(trace.profile)):
        if "#" in entry.instance or entry.display_name not in REGISTRY:
            continue
        chosen.append(entry)
        if len(chosen) == count:
            break
    return chosen


def trace_payload(collected: CollectedTrace, label: str) -> dict[str, Any]:
    """The JSON document published for one trace."""
    trace = collected.trace
    tree = None
    if trace.tree is not None:
        tree = trace.tree.to_json(counters=trace.tree_counters())
    source = None
    if trace.source is not None:
        source = {"file": label, "text": trace.source.text}
    return {
        "version": PAYLOAD_VERSION,
        "cell": label,
        "function": trace.function,
        "name": trace_label(trace),
        "calls": collected.calls,
        "trace_mode": trace.metadata.get("trace_mode"),
        "start_time": trace.metadata.get("start_time"),
        "wall_ns": wall_ns(trace),
        "events": task_count(trace),
        "events_dropped": int(trace.metadata.get("events_dropped", 0)),
        "event_cap": trace.metadata.get("event_cap"),
        "trace_id": collected.trace_id,
        "top": [
            {
                "instance": e.instance,
                "primitive": e.display_name,
                "count": e.count,
                "inclusive_ns": e.inclusive_ns,
                "exclusive_ns": e.exclusive_ns,
            }
            for e in top_primitives(trace)
        ],
        "tree": tree,
        "source": source,
    }


def fallback_text(collected: CollectedTrace, label: str) -> str:
    """The text/plain line shown where no JetLag renderer is installed."""
    trace = collected.trace
    calls = f", {collected.calls} calls (last shown)" if collected.calls > 1 else ""
    saved = f"; saved as {collected.trace_id}" if collected.trace_id else ""
    return (
        f"JetLag trace of {trace_label(trace)} ({label}): {format_ns(wall_ns(trace))}, "
        f"{task_count(trace):,} tasks{calls}{saved}"
    )


def inline_summary(collected: CollectedTrace) -> str:
    """One line: time, tasks and the top 3 primitives."""
    trace = collected.trace
    top = ", ".join(f"{e.instance} {format_ns(e.inclusive_ns)}" for e in top_primitives(trace, 3))
    head = (
        f"[JetLag] {trace_label(trace)}: {format_ns(wall_ns(trace))}, {task_count(trace):,} tasks"
    )
    return head + (f"; top: {top}" if top else "")


def publish_traces(shell: Any, traces: list[CollectedTrace], label: str, inline: bool) -> None:
    """Send each trace as a display_data message (and print summaries when `inline`)."""
    for collected in traces:
        try:
            if inline:
                print(inline_summary(collected), flush=True)
            shell.display_pub.publish(
                data={
                    MIME_TYPE: trace_payload(collected, label),
                    "text/plain": fallback_text(collected, label),
                },
                metadata={},
            )
        except Exception as error:  # noqa: BLE001  (the cell ran; a report must not fail it)
            print(
                f"JetLag: could not publish the trace of {collected.key}: {error}", file=sys.stderr
            )
