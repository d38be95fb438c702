"""Benchmark: how fast the trace view's Gantt redraws in a real browser (issue item 7).

Generates a synthetic trace of --events intervals (bench_queries.generate: 16 locations,
nested tasks), writes it as OTF2 and imports it into a temporary store, starts JupyterLab
on that store (`--LabApp.expose_app_in_browser=True`) and headless Chromium
(/usr/bin/chromium through Playwright), opens the trace view with the `jetlag:open-trace`
command and measures, with the browser's Performance API, the marks the Gantt view records:

  jetlag:gantt-redraw     from a zoom or pan (wheel at the cursor, drag) to the redraw
                          with data for the new window (fetch included)
  jetlag:gantt-highlight  from a primitive selection to its tasks drawn on top

It prints the median and min-max of --interactions of each. Targets: redraw <= 200 ms,
highlight <= 300 ms (1M intervals). Never run by the test suite; `--smoke` is a tiny run
(20k intervals, 3 interactions) that checks the script itself.

    python bench/bench_panel.py              # 1M intervals, 20 + 20 interactions
    python bench/bench_panel.py --smoke
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_queries import PRIMITIVES, generate  # noqa: E402

from jetlag.runtime.measure.otf2_writer import OTF2Info, write_otf2  # noqa: E402
from jetlag.runtime.store.columns import TraceColumns  # noqa: E402
from jetlag.runtime.store.loading import counters_of, events_of  # noqa: E402
from jetlag.runtime.store.traces import TraceStore  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def import_trace(work: Path, events: int) -> tuple[Path, str]:
    """Generate `events` intervals, write them as OTF2, import into a store; (store, id)."""
    columns_dir = generate(work / "columns", events)
    columns = TraceColumns.open(columns_dir)
    anchor = write_otf2(
        events_of(columns),
        work / "otf2",
        counters_of(columns),
        OTF2Info(root_guid=1, function="run"),
    )
    store = TraceStore(work / "store")
    try:
        trace_id = store.import_path(anchor, label=f"bench {events:,} intervals")
        store.columns(trace_id)
    finally:
        store.close()
    return work / "store", trace_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_lab(store: Path, work: Path) -> tuple[subprocess.Popen, str, str]:
    """A JupyterLab on `store`, the app exposed as window.jupyterapp; (process, url, token)."""
    port, token = free_port(), uuid.uuid4().hex
    env = {**os.environ, "JETLAG_STORE": str(store), "JUPYTER_CONFIG_DIR": str(work / "config")}
    settings = work / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            "--LabApp.expose_app_in_browser=True",
            f"--JetLagExtension.store={store}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "lab.log", "w"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            return process, url, token
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError(f"JupyterLab did not start; see {work / 'lab.log'}")


def durations(page, name: str) -> list[float]:
    return page.evaluate("name => performance.getEntriesByName(name).map(e => e.duration)", name)


def wait_count(page, name: str, count: int, timeout_s: float = 30) -> None:
    page.wait_for_function(
        "([name, count]) => performance.getEntriesByName(name).length >= count",
        arg=[name, count],
        timeout=timeout_s * 1000,
    )


def run_browser(url: str, token: str, trace_id: str, interactions: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{url}/lab?token={token}")
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.commands", timeout=120_000
        )
        page.evaluate("() => window.jupyterapp.restored")
        page.evaluate(
            "id => window.jupyterapp.commands.execute('jetlag:open-trace', {traceId: id})", trace_id
        )
        gantt = page.locator(".jl-TraceView-gantt canvas").first
        gantt.wait_for(timeout=60_000)
        # The first draw with data (its fetch may build the trace's indices) ends the opening.
        page.wait_for_function(
            "() => Number(document.querySelector('.jl-TraceView-gantt')?.dataset.redraws) >= 1",
            timeout=120_000,
        )
        time.sleep(1.0)
        page.evaluate("() => performance.clearMeasures()")
        box = gantt.bounding_box()
        assert box is not None
        y = box["y"] + 40
        # Zoom in 4x around the middle first (keyboard '+', not measured), so that the
        # pans below never meet the trace's ends; then cycle zoom in, pan, zoom out, pan
        # back, each of which changes the window.
        page.locator(".jl-TraceView-gantt").first.focus()
        for _ in range(6):
            page.keyboard.press("+")
        wait_count(page, "jetlag:gantt-redraw", 1)
        time.sleep(0.5)
        page.evaluate("() => performance.clearMeasures()")
        x = box["x"] + box["width"] / 2
        done = 0
        for i in range(interactions):
            page.mouse.move(x, y)
            step = i % 4
            if step in (0, 2):
                page.mouse.wheel(0, -300 if step == 0 else 300)
            else:
                page.mouse.down()
                page.mouse.move(x + (120 if step == 1 else -120), y, steps=1)
                page.mouse.up()
            done += 1
            try:
                wait_count(page, "jetlag:gantt-redraw", done)
            except Exception:
                state = page.evaluate(
                    "() => JSON.stringify(document.querySelector('.jl-TraceView-gantt').dataset)"
                )
                print(f"interaction {i}: no redraw; the Gantt's state: {state}", file=sys.stderr)
                raise
            time.sleep(0.05)
        redraw = durations(page, "jetlag:gantt-redraw")[:interactions]

        names = [name for name in PRIMITIVES if name != "run" and "#" not in name]
        for i in range(interactions):
            # Click the primitive's node in the tree outline (an imported trace has a flat tree).
            page.locator(
                f'.jl-TraceView-outline [data-instance="{names[i % len(names)]}"]'
            ).first.click()
            wait_count(page, "jetlag:gantt-highlight", i + 1)
            page.keyboard.press("Escape")
            time.sleep(0.05)
        highlight = durations(page, "jetlag:gantt-highlight")[:interactions]
        browser.close()
    return {"redraw": redraw, "highlight": highlight}


def summary(values: list[float]) -> str:
    if not values:
        return "no measurements"
    return (
        f"median {statistics.median(values):7.1f} ms  "
        f"(min {min(values):.1f} - max {max(values):.1f}, n={len(values)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="20k intervals, 3 interactions")
    args = parser.parse_args(argv)
    if args.smoke:
        args.events, args.interactions = 20_000, 3
    work = Path(tempfile.mkdtemp(prefix="jetlag-bench-panel-"))
    process = None
    try:
        started = time.perf_counter()
        store, trace_id = import_trace(work, args.events)
        print(
            f"trace {trace_id}: {args.events:,} intervals, imported in "
            f"{time.perf_counter() - started:.1f} s"
        )
        process, url, token = start_lab(store, work)
        results = run_browser(url, token, trace_id, args.interactions)
        print(f"zoom/pan redraw  : {summary(results['redraw'])}   target <= 200 ms")
        print(f"primitive select : {summary(results['highlight'])}   target <= 300 ms")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
