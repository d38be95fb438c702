"""Distributed forms of primitives for the Dask executor: which primitives run per block.

A form takes the primitive's concrete operands (dask arrays for partitioned data) and
returns a dask array (blocks computed on the workers, still partitioned), a concrete value
(small partial results combined on the client), or NOT_DISTRIBUTED when the operands are
not what the blocked identity needs, in which case the executor runs the primitive whole
on gathered data (correctness over speed). Every block runs the registry's own
implementation (`dask_worker.run_block`), so values, dtypes and errors are NumPy's; only
the order of additions in a reduction over the partitioned axis differs (partial sums
added in block order, as the threads executor adds its chunks).

Forms: elementwise primitives and operators (registry `fusable_call`), `fused_elementwise`,
`sum`/`prod`/`max`/`min`/`any`/`all`/`mean` (float64), `dot`/`matmul` (1-D/2-D), `transpose`
(lazy), `glm_gradient`, and `shape`/`ndim`/`size`/`len` (from metadata, never gathered).
Every other primitive runs on the client.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from jetlag.runtime.ir.text import print_physl
from jetlag.runtime.primitives.fused_body import fusable_call
from jetlag.runtime.primitives.registry import REGISTRY
from jetlag.runtime.scheduler.dask_partition import is_distributed, partitioned_axis
from jetlag.runtime.scheduler.dask_worker import LambdaText, run_block

NOT_DISTRIBUTED = object()
_NUMBER = (bool, int, float, complex, np.generic)


class Blocks(Protocol):
    """What a form needs from the executor's run."""

    tag: tuple[str, int, str]

    def lift(self, value: Any) -> Any:
        """A big ndarray partitioned (cached), a dask array as is, anything else as is."""

    def rows(self, value: Any, chunks: tuple[int, ...]) -> Any:
        """A row-aligned operand cut into row blocks of the sizes `chunks`."""

    def small(self, value: Any) -> Any:
        """A dask array of one block gathered; anything else as is."""

    def gathered(self, value: Any) -> Any:
        """`value` with every dask array in it gathered to the client."""

    def compute(self, values: list[Any]) -> list[Any]:
        """Dask delayed values computed on the workers (bounded by the run's timeout)."""


Form = Callable[[Blocks, str, list[Any], dict[str, Any]], Any]
FORMS: dict[str, Form] = {}
#: Forms whose dask result is left lazy (a cheap view of blocks already on the workers).
LAZY = frozenset({"transpose"})


def _operand(blocks: Blocks, value: Any) -> Any:
    """An operand of a blockwise map: a dask array, a small ndarray, or a number; else
    NOT_DISTRIBUTED."""
    value = blocks.lift(value)
    if is_distributed(value) or isinstance(value, _NUMBER):
        return value
    if isinstance(value, np.ndarray):
        return value if value.ndim else value[()]
    return NOT_DISTRIBUTED


def _sample(value: Any) -> Any:
    if is_distributed(value) or isinstance(value, np.ndarray):
        return np.ones((1,) * value.ndim, dtype=value.dtype)
    return value


def _map(blocks: Blocks, name: str, head: tuple[Any, ...], operands: list[Any]) -> Any:
    """`name`(*head, *operands) block by block, broadcasting as NumPy does."""
    import dask.array as da

    if not any(is_distributed(op) for op in operands):
        return NOT_DISTRIBUTED
    local = tuple(h.function() if isinstance(h, LambdaText) else h for h in head)
    try:
        with np.errstate(all="ignore"):
            probe = REGISTRY[name].impl(*local, *(_sample(op) for op in operands))
    except Exception:  # noqa: BLE001 - the whole evaluation raises it, at the right place
        return NOT_DISTRIBUTED
    if not isinstance(probe, np.ndarray):
        return NOT_DISTRIBUTED
    arrays = _aligned(operands)
    if arrays is None:
        return NOT_DISTRIBUTED  # shapes NumPy cannot broadcast: the whole evaluation raises
    return da.map_blocks(
        run_block,
        blocks.tag,
        name,
        *head,
        *arrays,
        dtype=probe.dtype,
        meta=np.empty((0,) * probe.ndim, probe.dtype),
        token=f"jetlag-{name}",
    )


def _aligned(operands: list[Any]) -> list[Any] | None:
    """The operands cut into the same blocks along each broadcast dimension (Dask would
    repeat an operand of one block along a dimension against every block of the others)."""
    import dask.array as da

    arrays = [op for op in operands if is_distributed(op) or isinstance(op, np.ndarray)]
    ndim = max(op.ndim for op in arrays)
    target: list[tuple[int, ...] | None] = [None] * ndim
    for op in arrays:
        if is_distributed(op):
            for i, sizes in enumerate(op.chunks):
                d = ndim - op.ndim + i
                if op.shape[i] != 1 and (target[d] is None or len(sizes) > len(target[d])):
                    target[d] = sizes
    aligned = []
    for op in operands:
        if not (is_distributed(op) or isinstance(op, np.ndarray)):
            aligned.append(op)
            continue
        chunks = []
        for i, n in enumerate(op.shape):
            sizes = target[ndim - op.ndim + i] if n != 1 else None
            if sizes is not None and sum(sizes) != n:
                return None
            chunks.append(sizes or (n,))
        chunks = tuple(chunks)
        if isinstance(op, np.ndarray):
            aligned.append(da.from_array(op, chunks=chunks))
        else:
            aligned.append(op if op.chunks == chunks else op.rechunk(chunks))
    return aligned


def _elementwise(blocks: Blocks, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    operands = [_operand(blocks, a) for a in args]
    if kwargs or any(op is NOT_DISTRIBUTED for op in operands):
        return NOT_DISTRIBUTED
    return _map(blocks, name, (), operands)


def _fused(blocks: Blocks, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if kwargs or not args or not hasattr(args[0], "body"):
        return NOT_DISTRIBUTED
    operands = [_operand(blocks, a) for a in args[1:]]
    if any(op is NOT_DISTRIBUTED for op in operands):
        return NOT_DISTRIBUTED
    return _map(blocks, name, (_lambda_text(args[0]),), operands)


def _lambda_text(f: Any) -> LambdaText:
    return LambdaText(tuple(f.params), print_physl(f.body))


def _reduction(blocks: Blocks, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    names = ("a", "axis", "dtype", "keepdims") if name in ("sum", "prod", "mean") else None
    names = names or ("a", "axis", "keepdims")
    if len(args) > len(names) or set(kwargs) - set(names[1:]):
        return NOT_DISTRIBUTED
    bound = dict(zip(names, args, strict=False)) | kwargs
    a, axis, keepdims = blocks.lift(bound["a"]), bound.get("axis"), bound.get("keepdims", False)
    if bound.get("dtype") is not None or not is_distributed(a) or a.ndim == 0:
        return NOT_DISTRIBUTED
    if not isinstance(keepdims, (bool, np.bool_)) or not (axis is None or isinstance(axis, int)):
        return NOT_DISTRIBUTED
    if name == "mean" and a.dtype != np.float64:
        return NOT_DISTRIBUTED
    if axis is not None:
        if not -a.ndim <= axis < a.ndim:
            return NOT_DISTRIBUTED  # NumPy's AxisError, raised by the whole evaluation
        axis %= a.ndim
    cut = partitioned_axis(a)
    if cut is None or cut < 0:
        return NOT_DISTRIBUTED
    total = "sum" if name == "mean" else name
    if axis is not None and axis != cut:
        # Each block reduces rows of its own: the same values as the whole evaluation.
        chunks = tuple(c for i, c in enumerate(a.chunks) if keepdims or i != axis)
        if keepdims:
            chunks = tuple((1,) if i == axis else c for i, c in enumerate(chunks))
        drop = [] if keepdims else [axis]
        if name == "mean" and keepdims:
            return NOT_DISTRIBUTED
        return _reduce_blocks(blocks, name, a, axis, keepdims, chunks, drop)
    # Over the partitioned axis: one partial per block, combined on the client in order.
    chunks = tuple(
        (1,) * len(c) if i == cut else ((1,) if axis is None or i == axis else c)
        for i, c in enumerate(a.chunks)
    )
    partials = blocks.small(_reduce_blocks(blocks, total, a, axis, True, chunks, []))
    value = REGISTRY[total].impl(partials, axis=axis, keepdims=keepdims)
    if name == "mean":
        count = a.size if axis is None else a.shape[axis]
        value = np.true_divide(value, count)
        return value if isinstance(value, np.ndarray) else np.float64(value)
    return value


def _reduce_blocks(blocks, name, a, axis, keepdims, chunks, drop) -> Any:
    import dask.array as da

    sample = REGISTRY[name].impl(np.ones((1,) * a.ndim, a.dtype), axis=axis, keepdims=keepdims)
    return da.map_blocks(
        run_block,
        blocks.tag,
        name,
        a,
        axis=axis,
        keepdims=keepdims,
        chunks=chunks,
        drop_axis=drop,
        dtype=np.asarray(sample).dtype,
        token=f"jetlag-{name}",
    )


def _product(blocks: Blocks, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if kwargs or len(args) != 2:
        return NOT_DISTRIBUTED
    a, b = blocks.lift(args[0]), blocks.lift(args[1])
    if not (is_distributed(a) or is_distributed(b)):
        return NOT_DISTRIBUTED
    a, b = blocks.small(a), blocks.small(b)
    if any(np.ndim(v) not in (1, 2) or not hasattr(v, "dtype") for v in (a, b)):
        return NOT_DISTRIBUTED
    if not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
        return (
            _contract(blocks, name, a, b) if partitioned_axis(a) == a.ndim - 1 else NOT_DISTRIBUTED
        )
    if is_distributed(a) and a.ndim == 2 and partitioned_axis(a) == 0:
        # Rows of a times all of b: row blocks of the result, exactly the whole product's.
        import dask.array as da

        if a.shape[1] != b.shape[0]:
            return NOT_DISTRIBUTED  # NumPy's shape error, raised by the whole evaluation
        probe = REGISTRY[name].impl(np.ones((1, a.shape[1]), a.dtype), b)
        rest = [] if b.ndim == 1 else [(b.shape[1],)]
        return da.map_blocks(
            run_block,
            blocks.tag,
            name,
            a,
            b,
            chunks=(a.chunks[0], *rest),
            drop_axis=[] if rest else [1],
            dtype=probe.dtype,
            token=f"jetlag-{name}",
        )
    if is_distributed(a) and partitioned_axis(a) == a.ndim - 1:
        return _contract(blocks, name, a, b)
    return NOT_DISTRIBUTED


def _contract(blocks: Blocks, name: str, a: Any, b: Any) -> Any:
    """a @ b summed over the partitioned contraction axis: one partial product per block,
    added on the client in block order."""
    from dask import delayed

    if b.shape[0] != a.shape[-1]:
        return NOT_DISTRIBUTED  # NumPy's shape error, raised by the whole evaluation
    sizes = a.chunks[-1]
    b = blocks.rows(b, sizes)
    left = a.to_delayed().reshape(-1)
    right = b.to_delayed().reshape(len(sizes), -1)[:, 0]
    partials = [
        delayed(run_block, pure=True)(blocks.tag, name, x, y)
        for x, y in zip(left, right, strict=True)
    ]
    return functools.reduce(np.add, blocks.compute(partials))


def _glm_gradient(blocks: Blocks, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    from dask import delayed

    if kwargs or len(args) < 3 or not hasattr(args[2], "body"):
        return NOT_DISTRIBUTED
    # w is one value per column of x: small next to x, whatever the threshold says.
    x, w = blocks.lift(args[0]), blocks.gathered(args[1])
    operands = [blocks.small(blocks.lift(op)) for op in args[3:]]
    if not is_distributed(x) or x.ndim != 2 or partitioned_axis(x) != 0:
        return NOT_DISTRIBUTED
    if not isinstance(w, np.ndarray) or w.ndim != 1 or w.shape[0] != x.shape[1]:
        return NOT_DISTRIBUTED
    rows = x.shape[0]
    pieces = []
    for op in operands:
        if isinstance(op, _NUMBER) or (isinstance(op, np.ndarray) and op.ndim == 0):
            pieces.append([op] * len(x.chunks[0]))
        elif np.ndim(op) == 1 and op.shape[0] == rows:
            pieces.append(list(blocks.rows(op, x.chunks[0]).to_delayed().reshape(-1)))
        else:
            return NOT_DISTRIBUTED  # f would broadcast across rows: the whole evaluation
    f = _lambda_text(args[2])
    partials = [
        delayed(run_block, pure=True)(blocks.tag, name, block, w, f, *(p[i] for p in pieces))
        for i, block in enumerate(x.to_delayed().reshape(-1))
    ]
    return functools.reduce(np.add, blocks.compute(partials))


def _transpose(blocks: Blocks, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    a = blocks.lift(args[0]) if len(args) == 1 and not kwargs else None
    return a.T if is_distributed(a) else NOT_DISTRIBUTED


def _metadata(blocks: Blocks, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if len(args) != 1 or kwargs or not is_distributed(args[0]):
        return NOT_DISTRIBUTED
    # A zero-stride stand-in of the same shape and dtype: nothing is gathered.
    stand_in = np.broadcast_to(np.zeros((), args[0].dtype), args[0].shape)
    return REGISTRY[name].impl(stand_in)


def distributed_form(name: str) -> Form | None:
    """The distributed form of primitive `name`, or None (it runs on the client)."""
    form = FORMS.get(name)
    if form is None and fusable_call(name):
        return _elementwise
    return form


FORMS.update(
    {
        "fused_elementwise": _fused,
        "glm_gradient": _glm_gradient,
        "transpose": _transpose,
        "dot": _product,
        "matmul": _product,
        **{n: _reduction for n in ("sum", "prod", "max", "min", "any", "all", "mean")},
        **{n: _metadata for n in ("shape", "ndim", "size", "len")},
    }
)

__all__ = ["FORMS", "LAZY", "NOT_DISTRIBUTED", "Blocks", "distributed_form"]
