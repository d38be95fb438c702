"""A TEST DOUBLE of the Tapis v3 HTTP endpoints JetLag uses -- not Tapis.

Tapis cannot run here, so `TapisDouble` serves, on 127.0.0.1, the files (upload, list) and
jobs (submit, get, status, search by uuid, history, cancel, output list/download, the
latter two while running only with allowIfRunning) endpoints, with the
subscriptions of a submission delivered as webhooks. It really runs each job: the inputs
are staged from its file store and the registered app is emulated by what the JetLag app
runs -- tapis_app.APP_SCRIPT, JetLag's runner on the staged `job/` folder, without a
store, outputs copied to the output folder -- so results, errors and traces are real. Every answer it gives
is validated against the response schemas of the OpenAPI documents that tapipy ships
(`violations` collects what a schema rejected; the tests assert it stays empty), and the
submission body against ReqSubmitJob. The job states move as Tapis's do; `hold` stops a
job in one state until `release` (to cancel it there).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid as uuids
from email import message_from_bytes
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import tapipy
import yaml
from jsonschema import Draft7Validator, FormatChecker
from tapis_double_jobs import DoubleJob

import jetlag
from jetlag.runtime.jobs.backends.tapis_app import APP_SCRIPT

RESOURCES = Path(tapipy.__file__).parent / "resources"
#: The environment variable the tests' machines name as their token ("env:...").
TOKEN_ENV = "TAPIS_DOUBLE_TOKEN"
#: The app the double has registered: (id, version).
APP = ("jetlag-runner", "1")
JSON = "application/json"
OCTETS = "application/octet-stream"


#: The one user who may sign in with a password (the OAuth2 password grant).
USER, PASSWORD = "testuser", "a double's password"


def make_token(lifetime_s: float = 3600) -> str:
    """A JWT like a Tapis access token (tapipy needs `exp`); signed with a test key."""
    claims = {
        "exp": int(time.time() + lifetime_s),
        "jti": uuids.uuid4().hex,
        "sub": "testuser@double",
        "tapis/tenant_id": "double",
        "tapis/username": "testuser",
        "tapis/token_type": "access",
        "tapis/account_type": "user",
    }
    return jwt.encode(claims, "a double's signing key, 32 bytes or more", algorithm="HS256")


def tapis_settings(double: TapisDouble, **settings: Any) -> dict[str, Any]:
    """A Tapis machine's settings for the double (its app, its token by reference); a
    setting given as None is left out."""
    values = {
        "base_url": double.url,
        "tenant_id": "double",
        "system_id": "double-storage",
        "app_id": APP[0],
        "app_version": APP[1],
        "access_token": f"env:{TOKEN_ENV}",
        **settings,
    }
    return {name: value for name, value in values.items() if value is not None}


def load_spec(name: str) -> dict[str, Any]:
    """One of tapipy's bundled OpenAPI documents (openapi_v3-<name>.yml)."""
    return yaml.safe_load((RESOURCES / f"openapi_v3-{name}.yml").read_text())


class Schemas:
    """Response schemas by (operationId, HTTP status), from tapipy's own documents."""

    def __init__(self) -> None:
        self.operations: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.specs = {name: load_spec(name) for name in ("jobs", "files", "authenticator")}
        for spec in self.specs.values():
            for methods in spec["paths"].values():
                for op in methods.values():
                    if isinstance(op, dict) and "operationId" in op:
                        self.operations[op["operationId"]] = (op, spec)

    def validator(self, spec: dict[str, Any], schema: dict[str, Any]) -> Draft7Validator:
        root = {**schema, "components": spec["components"]}
        return Draft7Validator(root, format_checker=FormatChecker())

    def check(self, operation: str, status: int, content_type: str, body: bytes) -> list[str]:
        """What the documents reject in this answer (empty when it conforms)."""
        op, spec = self.operations[operation]
        declared = op["responses"].get(str(status)) or op["responses"].get("default")
        if declared is None and status >= 400 and operation == "create_token":
            # The authenticator documents no error answers; Tapis sends its basic stanzas.
            declared = {
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/BasicResponse"}}}
            }
        if declared is None:
            return [f"{operation}: status {status} is not a documented answer"]
        content = declared.get("content") or {}
        if not content:
            return []
        if content_type not in content:
            return [f"{operation} {status}: content type {content_type} not in {list(content)}"]
        schema = content[content_type].get("schema") or {}
        if schema.get("format") == "binary":
            return []
        try:
            value = json.loads(body)
        except ValueError:
            return [f"{operation} {status}: the body is not JSON"]
        errors = self.validator(spec, schema).iter_errors(value)
        return [f"{operation} {status}: {e.message} at {list(e.absolute_path)}" for e in errors]

    def check_request(self, name: str, value: Any, document: str = "jobs") -> list[str]:
        """What a document (jobs by default) rejects in a request body of schema `name`."""
        spec = self.specs[document]
        validator = self.validator(spec, {"$ref": f"#/components/schemas/{name}"})
        return [f"{name}: {e.message}" for e in validator.iter_errors(value)]


def envelope(result: Any, message: str = "ok") -> dict[str, Any]:
    """Tapis's answer stanzas around a result."""
    out = {"status": "success", "message": message, "version": "1.8.0-double"}
    out.update(commit="double", build="double", metadata={})
    if result is not None:
        out["result"] = result
    return out


class Answer(Exception):
    """An error answer: status, message, and the operation's declared content type."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), op)
    for m, p, op in [
        ("POST", r"^/v3/files/ops/(?P<system>[^/]+)/(?P<path>.+)$", "insert"),
        ("GET", r"^/v3/files/ops/(?P<system>[^/]+)/(?P<path>.+)$", "listFiles"),
        ("POST", r"^/v3/oauth2/tokens$", "create_token"),
        ("POST", r"^/v3/jobs/submit$", "submitJob"),
        ("GET", r"^/v3/jobs/search$", "getJobSearchList"),
        ("GET", r"^/v3/jobs/(?P<uuid>[^/]+)$", "getJob"),
        ("GET", r"^/v3/jobs/(?P<uuid>[^/]+)/status$", "getJobStatus"),
        ("GET", r"^/v3/jobs/(?P<uuid>[^/]+)/history$", "getJobHistory"),
        ("POST", r"^/v3/jobs/(?P<uuid>[^/]+)/cancel$", "cancelJob"),
        ("GET", r"^/v3/jobs/(?P<uuid>[^/]+)/output/list/(?P<path>.+)$", "getJobOutputList"),
        ("GET", r"^/v3/jobs/(?P<uuid>[^/]+)/output/download/(?P<path>.+)$", "getJobOutputDownload"),
    ]
]


class TapisDouble:
    """The double's state and its HTTP server (see the module docstring)."""

    def __init__(self, root: Path, token: str, apps: tuple[tuple[str, str], ...]) -> None:
        self.root = Path(root)
        self.token = token
        #: Every access token the double accepts (the first one and those it issued).
        self.tokens = {token}
        #: The lifetime of the tokens a password sign-in gets.
        self.token_lifetime_s = 3600.0
        #: When each password sign-in happened (time.time()).
        self.sign_ins: list[float] = []
        self.apps = set(apps)
        self.schemas = Schemas()
        self.violations: list[str] = []
        self.requests: list[tuple[str, str, str | None]] = []
        self.jobs: dict[str, DoubleJob] = {}
        self.holds: set[str] = set()
        #: The uuids of each search call (getJobSearchList), in order.
        self.searches: list[list[str]] = []
        #: Answer every search 400, as a tenant without the search endpoint would.
        self.search_refused = False
        self.lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                double.handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                double.handle(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # -- plumbing ----------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        for verb, pattern, operation in ROUTES:  # noqa: B007 - the match is used below
            found = pattern.match(parts.path)
            if verb == method and found:
                break
        else:
            self.send(request, "getJob", 404, {"status": "error", "message": "no such endpoint"})
            return
        token = request.headers.get("X-Tapis-Token")
        self.requests.append((method, parts.path, operation))
        params = {k: unquote(v) for k, v in found.groupdict().items()}
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            if operation != "create_token" and not self.valid(token):
                raise Answer(401, "Invalid or missing X-Tapis-Token")
            answer = getattr(self, f"op_{operation}")(params, query, body, request.headers)
        except Answer as error:  # RespBasic (jobs) and FileStringResponse (files) alike
            failure = "failure" if operation == "create_token" else "error"
            result = {"status": failure, "message": error.message, "version": "double"}
            self.send(request, operation, error.status, result)
            return
        status, answer = answer if isinstance(answer, tuple) else (200, answer)
        self.send(request, operation, status, answer)

    def send(self, request: BaseHTTPRequestHandler, operation: str, status: int, answer: Any):
        op, _ = self.schemas.operations[operation]
        declared = (op["responses"].get(str(status)) or {}).get("content") or {JSON: {}}
        content_type = JSON if JSON in declared else next(iter(declared))
        if isinstance(answer, bytes):
            content_type, data = OCTETS, answer
        else:
            data = json.dumps(answer).encode()
        problems = self.schemas.check(operation, status, content_type, data)
        self.violations.extend(problems)
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def valid(self, token: str | None) -> bool:
        """Whether a request's token is one the double gave out and has not expired."""
        if token not in self.tokens:
            return False
        return jwt.decode(token, options={"verify_signature": False})["exp"] > time.time()

    def op_create_token(self, params, query, body, headers) -> tuple[int, dict[str, Any]]:
        """The OAuth2 password grant: the user's password buys a new access token."""
        request = json.loads(body or b"{}")
        self.violations.extend(self.schemas.check_request("NewToken", request, "authenticator"))
        if request.get("grant_type") != "password":
            raise Answer(400, f"the double knows only the password grant, not {request}")
        if (request.get("username"), request.get("password")) != (USER, PASSWORD):
            raise Answer(401, "Invalid username/password combination.")
        token = make_token(self.token_lifetime_s)
        self.tokens.add(token)
        self.sign_ins.append(time.time())
        expires = time.gmtime(time.time() + self.token_lifetime_s)
        result = {
            "access_token": {
                "access_token": token,
                "expires_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", expires),
                "expires_in": int(self.token_lifetime_s),
                "jti": jwt.decode(token, options={"verify_signature": False})["jti"],
            }
        }
        return 201, envelope(result, "Token created successfully.")

    def storage(self, system: str, path: str) -> Path:
        parts = [p for p in path.split("/") if p]
        if not parts or ".." in parts or "/" in system or system in ("", ".", ".."):
            raise Answer(400, f"bad path {path!r} on system {system!r}")
        return self.root / "systems" / system / "/".join(parts)

    def job(self, uuid: str) -> DoubleJob:
        with self.lock:
            found = self.jobs.get(uuid)
        if found is None:
            raise Answer(404, f"Job {uuid} not found")
        return found

    # -- files -------------------------------------------------------------------------

    def op_insert(self, params, query, body, headers) -> dict[str, Any]:
        target = self.storage(params["system"], params["path"])
        message = message_from_bytes(
            b"Content-Type: " + headers["Content-Type"].encode() + b"\r\n\r\n" + body, policy=HTTP
        )
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(part.get_payload(decode=True) or b"")
                return envelope(f"File {params['path']} uploaded", "File uploaded")
        raise Answer(400, "the multipart body has no part named file")

    def op_listFiles(self, params, query, body, headers) -> dict[str, Any]:  # noqa: N802
        target = self.storage(params["system"], params["path"])
        if not target.exists():
            raise Answer(404, f"{params['path']} not found")
        paths = sorted(target.iterdir()) if target.is_dir() else [target]
        items = [
            {
                "name": p.name,
                "path": str(p.relative_to(self.root / "systems" / params["system"])),
                "type": "dir" if p.is_dir() else "file",
                "size": p.stat().st_size // 1024,
                "mimeType": OCTETS,
            }
            for p in paths
        ]
        return envelope(items)

    # -- jobs --------------------------------------------------------------------------

    def op_submitJob(self, params, query, body, headers) -> dict[str, Any]:  # noqa: N802
        request = json.loads(body)
        problems = self.schemas.check_request("ReqSubmitJob", request)
        if problems:
            self.violations.extend(f"request {p}" for p in problems)
            raise Answer(400, "; ".join(problems))
        if (request["appId"], request["appVersion"]) not in self.apps:
            raise Answer(400, f"App {request['appId']} version {request['appVersion']} not found")
        uuid = f"{uuids.uuid4()}-007"
        folder = self.root / "exec" / uuid
        job = DoubleJob(self, uuid, request, folder)
        with self.lock:
            self.jobs[uuid] = job
        job.start()
        return envelope(job.view(), "The job was submitted")

    def op_getJob(self, params, query, body, headers) -> dict[str, Any]:  # noqa: N802
        return envelope(self.job(params["uuid"]).view())

    def op_getJobStatus(self, params, query, body, headers) -> dict[str, Any]:  # noqa: N802
        job = self.job(params["uuid"])
        answer = {"status": job.status}
        if job.condition is not None:  # the schema has no null: leave it out
            answer["condition"] = job.condition
        return envelope(answer)

    def op_getJobHistory(self, params, query, body, headers) -> dict[str, Any]:  # noqa: N802
        job = self.job(params["uuid"])
        skip, limit = int(query.get("skip", 0)), int(query.get("limit", 100))
        return envelope(list(job.history[skip : skip + limit]))

    def op_cancelJob(self, params, query, body, headers) -> dict[str, Any]:  # noqa: N802
        job = self.job(params["uuid"])
        if not job.cancel():
            raise Answer(400, f"Job {job.uuid} is already in a terminal state ({job.status})")
        return envelope({"message": f"Cancel request for job {job.uuid} accepted"})

    def op_getJobSearchList(self, params, query, body, headers) -> dict[str, Any]:  # noqa: N802
        """Tapis's search: `uuid.in=a,b,...` (the one condition the double knows) and
        `select` (the attributes each job shows; uuid always)."""
        if self.search_refused:
            raise Answer(400, "the double's tenant does not search jobs")
        unknown = {k for k in query if "." in k and k != "uuid.in"}
        if unknown:
            raise Answer(400, f"the double does not search by {sorted(unknown)}")
        wanted = set(query["uuid.in"].split(",")) if "uuid.in" in query else None
        with self.lock:
            jobs = [j for u, j in self.jobs.items() if wanted is None or u in wanted]
        selected = [k for k in query.get("select", "").split(",") if k] or None
        limit = int(query.get("limit", 100))
        views = [job.view() for job in jobs[:limit]]
        if selected is not None:
            views = [
                {k: v for k, v in view.items() if k in selected or k == "uuid"} for view in views
            ]
        self.searches.append(sorted(wanted or ()))
        return envelope(views)

    def _running_allowed(self, job: DoubleJob, query: dict[str, str]) -> None:
        """Tapis serves outputs of a job that has not ended only with allowIfRunning."""
        if not job.ended and query.get("allowIfRunning") != "True":
            raise Answer(400, f"Job {job.uuid} has not ended; its outputs are not archived yet")

    def op_getJobOutputList(self, params, query, body, headers) -> dict[str, Any]:  # noqa: N802
        job = self.job(params["uuid"])
        self._running_allowed(job, query)
        target = job.output(params["path"])
        items = [
            {
                "name": p.name,
                "type": "dir" if p.is_dir() else "file",
                "size": p.stat().st_size,
                "path": p.relative_to(job.folder / "output").as_posix(),
            }
            for p in sorted(target.iterdir())
        ]
        return envelope(items)

    def op_getJobOutputDownload(self, params, query, body, headers) -> bytes:  # noqa: N802
        job = self.job(params["uuid"])
        self._running_allowed(job, query)
        target = job.output(params["path"])
        if target.is_dir():
            if query.get("compress") != "True" or query.get("format") != "zip":
                raise Answer(400, "a folder downloads only with compress=true&format=zip")
            return job.zip(target)
        return target.read_bytes()

    # -- test controls -----------------------------------------------------------------

    def hold(self, status: str) -> None:
        """Jobs stop in Tapis status `status` until `release`."""
        self.holds.add(status)

    def release(self) -> None:
        """Let held jobs go on."""
        self.holds.clear()

    def app_command(
        self, folder: Path, variables: list[dict[str, str]]
    ) -> tuple[list[str], dict[str, str]]:
        """The registered JetLag app: tapis_app.APP_SCRIPT with Tapis's variables and the
        request's envVariables for a job whose inputs are in `folder` (its outputs go to
        folder/output); no store there."""
        script = folder / "tapisjob_app.sh"
        script.write_text(APP_SCRIPT)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JETLAG_")}
        package_parent = str(Path(jetlag.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join([package_parent, env.get("PYTHONPATH", "")])
        env["JETLAG_PYTHON"] = sys.executable
        env["_tapisExecSystemInputDir"] = str(folder)
        env["_tapisExecSystemOutputDir"] = str(folder / "output")
        env.update({item["key"]: item["value"] for item in variables})
        return ["bash", str(script)], env

    def close(self) -> None:
        """Stop the server and every job process it started."""
        self.server.shutdown()
        self.server.server_close()
        for job in list(self.jobs.values()):
            job.stop_process(signal.SIGKILL)
        shutil.rmtree(self.root / "exec", ignore_errors=True)


def start_process(command: list[str], env: dict[str, str], folder: Path) -> subprocess.Popen:
    """The app's process, in a session of its own (a cancel reaches all of it); its own
    output goes to tapisjob.out as on Tapis."""
    with open(folder / "tapisjob.out", "ab") as out:
        return subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
