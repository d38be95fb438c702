"""Generated Numba kernels (runtime/codegen): source, building, and the two fused primitives."""

from __future__ import annotations

import numpy as np
import pytest

from jetlag.runtime.codegen import build
from jetlag.runtime.codegen.emit import NotLowerable, literal_source
from jetlag.runtime.codegen.kernels import glm_source, lowerable, map_kernel, map_source
from jetlag.runtime.codegen.lowerings import numba_template
from jetlag.runtime.codegen.value_types import ValueType, python_scalar
from jetlag.runtime.ir.text import parse_physl
from jetlag.runtime.primitives import REGISTRY
from jetlag.runtime.primitives import fused_map as fused_map_module
from jetlag.runtime.primitives.parallel import use_runner
from jetlag.runtime.scheduler.scope import FunctionValue, Scope

fused_elementwise = REGISTRY["fused_elementwise"].impl
glm_gradient = REGISTRY["glm_gradient"].impl
N = fused_map_module.FUSE_MIN_ELEMENTS


def parts(text: str) -> tuple[tuple[str, ...], object]:
    (node,) = parse_physl(text).body
    return tuple(p.name for p in node.args[:-1]), node.args[-1]


def function(text: str) -> FunctionValue:
    names, body = parts(text)
    return FunctionValue("lambda", names, body, Scope(None))


class TwoWorkers:
    """Runs chunk bodies serially but asks primitives to split for two workers."""

    workers = 2

    def run_chunks(self, bodies):
        for body in reversed(bodies):
            body()


SIGMOID = "lambda(z, __div(1.0, __add(1.0, exp(__neg(z)))))"


def test_templates_live_on_the_registry_entries():
    assert numba_template("exp") == "np.exp({0})"
    assert numba_template("__add") == "({0} + {1})"
    assert numba_template("print") is None
    assert REGISTRY["exp"].extra["numba"] == "np.exp({0})"


def test_literals_are_numbers_only():
    assert literal_source(1.5) == "1.5"
    assert literal_source(float("nan")) == "np.nan"
    assert literal_source(float("-inf")) == "(-np.inf)"
    assert literal_source(True) == "True"
    with pytest.raises(NotLowerable, match="is not a number"):
        literal_source("import os")


F64, I64, BOOL = (ValueType("numpy", np.dtype(t)) for t in ("float64", "int64", "bool"))


def test_map_source_reads_arrays_per_element_and_scalars_whole():
    names, body = parts("lambda(a, b, __mul(__add(a, b), 2))")
    source, dtype = map_source(names, body, "as", [F64, python_scalar(float)])
    assert "value = ((p0[i] + p1) * np.float64(2))" in source and dtype == np.float64
    assert "__add(a, b)" in source.splitlines()[2]  # the PhySL it came from, as a docstring


def test_map_source_spells_each_operation_for_numpys_types():
    # bool + bool is logical or in NumPy (Numba would add integers); int ** int checks
    # for negative exponents (NumPy raises), through support routines.
    names, body = parts("lambda(a, b, __mul(__add(a, b), 2))")
    source, dtype = map_source(names, body, "aa", [BOOL, BOOL])
    assert (
        "value = np.int64(support_wrapping_mul(np.int64(np.logical_or(p0[i], p1[i])), 2))" in source
    )
    assert dtype == np.int64
    names, body = parts("lambda(a, b, __pow(__add(a, 1), b))")
    source, dtype = map_source(names, body, "aa", [I64, I64])
    assert (
        "support_int_power(np.int64(support_wrapping_add(p0[i], 1)), p1[i], np.int64(1))" in source
    )
    assert "from jetlag.runtime.codegen.support_exact import" in source


def test_glm_source_unrolls_four_rows():
    names, body = parts("lambda(z, y, __sub(z, y))")
    source, dtype = glm_source(names, body, "sa", [F64, F64])
    assert "e3 = (z3 - p1[r + 3])" in source and "support_rows_axpy4" in source


def test_what_has_no_spelling_is_not_lowerable():
    assert lowerable(*parts("lambda(a, exp(a))"))
    assert not lowerable(*parts("lambda(a, where(a, 1, 2))"))
    assert not lowerable(*parts('lambda(a, __add(a, "s"))'))


def test_generated_modules_are_files_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "_directory", tmp_path)
    source = '"""generated"""\nVALUE = 42\n'
    module = build.load_source(source)
    assert module.VALUE == 42
    written = tmp_path / f"jk_{build.source_digest(source)}.py"
    assert written.read_text() == source
    assert build.load_source(source) is module


def test_a_kernel_is_built_once_per_expression_layout_and_types():
    names, body = parts("lambda(a, b, __sub(__mul(a, b), 1.0))")
    built = map_kernel(names, body, "aa", [F64, F64])
    assert built is map_kernel(names, body, "aa", [F64, F64]) and built.dtype == np.float64
    assert map_kernel(names, body, "aa", [I64, F64]) is not built


@pytest.mark.parametrize(
    "text,values",
    [
        (SIGMOID, lambda r: (r.standard_normal(N),)),
        ("lambda(a, b, __sub(__mul(a, b), 1.0))", lambda r: (r.random(N), 3.0)),
        ("lambda(a, b, __add(__floordiv(a, b), 1))", lambda r: (r.integers(-9, 9, N), 4)),
        ("lambda(a, b, __bitand(__lt(a, 0.5), b))", lambda r: (r.random(N), r.random(N) < 0.5)),
        ("lambda(a, b, __div(__sub(a, a), b))", lambda r: (r.random(N), 0.0)),  # 0/0, NumPy's nan
    ],
)
def test_fused_elementwise_equals_numpy(text, values):
    rng = np.random.default_rng(7)
    operands = values(rng)
    names, body = parts(text)
    env = {"exp": np.exp, "__neg": np.negative, "__add": np.add, "__div": np.true_divide}
    env.update(__sub=np.subtract, __mul=np.multiply, __floordiv=np.floor_divide)
    env.update(__lt=np.less, __bitand=np.bitwise_and)
    with np.errstate(all="ignore"):
        want = _evaluate(body, dict(zip(names, operands, strict=True)), env)
    with use_runner(TwoWorkers()), np.errstate(all="ignore"):
        got = fused_elementwise(function(text), *operands)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-14, equal_nan=True)


def _evaluate(node, values, env):
    from jetlag.runtime.ir.nodes import Literal, Variable

    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Variable):
        return values[node.name]
    return env[node.name](*(_evaluate(a, values, env) for a in node.args))


def test_small_or_mixed_shape_operands_evaluate_as_written():
    f = function("lambda(a, b, __add(__mul(a, 2.0), b))")
    column, row = np.arange(3.0)[:, None], np.arange(4.0)[None, :]
    np.testing.assert_array_equal(fused_elementwise(f, column, row), column * 2.0 + row)
    small = np.arange(5.0)
    np.testing.assert_array_equal(fused_elementwise(f, small, 1.0), small * 2.0 + 1.0)
    as_float32 = np.ones(N, dtype=np.float32)
    result = fused_elementwise(f, as_float32, np.float32(1))
    assert result.dtype == np.float32  # NumPy's own rules, not the kernel's


def test_fused_elementwise_checks_its_arguments():
    from jetlag.runtime.errors import PrimitiveArgumentError

    with pytest.raises(PrimitiveArgumentError, match="takes 2 parameter"):
        fused_elementwise(function("lambda(a, b, __add(a, b))"), 1.0)


def test_compiled_glm_gradient_equals_numpy_for_every_operand_layout():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((203, 37))
    w = rng.standard_normal(37) * 0.1
    y = (rng.random(203) < 0.5).astype(np.int64)
    f = function("lambda(z, y, s, __mul(__sub(__div(1.0, __add(1.0, exp(__neg(z)))), y), s))")
    want = x.T @ ((1.0 / (1.0 + np.exp(-(x @ w))) - y) * 0.5)
    with use_runner(TwoWorkers()):
        got = glm_gradient(x, w, f, y, 0.5)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    boolean = glm_gradient(x, w, function("lambda(z, __gt(z, 0.0))"), *())
    np.testing.assert_allclose(boolean, x.T @ (x @ w > 0.0), rtol=1e-12)
