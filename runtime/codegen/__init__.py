"""Lowering PhySL subtrees to Numba: generated kernels the primitives and scheduler run.

Data path: passes pick what to compile (fused elementwise expressions, GLM gradients,
loops); this package turns those trees into Python source for Numba (`emit`, `lowerings`),
builds and caches the compiled functions (`build`), and keeps the hand-written Numba
routines generated code calls (`support`). It never decides *whether* to compile.
"""
