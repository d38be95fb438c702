"""compile_function / compile_source: absolute positions, dependencies, recursion, closures.

The functions compiled here are defined in this file, so their tags must be this file's
absolute line and column numbers, also for indented (nested, decorated) definitions.
"""

from __future__ import annotations

import dataclasses
import inspect
import types

import numpy as np
import pytest

from jetlag.runtime.frontend import CompiledSource, compile_function, compile_source
from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable

ALPHA = 0.5
OFFSET = np.float64(1.5)


def fake_physl(fn):
    """What the @physl decorator's result exposes to the frontend."""
    return types.SimpleNamespace(__physl_python_function__=fn)


def spot(fn, needle: str, nth: int = 0) -> tuple[int, int]:
    """Absolute (line, col) of the nth `needle` in fn's source."""
    fn = getattr(fn, "__physl_python_function__", fn)
    lines, start = inspect.getsourcelines(fn)
    found = -1
    for offset, line in enumerate(lines):
        col = line.find(needle)
        while col >= 0:
            found += 1
            if found == nth:
                return start + offset, col
            col = line.find(needle, col + 1)
    raise AssertionError(f"{needle!r} not in {fn.__name__}")


def at(node: Node) -> tuple[int, int]:
    assert node.loc is not None and node.loc.tagged
    return node.loc.line, node.loc.col


def calls(node: Node, name: str) -> list[Call]:
    return [n for n in node.walk() if isinstance(n, Call) and n.name == name]


def defined_names(compiled: CompiledSource) -> list[str]:
    return [d.args[0].name for d in compiled.program.body]


def scale(v):
    return v * ALPHA


@fake_physl
def decorated_helper(v):
    return scale(v) + OFFSET


def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)


def top(x):
    y = decorated_helper(x)
    z = scale(y)
    return fact(3) * z


def is_even(n):
    if n == 0:
        return True
    return is_odd(n - 1)


def is_odd(n):
    if n == 0:
        return False
    return is_even(n - 1)


def dot(a, b):
    return a


def calls_user_dot(x):
    return dot(x, x) + np.dot(x, x)


alias_of_scale = scale


def uses_alias(x):
    return alias_of_scale(x) + scale(x)


def squared(v):
    return v * v


halve = lambda v: v / 2  # noqa: E731  (a global lambda is compiled as a dependency)


def uses_lambda(x):
    return halve(squared(x))


def compile_now(fn):
    """Compile at decoration time, as @physl does: the function's own name and the
    functions defined further down the file are not bound yet."""
    fn.compiled_at_definition = compile_function(fn)
    return fn


@compile_now
def countdown(n):
    if n <= 0:
        return defined_later(n)
    return countdown(n - 1)


def defined_later(n):
    return n + 1


def rebinds_itself(n):
    return rebinds_itself(n - 1)


rebinds_itself_first = rebinds_itself


def rebinds_itself(n):  # noqa: F811  (a notebook cell run twice does this)
    return n


def test_compiled_at_decoration_time():
    compiled = countdown.compiled_at_definition
    assert compiled.entry == "countdown"
    assert compiled.dependencies == ("defined_later",)
    later = compiled.program.body[0]
    assert at(later) == spot(defined_later, "def defined_later")
    assert [c.name for c in calls(compiled.program.body[1], "countdown")] == ["countdown"]


def test_own_name_means_the_function_itself():
    compiled = compile_function(rebinds_itself_first)
    assert compiled.dependencies == ()
    (recursive,) = calls(compiled.program, "rebinds_itself")
    assert at(recursive) == spot(rebinds_itself_first, "rebinds_itself(n - 1)")


def test_compiled_source_fields():
    compiled = compile_function(scale)
    assert dataclasses.is_dataclass(compiled)
    with pytest.raises(dataclasses.FrozenInstanceError):
        compiled.entry = "x"  # type: ignore[misc]
    assert compiled.entry == "scale"
    assert compiled.dependencies == ()
    assert compiled.filename == __file__
    assert compiled.program.source_file == __file__
    line, _ = spot(scale, "def scale")
    assert compiled.program.source_line(line) == "def scale(v):"


def test_module_level_positions_are_absolute():
    define = compile_function(scale).program.body[0]
    assert at(define) == spot(scale, "def scale")
    assert at(define.args[0]) == spot(scale, "scale")
    assert at(define.args[1]) == spot(scale, "v")
    product = define.args[-1].args[-1]
    assert product.name == "__mul"
    assert at(product) == spot(scale, "v * ALPHA")
    assert product.args[1] == Literal(0.5)


def test_indented_decorated_nested_function_keeps_absolute_columns():
    @fake_physl
    def inner(x, y):
        total = x + y
        return np.exp(total)

    define = compile_function(inner).program.body[0]
    assert at(define) == spot(inner, "def inner")
    assert at(define)[1] == 4
    assert at(define.args[0]) == spot(inner, "inner(x")
    assert at(define.args[2]) == spot(inner, "y)")
    first = define.args[-1].args[0]
    assert first.name == "define"
    assert at(first) == at(first.args[0]) == spot(inner, "total =")
    (exp,) = calls(define, "exp")
    assert at(exp) == spot(inner, "np.exp")
    assert at(exp.args[0]) == spot(inner, "total)")


def test_closure_scalars_are_captured():
    def make(k):
        def g(x):
            return x * k

        return g

    define = compile_function(make(3.0)).program.body[0]
    assert define.args[-1].args[-1].args[1] == Literal(3.0)


def test_dependencies_compiled_once_callees_first():
    compiled = compile_function(top)
    assert compiled.entry == "top"
    assert compiled.dependencies == ("scale", "decorated_helper", "fact")
    assert defined_names(compiled) == ["scale", "decorated_helper", "fact", "top"]
    assert dict(compiled.origins) == {name: __file__ for name in defined_names(compiled)}
    helper = compiled.program.body[1]
    assert helper.args[-1].args[-1].args[1] == Literal(1.5)  # numpy scalar global
    assert [c.name for c in calls(compiled.program.body[-1], "decorated_helper")] == [
        "decorated_helper"
    ]


def test_recursion_calls_itself_by_name():
    compiled = compile_function(fact)
    assert compiled.dependencies == ()
    (recursive,) = calls(compiled.program, "fact")
    assert at(recursive) == spot(fact, "fact(n - 1)")


def test_mutual_recursion():
    compiled = compile_function(is_even)
    assert compiled.dependencies == ("is_odd",)
    assert calls(compiled.program.body[0], "is_even")
    assert calls(compiled.program.body[1], "is_odd")


def test_decorated_entry_is_unwrapped():
    compiled = compile_function(decorated_helper)
    assert compiled.entry == "decorated_helper"
    assert compiled.dependencies == ("scale",)


def test_aliases_of_one_function_share_its_define():
    compiled = compile_function(uses_alias)
    assert compiled.dependencies == ("alias_of_scale",)
    names = [c.name for c in compiled.program.body[-1].walk() if isinstance(c, Call)]
    assert names.count("alias_of_scale") == 2


def test_user_function_named_like_a_primitive_is_renamed():
    compiled = compile_function(calls_user_dot)
    assert compiled.dependencies == ("dot_1",)
    total = compiled.program.body[-1].args[-1].args[-1]
    assert [a.name for a in total.args] == ["dot_1", "dot"]


def test_global_lambda_dependency():
    compiled = compile_function(uses_lambda)
    assert compiled.dependencies == ("halve", "squared")
    halve_define = compiled.program.body[0]
    assert halve_define.args[0] == Variable("halve", loc=halve_define.args[0].loc)
    assert halve_define.args[-1].name == "__div"


SOURCE = """\
import numpy as np

RATE = 0.1


def helper(v):
    return v * RATE


def main(x):
    return np.sum(helper(x))
"""


def test_compile_source_with_text_dependencies_and_first_line():
    compiled = compile_source(SOURCE, "cell.py", "main", {}, first_line=20)
    assert compiled.entry == "main"
    assert compiled.dependencies == ("helper",)
    helper, main = compiled.program.body
    assert at(helper) == (25, 0)
    assert helper.args[-1].args[-1].args[1] == Literal(0.1)
    assert at(main) == (29, 0)
    assert at(main.args[-1].args[-1]) == (30, 11)
    assert compiled.program.source_line(29) == "def main(x):"
    assert compiled.program.source_file == "cell.py"


def test_compile_source_of_indented_text_keeps_columns():
    text = "    def method(x):\n        return x.T\n"
    define = compile_source(text, "k.py", "method", {}, first_line=7).program.body[0]
    assert at(define) == (7, 4)
    assert at(define.args[0]) == (7, 8)
    assert at(define.args[-1].args[-1]) == (8, 15)


def test_compile_source_non_ascii_columns_are_characters():
    text = "def f(x):\n    s = 'é'; y = x\n    return y\n"
    define = compile_source(text, "u.py", "f", {}).program.body[0]
    second = define.args[-1].args[1]
    assert second.name == "define" and at(second) == (2, 13)
