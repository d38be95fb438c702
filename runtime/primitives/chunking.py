"""Chunk sizing for the array families: when an input is large enough to split, and where.

Thin layer over parallel.py that reads `parallel.MIN_CHUNK_ELEMENTS` at call time (so tests
can lower the threshold to push small inputs through the chunked paths) and counts items of
any size (rows of a matrix, slabs of an array). It never runs chunks itself.
"""

from __future__ import annotations

from jetlag.runtime.primitives import parallel


def is_large(size: int) -> bool:
    """True when `size` elements are worth splitting into chunk tasks."""
    return size >= parallel.MIN_CHUNK_ELEMENTS


def bounds_for(count: int, item_size: int = 1, min_items: int = 1) -> list[tuple[int, int]]:
    """[lo, hi) pieces over `count` items of `item_size` elements each, each piece holding at
    least MIN_CHUNK_ELEMENTS elements and `min_items` items (one piece when small or with one
    worker)."""
    if parallel.parallelism() <= 1:
        # Splitting work that runs serially anyway only costs.
        return [(0, count)]
    per_piece = max(min_items, parallel.MIN_CHUNK_ELEMENTS // max(1, item_size))
    return parallel.chunk_bounds(count, min_chunk=per_piece)
