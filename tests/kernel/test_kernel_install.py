"""The kernelspec: installed by pip and by `python -m jetlag.kernel install`, with logos."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from jetlag.kernel.logo import draw, png_bytes

SPEC = Path(__file__).resolve().parents[2] / "kernel" / "kernelspec"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, checking its signature, IHDR and pixel data length."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    assert (depth, color) == (8, 6)  # 8-bit RGBA
    idat_length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    pixels = zlib.decompress(data[41 : 41 + idat_length])
    assert len(pixels) == height * (1 + 4 * width)
    return width, height


def test_logos_are_the_generated_pngs():
    for size in (32, 64):
        data = (SPEC / f"logo-{size}x{size}.png").read_bytes()
        assert png_size(data) == (size, size)
        assert data == png_bytes(draw(size))


def test_pip_installed_kernelspec(physl_kernelspec):
    assert physl_kernelspec.display_name == "PhySL"
    assert physl_kernelspec.language == "python"
    assert physl_kernelspec.argv == ["python", "-m", "jetlag.kernel", "-f", "{connection_file}"]
    assert physl_kernelspec.interrupt_mode == "signal"
    resources = Path(physl_kernelspec.resource_dir)
    assert {"logo-32x32.png", "logo-64x64.png"} <= {p.name for p in resources.iterdir()}


def test_install_command_writes_a_kernelspec_for_this_python(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "jetlag.kernel", "install", "--prefix", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    target = tmp_path / "share" / "jupyter" / "kernels" / "physl"
    assert done.stdout.strip().endswith(str(target))
    spec = json.loads((target / "kernel.json").read_text())
    assert spec["argv"] == [sys.executable, "-m", "jetlag.kernel", "-f", "{connection_file}"]
    assert spec["display_name"] == "PhySL"
    assert (target / "logo-64x64.png").read_bytes() == (SPEC / "logo-64x64.png").read_bytes()


def test_install_rejects_two_destinations(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "jetlag.kernel", "install", "--user", "--prefix", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "not allowed with argument" in done.stderr
