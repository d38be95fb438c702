"""Job notification settings: the two job options and the server's SMTP and retry settings.

`check_notify_options` checks `notify_url` (an http(s) URL; ${JOB_ID} and ${STATUS} are
filled in when it is used) and `notify_email` with the other options, naming the field in
every error; `NotifySettings` comes from a configuration table or $JETLAG_SMTP_*. The SMTP
password is a secret: it never appears in a repr, a listing or an error. Nothing here
sends anything (notify.py does).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jetlag.runtime.jobs.errors import JobError
from jetlag.runtime.jobs.notify_delivery import SmtpSettings, expand_url

#: The options this module checks (options.py lists them with the others).
NOTIFY_OPTIONS = {
    "notify_url": "an http(s) URL POSTed when the job ends; ${JOB_ID} and ${STATUS} are "
    "substituted",
    "notify_email": "an e-mail address told when the job ends (needs the server's SMTP settings)",
}
MAX_URL = 2000
MAX_EMAIL = 254
EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
#: Environment variables read by `NotifySettings.from_environment`.
SMTP_ENV = {
    "host": "JETLAG_SMTP_HOST",
    "port": "JETLAG_SMTP_PORT",
    "sender": "JETLAG_SMTP_SENDER",
    "username": "JETLAG_SMTP_USER",
    "password": "JETLAG_SMTP_PASSWORD",
    "starttls": "JETLAG_SMTP_STARTTLS",
}


def check_notify_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """{"notify_url": ..., "notify_email": ...} checked (None when not given).

    Raises JobError naming `options.notify_url` or `options.notify_email`.
    """
    url = options.get("notify_url")
    if url is not None:
        field = "options.notify_url"
        if not isinstance(url, str) or not url or len(url) > MAX_URL:
            raise JobError(f"{field} must be a URL of at most {MAX_URL} characters", field)
        if any(ord(ch) < 33 for ch in url):
            raise JobError(f"{field} must not contain spaces or control characters", field)
        try:
            parts = urllib.parse.urlsplit(expand_url(url, "j000000000000", "COMPLETED"))
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as error:
            raise JobError(f"{field} is not a URL ({error})", field) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise JobError(
                f"{field} must be an http:// or https:// URL with a host, got {url!r}", field
            )
        if parts.username is not None or parts.password is not None:
            raise JobError(
                f"{field} must not hold a user name or password; put a token in its path", field
            )
    email = options.get("notify_email")
    if email is not None:
        field = "options.notify_email"
        if not isinstance(email, str) or len(email) > MAX_EMAIL or not EMAIL.match(email):
            raise JobError(
                f"{field} must be one e-mail address like name@example.org, got {email!r}", field
            )
    return {"notify_url": url, "notify_email": email}


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no", ""):
        return value.lower() in ("1", "true", "yes")
    raise ValueError(f"{name} must be true or false, got {value!r}")


def _password(value: Any, where: str) -> str | None:
    """The SMTP password: given, or read from a reference ("env:NAME", "file:PATH")."""
    if not value:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where}.smtp_password must be a string (better: 'env:NAME')")
    if value.startswith(("env:", "file:")):
        from jetlag.runtime.jobs.backends.settings import resolve_secret

        return resolve_secret(value, f"{where}.smtp_password")
    return value


@dataclass(frozen=True)
class NotifySettings:
    """How notifications are sent: SMTP (None: e-mail refused at submission) and retries."""

    smtp: SmtpSettings | None = None
    max_attempts: int = 8
    backoff_s: float = 2.0
    max_backoff_s: float = 600.0
    timeout_s: float = 10.0

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], where: str = "notifications"
    ) -> NotifySettings:
        """Settings from a configuration table (keys: smtp_host, smtp_port, smtp_sender,
        smtp_username, smtp_password, smtp_starttls, smtp_ssl, max_attempts, backoff_s,
        max_backoff_s, timeout_s); ValueError naming `where.key` for a bad value."""
        known = {
            "smtp_host", "smtp_port", "smtp_sender", "smtp_username", "smtp_password",
            "smtp_starttls", "smtp_ssl", "max_attempts", "backoff_s", "max_backoff_s",
            "timeout_s",
        }  # fmt: skip
        for key in values:
            if key not in known:
                raise ValueError(
                    f"{where}.{key} is not a setting; known: {', '.join(sorted(known))}"
                )

        def number(key: str, default: float, low: float, whole: bool = False) -> Any:
            value = values.get(key, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
                raise ValueError(f"{where}.{key} must be a number >= {low}, got {value!r}")
            if whole and not float(value).is_integer():
                raise ValueError(f"{where}.{key} must be a whole number, got {value!r}")
            return int(value) if whole else float(value)

        smtp = None
        host = values.get("smtp_host")
        if host:
            if not isinstance(host, str):
                raise ValueError(f"{where}.smtp_host must be a host name, got {host!r}")
            port = number("smtp_port", 25, 1, whole=True)
            if port > 65535:
                raise ValueError(f"{where}.smtp_port must be from 1 to 65535, got {port}")
            sender = values.get("smtp_sender") or "jetlag@localhost"
            if not isinstance(sender, str) or not EMAIL.match(sender):
                raise ValueError(f"{where}.smtp_sender must be an e-mail address, got {sender!r}")
            smtp = SmtpSettings(
                host=host,
                port=port,
                sender=sender,
                username=values.get("smtp_username") or None,
                password=_password(values.get("smtp_password"), where),
                starttls=_flag(values.get("smtp_starttls", False), f"{where}.smtp_starttls"),
                use_ssl=_flag(values.get("smtp_ssl", False), f"{where}.smtp_ssl"),
                timeout_s=number("timeout_s", 10.0, 0.01),
            )
        return cls(
            smtp=smtp,
            max_attempts=number("max_attempts", 8, 1, whole=True),
            backoff_s=number("backoff_s", 2.0, 0.0),
            max_backoff_s=number("max_backoff_s", 600.0, 0.0),
            timeout_s=number("timeout_s", 10.0, 0.01),
        )

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> NotifySettings:
        """Settings from $JETLAG_SMTP_HOST, _PORT, _SENDER, _USER, _PASSWORD, _STARTTLS."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for key, name in SMTP_ENV.items():
            if env.get(name):
                values[f"smtp_{key}"] = env[name]
        if "smtp_port" in values:
            if not values["smtp_port"].isdigit():
                raise ValueError(f"${SMTP_ENV['port']} must be a port number")
            values["smtp_port"] = int(values["smtp_port"])
        return cls.from_mapping(values, where="environment JETLAG_SMTP")
