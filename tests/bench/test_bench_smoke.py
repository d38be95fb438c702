"""The benchmarks run end to end on tiny synthetic inputs and print their tables.

Each script runs as a subprocess, as a user would run it. Only the shape of the output
is asserted (tables, rows, the equal-to-NumPy checks); never a time.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_bench(script: str, *args: str, timeout: float = 180) -> str:
    """stdout of `python bench/<script> args`, after asserting it exited 0."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def table_rows(output: str, title: str) -> list[str]:
    """The indented lines of the block that starts with `title` (up to the blank line)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    block = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        block.append(line.strip())
    return block


#: A first-call cell: one value (one process) or median (min-max) ms, or "-" for none.
FIRST_CALL_CELL = re.compile(r"(\d+(\.\d+)?( \(\d+(\.\d+)?-\d+(\.\d+)?\))?|-)$")


def assert_first_call_column(rows: list[str], processes: int, per: str) -> None:
    """The table's last column is the first call in `processes` fresh processes, filled for
    NumPy, both JetLags and the reference, explained by a note below the rows."""
    plural = "process" if processes == 1 else "processes"
    assert rows[0].endswith(f"first call ms ({processes} {plural}, imports excl.)"), rows[0]
    for name in ("NumPy", "JetLag unoptimized", "JetLag optimized", "Numba reference"):
        row = next(row for row in rows[1:] if row.startswith(name))
        cell = FIRST_CALL_CELL.search(row)
        assert cell is not None and cell.group(0) != "-", row
        if processes == 1:
            assert "(" not in cell.group(0), row  # one process: its one value, no range
        # The first call sits beside the steady-state median (min-max), not in its place.
        assert row.count("(") == (1 if processes == 1 else 2), row
    note = next(i for i, row in enumerate(rows) if row.startswith("(first call: one whole call"))
    text = " ".join(rows[note : note + 4])
    assert f"({per})" in text and "fresh Python process" in text and "compile included" in text
    assert "imports and building the inputs excluded for every row" in text


def test_bench_paper_smoke_prints_every_table_and_the_checks_pass():
    output = run_bench(
        "bench_paper.py", "--smoke", "--repeats", "1", "--threads", "1,2", timeout=300
    )
    assert output.startswith("machine: ")
    lra = table_rows(output, "LRA 300x300 f64")
    als = table_rows(output, "ALS 60x80, 8 factors")
    for rows in (lra, als):
        assert rows[0].startswith("implementation") and "vs NumPy" in rows[0]
        for name in ("NumPy", "JetLag unoptimized", "JetLag optimized", "Numba reference"):
            assert any(row.startswith(name) for row in rows[1:]), name
        checks = [row for row in rows if row.startswith("check: ")]
        assert len(checks) >= 4
        assert all(" OK" in row and "ABOVE" not in row for row in checks), checks
    exact = [row for row in als if row.startswith("exact: ")]
    assert exact[0].startswith("exact: distance from the same iteration in extended precision")
    judged = [row for row in exact[1:] if not row.startswith("exact: NumPy")]
    assert any(row.startswith("exact: JetLag optimized ") for row in judged)
    assert all(row.endswith(" OK") for row in judged), judged
    assert any(row.startswith("read-bandwidth floor") for row in lra)
    assert "read-bw floor / time" in lra[0]
    assert_first_call_column(lra, 1, "all 10 iterations")
    assert_first_call_column(als, 1, "one iteration")
    floor = next(row for row in lra if row.startswith("read-bandwidth floor"))
    assert floor.endswith(" -")  # no first call for the floor
    if importlib.util.find_spec("dask") is not None:
        assert any(row.startswith("Dask ") for row in lra)
        assert any(row.startswith("check: Dask ") for row in lra)
        assert any("Dask: skipped" in row for row in als)
    for name in ("LRA 300x300", "ALS 60x80"):
        scaling = table_rows(output, f"{name} thread scaling")
        assert "1 thread" in scaling[0] and "2 threads" in scaling[0]
        assert [row.split("  ")[0] for row in scaling[1:]] == [
            "NumPy (BLAS threads)",
            "JetLag optimized",
            "Numba reference",
        ]


def test_bench_tasks_smoke_prints_one_row_per_policy():
    output = run_bench("bench_tasks.py", "--smoke")
    scheduler = table_rows(output, "The scheduler: 2,000 tasks of x + 1.0")
    assert scheduler[0].startswith("tasks") and "us per task" in scheduler[0]
    for shape in ("chain", "independent"):
        for how in ("plain Python/NumPy", "JetLag scheduler, every op a task"):
            assert any(row.startswith(f"{shape}: {how}") for row in scheduler), (shape, how)
    assert any(
        row.startswith("goal <= 20 us per task, chain: JetLag scheduler") for row in scheduler
    )
    rows = table_rows(output, "2,000 iterations of a trivial array op")
    assert rows[0].startswith("loop: how it runs") and "us per task" in rows[0]
    for shape in ("chain", "independent"):
        for how in (
            "plain Python/NumPy",
            "JetLag, optimized (default)",
            "JetLag, adaptive",
            "JetLag, array ops as tasks",
            "JetLag, every op a task",
        ):
            assert any(row.startswith(f"{shape}: {how}") for row in rows), (shape, how)
    tasks_row = next(row for row in rows if row.startswith("chain: JetLag, array ops as tasks"))
    assert float(tasks_row.split()[6]) >= 1.0  # the knob works: the add is a pool task


def test_bench_dask_smoke_prints_both_tables_and_the_versions_agree():
    pytest.importorskip("distributed")
    output = run_bench(
        "bench_dask.py",
        *("--rows", "2000", "--cols", "200", "--iterations", "2", "--repeat", "1"),
        *("--threshold", "0", "--memory-limit", "1GB"),
        timeout=300,
    )
    differences = [line for line in output.splitlines() if "max relative difference" in line]
    assert len(differences) == 3, output
    assert all(float(line.rsplit(" ", 1)[1]) < 1e-10 for line in differences), differences
    assert "2 workers (memory limit 1GB each)" in output
    rows = table_rows(output, "LRA 2000x200, 2 iterations")
    for name in ("JetLag on Dask (X sent", "JetLag on Dask, X a dask.array", "JetLag threads"):
        assert any(row.startswith(name) for row in rows), (name, rows)
    assert table_rows(output, "ALS 943x1000")
