"""Submit -> result round trip of a job on the local, Slurm and SSH machines.

Starts the same real parts the job tests use (tests/jobs/local_cluster.py): a single-node
Slurm cluster on this host and an sshd on 127.0.0.1 whose login node submits to that Slurm.
For each machine it runs the same small function `--repeat` times, one job after another
(`jetlag.remote.run(...).result()`), and prints the median and min-max of the round trip and
of the part beyond the computation itself (round trip minus the same call made in this
process). Needs root and slurm-wlm, munge and openssh-server (scripts/install-system --test).

Usage: python bench/bench_jobs.py [--repeat 10] [--poll 0.2] [--machines local,cluster,login]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "jobs"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from local_cluster import SlurmCluster, SshServer  # noqa: E402


def small_lra(x, y, alpha, iterations):
    """A few iterations of the paper's logistic regression: a job of some milliseconds."""
    weights = np.zeros(x.shape[1])
    step = 0
    while step < iterations:
        pred = 1.0 / (1.0 + np.exp(-np.dot(x, weights)))
        weights = weights - alpha * np.dot(x.T, pred - y)
        step += 1
    return weights


def machines_toml(work: Path, poll_s: float, cluster: SlurmCluster, sshd: SshServer) -> str:
    """The machines file: `cluster` (Slurm on this host) and `login` (the same over SSH)."""
    return f"""
[cluster]
backend = "slurm"
partition = "debug"
cores_per_node = 1
workdir = "{work / "cluster"}"
python = "{sys.executable}"
poll_interval_s = {poll_s}
slurm_conf = "{cluster.conf}"

[login]
backend = "ssh"
host = "127.0.0.1"
user = "root"
port = {sshd.port}
identity_file = "{sshd.client_key}"
known_hosts = "{sshd.known_hosts}"
workdir = "{work / "login"}"
python = "{sys.executable}"
cores_per_node = 1
poll_interval_s = {poll_s}
slurm_conf = "{cluster.conf}"
"""


def summary(values: list[float]) -> str:
    """median (min-max) in milliseconds."""
    ms = [v * 1e3 for v in values]
    return f"{statistics.median(ms):8.1f} ms ({min(ms):.1f}-{max(ms):.1f})"


def main() -> None:
    """Start Slurm and sshd, time the round trips, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--poll", type=float, default=0.2, help="machines' poll interval (s)")
    parser.add_argument("--machines", default="local,cluster,login")
    options = parser.parse_args()
    for part in (SlurmCluster, SshServer):
        why = part.unavailable()
        if why:
            sys.exit(f"bench_jobs: {why}")

    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 50))
    y = (rng.random(400) > 0.5).astype(np.float64)
    args = (x, y, 1e-3, 50)
    in_process = []
    for _ in range(options.repeat):
        start = time.perf_counter()
        expected = small_lra(*args)
        in_process.append(time.perf_counter() - start)
    compute = statistics.median(in_process)

    with tempfile.TemporaryDirectory(prefix="jetlag-bench-jobs-") as tmp:
        work = Path(tmp)
        cluster = SlurmCluster(work / "slurm")
        sshd = SshServer(work / "sshd")
        cluster.start()
        sshd.start()
        try:
            machines = work / "jetlag_machines.toml"
            machines.write_text(machines_toml(work, options.poll, cluster, sshd))
            os.environ["JETLAG_MACHINES"] = str(machines)
            import jetlag.remote as remote

            print(f"small LRA 400x50, 50 iterations; in this process {summary(in_process)}")
            print(f"machines' poll interval {options.poll} s; {options.repeat} jobs each\n")
            print(f"{'machine':10} {'round trip':28} {'beyond the computation':28}")
            for machine in options.machines.split(","):
                trips = []
                for _ in range(options.repeat):
                    start = time.perf_counter()
                    got = remote.run(small_lra, *args, machine=machine, root=work / "store")
                    value = got.result(timeout=300)
                    trips.append(time.perf_counter() - start)
                    # docs/physl.md: optimized programs agree to 1e-10 relative
                    if not np.allclose(value, expected, rtol=1e-10, atol=0):
                        sys.exit(f"bench_jobs: {machine} gave a different result")
                beyond = [trip - compute for trip in trips]
                print(f"{machine:10} {summary(trips):28} {summary(beyond):28}")
        finally:
            sshd.stop()
            cluster.stop()


if __name__ == "__main__":
    main()
