"""`print(...)` inside a compiled loop: a call back into Python, only when it runs.

The arguments are evaluated in nopython code, in order, like any other operands; the
print itself is one `with objmode():` block that calls `support_print` (support_print.py)
with each value converted back to the exact type the interpreter holds there (a NumPy
float32 is held as a float by Numba, and `str` of the two differs), string literals
spelled as their code points and `sep`/`end` likewise. Printing is then Python's own,
through the print primitive, so the text is byte for byte what the interpreter writes.

What has no such spelling stays interpreted, with the reason: a value whose type differs
by path (no tag says which it holds), keywords other than literal `sep` and `end`, and
print used as a value. This module only writes source; it never decides what compiles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jetlag.runtime.codegen.emit import NotLowerable, literal_source
from jetlag.runtime.codegen.value_types import ValueType, describe_set
from jetlag.runtime.ir.nodes import Call, Literal, Node

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.runtime.codegen.statements import StatementLowering

#: The effects a compiled loop calls back into Python for (passes/compile_loops.py).
CALLED_BACK = frozenset({"print"})
_KEYWORDS = ("sep", "end")


def text_source(text: str) -> str:
    """Source for the string `text`: its code points, so no user text is in the source."""
    points = ", ".join(str(ord(c)) for c in text)
    return f"support_text(({points}{',' if len(text) == 1 else ''}))"


def _option(node: Call, keyword: str) -> str:
    found = [value for name, value in node.kwargs if name == keyword]
    if not found:
        return "None"
    value = found[-1]
    if isinstance(value, Literal) and (value.value is None or isinstance(value.value, str)):
        return "None" if value.value is None else text_source(value.value)
    raise NotLowerable(f"print's {keyword} is not a string literal or None")


def converted(source: str, value_type: ValueType) -> str:
    """`source` (held by Numba) as the Python object of `value_type`, in object mode."""
    if value_type.kind == "python":
        return f"{value_type.python_type.__name__}({source})"
    if value_type.kind == "numpy":
        return f"np.{value_type.dtype.name}({source})"
    if value_type.kind in ("array", "shape"):
        return source  # boxed as an ndarray of its dtype, or a tuple of Python ints
    raise NotLowerable(f"print of {value_type.describe()}")


def _argument(lowering: StatementLowering, node: Node) -> str:
    if isinstance(node, Literal):
        if isinstance(node.value, str):
            return text_source(node.value)
        return literal_source(node.value)  # a Python number, bool or None as written
    operand = lowering.value(node)
    if operand.types is None:  # untyped: only "could this compile at all?"
        return operand.source
    if len(operand.types) != 1:
        raise NotLowerable(f"print of a value that may be {describe_set(operand.types)}")
    return converted(operand.source, next(iter(operand.types)))


def lower_print(lowering: StatementLowering, node: Call) -> None:
    """print(values..., sep=, end=) as a statement: evaluate, then call back to print."""
    unknown = sorted({name for name, _ in node.kwargs} - set(_KEYWORDS))
    if unknown:
        raise NotLowerable(f"print is called with {', '.join(unknown)}=")
    values = [_argument(lowering, arg) for arg in node.args]
    options = [_option(node, keyword) for keyword in _KEYWORDS]
    lowering.at(node)
    spelled = "(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")"
    lowering.emit("with objmode():")
    lowering.emit(f"    support_print({spelled}, {', '.join(options)})")
    lowering.prints += 1
