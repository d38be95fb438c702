"""Calling a registered primitive directly, as the primitive tests do."""

from __future__ import annotations

import pytest

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives import REGISTRY


def call(name, *args, **kwargs):
    """The primitive `name` applied to concrete values."""
    return REGISTRY[name].impl(*args, **kwargs)


def error(name, *args, **kwargs):
    """The message of the PrimitiveArgumentError the call raises."""
    with pytest.raises(PrimitiveArgumentError) as info:
        call(name, *args, **kwargs)
    return str(info.value)
