"""The Tapis backend, driven through the real tapipy client against the Tapis TEST DOUBLE
(tapis_double.py), whose every answer is checked against tapipy's own OpenAPI schemas."""

from __future__ import annotations

import json
import logging
import time

import job_functions
import numpy as np
import pytest
from jobs_support import FOREVER, WAIT, same, until
from tapis_double import PASSWORD, TOKEN_ENV, USER, TapisDouble, load_spec, tapis_settings

from jetlag.runtime.jobs import JobError, JobService, MachineConfig
from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.backends.tapis_client import TAPIS_STATES, map_state
from jetlag.runtime.jobs.remote import Job
from jetlag.runtime.jobs.sources import bundle_function


def machine(double: TapisDouble, **settings) -> MachineConfig:
    return MachineConfig(
        "hpc", "tapis", poll_interval_s=0.05, settings=tapis_settings(double, **settings)
    )


@pytest.fixture
def services(store):
    made: list[JobService] = []

    def make(config: MachineConfig) -> JobService:
        service = JobService(store, machines={"hpc": config})
        service.start_monitor(0.05)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


def submit(service: JobService, fn, *args, **options) -> str:
    bundle = bundle_function(fn)
    return service.submit(
        source=bundle.source,
        entry=bundle.entry,
        args_npz=encode_arguments(args),
        machine="hpc",
        options=options,
        filename=bundle.filename,
    )["id"]


def ended(service: JobService, job_id: str) -> str | None:
    state = service.get(job_id)["state"]
    return state if state in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT") else None


def reasons(service: JobService, job_id: str) -> list[str]:
    return [h["reason"] or "" for h in service.get(job_id)["history"]]


def test_every_tapis_state_is_mapped():
    documented = load_spec("jobs")["components"]["schemas"]["Job"]["properties"]["status"]["enum"]
    assert sorted(documented) == sorted(TAPIS_STATES)
    assert {s: map_state(s) for s in documented} == {
        "PENDING": "PENDING",
        "PROCESSING_INPUTS": "PENDING",
        "STAGING_INPUTS": "PENDING",
        "STAGING_JOB": "PENDING",
        "SUBMITTING_JOB": "PENDING",
        "QUEUED": "PENDING",
        "RUNNING": "RUNNING",
        "ARCHIVING": "RUNNING",
        "BLOCKED": None,
        "PAUSED": None,
        "FINISHED": "COMPLETED",
        "CANCELLED": "CANCELLED",
        "FAILED": "FAILED",
    }
    assert map_state("FAILED", "SCHEDULER_TIMEOUT") == "TIMEOUT"


def test_a_tapis_job_returns_what_the_function_returns_and_its_trace_comes_home(
    store, double, services
):
    service = services(machine(double))
    rng = np.random.default_rng(3)
    X = rng.random((30, 3))
    y = (X[:, 0] > 0.5).astype(np.float64)
    job_id = submit(service, job_functions.lra, X, y, 0.5, 4, label="on tapis")
    assert until(lambda: ended(service, job_id), "the Tapis job", WAIT) == "COMPLETED", reasons(
        service, job_id
    )
    job = Job(job_id, service)
    assert same(job.result(), job_functions.lra(X, y, 0.5, 4))
    assert job.stdout == "lra done after 4 iterations\n"
    info = service.get(job_id)
    uuid = service.records.get(job_id)["backend_ref"]
    assert uuid in double.jobs and double.jobs[uuid].status == "FINISHED"
    history = [(h["state"], h["reason"]) for h in info["history"]]
    assert history[0][0] == "SUBMITTED" and history[-1][0] == "COMPLETED"
    assert history[1][0] == "PENDING"
    assert history[1][1].startswith(f"submitted as Tapis job {uuid} (Tapis ")
    seen = [reason.split(":")[0] for _, reason in history]
    for tapis_state in ("Tapis QUEUED", "Tapis RUNNING", "Tapis ARCHIVING"):
        assert tapis_state in seen, history
    assert ("RUNNING", "Tapis RUNNING: The app is running") in history
    assert history[-1][1].endswith("[Tapis FINISHED (NORMAL_COMPLETION)]")
    # The trace came home: in the store, linked to the job, located under the machine.
    assert info["trace_id"] is not None
    trace = job.trace()
    assert len(trace.events) > 0 and trace.function == "lra"
    from jetlag.runtime.store.traces import TraceStore

    traces = TraceStore(store)
    try:
        row = traces.get(info["trace_id"])
        assert row["job_id"] == job_id and row["origin"] == "job"
        assert all(name.startswith("hpc/") for name in row["location_names"])
    finally:
        traces.close()
    # What was uploaded is the package and nothing else.
    uploaded = sorted(p.name for p in (double.root / "systems" / "double-storage").rglob("*.*"))
    assert uploaded == ["args.npz", "manifest.json", "source.py"]


def test_a_failing_job_comes_back_with_its_place(double, services):
    service = services(machine(double))
    job_id = submit(service, job_functions.mismatch, np.ones(3), np.ones(4), trace="off")
    assert until(lambda: ended(service, job_id), "the failing job", WAIT) == "FAILED"
    reason = service.get(job_id)["reason"]
    assert f"{job_functions.__file__}:" in reason and "broadcast" in reason
    line = reason.split(f"{job_functions.__file__}:")[1].split(":")[0]
    assert line.isdigit()  # file:line:col
    assert "Tapis FAILED (JOB_REMOTE_OUTCOME_ERROR)" in reason
    assert "broadcast" in service.output(job_id, "stderr")
    assert service.get(job_id)["exit_code"] == 1


def test_cancel_while_queued_and_while_running(double, services):
    service = services(machine(double))
    double.hold("QUEUED")
    queued = service.submit(
        source=FOREVER, entry="forever", args_npz=encode_arguments((1.0,)), machine="hpc"
    )["id"]
    uuid = until(lambda: service.records.get(queued)["backend_ref"], "the Tapis uuid")
    until(lambda: double.jobs[uuid].status == "QUEUED", "the job to be QUEUED")
    until(lambda: "Tapis QUEUED" in [r.split(":")[0] for r in reasons(service, queued)], "QUEUED")
    assert service.cancel(queued)["state"] == "CANCELLED"
    assert double.jobs[uuid].status == "CANCELLED"
    double.release()

    running = service.submit(
        source=FOREVER, entry="forever", args_npz=encode_arguments((1.0,)), machine="hpc"
    )["id"]
    until(lambda: service.get(running)["state"] != "PENDING", "the job to run")
    assert service.get(running)["state"] == "RUNNING", reasons(service, running)
    uuid = service.records.get(running)["backend_ref"]
    until(lambda: double.jobs[uuid].process is not None, "the app's process")
    assert service.cancel(running)["state"] == "CANCELLED"
    assert double.jobs[uuid].status == "CANCELLED"
    assert double.jobs[uuid].process.poll() is not None  # the remote process is gone
    assert service.get(running)["reason"] == f"cancelled on request (Tapis job {uuid} cancelled)"
    with pytest.raises(Exception, match="already CANCELLED"):
        service.cancel(running)


def test_a_restarted_service_reattaches_by_the_uuid_in_the_record(store, double, services):
    config = machine(double)
    first = services(config)
    double.hold("QUEUED")
    job_id = submit(first, job_functions.tiny, 41, trace="off")
    until(lambda: first.records.get(job_id)["backend_ref"], "the Tapis uuid")
    first.close()  # the server goes away while the Tapis job waits
    double.release()
    second = services(config)
    second.reattach()
    assert until(lambda: ended(second, job_id), "the job after the restart", WAIT) == "COMPLETED"
    assert Job(job_id, second).result() == 42
    assert len(double.jobs) == 1  # re-attached, not submitted again


def test_many_jobs_are_watched_with_one_search_per_poll(double, services):
    service = services(machine(double))
    double.hold("QUEUED")
    ids = [submit(service, job_functions.tiny, i, trace="off") for i in range(6)]
    until(
        lambda: all("Tapis QUEUED: The job is QUEUED" in reasons(service, i) for i in ids),
        "every job to be seen QUEUED",
    )
    uuids = sorted(service.records.get(i)["backend_ref"] for i in ids)
    # One search call per poll asks for all of them; no job is asked for alone.
    assert uuids in double.searches
    assert not any(op == "getJobStatus" for _, _, op in double.requests)
    double.release()
    for i, job_id in enumerate(ids):
        assert until(lambda j=job_id: ended(service, j), "the job", WAIT) == "COMPLETED"
        assert Job(job_id, service).result() == i + 1
    # A job the search no longer lists is asked for alone: Tapis's 404 fails it.
    lost = submit(service, job_functions.tiny, 7, trace="off")
    double.hold("QUEUED")
    until(lambda: service.records.get(lost)["backend_ref"], "the Tapis uuid")
    with double.lock:
        double.jobs.pop(service.records.get(lost)["backend_ref"])
    assert until(lambda: ended(service, lost), "the lost job") == "FAILED"
    assert "Tapis no longer knows job" in service.get(lost)["reason"]
    assert "HTTP 404" in service.get(lost)["reason"]
    double.release()


def test_a_tenant_that_refuses_the_search_has_each_job_asked_for_alone(double, services):
    double.search_refused = True
    service = services(machine(double))
    job_id = submit(service, job_functions.tiny, 2, trace="off")
    assert until(lambda: ended(service, job_id), "the job", WAIT) == "COMPLETED"
    assert Job(job_id, service).result() == 3
    assert any(op == "getJobStatus" for _, _, op in double.requests)


def test_credentials_stay_on_the_server(double, services, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    token = double.token
    service = services(machine(double))
    job_id = submit(service, job_functions.tiny, 1, trace="off")
    until(lambda: ended(service, job_id), "the job", WAIT)
    bad = JobService(
        service.root,
        machines={"hpc": machine(double, access_token="env:TAPIS_DOUBLE_NO_SUCH_VARIABLE")},
    )
    try:
        with pytest.raises(JobError) as refused:
            submit(bad, job_functions.tiny, 1, trace="off")
        assert refused.value.status == 503 and refused.value.field == "machine"
        assert "TAPIS_DOUBLE_NO_SUCH_VARIABLE" in refused.value.message
        machines = {m["id"]: m for m in bad.machines()}
        assert machines["hpc"]["available"] is False
        assert "TAPIS_DOUBLE_NO_SUCH_VARIABLE" in machines["hpc"]["reason"]
        answers = json.dumps(
            [bad.machines(), service.list(), service.get(job_id), refused.value.to_json()]
        )
    finally:
        bad.close()
    assert token not in answers and "env:" + TOKEN_ENV not in answers
    assert "access_token" not in json.dumps(service.machines())
    out, err = capfd.readouterr()
    assert token not in caplog.text and token not in out and token not in err
    package = service.directory(job_id)
    for path in package.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    for path in (double.root / "systems").rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    assert [op for _, _, op in double.requests].count("submitJob") == 1


def test_blocked_keeps_the_state_and_a_timeout_comes_back_as_timeout(double, services):
    service = services(machine(double))
    double.hold("QUEUED")
    job_id = service.submit(
        source=FOREVER,
        entry="forever",
        args_npz=encode_arguments((1.0,)),
        machine="hpc",
        options={"time_limit_s": 1, "trace": "off"},
    )["id"]
    uuid = until(lambda: service.records.get(job_id)["backend_ref"], "the Tapis uuid")
    until(lambda: double.jobs[uuid].status == "QUEUED", "the job to be QUEUED")
    double.jobs[uuid]._record("BLOCKED", "The job is blocked: the scheduler is down")
    until(lambda: any("Tapis BLOCKED" in r for r in reasons(service, job_id)), "BLOCKED")
    assert service.get(job_id)["state"] == "PENDING"  # Tapis holds it; JetLag's state stays
    double.release()
    assert until(lambda: ended(service, job_id), "the time limit", WAIT) == "TIMEOUT"
    info = service.get(job_id)
    assert "time limit of 1 s" in info["reason"] and info["exit_code"] == 124
    assert info["reason"].endswith("[Tapis FAILED (JOB_REMOTE_OUTCOME_ERROR)]")


def test_notifications_work_for_tapis_jobs_too(double, services):
    from receivers import WebhookReceiver

    hook = WebhookReceiver()
    try:
        service = services(machine(double))
        job_id = submit(service, job_functions.tiny, 1, trace="off", notify_url=hook.url("/t"))
        until(lambda: hook.requests, "the notification", WAIT)
        assert hook.requests[0]["body"]["status"] == "COMPLETED"
        assert hook.requests[0]["body"]["machine"] == "hpc"
        assert service.get(job_id)["history"][-1]["reason"].startswith("notification by webhook")
    finally:
        hook.close()


def test_a_bad_or_expired_token_makes_the_machine_unavailable(double, store, monkeypatch):
    import jwt

    monkeypatch.setenv("TAPIS_DOUBLE_BAD", "not-a-jwt-SECRET")
    expired = jwt.encode({"exp": 1, "sub": "u"}, "k" * 32, algorithm="HS256")
    monkeypatch.setenv("TAPIS_DOUBLE_OLD", expired)
    for variable, words in (("TAPIS_DOUBLE_BAD", "not a JWT"), ("TAPIS_DOUBLE_OLD", "expired")):
        config = machine(double, access_token=f"env:{variable}")
        with JobService(store, machines={"hpc": config}) as service:
            listed = {m["id"]: m for m in service.machines()}["hpc"]
            assert listed["available"] is False and words in listed["reason"]
            assert "SECRET" not in json.dumps(listed) and expired not in json.dumps(listed)
            with pytest.raises(JobError) as refused:
                submit(service, job_functions.tiny, 1)
            assert refused.value.status == 503 and words in refused.value.message
    assert double.requests == []  # nothing was sent with a token that cannot work


def test_a_tapis_that_does_not_answer_times_out(double):
    import socket

    from jetlag.runtime.jobs.backends.tapis import TapisBackend
    from jetlag.runtime.jobs.backends.tapis_client import TapisClient, TapisError

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        config = machine(double, base_url=url, timeout_s=0.3)
        client = TapisClient(TapisBackend.check_settings(config.settings))
        with pytest.raises(TapisError, match=f"unreachable at {url}"):
            client.status("0000-007")


def test_the_double_checks_its_answers_against_tapipys_schemas():
    from tapis_double import Schemas

    schemas = Schemas()

    def check(operation, status, value, kind="application/json"):
        return schemas.check(operation, status, kind, json.dumps(value).encode())

    assert check("getJob", 200, {"status": "success", "result": {"status": "RUNNING"}}) == []
    assert "'DONE' is not one of" in check("getJob", 200, {"result": {"status": "DONE"}})[0]
    assert (
        "None is not of type 'string'"
        in check("getJobStatus", 200, {"result": {"status": "QUEUED", "condition": None}})[0]
    )
    assert "not a documented answer" in check("getJob", 418, {})[0]
    assert "content type" in check("getJob", 200, {}, kind="text/plain")[0]


def test_a_bad_live_interval_names_its_setting(double):
    from jetlag.runtime.jobs.backends.settings import SettingError
    from jetlag.runtime.jobs.backends.tapis import TapisBackend

    with pytest.raises(SettingError) as caught:
        TapisBackend.check_settings(tapis_settings(double, live_interval_s=-1))
    assert caught.value.field == "live_interval_s"
    assert caught.value.message == "live_interval_s: must be between 0 and 3600"
    with pytest.raises(SettingError) as caught:
        TapisBackend.check_settings(tapis_settings(double, live_interval_s="soon"))
    assert caught.value.field == "live_interval_s"
    settings = TapisBackend.check_settings(tapis_settings(double, live_interval_s=0.5))
    assert settings["live_interval_s"] == 0.5


PASSWORD_ENV = "TAPIS_DOUBLE_PASSWORD"


def password_machine(double: TapisDouble, monkeypatch, password: str = PASSWORD) -> MachineConfig:
    monkeypatch.setenv(PASSWORD_ENV, password)
    return machine(double, access_token=None, username=USER, password=f"env:{PASSWORD_ENV}")


def test_a_user_and_password_sign_in_and_renew_tokens_while_a_job_waits(
    double, services, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    double.token_lifetime_s = 2.0  # a token lives 2 s: renewed after 1.5 s
    service = services(password_machine(double, monkeypatch))
    double.hold("QUEUED")
    job_id = submit(service, job_functions.tiny, 5, trace="off")
    until(lambda: "Tapis QUEUED: The job is QUEUED" in reasons(service, job_id), "QUEUED")
    time.sleep(3.0)  # longer than one token lives, polled all the while
    double.release()
    assert until(lambda: ended(service, job_id), "the job", WAIT) == "COMPLETED"
    assert Job(job_id, service).result() == 6
    assert len(double.sign_ins) >= 2  # signed in again before the first token expired
    assert not any("401" in reason for reason in reasons(service, job_id))
    assert "401" not in caplog.text and PASSWORD not in caplog.text
    listed = {m["id"]: m for m in service.machines()}["hpc"]
    assert PASSWORD not in json.dumps(listed) and PASSWORD_ENV not in json.dumps(listed)


def test_a_wrong_password_is_tapiss_401_in_its_words_and_never_shown(
    double, services, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    service = services(password_machine(double, monkeypatch, password="not it"))
    job_id = submit(service, job_functions.tiny, 5, trace="off")
    assert until(lambda: ended(service, job_id), "the refused job", WAIT) == "FAILED"
    reason = service.get(job_id)["reason"]
    assert (
        f"signing in to Tapis as {USER}: HTTP 401: Invalid username/password combination." in reason
    )
    assert "not it" not in caplog.text and "not it" not in json.dumps(service.get(job_id))


def test_one_way_to_sign_in_is_required(double):
    from jetlag.runtime.jobs.backends.settings import SettingError
    from jetlag.runtime.jobs.backends.tapis import TapisBackend

    for settings, field, words in (
        ({"access_token": None}, "access_token", "access_token is missing: give access_token"),
        ({"access_token": None, "username": USER}, "password", "password is missing"),
        ({"username": USER, "password": "env:X"}, "access_token", "not both"),
    ):
        with pytest.raises(SettingError) as caught:
            TapisBackend.check_settings(tapis_settings(double, **settings))
        assert caught.value.field == field and words in caught.value.message, caught.value
