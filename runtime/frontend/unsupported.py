"""Python constructs PhySL cannot express, with the message and the fix shown to the user.

The statement and expression compilers dispatch on AST node types; whatever they do not
handle ends up here and becomes a PhySLSyntaxError at the construct's own line:col.
This module only words the errors; it never decides what is supported.
"""

from __future__ import annotations

import ast

from jetlag.runtime.errors import PhySLSyntaxError
from jetlag.runtime.frontend.source import SourceFile

_LOOP_HINT = "Write a for loop over range(...), or use a whole-array operation."
_NO_EXCEPTIONS = "PhySL has no exceptions; test the condition with 'if' instead."
_NO_GLOBAL = "Pass the value in as a parameter and return the new value."

# AST node type -> (what it is called, what to do instead).
_CONSTRUCTS: dict[type[ast.AST], tuple[str, str]] = {
    ast.With: ("'with' statements", "Move the 'with' block outside the compiled function."),
    ast.AsyncWith: ("'async with' statements", "Move it outside the compiled function."),
    ast.Try: ("'try' statements", _NO_EXCEPTIONS),
    ast.Raise: ("'raise' statements", _NO_EXCEPTIONS),
    ast.Assert: ("'assert' statements", "Check the condition before calling the function."),
    ast.ClassDef: ("class definitions", "Define classes outside the compiled function."),
    ast.Global: ("'global' statements", _NO_GLOBAL),
    ast.Nonlocal: ("'nonlocal' statements", _NO_GLOBAL),
    ast.Import: (
        "import statements inside a compiled function",
        "Import at the top of the file; module attributes such as np.exp are resolved "
        "through those imports.",
    ),
    ast.ImportFrom: (
        "import statements inside a compiled function",
        "Import at the top of the file; module attributes such as np.exp are resolved "
        "through those imports.",
    ),
    ast.Delete: ("'del' statements", "Remove it; variables live until the function returns."),
    ast.AsyncFunctionDef: (
        "async functions",
        "Remove 'async'; JetLag runs the function's operations asynchronously itself.",
    ),
    ast.AsyncFor: ("'async for' loops", "Use a plain for loop."),
    ast.Await: ("'await' expressions", "Remove 'await'; PhySL operations are asynchronous."),
    ast.Match: ("'match' statements", "Use if/elif/else."),
    ast.ListComp: ("list comprehensions", _LOOP_HINT),
    ast.SetComp: ("set comprehensions", _LOOP_HINT),
    ast.DictComp: ("dict comprehensions", _LOOP_HINT),
    ast.GeneratorExp: ("generator expressions", _LOOP_HINT),
    ast.Yield: ("generators ('yield')", "Return an array or a tuple of results instead."),
    ast.YieldFrom: ("generators ('yield from')", "Return an array or a tuple instead."),
    ast.JoinedStr: (
        "f-strings",
        "Pass the values to print separately, e.g. print('x =', x).",
    ),
    ast.FormattedValue: ("f-strings", "Pass the values to print separately."),
    ast.NamedExpr: ("assignment expressions (:=)", "Assign on a line of its own."),
    ast.Dict: ("dict literals", "Use separate variables or a tuple."),
    ast.Set: ("set literals", "Use a tuple or an array."),
    ast.Starred: ("starred expressions (*x)", "Write out the elements or pass the array."),
}


def reject(file: SourceFile, node: ast.AST) -> PhySLSyntaxError:
    """The error for a construct the compiler does not handle (raise the result)."""
    what, hint = _CONSTRUCTS.get(
        type(node),
        (
            f"{type(node).__name__} constructs",
            "See docs/physl.md for the Python subset JetLag compiles.",
        ),
    )
    return file.error(node, f"{what} are not supported in a compiled function", hint)


def check_parameters(file: SourceFile, args: ast.arguments) -> None:
    """Reject parameter forms other than plain positional names."""
    if args.vararg is not None:
        raise file.error(
            args.vararg, "*args parameters are not supported", "List the parameters one by one."
        )
    if args.kwarg is not None:
        raise file.error(
            args.kwarg, "**kwargs parameters are not supported", "List the parameters one by one."
        )
    if args.kwonlyargs:
        raise file.error(
            args.kwonlyargs[0],
            "keyword-only parameters are not supported",
            "Make them ordinary positional parameters (remove the '*').",
        )
    if args.defaults:
        positional = args.posonlyargs + args.args
        param = positional[len(positional) - len(args.defaults)]
        raise file.error(
            param,
            f"a default value for parameter '{param.arg}' is not supported",
            "Remove the default and pass the value at every call.",
        )
