"""A job's source text: checked by compiling it (never running it), and made from a function.

`check_source` compiles the text with the same frontend the runner uses -- which admits
only PhySL primitives -- with a namespace of NumPy as `np` only, and turns its errors into
JobErrors (field "source" with file:line:col, or "entry"). `bundle_function` writes the
source text of a Python or `@physl` function: its def, the defs it calls, and the imports
and literal constants they use; when they all come from one file their lines keep their
numbers, so errors in the job name the user's own lines.
"""

from __future__ import annotations

import ast
import keyword
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jetlag.runtime.frontend.source import parse_text
from jetlag.runtime.jobs.errors import JobError

MAX_SOURCE_BYTES = 2 * 1024 * 1024
BUNDLE_FILENAME = "source.py"


def _parse_lock() -> Any:
    """The frontend's parse lock (CPython 3.11 parses safely one thread at a time);
    imported on use so that importing this module stays light for the runner."""
    from jetlag.runtime.frontend.source import PARSE_LOCK

    return PARSE_LOCK


def runner_namespace() -> dict[str, Any]:
    """The globals source text is compiled against, here and in the runner."""
    import numpy

    return {"np": numpy}


def _defines(source: str, entry: str) -> bool | None:
    """Whether the source defines `entry` at its top level (None: it does not parse)."""
    try:
        tree = parse_text(source, "<job source>")  # one thread at a time (gh-106905)
    except (SyntaxError, ValueError):
        return None
    body = tree.body
    if len(body) == 1 and isinstance(body[0], ast.If):  # an indented block (see parse_block)
        body = body[0].body
    return any(isinstance(s, ast.FunctionDef) and s.name == entry for s in body)


def check_entry(entry: Any) -> str:
    """The entry point's name, or a JobError (field "entry")."""
    if not isinstance(entry, str) or not entry.isidentifier() or keyword.iskeyword(entry):
        raise JobError(
            f"entry must be the name of a function defined in the source, got {entry!r}",
            "entry",
        )
    return entry


def check_source(source: Any, entry: str, filename: str = BUNDLE_FILENAME) -> None:
    """Compile `source` (not executing it) and check that it defines `entry`.

    Raises JobError: field "source" (not text, too large, or does not compile: the
    message carries the frontend's file:line:col), field "entry" (not defined).
    """
    if not isinstance(source, str):
        raise JobError(f"source must be text, got {type(source).__name__}", "source")
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        raise JobError(
            f"the source has {size} bytes; at most {MAX_SOURCE_BYTES} are allowed -- send "
            "only the function and the functions it calls",
            "source",
            413,
        )
    check_entry(entry)
    from jetlag.runtime.errors import PhySLError
    from jetlag.runtime.frontend import compile_source

    try:
        with _parse_lock():
            compile_source(source, filename, entry, runner_namespace())
    except PhySLError as error:
        with _parse_lock():
            defined = _defines(source, entry)
        if defined is False:
            raise JobError(
                f"entry {entry!r} is not defined in the source; define it with "
                f"'def {entry}(...):' at the top level, or name one of the source's functions",
                "entry",
            ) from None
        raise JobError(f"the source does not compile: {error}", "source") from None
    except (ValueError, TypeError, RecursionError, MemoryError) as error:
        raise JobError(f"the source does not compile: {error}", "source") from None


# -- a function's source text -----------------------------------------------------------------


@dataclass(frozen=True)
class Bundle:
    """Source text that defines `entry`, and the file name its errors should name."""

    source: str
    entry: str
    filename: str


def _free_names(node: ast.AST) -> list[str]:
    bound: set[str] = set()
    loads: dict[str, None] = {}
    # Decorators are not compiled (and `physl` itself must not become a dependency).
    parts = [node.args, *node.body] if isinstance(node, ast.FunctionDef) else [node]
    for sub in (inner for part in parts for inner in ast.walk(part)):
        if isinstance(sub, ast.arg):
            bound.add(sub.arg)
        elif isinstance(sub, ast.Name):
            if isinstance(sub.ctx, ast.Load):
                loads.setdefault(sub.id)
            else:
                bound.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.ClassDef)) and sub is not node:
            bound.add(sub.name)
    return [name for name in loads if name not in bound]


def _literal_line(name: str, value: Any) -> str | None:
    from jetlag.runtime.frontend.names import MISSING, literal_value

    literal = literal_value(value)
    if literal is MISSING:
        return None
    text = repr(literal)
    try:
        same = ast.literal_eval(text) == literal
    except (ValueError, SyntaxError):
        same = False
    if not same:
        raise JobError(
            f"the global {name!r} = {text} cannot be written into the job's source text; "
            "pass it as an argument",
            "fn",
        )
    return f"{name} = {text}"


def _is_user_module(module: types.ModuleType) -> bool:
    import os

    from jetlag.runtime.frontend.names import _LIBRARY_DIRS

    top = module.__name__.split(".")[0]
    if top in ("numpy", "jetlag", "math", "builtins"):
        return False
    filename = getattr(module, "__file__", None)
    if not filename:
        return False  # built in
    return not os.path.realpath(filename).startswith(tuple(d + os.sep for d in _LIBRARY_DIRS))


def _import_line(name: str, value: Any) -> str | None:
    from jetlag.runtime.frontend.names import path_value

    if isinstance(value, types.ModuleType):
        module = value.__name__
        if _is_user_module(value):
            raise JobError(
                f"'{name}' is your own module {module!r}, which a job's source text cannot "
                f"import (it is not executed); import what you use from it by name, e.g. "
                f"'from {module} import helper'",
                "fn",
            )
        return f"import {module}" if module == name else f"import {module} as {name}"
    module, qualname = getattr(value, "__module__", None), getattr(value, "__name__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        if path_value(f"{module}.{qualname}") is value:
            alias = "" if qualname == name else f" as {name}"
            return f"from {module} import {qualname}{alias}"
    return None


class _Collector:
    """The functions an entry needs, with the import and constant lines they use."""

    def __init__(self) -> None:
        self.functions: list[Any] = []  # FunctionSource, entry first
        self.header: dict[str, str] = {}
        self._keys: set[Any] = set()

    def add(self, source: Any) -> None:
        """Take a function (a FunctionSource) and, recursively, everything it uses."""
        from jetlag.runtime.frontend.names import (
            GlobalRef,
            TextDef,
            _is_library_function,
            function_source,
            primitive_for,
        )

        if source.key in self._keys:
            return
        self._keys.add(source.key)
        self.functions.append(source)
        for name in _free_names(source.node):
            ref: GlobalRef | None = source.env.lookup(name)
            if ref is None or (ref.path or "").startswith("builtins."):
                continue
            value = ref.value
            if isinstance(value, TextDef):
                dependency = value.source
            elif hasattr(value, "__physl_python_function__"):
                dependency = function_source(value.__physl_python_function__)
            elif primitive_for(ref) is None and (
                isinstance(value, types.FunctionType) and not _is_library_function(value)
            ):
                dependency = function_source(value)
            else:
                line = _import_line(name, value) or _literal_line(name, value)
                if line is not None:
                    self.header[name] = line
                continue
            if dependency.name != name:
                raise JobError(
                    f"function {dependency.name!r} is used under the name {name!r}; a job's "
                    f"source text cannot rename it -- call it as {dependency.name}(...)",
                    "fn",
                )
            self.add(dependency)


def _span(source: Any) -> tuple[int, int, int]:
    node = source.node
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return first, node.lineno, node.end_lineno


def _in_place(collector: _Collector) -> Bundle | None:
    """All functions from one file at one indentation: keep every line where it was."""
    files = {f.file.filename for f in collector.functions}
    indents = {f.node.col_offset for f in collector.functions}
    if len(files) != 1 or len(indents) != 1:
        return None
    file = collector.functions[0].file
    indent = " " * indents.pop()
    spans = sorted(_span(f) for f in collector.functions)
    out = [""] * spans[-1][2]
    for _first, def_line, last in spans:
        for line in range(def_line, last + 1):
            out[line - 1] = file.text(line)
    header = [indent + line for line in collector.header.values()]
    free = spans[0][0] - 1  # lines above the first def (its decorators included) are free
    if len(header) <= free:
        out[free - len(header) : free] = header
    else:
        out.extend(header)
    entry = collector.functions[0].name
    return Bundle("\n".join(out) + "\n", entry, file.filename)


def _dedented(source: Any) -> list[str]:
    first, def_line, last = _span(source)
    cut = source.node.col_offset
    lines = [source.file.text(line) for line in range(def_line, last + 1)]
    lines = [line[cut:] if line[:cut].strip() == "" else line for line in lines]
    return [f"# {source.name}: from {source.file.filename}, line {def_line}", *lines, ""]


def bundle_function(fn: Callable[..., Any]) -> Bundle:
    """The job source text of a Python function or a `@physl` function (see the docstring).

    Raises PhySLSyntaxError when the function does not compile, JobError (field "fn")
    when it cannot be written as source text.
    """
    inner = getattr(fn, "__physl_python_function__", fn)
    if not isinstance(inner, types.FunctionType):
        raise JobError(
            f"a job runs a Python function or a @physl function, got {type(fn).__name__}", "fn"
        )
    with _parse_lock():
        return _bundle(fn, inner)


def _bundle(fn: Any, inner: types.FunctionType) -> Bundle:
    from jetlag.runtime.frontend import compile_function
    from jetlag.runtime.frontend.names import function_source

    if not hasattr(fn, "compiled"):
        compile_function(inner)  # the frontend's own error, placed in the user's file
    collector = _Collector()
    collector.add(function_source(inner))
    names = [f.name for f in collector.functions]
    if len(names) != len(set(names)):
        raise JobError(
            f"the functions {sorted(names)} include two of the same name from different "
            "places; rename one so the job's source text can hold both",
            "fn",
        )
    placed = _in_place(collector)
    if placed is not None:
        return placed
    lines = list(collector.header.values()) + [""]
    for function in collector.functions:
        lines.extend(_dedented(function))
    return Bundle("\n".join(lines), collector.functions[0].name, BUNDLE_FILENAME)
