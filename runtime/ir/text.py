"""PhySL text <-> execution tree: `parse_physl` reads the grammar of docs/physl.md and
`print_physl` writes the canonical text (so `parse(print(tree)) == tree`).

Tokenizing lives in `jetlag.runtime.ir.lexer`. This module must not evaluate anything,
check primitive names or arities (the scheduler does), or rewrite the tree (passes do).
The parser is iterative (an explicit stack of open calls), so deeply nested generated
code cannot hit Python's recursion limit.
"""

from __future__ import annotations

import math
import numbers
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from jetlag.runtime.errors import PhySLSyntaxError
from jetlag.runtime.ir.lexer import EOF, IDENT, NUMBER, PUNCT, STRING, Lexer, Token, split_lines
from jetlag.runtime.ir.nodes import Call, Literal, Location, Node, Program, Variable

__all__ = ["parse_physl", "print_physl", "format_literal", "LINE_WIDTH", "INDENT"]

LINE_WIDTH = 100
INDENT = 4

# Untagged, these words are literals; tagged (`nan$3$4`) they are variables, since
# literals never carry a tag. Followed by '(' any of them is a call name.
_WORD_LITERALS: dict[str, object] = {
    "nil": None,
    "true": True,
    "false": False,
    "inf": math.inf,
    "nan": math.nan,
}


@dataclass
class _OpenCall:
    """A call whose '(' has been read but not its ')'."""

    name: Token
    paren: Token
    args: list[Node] = field(default_factory=list)
    kwargs: list[tuple[str, Node]] = field(default_factory=list)
    pending_keyword: str | None = None
    after_argument: bool = False  # True: expecting ',' or ')'

    @property
    def count(self) -> int:
        return len(self.args) + len(self.kwargs)


class _Parser:
    def __init__(self, text: str, file: str):
        self.lexer = Lexer(text, file)
        self.tokens = self.lexer.tokenize()
        self.pos = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def error(self, token: Token, message: str, hint: str = "") -> PhySLSyntaxError:
        return PhySLSyntaxError(message, self.lexer.place(token.line, token.col), hint)

    def where(self, token: Token) -> str:
        return self.lexer.place(token.line, token.col).render()

    def unclosed_hint(self, stack: list[_OpenCall]) -> str:
        """Where the still-open '(' were opened, innermost first."""
        inner = stack[-1]
        hint = f"the '(' of '{inner.name.text}' opened at {self.where(inner.paren)} is never closed"
        outer = [f"'{f.name.text}' ({self.where(f.paren)})" for f in reversed(stack[:-1])]
        if outer:
            hint += "; also unclosed: " + ", ".join(outer)
        return hint

    def parse(self) -> list[Node]:
        body: list[Node] = []
        stack: list[_OpenCall] = []
        while True:
            frame = stack[-1] if stack else None
            if frame is None:
                if self.peek().kind == EOF:
                    return body
                node = self.expression_start(stack, None)
            elif frame.after_argument:
                node = self.separator(stack, frame)
            else:
                node = self.argument_start(stack, frame)
            if node is None:
                continue
            # A finished node is a top-level expression or the argument the innermost
            # open call is waiting for.
            if not stack:
                body.append(node)
                continue
            parent = stack[-1]
            if parent.pending_keyword is not None:
                parent.kwargs.append((parent.pending_keyword, node))
                parent.pending_keyword = None
            else:
                parent.args.append(node)
            parent.after_argument = True

    def separator(self, stack: list[_OpenCall], frame: _OpenCall) -> Node | None:
        token = self.take()
        if token.kind == PUNCT and token.text == ")":
            stack.pop()
            return self.finish_call(frame)
        if token.kind == PUNCT and token.text == ",":
            frame.after_argument = False
            return None
        name = frame.name.text
        if token.kind == EOF:
            hint = self.unclosed_hint(stack)
        elif token.kind == PUNCT and token.text == "=":
            hint = "a keyword argument is written name=value with a plain (untagged) name"
        else:
            hint = (
                f"separate arguments with ',', or close the '(' of '{name}' opened at "
                f"{self.where(frame.paren)} with ')'"
            )
        raise self.error(
            token,
            f"expected ')' or ',' after argument {frame.count} of '{name}', "
            f"found {token.describe()}",
            hint,
        )

    def argument_start(self, stack: list[_OpenCall], frame: _OpenCall) -> Node | None:
        token = self.peek()
        name = frame.name.text
        if token.kind == PUNCT and token.text == ")":
            if frame.count == 0:
                self.take()
                stack.pop()
                return self.finish_call(frame)
            raise self.error(
                token,
                f"expected argument {frame.count + 1} of '{name}' after ',', found ')'",
                "remove the trailing ','",
            )
        following = self.peek(1)
        if token.kind == IDENT and following.kind == PUNCT and following.text == "=":
            if token.tag is not None:
                raise self.error(
                    token,
                    f"expected a plain name before '=' in the call to '{name}', "
                    f"found tagged name {token.describe()}",
                    "keyword argument names carry no $line$col tag: write sep=value",
                )
            if any(key == token.text for key, _ in frame.kwargs):
                raise self.error(
                    token, f"duplicate keyword argument '{token.text}' in the call to '{name}'"
                )
            self.take()
            self.take()
            frame.pending_keyword = token.text
            return self.expression_start(stack, frame)
        if frame.kwargs:
            raise self.error(
                token,
                f"positional argument {frame.count + 1} of '{name}' follows keyword argument "
                f"'{frame.kwargs[-1][0]}': expected name=value, found {token.describe()}",
                "keyword arguments come after all positional ones",
            )
        return self.expression_start(stack, frame)

    def expression_start(self, stack: list[_OpenCall], frame: _OpenCall | None) -> Node | None:
        """Reads an atom (returned) or a call's `name(` (pushed on the stack, returns None)."""
        token = self.take()
        if token.kind == NUMBER or token.kind == STRING:
            return Literal(token.value)  # type: ignore[arg-type]
        if token.kind == IDENT:
            following = self.peek()
            if following.kind == PUNCT and following.text == "(":
                stack.append(_OpenCall(token, self.take()))
                return None
            if token.tag is None and token.text in _WORD_LITERALS:
                return Literal(_WORD_LITERALS[token.text])  # type: ignore[arg-type]
            return Variable(token.text.split("$", 1)[0], loc=self.location(token))
        raise self.expected_expression(token, stack)

    def expected_expression(self, token: Token, stack: list[_OpenCall]) -> PhySLSyntaxError:
        frame = stack[-1] if stack else None
        where = "an expression" if frame is None else f"argument {frame.count + 1} of "
        where += "" if frame is None else f"'{frame.name.text}'"
        if frame is not None and frame.pending_keyword is not None:
            where = f"a value for keyword argument '{frame.pending_keyword}'"
        hint = ""
        if token.kind == EOF and frame is not None:
            hint = self.unclosed_hint(stack)
        elif token.text == ")" and frame is None:
            hint = "this ')' has no matching '('"
        elif token.text == "=" and frame is None:
            hint = "to bind a variable write define(x, value); name=value only passes keywords"
        elif token.text == "," and frame is None:
            hint = "top-level expressions are not separated by ','"
        return self.error(token, f"expected {where}, found {token.describe()}", hint)

    def finish_call(self, frame: _OpenCall) -> Call:
        token = frame.name
        return Call(
            token.text.split("$", 1)[0],
            tuple(frame.args),
            tuple(frame.kwargs),
            loc=self.location(token),
        )

    @staticmethod
    def location(token: Token) -> Location:
        if token.tag is not None:
            return Location(token.tag[0], token.tag[1], tagged=True)
        return Location(token.line, token.col, tagged=False)


def parse_physl(
    text: str, file: str = "<physl>", source_lines: tuple[str, ...] | None = None
) -> Program:
    """Parse PhySL text into a Program.

    Tagged nodes get `Location(line, col)` from their `$line$col` tag; untagged calls and
    variables get an untagged Location of where they appear in `text`; literals get none.
    `source_lines` (e.g. the Python source the tags refer to) defaults to the text's own
    lines. Raises PhySLSyntaxError naming the place in `text`, what was found and what
    was expected.
    """
    body = _Parser(text, file).parse()
    lines = tuple(source_lines) if source_lines is not None else split_lines(text)
    return Program(tuple(body), source_file=file, source_lines=lines)


# --- printing -----------------------------------------------------------------------

_SIMPLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
# Control characters, lone surrogates and line/paragraph separators would make the text
# hard to read or to split into lines, so they are written as \uXXXX.
_ESCAPED_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}


def _quote(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif unicodedata.category(ch) in _ESCAPED_CATEGORIES:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def format_literal(value: object) -> str:
    """A literal value as PhySL writes it: `1`, `1.0`, `-inf`, `nan`, `true`, `nil`, `"a\\n"`."""
    if value is None:
        return "nil"
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))  # repr always keeps a '.', an exponent, inf or nan
    if isinstance(value, str):
        return _quote(value)
    raise TypeError(f"not a PhySL literal value: {value!r} ({type(value).__name__})")


def _atom_text(node: Node) -> str:
    if isinstance(node, Literal):
        return format_literal(node.value)
    if isinstance(node, Variable):
        return node.instance_name
    raise TypeError(f"cannot print {type(node).__name__} as a PhySL expression")


def _flat_lengths(roots: tuple[Node, ...]) -> dict[int, int]:
    """One-line text length of every node under `roots`, keyed by id, computed bottom-up."""
    lengths: dict[int, int] = {}
    order = [node for root in roots for node in root.walk()]
    for node in reversed(order):  # children come after their parent in pre-order
        if isinstance(node, Call):
            total = len(node.instance_name) + 2
            total += sum(lengths[id(arg)] for arg in node.args)
            total += sum(len(key) + 1 + lengths[id(value)] for key, value in node.kwargs)
            total += 2 * max(0, len(node.args) + len(node.kwargs) - 1)
            lengths[id(node)] = total
        elif not isinstance(node, Program):
            lengths[id(node)] = len(_atom_text(node))
    return lengths


def _flat(node: Node) -> str:
    # Only called on calls that fit in one line, so the recursion depth stays small.
    if not isinstance(node, Call):
        return _atom_text(node)
    parts = [_flat(arg) for arg in node.args]
    parts += [f"{key}={_flat(value)}" for key, value in node.kwargs]
    return f"{node.instance_name}({', '.join(parts)})"


#: Comment lines to print above a statement: called with the statements a printed line
#: holds (a statement, or the block elements inside a one-line call), returns the texts.
Notes = Callable[[list[Node]], list[str]]


def _statements_within(node: Node) -> list[Node]:
    """Block elements printed inside a one-line `node`, at any depth."""
    return [
        statement
        for inner in node.walk()
        if isinstance(inner, Call) and inner.name == "block"
        for statement in inner.args
    ]


def _layout(root: Node, lengths: dict[int, int], out: list[str], notes: Notes | None) -> None:
    # Work items: (node, indent, prefix, suffix, is_statement) or a finished line (str).
    work: list[tuple[Node, int, str, str, bool] | str] = [(root, 0, "", "", True)]
    while work:
        item = work.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node, indent, prefix, suffix, is_statement = item
        pad = " " * indent
        own = [node] if is_statement else []
        width = indent + len(prefix) + lengths[id(node)] + len(suffix)
        one_line = not isinstance(node, Call) or not node.children() or width <= LINE_WIDTH
        if notes is not None:
            held = own + _statements_within(node) if one_line else own
            out.extend(f"{pad}# {text}" for text in notes(held))
        if one_line:
            out.append(f"{pad}{prefix}{_flat(node)}{suffix}")
            continue
        out.append(f"{pad}{prefix}{node.instance_name}(")
        items: list[tuple[str, Node]] = [("", arg) for arg in node.args]
        items += [(f"{key}=", value) for key, value in node.kwargs]
        work.append(f"{pad}){suffix}")
        in_block = isinstance(node, Call) and node.name == "block"
        for index in range(len(items) - 1, -1, -1):
            key, child = items[index]
            comma = "," if index < len(items) - 1 else ""
            work.append((child, indent + INDENT, key, comma, in_block and not key))


def print_physl(node: Node, notes: Notes | None = None) -> str:
    """Canonical PhySL text of a tree.

    A Program prints each top-level expression followed by a newline; any other node
    prints without one. A call stays on one line when it fits in LINE_WIDTH columns
    (indentation and a trailing ',' included), otherwise each argument goes on its own
    line, indented INDENT more. Only tagged locations are printed. `notes`, when given,
    supplies `# ...` comment lines to print above statements (the parser ignores them).
    """
    roots = node.body if isinstance(node, Program) else (node,)
    lengths = _flat_lengths(roots)
    lines: list[str] = []
    for root in roots:
        _layout(root, lengths, lines, notes)
    text = "\n".join(lines)
    return text + "\n" if isinstance(node, Program) and lines else text
