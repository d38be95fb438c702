"""`pip install` (editable too) enables the extension for every jupyter-server."""

from __future__ import annotations

import os
import re
import subprocess
import sys


def test_extension_is_enabled_and_validates():
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_")}
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    assert re.search(r"jetlag\.server_ext\s+enabled", text), text
    assert re.search(r"jetlag\.server_ext\s+\S*\s*OK", text), text
