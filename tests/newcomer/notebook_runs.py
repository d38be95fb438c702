"""Executes notebooks with nbclient on the `physl` kernel and writes the executed copies.

Usage: python notebook_runs.py OUT_DIR NOTEBOOK...   (run by the Python under test: the
Binder environment's, so the kernelspec, nbclient and JetLag are that environment's own).
Each notebook runs in its own folder as its working directory, as JupyterLab runs it. A
failing cell does not stop the others' notebooks: the executed copy keeps the error output
and the exit status is 1. Only the standard library, nbformat and nbclient are imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbclient
import nbformat


def execute(notebook: Path, out_dir: Path) -> bool:
    """Run one notebook; write the executed copy into out_dir; True when no cell failed."""
    document = nbformat.read(notebook, as_version=4)
    client = nbclient.NotebookClient(
        document,
        kernel_name="physl",
        timeout=600,
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    ok = True
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        print(f"{notebook.name}: {str(error)[-2000:]}", file=sys.stderr)
        ok = False
    nbformat.write(document, out_dir / notebook.name)
    return ok


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [execute(Path(name), out_dir) for name in argv[1:]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
