"""Binder: binder/ is what repo2docker builds, and that build runs every demo notebook.

The pins in binder/requirements.txt are the project's (requirements/constraints.txt);
`repo2docker --no-build` shows the image it would build from them; and the build itself is
simulated the way NOTES.md describes: a fresh virtual environment, `pip install -r
binder/requirements.txt`, then `binder/postBuild` (which builds the lab extension with jlpm)
in a clean copy of the repository, after which every notebook in notebooks/ is executed
with nbclient on the `physl` kernel of that environment. pip's and yarn's download caches
are reused, nothing else of the project's .venv is.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from project_files import normalized, pins, runtime_dependencies

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TRACE_MIME = "application/vnd.jetlag.trace+json"
VEGA_MIME = "application/vnd.vegalite.v5+json"


def test_binder_pins_are_the_projects_pins():
    binder = pins(BINDER / "requirements.txt")
    project = pins(ROOT / "requirements" / "constraints.txt")
    lines = [
        line.strip()
        for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert len(lines) == len(binder), "every requirement line is an exact name==version pin"
    assert binder, "binder/requirements.txt pins nothing"
    different = {
        name: (v, project.get(name)) for name, v in binder.items() if project.get(name) != v
    }
    assert not different, f"binder pin -> (binder, constraints): {different}"


def test_binder_installs_every_runtime_dependency():
    needed = {normalized(name) for name in runtime_dependencies()}
    missing = needed - set(pins(BINDER / "requirements.txt"))
    assert not missing, f"pyproject.toml dependencies not pinned for Binder: {sorted(missing)}"


def test_runtime_txt_picks_the_python_the_pins_were_verified_with():
    assert (BINDER / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.11"


def test_postbuild_installs_the_project_with_the_constraints():
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    assert "pip install --no-cache-dir -c requirements/constraints.txt ." in text
    for registered in ("kernelspec list", "labextension list", "server extension list"):
        assert registered in text, f"postBuild does not check `jupyter {registered}`"


def test_the_readme_binder_badge_opens_jupyterlab_on_the_demo_notebooks():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((https://mybinder\.org/v2/gh/[^)\s]+)\)", readme)
    assert links, "README has no Binder link"
    for link in links:
        urlpath = re.search(r"[?&]urlpath=([^&]+)", link)
        assert urlpath and urlpath.group(1).startswith("lab/tree/notebooks"), link
        target = ROOT / urlpath.group(1).removeprefix("lab/tree/")
        assert target.exists(), f"the Binder link opens {target}, which does not exist"
    assert "https://mybinder.org/badge_logo.svg" in readme


def test_demo_notebooks_are_saved_clean_on_the_physl_kernel():
    names = {path.name for path in NOTEBOOKS}
    assert {
        "paper_demo.ipynb",
        "01_logistic_regression.ipynb",
        "02_als.ipynb",
        "03_jobs.ipynb",
        "04_exploring_a_trace.ipynb",
    } <= names
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        assert notebook.metadata.kernelspec.name == "physl", path.name
        stale = [c for c in notebook.cells if c.cell_type == "code" and c.get("outputs")]
        assert not stale, f"{path.name} is saved with outputs"


def test_repo2docker_would_build_python_311_pins_first_then_post_build(tmp_path):
    repo2docker = shutil.which("repo2docker", path=os.path.dirname(sys.executable))
    assert repo2docker, "repo2docker is missing: run scripts/install --test"
    done = subprocess.run(
        [repo2docker, "--no-build", "--debug", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert "Building conda environment for python=3.11" in output
    dockerfile = output[output.index("FROM ") :]
    install = dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    copy_repo = dockerfile.index("src/ ${REPO_DIR}/")
    post_build = dockerfile.index("RUN ./binder/postBuild")
    # The pins are a cached layer before the repository is copied; postBuild runs after it.
    assert install < copy_repo < post_build
    # postBuild builds the lab extension with the Node.js of repo2docker's base environment.
    package = importlib.util.find_spec("repo2docker")  # located, not imported
    lock = Path(package.origin).parent / "buildpacks/conda/environment.py-3.11-linux-64.lock"
    node = re.search(r"/nodejs-(\d+)\.", lock.read_text(encoding="utf-8"))
    assert node and int(node.group(1)) >= 20


def clean_copy(destination: Path) -> None:
    """The repository's files as a fresh clone has them (tracked and untracked, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        source = ROOT / raw.decode()
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree, not yet in the index
        target = destination / raw.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def build_environment(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JETLAG_", "JUPYTER_", "PYTHON", "VIRTUAL_ENV", "PIP_"))
    }
    venv = tmp_path / "venv"
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_step(command: list[str], cwd: Path, env: dict[str, str], timeout: int) -> None:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, (
        f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
        f"{done.stderr[-4000:]}"
    )


def outputs(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


def stdout_of(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        o.text for o in outputs(notebook) if o.output_type == "stream" and o.name == "stdout"
    )


def plain_displays(notebook: nbformat.NotebookNode) -> list[str]:
    return [
        o.data["text/plain"]
        for o in outputs(notebook)
        if o.output_type == "display_data" and list(o.data) == ["text/plain"]
    ]


def check_paper_demo(notebook: nbformat.NotebookNode) -> None:
    text = stdout_of(notebook)
    differences = [float(v) for v in re.findall(r"max relative difference: (\S+)", text)]
    assert len(differences) == 2 and max(differences) < 1e-10, text
    assert "compiling excluded: an untimed first call took" in text  # %bench says so
    compiled = [line for line in plain_displays(notebook) if "first call: compiled in" in line]
    assert len(compiled) >= 2, "the LRA and ALS first calls state their compile time"


def check_logistic_regression(notebook: nbformat.NotebookNode) -> None:
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    first, second = (
        cell for cell in cells if cell.source.startswith("w = lra(x, y, 1e-5, 100, False)")
    )
    said = [o.data.get("text/plain", "") for o in first.outputs if "data" in o]
    assert any("first call: compiled in" in line for line in said), said
    again = [o.data.get("text/plain", "") for o in second.outputs if "data" in o]
    assert not any("compiled in" in line for line in again), "the second call compiled again"
    assert any(TRACE_MIME in o.get("data", {}) for o in first.outputs)
    text = stdout_of(notebook)
    assert "compiling excluded" in text and "glm_gradient" in text
    saved = [o.data["text/plain"] for o in cells[-1].outputs if "data" in o]
    assert "chrome_trace.json" in saved[0] and "otf2" in saved[0]


def check_als(notebook: nbformat.NotebookNode) -> None:
    text = stdout_of(notebook)
    assert "synthetic, MovieLens-shaped: 943 users x 1000 movies" in text  # offline here
    (difference,) = re.findall(r"max relative difference: (\S+)", text)
    assert float(difference) < 1e-10
    assert "weighted_gram" in text and "movies to suggest to user 1" in text
    assert any("first call: compiled in" in line for line in plain_displays(notebook))


def check_jobs(notebook: nbformat.NotebookNode) -> None:
    text = stdout_of(notebook)
    assert re.search(r"job j[0-9a-f]+ completed in", text), text
    assert "state: COMPLETED" in text and "same weights as the %%remote job: True" in text
    assert "lra done after 50 iterations" in text
    assert any(TRACE_MIME in o.get("data", {}) for o in outputs(notebook))


def check_exploring(notebook: nbformat.NotebookNode) -> None:
    text = stdout_of(notebook)
    assert "same weights: True" in text
    assert re.search(r"only in the unoptimized run: [1-9]\d* instances", text), text
    charts = [o.data[VEGA_MIME] for o in outputs(notebook) if VEGA_MIME in o.get("data", {})]
    assert len(charts) == 2
    assert all("/vega-lite/v5" in chart["$schema"] for chart in charts)
    assert json.dumps(charts)  # plain JSON, as JupyterLab's renderer needs


CHECKS = {
    "paper_demo.ipynb": check_paper_demo,
    "01_logistic_regression.ipynb": check_logistic_regression,
    "02_als.ipynb": check_als,
    "03_jobs.ipynb": check_jobs,
    "04_exploring_a_trace.ipynb": check_exploring,
}


@pytest.mark.slow
def test_binder_build_in_a_fresh_venv_runs_every_demo_notebook(tmp_path):
    source = tmp_path / "repo"
    clean_copy(source)
    env = build_environment(tmp_path)
    run_step([sys.executable, "-m", "venv", str(tmp_path / "venv")], tmp_path, env, 300)
    python = str(tmp_path / "venv" / "bin" / "python3")
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    run_step([*pip, "-r", "binder/requirements.txt"], source, env, 1200)
    run_step(["binder/postBuild"], source, env, 1200)
    installed = subprocess.run(
        [python, "-c", "import jetlag, sys; print(jetlag.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert installed.startswith(str(tmp_path / "venv")), installed  # the wheel, not the tree

    env["JETLAG_STORE"] = str(tmp_path / "store")
    env["JETLAG_DEMO_OFFLINE"] = "1"  # 02_als.ipynb: the synthetic ratings, no download
    env["JETLAG_DEMO_CACHE"] = str(tmp_path / "no-wheels")
    notebooks = [str(source / "notebooks" / path.name) for path in NOTEBOOKS]
    runner = str(Path(__file__).with_name("notebook_runs.py"))
    executed = tmp_path / "executed"
    done = subprocess.run(
        [python, runner, str(executed), *notebooks],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert done.returncode == 0, done.stderr[-6000:]
    assert set(CHECKS) <= {path.name for path in NOTEBOOKS}
    for path in NOTEBOOKS:
        notebook = nbformat.read(executed / path.name, as_version=4)
        errors = [o for o in outputs(notebook) if o.output_type == "error"]
        assert not errors, f"{path.name}: {errors}"
        CHECKS.get(path.name, lambda _: None)(notebook)
