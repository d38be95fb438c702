"""The one error type of the trace queries: a bad parameter (400) or an unknown item (404).

`QueryError` is a `ValueError` that names the parameter (`field`) and the HTTP status a
server should answer with, so the REST handlers turn it into `{"error", "field"}` without
knowing the queries. This module defines the type only.
"""

from __future__ import annotations


class QueryError(ValueError):
    """A query parameter that cannot be answered: `field` names it, `status` is 400 or 404."""

    def __init__(self, message: str, field: str | None, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status
