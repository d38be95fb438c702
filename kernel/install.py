"""`python -m jetlag.kernel install [--user | --sys-prefix | --prefix DIR]`: the kernelspec.

`pip install` already puts the `physl` kernelspec into `<prefix>/share/jupyter/kernels`
(the wheel's shared data, also for editable installs). This command installs it
elsewhere: for the current user, into this environment, under a prefix, or system-wide
(no option). The installed `kernel.json` starts this very interpreter. Nothing else here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "physl"
SPEC_DIR = Path(__file__).resolve().parent / "kernelspec"


def install(user: bool = False, prefix: str | None = None) -> str:
    """Install the kernelspec; returns the directory it was installed into."""
    from jupyter_client.kernelspec import KernelSpecManager

    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / KERNEL_NAME
        shutil.copytree(SPEC_DIR, staged)
        spec_file = staged / "kernel.json"
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
        spec["argv"][0] = sys.executable
        spec_file.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
        return KernelSpecManager().install_kernel_spec(
            str(staged), kernel_name=KERNEL_NAME, user=user, prefix=prefix
        )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry of the `install` subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m jetlag.kernel install", description="Install the PhySL kernelspec."
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for the current user only")
    where.add_argument("--sys-prefix", action="store_true", help=f"into {sys.prefix}")
    where.add_argument("--prefix", metavar="DIR", help="under DIR/share/jupyter/kernels")
    options = parser.parse_args(argv)
    prefix = sys.prefix if options.sys_prefix else options.prefix
    destination = install(user=options.user, prefix=prefix)
    print(f"Installed the PhySL kernelspec '{KERNEL_NAME}' in {destination}")
    return 0
