"""The generated-kernel cache: code runs only from the text we built, in a private directory."""

from __future__ import annotations

import importlib.util
import inspect
import linecache
import marshal
import os
import stat
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from jetlag.runtime.codegen import build
from jetlag.runtime.errors import SettingError

NOBODY = 65534
DEFAULT = "~/.cache/jetlag/kernels"
needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to another user needs root"
)


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    """Each test chooses its cache directory anew and loads its modules anew."""
    monkeypatch.setattr(build, "_directory", None)
    monkeypatch.setattr(build, "_modules", {})
    monkeypatch.setenv("JETLAG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def ours(tmp_path: Path, marker: Path | None = None) -> str:
    """A generated-like module that is unique to the test (its own digest)."""
    touch = f"open({str(marker)!r}, 'a').write('x')\n" if marker else ""
    return f'"""test module for {tmp_path}"""\n{touch}VALUE = "ours"\n\n\ndef answer():\n    return 42\n'


def planted(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('planted')\nVALUE = 'planted'\n"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def setting_message(value: str, problem: str, fix: str | None) -> str:
    advice = f"{fix}, set it to such a directory," if fix else "set it to one"
    return (
        f"JETLAG_CACHE_DIR={value!r} is not a directory you own and only you can write "
        f"(for generated kernels): {problem}; {advice} or unset it (the default is {DEFAULT})"
    )


def test_a_planted_pyc_is_never_executed(tmp_path):
    source = ours(tmp_path)
    directory = build.cache_directory()
    marker = tmp_path / "marker"
    # An unchecked hash-based .pyc: the standard source loader would trust it blindly.
    code = compile(planted(marker), "planted", "exec")
    header = importlib.util.MAGIC_NUMBER + (0b01).to_bytes(4, "little")
    header += importlib.util.source_hash(source.encode())
    pycache = directory / "__pycache__"
    pycache.mkdir()
    name = f"jk_{build.source_digest(source)}"
    for suffix in ("", ".opt-1", ".opt-2"):
        (pycache / f"{name}.{sys.implementation.cache_tag}{suffix}.pyc").write_bytes(
            header + marshal.dumps(code)
        )
    before = sorted(pycache.iterdir())
    module = build.load_source(source)
    assert module.VALUE == "ours" and module.answer() == 42
    assert not marker.exists()
    assert sorted(pycache.iterdir()) == before


def test_no_bytecode_is_written_and_the_module_is_registered(tmp_path):
    source = ours(tmp_path)
    module = build.load_source(source)
    directory = build.cache_directory()
    name = f"jk_{build.source_digest(source)}"
    assert sorted(p.name for p in directory.iterdir()) == [f"{name}.py"]
    assert (directory / f"{name}.py").read_text() == source
    assert module.__file__ == str(directory / f"{name}.py")
    assert module.answer.__code__.co_filename == module.__file__
    assert sys.modules[f"jetlag_kernels.{name}"] is module
    assert inspect.getmodule(module.answer) is module
    assert build.load_source(source) is module


def test_a_file_tampered_after_our_write_is_never_executed(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    source = ours(tmp_path)
    real_replace = os.replace

    def replace_then_tamper(src, dst):
        real_replace(src, dst)
        Path(dst).write_text(planted(marker))

    monkeypatch.setattr(os, "replace", replace_then_tamper)
    module = build.load_source(source)
    monkeypatch.undo()
    assert module.VALUE == "ours" and not marker.exists()
    assert Path(module.__file__).read_text() == planted(marker)  # the file was changed...
    linecache.checkcache()
    assert "".join(linecache.getlines(module.__file__)) == source  # ...what is shown is ours
    assert inspect.getsource(module.answer) == "def answer():\n    return 42\n"


def test_an_existing_kernel_file_that_is_a_link_is_replaced_not_followed(tmp_path):
    source = ours(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path = build.cache_directory() / f"jk_{build.source_digest(source)}.py"
    path.symlink_to(victim)
    assert build.load_source(source).VALUE == "ours"
    assert victim.read_text() == "keep me"
    assert not path.is_symlink() and path.read_text() == source


@needs_root
def test_an_existing_kernel_file_owned_by_another_user_is_replaced(tmp_path):
    marker = tmp_path / "marker"
    source = ours(tmp_path)
    path = build.cache_directory() / f"jk_{build.source_digest(source)}.py"
    path.write_text(planted(marker))
    os.chown(path, NOBODY, NOBODY)
    assert build.load_source(source).VALUE == "ours" and not marker.exists()
    assert os.lstat(path).st_uid == os.geteuid() and path.read_text() == source


def test_a_kernel_loads_even_when_its_file_cannot_be_written(tmp_path):
    source = ours(tmp_path)
    path = build.cache_directory() / f"jk_{build.source_digest(source)}.py"
    path.mkdir()  # a directory in the way: os.replace fails
    module = build.load_source(source)
    assert module.answer() == 42
    assert path.is_dir() and os.listdir(path.parent) == [path.name]  # no temporary left
    assert inspect.getsource(module.answer) == "def answer():\n    return 42\n"


def test_directories_and_missing_parents_are_created_private(tmp_path, monkeypatch):
    previous = os.umask(0o022)
    try:
        monkeypatch.setenv("JETLAG_CACHE_DIR", str(tmp_path / "a" / "b" / "c"))
        assert build.cache_directory() == tmp_path / "a" / "b" / "c"
        for part in ("a", "a/b", "a/b/c"):
            assert mode_of(tmp_path / part) == 0o700
        build.reset_cache_directory()
        monkeypatch.delenv("JETLAG_CACHE_DIR")
        home = tmp_path / "home"
        assert build.cache_directory() == home / ".cache" / "jetlag" / "kernels"
        for part in ("home", "home/.cache", "home/.cache/jetlag", "home/.cache/jetlag/kernels"):
            assert mode_of(tmp_path / part) == 0o700
    finally:
        os.umask(previous)


@pytest.mark.parametrize("mode", [0o770, 0o702, 0o1777])
def test_a_setting_writable_by_group_or_others_is_refused(tmp_path, monkeypatch, mode):
    directory = tmp_path / "shared"
    directory.mkdir()
    os.chmod(directory, mode)
    monkeypatch.setenv("JETLAG_CACHE_DIR", str(directory))
    with pytest.raises(SettingError) as caught:
        build.cache_directory()
    assert caught.value.variable == "JETLAG_CACHE_DIR"
    assert str(caught.value) == setting_message(
        str(directory),
        f"{directory} has mode {mode:04o} (group or others can write it)",
        f"run `chmod 700 {directory}`",
    )
    assert not (tmp_path / "home").exists()  # no silent fall-back to the default


@needs_root
def test_a_setting_owned_by_another_user_is_refused(tmp_path, monkeypatch):
    directory = tmp_path / "theirs"
    directory.mkdir(mode=0o700)
    os.chown(directory, NOBODY, NOBODY)
    monkeypatch.setenv("JETLAG_CACHE_DIR", str(directory))
    with pytest.raises(SettingError) as caught:
        build.cache_directory()
    assert str(caught.value) == setting_message(
        str(directory),
        f"{directory} is owned by uid {NOBODY}, not by you (uid {os.geteuid()})",
        "remove it or make it yours",
    )


def test_a_setting_that_is_a_link_or_a_file_is_refused(tmp_path, monkeypatch):
    target = tmp_path / "real"
    target.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(target)
    monkeypatch.setenv("JETLAG_CACHE_DIR", str(link))
    with pytest.raises(SettingError) as caught:
        build.cache_directory()
    assert str(caught.value) == setting_message(
        str(link),
        f"{link} is a symbolic link (links are not followed)",
        "replace the link by a real directory",
    )
    plain = tmp_path / "file"
    plain.write_text("")
    monkeypatch.setenv("JETLAG_CACHE_DIR", str(plain))
    with pytest.raises(SettingError) as caught:
        build.cache_directory()
    assert str(caught.value) == setting_message(str(plain), f"{plain} is not a directory", None)
    inside = plain / "kernels"
    monkeypatch.setenv("JETLAG_CACHE_DIR", str(inside))
    with pytest.raises(SettingError) as caught:
        build.cache_directory()
    assert str(caught.value) == setting_message(
        str(inside), f"{inside} cannot be created (Not a directory)", None
    )
    assert not (tmp_path / "home").exists()


def test_an_unwritable_setting_is_refused(tmp_path, monkeypatch):
    directory = tmp_path / "readonly"
    directory.mkdir(mode=0o500)
    monkeypatch.setenv("JETLAG_CACHE_DIR", str(directory))
    if os.geteuid() == 0:  # permissions do not stop root: fail the write as they would

        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(SettingError) as caught:
        build.cache_directory()
    assert str(caught.value) == setting_message(
        str(directory), f"{directory} cannot be written (Permission denied)", None
    )
    assert not (tmp_path / "home").exists()


def test_an_unsafe_home_default_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("JETLAG_CACHE_DIR")
    directory = tmp_path / "home" / ".cache" / "jetlag" / "kernels"
    directory.mkdir(parents=True)
    os.chmod(directory, 0o775)
    with pytest.raises(build.KernelCacheError) as caught:
        build.cache_directory()
    assert str(caught.value) == (
        f"the kernel cache directory {directory} is unsafe: {directory} has mode 0775 "
        f"(group or others can write it); run `chmod 700 {directory}`, or set "
        "JETLAG_CACHE_DIR to a directory you own and only you can write"
    )


def test_an_unusable_home_falls_back_to_a_fresh_private_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("JETLAG_CACHE_DIR")
    (tmp_path / "home").write_text("")  # a file: nothing can be created under it
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    predictable = temporary / f"jetlag-kernels-{os.getuid()}"
    predictable.mkdir(mode=0o777)  # planted first by someone else: never used
    first = build.cache_directory()
    build.reset_cache_directory()
    second = build.cache_directory()
    assert first != second and predictable not in (first, second)
    for directory in (first, second):
        assert directory.parent == temporary and directory.name.startswith("jetlag-kernels-")
        assert mode_of(directory) == 0o700 and os.lstat(directory).st_uid == os.geteuid()
    assert build.load_source(ours(tmp_path)).VALUE == "ours"
    build._remove(first, os.getpid() + 1)  # a forked child's exit leaves it alone
    assert first.is_dir()
    build._remove(first, os.getpid())
    assert not first.exists()


def test_a_numba_kernel_is_compiled_with_its_globals_and_source_lines(tmp_path):
    source = (
        f"# kernel for {tmp_path}\n"
        "from numba import njit\n"
        "\n"
        "\n"
        "@njit(nogil=True)\n"
        "def kernel(x):\n"
        "    return x * 2.0 + OFFSET\n"
        "\n"
        "\n"
        "@njit(nogil=True)\n"
        "def broken(x):\n"
        "    return x + 'text'\n"
        "\n"
        "\n"
        "OFFSET = 3.0\n"
    )
    module = build.load_source(source)
    assert module.kernel(2.0) == 7.0
    assert "return x * 2.0 + OFFSET" in inspect.getsource(module.kernel.py_func)
    with pytest.raises(Exception) as caught:
        module.broken(1.0)
    message = str(caught.value)
    assert f"jk_{build.source_digest(source)}.py" in message
    assert "return x + 'text'" in message


def test_concurrent_loads_give_one_module_executed_once(tmp_path):
    marker = tmp_path / "runs"
    source = ours(tmp_path, marker)
    start = threading.Barrier(8)

    def load(_):
        start.wait()
        return build.load_source(source)

    with ThreadPoolExecutor(8) as pool:
        modules = list(pool.map(load, range(8)))
    assert all(module is modules[0] for module in modules)
    assert marker.read_text() == "x"
