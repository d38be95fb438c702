"""What the newcomer tests read from the project's own files: pins and runtime dependencies.

Plain text parsing (no tomllib, which Python 3.10 lacks), shared by the Binder and container
tests.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)$")


def normalized(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """normalized name -> version of every `name==version` line (comments and blanks skipped)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.split("#", 1)[0].strip())
        if match:
            found[normalized(match.group(1))] = match.group(2)
    return found


def runtime_dependencies() -> list[str]:
    """The distribution names in pyproject.toml's [project] dependencies, as written."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[\n(.*?)^\]", text, re.MULTILINE | re.DOTALL)
    assert block, "pyproject.toml has no [project] dependencies list"
    specs = re.findall(r'^\s*"([^"]+)"', block.group(1), re.MULTILINE)
    return [re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0] for spec in specs]
