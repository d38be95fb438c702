"""Through a real physl kernel: a function the user compiled with `physl(...)` and calls in
a later cell runs as its own call -- its options hold and its `.trace` is set -- rather
than being inlined into the cell's task graph and optimized with the kernel's settings."""

from __future__ import annotations

from pathlib import Path

from kernel_session import KernelSession

ROOT = Path(__file__).resolve().parents[2]


def test_a_physl_function_called_in_a_cell_keeps_its_options_and_its_trace(
    kernel: KernelSession,
):
    kernel.ok(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "import numpy as np\n"
        "from jetlag import physl\n"
        "import examples.data as data\n"
        "import examples.listings as listings\n"
        "x, y = data.lra_data(40, 5)\n"
        "f = physl(listings.lra, optimize=False)\n"
        "g = physl(listings.lra)"
    )
    outcome = kernel.ok("w = f(x, y, 1e-3, 5, False)\nv = g(x, y, 1e-3, 5, False)")
    assert outcome.stderr == ""
    report = kernel.ok("%physl").stdout
    assert "'f' is a function compiled with physl(...): it runs as its own call" in report
    assert "run cell" not in report  # not inlined into a run of the cell
    names = "sorted({{row['display_name'] for row in {0}.trace.profile.to_dict()}})"
    unoptimized = kernel.ok(names.format("f")).results[0]
    assert "'dot'" in unoptimized and "compiled_loop" not in unoptimized
    assert "compiled_loop" in kernel.ok(names.format("g")).results[0]  # g's own defaults
    same = "np.array_equal(w, listings.lra(x, y, 1e-3, 5, False)), np.allclose(v, w)"
    assert kernel.ok(same).results == ["(True, True)"]
