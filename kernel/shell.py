"""The IPython shell of the PhySL kernel: every cell goes through the compile-or-Python split.

`PhySLShell` is ipykernel's ZMQInteractiveShell with one change to how a cell runs:
after IPython has turned magics into calls and parsed the cell, `run_ast_nodes` plans
the cell (cells.py), guards its candidate statements, hands the rewritten cell back to
IPython (which keeps its displayhook, history, output capture and error replies) and,
when the cell ends, records what ran compiled (for `%physl`), says how long a first call
spent compiling (compile_clock.py), queues the traces for the trace store and publishes them.
PhySL errors and stopped runs get the short tracebacks of tracebacks.py. The shell
changes nothing else of IPython and decides nothing about single statements (runs.py).
"""

from __future__ import annotations

import itertools
import linecache
import sys
from typing import Any

from ipykernel.zmqshell import ZMQInteractiveShell

from jetlag.kernel.cells import plan_cell, rewrite
from jetlag.kernel.compile_clock import COMPILE_CLOCK, NOTEWORTHY_S, compile_line
from jetlag.kernel.magics import PhySLMagics
from jetlag.kernel.publish import publish_traces
from jetlag.kernel.remote_magics import RemoteError, RemoteMagics
from jetlag.kernel.runs import CellController
from jetlag.kernel.state import CellReport, KernelState, drop_unusable_settings
from jetlag.kernel.store_saving import save_cell_traces
from jetlag.kernel.tracebacks import structured_traceback
from jetlag.runtime.errors import PhySLError


def _custom_traceback(
    shell: PhySLShell, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None
) -> list[str]:
    stb = structured_traceback(shell, shell.jetlag, etype, value, tb)
    if stb is None:  # an ordinary KeyboardInterrupt: IPython's own traceback
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    shell._showtraceback(etype, value, stb)
    return stb


class PhySLShell(ZMQInteractiveShell):
    """ZMQInteractiveShell whose cells run compiled where they can."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unusable = drop_unusable_settings()
        self.jetlag = KernelState(warnings=unusable)
        COMPILE_CLOCK.install()
        self._jetlag_ids = itertools.count(1)
        self.register_magics(PhySLMagics(self, self.jetlag))
        self.register_magics(RemoteMagics(self, self.jetlag))
        self.set_custom_exc((PhySLError, KeyboardInterrupt, RemoteError), _custom_traceback)

    async def run_ast_nodes(
        self,
        nodelist: list,
        cell_name: str,
        interactivity: str = "last_expr",
        compiler: Any = compile,
        result: Any = None,
    ) -> bool:
        """Run a parsed cell: candidates guarded by a CellController, the rest as Python."""
        state = self.jetlag
        while state.warnings:
            print(f"JetLag: {state.warnings.pop(0)}", file=sys.stderr)
        label = state.name_cell(cell_name, self.execution_count)
        lines = tuple(line.rstrip("\r\n") for line in linecache.getlines(cell_name))
        plan = plan_cell(nodelist, lines, cell_name)
        controller = CellController(plan, self.user_ns, state, label, self.execution_count)
        name = f"__jetlag_cell_{next(self._jetlag_ids)}__"
        self.user_ns[name] = controller
        self.user_ns_hidden[name] = controller
        silent = interactivity == "none"
        compiled_before = COMPILE_CLOCK.unclaimed()
        try:
            return await super().run_ast_nodes(
                rewrite(plan, name), cell_name, interactivity, compiler, result
            )
        finally:
            self.user_ns.pop(name, None)
            self.user_ns_hidden.pop(name, None)
            if not plan.only_magics and not silent:
                state.last_report = CellReport(label, controller.report_rows())
            compiling = COMPILE_CLOCK.unclaimed() - compiled_before
            if compiling >= NOTEWORTHY_S and not silent:
                # An output of its own, not a print: the cell's stdout stays the user's.
                self.display_pub.publish(data={"text/plain": compile_line(compiling)}, metadata={})
            traces = state.take_traces()
            if traces and not silent:
                save_cell_traces(state.saver, traces, state.event_cap, label)
                publish_traces(self, traces, label, state.inline_summary)
            problem = state.saver.problem()
            if problem:
                print(problem, file=sys.stderr, flush=True)
