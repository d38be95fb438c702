"""Real parts for the remote-machine tests: a single-node Slurm cluster and an sshd, both
on this host, started in a temporary folder and stopped at the end of the session.

`SlurmCluster.start(folder)` writes a slurm.conf (state, spool, logs and pid files all
under `folder`; `ProctrackType=proctrack/linuxproc`, `TaskPlugin=task/none`,
`AuthType=auth/none`), starts slurmctld and slurmd as root, and waits until the node is
idle. Its `env` (SLURM_CONF) makes sbatch, squeue, scontrol and scancel talk to it.
`SshServer.start(folder)` runs sshd on 127.0.0.1 on a free port with a generated host key
and a generated client key, and writes the known_hosts line for it. Both say why they
cannot run (`unavailable()`) -- not root, the programs missing -- so tests skip with it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SLURM_PROGRAMS = ("slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel")
INSTALL_HINT = "scripts/install-system --test installs slurm-wlm, munge and openssh-server"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")


def _stop_pidfile(path: Path) -> None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


class SlurmCluster:
    """slurmctld + slurmd of one node (this host) with their state in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.conf = folder / "slurm.conf"
        # Names of their own, so two test sessions' clusters on one host never mix.
        tag = secrets.token_hex(3)
        self.cluster = f"jetlag{tag}"
        self.node = f"jetlag-node-{tag}"
        self.host = socket.gethostname().split(".")[0]
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}

    @staticmethod
    def unavailable() -> str | None:
        """Why no cluster can be started here (None when it can)."""
        if os.geteuid() != 0:
            return "a local Slurm cluster needs root (slurmd runs jobs as their user)"
        missing = [name for name in SLURM_PROGRAMS if _which(name) is None]
        if missing:
            return f"Slurm programs missing: {', '.join(missing)} ({INSTALL_HINT})"
        return None

    def write_conf(self, cpus: int) -> None:
        """slurm.conf for one node with `cpus` CPUs and one partition, `debug`."""
        for sub in ("state", "spool"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        f = self.folder
        lines = [
            f"ClusterName={self.cluster}",
            f"SlurmctldHost={self.host}(127.0.0.1)",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"SlurmctldPort={free_port()}",
            f"SlurmdPort={free_port()}",
            "AuthType=auth/none",
            "CredType=cred/none",
            f"StateSaveLocation={f / 'state'}",
            f"SlurmdSpoolDir={f / 'spool'}",
            f"SlurmctldPidFile={f / 'slurmctld.pid'}",
            f"SlurmdPidFile={f / 'slurmd.pid'}",
            f"SlurmctldLogFile={f / 'slurmctld.log'}",
            f"SlurmdLogFile={f / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "SchedulerType=sched/builtin",
            "MpiDefault=none",
            "SlurmdParameters=config_overrides",  # more CPUs than the host has: jobs overlap
            "ReturnToService=2",
            "JobCompType=jobcomp/none",
            "AccountingStorageType=accounting_storage/none",
            "MinJobAge=600",
            "KillWait=2",
            "InactiveLimit=0",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=30",
            f"NodeName={self.node} NodeHostname={self.host} NodeAddr=127.0.0.1 CPUs={cpus} "
            "State=UNKNOWN",
            "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
        ]
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self, cpus: int = 4, timeout: float = 120) -> SlurmCluster:
        """Start both daemons and wait until the node takes jobs (RuntimeError with logs)."""
        self.write_conf(cpus)
        slurmctld, slurmd = _which("slurmctld"), _which("slurmd")
        subprocess.run([slurmctld, "-i"], env=self.env, check=True, timeout=30)
        subprocess.run([slurmd, "-N", self.node], env=self.env, check=True, timeout=30)
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            answer = subprocess.run(
                ["sinfo", "-h", "-N", "-o", "%T"],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=10,
            )
            state = answer.stdout.strip()
            if answer.returncode == 0 and state.startswith("idle"):
                return self.probe(deadline)
            if state.startswith(("inval", "drain")):
                break
            time.sleep(0.2)
        raise RuntimeError(f"the Slurm node did not become idle (state {state!r}):\n{self.logs()}")

    def probe(self, deadline: float) -> SlurmCluster:
        """Run one trivial job through the queue, so the tests start with a working cluster."""
        done = subprocess.run(
            ["sbatch", "--parsable", "--wrap", "true", "--output", "/dev/null"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            cwd=self.folder,
        )
        slurm_id = done.stdout.strip().split(";")[0]
        state = done.stderr.strip()
        while slurm_id and time.monotonic() < deadline:
            answer = subprocess.run(
                ["squeue", "-h", "-t", "all", "-j", slurm_id, "-o", "%T"],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=10,
            )
            state = answer.stdout.strip()
            if state == "COMPLETED":
                return self
            time.sleep(0.2)
        raise RuntimeError(f"a probe job did not complete ({state!r}):\n{self.logs()}")

    def queue(self) -> str:
        """squeue's view of every job (for failure messages)."""
        answer = subprocess.run(
            ["squeue", "-t", "all", "-o", "%i %j %T %r %M"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return answer.stdout + answer.stderr

    def logs(self) -> str:
        """The tails of both daemons' logs (for failure messages)."""
        out = []
        for name in ("slurmctld.log", "slurmd.log"):
            path = self.folder / name
            if path.is_file():
                out.append(f"--- {name}\n" + "\n".join(path.read_text().splitlines()[-30:]))
        return "\n".join(out)

    def stop(self) -> None:
        """Cancel every job, then stop slurmd and slurmctld."""
        subprocess.run(["scancel", "--full", "-u", "root"], env=self.env, timeout=30, check=False)
        _stop_pidfile(self.folder / "slurmd.pid")
        _stop_pidfile(self.folder / "slurmctld.pid")


class SshServer:
    """sshd on 127.0.0.1:<free port>, with a generated host key and client key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.client_key = folder / "client_ed25519"
        self.known_hosts = folder / "known_hosts"
        self.process: subprocess.Popen | None = None

    @staticmethod
    def unavailable() -> str | None:
        """Why no sshd can be started here (None when it can)."""
        if os.geteuid() != 0:
            return "a test sshd needs root (it logs in as the test's user through PAM-less keys)"
        for name in ("sshd", "ssh", "ssh-keygen"):
            if _which(name) is None:
                return f"{name} is missing ({INSTALL_HINT})"
        return None

    def start(self, timeout: float = 30) -> SshServer:
        """Generate keys, write sshd_config, start sshd and wait until it accepts."""
        f = self.folder
        f.mkdir(parents=True, exist_ok=True)
        keygen = _which("ssh-keygen")
        host_key = f / "host_ed25519"
        for key in (host_key, self.client_key):
            subprocess.run(
                [keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=30
            )
        authorized = f / "authorized_keys"
        authorized.write_text(Path(f"{self.client_key}.pub").read_text())
        authorized.chmod(0o600)
        public = Path(f"{host_key}.pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {public[0]} {public[1]}\n")
        config = f / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {host_key}",
                    f"PidFile {f / 'sshd.pid'}",
                    f"AuthorizedKeysFile {authorized}",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "PermitRootLogin prohibit-password",
                    "StrictModes no",
                    "UsePAM no",
                    "MaxStartups 50:30:100",
                    "MaxSessions 50",
                    "Subsystem sftp internal-sftp",
                ]
            )
            + "\n"
        )
        return self.restart(timeout)

    def restart(self, timeout: float = 30) -> SshServer:
        """(Re)start sshd with the configuration and keys `start` wrote."""
        f = self.folder
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory
        sshd = _which("sshd")
        self.process = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(f / "sshd_config")],
            stdout=subprocess.DEVNULL,
            stderr=open(f / "sshd.log", "ab"),  # noqa: SIM115 - sshd writes until stopped
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited: {(f / 'sshd.log').read_text()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("sshd did not start listening")

    def stop(self) -> None:
        """Stop sshd (connections it serves end with it)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
