"""Holding BLAS to one thread while the runtime's pool owns the cores.

Multithreaded BLAS calls inside tasks fight the pool's workers for two cores (measured: up to
1.8x slower), so runs and compiled loops hold every loaded BLAS to one thread. This module
only limits threads; it decides nothing about when.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext

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
    with _blas_lock:
        # SciPy's own OpenBLAS, once anything has loaded it, must be limited too.
        if (include_scipy or "scipy.linalg" in sys.modules) and not _blas_sees_scipy:
            import scipy.linalg.cython_blas  # noqa: F401

            _blas_controller, _blas_sees_scipy = None, True
        if _blas_controller is None:
            from threadpoolctl import ThreadpoolController

            _blas_controller = ThreadpoolController()
        controller = _blas_controller
    if not controller.select(user_api="blas").lib_controllers:
        return nullcontext()
    return controller.limit(limits=1, user_api="blas")
