"""Constructs PhySL cannot express fail at compile time with a placed, actionable error.

Every case checks the exact message and the exact line:col of the offending construct
(the `needle` text in the source), and that the error quotes the source line.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from jetlag.runtime.errors import PhySLSyntaxError
from jetlag.runtime.frontend import compile_function, compile_source

NOT_SUPPORTED = "are not supported in a compiled function"


def position(source: str, needle: str) -> tuple[int, int]:
    for number, line in enumerate(source.splitlines(), start=1):
        col = line.find(needle)
        if col >= 0:
            return number, col
    raise AssertionError(f"{needle!r} not found")


def compile_error(source: str, **namespace) -> PhySLSyntaxError:
    with pytest.raises(PhySLSyntaxError) as info:
        compile_source(source, "t.py", "f", {"np": np, **namespace})
    return info.value


def check(source: str, needle: str, message: str, **namespace) -> PhySLSyntaxError:
    source = textwrap.dedent(source)
    error = compile_error(source, **namespace)
    line, col = position(source, needle)
    assert error.message == message
    assert error.place is not None
    assert (error.place.file, error.place.line, error.place.col) == ("t.py", line, col)
    assert error.place.text == source.splitlines()[line - 1]
    assert str(error).startswith(f"t.py:{line}:{col + 1}: {message}\n")
    assert error.hint
    return error


CASES = [
    ("def f(x):\n    with x:\n        pass\n", "with", f"'with' statements {NOT_SUPPORTED}"),
    (
        "def f(x):\n    try:\n        x = 1\n    except:\n        pass\n",
        "try",
        f"'try' statements {NOT_SUPPORTED}",
    ),
    ("def f(x):\n    raise x\n", "raise", f"'raise' statements {NOT_SUPPORTED}"),
    ("def f(x):\n    class K:\n        pass\n", "class", f"class definitions {NOT_SUPPORTED}"),
    ("def f(x):\n    global y\n", "global", f"'global' statements {NOT_SUPPORTED}"),
    (
        "def f(x):\n    def g():\n        nonlocal x\n    return g\n",
        "nonlocal",
        f"'nonlocal' statements {NOT_SUPPORTED}",
    ),
    ("def f(x):\n    return [v for v in x]\n", "[v", f"list comprehensions {NOT_SUPPORTED}"),
    ("def f(x):\n    return {v for v in x}\n", "{v", f"set comprehensions {NOT_SUPPORTED}"),
    (
        "def f(x):\n    return {v: v for v in x}\n",
        "{v",
        f"dict comprehensions {NOT_SUPPORTED}",
    ),
    (
        "def f(x):\n    print(v for v in x)\n",
        "(v for",
        f"generator expressions {NOT_SUPPORTED}",
    ),
    ("def f(x):\n    yield x\n", "yield", f"generators ('yield') {NOT_SUPPORTED}"),
    ("def f(x):\n    print(f'{x}')\n", "f'", f"f-strings {NOT_SUPPORTED}"),
    ("def f(x):\n    assert x\n", "assert", f"'assert' statements {NOT_SUPPORTED}"),
    (
        "def f(x):\n    import os\n",
        "import",
        f"import statements inside a compiled function {NOT_SUPPORTED}",
    ),
    (
        "def f(x):\n    from numpy import exp\n",
        "from",
        f"import statements inside a compiled function {NOT_SUPPORTED}",
    ),
    ("def f(x):\n    del x\n", "del", f"'del' statements {NOT_SUPPORTED}"),
    (
        "def f(x):\n    if (y := x):\n        pass\n",
        "y :=",
        f"assignment expressions (:=) {NOT_SUPPORTED}",
    ),
    (
        "def f(x):\n    async def g():\n        pass\n",
        "async",
        f"async functions {NOT_SUPPORTED}",
    ),
    ("def f(x):\n    return {'a': x}\n", "{", f"dict literals {NOT_SUPPORTED}"),
    ("def f(x):\n    return {x}\n", "{", f"set literals {NOT_SUPPORTED}"),
    (
        "def f(x):\n    while x:\n        x = 0\n    else:\n        x = 1\n",
        "else",
        "'else' on a while loop is not supported",
    ),
    (
        "def f(x):\n    for i in x:\n        pass\n    else:\n        pass\n",
        "else",
        "'else' on a for loop is not supported",
    ),
    ("def f(*args):\n    return 1\n", "args", "*args parameters are not supported"),
    ("def f(**kw):\n    return 1\n", "kw", "**kwargs parameters are not supported"),
    ("def f(a, *, b):\n    return 1\n", "b)", "keyword-only parameters are not supported"),
    ("def f(a, b=1):\n    return 1\n", "b=", "a default value for parameter 'b' is not supported"),
    (
        "def f(a):\n    g = lambda t=1: t\n",
        "t=",
        "a default value for parameter 't' is not supported",
    ),
    ("def f(x):\n    print(*x)\n", "*x", "starred arguments (*args) in calls are not supported"),
    ("def f(x):\n    print(**x)\n", "**x", "'**' arguments in calls are not supported"),
    ("def f(x):\n    a, *b = x\n", "*b", "starred assignment targets (*rest) are not supported"),
    ("def f(x):\n    return foo(x)\n", "foo", "name 'foo' is not defined"),
    ("def f(x):\n    return x + bar\n", "bar", "name 'bar' is not defined"),
    ("def f(x):\n    return np.fft.fft(x)\n", "np.fft", "numpy.fft.fft is not a PhySL primitive"),
    (
        "def f(x):\n    return x.frobnicate()\n",
        "frobnicate",
        "method 'frobnicate' is not a PhySL primitive",
    ),
    ("def f(x):\n    return x.wibble\n", "wibble", "array attribute 'wibble' is not supported"),
    ("def f(x):\n    return x is None\n", "x is", "'is' comparisons are not supported"),
    ("def f(x, y):\n    return y < x in y\n", "x in", "'in' comparisons are not supported"),
    ("def f(x):\n    x.y = 1\n", "x.y", "assignment to attributes is not supported"),
    ("def f(x):\n    x[0][1] = 1\n", "x[0][1]", "assignment to 'x[0][1]' is not supported"),
    ("def f(x):\n    y += 1\n", "y", "local variable 'y' is used before it is assigned"),
    (
        "def f(x):\n    return x[..., 0]\n",
        "...",
        "'...' (Ellipsis) is not supported in a compiled function",
    ),
    ("def f(x):\n    return 1j * x\n", "1j", "complex literals are not supported"),
    (
        "def f(x):\n    return (lambda: x)()\n",
        "(lambda",
        "calling the result of an expression is not supported",
    ),
    (
        "def f(x):\n    @np.vectorize\n    def g(y):\n        return y\n",
        "np.vectorize",
        "decorators on nested functions are not supported",
    ),
    ("def f(x):\n    return np\n", "np", "module 'numpy' cannot be used as a value"),
    (
        "def f(x):\n    print(np.exp)\n",
        "np.exp)",
        "numpy.exp cannot be used as a value inside a compiled function",
    ),
    ("def f(x):\n    return inverse\n", "inverse", "primitive 'inverse' cannot be used as a value"),
    (
        "def f(x):\n    return isinstance(x, int)\n",
        "isinstance",
        "builtin 'isinstance' is not a PhySL primitive",
    ),
]


@pytest.mark.parametrize(("source", "needle", "message"), CASES)
def test_unsupported_construct(source, needle, message):
    check(source, needle, message)


def test_python_syntax_error():
    error = compile_error("def f(x)\n    return x\n")
    assert error.message == "invalid Python syntax: expected ':'"
    assert (error.place.line, error.place.col) == (1, 8)


def test_unknown_name_hint_lists_what_it_is_not():
    error = check("def f(x):\n    return foo(x)\n", "foo", "name 'foo' is not defined")
    assert "neither a parameter, a local variable, a global" in error.hint
    assert "nor a PhySL primitive" in error.hint


def test_not_a_primitive_hint():
    error = check(
        "def f(x):\n    return np.fft.fft(x)\n", "np.fft", "numpy.fft.fft is not a PhySL primitive"
    )
    assert "docs/primitives.md" in error.hint
    assert "outside the compiled function" in error.hint


def test_global_array_cannot_be_captured():
    error = check(
        "def f(x):\n    return x + X\n",
        "X",
        "global array 'X' cannot be captured; pass it as a parameter",
        X=np.ones(3),
    )
    assert "parameters" in error.hint


def test_unsupported_global_object():
    check(
        "def f(x):\n    return x + cfg\n",
        "cfg",
        "global 'cfg' of type object cannot be used in a compiled function",
        cfg=object(),
    )


def test_library_python_function_is_not_compiled():
    check(
        "import textwrap\n\ndef f(x):\n    return textwrap.dedent(x)\n",
        "textwrap.dedent",
        "textwrap.dedent is not a PhySL primitive",
    )


def test_error_in_a_dependency_points_into_the_dependency():
    source = "def g(y):\n    with y:\n        pass\n\ndef f(x):\n    return g(x)\n"
    check(source, "with", f"'with' statements {NOT_SUPPORTED}")


def test_missing_entry_function():
    error = compile_error("def g(x):\n    return x\n")
    assert error.message == "no function named 'f' is defined in the source"
    assert (error.place.line, error.place.col) == (1, 0)


def test_async_entry_function():
    check("async def f(x):\n    return x\n", "async", f"async functions {NOT_SUPPORTED}")


def test_lambda_entry_is_refused():
    entry = lambda x: x  # noqa: E731
    with pytest.raises(PhySLSyntaxError, match="a lambda cannot be compiled on its own"):
        compile_function(entry)


def test_function_without_source_is_refused():
    namespace: dict = {}
    code = compile("def made(x):\n    return x\n", "<made>", "exec")
    exec(code, namespace)  # the point: a function whose source cannot be read
    with pytest.raises(PhySLSyntaxError, match="cannot read the source of function 'made'"):
        compile_function(namespace["made"])


def test_non_function_is_a_type_error():
    with pytest.raises(TypeError, match="expects a Python function"):
        compile_function(np.exp)  # type: ignore[arg-type]
