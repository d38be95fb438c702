"""End-to-end through jupyter_client: one real physl kernel, cells as a user runs them.

Tests in this module share the kernel and run in file order (later cells use variables of
earlier ones, as a notebook does); the last test restarts it.
"""

from __future__ import annotations

import json
import os
import re
import time

from kernel_session import TRACE_MIME, KernelSession, start_session


def test_kernel_info(kernel: KernelSession):
    kernel.client.kernel_info()
    reply = kernel.client.get_shell_msg(timeout=10)
    content = reply["content"]
    assert content["implementation"] == "physl"
    assert content["language_info"]["name"] == "python"
    assert kernel.manager.kernel_spec.display_name == "PhySL"


def test_mixed_compiled_and_plain_cells_share_variables(kernel: KernelSession):
    cell = (
        "import json\n"
        "import numpy as np\n"
        'config = json.loads(\'{"n": 4, "scale": 2.5}\')\n'
        "n = config['n']\n"
        "x = np.arange(n * 3.0).reshape(n, 3)\n"
        "scale = config['scale']\n"
        "y = x * scale\n"
        "rows = [float(v) for v in y.sum(axis=1)]\n"
        "rows"
    )
    outcome = kernel.ok(cell)
    assert outcome.results == ["[7.5, 30.0, 52.5, 75.0]"]
    report = kernel.ok("%physl").stdout
    rows = {line.split()[1]: line.split()[2] for line in report.splitlines()[1:9]}
    assert rows == {
        "1": "Python",
        "2": "Python",
        "3": "Python",
        "4": "Python",
        "5": "compiled",
        "6": "Python",
        "7": "compiled",
        "8": "Python",
    }, report
    assert "json.loads is not a PhySL primitive" in report
    assert "'config' is a dict; compiled runs take arrays" in report
    assert "define$7$0(y$7$0, __mul$7$4(x$7$4, scale$7$8))" in report
    # plain Python sees what the compiled runs stored, and the other way round
    assert kernel.ok("type(y).__name__, y.shape").results == ["('ndarray', (4, 3))"]


def test_functions_compile_without_a_decorator(kernel: KernelSession):
    outcome = kernel.ok("def stretch_rows(m, f):\n    return m * f\n\nstretch_rows(x, 2.0)[1]")
    assert outcome.results == ["array([ 6.,  8., 10.])"]
    assert outcome.stderr == ""
    assert kernel.ok("type(stretch_rows).__name__").results == ["'CellFunction'"]
    physl = kernel.ok("%physl stretch_rows").stdout
    assert physl.startswith("define$1$0(stretch_rows$1$4, m$1$17, f$1$20,")


def test_function_outside_the_subset_stays_python_and_says_so_once(kernel: KernelSession):
    outcome = kernel.ok(
        "def parse(text):\n"
        "    try:\n"
        "        return float(text)\n"
        "    except ValueError:\n"
        "        return 0.0\n"
        "parse('2.5'), parse('x')"
    )
    count = outcome.count
    assert outcome.stderr == (
        f"JetLag: 'parse' runs as plain Python, not compiled: In[{count}]:2:5: "
        "'try' statements are not supported in a compiled function\n"
    )
    assert outcome.results == ["(2.5, 0.0)"]
    assert kernel.ok("parse('1')").stderr == ""


def test_print_is_streamed_in_program_order(kernel: KernelSession):
    outcome = kernel.ok(
        "print('before')\nfor i in range(3):\n    print('step', i, np.sum(x[i]))\nprint('after', i)"
    )
    assert outcome.stdout == "before\nstep 0 3.0\nstep 1 12.0\nstep 2 21.0\nafter 2\n"


def test_print_reaches_the_notebook_while_the_graph_runs(kernel: KernelSession):
    # One compiled run of ~1 s (tens of thousands of tasks): the first print is sent on
    # its own, long before the last, rather than all output at the end of the cell.
    outcome = kernel.ok(
        "print('start')\nk = 0\nwhile k < 20000:\n    t = np.sum(x)\n    k = k + 1\nprint('end', k)"
    )
    streams = [m["content"]["text"] for m in outcome.messages if m["msg_type"] == "stream"]
    assert streams == ["start\n", "end 20000\n"]
    assert "lines 1-6  compiled" in kernel.ok("%physl").stdout


def test_runtime_error_names_the_exact_cell_line_and_primitive(kernel: KernelSession):
    outcome = kernel.run("a = np.ones((2, 3))\nb = np.ones(4)\n\nc = np.dot(a, b) + 1.0\n")
    assert outcome.status == "error"
    error = outcome.error
    assert error["ename"] == "PhySLRuntimeError"
    assert error["evalue"].startswith(f"In[{outcome.count}]:4:5: dot failed: shapes (2, 3)")
    assert "    c = np.dot(a, b) + 1.0\n        ^" in error["evalue"]
    traceback = "\n".join(error["traceback"])
    assert f"Cell In[{outcome.count}], line 4" in traceback
    assert "jetlag/runtime" not in traceback and "scheduler" not in traceback
    assert kernel.ok("'c' in globals()").results == ["False"]  # a failed run stores nothing


def test_error_inside_a_function_is_placed_in_its_own_cell(kernel: KernelSession):
    defined = kernel.ok("def bad_product(m, v):\n    w = v * 2.0\n    return np.dot(m, w)")
    outcome = kernel.run("bad_product(x, np.ones(5))")
    assert outcome.error["evalue"].startswith(f"In[{defined.count}]:3:12: dot failed")
    assert "return np.dot(m, w)" in outcome.error["evalue"]


def test_changed_global_is_seen_by_a_compiled_function(kernel: KernelSession):
    kernel.ok("ALPHA = 2.0\ndef times_alpha(v):\n    return v * ALPHA")
    assert kernel.ok("times_alpha(np.ones(2))").results == ["array([2., 2.])"]
    # In one cell: the assignment runs first, then the call sees it (as in Python).
    assert kernel.ok("ALPHA = 3.0\ntimes_alpha(np.ones(2))").results == ["array([3., 3.])"]
    kernel.ok("ALPHA = 4.0")
    assert kernel.ok("times_alpha(1.0)").results == ["4.0"]


def test_python_values_keep_python_meaning(kernel: KernelSession):
    assert kernel.ok("xs = [1, 2]\nxs").results == ["[1, 2]"]
    kernel.ok("def add(a, b):\n    return a + b")
    assert kernel.ok("add([1], [2])").results == ["[1, 2]"]
    assert kernel.ok("add(np.ones(2), 1.0)").results == ["array([2., 2.])"]


def test_raw_physl_cell_magic(kernel: KernelSession):
    outcome = kernel.ok("%%physl\ndefine(sq, v, __mul(v, v))\nsq(7)")
    assert outcome.results == ["49"]
    assert kernel.ok("%%physl x\nlambda(m, sum(m))").results == ["np.float64(66.0)"]
    error = kernel.run("%%physl\ndefine(f, v, dot(v, v))\n\nf(list(1, 2), 3)").error
    assert error["ename"] == "PhySLRuntimeError"


def test_trace_modes_publish_and_summarize(kernel: KernelSession):
    assert kernel.ok("%trace events").stdout == "trace mode: events\n"
    silent = kernel.ok("z = np.dot(x, np.ones(3)) + 1.0")
    assert silent.stdout == "" and len(silent.traces) == 1  # the summary is asked for apart
    assert kernel.ok("%trace summary on").stdout == "trace summary: on\n"
    outcome = kernel.ok("z = np.dot(x, np.ones(3)) + 1.0")
    assert outcome.stdout.startswith("[JetLag] cell")
    assert re.search(r"\d+ tasks; top: \S+\$1\$\d+ ", outcome.stdout), outcome.stdout
    (data,) = outcome.traces
    payload = data[TRACE_MIME]
    assert data["text/plain"].startswith(f"JetLag trace of cell{outcome.count} ")
    assert payload["function"] == f"cell{outcome.count}"
    assert payload["cell"] == f"In[{outcome.count}]"
    assert payload["events"] > 0 and payload["wall_ns"] > 0
    assert payload["tree"]["kind"] == "program"
    assert {top["primitive"] for top in payload["top"]} >= {"dot", "__add"}
    json.dumps(payload)  # plain JSON
    assert kernel.ok("%trace off").stdout == "trace mode: off\n"
    quiet = kernel.ok("z = np.dot(x, np.ones(3)) + 1.0")
    assert quiet.traces == [] and quiet.stdout == ""
    wrong = kernel.run("%trace summary maybe")
    assert wrong.status == "error" and "usage: %trace summary on|off" in wrong.stderr
    kernel.ok("%trace profile")
    kernel.ok("%trace summary off")


def test_threads_and_bench(kernel: KernelSession):
    assert kernel.ok("%threads 2").stdout == "threads: 2\n"
    outcome = kernel.ok("%bench -r 2 zz = np.dot(x.T, x) + 1.0")
    lines = outcome.stdout.splitlines()
    assert lines[0] == "%bench zz = np.dot(x.T, x) + 1.0"
    assert lines[1].lstrip().startswith("compiled (threads 2):") and "median" in lines[1]
    assert lines[2].lstrip().startswith("plain NumPy:") and "over 2 runs" in lines[2]
    assert lines[3].lstrip().startswith("ratio compiled / NumPy:")
    assert kernel.ok("'zz' in globals()").results == ["False"]
    assert kernel.ok("%threads default").stdout.startswith("threads: default")


def test_completion_and_inspection_know_primitives(kernel: KernelSession):
    kernel.client.complete("%%physl\ntransp", 14)
    reply = kernel.client.get_shell_msg(timeout=10)["content"]
    assert reply["matches"] == ["transpose"] and reply["cursor_start"] == 8
    kernel.client.complete("np.linalg.in", 12)
    assert "inv" in kernel.client.get_shell_msg(timeout=10)["content"]["matches"]
    kernel.client.inspect("np.dot(x, x)", 4)
    reply = kernel.client.get_shell_msg(timeout=10)["content"]
    assert reply["found"]
    text = reply["data"]["text/plain"]
    assert text.startswith("PhySL primitive: dot(a, b)\nDot product of two arrays")


def test_interrupt_stops_a_running_graph_and_the_kernel_stays_usable(kernel: KernelSession):
    client = kernel.client
    # stop_on_error=False: the error must not abort the next request (queued cells are
    # aborted after an error otherwise, as in a notebook's "run all").
    msg_id = client.execute(
        "total = 0.0\nk = 0\nwhile k < 100000000:\n    total = total + np.sum(x)\n    k = k + 1\n",
        stop_on_error=False,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the cell is running
        message = client.get_iopub_msg(timeout=30)
        if message["parent_header"].get("msg_id") == msg_id and (
            message["msg_type"] == "execute_input"
        ):
            break
    time.sleep(1.0)
    kernel.manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=30)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert "stopped the compiled run" in reply["content"]["evalue"]
    assert kernel.ok("np.sum(x) * 2").results == ["np.float64(132.0)"]


def test_restart_gives_a_fresh_working_kernel(kernel: KernelSession):
    kernel.manager.restart_kernel(now=False)
    kernel.client.wait_for_ready(timeout=60)
    assert kernel.ok("'x' in globals()").results == ["False"]
    assert kernel.ok("import numpy as np\nnp.sum(np.ones(3)) * 2").results == ["np.float64(6.0)"]


def test_bad_settings_are_named_in_the_first_cell_and_ignored(physl_kernelspec):
    # A kernel must start whatever JETLAG_* holds (else the notebook shows only a dead
    # kernel), say what it ignores, and run on the defaults instead.
    session = start_session({"JETLAG_TRACE": "everything", "JETLAG_THREADS": "two"})
    cores = len(os.sched_getaffinity(0))
    try:
        first = session.ok("import numpy as np\nx = np.ones((300, 300))\nfloat(np.dot(x, x)[0, 0])")
        assert first.stderr == (
            "JetLag: JETLAG_TRACE='everything' is not one of off, profile, events (what "
            "each run records); set it to one (the default is events) or unset it. This "
            "kernel ignores it and uses the default.\n"
            "JetLag: JETLAG_THREADS='two' is not a whole number >= 1 (worker threads); set "
            f"it to one (the default is {cores}) or unset it. This kernel ignores it and uses "
            "the default.\n"
        )
        assert first.results == ["300.0"]
        assert session.ok("2 + 2").stderr == ""  # said once
        assert session.ok("%trace").stdout.splitlines()[0] == "trace mode: events"
        assert session.ok("import os\n'JETLAG_THREADS' in os.environ").results == ["False"]
    finally:
        session.close()
