"""The demo notebook (notebooks/paper_demo.ipynb) executes with nbclient on the physl kernel."""

from __future__ import annotations

import re
from pathlib import Path

import nbclient
import nbformat
import pytest
from kernel_session import TRACE_MIME

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "paper_demo.ipynb"


@pytest.mark.usefixtures("physl_kernelspec")
def test_paper_demo_notebook_runs_on_the_physl_kernel():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert notebook.metadata.kernelspec.name == "physl"
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    nbclient.NotebookClient(notebook, kernel_name="physl", timeout=120).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stdout = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    differences = [float(v) for v in re.findall(r"max relative difference: (\S+)", stdout)]
    assert len(differences) == 2 and max(differences) < 1e-10, stdout
    assert "define$3$0(\n    lra$3$4," in stdout  # %physl lra: tags are the cell's lines
    assert "ratio compiled / NumPy:" in stdout  # %bench
    assert re.search(r"\[JetLag\] cell\d+: .* tasks; top: ", stdout)  # %trace events
    traces = [o.data[TRACE_MIME] for o in outputs if "data" in o and TRACE_MIME in o.data]
    defined = {
        define["children"][0]["name"]
        for trace in traces
        for define in trace["tree"]["children"]
        if define["name"] == "define"
    }
    assert {"lra", "ALS"} <= defined  # the published trees hold the compiled listings
