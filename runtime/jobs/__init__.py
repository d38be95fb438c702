"""Jobs: a function's source text, its arguments and options, run by one runner anywhere.

A job is a folder (package.py) indexed in the store's SQLite (records.py); `JobService`
(service.py) submits, lists, cancels and reads jobs for REST, the kernel and Python
(remote.py); backends (backends/) run the folder's runner (runner.py) on a machine. The
runner imports this package, so nothing here may import the compiler at import time.
"""

from jetlag.runtime.jobs.backends import (
    Backend,
    MachineConfig,
    backend_names,
    get_backend,
    register_backend,
)
from jetlag.runtime.jobs.errors import JobError, JobFailed, JobNotFound
from jetlag.runtime.jobs.service import JobService
from jetlag.runtime.jobs.states import STATES, TERMINAL

__all__ = [
    "STATES",
    "TERMINAL",
    "Backend",
    "JobError",
    "JobFailed",
    "JobNotFound",
    "JobService",
    "MachineConfig",
    "backend_names",
    "get_backend",
    "register_backend",
]
