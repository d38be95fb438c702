"""JetLag: NumPy-style Python compiled to PhySL and run as an asynchronous task graph.

The public entry points are `physl` (the decorator), `run_physl` (hand-written PhySL),
`Trace` (a run's measurements: `Trace.load`, `Trace.from_otf2`) and `Job` (a function run
as a job, from `jetlag.remote.run`).
In a source checkout the design card's top-level folders (runtime/, kernel/, server_ext/)
are made importable as `jetlag.runtime` etc.; an installed wheel already has them inside.
"""

from __future__ import annotations

import os as _os

_repo_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_repo_root, "pyproject.toml")) and _os.path.isdir(
    _os.path.join(_repo_root, "runtime")
):
    __path__.append(_repo_root)  # type: ignore[name-defined]  # noqa: F821

__version__ = "0.1.0"


def __getattr__(name: str):
    # Lazy so that `import jetlag.kernel` does not pay for Numba unless it compiles.
    if name in ("physl", "run_physl"):
        from jetlag.runtime import api

        return getattr(api, name)
    if name == "Trace":
        from jetlag.runtime.measure.trace import Trace

        return Trace
    if name == "Job":
        from jetlag.runtime.jobs.remote import Job

        return Job
    raise AttributeError(f"module 'jetlag' has no attribute {name!r}")


__all__ = ["Job", "Trace", "physl", "run_physl", "__version__"]
