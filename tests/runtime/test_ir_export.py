"""Execution-tree exports: DOT, Newick, JSON, node iteration and the ExecutionTree wrapper."""

from __future__ import annotations

import json
import math
import re

from jetlag.runtime.ir import Call, Literal, Location, Program, Variable
from jetlag.runtime.ir.export import ExecutionTree, to_dot, to_json, to_newick
from jetlag.runtime.ir.text import parse_physl

LRA = """\
define$1$0(f$1$4, x$1$6,
    block$2$4(
        define$2$4(y$2$4, __add$2$8(x$2$8, 1.5)),
        print$3$4(y$3$10, "it's \\"done\\"", sep=", "),
        y$4$11
    )
)
f$5$0(2)
"""


def tree() -> ExecutionTree:
    return ExecutionTree(parse_physl(LRA, "lra.physl"))


def dot_nodes(dot: str) -> dict[str, str]:
    return dict(re.findall(r'^  (n\d+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M))


def dot_edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^  (n\d+) -> (n\d+)", dot, re.M)


def test_nodes_are_instance_names_in_preorder():
    names = [name for name, _ in tree().nodes()]
    assert names == [
        "define$1$0", "f$1$4", "x$1$6", "block$2$4", "define$2$4", "y$2$4", "__add$2$8",
        "x$2$8", "literal", "print$3$4", "y$3$10", "literal", "literal", "y$4$11",
        "f$5$0", "literal",
    ]  # fmt: skip
    assert sum(1 for _ in tree().nodes()) == 16
    node = dict(tree().nodes())["__add$2$8"]
    assert node == Call(
        "__add", (Variable("x", loc=Location(2, 8)), Literal(1.5)), loc=Location(2, 8)
    )


def test_physl_and_repr():
    t = tree()
    assert parse_physl(t.physl()) == t.program
    assert t.physl().startswith("define$1$0(\n    f$1$4,\n")
    assert repr(t) == (
        "<ExecutionTree 'lra.physl': 2 expression(s), 16 nodes (6 calls, 6 variables, 4 literals)>"
    )
    assert ExecutionTree.from_physl("f(1)").program == parse_physl("f(1)")
    # A bare node is wrapped in a one-expression program.
    assert ExecutionTree(Variable("x")).program == Program((Variable("x"),))


def test_dot_structure():
    dot = tree().dot()
    assert dot.startswith("digraph execution_tree {\n") and dot.endswith("}\n")
    nodes = dot_nodes(dot)
    assert len(nodes) == 16
    edges = dot_edges(dot)
    assert len(edges) == 14  # every node but the two top-level roots has one parent
    by_label = {label: name for name, label in nodes.items()}
    block, define_y = by_label["block$2$4"], by_label["define$2$4"]
    children = [child for parent, child in edges if parent == block]
    assert [nodes[child] for child in children] == ["define$2$4", "print$3$4", "y$4$11"]
    assert [nodes[c] for p, c in edges if p == define_y] == ["y$2$4", "__add$2$8"]
    assert "f$5$0" in by_label and not any(c == by_label["f$5$0"] for _, c in edges)
    # The keyword argument's edge is labelled with its key.
    assert re.search(r'-> n\d+ \[label="sep"\];', dot)


def test_dot_escapes_and_literal_labels():
    labels = set(dot_nodes(tree().dot()).values())
    assert "1.5" in labels and "2" in labels
    # The PhySL string "it's \"done\"" inside a DOT string: quotes and backslashes escaped.
    assert '\\"it\'s \\\\\\"done\\\\\\"\\"' in labels
    assert '\\", \\"' in labels


def test_dot_counters():
    counters = {"__add$2$8": {"count": 3, "time_ns": 1200.0}, "f$5$0": {"mean": 0.12345678}}
    nodes = dot_nodes(tree().dot(counters))
    labels = set(nodes.values())
    assert "__add$2$8\\ncount=3\\ntime_ns=1200" in labels
    assert "f$5$0\\nmean=0.1235" in labels
    assert "define$1$0" in labels


def test_newick():
    newick = tree().newick()
    assert newick.endswith(";")
    assert newick == (
        "((f$1$4,x$1$6,((y$2$4,(x$2$8,1.5)'__add$2$8')define$2$4,"
        "(y$3$10,'\"it''s \\\"done\\\"\"','\", \"')print$3$4,y$4$11)block$2$4)define$1$0,"
        "(2)f$5$0)program;"
    )
    # A single top-level expression is the root itself.
    assert to_newick(parse_physl("dot$1$0(a, b)")) == "(a,b)dot$1$0;"
    assert to_newick(parse_physl("x")) == "x;"
    assert to_newick(Program(())) == "program;"
    assert to_newick(parse_physl("f(a, b, c)")) == "(a,b,c)f;"


def test_newick_quotes_special_labels():
    program = parse_physl('__add(x, "a b", "(c)", "x:y;z,", "[n]", "it\'s")')
    assert to_newick(program) == (
        "(x,'\"a b\"','\"(c)\"','\"x:y;z,\"','\"[n]\"','\"it''s\"')'__add';"
    )


def test_json_structure():
    data = tree().to_json({"__add$2$8": {"count": 3, "time_ns": math.inf}})
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert data["kind"] == "program" and data["file"] == "lra.physl"
    define, call = data["children"]
    assert (define["kind"], define["name"], define["instance"]) == ("call", "define", "define$1$0")
    assert (define["line"], define["col"]) == (1, 0)
    assert [c["instance"] for c in define["children"]] == ["f$1$4", "x$1$6", "block$2$4"]
    add = define["children"][2]["children"][0]["children"][1]
    assert add["counters"] == {"count": 3, "time_ns": "inf"}
    literal = add["children"][1]
    assert literal == {
        "kind": "literal", "name": "literal", "instance": "literal", "line": None,
        "col": None, "value": 1.5, "type": "float", "children": [],
    }  # fmt: skip
    printed = define["children"][2]["children"][1]
    assert printed["children"][2]["keyword"] == "sep"
    assert printed["children"][2]["value"] == ", "
    assert "keyword" not in printed["children"][1]
    assert call["children"][0]["type"] == "int" and "counters" not in call


def test_json_untagged_and_special_values():
    data = to_json(parse_physl("f(x, inf, -inf, nan, nil, true)"))
    call = data["children"][0]
    assert (call["line"], call["col"], call["instance"]) == (None, None, "f")
    values = [(c["value"], c["type"]) for c in call["children"][1:]]
    assert values == [("inf", "float"), ("-inf", "float"), ("nan", "float"), (None, "nil"),
                      (True, "bool")]  # fmt: skip
    json.dumps(data, allow_nan=False)


def test_shared_subtrees_are_drawn_per_use():
    shared = Call("g", (Variable("x"),))
    node = Call("f", (shared, shared), (("k", shared),))
    dot = to_dot(node)
    assert len(dot_nodes(dot)) == 7 and len(dot_edges(dot)) == 6
    data = to_json(node)
    assert [c.get("keyword") for c in data["children"]] == [None, None, "k"]
    assert to_newick(node) == "((x)g,(x)g,(x)g)f;"


def test_deep_tree_exports_without_recursion():
    node = Variable("x")
    for _ in range(1500):
        node = Call("f", (node,))
    t = ExecutionTree(node)
    assert len(dot_nodes(t.dot())) == 1501
    assert t.newick().count("(") == 1500
