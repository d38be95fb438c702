"""Where a remote backend's commands run and its files go: this host, or a login node over SSH.

A `Shell` runs one shell command line and moves whole files between a local folder and a
folder on the machine. `LocalShell` does it here (subprocess, file copies); `SshShell`
uses the system's OpenSSH client: key authentication only (BatchMode), the host key
checked against a configurable known_hosts (StrictHostKeyChecking=yes), one master
connection reused by every command (ControlMaster/ControlPersist), files moved as tar
streams over that connection and unpacked locally with tarfile's "data" filter (no
absolute paths, links or devices from the remote side). A dropped connection (ssh's exit
status 255) is retried with exponential backoff for commands that are safe to repeat;
`ShellUnreachable` says when it gave up. Nothing here knows about jobs or Slurm.
"""

from __future__ import annotations

import io
import logging
import os
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: ssh's own exit status for connection and authentication errors.
SSH_FAILED = 255


class ShellError(RuntimeError):
    """A command could not be run at all (not: it ran and failed; see `CommandResult`)."""


class ShellUnreachable(ShellError):
    """The machine could not be reached (after the retries)."""


@dataclass(frozen=True)
class CommandResult:
    """What a command left: its exit status and its output as text."""

    code: int
    stdout: str
    stderr: str

    def brief(self) -> str:
        """The command's error output (or output) in one short line, for messages."""
        text = self.stderr.strip() or self.stdout.strip() or f"exit status {self.code}"
        return " ".join(text.split())[:500]


class Shell:
    """Commands and files on one machine (see the module docstring)."""

    def run(
        self, command: str, *, stdin: bytes | None = None, timeout: float = 60, retry: bool = True
    ) -> CommandResult:
        """Run `command` with /bin/sh on the machine; ShellError if it could not be run."""
        raise NotImplementedError

    def put(self, files: Mapping[str, bytes], directory: str) -> None:
        """Create `directory` (and parents) and write `files` {name: bytes} into it."""
        raise NotImplementedError

    def get(self, directory: str, names: Iterable[str], into: Path) -> list[str]:
        """Copy those of `names` (files or folders) that exist in `directory` into `into`."""
        raise NotImplementedError

    def get_chunks(self, directory: str, after: int, into: Path) -> list[str]:
        """Copy the live chunk files `events-NNNNNN.npz` of `directory` numbered above
        `after` into `into` (live.py's names), in one transfer; returns their names. Only
        asked of a shell without a `local_folder` (where chunks are read in place)."""
        raise NotImplementedError

    def local_folder(self, directory: str) -> Path | None:
        """`directory` as a path readable here when the machine's files are this host's."""
        return None

    def close(self) -> None:
        """Release connections (running commands on the machine are not affected)."""


class LocalShell(Shell):
    """This host: commands through /bin/sh with extra environment variables, files copied."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = {**os.environ, **(env or {})}

    def run(
        self, command: str, *, stdin: bytes | None = None, timeout: float = 60, retry: bool = True
    ) -> CommandResult:
        """Run `command` here (ShellError when /bin/sh cannot start or it times out)."""
        try:
            done = subprocess.run(
                ["/bin/sh", "-c", command],
                input=stdin if stdin is not None else b"",
                capture_output=True,
                timeout=timeout,
                env=self.env,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ShellError(f"running {command.split()[0]!r} failed: {error}") from None
        return CommandResult(
            done.returncode,
            done.stdout.decode(errors="replace"),
            done.stderr.decode("utf-8", "replace"),
        )

    def put(self, files: Mapping[str, bytes], directory: str) -> None:
        """Write the files into `directory` here."""
        folder = Path(directory).expanduser()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, data in files.items():
            (folder / name).write_bytes(data)

    def get(self, directory: str, names: Iterable[str], into: Path) -> list[str]:
        """Copy the existing ones of `names` from `directory` into `into`."""
        folder = Path(directory).expanduser()
        copied = []
        for name in names:
            source = folder / name
            if source.is_dir():
                shutil.copytree(source, into / name, dirs_exist_ok=True)
            elif source.is_file():
                shutil.copyfile(source, into / name)
            else:
                continue
            copied.append(name)
        return copied

    def local_folder(self, directory: str) -> Path | None:
        """This host's files: the folder itself."""
        return Path(directory).expanduser()


class SshShell(Shell):
    """A login node over OpenSSH, one reused master connection (see the module docstring)."""

    def __init__(
        self,
        host: str,
        *,
        user: str | None = None,
        port: int = 22,
        identity_file: str | None = None,
        known_hosts: str | None = None,
        connect_timeout_s: float = 10,
        retries: int = 4,
        backoff_s: float = 0.5,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.host = host
        self.user = user
        self.port = port
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self.prefix = "".join(f"export {k}={shlex.quote(v)}; " for k, v in (env or {}).items())
        # The control socket's path must be short (sockaddr_un): a private temp folder.
        self._control_dir = tempfile.mkdtemp(prefix="jetlag-ssh-")
        self._lock = threading.Lock()
        options = {
            "BatchMode": "yes",
            "StrictHostKeyChecking": "yes",
            "ControlMaster": "auto",
            "ControlPath": os.path.join(self._control_dir, "%C"),
            "ControlPersist": "300",
            "ConnectTimeout": str(int(max(1, connect_timeout_s))),
            "ServerAliveInterval": "15",
            "ServerAliveCountMax": "3",
            "LogLevel": "ERROR",
        }
        if known_hosts:
            options["UserKnownHostsFile"] = str(Path(known_hosts).expanduser())
            options["GlobalKnownHostsFile"] = "/dev/null"
        if identity_file:
            options["IdentityFile"] = str(Path(identity_file).expanduser())
            options["IdentitiesOnly"] = "yes"
        self.base = ["ssh", "-p", str(port)]
        for key, value in options.items():
            self.base += ["-o", f"{key}={value}"]
        if user:
            self.base += ["-l", user]

    @property
    def where(self) -> str:
        """user@host:port, for messages."""
        return f"{self.user + '@' if self.user else ''}{self.host}:{self.port}"

    def _once(self, command: str, stdin: bytes | None, timeout: float) -> CommandResult:
        argv = [*self.base, self.host, "--", self.prefix + command]
        try:
            done = subprocess.run(
                argv,
                input=stdin if stdin is not None else b"",
                capture_output=True,
                timeout=timeout,
            )
        except FileNotFoundError:
            raise ShellError(
                "the ssh command is not installed here (Debian: openssh-client)"
            ) from None
        except subprocess.TimeoutExpired:
            return CommandResult(SSH_FAILED, "", f"no answer from {self.where} in {timeout:g} s")
        return CommandResult(
            done.returncode,
            done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace"),
        )

    def run(
        self, command: str, *, stdin: bytes | None = None, timeout: float = 60, retry: bool = True
    ) -> CommandResult:
        """Run `command` on the login node; a dropped connection is retried when `retry`."""
        attempts = 1 + (self.retries if retry else 0)
        delay = self.backoff_s
        for attempt in range(attempts):
            result = self._once(command, stdin, timeout)
            if result.code != SSH_FAILED:
                return result
            log.info(
                "ssh to %s failed (%s); attempt %d of %d",
                self.where,
                result.brief(),
                attempt + 1,
                attempts,
            )
            if attempt + 1 < attempts:
                time.sleep(delay)
                delay = min(delay * 2, 30)
        raise ShellUnreachable(
            f"cannot reach {self.where} over ssh: {result.brief()} (check the host, the key, "
            "and that its host key is in the machine's known_hosts)"
        )

    def put(self, files: Mapping[str, bytes], directory: str) -> None:
        """Send the files as one tar stream, unpacked into `directory` on the machine."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o600
                archive.addfile(info, io.BytesIO(data))
        folder = shlex.quote(directory)
        result = self.run(
            f"mkdir -p {folder} && tar -xf - -C {folder}", stdin=buffer.getvalue(), timeout=300
        )
        if result.code != 0:
            raise ShellError(
                f"copying the job to {self.where}:{directory} failed: {result.brief()}"
            )

    def get(self, directory: str, names: Iterable[str], into: Path) -> list[str]:
        """Fetch the existing ones of `names` as one tar stream and unpack them safely."""
        quoted = " ".join(shlex.quote(name) for name in names)
        command = (
            f"cd {shlex.quote(directory)} 2>/dev/null || exit 0; set --; "
            f'for n in {quoted}; do [ -e "$n" ] && set -- "$@" "$n"; done; '
            'if [ $# -gt 0 ]; then tar -cf - "$@"; fi'
        )
        return self._unpack(self._get_bytes(command), into)

    def get_chunks(self, directory: str, after: int, into: Path) -> list[str]:
        """One ssh command lists the chunks above `after` and sends them as a tar stream."""
        command = (
            f"cd {shlex.quote(directory)} 2>/dev/null || exit 0; set --; "
            "for n in events-[0-9][0-9][0-9][0-9][0-9][0-9].npz; do "
            '[ -f "$n" ] || continue; i=${n#events-}; i=${i%.npz}; '
            f'[ "$i" -gt {int(after)} ] && set -- "$@" "$n"; done; '
            'if [ $# -gt 0 ]; then tar -cf - "$@"; fi'
        )
        return self._unpack(self._get_bytes(command), into)

    def _unpack(self, data: bytes, into: Path) -> list[str]:
        if not data:
            return []
        into.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            members = archive.getmembers()
            archive.extractall(into, filter="data")
        return sorted({member.name.split("/")[0] for member in members})

    def _get_bytes(self, command: str) -> bytes:
        argv = [*self.base, self.host, "--", self.prefix + command]
        delay = self.backoff_s
        for attempt in range(1 + self.retries):
            try:
                done = subprocess.run(argv, input=b"", capture_output=True, timeout=300)
            except subprocess.TimeoutExpired:
                code, error = SSH_FAILED, b"timed out"
            else:
                code, error = done.returncode, done.stderr
            if code == 0:
                return done.stdout
            if code != SSH_FAILED:
                raise ShellError(
                    f"fetching from {self.where} failed: {error.decode(errors='replace').strip()}"
                )
            if attempt < self.retries:
                time.sleep(delay)
                delay = min(delay * 2, 30)
        raise ShellUnreachable(f"cannot reach {self.where} over ssh to fetch outputs")

    def disconnect(self) -> None:
        """Stop the master connection (the next command opens a new one)."""
        try:
            subprocess.run(
                [*self.base, "-O", "exit", self.host], capture_output=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            pass

    def close(self) -> None:
        """Stop the master connection and remove its socket folder."""
        self.disconnect()
        shutil.rmtree(self._control_dir, ignore_errors=True)
