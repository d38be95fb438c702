"""JetLag's environment settings (JETLAG_*): read where they are used, checked here.

A setting with a bad value raises `SettingError` naming the variable, the value found,
what it must be, and how to get the default back -- never a bare ValueError from `int()`
and never a silent fall-back to the default, which would leave a user benchmarking with
a setting they believe is in force.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from jetlag.runtime.errors import SettingError


def whole_number(name: str, default: int, minimum: int = 0, meaning: str = "") -> int:
    """The integer in environment variable `name` (at least `minimum`), `default` when it
    is unset or empty."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        what = f" ({meaning})" if meaning else ""
        raise SettingError(
            name,
            f"{name}={text!r} is not a whole number >= {minimum}{what}; "
            f"set it to one (the default is {default}) or unset it",
        )
    return value


def one_of(name: str, default: str, choices: Sequence[str], meaning: str = "") -> str:
    """The value of environment variable `name` if it is one of `choices`, `default` when
    it is unset or empty."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if text not in choices:
        what = f" ({meaning})" if meaning else ""
        raise SettingError(
            name,
            f"{name}={text!r} is not one of {', '.join(choices)}{what}; "
            f"set it to one (the default is {default}) or unset it",
        )
    return text
