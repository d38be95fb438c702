"""bench/bench_queries.py at a tiny size: its generator writes true store columns, and the
script runs end to end. Only shapes are asserted, never times."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np

from jetlag.runtime.measure.table import EventTable
from jetlag.runtime.store.columns import EVENT_COLUMNS, TraceColumns, write_columns
from jetlag.server_ext.queries import TraceQueries

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "bench_queries.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_queries", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generator_writes_what_write_columns_writes(tmp_path):
    bench = load_bench()
    generated = TraceColumns.open(bench.generate(tmp_path / "generated", 3001, seed=3))
    assert len(generated) == 3001 and len(generated.locations) == 16
    table = EventTable.from_columns(
        guid=generated.guid,
        parent=generated.parent,
        start=generated.start,
        end=generated.end,
        name=generated.primitive,
        worker=generated.location,
        kind=generated.kind,
        names=generated.primitives,
        workers=generated.locations,
        kinds=generated.kinds,
    )
    write_columns(table, None, tmp_path / "written")
    written = TraceColumns.open(tmp_path / "written")
    for name in EVENT_COLUMNS:
        assert np.array_equal(getattr(generated, name), getattr(written, name)), name
    assert np.array_equal(generated.location_offsets, written.location_offsets)
    for key in ("events", "span_ns", "locations", "primitives", "kinds"):
        assert generated.document[key] == written.document[key], key

    # Nested like a real trace: every parent that has an event encloses its children.
    row_of = {int(g): i for i, g in enumerate(generated.guid)}
    for i in range(len(generated)):
        parent = row_of.get(int(generated.parent[i]))
        if parent is not None:
            assert generated.start[parent] <= generated.start[i]
            assert generated.end[i] <= generated.end[parent]
    assert len(set(generated.primitives)) == 20
    answer = TraceQueries(generated).gantt(bins=20)
    assert answer["legend"] and len(answer["per_location"]) == 16


def test_the_benchmark_runs_and_prints_its_table():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "2000", "--repeats", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "2,000 intervals" in out and "Targets:" in out
    for label in ("utilization", "gantt (16 locations)", "utilization primitive=dot"):
        assert any(line.strip().startswith(label) for line in out.splitlines()), label


def test_the_import_measurement_imports_every_event(tmp_path):
    bench = load_bench()
    directory = bench.generate(tmp_path / "generated", 2001, seed=4)
    written_s, imports_s = bench.measure_import(directory, 2)
    assert written_s > 0 and len(imports_s) == 2
    # Imported stores are removed after timing; the archive too.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]
