"""The documentation site builds with MkDocs in strict mode, and says what the code does.

A warning, a broken link or a missing anchor fails the build (checked by breaking a copy);
`scripts/docs --check` builds it and finds the generated tables current; the guide's
example runs; its magics table names every magic the kernel has; the architecture page has
a paragraph for every top-level folder of the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from project_files import pins

from jetlag.kernel.magics import PhySLMagics
from jetlag.kernel.remote_magics import RemoteMagics

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = ("index", "guide", "architecture", "physl", "primitives", "rewrites", "server")
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=config.parent,
    )


def test_mkdocs_is_the_pinned_version():
    assert version("mkdocs") == pins(ROOT / "requirements" / "constraints.txt")["mkdocs"]


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    done = mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr
    for page in PAGES:
        html = (tmp_path / "site" / f"{page}.html").read_text(encoding="utf-8")
        assert "<h1" in html, page


def test_a_broken_link_or_anchor_fails_the_build(tmp_path):
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy2(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    guide = tmp_path / "docs" / "guide.md"
    guide.write_text(
        guide.read_text(encoding="utf-8") + "\nSee [gone](gone.md) and [here](physl.md#nowhere).\n",
        encoding="utf-8",
    )
    done = mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "gone.md" in done.stderr and "#nowhere" in done.stderr


def test_scripts_docs_builds_and_finds_the_generated_tables_current():
    done = subprocess.run(
        ["scripts/docs", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "build/site" in done.stdout
    assert (ROOT / "build" / "site" / "guide.html").is_file()


def test_the_guides_physl_example_runs(tmp_path):
    blocks = [b for b in BLOCK.findall((DOCS / "guide.md").read_text(encoding="utf-8"))]
    runnable = [b for b in blocks if "from jetlag import physl" in b]
    assert runnable
    for index, block in enumerate(runnable):
        script = tmp_path / f"guide_{index}.py"
        script.write_text(block, encoding="utf-8")
        env = {**os.environ, "JETLAG_STORE": str(tmp_path / "store"), "JETLAG_THREADS": "2"}
        done = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env=env,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert "normalize$" in done.stdout  # the PhySL, tagged with the block's lines


def test_the_guide_lists_every_magic_of_the_kernel():
    guide = (DOCS / "guide.md").read_text(encoding="utf-8")
    table = guide[guide.index("### Magics") : guide.index("### Trace outputs")]
    shown = set(re.findall(r"`(%%?[a-z]+)", table))
    registered = set()
    for magics in (PhySLMagics, RemoteMagics):
        registered |= {f"%{name}" for name in magics.magics["line"]}
        registered |= {f"%%{name}" for name in magics.magics["cell"]}
    assert registered <= shown, f"magics missing from the guide: {registered - shown}"


def test_the_guide_covers_what_a_new_user_asks():
    guide = (DOCS / "guide.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#+ (.*)$", guide, re.MULTILINE)
    for wanted in ("Installing", "The PhySL kernel", "Magics", "The JetLag panel"):
        assert wanted in headings, wanted
    assert any(h.startswith("Jobs and machines") for h in headings)
    assert any(h.startswith("Traces") for h in headings)
    for name in ("Perfetto", "Vampir", "otf2-print", "Tapis", "Binder", "Apptainer"):
        assert name in guide, name


def test_the_architecture_page_has_a_paragraph_per_top_level_folder():
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    folders = {path.split("/", 1)[0] for path in listed if "/" in path}
    folders = {f for f in folders if not f.startswith(".") and (ROOT / f).is_dir()}
    missing = [f for f in sorted(folders) if f"**`{f}/`**" not in page]
    assert not missing, f"folders without a paragraph in docs/architecture.md: {missing}"
    for section in ("## Adding a primitive", "## Adding a pass", "## Adding a job backend"):
        assert section in page
