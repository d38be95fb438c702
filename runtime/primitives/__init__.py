"""PhySL primitives: one registry (registry.REGISTRY), filled by the modules listed here.

Importing this package registers every primitive. Each module holds one family.
"""

from jetlag.runtime.primitives.registry import REGISTRY, Primitive, PrimitiveRegistry

# Families, in the order they appear in docs/primitives.md.
from jetlag.runtime.primitives import (  # noqa: E402,F401  (imported to register)
    creation,
    elementwise,
    operators,
    reductions,
    moments,
    casting,
    products,
    linalg,
    shape,
    joining,
    diagonals,
    indexing,
    sorting,
    random,
    io,
)

__all__ = ["REGISTRY", "Primitive", "PrimitiveRegistry"]
