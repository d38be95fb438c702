"""The PhySL kernel's launcher logo: a small task graph drawn with NumPy, written as PNG.

`python -m jetlag.kernel.logo` rewrites kernelspec/logo-32x32.png and logo-64x64.png.
The picture is three orange task nodes (one feeding two) with white edges on a rounded
dark-blue square, drawn at 4x and averaged down for smooth edges; PNG chunks are
written with zlib and struct, so no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

_BACKGROUND = (27, 58, 92)
_EDGE = (255, 255, 255)
_NODE = (243, 156, 18)
_NODES = ((0.5, 0.28), (0.27, 0.72), (0.73, 0.72))  # (x, y) as fractions of the side


def _segment_distance(x: np.ndarray, y: np.ndarray, a: tuple, b: tuple) -> np.ndarray:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.hypot(x - (ax + t * dx), y - (ay + t * dy))


def draw(size: int, scale: int = 4) -> np.ndarray:
    """The logo as a (size, size, 4) uint8 RGBA array."""
    n = size * scale
    y, x = (np.mgrid[0:n, 0:n] + 0.5) / n
    image = np.zeros((n, n, 4))
    radius = 0.18  # corner radius of the rounded square
    cx = np.clip(x, radius, 1 - radius)
    cy = np.clip(y, radius, 1 - radius)
    inside = np.hypot(x - cx, y - cy) <= radius
    image[inside] = (*_BACKGROUND, 255)
    for target in _NODES[1:]:
        edge = _segment_distance(x, y, _NODES[0], target) <= 0.045
        image[edge & inside] = (*_EDGE, 255)
    for node in _NODES:
        disc = np.hypot(x - node[0], y - node[1]) <= 0.13
        image[disc] = (*_NODE, 255)
    small = image.reshape(size, scale, size, scale, 4).mean(axis=(1, 3))
    return np.round(small).astype(np.uint8)


def png_bytes(rgba: np.ndarray) -> bytes:
    """An RGBA uint8 array encoded as a PNG file."""
    height, width, _ = rgba.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + rgba[row].tobytes() for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def write_logos(directory: Path) -> list[Path]:
    """Write logo-32x32.png and logo-64x64.png into `directory`."""
    written = []
    for size in (32, 64):
        path = directory / f"logo-{size}x{size}.png"
        path.write_bytes(png_bytes(draw(size)))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_logos(Path(__file__).resolve().parent / "kernelspec"):
        print(path)
