"""Python constructs -> PhySL trees (docs/physl.md), compiled from source text.

Trees are compared through `shape()`, a one-line rendering without position tags, so
each test reads like the PhySL it expects; positions are tested in test_frontend_functions.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from jetlag.runtime.frontend import compile_source
from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable


def shape(node: Node) -> str:
    if isinstance(node, Literal):
        value = node.value
        if value is None:
            return "nil"
        if isinstance(value, bool):
            return "true" if value else "false"
        return repr(value) if isinstance(value, (int, float)) else f'"{value}"'
    if isinstance(node, Variable):
        return node.name
    assert isinstance(node, Call)
    parts = [shape(a) for a in node.args] + [f"{k}={shape(v)}" for k, v in node.kwargs]
    return f"{node.name}({', '.join(parts)})"


def compiled(source: str, name: str = "f", **namespace):
    return compile_source(textwrap.dedent(source), "t.py", name, {"np": np, **namespace})


def body(source: str, name: str = "f", **namespace) -> list[str]:
    """The statements of the entry function's block, each rendered with shape()."""
    define = compiled(source, name, **namespace).program.body[-1]
    block = define.args[-1]
    if block.name == "lambda":
        block = block.args[-1]
    assert block.name == "block"
    return [shape(n) for n in block.args]


def expr(text: str, params: str = "a, b, c", **namespace) -> str:
    """The PhySL of one expression returned by a function of `params`."""
    return body(f"def f({params}):\n    return {text}\n", **namespace)[-1]


def test_define_with_parameters_and_without():
    assert shape(compiled("def f(x, y):\n    return x\n").program.body[0]) == (
        "define(f, x, y, block(x))"
    )
    assert shape(compiled("def f():\n    return 1\n").program.body[0]) == (
        "define(f, lambda(block(1)))"
    )


def test_returns():
    assert body("def f(x):\n    x\n") == ["x", "nil"]
    assert body("def f(x):\n    return\n") == ["nil"]
    assert body("def f(x):\n    return x, 2\n") == ["list(x, 2)"]
    assert body("def f(x):\n    if x:\n        return 1\n    return 2\n") == [
        "if(x, block(return(1)))",
        "2",
    ]
    assert body("def f(x):\n    while x:\n        return\n") == ["while(x, block(return()))", "nil"]


def test_docstring_and_pass_are_skipped():
    assert body('def f(x):\n    """Doc."""\n    pass\n    return x\n') == ["x"]


def test_define_then_store_and_parameters_store():
    assert body("def f(x):\n    y = 1\n    y = y + x\n    x = 2\n    return y\n") == [
        "define(y, 1)",
        "store(y, __add(y, x))",
        "store(x, 2)",
        "y",
    ]


def test_binding_in_both_branches_is_hoisted():
    assert body(
        "def f(c):\n    if c:\n        x = 1\n    else:\n        x = 2\n    return x\n"
    ) == [
        "define(x, nil)",
        "if(c, block(store(x, 1)), block(store(x, 2)))",
        "x",
    ]


def test_loop_local_used_only_in_the_loop_is_defined_in_place():
    assert body("def f(n):\n    while n:\n        t = n - 1\n        n = t\n") == [
        "while(n, block(define(t, __sub(n, 1)), store(n, t)))",
        "nil",
    ]


def test_loop_local_read_after_the_loop_is_hoisted():
    lines = body("def f(n):\n    for i in range(n):\n        last = i\n    return last\n")
    assert lines == ["define(last, nil)", "for(i, range(n), block(store(last, i)))", "last"]


def test_augmented_assignment():
    assert body("def f(x, X, i):\n    x += 1\n    x @= X\n    X[i] -= x\n") == [
        "store(x, __iadd(x, 1))",
        "store(x, __imatmul(x, X))",
        "store(slice(X, i), __isub(slice(X, i), x))",
        "nil",
    ]


def test_augmented_assignment_evaluates_a_computed_index_once():
    assert body("def f(X, i, k):\n    X[i + 1, :, k[0]] *= 2\n") == [
        "define(__index_2_6, __add(i, 1))",
        "define(__index_2_16, slice(k, 0))",
        "store(slice(X, __index_2_6, span(nil, nil, nil), __index_2_16), "
        "__imul(slice(X, __index_2_6, span(nil, nil, nil), __index_2_16), 2))",
        "nil",
    ]


def test_tuple_unpacking_and_swap():
    lines = body("def f(p, q):\n    a, b = p, q\n    a, b = b, a\n    return a\n")
    assert lines == [
        "define(__unpack_2_4, list(p, q))",
        "define(a, slice(__unpack_2_4, 0))",
        "define(b, slice(__unpack_2_4, 1))",
        "define(__unpack_3_4, list(b, a))",
        "store(a, slice(__unpack_3_4, 0))",
        "store(b, slice(__unpack_3_4, 1))",
        "a",
    ]


def test_chained_assignment():
    assert body("def f():\n    a = b = 0\n    return b\n") == ["define(a, 0)", "define(b, a)", "b"]


def test_while_if_elif_else_break_continue():
    source = """\
    def f(n):
        while n > 0:
            if n == 1:
                break
            elif n == 2:
                continue
            elif n == 3:
                pass
            else:
                n = n - 1
    """
    assert body(source)[0] == (
        "while(__gt(n, 0), block(if(__eq(n, 1), block(break()), if(__eq(n, 2), block(continue()),"
        " if(__eq(n, 3), block(), block(store(n, __sub(n, 1))))))))"
    )


def test_for_over_range_array_and_tuple_targets():
    assert body("def f(x):\n    for i in range(1, 5, 2):\n        print(i)\n")[0] == (
        "for(i, range(1, 5, 2), block(print(i)))"
    )
    assert body("def f(x):\n    for row in x:\n        print(row)\n")[0] == (
        "for(row, x, block(print(row)))"
    )
    assert body("def f(x):\n    for i, j in x:\n        print(i)\n")[0] == (
        "for(__unpack_2_8, x, block(define(i, slice(__unpack_2_8, 0)),"
        " define(j, slice(__unpack_2_8, 1)), print(i)))"
    )


@pytest.mark.parametrize(
    ("python", "physl"),
    [
        ("a + b", "__add(a, b)"),
        ("a - b", "__sub(a, b)"),
        ("a * b", "__mul(a, b)"),
        ("a / b", "__div(a, b)"),
        ("a // b", "__floordiv(a, b)"),
        ("a % b", "__mod(a, b)"),
        ("a ** b", "__pow(a, b)"),
        ("a @ b", "matmul(a, b)"),
        ("a & b", "__bitand(a, b)"),
        ("a | b", "__bitor(a, b)"),
        ("a ^ b", "__bitxor(a, b)"),
        ("a << b", "__lshift(a, b)"),
        ("a >> b", "__rshift(a, b)"),
        ("-a", "__neg(a)"),
        ("+a", "__pos(a)"),
        ("not a", "__not(a)"),
        ("~a", "__invert(a)"),
        ("a < b", "__lt(a, b)"),
        ("a <= b", "__le(a, b)"),
        ("a > b", "__gt(a, b)"),
        ("a >= b", "__ge(a, b)"),
        ("a == b", "__eq(a, b)"),
        ("a != b", "__ne(a, b)"),
        ("a < b < c", "__and(__lt(a, b), __lt(b, c))"),
        ("a and b and c", "__and(__and(a, b), c)"),
        ("a or b", "__or(a, b)"),
        ("a if b else c", "if(b, a, c)"),
        ("-2.5", "-2.5"),
        ("-3 * a", "__mul(-3, a)"),
        ("(a + b) * c", "__mul(__add(a, b), c)"),
    ],
)
def test_operators(python, physl):
    assert expr(python) == physl


@pytest.mark.parametrize(
    ("python", "physl"),
    [
        ("1", "1"),
        ("1.0", "1.0"),
        ("True", "true"),
        ("None", "nil"),
        ("'s'", '"s"'),
        ("(a, 1)", "list(a, 1)"),
        ("[a, [b]]", "list(a, list(b))"),
        ("()", "list()"),
    ],
)
def test_literals_and_sequences(python, physl):
    assert expr(python) == physl


@pytest.mark.parametrize(
    ("python", "physl"),
    [
        ("a[1]", "slice(a, 1)"),
        ("a[1:3, ::2]", "slice(a, span(1, 3, nil), span(nil, nil, 2))"),
        ("a[:, b]", "slice(a, span(nil, nil, nil), b)"),
        ("a[None]", "slice(a, nil)"),
        ("a[:, np.newaxis]", "slice(a, span(nil, nil, nil), nil)"),
        ("a[[0, 2]]", "slice(a, list(0, 2))"),
        ("a[a > 0]", "slice(a, __gt(a, 0))"),
        ("a[-1]", "slice(a, -1)"),
        ("a[1][2]", "slice(slice(a, 1), 2)"),
    ],
)
def test_indexing(python, physl):
    assert expr(python) == physl


def test_writes_into_elements():
    assert body("def f(X, u, v, m):\n    X[u, :] = v\n    X[m] = 0\n")[:2] == [
        "store(slice(X, u, span(nil, nil, nil)), v)",
        "store(slice(X, m), 0)",
    ]


@pytest.mark.parametrize(
    ("python", "physl"),
    [
        ("np.exp(a)", "exp(a)"),
        ("np.linalg.inv(a)", "inverse(a)"),
        ("np.dot(a, b)", "dot(a, b)"),
        ("np.zeros((2, 3))", "zeros(list(2, 3))"),
        ("np.shape(a)[1]", "slice(shape(a), 1)"),
        ("np.transpose(a)", "transpose(a)"),
        ("a.shape", "shape(a)"),
        ("a.shape[0]", "slice(shape(a), 0)"),
        ("a.T", "transpose(a)"),
        ("a.ndim", "ndim(a)"),
        ("a.size", "size(a)"),
        ("len(a)", "len(a)"),
        ("abs(a)", "builtin_abs(a)"),
        ("np.abs(a)", "absolute(a)"),
        ("a.sum()", "sum(a)"),
        ("a.sum(axis=0)", "sum(a, axis=0)"),
        ("a.reshape((2, 3))", "reshape(a, list(2, 3))"),
        ("(a + b).T", "transpose(__add(a, b))"),
        ("inverse(a)", "inverse(a)"),
    ],
)
def test_calls_methods_and_properties(python, physl):
    assert expr(python) == physl


def test_print_with_sep_and_end():
    assert body("def f(a):\n    print(a, 1, sep='-', end='')\n")[0] == (
        'print(a, 1, sep="-", end="")'
    )


@pytest.mark.parametrize(
    ("python", "physl"),
    [
        ("a.astype(np.float32)", 'astype(a, "float32")'),
        ("a.astype(float)", 'astype(a, "float64")'),
        ("a.astype(int)", 'astype(a, "int64")'),
        ("a.astype(bool)", 'astype(a, "bool")'),
        ("np.zeros(3, dtype=np.int32)", 'zeros(3, dtype="int32")'),
        ("np.zeros(3, dtype=np.float64)", 'zeros(3, dtype="float64")'),
        ("np.zeros(3, dtype='float32')", 'zeros(3, dtype="float32")'),
        ("np.zeros(3, dtype='f8')", 'zeros(3, dtype="float64")'),
    ],
)
def test_dtype_arguments(python, physl):
    assert expr(python) == physl


def test_numpy_constants_and_captured_globals():
    assert expr("np.pi") == repr(np.pi)
    assert expr("np.e") == repr(np.e)
    assert expr("np.inf") == "inf"
    assert expr("np.nan") == "nan"
    assert expr("np.newaxis") == "nil"
    assert expr("ALPHA * a", ALPHA=0.25) == "__mul(0.25, a)"
    assert expr("N", N=np.int64(7)) == "7"
    assert expr("FLAG", FLAG=True) == "true"
    assert expr("NAME", NAME="x") == '"x"'
    assert expr("SHAPE", SHAPE=(2, 3)) == "list(2, 3)"


@pytest.mark.parametrize(
    "imports",
    [
        "import numpy as np",
        "import numpy",
        "from numpy import exp, pi",
        "from numpy.linalg import inv",
        "import numpy.linalg as la",
    ],
)
def test_import_forms_in_source_text(imports):
    uses = {
        "import numpy as np": ("np.exp(a)", "exp(a)"),
        "import numpy": ("numpy.exp(a) + numpy.pi", f"__add(exp(a), {np.pi!r})"),
        "from numpy import exp, pi": ("exp(a) * pi", f"__mul(exp(a), {np.pi!r})"),
        "from numpy.linalg import inv": ("inv(a)", "inverse(a)"),
        "import numpy.linalg as la": ("la.inv(a)", "inverse(a)"),
    }
    python, physl = uses[imports]
    source = f"{imports}\n\ndef f(a):\n    return {python}\n"
    define = compile_source(source, "t.py", "f", {}).program.body[-1]
    assert shape(define.args[-1].args[-1]) == physl


def test_namespace_objects_resolve_through_the_registry():
    from numpy import exp
    from numpy.linalg import inv

    assert expr("e(i(a))", e=exp, i=inv) == "exp(inverse(a))"
    assert expr("m.exp(a)", m=np) == "exp(a)"


def test_lambda_and_nested_def():
    lines = body(
        "def f(x):\n"
        "    g = lambda t, u: t + u\n"
        "    def h(y):\n"
        "        z = y * x\n"
        "        return z\n"
        "    def k():\n"
        "        return 1\n"
        "    return g(h(x), k())\n"
    )
    assert lines == [
        "define(g, lambda(t, u, __add(t, u)))",
        "define(h, y, block(define(z, __mul(y, x)), z))",
        "define(k, lambda(block(1)))",
        "g(h(x), k())",
    ]


def test_nested_function_assigning_an_outer_name_defines_its_own():
    lines = body(
        "def f(x):\n    y = 1\n    def g():\n        y = 2\n        return y\n    return g()\n"
    )
    assert lines[1] == "define(g, lambda(block(define(y, 2), y)))"


def test_local_function_named_like_a_primitive_is_renamed():
    lines = body(
        "def f(x):\n    def inner(y):\n        return y\n    return inner(np.inner(x, x))\n"
    )
    assert lines == ["define(inner_1, y, block(y))", "inner_1(inner(x, x))"]


def test_keyword_arguments_to_compiled_functions():
    source = "def g(a, b):\n    return a - b\n\ndef f(x):\n    return g(b=x, a=1)\n"
    assert shape(compiled(source).program.body[-1].args[-1].args[-1]) == "g(b=x, a=1)"


EVERYTHING = """\
import numpy as np

SCALE = 2.0


def helper(v):
    return v * SCALE


def f(x, y, n):
    \"\"\"Uses most of what the frontend compiles.\"\"\"
    a, b = x, y
    a, b = b, a
    x[0, :] = -1.5
    x[1] += np.exp(y[1:3, ::2]).sum(axis=0)
    if n > 2 and not n == 5:
        m = 1
    elif n < 0:
        m = 2
    else:
        m = 3
    for i in range(n):
        if i == 1:
            continue
        print("i", i, sep="=", end="\\n")
    while n > 0:
        n -= 1
        if n == 3:
            break
    g = lambda t: t + m
    def inner(u):
        return u * 2
    z = x.T @ y if m else np.zeros((2, 2), dtype=np.float32)
    return helper(z), g(a[None]), inner(b[[0, 1]]), len(x), x.shape[0], np.pi
"""


def test_every_construct_round_trips_through_the_printer():
    text = pytest.importorskip("jetlag.runtime.ir.text")
    program = compile_source(EVERYTHING, "all.py", "f", {}).program
    printed = text.print_physl(program)
    assert text.parse_physl(printed) == program
    assert text.print_physl(text.parse_physl(printed)) == printed
    for node in program.walk():
        if isinstance(node, (Call, Variable)):
            assert node.loc is not None and node.loc.tagged, node
