"""Entry points of the frontend: a Python function, or source text, -> a PhySL Program.

`compile_function(fn)` compiles a live function object (the `@physl` decorator's path);
`compile_source(text, ...)` compiles source text without running it (jobs arriving on a
cluster, notebook cells). Both compile every other user function the entry calls, each
once (recursion and mutual recursion included) and put their `define`s first.
This module orchestrates; the translation itself is in statements/expressions/calls.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jetlag.runtime.errors import PhySLSyntaxError
from jetlag.runtime.frontend.context import FunctionContext
from jetlag.runtime.frontend.expressions import compile_expression, parameters
from jetlag.runtime.frontend.names import (
    MISSING,
    FunctionUse,
    GlobalEnv,
    GlobalRef,
    TextDef,
    function_source,
    literal_value,
    path_value,
)
from jetlag.runtime.frontend.scopes import FunctionScope, plan_function
from jetlag.runtime.frontend.source import (
    FunctionSource,
    SourceFile,
    def_name_location,
    definition_key,
    first_line_of,
    parse_block,
    split_lines,
)
from jetlag.runtime.frontend.statements import define_node, function_parts, plan_of_function
from jetlag.runtime.frontend.unsupported import reject
from jetlag.runtime.frontend.vocabulary import is_reserved
from jetlag.runtime.ir.nodes import Call, Program, Variable


@dataclass(frozen=True)
class CompiledSource:
    """A compiled entry function and everything it calls.

    program:      `define` of every dependency (callees before callers), then the entry's.
                  `source_file`/`source_lines` are the entry's file, for error quotes.
    entry:        the PhySL name the entry function is defined under (its Python name,
                  unless that collides with a primitive or another function).
    dependencies: PhySL names of the other compiled functions, in program order.
    filename:     the entry function's file.
    origins:      (PhySL name, file) of every compiled function; dependencies may come
                  from other files than the entry's, and their tags are lines of those.
    texts:        (file, text) of every file in `origins`, in their order: what the
                  tags point into (a trace keeps them for its source view).
    """

    program: Program
    entry: str
    dependencies: tuple[str, ...]
    filename: str
    origins: tuple[tuple[str, str], ...] = ()
    texts: tuple[tuple[str, str], ...] = ()


class _Session:
    """One compilation: names the functions, compiles each once, collects their defines."""

    def __init__(self) -> None:
        self._names: dict[Any, str] = {}
        self.defines: list[Call] = []
        self.origins: list[tuple[str, str]] = []
        self.texts: dict[str, str] = {}

    def request(self, use: FunctionUse, written: str) -> str:
        """The PhySL name of a referenced function, compiling it the first time."""
        known = self._names.get(use.key)
        if known is not None:
            return known
        name = self._fresh(written)
        self._names[use.key] = name  # before compiling: recursion finds the name
        self._compile(use.load(), name)
        return name

    def compile_entry(self, source: FunctionSource) -> str:
        """Compile the entry function; its define comes after all dependencies."""
        name = self._fresh(source.name)
        self._names[source.key] = name
        self._compile(source, name)
        return name

    def _fresh(self, preferred: str) -> str:
        # A function named like a primitive would capture every call of that primitive.
        taken = set(self._names.values())
        name, counter = preferred, 1
        while name in taken or is_reserved(name):
            name, counter = f"{preferred}_{counter}", counter + 1
        return name

    def _compile(self, source: FunctionSource, name: str) -> None:
        node = source.node
        if isinstance(node, ast.Lambda):
            scope = FunctionScope(plan_function([a.arg for a in node.args.args], []))
            ctx = FunctionContext(source, self, scope)
            params = parameters(ctx, node.args)
            define = define_node(
                Variable(name, loc=ctx.loc(node)),
                params,
                compile_expression(ctx, node.body),
                ctx.loc(node),
            )
        else:
            ctx = FunctionContext(source, self, FunctionScope(plan_of_function(node)))
            params, body = function_parts(ctx, node)
            binder = Variable(name, loc=def_name_location(source.file, node))
            define = define_node(binder, params, body, ctx.loc(node))
        self.defines.append(define)
        self.origins.append((name, source.file.filename))
        if source.file.filename not in self.texts:
            self.texts[source.file.filename] = "".join(f"{line}\n" for line in source.file.lines)


def _compile_entry(source: FunctionSource) -> CompiledSource:
    session = _Session()
    entry = session.compile_entry(source)
    program = Program(
        body=tuple(session.defines),
        source_file=source.file.filename,
        source_lines=source.file.lines,
    )
    dependencies = tuple(name for name, _ in session.origins if name != entry)
    return CompiledSource(
        program,
        entry,
        dependencies,
        source.file.filename,
        tuple(session.origins),
        tuple(session.texts.items()),
    )


def compile_function(fn: Callable[..., Any]) -> CompiledSource:
    """Compile a Python function (or a `@physl`-decorated one) and the functions it calls.

    Tags are absolute line/column positions in the function's file, also for indented
    or nested definitions; decorators are ignored. Raises PhySLSyntaxError, placed at
    the offending construct, for anything PhySL cannot express.
    """
    inner = getattr(fn, "__physl_python_function__", fn)
    if not isinstance(inner, types.FunctionType):
        raise TypeError(f"compile_function expects a Python function, got {type(fn).__name__}")
    if inner.__name__ == "<lambda>":
        code = inner.__code__
        raise PhySLSyntaxError(
            "a lambda cannot be compiled on its own",
            SourceFile(code.co_filename, ()).place_at(code.co_firstlineno, 0),
            "Define the function with 'def'.",
        )
    return _compile_entry(function_source(inner))


def _import_ref(path: str) -> GlobalRef:
    value = path_value(path)
    if isinstance(value, types.ModuleType):
        return GlobalRef(value, value.__name__)
    return GlobalRef(value, path)


def _bind_source_text(env: GlobalEnv, file: SourceFile, body: list[ast.stmt]) -> None:
    # Source text is never run: its defs, imports and literal constants are read instead.
    assigned: dict[str, int] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        assigned[node.id] = assigned.get(node.id, 0) + 1
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef):
            key = definition_key(file.filename, first_line_of(stmt), stmt.name)
            source = FunctionSource(key, stmt.name, stmt, file, env)
            env.bind_text(stmt.name, GlobalRef(TextDef(source)))
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    env.bind_text(alias.asname, _import_ref(alias.name))
                else:
                    top = alias.name.split(".")[0]
                    env.bind_text(top, _import_ref(top))
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                if alias.name != "*":
                    ref = _import_ref(f"{stmt.module}.{alias.name}")
                    env.bind_text(alias.asname or alias.name, ref)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name) and assigned.get(target.id) == 1:
                try:
                    value = literal_value(ast.literal_eval(stmt.value))
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    continue
                if value is not MISSING:
                    env.bind_text(target.id, GlobalRef(value))


def compile_source(
    source: str,
    filename: str,
    function_name: str,
    namespace: Mapping[str, Any],
    first_line: int = 1,
) -> CompiledSource:
    """Compile the function `function_name` defined in `source` (which is not executed).

    `source` starts at line `first_line` of `filename`. Globals resolve, in order, to
    the top-level defs, imports (of modules already loaded) and literal constants of
    `source`, then to `namespace`, then to builtins.
    """
    lines = [""] * (first_line - 1) + split_lines(source)
    file = SourceFile(filename, tuple(lines))
    body = parse_block(source, file, first_line)
    env = GlobalEnv(namespace)
    _bind_source_text(env, file, body)
    entry = None
    for stmt in body:
        if isinstance(stmt, ast.AsyncFunctionDef) and stmt.name == function_name:
            raise reject(file, stmt)
        if isinstance(stmt, ast.FunctionDef) and stmt.name == function_name:
            entry = stmt
    if entry is None:
        raise PhySLSyntaxError(
            f"no function named '{function_name}' is defined in the source",
            file.place_at(first_line, 0),
            f"Define it with 'def {function_name}(...):' at the top level of the source.",
        )
    key = definition_key(filename, first_line_of(entry), entry.name)
    return _compile_entry(FunctionSource(key, entry.name, entry, file, env))
