"""The synthetic function a run of top-level statements compiles as, and its line mapping.

The frontend compiles functions from source text. A run of top-level cell statements
(cell lines `first..last`) is therefore written as

    def cell5(x, y):                     # parameters: names read from the namespace
        t = "<unassigned>"               # names the run may leave unassigned
        <cell lines first..last, each indented by four spaces>
        return (w, t, out,)              # results stored back (+ the displayed value)

and compiled with `compile_source`. Indenting shifts every column by four, so the
compiled tree is relocated: nodes from the cell's lines get the cell's own line and
column (the Phylanx `name$line$col` tags point at the cell, not at the synthetic text);
nodes the kernel invented (the def, the initialisations, the return tuple) become untagged.
This module builds text and maps positions; it does not decide what may be compiled.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from jetlag.runtime.errors import SourcePlace
from jetlag.runtime.ir.nodes import Call, Location, Node, Program, Variable, relocated

INDENT = 4
#: The value of a name the run may leave unassigned; never stored into the namespace.
UNASSIGNED = "<jetlag: unassigned>"


@dataclass(frozen=True)
class SyntheticRun:
    """The source text of a run and how its lines map back to the cell."""

    name: str
    text: str
    filename: str  # a name of its own, so errors in the text are told from the cell's
    params: tuple[str, ...]
    results: tuple[str, ...]
    value_name: str | None  # holds the displayed last expression, when there is one
    line_map: dict[int, tuple[int, int]]  # synthetic line -> (cell line, column shift)
    first_line: int
    last_line: int

    def cell_position(self, line: int, col: int) -> tuple[int, int] | None:
        """The cell line and column of a synthetic position (None for invented text)."""
        mapped = self.line_map.get(line)
        if mapped is None or col < mapped[1]:
            return None
        return mapped[0], col - mapped[1]


def fresh_name(preferred: str, taken: set[str]) -> str:
    """`preferred`, or `preferred_2`, `preferred_3`, ... when taken."""
    name, counter = preferred, 2
    while name in taken:
        name, counter = f"{preferred}_{counter}", counter + 1
    return name


def build_run(
    name: str,
    filename: str,
    cell_lines: tuple[str, ...],
    first_line: int,
    last_line: int,
    params: tuple[str, ...],
    results: tuple[str, ...],
    unassigned: tuple[str, ...],
    value: tuple[str, int] | None = None,
) -> SyntheticRun:
    """The synthetic function for cell lines `first_line..last_line`.

    `value` is (name, cell line) of a displayed last expression: its first line gets
    `name = ` in front, so the function returns the expression's value too.
    """
    pad = " " * INDENT
    text = [f"def {name}({', '.join(params)}):"]
    text.extend(f"{pad}{target} = {UNASSIGNED!r}" for target in unassigned)
    line_map: dict[int, tuple[int, int]] = {}
    for line in range(first_line, last_line + 1):
        source = cell_lines[line - 1] if line <= len(cell_lines) else ""
        prefix = pad
        if value is not None and line == value[1]:
            prefix = f"{pad}{value[0]} = "
        text.append(prefix + source if source.strip() else "")
        line_map[len(text)] = (line, len(prefix))
    returned = list(results) + ([value[0]] if value is not None else [])
    text.append(f"{pad}return ({''.join(f'{r}, ' for r in returned).rstrip()})")
    return SyntheticRun(
        name=name,
        text="\n".join(text) + "\n",
        filename=filename,
        params=params,
        results=results,
        value_name=value[0] if value is not None else None,
        line_map=line_map,
        first_line=first_line,
        last_line=last_line,
    )


def _location(loc: Location | None, run: SyntheticRun) -> Location | None:
    if loc is None:
        return None
    mapped = run.cell_position(loc.line, loc.col)
    if mapped is not None:
        return Location(mapped[0], mapped[1], loc.tagged)
    # Text the kernel wrote (def line, initialisations, return): no tag, but an anchor
    # in the run's lines so an error there still quotes the cell.
    if loc.line in run.line_map:
        line = run.line_map[loc.line][0]
    else:
        line = run.first_line if loc.line < min(run.line_map) else run.last_line
    return Location(line, 0, tagged=False)


def relocate(node: Node, run: SyntheticRun) -> Node:
    """A copy of `node` with positions in the cell's coordinates."""
    return relocated(node, lambda loc: _location(loc, run))


def relocate_program(
    program: Program, entry: str, run: SyntheticRun, cell_file: str, cell_lines: tuple[str, ...]
) -> Program:
    """The compiled program with the run's own define relocated into the cell.

    Dependencies (functions of other cells or files) keep their own positions.
    """

    def is_entry(node: Node) -> bool:
        return (
            isinstance(node, Call)
            and node.name == "define"
            and bool(node.args)
            and isinstance(node.args[0], Variable)
            and node.args[0].name == entry
        )

    body = tuple(relocate(node, run) if is_entry(node) else node for node in program.body)
    return dataclasses.replace(program, body=body, source_file=cell_file, source_lines=cell_lines)


def cell_place(
    place: SourcePlace, run: SyntheticRun, cell_file: str, cell_lines: tuple[str, ...]
) -> SourcePlace:
    """A place in the synthetic text as a place in the cell (unchanged when elsewhere)."""
    if place.file != run.filename:
        return place
    mapped = run.cell_position(place.line, place.col)
    line, col = mapped if mapped is not None else (run.first_line, 0)
    text = cell_lines[line - 1] if 1 <= line <= len(cell_lines) else ""
    return SourcePlace(cell_file, line, col, text)
