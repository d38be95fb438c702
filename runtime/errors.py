"""Error types users can catch; every message names the place (file:line:col) and the fix.

This module defines the exception classes, how a source location is rendered, and the one
way an exception raised inside a primitive becomes a placed `PhySLRuntimeError` that is
still an instance of the exception's own type (`runtime_error_from`); it never decides
policy.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, ClassVar

from jetlag.runtime.locks import fork_safe_lock


@dataclass(frozen=True)
class SourcePlace:
    """Where a construct came from: a file name, 1-based line and 0-based column.

    `col` follows the Phylanx tag convention (0-based, as Python's AST); messages print
    it 1-based, as editors do.
    """

    file: str
    line: int
    col: int
    text: str = ""  # the source line itself, shown under the message when known

    def render(self) -> str:
        """`file:line:col` with a 1-based column."""
        return f"{self.file}:{self.line}:{self.col + 1}"


class JetLagError(Exception):
    """Base class of every error JetLag raises on purpose."""


class PhySLError(JetLagError):
    """An error tied to a place in the user's program."""

    def __init__(self, message: str, place: SourcePlace | None = None, hint: str = ""):
        self.message = message
        self.place = place
        self.hint = hint
        text = self._format()
        super().__init__(text)
        self.args = (text,)  # a second base (AxisError) may keep the constructor's arguments

    def __str__(self) -> str:
        # Our text whatever a second base of a runtime error would print: KeyError quotes
        # its argument, OSError adds an errno, AxisError prints fields of its own.
        return self._format()

    def _format(self) -> str:
        head = f"{self.place.render()}: {self.message}" if self.place else self.message
        lines = [head]
        if self.place and self.place.text:
            lines.append("    " + self.place.text.rstrip())
            lines.append("    " + " " * self.place.col + "^")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class PhySLSyntaxError(PhySLError):
    """The program uses a construct JetLag cannot compile (raised at decoration/parse time)."""


class PhySLRuntimeError(PhySLError):
    """A primitive failed while the tree ran (shape mismatch, singular matrix, bad index...).

    `primitive` is the PhySL instance name (`dot$12$15`); `cause` the underlying exception.
    Made by `runtime_error_from`, the error is also an instance of the underlying
    exception's type (`except np.linalg.LinAlgError` catches a singular matrix as it does
    in NumPy), through a subclass listed in `kinds`, and `__cause__` is that exception too.
    """

    #: The exception types a subclass made by `runtime_error_type` also derives from.
    kinds: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(
        self,
        message: str,
        place: SourcePlace | None = None,
        hint: str = "",
        primitive: str = "",
        cause: BaseException | None = None,
    ):
        self.primitive = primitive
        self.cause = cause
        super().__init__(message, place, hint)

    def at(self, place: SourcePlace | None) -> PhySLRuntimeError:
        """The same error (type, message, hint, primitive, cause) placed at `place`."""
        try:
            moved = type(self)(self.message, place, self.hint, self.primitive, self.cause)
        except Exception:  # noqa: BLE001 - a subclass with a constructor of its own
            moved = PhySLRuntimeError(self.message, place, self.hint, self.primitive, self.cause)
        # `raise ... from None` (as the kernel re-raises) clears __cause__, not `cause`.
        moved.__cause__ = self.__cause__ if self.__cause__ is not None else self.cause
        return moved


class PrimitiveArgumentError(JetLagError, ValueError):
    """Raised by a primitive implementation for bad arguments; the scheduler adds the place."""


class SettingError(JetLagError, ValueError):
    """A JETLAG_* environment variable holds a value JetLag cannot use.

    The message names the variable, the value found, what it must be and how to get the
    default back; `variable` is the variable's name.
    """

    def __init__(self, variable: str, message: str) -> None:
        self.variable = variable
        super().__init__(message)


# -- runtime errors that keep the type of what failed ---------------------------------------

#: The class asked for by each tuple of kinds (runtime_error_type).
_runtime_types: dict[tuple[type[BaseException], ...], type[PhySLRuntimeError]] = {}
#: The class made for each tuple of bases that combined (_try_type).
_made_types: dict[tuple[type[BaseException], ...], type[PhySLRuntimeError]] = {}
_runtime_types_lock = fork_safe_lock()


def runtime_error_from(
    error: BaseException | None,
    message: str,
    place: SourcePlace | None = None,
    hint: str = "",
    primitive: str = "",
) -> BaseException:
    """The placed PhySLRuntimeError for `error`, raised inside the primitive `primitive`.

    The result is an instance of PhySLRuntimeError and of the underlying exception's type,
    so the `except` clauses that catch what NumPy raises catch it too; `__cause__` and
    `cause` are the underlying exception. That is `error`, or, when `error` is a
    PrimitiveArgumentError that a primitive raised from NumPy's exception (`raise
    PrimitiveArgumentError(...) from exc`), that exception (the primitive's own words stay
    in `message`): the result is then an instance of its type and of ValueError, as the
    PrimitiveArgumentError was. Types that cannot be combined are replaced by the nearest
    base class that can (see `runtime_error_type`).

    A PhySLError, and a BaseException that is not an Exception (KeyboardInterrupt,
    SystemExit, GeneratorExit, ...), come back unchanged: code that catches `Exception`
    must not catch an interrupt. With `error` None the result is a plain PhySLRuntimeError.
    """
    if error is not None and (isinstance(error, PhySLError) or not isinstance(error, Exception)):
        return error
    underlying = _underlying(error) if error is not None else None
    kinds: list[type[BaseException]] = []
    if underlying is not None:
        kinds.extend(_foreign_kinds(type(underlying)))
        if underlying is not error:  # a PrimitiveArgumentError stays catchable as a ValueError
            kinds.extend(k for k in _foreign_kinds(type(error)) if k not in kinds)
    kind = runtime_error_type(*kinds) if kinds else PhySLRuntimeError
    try:
        failure = kind(message, place, hint, primitive, underlying)
    except Exception:  # noqa: BLE001 - the probe passed but these arguments did not
        failure = PhySLRuntimeError(message, place, hint, primitive, underlying)
    failure.__cause__ = underlying
    return failure


def runtime_error_type(*kinds: type[BaseException]) -> type[PhySLRuntimeError]:
    """PhySLRuntimeError, made a subclass of each of `kinds` as far as Python allows.

    One class per tuple of kinds, made on first use and kept. A kind that cannot be a
    second base (it refuses subclassing, has a conflicting layout or a constructor that
    does not take one message, as UnicodeDecodeError) is replaced by the nearest class of
    its MRO that can (UnicodeError); JetLag's own classes are skipped (a
    PrimitiveArgumentError counts as the ValueError it is). Without any, the result is
    PhySLRuntimeError itself. The class's `__name__` stays "PhySLRuntimeError" (what
    Jupyter reports as the error's name); its `__qualname__`, which tracebacks print, lists
    the kinds: `jetlag.runtime.errors.PhySLRuntimeError[LinAlgError]: file:1:5: ...`.
    """
    found = _runtime_types.get(kinds)
    if found is not None:
        return found
    with _runtime_types_lock:
        found = _runtime_types.get(kinds)
        if found is None:
            found = _runtime_types[kinds] = _combined_type(kinds)
    return found


def _underlying(error: BaseException) -> BaseException:
    """The foreign exception behind a chain of PrimitiveArgumentErrors, else `error`."""
    seen = {id(error)}
    current = error
    while isinstance(current, PrimitiveArgumentError):
        cause = current.__cause__
        if not isinstance(cause, Exception) or isinstance(cause, PhySLError) or id(cause) in seen:
            return error
        seen.add(id(cause))
        current = cause
    return current


def _foreign_kinds(kind: type[BaseException]) -> list[type[BaseException]]:
    """`kind` itself; for one of JetLag's classes, the other classes it derives from
    (PrimitiveArgumentError: ValueError), most derived first."""
    if not issubclass(kind, JetLagError):
        return [kind]
    foreign = [
        k
        for k in kind.__mro__
        if issubclass(k, Exception) and k is not Exception and not issubclass(k, JetLagError)
    ]
    return [k for k in foreign if not any(o is not k and issubclass(o, k) for o in foreign)]


def _combined_type(kinds: tuple[type[BaseException], ...]) -> type[PhySLRuntimeError]:
    bases: list[type[BaseException]] = []
    for kind in kinds:
        base = _usable_base(kind)
        if base is None or any(issubclass(b, base) for b in bases):
            continue
        bases = [b for b in bases if not issubclass(base, b)] + [base]
    while bases:
        made = _try_type(tuple(bases))
        if made is not None:
            return made
        bases.pop()  # the first kinds matter most: drop the last until they combine
    return PhySLRuntimeError


def _usable_base(kind: type[BaseException]) -> type[BaseException] | None:
    """The first class of `kind`'s MRO that combines with PhySLRuntimeError on its own."""
    for candidate in getattr(kind, "__mro__", ()):
        if candidate is Exception or not issubclass(candidate, Exception):
            return None  # PhySLRuntimeError is an Exception already
        if issubclass(candidate, JetLagError):
            continue
        if _try_type((candidate,)) is not None:
            return candidate
    return None


def _try_type(bases: tuple[type[BaseException], ...]) -> type[PhySLRuntimeError] | None:
    """A subclass of PhySLRuntimeError and `bases` that constructs and prints our text."""
    made = _made_types.get(bases)
    if made is not None:
        return made
    qualname = f"PhySLRuntimeError[{', '.join(b.__name__ for b in bases)}]"

    def body(namespace: dict[str, Any]) -> None:
        namespace.update(
            __module__=__name__,
            __qualname__=qualname,
            __doc__=f"A PhySLRuntimeError that is also {' and '.join(b.__name__ for b in bases)}.",
            kinds=bases,
        )

    try:
        made = types.new_class("PhySLRuntimeError", (PhySLRuntimeError, *bases), exec_body=body)
        probe = made("probe", None, "", "", None)
        if str(probe) != "probe" or not isinstance(probe, bases):
            return None
    except Exception:  # noqa: BLE001 - this base cannot be combined: try another
        return None
    _made_types[bases] = made
    return made
