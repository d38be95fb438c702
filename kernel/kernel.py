"""The PhySL Jupyter kernel: ipykernel's IPython kernel with the PhySL shell.

Subclassing `IPythonKernel` (not the bare wrapper `Kernel`) keeps everything a notebook
expects from a Python kernel -- comms and widgets, rich display, history, is_complete,
interrupt and restart -- while `PhySLShell` compiles cells and `completion` adds the
primitives to completion and inspection; the trace saver is told when the kernel is busy,
so traces are written between requests (store_saving.py). Cells are Python syntax, so
the language is `python` (editors highlight it as such); the kernel is named `physl`,
shown as "PhySL".
This module only wires those parts together; it holds no cell logic.
"""

from __future__ import annotations

from typing import Any

from ipykernel.ipkernel import IPythonKernel
from traitlets import List, Type

from jetlag import __version__
from jetlag.kernel import completion
from jetlag.kernel.shell import PhySLShell

KERNEL_NAME = "physl"
DISPLAY_NAME = "PhySL"


class PhySLKernel(IPythonKernel):
    """Python cells compiled to PhySL task graphs (JetLag)."""

    shell_class = Type(PhySLShell)
    implementation = "physl"
    implementation_version = __version__
    banner = (
        f"PhySL kernel (JetLag {__version__}): functions and top-level array code are "
        "compiled to PhySL and run as task graphs; %physl shows what ran compiled."
    )
    help_links = List(
        [
            {"text": "Python", "url": "https://docs.python.org/3/"},
            {"text": "NumPy", "url": "https://numpy.org/doc/stable/"},
        ]
    ).tag(config=True)

    async def dispatch_shell(self, msg: Any) -> None:
        """ipykernel's dispatch_shell, telling the trace saver when the kernel is busy."""
        saver = self.shell.jetlag.saver
        saver.busy()
        try:
            await super().dispatch_shell(msg)
        finally:
            # After the reply and the idle status went out: traces are written between
            # requests, never while a cell runs (store_saving.py).
            saver.idle()

    def do_complete(self, code: str, cursor_pos: int | None) -> dict[str, Any]:
        """IPython's completions plus PhySL primitives."""
        reply = super().do_complete(code, cursor_pos)
        return completion.complete(reply, code, cursor_pos, self.shell.user_ns)

    def do_history(self, hist_access_type: str, output: bool, raw: bool, **options: Any) -> dict:
        """IPython's history, with the current session under its real number.

        IPython lists entries of the running session as session 0 in a `range` reply
        while `tail` and `search` give its number; clients match on the number.
        """
        reply = super().do_history(hist_access_type, output, raw, **options)
        current = self.shell.history_manager.session_number
        reply["history"] = [
            (current if session == 0 else session, line, entry)
            for session, line, entry in reply["history"]
        ]
        return reply

    def do_inspect(
        self, code: str, cursor_pos: int | None, detail_level: int = 0, omit_sections: Any = ()
    ) -> dict[str, Any]:
        """IPython's inspection, with a primitive's signature and doc first."""
        reply = super().do_inspect(code, cursor_pos, detail_level, omit_sections)
        return completion.inspect(reply, code, cursor_pos, self.shell.user_ns)
