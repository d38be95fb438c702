"""Resolving the global names a compiled function uses.

A name that is not a parameter or local is looked up like Python would at call time
(closure cells, the module's globals, builtins) and classified: a module (for attribute
chains such as `np.linalg.inv`), a PhySL primitive (only through the registry's aliases),
another Python function to compile as a dependency, a constant captured as a literal, or
something that cannot be used (with the reason). This module must not build tree nodes,
and it keeps no list of NumPy functions of its own: the primitive registry is the only one.
"""

from __future__ import annotations

import builtins
import os
import sys
import sysconfig
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import jetlag.runtime.primitives  # noqa: F401  (importing fills the registry)
from jetlag.runtime.frontend.source import (
    FunctionSource,
    definition_key,
    first_line_of,
    module_defs,
    read_function,
)
from jetlag.runtime.primitives.registry import REGISTRY

MISSING: Any = object()


@dataclass(frozen=True)
class TextDef:
    """A top-level `def` of compiled source text (a job's or a cell's), not executed."""

    source: FunctionSource


@dataclass(frozen=True)
class GlobalRef:
    """What a global name or module attribute refers to.

    `value` is the Python object (MISSING when only the dotted path is known, e.g. an
    import in source text of a module not loaded here); `path` is its qualified Python
    name when known (`numpy.linalg.inv`), used to look up registry aliases.
    """

    value: Any
    path: str | None = None

    @property
    def is_module(self) -> bool:
        """True for a module, or for a dotted path whose object is not available."""
        return isinstance(self.value, types.ModuleType) or (
            self.value is MISSING and self.path is not None
        )


@dataclass(frozen=True)
class PrimitiveUse:
    """The reference names the registered primitive `name`."""

    name: str


@dataclass(frozen=True)
class ConstantUse:
    """The reference is captured at compile time as this literal (a tuple -> list(...))."""

    value: Any


@dataclass(frozen=True)
class FunctionUse:
    """The reference is another function, compiled too and emitted as a dependency.

    `key` identifies it (so it is compiled once); `load` reads its source when needed.
    """

    key: Any
    name: str
    load: Callable[[], FunctionSource]


@dataclass(frozen=True)
class Refusal:
    """The reference cannot be compiled: the error message and the fix."""

    message: str
    hint: str


def path_value(path: str) -> Any:
    """The object at a dotted path, from modules already loaded (nothing is imported)."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        value: Any = module
        for part in parts[cut:]:
            value = getattr(value, part, MISSING)
            if value is MISSING:
                return MISSING
        return value
    return MISSING


class GlobalEnv:
    """The globals of one function, looked up in Python's order: closure cells, the
    definitions of compiled source text, the namespace it was defined in, then builtins.

    A function compiled from a live object also sees itself under its own name, and the
    top-level defs of its file not bound yet: `@physl` compiles at decoration time, when
    neither the function's own name nor defs further down the file exist.
    """

    def __init__(
        self, namespace: Mapping[str, Any], closure: Mapping[str, Any] | None = None
    ) -> None:
        self._namespace = namespace
        self._closure = dict(closure or {})
        self._text: dict[str, GlobalRef] = {}
        self._own: tuple[str, GlobalRef] | None = None
        self._module_file: str | None = None

    @classmethod
    def of_function(cls, fn: Any) -> GlobalEnv:
        """The environment a Python function object sees."""
        closure: dict[str, Any] = {}
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
            try:
                closure[name] = cell.cell_contents
            except ValueError:  # an empty cell: the name is not bound yet
                continue
        env = cls(fn.__globals__, closure)
        qualname = getattr(fn, "__qualname__", fn.__name__)
        if qualname == fn.__name__ or qualname.endswith(f"<locals>.{fn.__name__}"):
            env._own = (fn.__name__, GlobalRef(fn))
        env._module_file = fn.__code__.co_filename
        return env

    def bind_text(self, name: str, ref: GlobalRef) -> None:
        """Bind a name defined by compiled source text (a def, an import, a constant)."""
        self._text[name] = ref

    def lookup(self, name: str) -> GlobalRef | None:
        """What the global `name` refers to, or None when it is not bound anywhere."""
        if self._own is not None and self._own[0] == name:
            return self._own[1]
        if name in self._closure:
            return _ref(self._closure[name])
        if name in self._text:
            return self._text[name]
        if name in self._namespace:
            return _ref(self._namespace[name])
        later = self._later_def(name)
        if later is not None:
            return later
        if hasattr(builtins, name):
            return GlobalRef(getattr(builtins, name), f"builtins.{name}")
        return None

    def _later_def(self, name: str) -> GlobalRef | None:
        if self._module_file is None:
            return None
        file, defs = module_defs(self._module_file)
        node = defs.get(name)
        if node is None:
            return None
        key = definition_key(file.filename, first_line_of(node), name)
        env = GlobalEnv(self._namespace)  # a module-level def sees only module globals
        env._module_file = self._module_file
        return GlobalRef(TextDef(FunctionSource(key, name, node, file, env)))


def _ref(value: Any) -> GlobalRef:
    if isinstance(value, types.ModuleType):
        return GlobalRef(value, value.__name__)
    return GlobalRef(value, None)


def attribute(ref: GlobalRef, name: str) -> GlobalRef:
    """The attribute `name` of a module reference (`np` + `linalg` -> numpy.linalg)."""
    path = f"{ref.path}.{name}" if ref.path else name
    if isinstance(ref.value, types.ModuleType):
        value = getattr(ref.value, name, MISSING)
        if value is MISSING:
            value = sys.modules.get(path, MISSING)
    else:
        value = path_value(path)
    if isinstance(value, types.ModuleType):
        return GlobalRef(value, value.__name__)
    return GlobalRef(value, path)


def function_key(fn: types.FunctionType) -> Any:
    """A function's identity for compiling it once: its definition's place, or the object
    itself for a closure (two closures of one def capture different values)."""
    if fn.__closure__:
        return fn
    return definition_key(fn.__code__.co_filename, fn.__code__.co_firstlineno, fn.__name__)


def function_source(fn: Any) -> FunctionSource:
    """The compilable source of a Python function object (for a dependency or the entry)."""
    file, node = read_function(fn)
    return FunctionSource(function_key(fn), fn.__name__, node, file, GlobalEnv.of_function(fn))


# -- primitives -------------------------------------------------------------------------

_identity: dict[int, tuple[Any, str]] = {}
_identity_size = -1


def _primitive_by_identity(value: Any) -> str | None:
    # Objects reached by a name (`from numpy import exp` bound as `exp`) carry no path;
    # match them against the objects the registry's aliases denote.
    global _identity_size
    if _identity_size != len(REGISTRY):
        _identity.clear()
        for prim in REGISTRY:
            for alias in prim.aliases:
                obj = path_value(alias)
                if obj is not MISSING and not isinstance(obj, (int, float, str, type(None))):
                    _identity.setdefault(id(obj), (obj, prim.name))
        _identity_size = len(REGISTRY)
    found = _identity.get(id(value))
    return found[1] if found is not None and found[0] is value else None


def primitive_for(ref: GlobalRef) -> str | None:
    """The registered primitive a reference denotes, or None."""
    if ref.path is not None:
        name = REGISTRY.resolve_alias(ref.path)
        if name is not None:
            return name
    if ref.value is MISSING or isinstance(ref.value, types.ModuleType):
        return None
    name = _primitive_by_identity(ref.value)
    if name is not None:
        return name
    module, qualname = getattr(ref.value, "__module__", None), getattr(ref.value, "__name__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return REGISTRY.resolve_alias(f"{module}.{qualname}")
    return None


def describe(ref: GlobalRef, written: str) -> str:
    """How error messages name a reference: its qualified path when known."""
    if ref.path is not None:
        if ref.path.startswith("builtins."):
            return f"builtin '{ref.path[len('builtins.') :]}'"
        return ref.path
    module, name = getattr(ref.value, "__module__", None), getattr(ref.value, "__name__", None)
    if isinstance(module, str) and isinstance(name, str) and module != "__main__":
        return f"{module}.{name}"
    return f"'{written}'"


# -- classification ---------------------------------------------------------------------

_LIBRARY_DIRS = tuple(
    os.path.realpath(path)
    for key in ("stdlib", "platstdlib", "purelib", "platlib")
    if (path := sysconfig.get_paths().get(key))
)


def _is_library_function(fn: types.FunctionType) -> bool:
    filename = os.path.realpath(fn.__code__.co_filename)
    return any(filename.startswith(base + os.sep) for base in _LIBRARY_DIRS)


def _function_use(value: Any) -> FunctionUse | None:
    # Only user code is compiled: a library's Python function is not PhySL.
    if isinstance(value, TextDef):
        source = value.source
        return FunctionUse(source.key, source.name, lambda: source)
    inner = getattr(value, "__physl_python_function__", value)
    if isinstance(inner, types.FunctionType) and not _is_library_function(inner):
        return FunctionUse(function_key(inner), inner.__name__, lambda: function_source(inner))
    return None


def _not_primitive(shown: str) -> Refusal:
    return Refusal(
        f"{shown} is not a PhySL primitive",
        f"See docs/primitives.md for the supported functions, or call {shown} outside the "
        "compiled function and pass its result in as a parameter.",
    )


def as_callee(ref: GlobalRef, written: str) -> PrimitiveUse | FunctionUse | Refusal:
    """Classify a reference that is called: `np.exp(x)`, `helper(x)`, `len(x)`."""
    if isinstance(ref.value, TextDef) or hasattr(ref.value, "__physl_python_function__"):
        use = _function_use(ref.value)
        if use is not None:
            return use
    name = primitive_for(ref)
    if name is not None:
        return PrimitiveUse(name)
    use = _function_use(ref.value)
    if use is not None:
        return use
    if isinstance(ref.value, types.ModuleType):
        return Refusal(
            f"module '{ref.path}' is not callable",
            "Call one of its functions, e.g. np.exp(x).",
        )
    return _not_primitive(describe(ref, written))


def literal_value(value: Any) -> Any:
    """A Python value as a PhySL literal (tuples of literals allowed), or MISSING."""
    if isinstance(value, np.generic) and not isinstance(value, np.complexfloating):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        items = tuple(literal_value(item) for item in value)
        return MISSING if any(item is MISSING for item in items) else items
    return MISSING


def dtype_name(value: Any) -> str | None:
    """NumPy's name of a dtype given as a type or dtype object (`np.float32`, `float`)."""
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and (
        issubclass(value, np.generic) or value in (bool, int, float, complex)
    ):
        return np.dtype(value).name
    return None


def as_value(ref: GlobalRef, written: str) -> ConstantUse | FunctionUse | Refusal:
    """Classify a reference used as a value: `np.pi`, `ALPHA`, `np.float32`, `helper`."""
    use = _function_use(ref.value)
    if use is not None:
        return use
    dtype = dtype_name(ref.value)
    if dtype is not None:
        return ConstantUse(dtype)
    literal = literal_value(ref.value)
    if literal is not MISSING:
        return ConstantUse(literal)
    if isinstance(ref.value, np.ndarray):
        return Refusal(
            f"global array '{written}' cannot be captured; pass it as a parameter",
            f"Add '{written}' to the function's parameters and pass the array when calling it.",
        )
    if ref.is_module:
        return Refusal(
            f"module '{ref.path}' cannot be used as a value",
            "Use its functions or constants, e.g. np.exp(x) or np.pi.",
        )
    if primitive_for(ref) is not None or callable(ref.value):
        shown = describe(ref, written)
        return Refusal(
            f"{shown} cannot be used as a value inside a compiled function",
            f"Call it directly, e.g. {written}(x).",
        )
    return Refusal(
        f"global '{written}' of type {type(ref.value).__name__} cannot be used "
        "in a compiled function",
        "Pass it in as a parameter (arrays, numbers and strings are supported).",
    )
