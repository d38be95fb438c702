"""What the Tapis backend sends: the job request for the JetLag app, and webhook tokens.

The request names the app, the package folder on the storage system as the app's one
file input (staged as `job/`, which the app runs with JetLag's runner), the time limit in
minutes and the cores; with a webhook URL it subscribes to the job's new statuses. The
webhook token is an HMAC of machine and job id under a key kept in the store (mode 600),
so only this server can make or check one. No credentials here: the token that
authenticates the calls is added by tapipy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.backends import MachineConfig
from jetlag.runtime.jobs.live import LIVE_INTERVAL_ENV

WEBHOOK_KEY_FILE = "tapis-webhook.key"


def job_request(
    row: Any,
    folder: str,
    settings: Mapping[str, Any],
    machine: MachineConfig,
    webhook_token: str | None = None,
) -> dict[str, Any]:
    """The submitJob body for the job `row` whose package is in `folder` on the system."""
    options = json.loads(row["options"])
    job_id = row["id"]
    body: dict[str, Any] = {
        "name": f"jetlag-{job_id}",
        "appId": settings["app_id"],
        "appVersion": settings["app_version"],
        "description": options.get("label") or f"JetLag job {job_id} ({row['entry']})",
        "maxMinutes": max(1, math.ceil(options["time_limit_s"] / 60)),
        "nodeCount": 1,
        "coresPerNode": int(options.get("threads") or machine.cores_per_node),
        "archiveOnAppError": True,
        "fileInputs": [
            {
                "name": "job",
                "sourceUrl": f"tapis://{settings['system_id']}/{folder}",
                "targetPath": "job",
            }
        ],
        "parameterSet": {
            "appArgs": [{"name": "job_dir", "arg": "job"}],
            "envVariables": [{"key": "JETLAG_JOB_ID", "value": job_id}],
        },
        "tags": ["jetlag", job_id],
    }
    if settings.get("live_interval_s") is not None:
        body["parameterSet"]["envVariables"].append(
            {"key": LIVE_INTERVAL_ENV, "value": f"{settings['live_interval_s']:g}"}
        )
    if settings.get("exec_system_id"):
        body["execSystemId"] = settings["exec_system_id"]
    queue = getattr(machine, "partition", None) or getattr(machine, "queue", None)
    if queue:
        body["execSystemLogicalQueue"] = queue
    webhook = settings.get("webhook_url")
    if webhook and webhook_token:
        address = f"{webhook.rstrip('/')}/{machine.id}/{job_id}/{webhook_token}"
        body["subscriptions"] = [
            {
                "description": f"JetLag job {job_id}",
                "enabled": True,
                "eventCategoryFilter": "JOB_NEW_STATUS",
                "deliveryTargets": [{"deliveryMethod": "WEBHOOK", "deliveryAddress": address}],
                "ttlminutes": max(60, body["maxMinutes"] * 4),
            }
        ]
    return body


def _webhook_key(root: Path) -> bytes:
    path = Path(root) / WEBHOOK_KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def webhook_token(root: Path, machine: str, job_id: str) -> str:
    """The token of a job's webhook URL: HMAC-SHA256 of "machine/job_id", 32 hex digits."""
    message = f"{machine}/{job_id}".encode()
    return hmac.new(_webhook_key(root), message, hashlib.sha256).hexdigest()[:32]
