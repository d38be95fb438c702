"""Holding BLAS to one thread while the runtime's pool owns the cores.

Multithreaded BLAS calls inside tasks fight the pool's workers for two cores (measured: up to
1.8x slower), so runs and compiled loops hold every loaded BLAS to one thread. This module
only limits threads; it decides nothing about when.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from jetlag.runtime.locks import fork_safe_lock

_blas_controller = None
_blas_sees_scipy = False
_blas_lock = fork_safe_lock()  # unlocked again in a forked child


def single_threaded_blas(include_scipy: bool = False) -> AbstractContextManager:
    """Context holding every loaded BLAS to one thread (a no-op when threadpoolctl finds none).

    The controller lists the libraries loaded when it is made. `include_scipy=True` (compiled
    loops: Numba's np.dot and linear algebra call SciPy's BLAS) loads SciPy's BLAS first,
    and so does any call once `scipy.linalg` is imported; the controller is then re-made
    once if it was made before. Enter it on the driver thread:
    OpenBLAS ignores a worker thread's request.
    """
    global _blas_controller, _blas_sees_scipy
    wanted = 2 if include_scipy or "scipy.linalg" in sys.modules else 1
    if getattr(_held, "level", 0) >= wanted:
        return nullcontext()  # an outer context of this thread holds them already
    with _blas_lock:
        # SciPy's own OpenBLAS, once anything has loaded it, must be limited too.
        if (include_scipy or "scipy.linalg" in sys.modules) and not _blas_sees_scipy:
            import scipy.linalg.cython_blas  # noqa: F401

            _blas_controller, _blas_sees_scipy = None, True
        if _blas_controller is None:
            from threadpoolctl import ThreadpoolController

            _blas_controller = ThreadpoolController()
        controller = _blas_controller
        level = 2 if _blas_sees_scipy else 1
    if not controller.select(user_api="blas").lib_controllers:
        return nullcontext()
    return _holding(controller, level)


#: How much this thread holds: 0 nothing, 1 the BLAS loaded, 2 SciPy's too. A compiled
#: loop inside a run would otherwise limit (and restore) the same libraries again.
_held = threading.local()


@contextmanager
def _holding(controller, level: int) -> Iterator[None]:
    before = getattr(_held, "level", 0)
    with controller.limit(limits=1, user_api="blas"):
        _held.level = level
        try:
            yield
        finally:
            _held.level = before
