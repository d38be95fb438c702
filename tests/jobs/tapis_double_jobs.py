"""One job inside the Tapis TEST DOUBLE (tapis_double.py): its states, history, process,
outputs and webhook deliveries. Not Tapis: it moves through Tapis's states the way the
Jobs service documents them and runs the JetLag app's command for real."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import threading
import urllib.request
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

#: The states a job passes before its app runs, in Tapis's order.
BEFORE = (
    "PENDING",
    "PROCESSING_INPUTS",
    "STAGING_INPUTS",
    "STAGING_JOB",
    "SUBMITTING_JOB",
    "QUEUED",
)


def stamp() -> str:
    """Now as Tapis writes times (ISO 8601, UTC, Z)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DoubleJob:
    """A submitted job of the double."""

    counter = 0

    def __init__(self, double: Any, uuid: str, request: dict[str, Any], folder: Path) -> None:
        DoubleJob.counter += 1
        self.id = DoubleJob.counter
        self.double = double
        self.uuid = uuid
        self.request = request
        self.folder = folder
        self.status = "PENDING"
        self.condition: str | None = None
        self.last_message = "Job created"
        self.created = stamp()
        self.ended_at: str | None = None
        self.ended = False
        self.history: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.process = None
        self.cancelled = threading.Event()
        self.lock = threading.RLock()
        self._record("PENDING", "The job was created and is waiting to be processed")

    # -- what the API shows ------------------------------------------------------------

    def view(self) -> dict[str, Any]:
        """The job as getJob answers it (the Job schema)."""
        request = self.request
        out: dict[str, Any] = {
            "id": self.id,
            "name": request["name"],
            "owner": "testuser",
            "tenant": "double",
            "description": request.get("description", ""),
            "status": self.status,
            "lastMessage": self.last_message,
            "created": self.created,
            "lastUpdated": stamp(),
            "uuid": self.uuid,
            "appId": request["appId"],
            "appVersion": request["appVersion"],
            "archiveOnAppError": request.get("archiveOnAppError", True),
            "execSystemId": request.get("execSystemId", "double-exec"),
            "execSystemExecDir": str(self.folder),
            "execSystemInputDir": str(self.folder),
            "execSystemOutputDir": str(self.folder / "output"),
            "nodeCount": request.get("nodeCount", 1),
            "coresPerNode": request.get("coresPerNode", 1),
            "maxMinutes": request.get("maxMinutes", 10),
            "fileInputs": json.dumps(request.get("fileInputs", [])),
            "parameterSet": json.dumps(request.get("parameterSet", {})),
            "subscriptions": json.dumps(request.get("subscriptions", [])),
        }
        if self.condition is not None:
            out["condition"] = self.condition
        if self.ended_at is not None:
            out["ended"] = self.ended_at
        return out

    def output(self, path: str) -> Path:
        """An output file or folder (404 Answer when missing or outside the outputs)."""
        from tapis_double import Answer

        parts = [p for p in path.split("/") if p and p != "."]
        if ".." in parts:
            raise Answer(400, f"bad output path {path!r}")
        target = self.folder / "output" / "/".join(parts)
        if not target.exists():
            raise Answer(404, f"output {path} of job {self.uuid} not found")
        return target

    def zip(self, folder: Path) -> bytes:
        """A folder of outputs as a zip (its entries start with the folder's name)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(folder.parent).as_posix())
        return buffer.getvalue()

    # -- moving on ---------------------------------------------------------------------

    def _record(self, status: str, description: str, condition: str | None = None) -> bool:
        with self.lock:
            if self.ended:
                return False
            old = self.status
            self.status, self.last_message = status, description
            if condition is not None:
                self.condition = condition
            if status in ("FINISHED", "FAILED", "CANCELLED"):
                self.ended, self.ended_at = True, stamp()
            entry = {
                "event": "JOB_NEW_STATUS",
                "created": stamp(),
                "eventDetail": status,
                "description": description,
            }
            self.history.append(entry)
        self._notify(old, status)
        return True

    def _notify(self, old: str, new: str) -> None:
        """Deliver JOB_NEW_STATUS to the submission's webhook subscriptions."""
        for subscription in self.request.get("subscriptions") or []:
            if subscription.get("eventCategoryFilter") not in ("JOB_NEW_STATUS", "ALL"):
                continue
            for target in subscription.get("deliveryTargets") or []:
                if target.get("deliveryMethod") != "WEBHOOK":
                    continue
                data = {"newJobStatus": new, "oldJobStatus": old, "jobUuid": self.uuid}
                body = {
                    "uuid": f"n-{len(self.deliveries)}",
                    "tenant": "double",
                    "subscriptionName": f"jobs-{self.uuid}",
                    "event": {
                        "source": "Jobs",
                        "type": f"jobs.JOB_NEW_STATUS.{new}",
                        "subject": self.uuid,
                        "data": json.dumps(data),  # a JSON string inside the JSON, as Tapis does
                        "timestamp": stamp(),
                    },
                    "deliveryTarget": target,
                    "created": stamp(),
                }
                self.deliveries.append(body)
                request = urllib.request.Request(
                    target["deliveryAddress"],
                    data=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                    method="POST",
                )
                try:
                    urllib.request.urlopen(request, timeout=5).close()
                except OSError:
                    pass  # Tapis retries later; the double does not need to

    def _wait_while_held(self, status: str) -> None:
        while status in self.double.holds and not self.cancelled.is_set():
            self.cancelled.wait(0.02)

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"double-{self.uuid}", daemon=True).start()

    def _stage(self) -> str | None:
        """Copy the file inputs into the job's folder; an error text when one is missing."""
        for item in self.request.get("fileInputs") or []:
            source = item.get("sourceUrl", "")
            if not source.startswith("tapis://"):
                return f"unsupported input URL {source!r}"
            system, _, path = source[len("tapis://") :].partition("/")
            origin = self.double.storage(system, path)
            target = self.folder / (item.get("targetPath") or origin.name)
            if not origin.exists():
                return f"input {source} does not exist"
            target.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, target)
            else:
                shutil.copy2(origin, target)
        return None

    def _run(self) -> None:
        for status in BEFORE[1:]:
            if self.cancelled.is_set() or not self._record(status, f"The job is {status}"):
                return
            if status == "STAGING_INPUTS":
                problem = self._stage()
                if problem:
                    self._record("FAILED", problem, "JOB_UNABLE_TO_STAGE_INPUTS")
                    return
            self._wait_while_held(status)
        with self.lock:
            if self.cancelled.is_set() or not self._record("RUNNING", "The app is running"):
                return
            variables = (self.request.get("parameterSet") or {}).get("envVariables") or []
            command, env = self.double.app_command(self.folder, variables)
            from tapis_double import start_process

            self.process = start_process(command, env, self.folder)
        code = self.process.wait()
        if self.cancelled.is_set():
            return
        self._record("ARCHIVING", "The job's outputs are being archived")
        self._wait_while_held("ARCHIVING")
        if code == 0:
            self._record("FINISHED", "The job completed", "NORMAL_COMPLETION")
        else:
            self._record("FAILED", f"The app exited with code {code}", "JOB_REMOTE_OUTCOME_ERROR")

    def cancel(self) -> bool:
        """Cancel a job that has not ended (False when it has)."""
        with self.lock:
            if self.ended:
                return False
            self.cancelled.set()
            self._record("CANCELLED", "The job was cancelled by its owner", "CANCELLED_BY_USER")
        self.stop_process(signal.SIGTERM)
        return True

    def stop_process(self, sig: int) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=5)
            except Exception:  # noqa: BLE001 - then kill it
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
