"""Completion and inspection (shift-tab) of PhySL primitives, on top of IPython's own.

In a Python cell, `np.` (or any module alias) completes with IPython's matches plus every
NumPy name the primitive registry compiles; in a `%%physl` cell, names complete to
primitives and special forms. Inspecting a name that compiles to a primitive (`np.dot`,
`x.sum`, `abs`, or `dot` in a `%%physl` cell) shows the primitive's PhySL signature and
doc from the registry above IPython's text; a compiled notebook function says so. The
registry is the only list of primitives used here.
"""

from __future__ import annotations

import builtins
import re
import types
from typing import Any

import numpy as np
from IPython.utils.tokenutil import token_at_cursor

from jetlag.runtime.api import PhySLFunction
from jetlag.runtime.frontend.vocabulary import SPECIAL_FORMS
from jetlag.runtime.primitives.registry import REGISTRY, Primitive

_TYPES_KEY = "_jupyter_types_experimental"
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*$")


def is_physl_cell(code: str) -> bool:
    """True for a `%%physl` cell."""
    return code.lstrip().startswith("%%physl")


def _module_path(head: str, namespace: dict[str, Any]) -> str | None:
    parts = head.split(".")
    value = namespace.get(parts[0])
    for part in parts[1:]:
        value = getattr(value, part, None)
    return value.__name__ if isinstance(value, types.ModuleType) else None


def _primitive_names(prefix: str) -> list[str]:
    names = sorted(set(REGISTRY.names()) | set(SPECIAL_FORMS))
    return [n for n in names if n.startswith(prefix) and not n.startswith("__")]


def _module_names(path: str, prefix: str) -> dict[str, Primitive]:
    found: dict[str, Primitive] = {}
    for primitive in REGISTRY:
        for alias in primitive.aliases:
            if alias.startswith(path + "."):
                name = alias[len(path) + 1 :].split(".")[0]
                if name.startswith(prefix):
                    found.setdefault(name, primitive)
    return found


def _add(reply: dict[str, Any], start: int, end: int, extra: dict[str, Primitive | None]) -> None:
    matches = reply.setdefault("matches", [])
    if not matches:
        reply["cursor_start"], reply["cursor_end"] = start, end
    elif reply.get("cursor_start") != start:
        return  # IPython replaces another span; mixing spans would corrupt the edit
    types_ = reply.setdefault("metadata", {}).get(_TYPES_KEY)
    for text, primitive in extra.items():
        if text in matches:
            continue
        matches.append(text)
        if types_ is not None:
            types_.append(
                {
                    "start": start,
                    "end": end,
                    "text": text,
                    "type": "primitive" if primitive is not None else "keyword",
                    "signature": primitive.signature if primitive is not None else "",
                }
            )


def complete(
    reply: dict[str, Any], code: str, cursor_pos: int | None, namespace: dict[str, Any]
) -> dict[str, Any]:
    """IPython's completion reply with the PhySL names added."""
    cursor = len(code) if cursor_pos is None else cursor_pos
    match = _TOKEN.search(code[:cursor])
    token = match.group(0) if match else ""
    if is_physl_cell(code) and "\n" in code[:cursor]:  # in the PhySL body
        names = _primitive_names(token)
        reply.update(matches=[], cursor_start=cursor - len(token), cursor_end=cursor)
        if _TYPES_KEY in reply.get("metadata", {}):
            reply["metadata"][_TYPES_KEY] = []
        _add(reply, cursor - len(token), cursor, {n: REGISTRY.get(n) for n in names})
        return reply
    if "." in token:
        head, _, prefix = token.rpartition(".")
        path = _module_path(head, namespace)
        if path is not None:
            found = _module_names(path, prefix)
            _add(reply, cursor - len(prefix), cursor, dict(sorted(found.items())))
    return reply


def primitive_for_token(token: str, code: str, namespace: dict[str, Any]) -> Primitive | None:
    """The primitive a name at the cursor compiles to, or None."""
    if not token:
        return None
    if is_physl_cell(code):
        return REGISTRY.get(token.split("$")[0])
    head, _, last = token.rpartition(".")
    if head:
        path = _module_path(head, namespace)
        if path is not None:
            name = REGISTRY.resolve_alias(f"{path}.{last}")
            return REGISTRY.get(name) if name else None
        if type(namespace.get(head)) is np.ndarray:
            name = REGISTRY.resolve_method(last) or REGISTRY.resolve_property(last)
            return REGISTRY.get(name) if name else None
        return None
    value = namespace.get(token)
    if value is None and hasattr(builtins, token):
        name = REGISTRY.resolve_alias(f"builtins.{token}")
        return REGISTRY.get(name) if name else None
    module = getattr(value, "__module__", None) or ""
    qualname = getattr(value, "__name__", None)
    if module.startswith("numpy") and qualname:
        name = REGISTRY.resolve_alias(f"numpy.{qualname}") or REGISTRY.resolve_alias(
            f"{module}.{qualname}"
        )
        return REGISTRY.get(name) if name else None
    return None


def primitive_text(primitive: Primitive) -> str:
    """What shift-tab shows for a primitive."""
    lines = [
        f"PhySL primitive: {primitive.signature}",
        primitive.doc,
    ]
    if primitive.numpy:
        lines.append(f"Matches: {primitive.numpy}")
    spellings = [*primitive.aliases, *(f"ndarray.{m}()" for m in primitive.methods)]
    if spellings:
        lines.append(f"Python spellings: {', '.join(spellings)}")
    return "\n".join(lines)


def inspect(
    reply: dict[str, Any], code: str, cursor_pos: int | None, namespace: dict[str, Any]
) -> dict[str, Any]:
    """IPython's inspection reply with the primitive's (or compiled function's) text first."""
    cursor = len(code) if cursor_pos is None else cursor_pos
    token = token_at_cursor(code, cursor)
    primitive = primitive_for_token(token, code, namespace)
    head = ""
    if primitive is not None:
        head = primitive_text(primitive)
    elif isinstance(namespace.get(token), PhySLFunction):
        head = f"{token}: a function compiled to PhySL (%physl {token} shows it)"
    if not head:
        return reply
    data = reply.setdefault("data", {})
    below = data.get("text/plain", "")
    data["text/plain"] = head + ("\n\n" + below if below else "")
    data.pop("text/html", None)
    reply["found"] = True
    reply["status"] = "ok"
    return reply
