"""The JetLag compiler and task runtime (import name `jetlag.runtime`).

Data path: frontend (Python AST -> PhySL tree) -> ir (PhySL text <-> tree) -> passes ->
scheduler (tree -> tasks) -> primitives (kernels) -> measure (task events).
This package must never import Jupyter.
"""
