"""PhySL's fixed vocabulary as the frontend emits it: operator names and special forms.

These are the language's own names (docs/physl.md, "Operators" and "Special forms"), not
NumPy functions; NumPy and builtin names are resolved only through the primitive registry.
"""

from __future__ import annotations

import ast

from jetlag.runtime.primitives.registry import REGISTRY

BINARY_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "__add",
    ast.Sub: "__sub",
    ast.Mult: "__mul",
    ast.Div: "__div",
    ast.FloorDiv: "__floordiv",
    ast.Mod: "__mod",
    ast.Pow: "__pow",
    ast.MatMult: "matmul",
    ast.BitAnd: "__bitand",
    ast.BitOr: "__bitor",
    ast.BitXor: "__bitxor",
    ast.LShift: "__lshift",
    ast.RShift: "__rshift",
}

UNARY_OPERATORS: dict[type[ast.unaryop], str] = {
    ast.USub: "__neg",
    ast.UAdd: "__pos",
    ast.Not: "__not",
    ast.Invert: "__invert",
}

COMPARISONS: dict[type[ast.cmpop], str] = {
    ast.Lt: "__lt",
    ast.LtE: "__le",
    ast.Gt: "__gt",
    ast.GtE: "__ge",
    ast.Eq: "__eq",
    ast.NotEq: "__ne",
}

BOOLEAN_OPERATORS: dict[type[ast.boolop], str] = {ast.And: "__and", ast.Or: "__or"}

# Names the scheduler evaluates itself; a user function must not be called by one of them.
SPECIAL_FORMS = frozenset(
    {
        "define",
        "store",
        "block",
        "if",
        "while",
        "compiled_loop",
        "for",
        "lambda",
        "break",
        "continue",
        "return",
        "__and",
        "__or",
    }
)


def is_reserved(name: str) -> bool:
    """True for names a user function must not be defined under: forms and primitives."""
    return name in SPECIAL_FORMS or name in REGISTRY


# Structural primitives the frontend emits for Python syntax (docs/physl.md).
LIST = "list"
SPAN = "span"
SLICE = "slice"
