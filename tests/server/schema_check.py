"""Validate REST answers against the served OpenAPI document's component schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from jetlag.server_ext.openapi import document


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    root = {"$ref": f"#/components/schemas/{name}", "components": document()["components"]}
    return jsonschema.Draft202012Validator(root)


def conforms(answer: Any, name: str) -> Any:
    """Raise (with the path of the first mismatch) unless `answer` is a valid `name`."""
    _validator(name).validate(answer)
    return answer
