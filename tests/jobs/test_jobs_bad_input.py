"""Bad input is refused before anything is stored, with the field, the status and the fix."""

from __future__ import annotations

import io

import numpy as np
import pytest

from jetlag.runtime.jobs import JobError
from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.package import jobs_dir

GOOD = "import numpy as np\n\ndef f(x):\n    return x + 1\n"


def submit(service, **overrides):
    request = {"source": GOOD, "entry": "f", "args_npz": encode_arguments((1.0,))}
    request.update(overrides)
    return service.submit(**request)


def refused(service, status: int, field: str, fragment: str = "", **overrides) -> JobError:
    with pytest.raises(JobError) as caught:
        submit(service, **overrides)
    error = caught.value
    assert (error.status, error.field) == (status, field), str(error)
    assert fragment in str(error)
    assert error.to_json() == {"error": str(error), "field": field}
    assert service.list() == []  # nothing stored
    folder = jobs_dir(service.root)
    assert not folder.exists() or list(folder.iterdir()) == []
    return error


def test_unknown_machine_is_404(make_service):
    refused(make_service(monitor=False), 404, "machine", "the machines are local", machine="hpc")


def test_a_syntax_error_names_line_and_column(make_service):
    source = "def f(x):\n    return x +* 2\n"
    error = refused(make_service(monitor=False), 400, "source", "source.py:2:", source=source)
    assert "invalid Python syntax" in str(error)


def test_a_construct_outside_physl_names_line_and_column(make_service):
    source = "import numpy as np\n\ndef f(x):\n    return np.fft.fft(x)\n"
    refused(make_service(monitor=False), 400, "source", "source.py:4:12", source=source)
    source = "def f(x):\n    with open('x') as h:\n        return x\n"
    refused(make_service(monitor=False), 400, "source", "source.py:2:", source=source)


def test_the_file_name_of_messages_can_be_given(make_service):
    source = "def f(x):\n    return x +* 2\n"
    refused(
        make_service(monitor=False), 400, "source", "cell.py:2:", source=source, filename="cell.py"
    )


def test_an_entry_that_is_not_defined(make_service):
    service = make_service(monitor=False)
    refused(service, 400, "entry", "'g' is not defined", entry="g")
    refused(service, 400, "entry", "", entry="not a name")
    refused(service, 400, "entry", "", entry=None)


def test_source_that_is_not_text_or_too_large(make_service):
    service = make_service(monitor=False)
    refused(service, 400, "source", "must be text", source=b"def f(): pass")
    refused(service, 413, "source", "at most", source="#" * (3 * 1024 * 1024))


def test_arguments_that_are_not_a_valid_npz(make_service):
    service = make_service(monitor=False)
    refused(service, 400, "args", "not a valid .npz", args_npz=b"garbage")
    buffer = io.BytesIO()
    np.savez(buffer, np.array([{}], dtype=object), allow_pickle=True)
    refused(service, 400, "args", "object array", args_npz=buffer.getvalue())


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"threads": 0}, "options.threads"),
        ({"threads": -3}, "options.threads"),
        ({"threads": 5000}, "options.threads"),
        ({"threads": "two"}, "options.threads"),
        ({"threads": True}, "options.threads"),
        ({"trace": "everything"}, "options.trace"),
        ({"time_limit_s": 0}, "options.time_limit_s"),
        ({"time_limit_s": -1}, "options.time_limit_s"),
        ({"time_limit_s": 10**9}, "options.time_limit_s"),
        ({"time_limit_s": 1.5}, "options.time_limit_s"),
        ({"label": "x" * 201}, "options.label"),
        ({"label": 7}, "options.label"),
        ({"label": "a\nb"}, "options.label"),
        ({"optimize": "yes"}, "options.optimize"),
        ({"priority": 1}, "options.priority"),
        ([1, 2], "options"),
    ],
)
def test_absurd_options(make_service, options, field):
    refused(make_service(monitor=False), 400, field, options=options)


def test_bad_idempotency_keys_and_origins(make_service):
    service = make_service(monitor=False)
    refused(service, 400, "idempotency_key", idempotency_key="")
    refused(service, 400, "idempotency_key", idempotency_key="k" * 201)
    refused(service, 400, "idempotency_key", idempotency_key=12)
    refused(service, 400, "origin", origin="not an origin!")


@pytest.mark.parametrize("job_id", ["j000000000000", "nope", "../etc", "", None, "J00000000000A"])
def test_unknown_or_malformed_job_ids_are_404(make_service, job_id):
    service = make_service(monitor=False)
    for call in (service.get, service.cancel, service.result_path, service.result_preview):
        with pytest.raises(JobError) as caught:
            call(job_id)
        assert (caught.value.status, caught.value.field) == (404, "job_id")
    with pytest.raises(JobError) as caught:
        service.output(job_id, "stdout")
    assert caught.value.status == 404


def test_bad_list_filters_and_streams(make_service):
    service = make_service(monitor=False)
    for kwargs, field in [
        ({"state": "DONE"}, "state"),
        ({"limit": 0}, "limit"),
        ({"limit": 10**6}, "limit"),
        ({"offset": -1}, "offset"),
    ]:
        with pytest.raises(JobError) as caught:
            service.list(**kwargs)
        assert (caught.value.status, caught.value.field) == (400, field)
    with pytest.raises(JobError) as caught:
        service.output("j000000000000", "stdin")
    assert (caught.value.status, caught.value.field) == (400, "stream")


def test_machines_always_lists_local(make_service):
    machines = make_service(monitor=False).machines()
    local = next(m for m in machines if m["id"] == "local")
    assert local["backend"] == "local" and local["available"] is True
    assert local["cores_per_node"] >= 1 and local["reason"] is None
