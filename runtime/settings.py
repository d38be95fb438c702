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
    text = _setting(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise _unusable(name, text, f"a whole number >= {minimum}", meaning, default)
    return value


def one_of(name: str, default: str, choices: Sequence[str], meaning: str = "") -> str:
    """The value of environment variable `name` if it is one of `choices`, `default` when
    it is unset or empty."""
    text = _setting(name)
    if not text:
        return default
    if text not in choices:
        raise _unusable(name, text, f"one of {', '.join(choices)}", meaning, default)
    return text


def _setting(name: str) -> str:
    return os.environ.get(name, "").strip()


def _unusable(
    name: str, text: str, requirement: str, meaning: str, default: object
) -> SettingError:
    what = f" ({meaning})" if meaning else ""
    return SettingError(
        name,
        f"{name}={text!r} is not {requirement}{what}; "
        f"set it to one (the default is {default}) or unset it",
    )
