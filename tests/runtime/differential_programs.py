"""Differential testing of JetLag against plain NumPy: the comparison rule and program generators.

`check_function(fn, args)` runs a function three ways -- plain Python with NumPy,
`physl(fn, optimize=False)` and `physl(fn)` (every pass on) -- on copies of the arguments and
fails with the program, the arguments and the three outcomes unless JetLag matches NumPy in
value, dtype, scalar type, the argument arrays after the call and the errors raised
(`same_error`). The Hypothesis strategies below generate small programs as source text
(`Program`); `check_program` writes each to a module file, imports it and checks it the same
way. This module must not change what it compares: tolerances come only from a `Tolerance`
that a generator names explicitly.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import math
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from jetlag import physl
from jetlag.runtime.errors import PhySLRuntimeError

# ---------------------------------------------------------------------------------------------
# The comparison rule
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tolerance:
    """How far float results may be from NumPy's, and why (printed with every failure).

    Only for results whose operations may legitimately round differently: transcendental
    functions (Numba calls the C library, NumPy its own SIMD loops), sums and dot products
    whose order may differ, an LU solve standing for `inv(A) @ b`. Integers, bools and
    every program without a Tolerance compare exactly. A float value passes when
    |got - expected| <= rtol * (|expected| + scale) + atol, with rtol by the result's dtype
    (rtol32 for float32 and smaller, rtol64 otherwise) and `scale` the sum of |terms| of a
    reordered sum; infinities and nan positions must still match exactly.
    """

    reason: str
    rtol64: float = 1e-12
    rtol32: float = 1e-5
    atol: float = 0.0
    scale: float = 0.0

    def bounds(self, dtype: np.dtype) -> tuple[float, float]:
        """(rtol, atol) for results of `dtype`."""
        rtol = self.rtol32 if dtype.itemsize <= 4 else self.rtol64
        return rtol, self.atol + rtol * self.scale


#: Transcendental functions (exp, sqrt, float powers): an ulp or two apart.
TRANSCENDENTAL = Tolerance("transcendental functions may differ by an ulp")
#: An LU solve replacing inv(A) @ b differs by about cond(A) * eps (A is well conditioned here).
LU_SOLVE = Tolerance("LU solve instead of inv(A) @ b", rtol64=1e-10, rtol32=1e-4, atol=1e-12)
#: The same where NumPy inverts in float32 (A is float32, the result float64 from a float b).
LU_SOLVE_FLOAT32 = Tolerance(
    "LU solve instead of a float32 inv(A) @ b", rtol64=1e-5, rtol32=1e-4, atol=1e-6
)


def summation_tolerance(magnitude: float) -> Tolerance:
    """Sums and dot products in another order: off by about eps * log(n) * sum of |terms|.

    `magnitude` is the sum of the absolute values of the finite terms (the generator computes
    it from the data); float64 results may be off by 1e-12 of it, float32 ones by 1e-5 (a
    float32 sum accumulated one term after another is off by far more).
    """
    scale = magnitude if math.isfinite(magnitude) else 0.0
    return Tolerance(
        f"summation order may differ (sum of |terms| = {scale:.3g})",
        rtol64=1e-12,
        rtol32=1e-5,
        scale=scale,
    )


def same_error(got: BaseException, expected: BaseException) -> bool:
    """Whether JetLag's error stands for the one plain Python raised.

    The one place the error rule is written (tighten it here): a PhySLRuntimeError that is
    itself an instance of the original exception's type, or whose cause (`__cause__` or
    `.cause`) is.
    """
    if not isinstance(got, PhySLRuntimeError):
        return False
    wanted = type(expected)
    causes = (got, got.__cause__, getattr(got, "cause", None))
    return any(isinstance(cause, wanted) for cause in causes)


@dataclass
class Outcome:
    """What one run did: its value or its error, and the arguments as they were afterwards."""

    label: str
    value: Any = None
    error: BaseException | None = None
    arguments: tuple[Any, ...] = ()
    stdout: str = ""

    def describe(self) -> str:
        if self.error is not None:
            return describe_error(self.error)
        return describe_value(self.value)


def describe_error(error: BaseException) -> str:
    text = f"raised {type(error).__name__}: {_first_line(str(error))}"
    cause = getattr(error, "cause", None) or error.__cause__
    if cause is not None:
        text += f" (cause {type(cause).__name__}: {_first_line(str(cause))})"
    return text


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 160 else line[:157] + "..."


def describe_value(value: Any) -> str:
    """A value in one line: its type, dtype and shape, and its elements when few."""
    if isinstance(value, np.ndarray):
        body = np.array2string(value, threshold=24, edgeitems=4, max_line_width=10**6)
        return f"ndarray {value.dtype} {value.shape} {' '.join(body.split())}"
    if isinstance(value, tuple):
        return "(" + ", ".join(describe_value(item) for item in value) + ")"
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    if isinstance(value, np.generic):
        return text
    return f"{_type_name(value)} {text}"


def _type_name(value: Any) -> str:
    """`int`, `float`, `np.float64`, `np.bool` (NumPy's own types named as such)."""
    kind = type(value)
    return f"np.{kind.__name__}" if kind.__module__ == "numpy" else kind.__name__


def value_mismatch(got: Any, expected: Any, tolerance: Tolerance | None) -> str | None:
    """Why `got` is not NumPy's `expected` (None when it is)."""
    if type(got) is not type(expected):
        return f"type {_type_name(got)}, NumPy gives {_type_name(expected)}"
    if isinstance(expected, tuple | list):
        if len(got) != len(expected):
            return f"length {len(got)}, NumPy gives {len(expected)}"
        for index, (item, wanted) in enumerate(zip(got, expected, strict=True)):
            why = value_mismatch(item, wanted, tolerance)
            if why is not None:
                return f"item {index}: {why}"
        return None
    if isinstance(expected, np.ndarray | np.generic):
        if got.dtype != expected.dtype:
            return f"dtype {got.dtype}, NumPy gives {expected.dtype}"
        if np.shape(got) != np.shape(expected):
            return f"shape {np.shape(got)}, NumPy gives {np.shape(expected)}"
        return _elements_mismatch(np.asarray(got), np.asarray(expected), tolerance)
    if isinstance(expected, bool | int | float | complex):
        return _elements_mismatch(np.asarray(got), np.asarray(expected), tolerance)
    if got != expected:
        return f"{got!r}, NumPy gives {expected!r}"
    return None


def _elements_mismatch(
    got: np.ndarray, expected: np.ndarray, tolerance: Tolerance | None
) -> str | None:
    if got.dtype == object or expected.dtype == object:  # Python ints beyond int64
        same = got.shape == expected.shape and bool(np.all(got == expected))
        return None if same else f"{got.tolist()!r}, NumPy gives {expected.tolist()!r}"
    inexact = np.issubdtype(expected.dtype, np.inexact)
    if tolerance is not None and inexact:
        rtol, atol = tolerance.bounds(expected.dtype)
        close = np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
        kind = f"beyond rtol {rtol:g}, atol {atol:g} ({tolerance.reason})"
    else:
        close = got == expected
        if inexact:
            close = close | (np.isnan(got) & np.isnan(expected))
        kind = "exact comparison"
    close = np.asarray(close)
    if bool(close.all()):
        return None
    wrong = np.flatnonzero(~close.reshape(-1))
    first = int(wrong[0])
    place = np.unravel_index(first, expected.shape) if expected.ndim else ()
    return (
        f"{wrong.size} of {expected.size} element(s) differ ({kind}); first at index "
        f"{tuple(int(i) for i in place)}: {got.reshape(-1)[first]!r}, NumPy gives "
        f"{expected.reshape(-1)[first]!r}"
    )


def outcome_mismatches(got: Outcome, expected: Outcome, tolerance: Tolerance | None) -> list[str]:
    """Every way `got` differs from plain NumPy's `expected` (result, error, arguments)."""
    found = []
    if expected.error is not None:
        if got.error is None:
            found.append(f"NumPy raises {type(expected.error).__name__}, this returned a value")
        elif not same_error(got.error, expected.error):
            found.append(
                f"NumPy raises {type(expected.error).__name__}, this raised "
                f"{type(got.error).__name__} (cause "
                f"{type(getattr(got.error, 'cause', None) or got.error.__cause__).__name__})"
            )
    elif got.error is not None:
        found.append("NumPy returns a value, this raised")
    else:
        why = value_mismatch(got.value, expected.value, tolerance)
        if why is not None:
            found.append(f"result: {why}")
    if expected.error is None and got.error is None:
        for index, (after, wanted) in enumerate(
            zip(got.arguments, expected.arguments, strict=True)
        ):
            why = value_mismatch(after, wanted, tolerance)
            if why is not None:
                found.append(f"argument {index} after the call: {why}")
    if tolerance is None and got.stdout != expected.stdout:
        found.append(f"printed {got.stdout[-300:]!r}, NumPy printed {expected.stdout[-300:]!r}")
    return found


def copy_argument(value: Any) -> Any:
    """A fresh copy of a mutable argument (arrays); scalars are immutable."""
    return value.copy() if isinstance(value, np.ndarray) else value


def run_once(label: str, fn: Callable[..., Any], arguments: Sequence[Any]) -> Outcome:
    """Call `fn` on copies of `arguments`, warnings silenced (NumPy's warnings are not errors)."""
    copies = tuple(copy_argument(value) for value in arguments)
    printed = io.StringIO()  # what the call prints is compared too
    with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
        warnings.simplefilter("ignore")
        try:
            value = fn(*copies)
        except Exception as error:  # noqa: BLE001 -- every error is an outcome to compare
            return Outcome(label, error=error, arguments=copies, stdout=printed.getvalue())
    return Outcome(label, value=value, arguments=copies, stdout=printed.getvalue())


@dataclass
class Compiled:
    """A Python function and its two JetLag compilations (or the error compiling raised)."""

    python: Callable[..., Any]
    unoptimized: Any
    optimized: Any


_compiled_by_key: dict[Any, Compiled] = {}


def compiled(fn: Callable[..., Any], key: Any = None) -> Compiled:
    """`fn` with physl(fn, optimize=False) and physl(fn), made once per key (or function)."""
    key = key if key is not None else fn
    found = _compiled_by_key.get(key)
    if found is None:
        made = []
        for optimize in (False, True):
            try:
                made.append(physl(fn, optimize=optimize))
            except Exception as error:  # noqa: BLE001 -- reported as that run's outcome
                made.append(error)
        found = _compiled_by_key[key] = Compiled(fn, made[0], made[1])
    return found


def run_three_ways(functions: Compiled, arguments: Sequence[Any]) -> list[Outcome]:
    """The outcomes of plain NumPy, physl(optimize=False) and physl (optimized), in order."""
    outcomes = [run_once("numpy", functions.python, arguments)]
    for label, made in (
        ("physl(optimize=False)", functions.unoptimized),
        ("physl (optimized)", functions.optimized),
    ):
        if isinstance(made, Exception):
            outcomes.append(Outcome(label, error=made, arguments=tuple(arguments)))
        else:
            outcomes.append(run_once(label, made, arguments))
    return outcomes


def mismatch_report(
    source: str,
    argument_lines: Sequence[str],
    outcomes: Sequence[Outcome],
    tolerance: Tolerance | None,
) -> str | None:
    """The failure message (program, arguments, three outcomes, differences), or None."""
    expected = outcomes[0]
    problems = [
        f"{outcome.label}: {why}"
        for outcome in outcomes[1:]
        for why in outcome_mismatches(outcome, expected, tolerance)
    ]
    if not problems:
        return None
    lines = ["JetLag differs from plain NumPy", "--- program ---", source.rstrip()]
    lines += ["--- arguments ---", *argument_lines]
    lines.append(f"--- tolerance: {tolerance.reason if tolerance else 'exact'} ---")
    lines.append("--- outcomes ---")
    for outcome in outcomes:
        lines.append(f"{outcome.label:>22}: {outcome.describe()}")
        if expected.error is None and outcome.error is None:
            for index, after in enumerate(outcome.arguments):
                if isinstance(after, np.ndarray):
                    lines.append(f"{'':>22}  argument {index} after: {describe_value(after)}")
    lines += ["--- differences ---", *problems]
    return "\n".join(lines)


def check_function(
    fn: Callable[..., Any], *arguments: Any, tolerance: Tolerance | None = None
) -> None:
    """Assert that JetLag runs `fn(*arguments)` exactly as plain NumPy does (see module doc)."""
    import inspect

    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        source = repr(fn)
    outcomes = run_three_ways(compiled(fn), arguments)
    lines = [f"argument {i}: {describe_value(value)}" for i, value in enumerate(arguments)]
    report = mismatch_report(source, lines, outcomes, tolerance)
    if report is not None:
        raise AssertionError(report)


# ---------------------------------------------------------------------------------------------
# Arguments: reproducible from a short spec, printed as code
# ---------------------------------------------------------------------------------------------

DTYPES = ("bool", "uint8", "int32", "int64", "float32", "float64")
#: Dtypes drawn for arrays; the generated kernels read float64/int64/bool, so those come twice.
ARRAY_DTYPES = ("bool", "uint8", "int32", "int64", "int64", "float32", "float64", "float64")
#: Where an example's array dtypes come from: one kernel dtype for all (the generated kernels
#: run only on float64/int64/bool arrays), a mix of those, or any dtype.
DTYPE_POOLS = (("bool",), ("int64",), ("float64",), ("bool", "int64", "float64"), ARRAY_DTYPES)

_NAN, _INF = float("nan"), float("inf")


def special_values(dtype: str) -> tuple[Any, ...]:
    """The values injected into arrays of `dtype`: zeros, -1, negatives, limits, nan, inf."""
    if dtype == "bool":
        return (True, False)
    if dtype == "uint8":
        return (0, 1, 128, 255)
    if dtype in ("int32", "int64"):
        info = np.iinfo(dtype)
        extra = (2**53 + 1,) if dtype == "int64" else ()
        return (0, -1, -7, int(info.max), int(info.min), *extra)
    info = np.finfo(dtype)
    return (0.0, -0.0, -1.0, -7.5, _NAN, _INF, -_INF, float(info.max), float(info.tiny))


def make_array(
    dtype: str,
    shape: tuple[int, ...],
    seed: int,
    specials: tuple[tuple[int, Any], ...] = (),
    fill: str = "grid",
) -> np.ndarray:
    """A reproducible array: `fill` values from `seed`, then `specials` at flat indices.

    fill "grid": ints 0..4 (so `**` mostly works; negatives come from specials), floats
    multiples of 0.25 in [-2, 2] (sums of them are exact in any order); "normal": standard
    normal floats (ints as grid); "sparse": grid values with about 70% zeros (weights);
    "dominant": a square matrix with a dominant diagonal (well conditioned).
    """
    rng = np.random.default_rng(seed)
    kind = np.dtype(dtype)
    if kind == np.bool_:
        values: np.ndarray = rng.random(shape) < 0.5
    elif kind.kind in "iu":
        values = rng.integers(0, 5, size=shape)
    elif fill == "normal":
        values = rng.standard_normal(shape)
    else:
        values = rng.integers(-8, 9, size=shape) / 4.0
    if fill == "sparse":
        values = np.where(rng.random(shape) < 0.7, 0, values)
    if fill == "dominant":
        values = values + np.eye(shape[0], shape[1]) * (4.0 * shape[0])
    array = np.asarray(values).astype(kind)
    flat = array.reshape(-1)
    for index, value in specials:
        flat[index] = value
    return array


def _float_code(value: float) -> str:
    return repr(value) if math.isfinite(value) else f"float('{value}')"


@dataclass(frozen=True)
class ArrayArg:
    """An array argument as `make_array(dtype, shape, seed, specials, fill)`."""

    dtype: str
    shape: tuple[int, ...]
    seed: int
    specials: tuple[tuple[int, Any], ...] = ()
    fill: str = "grid"

    def build(self) -> np.ndarray:
        return make_array(self.dtype, self.shape, self.seed, self.specials, self.fill)

    def code(self) -> str:
        specials = ", ".join(
            f"({i}, {_float_code(v) if isinstance(v, float) else repr(v)})"
            for i, v in self.specials
        )
        comma = "," if len(self.specials) == 1 else ""
        return (
            f"make_array({self.dtype!r}, {self.shape!r}, {self.seed}, ({specials}{comma}), "
            f"{self.fill!r})"
        )


@dataclass(frozen=True)
class ScalarArg:
    """A scalar argument: a Python bool/int/float or a NumPy scalar (`kind` its type's name)."""

    kind: str
    value: Any

    def build(self) -> Any:
        if self.kind in ("int", "float", "bool"):
            return self.value
        return getattr(np, self.kind)(self.value)

    def code(self) -> str:
        text = _float_code(self.value) if isinstance(self.value, float) else repr(self.value)
        return text if self.kind in ("int", "float", "bool") else f"np.{self.kind}({text})"


Argument = ArrayArg | ScalarArg


@dataclass(frozen=True)
class Program:
    """A generated program: module source defining `f`, its arguments, and its tolerance."""

    family: str
    source: str
    arguments: tuple[tuple[str, Argument], ...]
    tolerance: Tolerance | None = None

    def argument_lines(self) -> list[str]:
        lines = [f"{name} = {arg.code()}" for name, arg in self.arguments]
        return lines + ["# make_array is tests/runtime/differential_programs.make_array"]


def load_program(program: Program, directory: Path) -> Compiled:
    """The program's `f` imported from a module file under `directory` (once per source)."""
    digest = hashlib.sha1(program.source.encode()).hexdigest()[:16]
    key = ("program", program.source)
    if key not in _compiled_by_key:
        name = f"differential_{digest}"
        path = directory / f"{name}.py"
        path.write_text(program.source)
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        compiled(module.f, key)
    return _compiled_by_key[key]


def check_program(program: Program, directory: Path) -> None:
    """Assert that the generated program runs the same three ways (see module doc)."""
    functions = load_program(program, directory)
    arguments = [arg.build() for _, arg in program.arguments]
    outcomes = run_three_ways(functions, arguments)
    report = mismatch_report(program.source, program.argument_lines(), outcomes, program.tolerance)
    if report is not None:
        raise AssertionError(f"[{program.family}]\n{report}")


def module_source(params: Sequence[str], body: Sequence[str]) -> str:
    """A module defining `def f(params): body` (body lines already indented by 4)."""
    return "import numpy as np\n\n\ndef f({}):\n{}\n".format(", ".join(params), "\n".join(body))


# ---------------------------------------------------------------------------------------------
# Argument strategies
# ---------------------------------------------------------------------------------------------

SCALAR_KINDS = ("int", "float", "bool", "int64", "int32", "uint8", "float64", "float32", "bool_")


def scalar_values(kind: str) -> tuple[Any, ...]:
    """The values a scalar parameter of `kind` takes: small ones, zeros and the limits."""
    if kind in ("bool", "bool_"):
        return (True, False)
    if kind == "int":
        return (0, 1, -1, 2, 3, -7, 2**62, 2**63)
    if kind == "float":
        return (0.0, -0.0, 1.5, -2.5, _NAN, _INF, -_INF, 1e308)
    small = (2, 3) if kind in ("int64", "int32", "uint8") else (1.5, 2.0, -2.5)
    return small + special_values(kind)


@st.composite
def array_args(
    draw: st.DrawFn, dtype: str, shape: tuple[int, ...], max_specials: int = 4, fill: str = "grid"
) -> ArrayArg:
    """An array of `dtype` and `shape` with up to `max_specials` special values anywhere."""
    size = math.prod(shape)
    seed = draw(st.integers(0, 999))
    specials = draw(
        st.lists(
            st.tuples(st.integers(0, size - 1), st.sampled_from(special_values(dtype))),
            max_size=max_specials,
            unique_by=lambda pair: pair[0],
        )
    )
    return ArrayArg(dtype, shape, seed, tuple(sorted(specials, key=lambda pair: pair[0])), fill)


@st.composite
def scalar_args(draw: st.DrawFn) -> ScalarArg:
    kind = draw(st.sampled_from(SCALAR_KINDS))
    return ScalarArg(kind, draw(st.sampled_from(scalar_values(kind))))


# ---------------------------------------------------------------------------------------------
# Family 1: elementwise expressions
# ---------------------------------------------------------------------------------------------

ARITHMETIC = ("+", "-", "*", "/", "//", "%", "**")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
LITERALS = ("0", "1", "2", "3", "(-1)", "0.5", "2.5", "(-0.0)", "True")
#: `**` takes only these or an array as its exponent: a Python int to a huge power never ends.
EXPONENT_LITERALS = ("0", "1", "2", "3", "(-1)", "(-2)", "0.5")
UNARY_CALLS = ("np.exp", "np.abs", "np.sqrt")
BINARY_CALLS = ("np.maximum", "np.minimum")
#: Operations whose float results get the TRANSCENDENTAL tolerance.
TRANSCENDENTAL_MARKERS = ("np.exp", "np.sqrt", "**")

#: Shapes below and above the fused-kernel threshold (fused_map.FUSE_MIN_ELEMENTS = 16384).
SMALL_SHAPES = ((7,), (3, 4))
LARGE_SHAPES = ((16384 + 5,), (129, 128))


@st.composite
def expressions(
    draw: st.DrawFn,
    depth: int,
    arrays: tuple[str, ...],
    others: tuple[str, ...],
    root: bool = True,
) -> str:
    """A fully parenthesized elementwise expression of at most `depth` operator levels.

    Leaves are array names (three in five), other names (scalar parameters, earlier
    results) or literals.
    """
    if depth == 0 or (not root and draw(st.integers(0, 3)) == 0):
        leaf = draw(st.sampled_from(("array", "array", "array", "other", "literal")))
        if leaf == "other" and others:
            return draw(st.sampled_from(others))
        return draw(st.sampled_from(arrays if leaf == "array" else LITERALS))

    def operand() -> str:
        return draw(expressions(depth - 1, arrays, others, root=False))

    kind = draw(st.sampled_from(("arithmetic",) * 5 + ("compare", "negate", "call1", "call2")))
    if kind == "arithmetic":
        op = draw(st.sampled_from(ARITHMETIC))
        left = operand()
        right = draw(st.sampled_from(arrays + EXPONENT_LITERALS)) if op == "**" else operand()
        return f"({left} {op} {right})"
    if kind == "compare":
        return f"({operand()} {draw(st.sampled_from(COMPARISONS))} {operand()})"
    if kind == "negate":
        return f"(-{operand()})"
    if kind == "call1":
        return f"{draw(st.sampled_from(UNARY_CALLS))}({operand()})"
    return f"{draw(st.sampled_from(BINARY_CALLS))}({operand()}, {operand()})"


@st.composite
def elementwise_programs(
    draw: st.DrawFn, shapes: tuple[tuple[int, ...], ...], arrays_only: bool = False
) -> Program:
    """`return <expr>` (or `u = <expr>; return <expr of u>`) over 1-3 arrays of one shape
    and 0-2 scalar parameters, every dtype, specials at random positions. With
    `arrays_only` the returned expression always involves an array (at fused sizes a
    scalar-only program tests nothing the small ones do not)."""
    shape = draw(st.sampled_from(shapes))
    arrays = ("a", "b", "c")[: draw(st.integers(1, 3))]
    scalars = ("s", "t")[: draw(st.integers(0, 2))]
    depth = draw(st.integers(1, 4))
    if draw(st.booleans()):
        first = draw(expressions(max(1, depth - 1), arrays, scalars))
        second = draw(expressions(depth, arrays + ("u",), scalars))
        if not re.search(r"\bu\b", second):  # an unused definition may be dropped (README)
            second = f"({second} {draw(st.sampled_from(ARITHMETIC[:3]))} u)"
        body = [f"    u = {first}", f"    return {second}"]
    else:
        body = [f"    return {draw(expressions(depth, arrays, scalars))}"]
    if arrays_only and not re.search(r"\b[abcu]\b", body[-1]):
        body[-1] = (
            f"    return ({body[-1].split('return ', 1)[1]} {draw(st.sampled_from(ARITHMETIC[:3]))} a)"
        )
    text = "\n".join(body)
    pool = draw(st.sampled_from(DTYPE_POOLS))
    arguments = tuple(
        (name, draw(array_args(draw(st.sampled_from(pool)), shape))) for name in arrays
    ) + tuple((name, draw(scalar_args())) for name in scalars)
    tolerance = TRANSCENDENTAL if any(m in text for m in TRANSCENDENTAL_MARKERS) else None
    return Program("elementwise", module_source(arrays + scalars, body), arguments, tolerance)


# ---------------------------------------------------------------------------------------------
# Family 2: reductions
# ---------------------------------------------------------------------------------------------

REDUCTIONS = ("np.sum", "np.mean", "np.max", "np.min", "np.prod")
#: What is reduced: the argument or a simple elementwise function of it (text, NumPy meaning).
REDUCED: tuple[tuple[str, Callable[[np.ndarray], Any]], ...] = (
    ("x", lambda x: x),
    ("x", lambda x: x),
    ("x", lambda x: x),
    ("(x * 2)", lambda x: x * 2),
    ("np.abs(x)", np.abs),
    ("(x + 1)", lambda x: x + 1),
    ("(x > 1)", lambda x: x > 1),
)
#: Below and above the chunking threshold (parallel.MIN_CHUNK_ELEMENTS = 65536; with two or
#: more workers an array is split once it holds twice that).
SMALL_REDUCTION_SHAPES = ((7,), (5, 6))
LARGE_REDUCTION_SHAPES = ((2 * 65536 + 7,), (520, 256))


def _magnitude(values: Any) -> float:
    """Sum of |finite values| in float64 (the scale of a reordered sum's rounding)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        array = np.asarray(values, dtype=np.float64)
        return float(np.sum(np.abs(array[np.isfinite(array)])))


def _largest(values: np.ndarray) -> float:
    """The largest |finite value| (0.0 when there is none)."""
    array = np.asarray(values, dtype=np.float64)
    return float(np.max(np.abs(array[np.isfinite(array)]), initial=0.0))


@st.composite
def reduction_programs(draw: st.DrawFn, shapes: tuple[tuple[int, ...], ...]) -> Program:
    """`return np.<reduction>(<x or f(x)>[, axis=...])` over every dtype, with specials."""
    shape = draw(st.sampled_from(shapes))
    dtype = draw(st.sampled_from(DTYPES))
    fill = draw(st.sampled_from(("grid", "normal")))
    x = draw(array_args(dtype, shape, fill=fill))
    reduction = draw(st.sampled_from(REDUCTIONS))
    operand, meaning = draw(st.sampled_from(REDUCED))
    axes = (None, 0, -1) + ((1,) if len(shape) == 2 else ())
    axis = draw(st.sampled_from(axes))
    call = f"{reduction}({operand})" if axis is None else f"{reduction}({operand}, axis={axis})"
    tolerance = None
    if reduction in ("np.sum", "np.mean"):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            magnitude = _magnitude(meaning(x.build()))
        tolerance = summation_tolerance(
            magnitude / (math.prod(shape) if reduction == "np.mean" else 1)
        )
    elif reduction == "np.prod":
        tolerance = Tolerance("product order may differ", rtol64=1e-12, rtol32=1e-5)
    return Program(
        "reduction", module_source(("x",), [f"    return {call}"]), (("x", x),), tolerance
    )


# ---------------------------------------------------------------------------------------------
# Family 3: while loops with accumulators (the compile-loops pass)
# ---------------------------------------------------------------------------------------------

LOOP_INITS = ("0", "1", "1", "-1", "2", "0.0", "1.5", "True", "v[0]", "v[0]", "v[0]")
LOOP_OPS = ("+", "-", "*", "/", "//", "%", "**")
LOOP_TERMS = (
    "v[i]",
    "v[i]",
    "i",
    "(i + 1)",
    "2 ** (-i)",
    "3",
    "2",
    "0.5",
    "(v[i] * 2)",
    "(v[i] - i)",
)
#: `s ** term` only with these (a Python int to the power i! never ends).
LOOP_POWER_TERMS = ("v[i]", "0.5", "2 ** (-i)")
#: `s * term` favours growth: s = s * 3 or s * (i + 1) fifty times outgrows int64.
LOOP_PRODUCT_TERMS = ("3", "3", "(i + 1)", "v[i]", "2", "(v[i] * 2)")
LOOP_WRITES = ("v[i] = v[i] * 2", "v[i] = s", "v[i] = v[i] + i", "v[i] = -v[i]", "v[i] = v[i] / 2")
LOOP_LENGTH = 64


#: Prints a loop may hold (compiled, each calls back into Python when it runs).
LOOP_PRINTS = (
    "print(i, s)",
    "print(s)",
    "print(v[i])",
    "print('s =', s, v[i], sep='')",
    "print(s, end=' ')",
    "print()",
)


@st.composite
def loop_programs(draw: st.DrawFn, writes: bool, prints: bool = False) -> Program:
    """`i = 0; s = <init>; while i < n: [v[i] = ...;] s = s <op> <term>; i += 1` returning
    `s` or `s, v`, over an array v of every dtype (with specials) and a count n. With
    `prints`, the loop also prints (every iteration or some), compared byte for byte."""
    init = draw(st.sampled_from(LOOP_INITS))
    # Printed text is compared exactly, so no `**` (its results have a tolerance).
    op = draw(st.sampled_from(tuple(o for o in LOOP_OPS if not prints or o != "**")))
    terms = {"**": LOOP_POWER_TERMS, "*": LOOP_PRODUCT_TERMS}.get(op, LOOP_TERMS)
    term = draw(st.sampled_from(terms))
    step = draw(st.sampled_from(("i += 1", "i = i + 1")))
    body = ["    i = 0", f"    s = {init}", "    while i < n:"]
    if writes:
        write = draw(st.sampled_from(LOOP_WRITES))
        if draw(st.booleans()):
            body += [f"        {write}", f"        s = s {op} {term}"]
        else:
            body += [f"        s = s {op} {term}", f"        {write}"]
    else:
        body.append(f"        s = s {op} {term}")
    if prints:
        line = draw(st.sampled_from(LOOP_PRINTS))
        if draw(st.booleans()):
            body += ["        if i % 7 == 3:", f"            {line}"]
        else:
            body.append(f"        {line}")
    body.append(f"        {step}")
    body.append("    return s, v" if writes or draw(st.booleans()) else "    return s")
    dtype = draw(st.sampled_from(ARRAY_DTYPES))
    v = draw(array_args(dtype, (LOOP_LENGTH,), max_specials=3))
    n = draw(st.sampled_from((0, 1, 5, 50, 50, LOOP_LENGTH)))
    text = "\n".join(body)
    tolerance = TRANSCENDENTAL if "**" in text else None
    source = module_source(("v", "n"), body)
    family = "loop (in-place writes)" if writes else "loop (accumulator)"
    family += ", printing" if prints else ""
    return Program(family, source, (("v", v), ("n", ScalarArg("int", n))), tolerance)


# ---------------------------------------------------------------------------------------------
# Family 4: diag / inverse patterns (the algebra pass)
# ---------------------------------------------------------------------------------------------

DIAGONAL_PATTERNS = {
    "dot(A, diag(v))": (("A", "v"), ["    return np.dot(A, np.diag(v))"]),
    "dot(diag(v), A)": (("A", "v"), ["    return np.dot(np.diag(v), A)"]),
    "Yt diag(c) Y": (("Y", "c"), ["    return np.dot(np.dot(np.transpose(Y), np.diag(c)), Y)"]),
    "Yt diag(c) Y, statements": (
        ("Y", "c"),
        [
            "    C = np.diag(c)",
            "    YtC = np.dot(np.transpose(Y), C)",
            "    return np.dot(YtC, Y)",
        ],
    ),
}
WEIGHT_DTYPES = ("float64", "float64", "float32", "int64", "bool")
MATRIX_DTYPES = ("float64", "float64", "float32", "int64")
FLOAT_SPECIALS = (_NAN, _INF, -_INF)


@st.composite
def _specials_in_rows(
    draw: st.DrawFn, matrix_shape: tuple[int, int], rows: list[int], along_columns: bool
) -> tuple[tuple[int, Any], ...]:
    """nan/inf in the given rows (or columns) of a matrix: where the weight is zero."""
    if not rows:
        return ()
    chosen = draw(st.lists(st.sampled_from(rows), min_size=1, max_size=2))
    found = {}
    for line in chosen:
        other = draw(st.integers(0, matrix_shape[0 if along_columns else 1] - 1))
        row, col = (other, line) if along_columns else (line, other)
        found[row * matrix_shape[1] + col] = draw(st.sampled_from(FLOAT_SPECIALS))
    return tuple(sorted(found.items()))


@st.composite
def diagonal_programs(draw: st.DrawFn) -> Program:
    """Products with diag(v): sparse or dense weights, nan/inf where the weight is zero."""
    pattern = draw(st.sampled_from(sorted(DIAGONAL_PATTERNS)))
    params, body = DIAGONAL_PATTERNS[pattern]
    rows = draw(st.sampled_from((4, 7, 40)))
    cols = draw(st.sampled_from((3, 5)))
    weight_dtype = draw(st.sampled_from(WEIGHT_DTYPES))
    matrix_dtype = draw(st.sampled_from(MATRIX_DTYPES))
    fill = draw(st.sampled_from(("sparse", "sparse", "grid", "normal")))
    # The weight's length: A's columns for dot(A, diag(v)), else the matrix's rows.
    weighted = cols if pattern == "dot(A, diag(v))" else rows
    weights = draw(array_args(weight_dtype, (weighted,), max_specials=1, fill=fill))
    zero_lines = [int(i) for i in np.flatnonzero(weights.build() == 0)]
    specials: tuple[tuple[int, Any], ...] = ()
    if matrix_dtype.startswith("float") and draw(st.booleans()):
        specials = draw(_specials_in_rows((rows, cols), zero_lines, pattern == "dot(A, diag(v))"))
    matrix = ArrayArg(matrix_dtype, (rows, cols), draw(st.integers(0, 999)), specials, fill="grid")
    if fill == "normal":
        matrix = ArrayArg(matrix_dtype, (rows, cols), matrix.seed, specials, fill="normal")
    # |(Y^T diag(c) Y)[j, k]| <= rows * max|Y|^2 * max|c|: the scale of a reordered sum.
    magnitude = rows * _largest(matrix.build()) ** 2 * _largest(weights.build())
    tolerance = summation_tolerance(magnitude) if "Y" in params else None
    arguments = ((params[0], matrix), (params[1], weights))
    return Program(f"algebra: {pattern}", module_source(params, body), arguments, tolerance)


@st.composite
def inverse_programs(draw: st.DrawFn) -> Program:
    """`np.dot(np.linalg.inv(A), b)`: well-conditioned, singular or non-finite A."""
    n = draw(st.sampled_from((2, 3, 6)))
    dtype = draw(st.sampled_from(("float64", "float64", "float32", "int64")))
    kind = draw(st.sampled_from(("dominant", "dominant", "singular", "special")))
    seed = draw(st.integers(0, 999))
    specials: tuple[tuple[int, Any], ...] = ()
    if kind == "singular":  # a zero row
        row = draw(st.integers(0, n - 1))
        specials = tuple((row * n + j, 0) for j in range(n))
    elif kind == "special" and dtype.startswith("float"):
        specials = ((draw(st.integers(0, n * n - 1)), draw(st.sampled_from(FLOAT_SPECIALS))),)
    A = ArrayArg(dtype, (n, n), seed, specials, fill="dominant")
    b_shape = draw(st.sampled_from(((n,), (n, 2))))
    b = draw(array_args(draw(st.sampled_from(("float64", "int64"))), b_shape, max_specials=0))
    body = ["    return np.dot(np.linalg.inv(A), b)"]
    # NumPy inverts a float32 A in float32: its answer is only that precise.
    tolerance = LU_SOLVE_FLOAT32 if dtype == "float32" else LU_SOLVE
    arguments = (("A", A), ("b", b))
    return Program("algebra: dot(inv(A), b)", module_source(("A", "b"), body), arguments, tolerance)


# ---------------------------------------------------------------------------------------------
# Family 5: augmented assignment in place
# ---------------------------------------------------------------------------------------------

AUGMENTED_OPS = ("+=", "-=", "*=", "/=", "//=", "%=", "**=")
INPLACE_RETURNS = ("b", "a", "a, b", "b, a")


@st.composite
def inplace_programs(draw: st.DrawFn) -> Program:
    """`b = a; <target> <op>= <operand>; return ...` on arrays (whole, slices, elements) and
    scalars: NumPy changes an array argument in place, a scalar never."""
    array = draw(st.booleans())
    op = draw(st.sampled_from(AUGMENTED_OPS))
    shape = draw(st.sampled_from(((5,), (4, 3))))
    if array:
        targets = ("a", "a", "a[1:3]", "a[0]", "a[-1]") + (("a[:, 1]",) if len(shape) == 2 else ())
        target = draw(st.sampled_from(targets))
        a: Argument = draw(array_args(draw(st.sampled_from(DTYPES)), shape, max_specials=2))
    else:
        target = "a"
        a = draw(scalar_args())
    use_parameter = draw(st.booleans())
    if op == "**=":
        operand = draw(st.sampled_from(("v",) + EXPONENT_LITERALS)) if array else "2"
    else:
        operand = "v" if use_parameter else draw(st.sampled_from(LITERALS))
    if array and target == "a" and draw(st.booleans()):
        v: Argument = draw(array_args(draw(st.sampled_from(DTYPES)), shape, max_specials=2))
    elif op == "**=" and not array:
        v = ScalarArg("int", 2)
    else:
        v = draw(scalar_args())
    result = draw(st.sampled_from(INPLACE_RETURNS))
    body = ["    b = a", f"    {target} {op} {operand}", f"    return {result}"]
    tolerance = TRANSCENDENTAL if op == "**=" else None
    return Program(
        "augmented assignment", module_source(("a", "v"), body), (("a", a), ("v", v)), tolerance
    )
