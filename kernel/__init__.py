"""The PhySL Jupyter kernel (import name `jetlag.kernel`, kernel name `physl`).

Cells are Python: every function defined in a cell is compiled to PhySL, top-level array
code runs as a task graph, and whatever PhySL cannot express runs as ordinary Python in
the same namespace. Modules: kernel (the ipykernel kernel), shell (the cell pipeline),
cells (splitting a cell), dataflow (names a run reads and writes), synthetic (a run as a
compilable function, positions mapped back to the cell), runs (deciding and running
compiled runs), functions (compiled cell functions), runner (running a program traced),
publish (traces to the JetLag panel), store_saving (traces into the trace store, written
while the kernel is idle), tracebacks (short placed errors), compile_clock (how long a
first call spent compiling, said under the cell), magics and bench,
remote_magics and remote_call (`%%remote` jobs and `%jobs`), completion (primitives in
completion and inspection), install and __main__ (kernelspec and launching), logo (the
launcher icons). The kernel uses only the runtime's public API (api, frontend entry
points, errors, ir, registry, measure.trace, scheduler.execute, store.traces, jobs).
"""
