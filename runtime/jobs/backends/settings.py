"""Backend settings: what a backend declares it reads from a machine's configuration.

A backend class lists its own settings as `Setting`s (name, type, default, whether it is
required or secret, a help line); the machines loader checks a machine's table against
that list with `check_settings`, so a typo or a wrong type is an error naming the field,
and `public_settings` drops the secret ones from every listing. Secrets themselves should
be references (an environment variable's name, a file's path), resolved by the backend
when it needs them (`resolve_secret`). This module checks values; it runs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TYPE_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


class SettingError(ValueError):
    """A backend setting is missing, unknown or of the wrong type; `field` names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Setting:
    """One setting a backend reads from its machine's table.

    `kind` is str, int, float, bool or list (a list of strings); `secret` settings never
    appear in a listing, a log line or a job package; `check` returns an error text for
    a value of the right type that is still wrong (None when fine).
    """

    name: str
    kind: type = str
    default: Any = None
    required: bool = False
    secret: bool = False
    help: str = ""
    check: Callable[[Any], str | None] | None = None

    def describe(self) -> str:
        """One line for messages and docs: name, type and help."""
        kind = _TYPE_NAMES.get(self.kind, "a list of strings")
        return f"{self.name} ({kind}{', required' if self.required else ''}): {self.help}"


def _convert(setting: Setting, value: Any) -> Any:
    kind = setting.kind
    if kind is list:
        if isinstance(value, str):
            return [value]
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return list(value)
        raise TypeError
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) and kind is not bool:
        raise TypeError
    if not isinstance(value, kind):
        raise TypeError
    return value


def check_settings(
    declared: Iterable[Setting], values: Mapping[str, Any], backend: str
) -> dict[str, Any]:
    """`values` checked against `declared`, defaults filled in (SettingError naming the field).

    Unknown names are refused with the list of the backend's settings, so a typo is
    caught when the configuration is read, not when the first job runs.
    """
    table = {setting.name: setting for setting in declared}
    out: dict[str, Any] = {}
    for name, value in values.items():
        setting = table.get(name)
        if setting is None:
            known = "; ".join(s.describe() for s in table.values()) or "none"
            raise SettingError(
                f"unknown setting {name!r} for the {backend} backend; its settings are: {known}",
                name,
            )
        try:
            converted = _convert(setting, value)
        except TypeError:
            kind = _TYPE_NAMES.get(setting.kind, "a list of strings")
            shown = "(hidden)" if setting.secret else repr(value)
            raise SettingError(f"{name} must be {kind}, got {shown}", name) from None
        problem = setting.check(converted) if setting.check else None
        if problem:
            raise SettingError(f"{name}: {problem}", name)
        out[name] = converted
    for setting in table.values():
        if setting.name in out:
            continue
        if setting.required:
            raise SettingError(
                f"the {backend} backend needs {setting.describe()}; add "
                f"{setting.name} = ... to the machine's table",
                setting.name,
            )
        if setting.default is not None:
            out[setting.name] = setting.default
    return out


def public_settings(declared: Iterable[Setting], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` without the secret settings (what listings and logs may show)."""
    secret = {setting.name for setting in declared if setting.secret}
    return {name: value for name, value in values.items() if name not in secret}


def resolve_secret(reference: str, field: str) -> str:
    """The secret a reference names: "env:NAME" (an environment variable) or "file:PATH".

    Raises SettingError naming `field` (never showing the secret) when it cannot be read.
    """
    kind, _, target = reference.partition(":")
    if kind == "env" and target:
        value = os.environ.get(target)
        if not value:
            raise SettingError(
                f"{field} names the environment variable {target}, which is not set in the "
                "server's environment; set it before starting the server",
                field,
            )
        return value
    if kind == "file" and target:
        path = Path(target).expanduser()
        try:
            return path.read_text().strip()
        except OSError as error:
            raise SettingError(
                f"{field} names the file {path}, which cannot be read ({error.strerror}); "
                "create it (mode 600) or fix the path",
                field,
            ) from None
    raise SettingError(
        f"{field} must be a reference to a secret, 'env:VARIABLE' or 'file:/path', "
        "never the secret itself",
        field,
    )
