"""The task runtime: the execution tree becomes dataflow tasks on a thread pool.

`execute(program, ...)` is the entry point; `evaluator.Run` is the driver; `pool.TaskPool`
the workers; `special_forms` the control flow; `policy` the inline-vs-spawn rule.
"""

from jetlag.runtime.scheduler.execute import RunResult, execute

__all__ = ["RunResult", "execute"]
