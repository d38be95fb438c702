"""REST /jetlag/api/machines with configured machines: every field, no secrets, a bad
machine listed with its place and refusing jobs with 503, a bad machines file reported."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import JOB_LIMIT, UPLOAD_LIMIT
from schema_check import conforms
from server_support import JOB_ENTRY, JOB_SOURCE, npz_bytes
from traitlets.config import Config

from jetlag.runtime.jobs.backends import Setting, register_backend
from jetlag.runtime.jobs.backends.local import LocalBackend

SECRET = "tok-9f8e7d6c5b4a"


class KeyedBackend(LocalBackend):
    """A local backend with a secret setting (stands for the Tapis backend's token)."""

    name = "keyed"
    settings_spec = (
        Setting("base_url", str, required=True, help="the service's address"),
        Setting("token", str, secret=True, help="the token (a reference: env:NAME)"),
    )


register_backend("keyed", KeyedBackend)


@pytest.fixture
def machines_toml(tmp_path: Path) -> Path:
    """A machines file with a syntax error on line 3."""
    path = tmp_path / "jetlag_machines.toml"
    path.write_text('[broken]\nbackend = "slurm"\npartition = debug\n')
    return path


@pytest.fixture
def jp_server_config(store_root: Path, machines_toml: Path) -> Config:
    """The test server with configured machines (one good, one secret-bearing, one bad)."""
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"jetlag.server_ext": True}},
            "JetLagExtension": {
                "max_upload_bytes": UPLOAD_LIMIT,
                "max_job_bytes": JOB_LIMIT,
                "machines_file": str(machines_toml),
                "machines": {
                    "big": {
                        "backend": "local",
                        "host": "big.example.org",
                        "user": "ada",
                        "partition": "long",
                        "max_nodes": 8,
                        "cores_per_node": 64,
                        "default_time_limit_s": 600,
                        "max_time_limit_s": 3600,
                        "workdir": "/scratch/ada",
                        "python": "/opt/jetlag/bin/python",
                        "setup": ["module load jetlag"],
                    },
                    "keyed": {"backend": "keyed", "base_url": "https://t", "token": SECRET},
                    "wrong": {"backend": "local", "cores_per_node": "many"},
                },
            },
        }
    )


async def test_machines_are_listed_without_secrets(api, machines_toml):
    listing = await api("GET", "machines")
    assert listing.status == 200
    conforms(listing.json, "MachineList")
    assert SECRET not in listing.body.decode()
    machines = {m["id"]: m for m in listing.json["machines"]}
    assert list(machines) == ["local", "big", "keyed", "wrong"]
    big = machines["big"]
    assert (big["host"], big["user"], big["partition"], big["max_nodes"]) == (
        "big.example.org",
        "ada",
        "long",
        8,
    )
    assert (big["cores_per_node"], big["default_time_limit_s"], big["max_time_limit_s"]) == (
        64,
        600,
        3600,
    )
    assert big["workdir"] == "/scratch/ada" and big["setup"] == ["module load jetlag"]
    assert big["python"] == "/opt/jetlag/bin/python" and big["available"] is True
    assert machines["keyed"]["settings"] == {"base_url": "https://t"}
    one = await api("GET", "machines/keyed")
    assert one.status == 200 and SECRET not in one.body.decode()
    conforms(one.json, "Machine")
    # The bad machines file: its error names file:line:col and how TOML wants it.
    [error] = listing.json["errors"]
    assert error.startswith(f"{machines_toml}:3:") and "not valid TOML" in error


async def test_a_misconfigured_machine_says_why_and_refuses_jobs_with_503(api):
    wrong = await api("GET", "machines/wrong")
    assert wrong.status == 200 and wrong.json["available"] is False
    assert "cores_per_node must be a whole number" in wrong.json["reason"]
    assert "JetLagExtension.machines" in wrong.json["reason"]
    body = {
        "source": JOB_SOURCE,
        "entry": JOB_ENTRY,
        "machine": "wrong",
        "args_npz": base64.b64encode(npz_bytes(np.arange(4.0), 2.0)).decode(),
    }
    refused = await api("POST", "jobs", json_body=body)
    assert refused.status == 503
    message, field = refused.error
    assert field == "machine" and "machine wrong cannot take jobs now" in message
    assert "cores_per_node" in message
    listing = await api("GET", "jobs")
    assert listing.json["jobs"] == []
    assert json.dumps(listing.json).find(SECRET) < 0
