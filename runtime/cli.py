"""The `jetlag` command: `jetlag physl FILE.physl [ARG ...]` runs hand-written PhySL;
`jetlag trace import|list|export|delete` manages the trace store of the kernel and server;
`jetlag view TRACE` imports a trace and opens JupyterLab on its trace view.

Arguments are Python literals (`3`, `1e-5`, `True`, `(2, 3)`, parsed with
ast.literal_eval, never eval) or `.npy`/`.npz` files (loaded with allow_pickle=False).
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from typing import Any

import numpy as np


def parse_argument(text: str) -> Any:
    """A CLI argument as a value: a .npy/.npz path or a Python literal."""
    path = Path(text)
    if path.suffix in (".npy", ".npz"):
        if not path.is_file():
            raise ValueError(f"argument {text!r}: no such file")
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            if len(loaded.files) != 1:
                raise ValueError(
                    f"argument {text!r}: an .npz argument must hold exactly one array, "
                    f"it holds {len(loaded.files)} ({', '.join(loaded.files)})"
                )
            return loaded[loaded.files[0]]
        return loaded
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(
            f"argument {text!r} is neither a Python literal (3, 1e-5, True, (2, 3)) "
            "nor a .npy/.npz file"
        ) from None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `jetlag` console script."""
    from jetlag.runtime.errors import JetLagError
    from jetlag.runtime.store.commands import add_trace_commands, run_trace_command
    from jetlag.runtime.store.view import add_view_command, run_view_command

    parser = argparse.ArgumentParser(prog="jetlag", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("physl", help="run a PhySL file")
    run.add_argument("file", type=Path)
    run.add_argument("args", nargs="*", help="arguments for the PhySL function")
    run.add_argument("--threads", type=int, default=None, help="worker threads (default: cores)")
    add_trace_commands(commands)
    add_view_command(commands)
    options = parser.parse_args(argv)
    if options.command == "trace":
        return run_trace_command(options)
    if options.command == "view":
        return run_view_command(options)

    from jetlag.runtime.api import run_physl

    try:
        text = options.file.read_text()
    except OSError as error:
        print(f"jetlag: cannot read {options.file}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        args = [parse_argument(a) for a in options.args]
        result = run_physl(text, *args, file=str(options.file), threads=options.threads)
    except (JetLagError, ValueError) as error:
        print(f"jetlag: {error}", file=sys.stderr)
        return 1
    if result is not None:
        print(result)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
