"""The trace view without a mouse, and in the dark theme (issue #16, item 9).

A trace saved into the server's store is opened from the JetLag panel with the keyboard
(Enter on its list item); the tree outline is one tab stop whose items move with the
arrow keys, select their primitive with Enter or Space (the Gantt then lights exactly
that primitive's tasks, as REST counts them) and show a focus ring; Escape clears; a
source line selects its primitives with Enter. Then JupyterLab switches to its dark
theme: every chart and the Gantt draw again in it, and the view's text keeps a
contrast ratio of at least 4.5:1 (WCAG AA) against what is behind it. The page logs no
console errors throughout (the `page` fixture checks that).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_traceview import get, save_unoptimized_trace, wait_attribute
from ui_support import LabServer, open_panel, screenshot, wait_for_app

#: WCAG's luminance contrast between the element's colour and the first opaque
#: background behind it.
CONTRAST = """el => {
  const rgb = text => (text.match(/[0-9.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  let node = el, background = null;
  while (node && node.nodeType === 1) {
    const value = rgb(getComputedStyle(node).backgroundColor);
    if (value.length >= 3 && (value.length === 3 || value[3] > 0.9)) { background = value; break; }
    node = node.parentElement;
  }
  background = background || [255, 255, 255];
  const a = luminance(rgb(getComputedStyle(el).color)), b = luminance(background);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def focused(page: Any, script: str) -> Any:
    return page.evaluate(f"() => {{ const el = document.activeElement; return {script}; }}")


def test_keyboard_and_dark_theme(
    page: Any, lab: LabServer, artifacts: Path, tmp_path: Path
) -> None:
    trace_id = save_unoptimized_trace(lab, tmp_path)  # optimize=False: its dots stay dots
    page.goto(lab.lab_url())
    wait_for_app(page)
    panel = open_panel(page)

    # Enter on the trace's list item opens it.
    item = panel.locator(f'.jp-JetLag-trace[data-trace-id="{trace_id}"]')
    item.wait_for(timeout=30_000)
    item.focus()
    assert focused(page, "getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Enter")
    view = page.locator(f"#jetlag-trace-{trace_id} .jl-TraceView")
    page.locator(f"#jetlag-trace-{trace_id} .jl-TraceView[data-state='ready']").wait_for(
        timeout=60_000
    )
    gantt = view.locator(".jl-TraceView-gantt")
    wait_attribute(page, gantt, "el => !!el.dataset.redraws")

    # The outline is one tab stop; arrows move to the first dot; Enter selects it.
    outline = view.locator(".jl-TraceView-outline")
    outline.locator('[role="treeitem"][tabindex="0"]').wait_for(timeout=30_000)
    assert outline.locator('[role="treeitem"][tabindex="0"]').count() == 1
    outline.locator('[role="treeitem"][tabindex="0"]').focus()
    for _ in range(400):
        if focused(page, "el.dataset.instance || ''").startswith("dot$"):
            break
        page.keyboard.press("ArrowDown")
    instance = focused(page, "el.dataset.instance")
    assert instance.startswith("dot$"), instance
    assert focused(page, "getComputedStyle(el).outlineStyle") != "none", "a visible focus ring"
    assert outline.locator('[role="treeitem"][tabindex="0"]').count() == 1
    page.keyboard.press("Enter")
    wait_attribute(page, gantt, "el => el.dataset.highlightState === 'ready'")
    expected = get(lab, f"traces/{trace_id}/intervals?primitive={instance}&limit=1")["total"]
    assert gantt.get_attribute("data-highlighted-tasks") == str(expected) != "0"
    info = view.locator(".jl-TraceView-selectionInfo")
    assert info.get_attribute("data-kind") == "primitive"
    screenshot(page, artifacts, "keyboard-selected")

    # Escape clears; Space selects again.
    page.keyboard.press("Escape")
    view.locator(".jl-TraceView-selectionInfo[data-kind='none']").wait_for(timeout=10_000)
    outline.locator(f'[data-instance="{instance}"]').focus()
    page.keyboard.press(" ")
    view.locator(".jl-TraceView-selectionInfo[data-kind='primitive']").wait_for(timeout=10_000)

    # A source line selects its primitives with Enter.
    line = view.locator(".jl-TraceView-sourceLine[tabindex='0']").first
    line.focus()
    assert focused(page, "getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Enter")
    view.locator(".jl-TraceView-selectionInfo[data-kind='line']").wait_for(timeout=10_000)
    page.keyboard.press("Escape")

    # The dark theme: everything draws again in it and stays readable.
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Dark'})"
    )
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=60_000)
    wait_attribute(page, gantt, "el => el.dataset.theme === 'dark'")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jl-TraceView .jl-TraceView-chart')]"
        ".filter(c => c.querySelector('canvas')).every(c => c.dataset.theme === 'dark')",
        timeout=60_000,
    )
    texts = [
        view.locator(".jl-TraceView-title").first,
        view.locator(".jl-TraceView-outlineRow").first,
        view.locator(".jl-TraceView-sourceLine code").first,
        view.locator(".jl-TraceView-caption").first,
        info,
        item,
    ]
    for text in texts:
        ratio = text.evaluate(CONTRAST)
        assert ratio >= 4.5, (text, ratio)
    screenshot(page, artifacts, "dark-theme")
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Light'})"
    )
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=60_000)
