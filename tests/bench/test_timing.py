"""bench/timing.py: the first-call column, from fresh processes to the printed cell.

Only formats and plumbing are asserted; never a time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import timing  # noqa: E402


def child(body: str) -> list[str]:
    """argv of a fresh Python that imports timing and runs `body`."""
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(BENCH)!r}); {body}"]


def entry(label: str, first_times: list[float]) -> timing.Entry:
    row = timing.Entry(label, lambda: None, tuple, per=10)
    row.times = [0.010, 0.012, 0.011]
    row.first_times = first_times
    return row


def test_a_first_call_is_timed_in_each_of_several_fresh_processes():
    timed = timing.Entry("timed", lambda: None, tuple)
    timed.first_command = child("import timing; timing.report_first_call(lambda: None)")
    untimed = timing.Entry("untimed", lambda: None, tuple)
    timing.measure_first_calls("test", [timed, untimed], 3)
    assert len(timed.first_times) == 3 and all(t >= 0 for t in timed.first_times)
    assert untimed.first_times == []


def test_a_failed_first_call_process_is_an_error_with_its_stderr():
    with pytest.raises(RuntimeError, match="boom"):
        timing.first_call_seconds(child("raise SystemExit('boom')"))


def test_the_column_shows_median_and_range_or_the_one_value_of_one_process(capsys):
    numpy = entry("NumPy", [0.004, 0.002, 0.003])
    jetlag = entry("JetLag", [1.5, 1.25, 2.0])
    floor = entry("floor", [])
    timing.print_table("T", [numpy, jetlag, floor], numpy, first_note="what it is")
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].endswith("first call ms (3 processes, imports excl.)")
    assert lines[3].startswith("  NumPy") and lines[3].endswith("3.00 (2.00-4.00)")
    assert lines[4].endswith("1500 (1250-2000)")
    assert lines[5].endswith(" -")
    assert lines[6] == "  (what it is)"

    timing.print_table("T", [entry("NumPy", [0.5])], numpy)
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].endswith("first call ms (1 process, imports excl.)")
    assert lines[3].endswith(" 500")


def test_without_first_calls_the_table_is_unchanged(capsys):
    numpy = entry("NumPy", [])
    timing.print_table("T", [numpy], numpy, first_note="not printed")
    out = capsys.readouterr().out
    assert "first call" not in out and "not printed" not in out
