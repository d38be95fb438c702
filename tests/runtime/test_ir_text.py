"""PhySL text form: parsing (locations, literals, errors) and canonical printing."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jetlag.runtime.errors import PhySLSyntaxError, SourcePlace
from jetlag.runtime.ir import Call, Literal, Location, Program, Variable
from jetlag.runtime.ir.text import parse_physl, print_physl

RESERVED = {"nil", "true", "false", "inf", "nan"}


def one(text: str):
    """The single top-level expression of `text`."""
    program = parse_physl(text)
    assert len(program.body) == 1
    return program.body[0]


# --- parsing ------------------------------------------------------------------------


def test_tagged_call_and_variables_get_tag_locations():
    node = one("dot$3$15(x$3$19, y$3$22)")
    assert node == Call(
        "dot",
        (Variable("x", loc=Location(3, 19)), Variable("y", loc=Location(3, 22))),
        loc=Location(3, 15),
    )
    assert node.loc == Location(3, 15, tagged=True)
    assert node.instance_name == "dot$3$15"


def test_untagged_nodes_get_text_positions():
    program = parse_physl("\n  f(a,\n     g(b))\n")
    call = program.body[0]
    assert call.loc == Location(2, 2, tagged=False)
    assert call.args[0].loc == Location(2, 4, tagged=False)
    assert call.args[1].loc == Location(3, 5, tagged=False)
    assert call.args[1].args[0].loc == Location(3, 7, tagged=False)
    assert call.instance_name == "f"


def test_literals():
    node = one('f(1, -3, 2.5, 1e-05, -0.0, .5, 3., inf, -inf, nan, nil, true, false, "s")')
    values = [arg.value for arg in node.args]
    assert values[:7] == [1, -3, 2.5, 1e-05, -0.0, 0.5, 3.0]
    assert [type(v) for v in values[:7]] == [int, int, float, float, float, float, float]
    assert math.copysign(1.0, values[4]) == -1.0
    assert values[7] == math.inf and values[8] == -math.inf and math.isnan(values[9])
    assert values[10:] == [None, True, False, "s"]
    assert all(arg.loc is None for arg in node.args)
    assert Literal(1) != Literal(1.0) != Literal(True)


def test_string_escapes():
    assert one(r'"a\\b\"c\nd\te\rf\u00e9\u0001"').value == 'a\\b"c\nd\te\rf\u00e9\u0001'


def test_keyword_arguments():
    node = one('print(x, y, sep=", ", end="\\n")')
    assert [arg.name for arg in node.args] == ["x", "y"]
    assert node.kwarg("sep") == Literal(", ")
    assert node.kwarg("end") == Literal("\n")
    assert node.kwarg("missing") is None


def test_reserved_words_as_calls_and_tagged_variables():
    # Literals never carry a tag, so a tagged `nan` can only be a variable.
    node = one("f(nan$1$2, nil(), inf)")
    assert node.args[0] == Variable("nan", loc=Location(1, 2))
    assert node.args[1] == Call("nil", loc=Location(1, 12, tagged=False))
    assert node.args[2] == Literal(math.inf)


def test_empty_input_is_an_empty_program():
    for text in ("", "   \n\t\n", "# nothing here\n  # at all"):
        program = parse_physl(text)
        assert program.body == ()
        assert program == Program(())


def test_program_metadata():
    program = parse_physl("f(1)\r\ng(2)\n", file="lra.physl")
    assert program.source_file == "lra.physl"
    assert program.source_lines == ("f(1)", "g(2)")
    given_lines = ("def f(x):", "    return x")
    assert parse_physl("f(1)", source_lines=given_lines).source_lines == given_lines


def test_messy_whitespace_and_comments():
    messy = """
    # the weights update of a logistic regression
    define$4$4 (   # a comment after the call name
        weights$4$4 ,
            __sub$5$8(weights$5$8,__mul$5$18(  alpha$5$18,  # trailing comment
      grad$5$26 ) )   )
    \t
    print ( weights$4$4 , sep = "" )# end
    """
    program = parse_physl(messy)
    clean = parse_physl(
        "define$4$4(weights$4$4, __sub$5$8(weights$5$8, __mul$5$18(alpha$5$18, grad$5$26)))\n"
        'print(weights$4$4, sep="")\n'
    )
    assert program == clean
    assert print_physl(program) == print_physl(clean)


def test_deep_nesting_does_not_recurse():
    depth = 1500
    text = "f(" * depth + "x" + ")" * depth
    node = one(text)
    assert sum(1 for _ in node.walk()) == depth + 1
    assert print_physl(parse_physl(print_physl(node))) == print_physl(Program((node,)))


# --- syntax errors --------------------------------------------------------------------


def syntax_error(text: str, file: str = "<physl>") -> PhySLSyntaxError:
    with pytest.raises(PhySLSyntaxError) as info:
        parse_physl(text, file)
    return info.value


def test_unclosed_paren():
    error = syntax_error("dot$3$4(x$3$8,\n    y$3$11", file="lra.physl")
    assert error.message == "expected ')' or ',' after argument 2 of 'dot$3$4', found end of input"
    assert error.place == SourcePlace("lra.physl", 2, 10, "    y$3$11")
    assert error.hint == "the '(' of 'dot$3$4' opened at lra.physl:1:8 is never closed"
    assert str(error) == (
        "lra.physl:2:11: expected ')' or ',' after argument 2 of 'dot$3$4', found end of input\n"
        "        y$3$11\n"
        "              ^\n"
        "the '(' of 'dot$3$4' opened at lra.physl:1:8 is never closed"
    )


def test_unclosed_nested_parens_name_every_open_call():
    error = syntax_error("block(\n  f(g(x),\n")
    assert error.message == "expected argument 2 of 'f', found end of input"
    assert error.place == SourcePlace("<physl>", 2, 9, "  f(g(x),")
    assert error.hint == (
        "the '(' of 'f' opened at <physl>:2:4 is never closed; also unclosed: 'block' (<physl>:1:6)"
    )


def test_missing_comma_points_at_the_open_paren():
    error = syntax_error("dot(a x)")
    assert error.message == "expected ')' or ',' after argument 1 of 'dot', found 'x'"
    assert error.place == SourcePlace("<physl>", 1, 6, "dot(a x)")
    assert error.hint == (
        "separate arguments with ',', or close the '(' of 'dot' opened at <physl>:1:4 with ')'"
    )


def test_stray_close_paren():
    error = syntax_error("f(x)\ng(y))\n")
    assert error.message == "expected an expression, found ')'"
    assert error.place == SourcePlace("<physl>", 2, 4, "g(y))")
    assert error.hint == "this ')' has no matching '('"


def test_bad_tags():
    error = syntax_error("dot$3(x)")
    assert error.message == (
        "malformed tag on 'dot': expected '$' and a column number after 'dot$3', found '('"
    )
    assert error.place == SourcePlace("<physl>", 1, 5, "dot$3(x)")
    assert error.hint == "tags are written name$line$col, e.g. dot$3$4"
    error = syntax_error("f(x$)")
    assert error.message == "malformed tag on 'x': expected a line number after 'x$', found ')'"
    assert error.place.col == 4
    error = syntax_error("f(x$1$)")
    assert error.message == (
        "malformed tag on 'x': expected a column number after 'x$1$', found ')'"
    )
    error = syntax_error("x$1$2$3")
    assert error.message == (
        "malformed tag on 'x': expected '(' or a separator after 'x$1$2', found '$'"
    )
    assert error.place.col == 5


def test_positional_after_keyword():
    error = syntax_error('print(x, sep=" ", y)')
    assert error.message == (
        "positional argument 3 of 'print' follows keyword argument 'sep': "
        "expected name=value, found 'y'"
    )
    assert error.place == SourcePlace("<physl>", 1, 18, 'print(x, sep=" ", y)')
    assert error.hint == "keyword arguments come after all positional ones"


def test_keyword_errors():
    error = syntax_error("f(k=1, k=2)")
    assert error.message == "duplicate keyword argument 'k' in the call to 'f'"
    assert error.place.col == 7
    error = syntax_error("f(k$1$2=3)")
    assert error.message == (
        "expected a plain name before '=' in the call to 'f', found tagged name 'k$1$2'"
    )
    error = syntax_error("f(k=)")
    assert error.message == "expected a value for keyword argument 'k', found ')'"
    assert error.place.col == 4


def test_unterminated_string():
    error = syntax_error('print("abc)\nf(x)')
    assert error.message == (
        "unterminated string: expected a closing '\"' before the end of the line"
    )
    assert error.place == SourcePlace("<physl>", 1, 6, 'print("abc)')
    assert "\\n" in error.hint
    error = syntax_error('f("abc')
    assert error.message.endswith("before the end of input")


def test_bad_escape():
    error = syntax_error(r'f("a\q")')
    assert error.message == (
        "unknown escape '\\q' in string: expected one of \\\\ \\\" \\n \\t \\r \\uXXXX"
    )
    assert error.place.col == 4


def test_garbage_character():
    error = syntax_error("f(a)\n__add(a @ b)")
    assert error.message == (
        "unexpected character '@': expected a name, a number, a string, '(', ')', ',' or '='"
    )
    assert error.place == SourcePlace("<physl>", 2, 8, "__add(a @ b)")
    assert syntax_error("f(\x00)").message.startswith("unexpected character U+0000:")


def test_other_errors():
    assert syntax_error("f(a,)").message == "expected argument 2 of 'f' after ',', found ')'"
    assert syntax_error("f(,)").message == "expected argument 1 of 'f', found ','"
    error = syntax_error("x = 3")
    assert error.message == "expected an expression, found '='"
    assert error.hint.startswith("to bind a variable write define(x, value)")
    assert syntax_error("a, b").hint == "top-level expressions are not separated by ','"
    error = syntax_error("f(-x)")
    assert error.message == "unexpected character '-': expected a digit after it, found 'x'"
    assert "__neg(x)" in error.hint
    assert syntax_error("f(1.2.3)").message.startswith("malformed number '1.2.3':")
    assert syntax_error("1e").message.startswith("malformed number '1e':")


# --- printing -------------------------------------------------------------------------


def test_print_literals():
    node = Call(
        "f",
        tuple(
            Literal(v)
            for v in (1, -3, 1.0, 1e-05, -0.0, math.inf, -math.inf, math.nan, True, False, None)
        )
        + (Literal('q"\\\n\t\r\x01\x7f\u2028é'),),
    )
    assert print_physl(node) == (
        'f(1, -3, 1.0, 1e-05, -0.0, inf, -inf, nan, true, false, nil, "q\\"\\\\\\n\\t\\r'
        '\\u0001\\u007f\\u2028é")'
    )


def test_print_program_and_tags():
    program = Program(
        (
            Call("define", (Variable("x", loc=Location(1, 0)), Literal(2)), loc=Location(1, 0)),
            Call(
                "print", (Variable("x", loc=Location(9, 9, tagged=False)),), (("sep", Literal("")),)
            ),
        )
    )
    assert print_physl(program) == 'define$1$0(x$1$0, 2)\nprint(x, sep="")\n'
    assert print_physl(Program(())) == ""


def test_print_long_call_breaks_lines():
    names = [f"argument_number_{i}$10${i}" for i in range(6)]
    text = "block$1$0(f$2$0(" + ", ".join(names) + "), y, k=g(z))"
    assert print_physl(one(text)) == (
        "block$1$0(\n"
        "    f$2$0(\n"
        + "".join(f"        {name},\n" for name in names[:-1])
        + f"        {names[-1]}\n"
        "    ),\n"
        "    y,\n"
        "    k=g(z)\n"
        ")"
    )


def test_print_width_boundary():
    # Exactly 100 columns stays on one line; 101 breaks.
    fits = "f(" + "x" * 97 + ")"
    assert print_physl(one(fits)) == fits
    too_long = "f(" + "x" * 98 + ")"
    assert print_physl(one(too_long)) == "f(\n    " + "x" * 98 + "\n)"
    # The trailing ',' counts against the width of an argument line.
    inner = "g(" + "y" * 91 + ")"  # 94 columns + 4 indent + ',' = 99
    assert print_physl(one(f"f({inner}, z, {'w' * 95})")).splitlines()[1] == f"    {inner},"


# --- properties ---------------------------------------------------------------------

_FIRST = "abcxyzABXY_"
IDENTS = st.builds(str.__add__, st.sampled_from(_FIRST), st.text(_FIRST + "0129", max_size=8))
TAGGED = st.builds(Location, st.integers(0, 5000), st.integers(0, 300))
TAGS = st.none() | TAGGED
UNTAGGED = st.builds(Location, st.integers(1, 99), st.integers(0, 99), st.just(False))

LITERALS = st.builds(
    Literal,
    st.none()
    | st.booleans()
    | st.integers()
    # Literal equality compares values, and two NaN objects are never equal; the parser
    # always returns math.nan, so generate that same object.
    | st.floats().map(lambda v: math.nan if math.isnan(v) else v)
    | st.text(st.characters(), max_size=12),
)


# Untagged, reserved words would read back as literals, so only tagged variables use them.
VARIABLES = st.builds(Variable, IDENTS, loc=TAGGED) | st.builds(
    Variable,
    IDENTS.filter(lambda name: name not in RESERVED),
    loc=st.none() | UNTAGGED,
)


def calls(children):
    return st.builds(
        Call,
        IDENTS,
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(IDENTS, children, max_size=2).map(lambda d: tuple(d.items())),
        loc=TAGS | UNTAGGED,
    )


TREES = st.recursive(LITERALS | VARIABLES, calls, max_leaves=30)
PROGRAMS = st.lists(TREES, max_size=4).map(lambda body: Program(tuple(body)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS)
def test_print_parse_round_trip(program):
    text = print_physl(program)
    parsed = parse_physl(text)
    assert parsed == program
    assert print_physl(parsed) == text
    assert text == "" or text.endswith("\n")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_single_node_round_trip(node):
    text = print_physl(node)
    assert not text.endswith("\n")
    assert parse_physl(text).body == (node,)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(VARIABLES, calls, max_leaves=60))
def test_printed_lines_respect_width(node):
    # Short names and no literals: every line fits unless indentation alone is too deep.
    for line in print_physl(node).splitlines():
        indent = len(line) - len(line.lstrip(" "))
        assert len(line) <= 100 or indent + 40 > 100
