"""Tokenizer for PhySL text: turns characters into names, numbers, strings and punctuation.

It knows the lexical rules of docs/physl.md (identifiers with an optional `$line$col` tag,
Python-style numbers with an optional leading '-', double-quoted strings, '#' comments) and
reports malformed tokens as `PhySLSyntaxError` at the offending character. It must not know
the grammar: which token may follow which is the parser's business (`jetlag.runtime.ir.text`).
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass

from jetlag.runtime.errors import PhySLSyntaxError, SourcePlace

# Token kinds.
IDENT = "identifier"
NUMBER = "number"
STRING = "string"
PUNCT = "punctuation"  # one of ( ) , =
EOF = "end of input"

_WHITESPACE = re.compile(r"[ \t\r\n\f\v]+")
_COMMENT = re.compile(r"#[^\n]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SIGNED_SPECIAL = re.compile(r"-(?:inf|nan)(?![A-Za-z0-9_$])")
_DIGITS = re.compile(r"\d+")
# A number running straight into one of these is a typo like `1e` or `1.2.3`, not two tokens.
_NUMBER_TAIL = re.compile(r"[A-Za-z0-9_.$]")
_TAG_TAIL = re.compile(r"[A-Za-z0-9_$]")

_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_TAG_HINT = "tags are written name$line$col, e.g. dot$3$4"


@dataclass(frozen=True)
class Token:
    """One token. `line` is 1-based and `col` 0-based (the start); `end_*` is just past it.

    `value` is the decoded literal for numbers and strings; `tag` the (line, col) of an
    identifier's `$line$col` suffix, or None when the identifier is untagged.
    """

    kind: str
    text: str
    line: int
    col: int
    end_line: int
    end_col: int
    value: object = None
    tag: tuple[int, int] | None = None

    def describe(self) -> str:
        """How error messages name this token: `'dot$3$4'`, `')'`, `end of input`."""
        if self.kind == EOF:
            return "end of input"
        text = self.text if len(self.text) <= 30 else self.text[:27] + "..."
        if self.kind == STRING:
            return f"string {text}"
        return f"'{text}'"


def split_lines(text: str) -> tuple[str, ...]:
    """The text's lines as the lexer counts them: split at '\\n' only, '\\r' stripped.

    `str.splitlines` would also split at characters such as U+2028 that the lexer treats
    as ordinary, and then error messages would quote the wrong line.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(line[:-1] if line.endswith("\r") else line for line in lines)


def describe_char(ch: str) -> str:
    """How error messages name a single character (or the end of a line / the input)."""
    if ch == "":
        return "end of input"
    if ch == "\n":
        return "end of line"
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}'"
    return f"U+{ord(ch):04X}"


class Lexer:
    """Tokenizes one PhySL text; `tokenize()` returns all tokens, ending with an EOF token."""

    def __init__(self, text: str, file: str = "<physl>"):
        self.text = text
        self.file = file
        self.lines = split_lines(text)
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def position(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based col) of a character offset."""
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index]

    def place(self, line: int, col: int) -> SourcePlace:
        """A SourcePlace in this text, quoting the line."""
        text = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        return SourcePlace(self.file, line, col, text)

    def error(self, offset: int, message: str, hint: str = "") -> PhySLSyntaxError:
        """A syntax error pointing at character `offset`."""
        return PhySLSyntaxError(message, self.place(*self.position(offset)), hint)

    def tokenize(self) -> list[Token]:
        """All tokens of the text; the last is EOF, placed just after the last real token."""
        text = self.text
        tokens: list[Token] = []
        pos = 0
        while pos < len(text):
            match = _WHITESPACE.match(text, pos) or _COMMENT.match(text, pos)
            if match:
                pos = match.end()
                continue
            token, pos = self._token_at(pos)
            tokens.append(token)
        end = (tokens[-1].end_line, tokens[-1].end_col) if tokens else (1, 0)
        tokens.append(Token(EOF, "", end[0], end[1], end[0], end[1]))
        return tokens

    def _make(self, kind: str, start: int, end: int, value: object = None, tag=None) -> Token:
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Token(kind, self.text[start:end], line, col, end_line, end_col, value, tag)

    def _token_at(self, pos: int) -> tuple[Token, int]:
        text = self.text
        ch = text[pos]
        if ch in "(),=":
            return self._make(PUNCT, pos, pos + 1), pos + 1
        if ch == '"':
            return self._string(pos)
        match = _IDENT.match(text, pos)
        if match:
            return self._ident(pos, match.end())
        match = _SIGNED_SPECIAL.match(text, pos)
        if match:
            value = math.nan if match.group() == "-nan" else -math.inf
            return self._make(NUMBER, pos, match.end(), value), match.end()
        match = _NUMBER.match(text, pos)
        if match:
            return self._number(pos, match.end())
        if ch == "-":
            raise self.error(
                pos,
                f"unexpected character '-': expected a digit after it, found "
                f"{describe_char(text[pos + 1 : pos + 2])}",
                "negative numbers are written -3 or -2.5; to negate an expression use __neg(x)",
            )
        raise self.error(
            pos,
            f"unexpected character {describe_char(ch)}: expected a name, a number, a string, "
            "'(', ')', ',' or '='",
        )

    def _ident(self, start: int, end: int) -> tuple[Token, int]:
        text = self.text
        if end >= len(text) or text[end] != "$":
            return self._make(IDENT, start, end), end
        name = text[start:end]
        line_digits = _DIGITS.match(text, end + 1)
        if line_digits is None:
            raise self.error(
                end + 1,
                f"malformed tag on '{name}': expected a line number after '{name}$', found "
                f"{describe_char(text[end + 1 : end + 2])}",
                _TAG_HINT,
            )
        after_line = line_digits.end()
        if text[after_line : after_line + 1] != "$":
            raise self.error(
                after_line,
                f"malformed tag on '{name}': expected '$' and a column number after "
                f"'{text[start:after_line]}', found {describe_char(text[after_line : after_line + 1])}",
                _TAG_HINT,
            )
        col_digits = _DIGITS.match(text, after_line + 1)
        if col_digits is None:
            raise self.error(
                after_line + 1,
                f"malformed tag on '{name}': expected a column number after "
                f"'{text[start : after_line + 1]}', found "
                f"{describe_char(text[after_line + 1 : after_line + 2])}",
                _TAG_HINT,
            )
        stop = col_digits.end()
        if _TAG_TAIL.match(text, stop):
            raise self.error(
                stop,
                f"malformed tag on '{name}': expected '(' or a separator after "
                f"'{text[start:stop]}', found {describe_char(text[stop])}",
                _TAG_HINT,
            )
        tag = (int(line_digits.group()), int(col_digits.group()))
        return self._make(IDENT, start, stop, tag=tag), stop

    def _number(self, start: int, end: int) -> tuple[Token, int]:
        text = self.text
        if _NUMBER_TAIL.match(text, end):
            stop = end
            while stop < len(text) and _NUMBER_TAIL.match(text, stop):
                stop += 1
            raise self.error(
                start,
                f"malformed number '{text[start:stop]}': expected an int like -3 or a float "
                "like 2.5, 1e-05 or .5",
            )
        literal = text[start:end]
        if "." in literal or "e" in literal or "E" in literal:
            return self._make(NUMBER, start, end, float(literal)), end
        try:
            value = int(literal)
        except ValueError as exc:  # beyond Python's int-from-string digit limit
            raise self.error(start, f"integer literal too long ({len(literal)} digits)") from exc
        return self._make(NUMBER, start, end, value), end

    def _string(self, start: int) -> tuple[Token, int]:
        text = self.text
        chars: list[str] = []
        pos = start + 1
        while True:
            if pos >= len(text) or text[pos] == "\n":
                raise self.error(
                    start,
                    "unterminated string: expected a closing '\"' before the "
                    + ("end of input" if pos >= len(text) else "end of the line"),
                    "a string ends on the line it starts on; write a newline inside it as \\n",
                )
            ch = text[pos]
            if ch == '"':
                return self._make(STRING, start, pos + 1, "".join(chars)), pos + 1
            if ch != "\\":
                chars.append(ch)
                pos += 1
                continue
            escape = text[pos + 1 : pos + 2]
            if escape in _ESCAPES:
                chars.append(_ESCAPES[escape])
                pos += 2
            elif escape == "u" and _HEX4.match(text, pos + 2):
                chars.append(chr(int(text[pos + 2 : pos + 6], 16)))
                pos += 6
            else:
                shown = "\\" + escape if escape and escape != "\n" else "\\"
                raise self.error(
                    pos,
                    f"unknown escape '{shown}' in string: expected one of "
                    '\\\\ \\" \\n \\t \\r \\uXXXX',
                )
