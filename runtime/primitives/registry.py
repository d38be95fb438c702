"""The one registry of PhySL primitives.

Every primitive is registered once, with its PhySL name, the NumPy function it matches,
the Python spellings the frontend maps to it, a one-line doc and its implementation.
The frontend (name resolution), the scheduler (execution), docs/primitives.md and the
kernel's completion/inspection all read this table; nothing else keeps a list of primitives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Primitive:
    """One PhySL primitive.

    name:      PhySL name (`exp`, `__add`, `inverse`).
    impl:      pure function on concrete values (ndarray, NumPy/Python scalars, tuples,
               slices, None); may split work with `parallel.parallel_for`.
    signature: how it is called in PhySL, e.g. `sum(a, axis=nil, keepdims=false)`.
    doc:       one line for docs, completion and inspection.
    category:  `creation`, `elementwise`, `operator`, `inplace`, `reduction`, `product`,
               `linalg`, `shape`, `indexing`, `sorting`, `random`, `casting`, `io`, `misc`.
    numpy:     the NumPy callable whose results, dtypes and broadcasting it matches
               (`numpy.exp`), or None.
    aliases:   fully qualified Python spellings the frontend maps here
               (`numpy.exp`, `numpy.linalg.inv`, `builtins.abs`).
    methods:   ndarray method names mapped here; the receiver becomes the first argument.
    properties: ndarray attributes mapped here (`T` -> transpose, `shape` -> shape).
    effect:    True when it must run on the driver in program order (print, seeded random).
    kernel:    True when a Numba nogil kernel backs it (shown in the docs table).
    writes_first: True when it may write its first operand in place (`__iadd`: `x += v`
               on an ndarray). The scheduler runs such a call as a fence, like
               `store(slice(x, ...), v)`: after every task issued before it, and before
               any later task that may read the memory it writes. The passes treat it as
               a write of that operand: never dropped, fused or moved past a read of it.
    """

    name: str
    impl: Callable[..., Any]
    signature: str
    doc: str
    category: str
    numpy: str | None = None
    aliases: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()
    effect: bool = False
    kernel: bool = False
    writes_first: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


class PrimitiveRegistry:
    """Name -> Primitive, plus the alias/method/property indexes the frontend needs."""

    def __init__(self) -> None:
        self._by_name: dict[str, Primitive] = {}
        self._by_alias: dict[str, str] = {}
        self._by_method: dict[str, str] = {}
        self._by_property: dict[str, str] = {}

    def register(self, primitive: Primitive) -> Primitive:
        """Add a primitive; a second registration of the same name is a programming error."""
        if primitive.name in self._by_name:
            raise ValueError(f"primitive {primitive.name!r} is registered twice")
        self._by_name[primitive.name] = primitive
        for alias in primitive.aliases:
            if alias in self._by_alias:
                raise ValueError(
                    f"alias {alias!r} maps to both {self._by_alias[alias]!r} and {primitive.name!r}"
                )
            self._by_alias[alias] = primitive.name
        for method in primitive.methods:
            if method in self._by_method:
                raise ValueError(f"method {method!r} is registered twice")
            self._by_method[method] = primitive.name
        for prop in primitive.properties:
            self._by_property[prop] = primitive.name
        return primitive

    def get(self, name: str) -> Primitive | None:
        """The primitive called `name` in PhySL, or None."""
        return self._by_name.get(name)

    def __getitem__(self, name: str) -> Primitive:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Primitive]:
        return iter(sorted(self._by_name.values(), key=lambda p: (p.category, p.name)))

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> list[str]:
        """All PhySL primitive names, sorted."""
        return sorted(self._by_name)

    def resolve_alias(self, qualified: str) -> str | None:
        """PhySL name for a qualified Python name such as `numpy.linalg.inv`, or None."""
        return self._by_alias.get(qualified)

    def resolve_method(self, method: str) -> str | None:
        """PhySL name for an ndarray method such as `sum`, or None."""
        return self._by_method.get(method)

    def resolve_property(self, attribute: str) -> str | None:
        """PhySL name for an ndarray attribute such as `T` or `shape`, or None."""
        return self._by_property.get(attribute)


REGISTRY = PrimitiveRegistry()


def primitive(
    name: str,
    signature: str,
    doc: str,
    category: str,
    *,
    numpy: str | None = None,
    aliases: tuple[str, ...] = (),
    methods: tuple[str, ...] = (),
    properties: tuple[str, ...] = (),
    effect: bool = False,
    kernel: bool = False,
    writes_first: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering `impl` as the primitive `name` in the one REGISTRY."""

    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY.register(
            Primitive(
                name=name,
                impl=impl,
                signature=signature,
                doc=doc,
                category=category,
                numpy=numpy,
                aliases=aliases,
                methods=methods,
                properties=properties,
                effect=effect,
                kernel=kernel,
                writes_first=writes_first,
            )
        )
        return impl

    return register
