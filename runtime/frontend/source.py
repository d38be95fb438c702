"""Source text of the functions the frontend compiles, and absolute source positions.

This module turns a Python function object or a piece of source text into an AST whose
line numbers and columns are those of the user's file (so every `name$line$col` tag and
every error points at the real place), and renders `SourcePlace`s for errors.
It must not resolve names or build execution-tree nodes.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jetlag.runtime.errors import PhySLSyntaxError, SourcePlace
from jetlag.runtime.ir.nodes import Location

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.runtime.frontend.names import GlobalEnv

FunctionNode = ast.FunctionDef | ast.Lambda

#: CPython 3.11 converts ASTs with interpreter-wide state: two threads parsing at once may
#: fail with "SystemError: AST constructor recursion depth mismatch" (gh-106905). A server
#: compiles in worker threads, so every parse of the frontend holds this lock.
PARSE_LOCK = threading.RLock()


def parse_text(text: str, filename: str) -> ast.Module:
    """`ast.parse`, one thread at a time (see PARSE_LOCK)."""
    with PARSE_LOCK:
        return ast.parse(text, filename=filename)


@dataclass(frozen=True)
class SourceFile:
    """One file (or notebook cell) by name, with all the lines known of it (line 1 first)."""

    filename: str
    lines: tuple[str, ...]

    def text(self, line: int) -> str:
        """The text of 1-based `line` without its newline, or '' when unknown."""
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return ""

    def column(self, line: int, byte_col: int) -> int:
        """The character column of a UTF-8 byte offset (the AST counts bytes)."""
        text = self.text(line)
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def location(self, node: ast.AST) -> Location:
        """The tag position of an AST node: absolute line, absolute 0-based column."""
        line = node.lineno  # type: ignore[attr-defined]
        return Location(line, self.column(line, node.col_offset))  # type: ignore[attr-defined]

    def place(self, node: ast.AST) -> SourcePlace:
        """Where an AST node is, with its source line for the error caret."""
        loc = self.location(node)
        return self.place_at(loc.line, loc.col)

    def place_at(self, line: int, col: int) -> SourcePlace:
        """A SourcePlace at an absolute line and character column."""
        return SourcePlace(self.filename, line, col, self.text(line))

    def error(self, node: ast.AST, message: str, hint: str = "") -> PhySLSyntaxError:
        """A PhySLSyntaxError placed at `node`."""
        return PhySLSyntaxError(message, self.place(node), hint)


@dataclass(frozen=True, eq=False)
class FunctionSource:
    """A function to compile: its AST (absolute positions), its file and its globals.

    `key` identifies the function across references (see `definition_key`) so each one
    is compiled once.
    """

    key: Any
    name: str
    node: FunctionNode
    file: SourceFile
    env: GlobalEnv


def definition_key(filename: str, first_line: int, name: str) -> tuple[str, str, int, str]:
    """Identity of a def by its place: the same for its live function object and its text.

    `first_line` is the first decorator's line, or the def's (as `co_firstlineno`).
    """
    return ("def", filename, first_line, name)


def first_line_of(node: ast.FunctionDef) -> int:
    """The line a def starts on, decorators included."""
    return min([node.lineno] + [d.lineno for d in node.decorator_list])


_MODULE_DEFS_KEPT = 32
_module_defs: dict[str, tuple[str, SourceFile, dict[str, ast.FunctionDef]]] = {}


def module_defs(filename: str) -> tuple[SourceFile, dict[str, ast.FunctionDef]]:
    """The top-level defs of a file by name (the last one wins), read from linecache.

    Used for functions not bound yet when a function is compiled at decoration time
    (a def further down the file, or the function itself).
    """
    lines = linecache.getlines(filename)
    text = "".join(lines)
    cached = _module_defs.get(filename)
    if cached is not None and cached[0] == text:
        return cached[1], cached[2]
    file = SourceFile(filename, tuple(split_lines(text)))
    try:
        body = parse_text(text, filename).body if text else []
    except (SyntaxError, ValueError):
        body = []
    defs = {stmt.name: stmt for stmt in body if isinstance(stmt, ast.FunctionDef)}
    if len(_module_defs) >= _MODULE_DEFS_KEPT:  # notebooks make a new file name per cell run
        _module_defs.pop(next(iter(_module_defs)))
    _module_defs[filename] = (text, file, defs)
    return file, defs


def split_lines(text: str) -> list[str]:
    """Lines of `text` without their line endings."""
    return [line.rstrip("\r\n") for line in text.splitlines()]


def parse_block(text: str, file: SourceFile, first_line: int) -> list[ast.stmt]:
    """Parse `text`, which starts at line `first_line` of `file`, into statements.

    Positions in the result are absolute. Indented text (a method, a nested def) is not
    dedented -- that would shift columns and can break multi-line strings -- but parsed
    inside an `if 1:` header, so every column stays the file's own.
    """
    first = next((s for s in text.splitlines() if s.strip() and not s.lstrip().startswith("#")), "")
    indented = first[:1] in (" ", "\t")
    wrapped = "if 1:\n" + text if indented else text
    shift = first_line - 2 if indented else first_line - 1
    try:
        tree = parse_text(wrapped, file.filename)
    except SyntaxError as error:
        line = (error.lineno or 1) + shift
        col = max((error.offset or 1) - 1, 0)
        raise PhySLSyntaxError(
            f"invalid Python syntax: {error.msg}",
            file.place_at(line, col),
            "JetLag compiles Python source; fix the syntax error first.",
        ) from None
    ast.increment_lineno(tree, shift)
    if indented:
        return tree.body[0].body  # type: ignore[attr-defined]
    return tree.body


def _file_lines(filename: str, lines: list[str], start: int) -> tuple[str, ...]:
    # The file as linecache knows it, overlaid with the lines we parse so quotes match tags.
    known = split_lines("".join(linecache.getlines(filename)))
    needed = start - 1 + len(lines)
    known.extend([""] * max(0, needed - len(known)))
    for index, line in enumerate(lines):
        known[start - 1 + index] = line.rstrip("\r\n")
    return tuple(known)


def read_function(fn: Any) -> tuple[SourceFile, FunctionNode]:
    """The file and the absolute-position AST of a Python function object's definition.

    Decorators are left in the AST's `decorator_list` and ignored by the compiler; a
    lambda is found among the lambdas of its line by its parameter names.
    """
    code = fn.__code__
    name = fn.__name__
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        raise PhySLSyntaxError(
            f"cannot read the source of function '{name}'",
            SourcePlace(code.co_filename, code.co_firstlineno, 0),
            f"JetLag compiles functions from their source text; define '{name}' in a file or a "
            "notebook cell (not with exec() or at the interactive prompt), or pass its source "
            "to compile_source().",
        ) from None
    start = max(start, 1)
    file = SourceFile(code.co_filename, _file_lines(code.co_filename, lines, start))
    body = parse_block("".join(lines), file, start)
    if name != "<lambda>":
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
                return file, stmt
            if isinstance(stmt, ast.AsyncFunctionDef) and stmt.name == name:
                raise file.error(
                    stmt,
                    "async functions are not supported",
                    "Remove 'async'; JetLag runs the function's operations asynchronously itself.",
                )
        raise PhySLSyntaxError(
            f"cannot find the definition of function '{name}' in its source",
            file.place_at(start, 0),
            "Define the function with a plain 'def' statement.",
        )
    params = list(code.co_varnames[: code.co_argcount])
    found = [
        node
        for stmt in body
        for node in ast.walk(stmt)
        if isinstance(node, ast.Lambda)
        and node.lineno == code.co_firstlineno
        and [a.arg for a in node.args.args] == params
    ]
    if len(found) != 1:
        raise PhySLSyntaxError(
            "cannot tell which lambda on this line to compile",
            file.place_at(code.co_firstlineno, 0),
            "Define the function with 'def' instead of a lambda.",
        )
    return file, found[0]


def def_name_location(file: SourceFile, node: ast.FunctionDef) -> Location:
    """Position of the function's name in `def name(`: the binder's tag."""
    text = file.text(node.lineno)
    col = file.column(node.lineno, node.col_offset)
    at = text.find(node.name, col + 3)
    return Location(node.lineno, at if at >= 0 else col)


def else_location(file: SourceFile, loop: ast.While | ast.For) -> Location:
    """Position of the `else` keyword of a loop's else clause (the loop's own when unknown)."""
    col = file.column(loop.lineno, loop.col_offset)
    last = loop.body[-1].end_lineno or loop.lineno
    for line in range(last + 1, loop.orelse[0].lineno + 1):
        text = file.text(line)
        if text[:col].strip() == "" and text[col:].startswith("else"):
            return Location(line, col)
    return Location(loop.lineno, col)
