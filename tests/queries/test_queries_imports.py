"""The queries are pure NumPy: importing them pulls in no Jupyter, tornado or server app."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import jetlag.server_ext
before = set(sys.modules)
import jetlag.server_ext.queries
added = sorted(set(sys.modules) - before)
print(json.dumps(added))
"""


def test_importing_the_queries_adds_no_jupyter_or_tornado_module():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    added = json.loads(done.stdout)
    assert "jetlag.server_ext.queries" in added
    forbidden = ("tornado", "jupyter", "jupyter_server", "ipykernel", "notebook")
    assert not [name for name in added if name.split(".")[0] in forbidden]
    ours = [name for name in added if name.startswith("jetlag.server_ext.")]
    assert all(name.startswith("jetlag.server_ext.queries") for name in ours), ours
