"""Short, placed error reports for the PhySL kernel.

A PhySL error already says `file:line:col`, quotes the line and names the primitive. Here
it is made to say it about the right cell: cell files are shown as `In[5]`, an error
inside a compiled function that came from another cell is placed in that cell, and the
Jupyter traceback is two lines (the cell line that ran it, then the error) instead of the
runtime's frames. Interrupts of a compiled run are reported the same way. This module
formats and re-places errors; it never catches them for the user.
"""

from __future__ import annotations

import linecache
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from jetlag.kernel.state import KernelState
from jetlag.runtime.errors import PhySLError, PhySLRuntimeError, SourcePlace
from jetlag.runtime.ir.nodes import Call, Program, Variable

_RED = "\x1b[0;31m"
_GREEN = "\x1b[0;32m"
_RESET = "\x1b[0m"


def with_place(error: PhySLError, place: SourcePlace | None) -> PhySLError:
    """A copy of a PhySL error placed at `place`."""
    if isinstance(error, PhySLRuntimeError):
        return error.at(place)  # keeps its type (e.g. also a LinAlgError) and its cause
    try:
        return type(error)(error.message, place, error.hint)
    except TypeError:  # a subclass with its own constructor: keep it as it is
        return error


def renamed(error: PhySLError, state: KernelState) -> PhySLError:
    """The error with a cell file shown as `In[n]`."""
    place = error.place
    if place is None or state.display_file(place.file) == place.file:
        return error
    return with_place(
        error, SourcePlace(state.display_file(place.file), place.line, place.col, place.text)
    )


def _origin_of(program: Program, files: Mapping[str, str], instance: str) -> str | None:
    found = set()
    for node in program.body:
        if not (
            isinstance(node, Call)
            and node.name == "define"
            and node.args
            and isinstance(node.args[0], Variable)
        ):
            continue
        if any(getattr(n, "instance_name", None) == instance for n in node.walk()):
            found.add(files.get(node.args[0].name, program.source_file))
    return found.pop() if len(found) == 1 else None


def placed_runtime_error(
    error: PhySLRuntimeError, program: Program, files: Mapping[str, str]
) -> PhySLError:
    """Place a runtime error in the file of the compiled function it happened in.

    The scheduler quotes every node from the program's own file; a node of a function
    compiled from another cell (or module) belongs there. `files` maps each PhySL
    function name to its file.
    """
    place = error.place
    if place is None or not error.primitive:
        return error
    origin = _origin_of(program, files, error.primitive)
    if origin is None or origin == place.file:
        return error
    text = linecache.getline(origin, place.line).rstrip("\r\n")
    return with_place(error, SourcePlace(origin, place.line, place.col, text))


def interrupted(what: str, label: str) -> KeyboardInterrupt:
    """The KeyboardInterrupt reported when a compiled run is stopped."""
    error = KeyboardInterrupt(f"stopped the compiled {what} ({label}); the kernel is ready")
    error.jetlag = True  # type: ignore[attr-defined]
    return error


def _cell_line(tb: TracebackType | None, state: KernelState) -> str:
    # The innermost frame in a cell: the line of the user's cell that started the run.
    found = ""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename in state.cell_names:
            found = f"Cell {state.cell_names[filename]}, line {tb.tb_lineno}"
        tb = tb.tb_next
    return found


def structured_traceback(
    shell: Any, state: KernelState, etype: type, value: BaseException, tb: TracebackType | None
) -> list[str] | None:
    """The short traceback of a PhySL error or a stopped run; None for any other error."""
    if isinstance(value, PhySLError):
        value = renamed(value, state)
    elif not getattr(value, "jetlag", False):
        return None
    where = _cell_line(tb, state)
    place = value.place if isinstance(value, PhySLError) else None
    if place is not None and place.file in state.cell_names.values():
        where = f"Cell {place.file}, line {place.line}"  # the failing line, not the run's first
    lines = [f"{_RED}{'-' * 75}{_RESET}"] + ([where] if where else [])
    lines.append(f"{_RED}{etype.__name__}{_RESET}: {value}")
    if isinstance(value, PhySLError):
        lines.append(f"{_GREEN}(compiled by JetLag; %physl shows the PhySL){_RESET}")
    return lines
