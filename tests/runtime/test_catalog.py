"""docs/primitives.md is generated from the one registry and must match it."""

from __future__ import annotations

from pathlib import Path

from jetlag.runtime.primitives import REGISTRY
from jetlag.runtime.primitives.catalog import render_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "primitives.md"


def test_committed_catalog_is_current():
    assert DOCS.read_text() == render_markdown(), (
        "docs/primitives.md is stale: run "
        "`python -m jetlag.runtime.primitives.catalog > docs/primitives.md`"
    )


def test_registry_has_at_least_120_documented_primitives():
    assert len(REGISTRY) >= 120
    for primitive in REGISTRY:
        assert primitive.doc and primitive.signature.startswith(primitive.name), primitive.name


def test_every_numpy_reference_exists():
    import numpy as np

    for primitive in REGISTRY:
        if primitive.numpy is None:
            continue
        target = np
        for part in primitive.numpy.split(".")[1:]:
            target = getattr(target, part)
        assert callable(target), primitive.name


def test_committed_rewrite_table_is_current():
    import subprocess
    import sys

    table = subprocess.run(
        [sys.executable, "-m", "jetlag.runtime.passes"], capture_output=True, text=True, check=True
    ).stdout
    assert (DOCS.parent / "rewrites.md").read_text() == table, (
        "docs/rewrites.md is stale: run `python -m jetlag.runtime.passes > docs/rewrites.md`"
    )
