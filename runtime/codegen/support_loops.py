"""The exceptions generated code raises to talk to the scheduler, not to the user.

`LoopStopped` is raised by a compiled loop when the scheduler asks it to stop (its `stop`
flag is set on Ctrl-C): nopython code cannot be interrupted otherwise. `Deviation` is raised
where the compiled code could not give exactly what Python and NumPy give for the values
it meets (an int outgrowing 64 bits, `2 ** -1`, a division by zero Python raises for); the
caller then runs the same code with the interpreter, which does. Generated code imports
them by name; the scheduler and the fused primitives catch them. This module decides
nothing about when loops are compiled, stopped or interpreted.
"""

from __future__ import annotations


class LoopStopped(Exception):
    """A compiled loop saw its stop flag set and left at the top of an iteration."""


class Deviation(Exception):
    """Compiled code met values for which it would not give Python's/NumPy's answer."""
