"""Turn generated kernel source into importable modules of compiled Numba functions.

Generated source is written to `<cache>/jk_<digest>.py` and imported as a module, so Numba
and tracebacks can show its lines and a curious user can open the kernel JetLag ran. Numba's
own machine-code cache (`cache=True`) is deliberately not used: it stores compiled code as
serialized objects and loads them back, which JetLag never does; each process compiles a
kernel once on first use. The source handed here is built only by this package's emitters
from registry templates, generated identifiers and numeric literals: never from user text
(emit.py checks every literal), so importing it runs nothing a user wrote.

The cache directory is `JETLAG_CACHE_DIR`, else `~/.cache/jetlag/kernels`, else a per-user
temporary directory when the home is not writable.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import threading
from pathlib import Path
from types import ModuleType

#: Bump when the generated code's conventions change, so stale cached files are not reused.
GENERATION = "1"

_lock = threading.Lock()
_modules: dict[str, ModuleType] = {}
_directory: Path | None = None


def cache_directory() -> Path:
    """Where generated kernel modules are written."""
    global _directory
    if _directory is not None:
        return _directory
    configured = os.environ.get("JETLAG_CACHE_DIR")
    candidates = [Path(configured)] if configured else []
    candidates.append(Path.home() / ".cache" / "jetlag" / "kernels")
    candidates.append(Path(tempfile.gettempdir()) / f"jetlag-kernels-{os.getuid()}")
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            probe = candidate / f".probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        except OSError:
            continue
        _directory = candidate
        return candidate
    raise OSError("no writable directory for generated kernels; set JETLAG_CACHE_DIR to one")


def source_digest(source: str) -> str:
    """The content address of a generated module (source, generation, Numba version)."""
    import numba

    text = f"{GENERATION}\n{numba.__version__}\n{source}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def load_source(source: str) -> ModuleType:
    """The module for generated `source`, written and imported once per process.

    Writing goes through a temporary file and an atomic rename, so concurrent processes
    sharing the cache never import a half-written file.
    """
    digest = source_digest(source)
    with _lock:
        module = _modules.get(digest)
        if module is not None:
            return module
        directory = cache_directory()
        path = directory / f"jk_{digest}.py"
        if not path.exists() or path.read_text() != source:
            handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
            with os.fdopen(handle, "w") as stream:
                stream.write(source)
            os.replace(temporary, path)
        spec = importlib.util.spec_from_file_location(f"jetlag_kernels.jk_{digest}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[digest] = module
        return module
