"""Benchmark: the demo notebook's first speed figure, `lra(x, y, 1e-3, 200, enable_output)`.

Listing 1 on the demo's 400x50 problem, 200 iterations, as printed by the notebook's
`%bench`, with `enable_output` False (the loop's `print` never runs) and True (it prints
each of the 200 steps). NumPy runs the listing as plain Python, JetLag `physl(lra)` with
its defaults; both print into the same discarding stream, so formatting costs both alike.
All rows are timed in one interleaved run (timing.measure); it prints the median (min-max)
ms per call and JetLag's ratio to NumPy with the same `enable_output` (below 1 is faster).

    python bench/bench_demo.py               # 7 repeats
    python bench/bench_demo.py --repeats 15
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The checkout's own jetlag first: the benchmark measures this tree, whatever is installed.
sys.path[:0] = [str(ROOT), str(ROOT / "examples"), str(Path(__file__).resolve().parent)]

import data  # noqa: E402
import listings  # noqa: E402
from timing import Entry, OtherLoad, machine_description, measure, ratio, spread  # noqa: E402

from jetlag import physl  # noqa: E402

ROWS, COLS, ITERATIONS, ALPHA = 400, 50, 200, 1e-3


class _Discard:
    """A text stream that keeps nothing (print's cost without the terminal's)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def _quiet() -> contextlib.AbstractContextManager:
    return contextlib.redirect_stdout(_Discard())


def main(argv: list[str] | None = None) -> int:
    """Time the rows in one run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (7)")
    options = parser.parse_args(argv)
    x, y = data.lra_data(ROWS, COLS)
    compiled = physl(listings.lra)
    entries = []
    for output in (False, True):

        def args(output: bool = output) -> tuple:
            return (x, y, ALPHA, ITERATIONS, output)

        entries.append(Entry(f"NumPy, output {output}", listings.lra, args, context=_quiet))
        entries.append(Entry(f"JetLag, output {output}", compiled, args, context=_quiet))
    load = OtherLoad()
    print(machine_description())
    measure(f"LRA {ROWS}x{COLS}", entries, options.repeats)
    print(f"\nlra(x, y, {ALPHA}, {ITERATIONS}, enable_output), x {ROWS}x{COLS}: ms per call")
    for numpy_row, jetlag_row in (entries[0:2], entries[2:4]):
        numpy_median, numpy_text = spread(numpy_row)
        jetlag_median, jetlag_text = spread(jetlag_row)
        print(f"  {numpy_row.label:24}{numpy_text:>24}")
        print(
            f"  {jetlag_row.label:24}{jetlag_text:>24}   "
            f"JetLag / NumPy {ratio(jetlag_median / numpy_median)}"
        )
    print(f"\n{load.report()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
