"""The jupyter-server extension (import name `jetlag.server_ext`): jobs, traces, REST API.

`pip install` enables it (jupyter-config/jupyter_server_config.d/jetlag.json); it serves
/jetlag/api/ (see app.py and handlers/). The imports below stay inside the functions so
that `import jetlag.server_ext.queries` (pure NumPy) never loads tornado or jupyter-server.
"""

from __future__ import annotations

from typing import Any

from jetlag import __version__

__all__ = ["__version__"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Where jupyter-server finds the extension: the JetLagExtension app."""
    from jetlag.server_ext.app import JetLagExtension

    return [{"module": "jetlag.server_ext", "app": JetLagExtension}]
