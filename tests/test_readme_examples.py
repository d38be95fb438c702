"""The README's Python examples run as written, and the numbers it quotes from the code
(the primitive count) are the code's: a README that rots fails here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from jetlag.runtime.primitives import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[str]:
    """The ```python blocks of the README, in order."""
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_examples():
    assert len(python_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_python_block_runs_as_written(tmp_path, index):
    # Each block is a file of its own (a copied example starts from nothing), run in a
    # fresh interpreter with a private trace and job store.
    script = tmp_path / f"readme_block_{index}.py"
    script.write_text(python_blocks()[index], encoding="utf-8")
    env = {**os.environ, "JETLAG_STORE": str(tmp_path / "store"), "JETLAG_THREADS": "2"}
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    if "jetlag.remote.run(" in python_blocks()[index]:
        assert "[0. 2. 4. 6.]" in done.stdout


def test_the_primitive_count_the_readme_quotes_is_the_registrys():
    quoted = re.findall(r"all (\d+) primitives", README.read_text(encoding="utf-8"))
    assert quoted == [str(len(REGISTRY))]
