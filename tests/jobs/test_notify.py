"""Job notifications: a real webhook receiver and a real SMTP server (aiosmtpd) on 127.0.0.1
are told once per final state; failed attempts are retried with backoff, every attempt is in
the job's history, and a pending notification survives a server restart."""

from __future__ import annotations

import numpy as np
import pytest
from jobs_support import TINY, WAIT, forever, until
from receivers import SmtpReceiver, WebhookReceiver, free_port

from jetlag.runtime.jobs import JobError, JobService
from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.notify import NotifySettings
from jetlag.runtime.jobs.notify_delivery import SmtpSettings

FAST = NotifySettings(backoff_s=0.05, max_backoff_s=0.2, timeout_s=5.0)


@pytest.fixture
def services(store):
    made: list[JobService] = []

    def make(settings: NotifySettings = FAST) -> JobService:
        service = JobService(store, notify=settings)
        service.start_monitor(0.05)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


@pytest.fixture
def hooks():
    made: list[WebhookReceiver] = []

    def make(port: int = 0, status: int = 200) -> WebhookReceiver:
        receiver = WebhookReceiver(port, status)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


def tiny(service: JobService, **options) -> str:
    options.setdefault("trace", "off")
    return service.submit(
        source=TINY, entry="tiny", args_npz=encode_arguments((1,)), options=options
    )["id"]


def notes(service: JobService, job_id: str) -> list[str]:
    """The notification entries of the job's history."""
    return [
        h["reason"]
        for h in service.get(job_id)["history"]
        if (h["reason"] or "").startswith("notification")
    ]


def settled(service: JobService, job_id: str) -> bool:
    """The job's notifications were queued and none is pending any more."""
    found = service.notifier.deliveries(job_id)
    return bool(found) and all(d["status"] != "pending" for d in found)


def test_a_webhook_is_posted_once_with_the_id_and_state_filled_in(services, hooks):
    service, hook = services(), hooks()
    job_id = tiny(service, notify_url=hook.url("/done/${JOB_ID}?state=${STATUS}"))
    until(lambda: service.get(job_id)["state"] == "COMPLETED", "the job")
    until(lambda: hook.requests, "the webhook")
    for _ in range(5):  # more rounds of the outbox send nothing more
        service.poll()
    assert len(hook.requests) == 1
    request = hook.requests[0]
    assert request["path"] == f"/done/{job_id}?state=COMPLETED"
    assert request["content_type"] == "application/json"
    assert request["body"]["job_id"] == job_id and request["body"]["status"] == "COMPLETED"
    assert request["body"]["exit_code"] == 0
    until(lambda: notes(service, job_id), "the attempt in the history")
    assert notes(service, job_id) == [
        f"notification by webhook to http://127.0.0.1:{hook.port}/done/{job_id}?… sent "
        "(HTTP 200, attempt 1)"
    ]
    history = service.get(job_id)["history"]
    assert history[-1]["state"] == "COMPLETED"  # the attempt is filed under the final state
    assert service.get(job_id)["options"]["notify_url"].endswith("${STATUS}")


def test_a_receiver_that_was_down_gets_it_after_retries(services, hooks):
    port = free_port()  # nothing listens here yet
    service = services()
    job_id = tiny(service, notify_url=f"http://127.0.0.1:{port}/hook")
    until(lambda: len(notes(service, job_id)) >= 2, "two failed attempts")
    hook = hooks(port)
    until(lambda: hook.requests, "the delivery once the receiver is up")
    until(lambda: settled(service, job_id), "the outbox to settle")
    service.poll()
    assert len(hook.requests) == 1
    history = notes(service, job_id)
    assert all("failed (attempt" in text and "retrying in" in text for text in history[:-1])
    assert "unreachable" in history[0]
    assert history[-1].endswith(f"sent (HTTP 200, attempt {len(history)})")
    assert [d["status"] for d in service.notifier.deliveries(job_id)] == ["sent"]


def test_an_error_answer_is_retried_and_given_up_after_max_attempts(services, hooks):
    hook = hooks(status=503)
    service = services(NotifySettings(max_attempts=3, backoff_s=0.01, timeout_s=5.0))
    job_id = tiny(service, notify_url=hook.url("/x"))
    until(lambda: settled(service, job_id), "the outbox to give up")
    assert len(hook.requests) == 3
    history = notes(service, job_id)
    assert len(history) == 3 and "HTTP 503" in history[0]
    assert history[-1].endswith("giving up")
    assert service.notifier.deliveries(job_id)[0]["status"] == "failed"


def test_a_pending_notification_is_sent_after_a_server_restart(store, services, hooks):
    port = free_port()
    first = services(NotifySettings(backoff_s=0.05, max_backoff_s=0.1, timeout_s=5.0))
    job_id = tiny(first, notify_url=f"http://127.0.0.1:{port}/after-restart")
    until(lambda: notes(first, job_id), "a failed attempt")
    first.close()  # the server stops with the notification pending
    hook = hooks(port)
    second = services()
    second.reattach()
    until(lambda: hook.requests, "the delivery by the restarted server")
    until(lambda: settled(second, job_id), "the outbox to settle")
    second.poll()
    assert len(hook.requests) == 1
    assert notes(second, job_id)[-1].endswith(
        "sent (HTTP 200, attempt " + str(len(notes(second, job_id))) + ")"
    )


def test_an_email_and_a_webhook_for_a_cancelled_and_a_failed_job(services, hooks):
    smtp = SmtpReceiver()
    try:
        settings = NotifySettings(
            smtp=SmtpSettings("127.0.0.1", smtp.port, sender="jetlag@example.org"),
            backoff_s=0.05,
            timeout_s=5.0,
        )
        service, hook = services(settings), hooks()
        job_id = forever(service, notify_email="ada@example.org", notify_url=hook.url("/c"))
        service.cancel(job_id)
        until(lambda: smtp.messages and hook.requests, "the e-mail and the webhook")
        bad = service.submit(
            source="def bad(a, b):\n    return a + b\n",
            entry="bad",
            args_npz=encode_arguments((np.ones(2), np.ones(3))),
            options={"notify_email": "bob@example.org", "trace": "off"},
        )["id"]
        until(lambda: len(smtp.messages) == 2, "the second e-mail", WAIT)
        until(lambda: settled(service, job_id) and settled(service, bad), "the outbox")
        service.poll()
        assert len(smtp.messages) == 2 and len(hook.requests) == 1
        (to1, first), (to2, second) = smtp.messages
        assert to1 == ["ada@example.org"] and first["Subject"] == f"JetLag job {job_id} CANCELLED"
        assert first["From"] == "jetlag@example.org"
        assert to2 == ["bob@example.org"] and second["Subject"] == f"JetLag job {bad} FAILED"
        assert service.get(bad)["state"] == "FAILED"
        assert ":2:" in second.get_payload()  # the error's line:col reaches the mail
        kinds = sorted(text.split(" to ")[0] for text in notes(service, job_id))
        assert kinds == ["notification by e-mail", "notification by webhook"]
    finally:
        smtp.close()


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"notify_url": "ftp://example.org/x"}, "options.notify_url", "http://"),
        ({"notify_url": "http://u:p@example.org/"}, "options.notify_url", "password"),
        ({"notify_url": "http://example.org/a b"}, "options.notify_url", "spaces"),
        ({"notify_url": 5}, "options.notify_url", "URL"),
        ({"notify_url": "http://example.org:99999/"}, "options.notify_url", "not a URL"),
        ({"notify_email": "not an address"}, "options.notify_email", "e-mail address"),
        ({"notify_email": "a@b.org"}, "options.notify_email", "SMTP"),
    ],
)
def test_bad_notification_options_name_their_field(store, options, field, words):
    with JobService(store, notify=NotifySettings()) as service:
        with pytest.raises(JobError) as caught:
            tiny(service, **options)
        assert caught.value.field == field and words in caught.value.message
        assert service.list() == []


def test_settings_from_configuration_hide_the_password():
    settings = NotifySettings.from_mapping(
        {"smtp_host": "mail.example.org", "smtp_port": 587, "smtp_password": "hunter2"}
    )
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.smtp.to_json())
    with pytest.raises(ValueError, match="notifications.smtp_port"):
        NotifySettings.from_mapping({"smtp_host": "h", "smtp_port": "x"})
    with pytest.raises(ValueError, match="notifications.smpt_host is not a setting"):
        NotifySettings.from_mapping({"smpt_host": "h"})
    env = NotifySettings.from_environment({"JETLAG_SMTP_HOST": "h", "JETLAG_SMTP_PORT": "2525"})
    assert env.smtp.host == "h" and env.smtp.port == 2525


def test_the_server_passes_its_notification_settings_to_the_jobs(store, monkeypatch):
    from jetlag.server_ext.services import Services

    monkeypatch.setenv("NOTIFY_TEST_PASSWORD", "s3cret-word")
    services = Services.create(
        store,
        start=False,
        notifications={
            "smtp_host": "mail.example.org",
            "smtp_username": "ada",
            "smtp_password": "env:NOTIFY_TEST_PASSWORD",
            "max_attempts": 3,
        },
    )
    try:
        settings = services.jobs.notifier.settings
        assert settings.smtp.host == "mail.example.org" and settings.max_attempts == 3
        assert settings.smtp.password == "s3cret-word"  # read from the reference
        assert "s3cret-word" not in repr(settings)
    finally:
        services.close()
