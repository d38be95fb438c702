"""One trace from all Dask workers: clock offsets measured, worker events merged.

Each worker records its block tasks (`dask_worker.run_block`) on its own monotonic clock.
`measure_offsets` estimates, per worker, what to add to its clock to read the client's
(`client.run` round trips; the shortest of a few bounds the error by half its length);
`ClockOffsets` keeps them for an executor, measuring again only for a worker it has not
seen or once they are `MAX_AGE_S` old (clocks of other hosts drift slowly).
`merge_worker_events` moves the collected events onto the client's clock, gives each a
GUID unique in the run, and adds them to the run's EventLog under their parent tasks.
This module does not decide what runs where.
"""

from __future__ import annotations

import time
from typing import Any

from jetlag.runtime.measure.events import EventLog, new_guid, now_ns
from jetlag.runtime.scheduler.dask_worker import take_events

#: Round trips per measurement; the shortest one is kept for each worker.
ROUND_TRIPS = 3
#: Seconds measured offsets are reused before they are measured again.
MAX_AGE_S = 60.0


def measure_offsets(client: Any) -> dict[str, int]:
    """Worker address -> ns to add to its clock to read this process's `now_ns()`."""
    best: dict[str, tuple[int, int]] = {}
    for _ in range(ROUND_TRIPS):
        sent = now_ns()
        clocks = client.run(now_ns)
        back = now_ns()
        trip = back - sent
        for worker, clock in clocks.items():
            if worker not in best or trip < best[worker][0]:
                best[worker] = (trip, (sent + back) // 2 - clock)
    return {worker: offset for worker, (_, offset) in best.items()}


class ClockOffsets:
    """The workers' clock offsets for one client, measured when first needed and again
    only for new workers or after MAX_AGE_S (not at every traced call)."""

    def __init__(self) -> None:
        self._offsets: dict[str, int] = {}
        self._measured_at = float("-inf")

    def of(self, client: Any, workers: set[str]) -> dict[str, int]:
        """Offsets for (at least) `workers`, the client's workers now."""
        stale = time.monotonic() - self._measured_at > MAX_AGE_S
        if stale or not workers <= self._offsets.keys():
            self._offsets = measure_offsets(client)
            self._measured_at = time.monotonic()
        return self._offsets


def merge_run_events(log: EventLog, client: Any, run_id: str, offsets: dict[str, int]) -> None:
    """Take the workers' events of `run_id` and merge them into `log` under their parents."""
    parents = {event.guid: (event.start_ns, event.end_ns) for event in log}
    merge_worker_events(log, collect_events(client, run_id), offsets, parents)


def collect_events(client: Any, run_id: str) -> dict[str, list[tuple]]:
    """Worker address -> the block events it recorded for `run_id` (taken off the workers)."""
    try:
        return client.run(take_events, run_id, on_error="return")
    except Exception:  # noqa: BLE001 - a trace without a lost worker's events beats no result
        return {}


def merge_worker_events(
    log: EventLog,
    events: dict[str, list[tuple]],
    offsets: dict[str, int],
    parents: dict[int, tuple[int, int]],
) -> None:
    """Add workers' events to `log` on the client's clock.

    `parents` maps each client task's GUID to its (start, end): an event is kept inside
    its parent's interval, since the offset is only known to within half a round trip.
    """
    for worker, rows in events.items():
        if not isinstance(rows, list):
            continue  # the worker failed to answer (on_error="return"): its events are lost
        offset = offsets.get(worker, 0)
        for parent, name, location, start, end in rows:
            start, end = start + offset, end + offset
            if parent in parents:
                low, high = parents[parent]
                start = min(max(start, low), high)
                end = min(max(end, start), high)
            log.record(new_guid(), parent, name, location, start, end, "chunk")


__all__ = [
    "ClockOffsets",
    "collect_events",
    "measure_offsets",
    "merge_run_events",
    "merge_worker_events",
]
