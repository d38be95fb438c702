"""Fixtures of the UI tests: a real JupyterLab and headless Chromium (/usr/bin/chromium).

How to use them (helpers are in tests/ui/ui_support.py):

- `lab` (session): the running `jupyter lab` -- `lab.url`, `lab.token`, `lab.root` (its
  root folder: write notebooks there), `lab.store` (the JetLag store, `JETLAG_STORE`),
  `lab.log`, `lab.lab_url("x.ipynb")` (the page URL with the token) and
  `lab.api("traces")` -> (status, JSON) for REST checks. Its Jupyter paths, settings and
  store live in a temporary folder; the installed PhySL kernel and the built extension are
  the ones pip installed. The news toast is off.
- `browser` (session): Playwright's Chromium, launched with the flags of ../shared/NOTES.md.
- `page`: a fresh browser context and page with JupyterLab loaded (`/lab`) and
  `window.jupyterapp` exposed; at the end the test fails if the page logged console errors
  or raised uncaught exceptions (`page.console_errors` lists them so far). A test that
  provokes an error on purpose (a 400 it checks) appends a regex to `page.expected_errors`.
- `artifacts`: tests/ui/artifacts/<test name>/ for screenshots
  (`ui_support.screenshot(page, artifacts, "step")` numbers them in order).

The tests are skipped when Chromium or the playwright package is missing
(scripts/install-system and `scripts/install --test` provide both).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ui_support
from ui_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LabServer

#: Console messages that are not errors of the page (browser noise about the network).
IGNORED_CONSOLE = (re.compile(r"favicon"),)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    server = ui_support.start_lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        ui_support.stop_lab(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (scripts/install-system installs chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def page(lab: LabServer, browser: Any, artifacts: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.set_default_timeout(ui_support.UI_TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in IGNORED_CONSOLE):
            errors.append(f"console: {message.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    tab.console_errors = errors
    tab.expected_errors = []
    tab.goto(lab.lab_url())
    ui_support.wait_for_app(tab)
    try:
        yield tab
    except BaseException:
        raise
    finally:
        try:
            tab.screenshot(path=str(artifacts / "zz-last.png"))
        except Exception:  # noqa: BLE001  (the page may be gone; the screenshot is a courtesy)
            pass
        context.close()
    unexpected = [e for e in errors if not any(p.search(e) for p in tab.expected_errors)]
    assert unexpected == [], "the page logged errors:\n" + "\n".join(unexpected)
