"""JETLAG_* environment settings: a bad value is a clear error naming the variable."""

from __future__ import annotations

import os

import numpy as np
import pytest

from jetlag import physl
from jetlag.runtime.errors import SettingError
from jetlag.runtime.primitives.parallel import default_workers
from jetlag.runtime.scheduler.policy import AdaptivePolicy
from jetlag.runtime.scheduler.spin import spin_budget_ns
from jetlag.runtime.settings import one_of, whole_number


def test_unset_or_empty_settings_mean_the_default(monkeypatch):
    monkeypatch.delenv("JETLAG_EXAMPLE", raising=False)
    assert whole_number("JETLAG_EXAMPLE", 7) == 7
    monkeypatch.setenv("JETLAG_EXAMPLE", " ")
    assert whole_number("JETLAG_EXAMPLE", 7) == 7
    assert one_of("JETLAG_EXAMPLE", "b", ("a", "b")) == "b"
    monkeypatch.setenv("JETLAG_EXAMPLE", " 12 ")
    assert whole_number("JETLAG_EXAMPLE", 7, minimum=12) == 12


@pytest.mark.parametrize(
    ("variable", "value", "read", "message"),
    [
        (
            "JETLAG_THREADS",
            "0",
            default_workers,
            "JETLAG_THREADS='0' is not a whole number >= 1 (worker threads); set it to one "
            f"(the default is {len(os.sched_getaffinity(0))}) or unset it",
        ),
        (
            "JETLAG_SPIN_US",
            "soon",
            spin_budget_ns,
            "JETLAG_SPIN_US='soon' is not a whole number >= 0 (µs a waiting worker spins "
            "before it sleeps); set it to one (the default is 300) or unset it",
        ),
        (
            "JETLAG_INLINE_NS",
            "1e6",
            AdaptivePolicy.from_environment,
            "JETLAG_INLINE_NS='1e6' is not a whole number >= 0 (ns run inline); set it to "
            "one (the default is 500000) or unset it",
        ),
        (
            "JETLAG_INLINE_WORK",
            "-2",
            AdaptivePolicy.from_environment,
            "JETLAG_INLINE_WORK='-2' is not a whole number >= -1 (element touches run inline; "
            "-1: none); set it to one (the default is 32768) or unset it",
        ),
        (
            "JETLAG_INLINE_WARMUP",
            "-1",
            AdaptivePolicy.from_environment,
            "JETLAG_INLINE_WARMUP='-1' is not a whole number >= 0 (evaluations measured "
            "first); set it to one (the default is 3) or unset it",
        ),
    ],
)
def test_a_bad_setting_names_the_variable_the_value_and_the_fix(
    monkeypatch, variable, value, read, message
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingError) as caught:
        read()
    assert str(caught.value) == message
    assert caught.value.variable == variable
    assert isinstance(caught.value, ValueError)  # callers catching ValueError still do


def test_a_bad_trace_setting_fails_the_call_not_silently(monkeypatch):
    monkeypatch.setenv("JETLAG_TRACE", "everything")

    def double(x):
        return x * 2.0

    with pytest.raises(SettingError, match=r"^JETLAG_TRACE='everything' is not one of off, "):
        physl(double)(np.ones(3))
    monkeypatch.setenv("JETLAG_TRACE", "off")
    np.testing.assert_array_equal(physl(double)(np.ones(3)), 2.0)
