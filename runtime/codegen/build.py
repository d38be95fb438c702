"""Turn generated kernel source into modules of compiled Numba functions, loaded safely.

A kernel's module is compiled from the exact source text our emitters built, in memory
(`compile` + `exec` into a fresh module): never from a `.pyc`, and never by reading a file
back, so nothing planted in the cache directory can run. The text is also written to
`<cache>/jk_<digest>.py` (atomically) and put in `linecache`, so Numba's messages,
tracebacks and `inspect` show it and a curious user can open the kernel JetLag ran; that
file is for reading only and loading never depends on it. The source handed here is built
only by this package's emitters from registry templates, generated identifiers and numeric
literals, never from user text (emit.py checks every literal), so running it runs nothing a
user wrote. This module must not import a kernel from disk.

The cache directory is `JETLAG_CACHE_DIR`, else `~/.cache/jetlag/kernels`. Directories we
create get mode 0700 (their missing parents too); an existing one is used only when it is
a real directory (checked with `lstat`: a symbolic link is refused rather than resolved, as
the link could be retargeted between a check of its target and our use), owned by us and
not writable by group or others. Its parents are not checked: since nothing is read back,
a directory someone else could swap can at worst mislead a reader of the files. A
`JETLAG_CACHE_DIR` that fails these checks is a `SettingError`, never a silent fall-back.
The home default is refused with `KernelCacheError` when it is unsafe (wrong owner or
mode, a link); only when it cannot be created or written (a read-only home, a file in its
place) do we fall back to a fresh private directory from `tempfile.mkdtemp()` for this
process, removed at exit: a fixed name under the shared temporary directory could be
created first by another user.

Numba's machine-code cache (`@njit(cache=True)`) stays off: its index and data files hold
compiled code as serialized Python objects, restored before any check (numba/core/caching.py,
`_load_index` and `_load_data`), so enabling it would run unverified objects from disk and
break the project's rule of no deserialized code; each process compiles a kernel on first
use instead.
"""

from __future__ import annotations

import atexit
import hashlib
import linecache
import os
import shlex
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from jetlag.runtime.errors import JetLagError, SettingError
from jetlag.runtime.locks import fork_safe_lock

#: Bump when the generated code's conventions change, so stale cached files are not reused.
GENERATION = "1"

#: The environment variable that chooses the cache directory.
VARIABLE = "JETLAG_CACHE_DIR"

_DEFAULT_TEXT = "~/.cache/jetlag/kernels"
_ONLY_YOU = "a directory you own and only you can write"

_lock = fork_safe_lock()
_modules: dict[str, ModuleType] = {}
_directory: Path | None = None


class KernelCacheError(JetLagError, OSError):
    """The default kernel cache directory is unsafe, or no directory can hold kernels.

    The message names the directory, what is wrong with it and how to fix it.
    """


def cache_directory() -> Path:
    """Where generated kernel modules are written (chosen and checked once per process)."""
    with _lock:
        return _chosen_directory()


def reset_cache_directory() -> None:
    """Forget the chosen directory, so the next use reads `JETLAG_CACHE_DIR` and checks again.

    For tests; modules already loaded stay loaded.
    """
    global _directory
    with _lock:
        _directory = None


def source_digest(source: str) -> str:
    """The content address of a generated module (source, generation, Numba version)."""
    import numba

    text = f"{GENERATION}\n{numba.__version__}\n{source}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def load_source(source: str) -> ModuleType:
    """The module for generated `source`, compiled from this text once per process.

    The text is written to the cache through a temporary file and an atomic rename (which
    replaces, never follows, whatever is at the name), then compiled from memory.
    """
    digest = source_digest(source)
    with _lock:
        module = _modules.get(digest)
        if module is not None:
            return module
        path = _chosen_directory() / f"jk_{digest}.py"
        _write(path, source)
        filename = str(path)
        lines = source.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        # mtime None: linecache.checkcache keeps the entry, whatever happens to the file.
        linecache.cache[filename] = (len(source), None, lines, filename)
        code = compile(source, filename, "exec", dont_inherit=True)
        name = f"jetlag_kernels.jk_{digest}"
        module = ModuleType(name)
        module.__file__ = filename
        # Registered so inspect.getmodule (which Numba uses to name functions) finds it.
        sys.modules[name] = module
        try:
            exec(code, module.__dict__)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        _modules[digest] = module
        return module


def _write(path: Path, source: str) -> None:
    # Best effort: the file is for people and tools to read; the module never comes from it.
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(source)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _chosen_directory() -> Path:
    """The cache directory; the caller holds `_lock`."""
    global _directory
    if _directory is None:
        _directory = _choose()
    return _directory


def _choose() -> Path:
    text = os.environ.get(VARIABLE, "").strip()
    if text:
        directory = Path(text).expanduser().absolute()
        refusal = _refusal(directory)
        if refusal is not None:
            problem, fix = refusal
            advice = f"{fix}, set it to such a directory," if fix else "set it to one"
            raise SettingError(
                VARIABLE,
                f"{VARIABLE}={text!r} is not {_ONLY_YOU} (for generated kernels): {problem}; "
                f"{advice} or unset it (the default is {_DEFAULT_TEXT})",
            )
        return directory
    try:
        home = Path.home() / ".cache" / "jetlag" / "kernels"
    except (KeyError, RuntimeError):  # no home directory at all
        return _private_temporary(f"{_DEFAULT_TEXT} (no home directory)")
    refusal = _refusal(home)
    if refusal is None:
        return home
    problem, fix = refusal
    if fix is None:  # cannot be created or written: a read-only home
        return _private_temporary(problem)
    raise KernelCacheError(
        f"the kernel cache directory {home} is unsafe: {problem}; {fix}, "
        f"or set {VARIABLE} to {_ONLY_YOU}"
    )


def _refusal(directory: Path) -> tuple[str, str | None] | None:
    """Why `directory` cannot hold kernels and how to fix it, or None when it can.

    Creates the directory and its missing parents with mode 0700. The fix is None when
    the directory cannot be created or written or is not a directory: the home default
    then falls back to a private temporary directory.
    """
    try:
        _make_private(directory)
    except OSError as error:
        return f"{directory} cannot be created ({error.strerror or error})", None
    try:
        status = os.lstat(directory)
    except OSError as error:
        return f"{directory} cannot be examined ({error.strerror or error})", None
    if stat.S_ISLNK(status.st_mode):
        return (
            f"{directory} is a symbolic link (links are not followed)",
            "replace the link by a real directory",
        )
    if not stat.S_ISDIR(status.st_mode):
        return f"{directory} is not a directory", None
    user = os.geteuid()
    if status.st_uid != user:
        return (
            f"{directory} is owned by uid {status.st_uid}, not by you (uid {user})",
            "remove it or make it yours",
        )
    mode = stat.S_IMODE(status.st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        return (
            f"{directory} has mode {mode:04o} (group or others can write it)",
            f"run `chmod 700 {shlex.quote(str(directory))}`",
        )
    try:
        _probe(directory)
    except OSError as error:
        return f"{directory} cannot be written ({error.strerror or error})", None
    return None


def _make_private(directory: Path) -> None:
    """Create `directory` and its missing parents, each with mode 0700."""
    missing = []
    for candidate in (directory, *directory.parents):
        if os.path.lexists(candidate):
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        try:
            os.mkdir(candidate, 0o700)  # the umask can only remove bits: never wider
        except FileExistsError:
            pass  # made meanwhile by another process; the checks that follow decide


def _probe(directory: Path) -> None:
    handle, probe = tempfile.mkstemp(dir=directory, prefix=".probe-")
    os.close(handle)
    os.unlink(probe)


def _private_temporary(reason: str) -> Path:
    """A fresh directory only we can use, removed when this process exits."""
    try:
        directory = Path(tempfile.mkdtemp(prefix="jetlag-kernels-"))
    except OSError as error:
        raise KernelCacheError(
            f"no directory can hold generated kernels: {reason}, and a temporary one cannot "
            f"be made ({error.strerror or error}); set {VARIABLE} to {_ONLY_YOU}"
        ) from error
    atexit.register(_remove, directory, os.getpid())
    return directory


def _remove(directory: Path, owner: int) -> None:
    if os.getpid() == owner:  # not from a forked child that inherited the registration
        shutil.rmtree(directory, ignore_errors=True)
