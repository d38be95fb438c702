"""What generated loop functions (loops.py) need besides the registry's templates.

`LoopStopped` is raised by a compiled loop when the scheduler asks it to stop (its `stop`
flag is set on Ctrl-C): nopython code cannot be interrupted otherwise. Generated code
imports it by name; the scheduler catches it (scheduler/compiled.py). This module decides
nothing about when loops are compiled or stopped.
"""

from __future__ import annotations


class LoopStopped(Exception):
    """A compiled loop saw its stop flag set and left at the top of an iteration."""
