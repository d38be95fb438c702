"""PhySL intermediate representation: the execution tree and its text form.

`nodes` defines the tree; `text` parses and prints PhySL (tokens come from `lexer`);
`export` writes DOT/Newick/JSON and defines `ExecutionTree`, what users get as `f.tree`.
"""

from jetlag.runtime.ir.export import ExecutionTree, to_dot, to_json, to_newick
from jetlag.runtime.ir.nodes import Call, Literal, Location, Node, Program, Variable
from jetlag.runtime.ir.text import parse_physl, print_physl

__all__ = [
    "Call",
    "ExecutionTree",
    "Literal",
    "Location",
    "Node",
    "Program",
    "Variable",
    "parse_physl",
    "print_physl",
    "to_dot",
    "to_json",
    "to_newick",
]
