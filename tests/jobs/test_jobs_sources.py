"""A function becomes job source text: its def, what it calls, and the constants it uses."""

from __future__ import annotations

import inspect

import job_functions
import jobs_other_module
import numpy as np
import pytest
from jobs_other_module import double

from jetlag.runtime.jobs import JobError
from jetlag.runtime.jobs.sources import bundle_function, check_source

STEP = 3


def uses_other_file(x):
    return double(x) + STEP


def uses_a_module_of_ours(x):
    return jobs_other_module.double(x)


def uses_nan(x):
    return x + NOT_A_NUMBER


NOT_A_NUMBER = float("nan")


def test_a_physl_function_keeps_its_file_and_line_numbers():
    bundle = bundle_function(job_functions.lra)
    assert bundle.entry == "lra" and bundle.filename == job_functions.__file__
    lines = bundle.source.splitlines()
    first = inspect.getsourcelines(job_functions.lra.__physl_python_function__)[1]
    assert lines[first].startswith("def lra(")  # the decorator line is dropped, not shifted
    assert "def sigmoid(z):" in bundle.source and "RATE = 0.25" in bundle.source
    assert "import numpy as np" in bundle.source and "@physl" not in bundle.source
    check_source(bundle.source, bundle.entry, bundle.filename)


def test_functions_from_two_files_are_gathered_into_one_text():
    bundle = bundle_function(uses_other_file)
    assert bundle.filename == "source.py"
    assert "def double(x):" in bundle.source and "STEP = 3" in bundle.source
    check_source(bundle.source, bundle.entry, bundle.filename)


def test_a_closure_keeps_its_captured_constants():
    def make(k):
        def add(x):
            return x + k

        return add

    bundle = bundle_function(make(5))
    assert "k = 5" in bundle.source
    check_source(bundle.source, bundle.entry, bundle.filename)


def test_what_cannot_be_written_as_source_is_refused():
    with pytest.raises(JobError) as caught:
        bundle_function(uses_nan)
    assert caught.value.field == "fn" and "NOT_A_NUMBER" in str(caught.value)
    with pytest.raises(JobError) as caught:
        bundle_function(uses_a_module_of_ours)
    assert caught.value.field == "fn" and "from jobs_other_module import" in str(caught.value)
    with pytest.raises(JobError) as caught:
        bundle_function(np.sum)
    assert caught.value.field == "fn"
