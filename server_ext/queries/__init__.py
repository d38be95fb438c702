"""Traveler-style trace queries (import `jetlag.server_ext.queries`): binned, screen-sized.

`TraceQueries(columns, directory)` answers utilization, Gantt, interval, tree, profile,
counter, source and metadata queries on one stored trace; bad parameters raise
`QueryError` (a ValueError with `field` and an HTTP `status`). Pure NumPy: this package
imports neither Jupyter nor tornado nor the server application.
"""

from __future__ import annotations

from jetlag.server_ext.queries.errors import QueryError
from jetlag.server_ext.queries.queries import TraceQueries

__all__ = ["QueryError", "TraceQueries"]
