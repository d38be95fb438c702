"""UI test of the trace view in real headless Chromium: Traveler's linked views.

Runs the LRA listing (examples/listings.py, small data) in a PhySL notebook, opens its
trace from the JetLag panel, clicks the `glm_gradient` (or `dot`) node of the execution
tree and checks that the Gantt highlights exactly that primitive's tasks (its
`data-highlighted-tasks` against the REST API's `/intervals?primitive=` total) and that
its source line is marked, clicks one of those tasks on the Gantt's canvas and checks the
selection box shows its parent chain (against `/intervals/{guid}`), presses Escape and
checks the selection is gone, then compares the trace with an `optimize=False` run of the
same listing and checks the per-primitive differences against `/compare`.
A screenshot of each step goes to tests/ui/artifacts/<test>/. Every wait has a timeout;
no wall-clock assertions. The page fixture fails the test on any console error.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from ui_support import (
    KERNEL_TIMEOUT_MS,
    LabServer,
    listing,
    open_panel,
    run_all_cells,
    screenshot,
    wait_for_app,
    write_notebook,
)

NOTEBOOK = "lra_traceview.ipynb"
DATA = """\
rng = np.random.default_rng(0)
x = rng.standard_normal((2048, 256))
truth = rng.standard_normal(256)
y = (np.dot(x, truth) > 0) * 1.0
"""
CALL = "w = lra(x, y, 1e-3, 10, False)"
#: Primitives with tasks in an LRA trace, preferred first (the optimizer fuses `dot`s
#: into `glm_gradient`). X is 4 MiB so the loop runs split across the workers (a smaller
#: one compiles whole into one `compiled_loop` task: runtime/scheduler/loop_size.py).
CANDIDATES = ("glm_gradient", "dot")


def get(lab: LabServer, path: str) -> Any:
    """GET /jetlag/api/<path>, asserting 200; the parsed answer."""
    status, answer = lab.api(path)
    assert status == 200, (path, answer)
    return answer


def wait_for_cell_trace(lab: LabServer, timeout_s: float = KERNEL_TIMEOUT_MS / 1000) -> dict:
    """The notebook's LRA cell trace (the kernel saves it once idle; the data cell's trace
    may come first, so it is the one listed as lra): the one with most events."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [
            t
            for t in get(lab, "traces?limit=100&origin=cell")["traces"]
            if (t["notebook"] or "").endswith(NOTEBOOK) and t["events"] > 0 and t["label"] == "lra"
        ]
        if found:
            return max(found, key=lambda t: t["events"])
        assert time.monotonic() < deadline, "the notebook's trace never reached the store"
        time.sleep(0.5)


def primitive_with_tasks(lab: LabServer, trace_id: str) -> tuple[str, int]:
    """(instance name, task count) of the first candidate primitive the trace has."""
    rows = get(lab, f"traces/{trace_id}/profile")["rows"]
    for wanted in CANDIDATES:
        for row in rows:
            if row["display_name"] == wanted:
                instance = row["instance"]
                total = get(lab, f"traces/{trace_id}/intervals?primitive={instance}&limit=1")
                if total["total"]:
                    return instance, total["total"]
    raise AssertionError(f"no {CANDIDATES} with tasks in {[r['instance'] for r in rows]}")


def save_unoptimized_trace(lab: LabServer, folder: Path) -> str:
    """The same listing run with optimize=False, traced and saved into the server's store."""
    from jetlag import physl
    from jetlag.runtime.store.traces import TraceStore

    module_path = folder / "lra_plain.py"
    module_path.write_text("import numpy as np\n\n" + listing("lra") + "\n")
    spec = importlib.util.spec_from_file_location("lra_plain", module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plain = physl(optimize=False, trace="events")(module.lra)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 8))
    y = (x @ rng.standard_normal(8) > 0) * 1.0
    plain(x, y, 1e-3, 10, False)
    store = TraceStore(lab.store)
    try:
        return store.save(plain.trace, label="lra optimize=False", origin="save")
    finally:
        store.close()


def wait_attribute(page: Any, locator: Any, script: str, timeout: int = 30_000) -> None:
    """Waits until `script` (a function of the element) is true for `locator`'s element."""
    page.wait_for_function(script, arg=locator.element_handle(), timeout=timeout)


def test_linked_trace_view(page: Any, lab: LabServer, artifacts: Path, tmp_path: Path) -> None:
    write_notebook(lab.root / NOTEBOOK, ["import numpy as np", listing("lra"), DATA, CALL])
    page.goto(lab.lab_url(NOTEBOOK))
    wait_for_app(page)
    run_all_cells(page, NOTEBOOK)
    trace_id = wait_for_cell_trace(lab)["id"]
    screenshot(page, artifacts, "notebook")

    # The trace is listed in the panel; open it.
    panel = open_panel(page)
    item = panel.locator(f'.jp-JetLag-trace[data-trace-id="{trace_id}"]')
    item.wait_for(timeout=30_000)
    item.locator('[data-action="open"]').click()
    view = page.locator(f"#jetlag-trace-{trace_id} .jl-TraceView")
    page.locator(f"#jetlag-trace-{trace_id} .jl-TraceView[data-state='ready']").wait_for(
        timeout=60_000
    )
    gantt = view.locator(".jl-TraceView-gantt")
    wait_attribute(page, gantt, "el => !!el.dataset.window && !!el.dataset.redraws")
    assert not gantt.get_attribute("data-error")
    screenshot(page, artifacts, "opened")

    # Click the primitive's tree node: exactly its tasks light up in the Gantt.
    instance, expected = primitive_with_tasks(lab, trace_id)
    node = view.locator(
        f'.jl-TraceView-outline [data-instance="{instance}"] > .jl-TraceView-outlineRow'
    )
    node.click()
    wait_attribute(page, gantt, "el => el.dataset.highlightState === 'ready'")
    assert gantt.get_attribute("data-highlighted-tasks") == str(expected)
    # Its share of the utilization lights up: the bins where REST says it is busy.
    utilization = view.locator(".jl-TraceView-utilization")
    wait_attribute(page, utilization, f"el => el.dataset.share === {json.dumps(instance)}")
    begin, end, bins = utilization.get_attribute("data-share-window").split("-")
    share = get(
        lab,
        f"traces/{trace_id}/utilization?begin={begin}&end={end}&bins={bins}"
        f"&primitive={quote(instance)}",
    )
    busy_bins = sum(1 for value in share["total"] if value)
    assert int(utilization.get_attribute("data-share-bins")) == busy_bins > 0
    lines = view.locator(".jl-TraceView-source").get_attribute("data-selected-lines")
    assert lines, "the selected primitive's source line is marked"
    # The cell called lra from another cell: the source shows lra's cell (where the
    # primitive's line is) and the calling cell, each under its own heading.
    source = view.locator(".jl-TraceView-source")
    wait_attribute(page, source, "el => el.dataset.sourceFiles === '2'")
    headings = source.locator(".jl-TraceView-sourceFile").all_inner_texts()
    assert len(headings) == 2 and headings[0].startswith("lra"), (
        headings,
        get(lab, f"traces/{trace_id}/source")["sections"],
        get(lab, f"traces/{trace_id}"),
    )
    marked = source.locator(".jl-TraceView-sourceLine.jl-mod-selected code").all_inner_texts()
    assert marked and all(text.strip() in listing("lra") for text in marked), marked
    screenshot(page, artifacts, "primitive-selected")

    # Click one of its tasks on the canvas: the selection box shows its parent chain.
    task = get(lab, f"traces/{trace_id}/intervals?primitive={instance}&limit=1")["intervals"][0]
    locations = get(lab, f"traces/{trace_id}/metadata")["locations"]
    box = gantt.locator("canvas").bounding_box()
    assert box is not None
    begin, end = (float(v) for v in gantt.get_attribute("data-window").split("-"))
    left = float(gantt.get_attribute("data-plot-left"))
    top = float(gantt.get_attribute("data-axis-height"))
    row_height = float(gantt.get_attribute("data-row-height"))
    middle = (task["start"] + task["end"]) / 2
    x = box["x"] + left + (middle - begin) / (end - begin) * (box["width"] - left)
    y = box["y"] + top + (locations.index(task["location"]) + 0.5) * row_height
    page.mouse.click(x, y)
    info = view.locator(".jl-TraceView-selectionInfo[data-kind='task']")
    info.wait_for(timeout=30_000)
    # The box re-renders when the chain arrives: wait by selector, not by element.
    chain = info.locator(".jl-TraceView-ancestry[data-guids]:not([data-guids=''])")
    chain.wait_for(timeout=30_000)
    guid = info.get_attribute("data-guid")
    detail = get(lab, f"traces/{trace_id}/intervals/{guid}")
    assert detail["primitive"] == instance, detail
    assert detail["ancestry"], "a task of the primitive has parents (the loop, the function)"
    assert chain.get_attribute("data-guids") == ",".join(str(a["guid"]) for a in detail["ancestry"])
    screenshot(page, artifacts, "task-chain")

    # Escape clears the selection.
    gantt.focus()
    page.keyboard.press("Escape")
    view.locator(".jl-TraceView-selectionInfo[data-kind='none']").wait_for(timeout=10_000)
    wait_attribute(page, gantt, "el => el.dataset.highlightState === 'none'")

    # Compare with optimize=False: the per-primitive differences are shown.
    other = save_unoptimized_trace(lab, tmp_path)
    for trace in (trace_id, other):
        entry = panel.locator(f'.jp-JetLag-trace[data-trace-id="{trace}"]')
        entry.wait_for(timeout=30_000)
        entry.locator('[data-action="check"]').check()
    panel.locator(".jp-JetLag-compare").click()
    table = page.locator(".jl-TraceView-compareTable[data-rows]")
    table.wait_for(timeout=60_000)
    a, b = table.get_attribute("data-a"), table.get_attribute("data-b")
    assert {a, b} == {trace_id, other}
    rows = get(lab, f"compare?a={a}&b={b}")["rows"]
    assert int(table.get_attribute("data-rows")) == min(40, len(rows)) > 0
    shown = table.locator("tr[data-instance]").evaluate_all(
        "rows => rows.map(r => r.dataset.instance)"
    )
    assert shown == [r["instance"] for r in rows[:40]]
    screenshot(page, artifacts, "compare")
