"""Machines from configuration: the TOML machines file, the server's setting, backend
settings declared by the backend, secrets kept out, and bad configuration named by place."""

from __future__ import annotations

import pytest
from cluster_fixtures import write_machines
from local_cluster import free_port

from jetlag.runtime.jobs import JobError, JobService
from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.backends import Setting, register_backend
from jetlag.runtime.jobs.backends.local import LocalBackend
from jetlag.runtime.jobs.backends.settings import SettingError, resolve_secret
from jetlag.runtime.jobs.machines_config import (
    MachineConfigError,
    load_machines,
    machines_path,
    read_machines_file,
)

TINY = "def tiny(i):\n    return i + 1\n"


class VaultBackend(LocalBackend):
    """A local backend with a secret setting (stands for Tapis' token reference)."""

    name = "vault"
    settings_spec = (
        Setting("base_url", str, required=True, help="the service's address"),
        Setting("token", str, secret=True, help="a reference to the token: env:NAME"),
        Setting("retries", int, 3, help="how often to retry"),
    )


register_backend("vault", VaultBackend)


def test_a_machines_file_gives_every_field(tmp_path):
    path = write_machines(
        tmp_path / "m.toml",
        {
            "cluster": {
                "backend": "slurm",
                "host": "login.example.org",
                "user": "ada",
                "queue": "debug",
                "max_nodes": 4,
                "cores_per_node": 48,
                "default_time_limit_s": 600,
                "max_time_limit_s": 7200,
                "workdir": "/scratch/ada/jetlag",
                "python": "/opt/jetlag/bin/python",
                "setup": ["module load python", "export OMP_NUM_THREADS=1"],
                "poll_interval_s": 2,
                "sbatch_options": ["--account=abc"],
                "description": "the big one",
            },
        },
    )
    config = read_machines_file(path)["cluster"]
    assert config.problem is None and config.source == f"{path}:1"
    assert (config.backend, config.host, config.user, config.partition) == (
        "slurm",
        "login.example.org",
        "ada",
        "debug",
    )
    assert (config.max_nodes, config.cores_per_node) == (4, 48)
    assert (config.default_time_limit_s, config.max_time_limit_s) == (600, 7200)
    assert config.setup == ("module load python", "export OMP_NUM_THREADS=1")
    assert config.poll_interval_s == 2.0 and config.workdir == "/scratch/ada/jetlag"
    assert config.settings["sbatch_options"] == ["--account=abc"]
    assert config.settings["command_timeout_s"] == 60.0  # the backend's default
    listed = config.to_json()
    assert listed["partition"] == "debug" and listed["setup"] == list(config.setup)


def test_bad_toml_names_file_line_column_and_the_fix(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[cluster]\nbackend = "slurm"\ncores_per_node = \n')
    with pytest.raises(MachineConfigError) as caught:
        read_machines_file(path)
    assert str(caught.value).startswith(f"{path}:3:")
    assert "not valid TOML" in str(caught.value) and 'backend = "slurm"' in str(caught.value)
    found = load_machines(path)
    assert found.configs == {} and found.errors == [str(caught.value)]
    service = JobService(tmp_path / "store", machines=found.configs, machine_errors=found.errors)
    try:
        assert service.machine_errors == found.errors
        assert [m["id"] for m in service.machines()] == ["local"]
    finally:
        service.close()


def test_a_bad_machine_is_listed_with_its_place_and_refuses_jobs(tmp_path):
    path = write_machines(
        tmp_path / "m.toml",
        {
            "good": {"backend": "local", "max_concurrent": 1},
            "typo": {"backend": "slurm", "sbatch_option": "--qos=x"},
            "wrong": {"backend": "slurm", "cores_per_node": "many"},
            "nobackend": {"backend": "pbs"},
        },
    )
    configs = read_machines_file(path)
    assert configs["good"].problem is None
    typo = configs["typo"].problem
    assert typo.startswith(f"{path}:7:") and "unknown setting 'sbatch_option'" in typo
    assert "sbatch_options (a list of strings)" in typo  # the settings it does know
    wrong = configs["wrong"].problem
    assert wrong.startswith(f"{path}:11:") and "cores_per_node must be a whole number" in wrong
    assert "unknown job backend 'pbs'" in configs["nobackend"].problem
    service = JobService(tmp_path / "store", machines=configs)
    try:
        listed = {m["id"]: m for m in service.machines()}
        assert listed["good"]["available"] is True
        assert listed["wrong"]["available"] is False and listed["wrong"]["reason"] == wrong
        with pytest.raises(JobError) as caught:
            service.submit(
                source=TINY, entry="tiny", args_npz=encode_arguments((1,)), machine="wrong"
            )
        assert caught.value.status == 503 and caught.value.field == "machine"
        assert f"{path}:11" in caught.value.message
        assert service.list() == []  # nothing was stored
    finally:
        service.close()


def test_backend_settings_are_checked_and_secrets_stay_out(tmp_path, monkeypatch):
    monkeypatch.setenv("VAULT_TOKEN", "s3cr3t-token")
    configured = {
        "vault": {"backend": "vault", "base_url": "https://x", "token": "env:VAULT_TOKEN"},
        "novault": {"backend": "vault", "token": "env:VAULT_TOKEN"},
        "badtype": {"backend": "vault", "base_url": "https://x", "token": 12},
    }
    found = load_machines(tmp_path / "none.toml", configured)
    vault = found.configs["vault"]
    assert vault.settings == {"base_url": "https://x", "token": "env:VAULT_TOKEN", "retries": 3}
    assert "token" not in vault.to_json()["settings"] and "VAULT" not in repr(vault)
    assert resolve_secret(vault.settings["token"], "token") == "s3cr3t-token"
    assert "needs base_url" in found.configs["novault"].problem
    assert "jupyter_server_config" in found.configs["novault"].problem
    assert (
        "(hidden)" in found.configs["badtype"].problem
        and "12" not in (found.configs["badtype"].problem.split("got")[-1])
    )
    with pytest.raises(SettingError) as caught:
        resolve_secret("s3cr3t-token", "token")
    assert caught.value.field == "token" and "s3cr3t" not in caught.value.message
    with pytest.raises(SettingError):
        resolve_secret("env:JETLAG_NOT_SET_ANYWHERE", "token")


def test_the_setting_wins_over_the_file_and_where_the_file_is(tmp_path, monkeypatch):
    path = write_machines(tmp_path / "m.toml", {"hpc": {"backend": "local", "cores_per_node": 2}})
    monkeypatch.setenv("JETLAG_MACHINES", str(path))
    assert machines_path() == path
    found = load_machines(None, {"hpc": {"backend": "local", "cores_per_node": 3}})
    assert found.configs["hpc"].cores_per_node == 3
    assert found.configs["hpc"].source.startswith("jupyter_server_config")
    monkeypatch.delenv("JETLAG_MACHINES")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "cfg"))
    assert machines_path() == tmp_path / "cfg" / "jetlag_machines.toml"
    assert load_machines().configs == {}  # no file: no machines, no errors


def test_a_service_without_machines_reads_the_file(tmp_path, monkeypatch):
    path = write_machines(tmp_path / "m.toml", {"two": {"backend": "local", "max_concurrent": 2}})
    monkeypatch.setenv("JETLAG_MACHINES", str(path))
    service = JobService(tmp_path / "store")
    try:
        assert [m["id"] for m in service.machines()] == ["local", "two"]
        assert service.backends["two"].slots == 2
    finally:
        service.close()


def test_a_slurm_machine_whose_scheduler_does_not_answer_is_unavailable(tmp_path):
    dead = tmp_path / "slurm.conf"  # a controller on a port nobody listens on
    dead.write_text(
        "ClusterName=dead\nSlurmctldHost=localhost(127.0.0.1)\n"
        f"SlurmctldPort={free_port()}\nAuthType=auth/none\nCredType=cred/none\n"
        "MessageTimeout=2\nNodeName=localhost CPUs=1\n"
        "PartitionName=debug Nodes=ALL Default=YES\n"
    )
    configs = {
        "down": {"backend": "slurm", "slurm_conf": str(dead)},
        "noconf": {"backend": "slurm", "slurm_conf": str(tmp_path / "missing.conf")},
    }
    found = load_machines(tmp_path / "none.toml", configs)
    assert "missing.conf does not exist here" in found.configs["noconf"].problem
    service = JobService(tmp_path / "store", machines=found.configs)
    try:
        down = service.machine_json("down")
        assert down["available"] is False and "squeue failed on down" in down["reason"]
        with pytest.raises(JobError) as caught:
            service.submit(
                source=TINY, entry="tiny", args_npz=encode_arguments((1,)), machine="down"
            )
        assert caught.value.status == 503 and "squeue failed" in caught.value.message
        assert service.list() == []
    finally:
        service.close()
