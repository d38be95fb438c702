"""A job's options (threads, trace, time limit, label, optimize, after ...): checked, defaulted.

Every value is checked before anything is stored; a bad one is a JobError naming the
field as `options.<name>`. The checked options are plain JSON (they go into the manifest
and the jobs table). This module must not know about machines beyond their limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jetlag.runtime.jobs.errors import JobError

TRACE_LEVELS = ("off", "profile", "events")
MAX_THREADS = 1024
MIN_TIME_LIMIT_S = 1
MAX_TIME_LIMIT_S = 7 * 24 * 3600
DEFAULT_TIME_LIMIT_S = 3600
MAX_LABEL = 200
MAX_AFTER = 100

#: Option names and what each one is, for messages.
KNOWN = {
    "threads": "worker threads of the job's task pool (1..1024; default: the machine's cores)",
    "trace": "trace level: 'off', 'profile' or 'events' (default 'events')",
    "time_limit_s": "seconds the job may run (1..604800; default 3600)",
    "label": "a label of at most 200 characters shown in job lists",
    "optimize": "run the optimizing passes (true, the default) or not (false)",
    "notify_url": "an http(s) URL POSTed once when the job ends (${JOB_ID}, ${STATUS} filled in)",
    "notify_email": "an e-mail address told once when the job ends (the server's SMTP settings)",
    "after": "ids of jobs that must complete first (the job fails if one of them does not)",
    "nodes": "nodes of the job's allocation (1..the machine's max_nodes; more than 1 runs the "
    "function on a Dask cluster the job starts there, one worker per node)",
    "dask_workers": "Dask workers the job starts in its allocation, one batch task each "
    "(1..1024; with more than 1 the function runs on them; default: one per node)",
}
#: Most Dask workers one job may start.
MAX_DASK_WORKERS = 1024


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise JobError(
                f"options.{name} must be a whole number from {low} to {high}, got {value!r}",
                f"options.{name}",
            )
    if not low <= value <= high:
        raise JobError(
            f"options.{name} must be from {low} to {high}, got {value}", f"options.{name}"
        )
    return value


def check_options(
    options: Mapping[str, Any] | None,
    *,
    max_time_limit_s: int = MAX_TIME_LIMIT_S,
    default_time_limit_s: int = DEFAULT_TIME_LIMIT_S,
    max_nodes: int = 1,
) -> dict[str, Any]:
    """The options with defaults filled in, or a JobError naming the first bad one.

    `max_time_limit_s`, `default_time_limit_s` and `max_nodes` come from the machine's
    configuration.
    """
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise JobError(
            f"options must be an object with the keys {', '.join(KNOWN)}, "
            f"got {type(options).__name__}",
            "options",
        )
    for name in options:
        if name not in KNOWN:
            known = "; ".join(f"{key}: {text}" for key, text in KNOWN.items())
            raise JobError(f"unknown option {name!r}; the options are {known}", f"options.{name}")
    checked: dict[str, Any] = {}
    threads = options.get("threads")
    checked["threads"] = None if threads is None else _whole("threads", threads, 1, MAX_THREADS)
    trace = options.get("trace", "events")
    if trace not in TRACE_LEVELS:
        raise JobError(
            f"options.trace must be one of {', '.join(TRACE_LEVELS)}, got {trace!r}",
            "options.trace",
        )
    checked["trace"] = trace
    limit = options.get("time_limit_s")
    top = min(max_time_limit_s, MAX_TIME_LIMIT_S)
    checked["time_limit_s"] = (
        min(default_time_limit_s, top)
        if limit is None
        else _whole("time_limit_s", limit, MIN_TIME_LIMIT_S, top)
    )
    label = options.get("label")
    if label is not None:
        if not isinstance(label, str):
            raise JobError(
                f"options.label must be a string, got {type(label).__name__}", "options.label"
            )
        if len(label) > MAX_LABEL:
            raise JobError(
                f"options.label has {len(label)} characters; at most {MAX_LABEL} are allowed",
                "options.label",
            )
        if any(ord(ch) < 32 for ch in label):
            raise JobError(
                "options.label must not contain control characters (newlines, tabs)",
                "options.label",
            )
    checked["label"] = label
    optimize = options.get("optimize", True)
    if not isinstance(optimize, bool):
        raise JobError(
            f"options.optimize must be true or false, got {optimize!r}", "options.optimize"
        )
    checked["optimize"] = optimize
    # A job on one node with one worker process keeps its old shape (no keys).
    nodes = options.get("nodes")
    if nodes is not None and nodes != 1:
        checked["nodes"] = _nodes(nodes, max_nodes)
    workers = options.get("dask_workers")
    if workers is not None:
        checked["dask_workers"] = _whole("dask_workers", workers, 1, MAX_DASK_WORKERS)
    after = options.get("after")
    if after is not None:  # jobs without parents keep their old shape
        checked["after"] = check_after(after)
    from jetlag.runtime.jobs.notify_settings import check_notify_options

    # Only the notifications asked for are kept (jobs without any keep their old shape).
    checked.update({k: v for k, v in check_notify_options(options).items() if v is not None})
    return checked


def _nodes(value: Any, max_nodes: int) -> int:
    if max_nodes <= 1 and isinstance(value, int) and not isinstance(value, bool) and value > 1:
        raise JobError(
            f"options.nodes is {value}, but this machine runs jobs on one node (its "
            "max_nodes is 1): choose a machine configured with max_nodes > 1, or leave "
            "nodes out",
            "options.nodes",
        )
    return _whole("nodes", value, 1, max_nodes)


def dask_workers(options: Mapping[str, Any]) -> int:
    """How many Dask workers a job starts in its allocation: 0 for a plain job (one
    process, the threads executor), else dask_workers or one per node."""
    workers = options.get("dask_workers") or options.get("nodes") or 1
    return workers if workers > 1 else 0


def check_after(after: Any) -> list[str]:
    """The `after` option: job ids (a single id is accepted as a list of one), deduplicated."""
    from jetlag.runtime.jobs.states import is_job_id

    if isinstance(after, str):
        after = [after]
    if not isinstance(after, (list, tuple)) or len(after) > MAX_AFTER:
        raise JobError(
            f"options.after must be a list of at most {MAX_AFTER} job ids, got {after!r}",
            "options.after",
        )
    for index, job_id in enumerate(after):
        if not is_job_id(job_id):
            raise JobError(
                f"options.after[{index}] must be a job id like 'j3f9a0c41b27e', got {job_id!r}",
                f"options.after[{index}]",
            )
    return list(dict.fromkeys(after))
