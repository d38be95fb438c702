"""Talking to Tapis v3 through tapipy: the machine's settings, the client, its errors, and
the map from Tapis job states onto JetLag's.

Credentials are references ("env:NAME" or "file:PATH", settings.py) resolved only when the
client is made (tapis_auth.py: a token, or a user and password that sign in); the token
goes into tapipy's request headers and nowhere else: every
failure becomes a `TapisError` built from the HTTP status and Tapis's own message, never
from tapipy's request object (which holds the headers). Nothing here decides a job's
state in the store: tapis.py does.
"""

from __future__ import annotations

import functools
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from jetlag.runtime.jobs.backends.settings import Setting
from jetlag.runtime.jobs.backends.tapis_auth import (
    client_options,
    credentials_problem,
    due_for_renewal,
    signs_in,
)
from jetlag.runtime.jobs.states import CANCELLED, COMPLETED, FAILED, PENDING, RUNNING, TIMEOUT


def _url(value: str) -> str | None:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL"
    return None


def _name(value: str) -> str | None:
    if not value or any(ch in value for ch in "/ \t\n"):
        return "must be a Tapis id (no slashes or spaces)"
    return None


def _folder(value: str) -> str | None:
    parts = [p for p in value.split("/") if p]
    if not parts or ".." in parts:
        return "must be a folder path on the system without '..' (e.g. jetlag/jobs)"
    return None


SETTINGS: tuple[Setting, ...] = (
    Setting("base_url", str, required=True, help="the tenant's Tapis URL", check=_url),
    Setting("tenant_id", str, required=True, help="the Tapis tenant", check=_name),
    Setting("system_id", str, required=True, help="the system job packages go to", check=_name),
    Setting("app_id", str, required=True, help="the registered JetLag runner app", check=_name),
    Setting("app_version", str, default="1", help="the app's version", check=_name),
    Setting("exec_system_id", str, help="where the app runs (default: the app's system)"),
    Setting(
        "input_dir",
        str,
        default="jetlag/jobs",
        help="folder on system_id receiving each job's package",
        check=_folder,
    ),
    Setting(
        "access_token",
        str,
        secret=True,
        help="'env:NAME' or 'file:PATH' holding a Tapis access token (a JWT)",
    ),
    Setting("username", str, help="the Tapis user signing in (instead of access_token)"),
    Setting(
        "password",
        str,
        secret=True,
        help="'env:NAME' or 'file:PATH' holding the user's password (with username)",
    ),
    Setting(
        "webhook_url",
        str,
        help="this server's Tapis webhook URL as Tapis can reach it (else: polling only)",
        check=_url,
    ),
    Setting(
        "live_interval_s",
        float,
        help="seconds between the runner's flushes of live task events (0: none; default 2)",
        check=lambda value: None if 0 <= value <= 3600 else "must be between 0 and 3600",
    ),
    Setting("verify_tls", bool, default=True, help="check the Tapis server's certificate"),
    Setting(
        "timeout_s",
        float,
        default=60.0,
        help="seconds one Tapis call may take (a hung tenant must not stop the watching)",
        check=lambda value: None if value > 0 else "must be more than 0",
    ),
)

#: Tapis states before the app runs, and what they mean to JetLag.
WAITING = (
    "PENDING",
    "PROCESSING_INPUTS",
    "STAGING_INPUTS",
    "STAGING_JOB",
    "SUBMITTING_JOB",
    "QUEUED",
)
#: The app runs (ARCHIVING: it ended and its outputs are being copied).
WORKING = ("RUNNING", "ARCHIVING")
#: Tapis holds the job (an error it may recover from, or a pause): JetLag's state stays.
HELD = ("BLOCKED", "PAUSED")
ENDED = ("FINISHED", "CANCELLED", "FAILED")
TAPIS_STATES = WAITING + WORKING + HELD + ENDED
#: Conditions of a FAILED Tapis job that mean its time ran out.
TIMEOUT_CONDITIONS = frozenset(
    {"SCHEDULER_TIMEOUT", "SCHEDULER_DEADLINE", "JOB_EXECUTION_MONITORING_TIMEOUT"}
)


def map_state(status: str, condition: str | None = None) -> str | None:
    """JetLag's state for a Tapis status (None: keep the current one, BLOCKED/PAUSED).

    FINISHED maps to COMPLETED only provisionally: the runner's exit.json has the last word.
    """
    if status in WAITING:
        return PENDING
    if status in WORKING:
        return RUNNING
    if status in HELD:
        return None
    if status == "FINISHED":
        return COMPLETED
    if status == "CANCELLED":
        return CANCELLED
    if status == "FAILED":
        return TIMEOUT if condition in TIMEOUT_CONDITIONS else FAILED
    raise TapisError(f"Tapis reported the unknown job status {status!r}")


#: Jobs whose status one search call asks for (their uuids go into the query string).
SEARCH_BATCH = 50


class TapisError(Exception):
    """A Tapis call failed; the message names the call and Tapis's answer (no secrets).

    `status` is the HTTP status (None when Tapis could not be reached).
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def tapis_error(what: str, error: Any, base_url: str) -> TapisError:
    """A tapipy failure as "<what>: HTTP 404: <Tapis's message>", built from the HTTP
    status and Tapis's own words only (tapipy's request object holds the headers)."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    message = error.message
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    message = str(message or "no message")[:500]
    if status is None:
        message = "Tapis is unreachable at " + base_url
    where = f"HTTP {status}: " if status is not None else ""
    return TapisError(f"{what}: {where}{message}", status)


class TapisClient:
    """The calls the Tapis backend makes, through one tapipy client (made on first use)."""

    def __init__(self, settings: Mapping[str, Any], field_prefix: str = "settings") -> None:
        self.settings = dict(settings)
        self.field_prefix = field_prefix
        self._client: Any = None
        self._lock = threading.Lock()

    def token_problem(self) -> str | None:
        """Why the machine cannot sign in (a secret unreadable, the token not a JWT or
        expired), found without calling Tapis; None when it may."""
        return credentials_problem(self.settings)

    def client(self) -> Any:
        """The tapipy client; one that signs in gets its tokens (an authenticator call)
        when it is made and new ones when a quarter of their lifetime is left."""
        with self._lock:
            if self._client is not None and signs_in(self.settings):
                if due_for_renewal(self._client):
                    self._client = None
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _make_client(self) -> Any:
        from tapipy.errors import BaseTapyException
        from tapipy.tapis import Tapis

        problem = self.token_problem()
        if problem:
            raise TapisError(problem)
        try:
            client = Tapis(
                base_url=self.settings["base_url"].rstrip("/"),
                tenant_id=self.settings["tenant_id"],
                verify=self.settings.get("verify_tls", True),
                **client_options(self.settings),
            )
            # tapipy sends without a timeout: give every call one.
            session = client.requests_session
            session.send = functools.partial(
                session.send, timeout=self.settings.get("timeout_s", 60.0)
            )
        except Exception as error:  # noqa: BLE001 - tapipy's errors name no secret
            raise TapisError(f"tapipy refused the settings ({type(error).__name__})") from None
        if signs_in(self.settings):
            what = f"signing in to Tapis as {self.settings['username']}"
            try:
                client.get_tokens()
            except BaseTapyException as error:
                raise tapis_error(what, error, self.settings["base_url"]) from None
        return client

    def reset(self) -> None:
        """Forget the client (the token is read again next time: it may have been renewed)."""
        with self._lock:
            self._client = None

    def call(self, what: str, resource: str, operation: str, **kwargs: Any) -> Any:
        """One tapipy call; TapisError("<what>: HTTP 404: <Tapis's message>") on failure."""
        from tapipy.errors import BaseTapyException

        method = getattr(getattr(self.client(), resource), operation)
        try:
            return method(**kwargs)
        except BaseTapyException as error:
            failure = tapis_error(what, error, self.settings["base_url"])
            if failure.status == 401:
                self.reset()  # the next call signs in again or reads the token again
                if not signs_in(self.settings):
                    failure = TapisError(f"{failure} (renew the access token)", 401)
            raise failure from None

    # -- files ------------------------------------------------------------------------

    def upload(self, path: str, data: bytes) -> None:
        """Put `data` at `path` on the package system."""
        self.call(
            f"uploading {path} to {self.settings['system_id']}",
            "files",
            "insert",
            systemId=self.settings["system_id"],
            path=path,
            file=data,
        )

    # -- jobs -------------------------------------------------------------------------

    def submit(self, body: Mapping[str, Any]) -> tuple[str, str]:
        """Submit a job request; returns (uuid, Tapis status)."""
        job = self.call("submitting the job", "jobs", "submitJob", **body)
        return str(job.uuid), str(getattr(job, "status", "PENDING"))

    def status(self, uuid: str) -> tuple[str, str | None]:
        """(Tapis status, condition) of a job."""
        answer = self.call(
            f"reading the status of Tapis job {uuid}", "jobs", "getJobStatus", jobUuid=uuid
        )
        return str(answer.status), getattr(answer, "condition", None)

    def job(self, uuid: str) -> Any:
        """The whole Tapis job (lastMessage, condition, remoteOutcome...)."""
        return self.call(f"reading Tapis job {uuid}", "jobs", "getJob", jobUuid=uuid)

    def history(self, uuid: str, skip: int = 0) -> list[dict[str, Any]]:
        """The job's Tapis history from entry `skip` on.

        Each entry: {"event", "created", "eventDetail", "description"}.
        """
        rows = self.call(
            f"reading the history of Tapis job {uuid}",
            "jobs",
            "getJobHistory",
            jobUuid=uuid,
            skip=skip,
            limit=1000,
        )
        out = []
        for row in rows or []:
            out.append(
                {
                    name: getattr(row, name, None)
                    for name in ("event", "created", "eventDetail", "description")
                }
            )
        return out

    def cancel(self, uuid: str) -> None:
        """Ask Tapis to cancel the job."""
        self.call(f"cancelling Tapis job {uuid}", "jobs", "cancelJob", jobUuid=uuid)

    def statuses(self, uuids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """{uuid: (Tapis status, condition)} of many jobs, one search call per
        `SEARCH_BATCH` of them (a job Tapis does not list is left out)."""
        found: dict[str, tuple[str, str | None]] = {}
        for start in range(0, len(uuids), SEARCH_BATCH):
            batch = list(uuids[start : start + SEARCH_BATCH])
            rows = self.call(
                f"reading the status of {len(batch)} Tapis jobs",
                "jobs",
                "getJobSearchList",
                limit=len(batch),
                select="uuid,status,condition",
                _tapis_query_parameters={"uuid.in": ",".join(batch)},
            )
            for row in rows or []:
                uuid, status = getattr(row, "uuid", None), getattr(row, "status", None)
                if uuid in batch and status:
                    found[str(uuid)] = (str(status), getattr(row, "condition", None))
        return found

    def list_outputs(
        self, uuid: str, path: str, *, running: bool = False
    ) -> list[tuple[str, int]] | None:
        """[(name, size in bytes)] in an output folder; None when it does not exist.
        `running`: list it while the job runs (Tapis's allowIfRunning)."""
        try:
            rows = self.call(
                f"listing {path} of Tapis job {uuid}",
                "jobs",
                "getJobOutputList",
                jobUuid=uuid,
                outputPath=path,
                allowIfRunning=running,
                limit=1000,
            )
        except TapisError as error:
            if error.status == 404:
                return None
            raise
        return [(str(row.name), int(getattr(row, "size", 0) or 0)) for row in rows or []]

    def download(
        self, uuid: str, path: str, *, folder: bool = False, running: bool = False
    ) -> bytes | None:
        """An output file (a folder as a zip with `folder`); None when it does not exist.
        `running`: fetch it while the job runs (Tapis's allowIfRunning)."""
        options: dict[str, Any] = {"compress": True, "format": "zip"} if folder else {}
        if running:
            options["allowIfRunning"] = True
        try:
            data = self.call(
                f"downloading {path} of Tapis job {uuid}",
                "jobs",
                "getJobOutputDownload",
                jobUuid=uuid,
                outputPath=path,
                **options,
            )
        except TapisError as error:
            if error.status == 404:
                return None
            raise
        return data if isinstance(data, bytes) else str(data).encode()
