"""PhySL primitives: one registry (registry.REGISTRY), filled by the modules listed here.

Importing this package registers every primitive. Each module holds one family.
"""

# Families of primitives (docs/primitives.md groups them by category).
from jetlag.runtime.primitives import (  # noqa: E402,F401  (imported to register)
    builtin_numbers,
    casting,
    creation,
    cumulative,
    diagonals,
    elementwise,
    fused,
    fused_map,
    indexing,
    io,
    joining,
    linalg,
    moments,
    operators,
    products,
    random,
    reductions,
    rewritten,
    shape,
    sorting,
)
from jetlag.runtime.primitives.registry import REGISTRY, Primitive, PrimitiveRegistry

__all__ = ["REGISTRY", "Primitive", "PrimitiveRegistry"]
