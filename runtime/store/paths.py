"""Where the store lives: `$JETLAG_STORE`, else `<Jupyter data directory>/jetlag`.

The Jupyter data directory is resolved the way jupyter_core does it (`$JUPYTER_DATA_DIR`,
else `$XDG_DATA_HOME/jupyter` or `~/.local/share/jupyter` on Linux, `~/Library/Jupyter`
on macOS, `%APPDATA%\\jupyter` on Windows) without importing Jupyter, because the
runtime -- and so the job runner on a remote machine -- must not depend on it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Environment variable naming the store's root directory (tests, several stores).
STORE_ENV = "JETLAG_STORE"


def jupyter_data_dir() -> Path:
    """The user's Jupyter data directory, as jupyter_core computes it."""
    explicit = os.environ.get("JUPYTER_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Jupyter"
    if os.name == "nt":
        appdata = os.environ.get("APPDATA")
        return Path(appdata) / "jupyter" if appdata else home / ".jupyter" / "data"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else home / ".local" / "share") / "jupyter"


def store_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The store's root directory (created on first use by `database.connect`)."""
    if root is not None:
        return Path(root).expanduser()
    explicit = os.environ.get(STORE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    return jupyter_data_dir() / "jetlag"
