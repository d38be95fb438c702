"""Fixtures for the kernel tests: the installed `physl` kernelspec and a running kernel.

The kernel is started for real through jupyter_client, from the kernelspec that
`pip install -e .` put into `<sys.prefix>/share/jupyter/kernels/physl`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from kernel_session import KERNEL_NAME, KernelSession, start_session


@pytest.fixture(scope="session", autouse=True)
def _private_trace_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Kernels started here save their traces into a temporary store, not the user's."""
    previous = os.environ.get("JETLAG_STORE")
    os.environ["JETLAG_STORE"] = str(tmp_path_factory.mktemp("jetlag-store"))
    yield
    if previous is None:
        os.environ.pop("JETLAG_STORE", None)
    else:
        os.environ["JETLAG_STORE"] = previous


@pytest.fixture(scope="session")
def physl_kernelspec() -> Any:
    """The installed kernelspec (fails with the fix when it is missing)."""
    try:
        return KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        pytest.fail(
            "the 'physl' kernelspec is not installed: run `pip install -e .` "
            "(or `python -m jetlag.kernel install --sys-prefix`)"
        )


@pytest.fixture(scope="module")
def kernel(physl_kernelspec: Any) -> Iterator[KernelSession]:
    """One physl kernel for a test module."""
    session = start_session()
    yield session
    session.close()
