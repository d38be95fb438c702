"""Machines from configuration: the TOML machines file and the server's `machines` setting.

The file is `$JETLAG_MACHINES`, else `jetlag_machines.toml` in the Jupyter config
directory; each top-level table is one machine, named by its id:

    [cluster]
    backend = "slurm"
    partition = "debug"
    cores_per_node = 4
    max_time_limit_s = 7200

Keys that every machine has (`COMMON`) fill `MachineConfig`; the rest go to the backend,
which declares and checks its own (`Backend.settings_spec`). A machine whose table is
wrong is kept, with `problem` saying what and where (file:line) -- it is listed as
unavailable and refuses jobs -- so one typo does not hide the other machines; a file
that is not TOML at all raises `MachineConfigError` with file:line:col. Nothing here runs
a job or contacts a machine.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jetlag.runtime.errors import JetLagError
from jetlag.runtime.jobs.backends import MachineConfig, SettingError, backend_names, get_backend
from jetlag.runtime.jobs.options import MAX_TIME_LIMIT_S, MIN_TIME_LIMIT_S

try:  # Python 3.11+; on 3.10 the same parser is the tomli package
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        tomllib = None

#: Environment variable naming the machines file.
MACHINES_ENV = "JETLAG_MACHINES"
MACHINES_FILENAME = "jetlag_machines.toml"
MACHINE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DOCS = "see docs/server.md, 'Machines'"

#: Keys every machine's table may have: (type, lowest value or None, what it is).
COMMON: dict[str, tuple[type, Any, str]] = {
    "backend": (str, None, "the backend: " + ", ".join(backend_names())),
    "host": (str, None, "the login node's host name"),
    "user": (str, None, "the user name on the machine"),
    "partition": (str, None, "the batch queue (Slurm partition)"),
    "max_nodes": (int, 1, "the most nodes a job may ask for"),
    "cores_per_node": (int, 1, "cores of one node (a job's default --cpus-per-task)"),
    "max_concurrent": (int, 1, "jobs running at once (local backend)"),
    "default_time_limit_s": (int, MIN_TIME_LIMIT_S, "a job's time limit when it names none"),
    "max_time_limit_s": (int, MIN_TIME_LIMIT_S, "the longest time limit a job may ask for"),
    "workdir": (str, None, "where job folders go on the machine"),
    "python": (str, None, "the Python that has JetLag installed on the machine"),
    "setup": (list, None, "shell lines run before the runner (module load, source activate)"),
    "poll_interval_s": (float, 0.01, "seconds between two looks at the machine's queue"),
    "description": (str, None, "one line shown in the machines list"),
}
ALIASES = {"queue": "partition"}


class MachineConfigError(JetLagError, ValueError):
    """The machines configuration cannot be read; `place` is file:line(:col)."""

    def __init__(self, message: str, place: str | None = None) -> None:
        super().__init__(f"{place}: {message}" if place else message)
        self.message = message
        self.place = place


@dataclass
class Machines:
    """What the configuration gave: machines by id, and errors that dropped a whole file."""

    configs: dict[str, MachineConfig] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def config_dir() -> Path:
    """The Jupyter config directory, as jupyter_core finds it (without importing it)."""
    explicit = os.environ.get("JUPYTER_CONFIG_DIR")
    return Path(explicit).expanduser() if explicit else Path.home() / ".jupyter"


def machines_path() -> Path:
    """Where the machines file is looked for: $JETLAG_MACHINES, else the config dir's."""
    explicit = os.environ.get(MACHINES_ENV)
    return Path(explicit).expanduser() if explicit else config_dir() / MACHINES_FILENAME


def _line_of(text: str, machine: str, key: str | None = None) -> int | None:
    """The line of `[machine]` (or of `key = ` inside it) in the file's text, 1-based."""
    header = re.compile(r"^\s*\[\s*(\"?)" + re.escape(machine) + r"\1\s*\]")
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        if header.match(line):
            if key is None:
                return number
            inside = True
        elif inside and re.match(r"^\s*\[", line):
            break
        elif inside and re.match(r"^\s*\"?" + re.escape(key) + r"\"?\s*=", line):
            return number
    return None


def _common(name: str, value: Any) -> Any:
    kind, low, what = COMMON[name]
    if kind is list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingError(f"{name} must be a list of strings ({what})", name)
        return tuple(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, kind):
        shown = {str: "a string", int: "a whole number", float: "a number"}[kind]
        raise SettingError(f"{name} must be {shown} ({what}), got {value!r}", name)
    if low is not None and value < low:
        raise SettingError(f"{name} must be at least {low} ({what}), got {value!r}", name)
    if name.endswith("time_limit_s") and value > MAX_TIME_LIMIT_S:
        raise SettingError(f"{name} must be at most {MAX_TIME_LIMIT_S} s, got {value}", name)
    return value


def machine_from_table(machine_id: str, table: Mapping[str, Any], source: str) -> MachineConfig:
    """A MachineConfig from one machine's table; raises SettingError naming the field."""
    if not MACHINE_ID.match(machine_id):
        raise SettingError(
            f"machine id {machine_id!r} must be letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)",
            "id",
        )
    if not isinstance(table, Mapping):
        raise SettingError(
            f"{machine_id} must be a table ([{machine_id}] with key = value lines)", "id"
        )
    common: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    for key, value in table.items():
        name = ALIASES.get(key, key)
        if name in COMMON:
            common[name] = _common(name, value)
        else:
            settings[key] = value
    backend = common.pop("backend", "local")
    try:
        backend_class = get_backend(backend)
    except ValueError as error:
        raise SettingError(str(error), "backend") from None
    checked = backend_class.check_settings(settings)
    default = common.get("default_time_limit_s")
    top = common.get("max_time_limit_s")
    if default is not None and top is not None and default > top:
        raise SettingError(
            f"default_time_limit_s ({default}) is more than max_time_limit_s ({top})",
            "default_time_limit_s",
        )
    if top is not None and default is None:
        common["default_time_limit_s"] = min(top, MachineConfig.default_time_limit_s)
    return MachineConfig(id=machine_id, backend=backend, settings=checked, source=source, **common)


def _broken(machine_id: str, table: Any, problem: str, source: str) -> MachineConfig:
    backend = table.get("backend") if isinstance(table, Mapping) else None
    return MachineConfig(
        id=machine_id,
        backend=backend if isinstance(backend, str) else "unknown",
        problem=problem,
        source=source,
    )


def machines_from_tables(
    tables: Mapping[str, Any], origin: str, text: str | None = None
) -> dict[str, MachineConfig]:
    """Machines from {id: table}; a bad table gives a machine with `problem` (file:line)."""
    out: dict[str, MachineConfig] = {}
    for machine_id, table in tables.items():
        line = _line_of(text, machine_id) if text else None
        source = f"{origin}:{line}" if line else origin
        try:
            out[machine_id] = machine_from_table(machine_id, table, source)
        except SettingError as error:
            key_line = _line_of(text, machine_id, error.field) if text else None
            place = f"{origin}:{key_line}" if key_line else source
            problem = f"{place}: [{machine_id}] {error.field}: {error.message}; fix it ({DOCS})"
            out[machine_id] = _broken(machine_id, table, problem, place)
    return out


def read_machines_file(path: Path) -> dict[str, MachineConfig]:
    """Machines of one TOML file; MachineConfigError (file:line:col and the fix) if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise MachineConfigError(
            f"the machines file cannot be read ({error}); make it a UTF-8 text file", str(path)
        ) from None
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        raise MachineConfigError(
            "reading it needs Python 3.11+ or the tomli package: pip install tomli", str(path)
        )
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        place = f"{path}:{match[1]}:{match[2]}" if match else str(path)
        what = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise MachineConfigError(
            f"not valid TOML: {what}; each machine is a table like [cluster] followed by "
            f'key = value lines (strings in quotes: backend = "slurm") ({DOCS})',
            place,
        ) from None
    return machines_from_tables(tables, str(path), text)


def load_machines(
    path: str | Path | None = None,
    configured: Mapping[str, Any] | None = None,
    configured_name: str = "jupyter_server_config (JetLagExtension.machines)",
) -> Machines:
    """The machines of the file (`path`, else `machines_path()`) and of the server's setting.

    A machine in both is taken from the setting. A file that cannot be read at all is
    reported in `errors` (its machines are missing); a bad machine has `problem` set.
    """
    found = Machines()
    file = Path(path).expanduser() if path else machines_path()
    try:
        found.configs.update(read_machines_file(file))
    except MachineConfigError as error:
        found.errors.append(str(error))
    if configured:
        found.configs.update(machines_from_tables(dict(configured), configured_name))
    return found
