"""The print primitive: Python's print formatting, sep/end, the current sys.stdout, flushing."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives import REGISTRY


def physl_print(*args, **kwargs):
    return REGISTRY["print"].impl(*args, **kwargs)


def python_print(*args, **kwargs):
    out = io.StringIO()
    print(*args, file=out, **kwargs)
    return out.getvalue()


def captured(*args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert physl_print(*args, **kwargs) is None
    return out.getvalue()


VALUES = [
    (),
    ("hello", 1, 2.5, None, True),
    (np.arange(12).reshape(3, 4), np.float32(1.5)),
    (np.linspace(0, 1, 2000),),
    ((1, "a", np.int64(3)), range(3), slice(1, None, 2)),
    (np.array([1 + 2j, np.nan]), np.array("text"), 1e-20),
]


def test_registration():
    primitive = REGISTRY["print"]
    assert primitive.effect
    assert primitive.category == "io"
    assert REGISTRY.resolve_alias("builtins.print") == "print"


@pytest.mark.parametrize("values", VALUES)
def test_formats_like_python_print(values):
    assert captured(*values) == python_print(*values)


def test_sep_and_end():
    assert captured(1, 2, 3, sep=", ", end="!\n") == "1, 2, 3!\n"
    assert captured("a", "b", sep="", end="") == "ab"
    assert captured("a", "b", sep=None, end=None) == python_print("a", "b", sep=None, end=None)


def test_uses_stdout_at_call_time_and_flushes():
    class Recorder(io.StringIO):
        flushes = 0

        def flush(self):
            Recorder.flushes += 1
            super().flush()

    first, second = Recorder(), io.StringIO()
    with contextlib.redirect_stdout(first):
        physl_print("one")
    with contextlib.redirect_stdout(second):
        physl_print("two")
    assert first.getvalue() == "one\n"
    assert second.getvalue() == "two\n"
    assert Recorder.flushes >= 1


def test_capsys(capsys):
    physl_print(np.eye(2))
    assert capsys.readouterr().out == python_print(np.eye(2))


def test_bad_sep_and_end():
    with pytest.raises(PrimitiveArgumentError) as info:
        physl_print(1, sep=3)
    assert str(info.value) == "sep must be a string or nil, got int 3"
    with pytest.raises(PrimitiveArgumentError) as info:
        physl_print(1, end=b"x")
    assert str(info.value) == "end must be a string or nil, got bytes b'x'"
