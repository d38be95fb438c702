"""Run a function as a job: `jetlag.remote.run(fn, *args, machine="local", **options)`.

The implementation lives in `jetlag.runtime.jobs.remote`; this module is the public name.
"""

from jetlag.runtime.jobs.errors import JobError, JobFailed
from jetlag.runtime.jobs.remote import Job, job, jobs, run, service

__all__ = ["Job", "JobError", "JobFailed", "job", "jobs", "run", "service"]
