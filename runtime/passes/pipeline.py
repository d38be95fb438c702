"""The optimization pipeline: the ordered list of passes `optimize` runs on a Program.

Each pass is its own module (one transformation each) and a pure Program -> Program
function; this module only orders them and collects what they report, so the optimized
PhySL can show why it differs from the original (`Optimization.text()`). It must not
contain a transformation itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jetlag.runtime.ir.nodes import Program
from jetlag.runtime.passes.annotate import annotate
from jetlag.runtime.passes.compile_loops import CompileLoops
from jetlag.runtime.passes.dead_code import DeadDefinitions
from jetlag.runtime.passes.fuse_elementwise import ElementwiseFusion
from jetlag.runtime.passes.glm import GlmFusion
from jetlag.runtime.passes.protocol import Applied, Pass
from jetlag.runtime.passes.rewrite import AlgebraicRewrite

#: The passes `optimize` runs, in order. The algebraic rewrites come first (they turn dense
#: diagonal products into vector work); the GLM fusion then reads X once per gradient;
#: dead-definition elimination drops the dense matrices and intermediates nothing reads;
#: what remains of elementwise trees becomes one compiled loop each; last, while loops
#: whose every operation has a Numba spelling become one generated function each.
PIPELINE: tuple[Pass, ...] = (
    AlgebraicRewrite(),
    GlmFusion(),
    DeadDefinitions(),
    ElementwiseFusion(),
    CompileLoops(),
)


@dataclass(frozen=True)
class Optimization:
    """The result of the pipeline: the optimized program and every change, in order."""

    original: Program
    program: Program
    applied: tuple[Applied, ...]
    passes: tuple[str, ...]

    def text(self) -> str:
        """The optimized PhySL with a `# ...` line above each changed statement."""
        return annotate(self.program, self.applied)


def explain(program: Program, passes: Sequence[Pass] | None = None) -> Optimization:
    """Run the pipeline (or `passes`) and keep what each pass changed."""
    chosen = tuple(PIPELINE if passes is None else passes)
    current = program
    applied: list[Applied] = []
    for step in chosen:
        try:
            result = step.run(current)
        except RecursionError:
            # Passes recurse over expressions; a pathologically deep tree keeps its form.
            applied.append(Applied(f"{step.name}: skipped, the tree is nested too deeply", None))
            continue
        current = result.program
        applied.extend(result.applied)
    return Optimization(program, current, tuple(applied), tuple(p.name for p in chosen))


def optimize(program: Program, passes: Sequence[Pass] | None = None) -> Program:
    """The program after the pipeline (or `passes`); the input is not changed."""
    return explain(program, passes).program


def select_passes(optimize: bool | Sequence[str]) -> tuple[Pass, ...]:
    """The passes `optimize` asks for: True all of PIPELINE, False none, or the named ones
    (kept in pipeline order); an unknown name is a ValueError listing the known ones."""
    if optimize is True:
        return PIPELINE
    if optimize is False:
        return ()
    if isinstance(optimize, str):
        optimize = [optimize]
    known = [step.name for step in PIPELINE]
    unknown = [name for name in optimize if name not in known]
    if unknown:
        raise ValueError(
            f"unknown pass {unknown[0]!r}: optimize= takes True, False or pass names from "
            f"{', '.join(known)}"
        )
    return tuple(step for step in PIPELINE if step.name in set(optimize))
