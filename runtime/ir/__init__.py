"""PhySL intermediate representation: the execution tree and its text form.

`nodes` defines the tree; `text` parses and prints PhySL; `export` writes DOT/Newick/JSON.
"""

from jetlag.runtime.ir.nodes import Call, Literal, Location, Node, Program, Variable

__all__ = ["Call", "Literal", "Location", "Node", "Program", "Variable"]
