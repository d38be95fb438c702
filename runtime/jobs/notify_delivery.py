"""Sending one job notification: a webhook POST or an e-mail through SMTP.

Each function makes one attempt and either returns a short account of what happened
("HTTP 200") or raises `DeliveryError` with a message fit for the job's history. Nothing
here retries, keeps state or logs: `notify.Notifier` does. Secrets (the SMTP password)
never appear in a message, a repr or `to_json`.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

#: Placeholders a callback URL may hold (the paper's JetLag substitutes the same two).
JOB_ID_PLACEHOLDER = "${JOB_ID}"
STATUS_PLACEHOLDER = "${STATUS}"
USER_AGENT = "JetLag-notifier/1"


class DeliveryError(Exception):
    """One attempt to notify failed; the message says why (no secrets in it)."""


@dataclass(frozen=True)
class SmtpSettings:
    """How e-mail leaves this server. `password` is a secret: hidden from repr and JSON."""

    host: str
    port: int = 25
    sender: str = "jetlag@localhost"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    use_ssl: bool = False
    timeout_s: float = 10.0

    def to_json(self) -> dict[str, Any]:
        """The settings without the password (whether one is set is shown)."""
        return {
            "host": self.host,
            "port": self.port,
            "sender": self.sender,
            "username": self.username,
            "has_password": self.password is not None,
            "starttls": self.starttls,
            "use_ssl": self.use_ssl,
        }


def expand_url(template: str, job_id: str, state: str) -> str:
    """The callback URL with ${JOB_ID} and ${STATUS} replaced (URL-quoted)."""
    return template.replace(JOB_ID_PLACEHOLDER, urllib.parse.quote(job_id, safe="")).replace(
        STATUS_PLACEHOLDER, urllib.parse.quote(state, safe="")
    )


def shown_url(url: str) -> str:
    """The URL as history and logs show it: scheme, host, port and path (no query)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    query = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path}{query}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer, not a delivery: reported as HTTP 3xx


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_webhook(url: str, payload: Mapping[str, Any], timeout_s: float = 10.0) -> str:
    """POST `payload` as JSON to `url`; returns "HTTP <code>" for a 2xx answer.

    Raises DeliveryError for any other answer, a refused connection or a timeout.
    """
    request = urllib.request.Request(
        url,
        data=json.dumps(dict(payload)).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    try:
        with _OPENER.open(request, timeout=timeout_s) as answer:
            answer.read(65536)
            return f"HTTP {answer.status}"
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} from {shown_url(url)}") from None
    except urllib.error.URLError as error:
        raise DeliveryError(f"{shown_url(url)} unreachable ({error.reason})") from None
    except (OSError, ValueError) as error:
        raise DeliveryError(f"{shown_url(url)} unreachable ({type(error).__name__})") from None


def send_email(smtp: SmtpSettings, to: str, subject: str, body: str) -> str:
    """Send one plain-text e-mail through `smtp`; returns "accepted by HOST:PORT".

    Raises DeliveryError (never with the password in it) when the server refuses it or
    cannot be reached.
    """
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    where = f"{smtp.host}:{smtp.port}"
    try:
        if smtp.use_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout_s, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
        with client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username is not None:
                client.login(smtp.username, smtp.password or "")
            refused = client.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(
            f"the SMTP server {where} refused the login ({error.smtp_code})"
        ) from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f"the SMTP server {where} answered {error.smtp_code}") from None
    except smtplib.SMTPException as error:
        raise DeliveryError(f"the SMTP server {where} failed ({type(error).__name__})") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise DeliveryError(f"the SMTP server {where} is unreachable ({reason})") from None
    if refused:
        raise DeliveryError(f"the SMTP server {where} refused the recipient")
    return f"accepted by {where}"
