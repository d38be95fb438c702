"""Command-line options shared by every test suite.

`--differential-examples=N` sets how many generated programs each differential test runs
(tests/runtime/test_differential.py); it only exports JETLAG_DIFFERENTIAL_EXAMPLES, which
those tests read when they are collected. Fixtures belong in each suite's own conftest.
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--differential-examples",
        type=int,
        default=None,
        metavar="N",
        help="generated programs per differential test (tests/runtime/test_differential.py); "
        "same as JETLAG_DIFFERENTIAL_EXAMPLES=N",
    )


def pytest_configure(config: pytest.Config) -> None:
    examples = config.getoption("--differential-examples")
    if examples is not None:
        if examples < 1:
            raise pytest.UsageError(f"--differential-examples must be at least 1, got {examples}")
        os.environ["JETLAG_DIFFERENTIAL_EXAMPLES"] = str(examples)
