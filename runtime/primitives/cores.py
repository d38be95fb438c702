"""How many cores this process can really use: the affinity mask and the cgroup CPU quota.

`os.cpu_count()` counts the machine's CPUs, not the ones a container or `taskset` lets a
process run on; a pool sized by it oversubscribes the cores and each chunk set then waits
for threads the kernel does not schedule. `usable_cores` takes the smallest of the
affinity mask and every CPU quota (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` /
`cpu.cfs_period_us`) on the process's cgroup path and its ancestors. It only reads files;
the cgroup root and /proc/self/cgroup are parameters so tests can point them at a tmp dir.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

#: Where cgroup file systems are mounted on Linux.
CGROUP_ROOT = Path("/sys/fs/cgroup")
#: The process's cgroup membership, one `id:controllers:path` line per hierarchy.
SELF_CGROUP = Path("/proc/self/cgroup")


def affinity_cores() -> int:
    """CPUs in this process's affinity mask (os.cpu_count() where there is no mask)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def quota_cores(
    root: Path | str = CGROUP_ROOT, membership: Path | str = SELF_CGROUP
) -> float | None:
    """The tightest cgroup CPU quota over this process's cgroups, in cores (e.g. 1.5), or
    None when no quota is set or nothing can be read."""
    root = Path(root)
    paths = _memberships(Path(membership))
    quotas = [q for q in _v2_quotas(root, paths.get("", "/")) if q is not None]
    v1_path = paths.get("cpu", "/")
    for folder in ("cpu", "cpu,cpuacct", "cpuacct,cpu", ""):
        quotas.extend(q for q in _v1_quotas(root / folder, v1_path) if q is not None)
    return min(quotas) if quotas else None


#: Seconds one reading of this process's own affinity and cgroup files is reused: they
#: seldom change, and reading them (~0.15 ms) would otherwise be paid by every call of a
#: compiled function.
REREAD_S = 5.0
_own: tuple[float, int] | None = None


def usable_cores(root: Path | str = CGROUP_ROOT, membership: Path | str = SELF_CGROUP) -> int:
    """Cores this process may run on at once: the affinity mask, capped by the cgroup
    quota rounded up (a quota of 1.5 cores still keeps two threads busy part of the time).
    This process's own answer is read again after REREAD_S seconds at most."""
    global _own
    own = root is CGROUP_ROOT and membership is SELF_CGROUP
    if own and _own is not None and time.monotonic() < _own[0]:
        return _own[1]
    cores = _read_usable_cores(root, membership)
    if own:
        _own = (time.monotonic() + REREAD_S, cores)
    return cores


def _read_usable_cores(root: Path | str, membership: Path | str) -> int:
    cores = affinity_cores()
    quota = quota_cores(root, membership)
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota - 1e-9)))
    return cores


def _memberships(membership: Path) -> dict[str, str]:
    """{controllers: path} from /proc/self/cgroup ("" is the cgroup v2 hierarchy)."""
    try:
        text = membership.read_text()
    except OSError:
        return {}
    found: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            # v1 lines name their controllers ("4:cpu,cpuacct:/x"); the v2 line names none.
            for name in parts[1].split(",") if parts[1] else [""]:
                found[name] = parts[2] or "/"
    return found


def _ancestors(base: Path, path: str) -> list[Path]:
    """`base/path` and each of its parents up to `base` (a quota anywhere above applies)."""
    parts = [p for p in path.split("/") if p and p != ".."]
    return [base.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]


def _v2_quotas(root: Path, path: str) -> list[float | None]:
    return [_read_cpu_max(folder / "cpu.max") for folder in _ancestors(root, path)]


def _v1_quotas(base: Path, path: str) -> list[float | None]:
    return [_read_cfs(folder) for folder in _ancestors(base, path)]


def _read_cpu_max(file: Path) -> float | None:
    """`cpu.max` holds "QUOTA PERIOD" or "max PERIOD"."""
    try:
        fields = file.read_text().split()
    except OSError:
        return None
    if len(fields) < 1 or fields[0] == "max":
        return None
    period = fields[1] if len(fields) > 1 else "100000"
    return _ratio(fields[0], period)


def _read_cfs(folder: Path) -> float | None:
    """cgroup v1: cpu.cfs_quota_us (-1: none) over cpu.cfs_period_us."""
    try:
        quota = (folder / "cpu.cfs_quota_us").read_text().strip()
        period = (folder / "cpu.cfs_period_us").read_text().strip()
    except OSError:
        return None
    return _ratio(quota, period)


def _ratio(quota: str, period: str) -> float | None:
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None
    if q <= 0 or p <= 0:
        return None
    return q / p
