"""The public API: @physl, f.physl, f.tree, run_physl and the `jetlag physl` command."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jetlag
from jetlag import physl, run_physl
from jetlag.runtime.errors import PhySLRuntimeError, PhySLSyntaxError
from jetlag.runtime.ir.text import parse_physl


@physl
def scaled_sum(a, b, alpha):
    c = a + alpha * b
    return c.sum(axis=0)


def test_decorated_function_equals_numpy():
    a, b = np.arange(12.0).reshape(3, 4), np.ones((3, 4))
    np.testing.assert_array_equal(scaled_sum(a, b, 2.0), (a + 2.0 * b).sum(axis=0))
    assert scaled_sum.__name__ == "scaled_sum"
    assert scaled_sum.__doc__ is None


def test_physl_text_is_tagged_and_round_trips():
    text = scaled_sum.physl
    first_line = scaled_sum.__wrapped__.__code__.co_firstlineno + 1  # the def (after @physl)
    assert text.startswith(f"define${first_line}$0(\n    scaled_sum${first_line}$4,\n")
    assert "__mul$" in text and "sum$" in text
    from jetlag.runtime.ir.text import print_physl

    assert print_physl(parse_physl(text)) == text
    # and the printed PhySL runs by itself with the same result
    a, b = np.ones((2, 2)), np.ones((2, 2))
    np.testing.assert_array_equal(run_physl(text, a, b, 3.0), scaled_sum(a, b, 3.0))


def test_tree_exports():
    tree = scaled_sum.tree
    assert tree.dot().startswith("digraph")
    assert tree.newick().endswith(";")
    json.dumps(tree.to_json())


def test_unsupported_python_fails_at_decoration_with_place():
    def uses_with(a):
        with open("x") as handle:  # noqa: F841
            return a

    with pytest.raises(PhySLSyntaxError) as caught:
        physl(uses_with)
    line = uses_with.__code__.co_firstlineno + 1
    assert str(caught.value).startswith(f"{__file__}:{line}:9: ")
    assert "with" in str(caught.value)


def test_runtime_error_names_the_user_line():
    @physl
    def mismatched(a, b):
        c = a * 2.0
        return np.dot(c, b)

    with pytest.raises(PhySLRuntimeError) as caught:
        mismatched(np.ones((3, 4)), np.ones(5))
    line = mismatched.__wrapped__.__code__.co_firstlineno + 3
    message = str(caught.value)
    assert message.startswith(f"{__file__}:{line}:16: dot failed: ")
    assert "return np.dot(c, b)" in message
    assert caught.value.primitive == f"dot${line}$15"


def test_options_are_checked():
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        physl(threads=0)(lambda a: a)
    with pytest.raises(ValueError, match="trace must be one of off, profile, events"):
        physl(trace="all")(lambda a: a)


def test_events_are_recorded_on_request():
    @physl(trace="events")
    def product(a):
        return np.dot(a, a)

    a = np.ones((400, 400))
    product(a)
    names = {e.name.split("$")[0] for e in product.last_run.log}
    assert "dot" in names


def test_run_physl_of_a_plain_expression():
    assert run_physl("__add(40, 2)") == 42


def test_lazy_top_level_names():
    assert jetlag.physl is physl
    with pytest.raises(AttributeError):
        jetlag.no_such_name  # noqa: B018


def test_cli_runs_a_physl_file(tmp_path):
    source = tmp_path / "axpy.physl"
    source.write_text("define(axpy, a, x, y, __add(__mul(a, x), y))\n")
    np.save(tmp_path / "x.npy", np.arange(3.0))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jetlag.runtime.cli",
            "physl",
            str(source),
            "2.0",
            str(tmp_path / "x.npy"),
            "1.0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[1. 3. 5.]\n"


def test_cli_reports_errors_with_place(tmp_path):
    source = tmp_path / "bad.physl"
    source.write_text(
        textwrap.dedent("""\
        define(f, x,
            dot(x, x)
    """)
    )
    done = subprocess.run(
        [sys.executable, "-m", "jetlag.runtime.cli", "physl", str(source), "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"jetlag: {source}:2:14: expected ')' or ','")
    assert f"'(' of 'define' opened at {source}:1:7 is never closed" in done.stderr
    bad_arg = subprocess.run(
        [sys.executable, "-m", "jetlag.runtime.cli", "physl", str(source), "os.system"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad_arg.returncode == 1
    assert "is neither a Python literal" in bad_arg.stderr


def test_singular_matrix_and_bad_index_name_primitive_and_line():
    @physl
    def solve_and_pick(a, b, i):
        w = np.linalg.inv(a) @ b
        return w[i]

    line = solve_and_pick.__wrapped__.__code__.co_firstlineno + 2
    with pytest.raises(PhySLRuntimeError) as caught:
        solve_and_pick(np.zeros((2, 2)), np.ones(2), 0)
    assert str(caught.value).startswith(f"{__file__}:{line}:13: inverse failed: matrix is singular")
    with pytest.raises(PhySLRuntimeError) as caught:
        solve_and_pick(np.eye(2), np.ones(2), 5)
    assert str(caught.value).startswith(f"{__file__}:{line + 1}:16: slice failed: index 5 is out")


def test_blas_is_held_to_one_thread_during_a_run():
    from threadpoolctl import threadpool_info

    from jetlag.runtime.scheduler.blas import single_threaded_blas

    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    if not blas:
        pytest.skip("NumPy is not linked to a BLAS threadpoolctl can see")
    with single_threaded_blas():
        assert all(i["num_threads"] == 1 for i in threadpool_info() if i["user_api"] == "blas")


def test_scipys_blas_loaded_after_the_first_run_is_held_to_one_thread_too():
    # A fresh interpreter: which BLAS libraries are loaded, and when, is the point.
    script = textwrap.dedent(
        """
        import json
        from threadpoolctl import threadpool_info
        from jetlag.runtime.scheduler.blas import single_threaded_blas

        with single_threaded_blas():
            pass
        import scipy.linalg  # loads SciPy's own OpenBLAS after the limit was first made
        with single_threaded_blas():
            print(json.dumps([(i["filepath"], i["num_threads"]) for i in threadpool_info()
                              if i["user_api"] == "blas"]))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    libraries = json.loads(done.stdout)
    if not any("scipy" in path for path, _ in libraries):
        pytest.skip("SciPy's BLAS is not visible to threadpoolctl here")
    assert [threads for _, threads in libraries] == [1] * len(libraries), libraries
