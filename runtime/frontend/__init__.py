"""The frontend: Python functions (or their source text) -> PhySL execution trees.

Public entry points: `compile_function`, `compile_source` and their result
`CompiledSource`. Modules: source (source text and absolute positions), names (global
name resolution through the primitive registry), scopes (locals, define vs store),
expressions/calls/assignments/statements (the translation), unsupported (errors for
what PhySL cannot express), compiler (entry points and dependencies).
"""

from jetlag.runtime.frontend.compiler import CompiledSource, compile_function, compile_source

__all__ = ["CompiledSource", "compile_function", "compile_source"]
