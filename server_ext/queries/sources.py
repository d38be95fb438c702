"""The source view's document: the text of every file a trace's primitives point into.

A cell's run may call functions defined in other cells (or modules); their primitives'
`name$line$col` tags are lines of those files. `sources.json` (written with the trace)
holds each file's text and the file each compiled function came from, and `tree.json`
says which define every node sits in. `source_sections` lays the files one after the
other -- the entry's own file last, as the program defines them -- and gives every
primitive instance its line in that combined text, with its file and its line there.
A trace without sources.json has one section: source.txt as it is.
"""

from __future__ import annotations

from typing import Any

from jetlag.runtime.measure.profile import display_name
from jetlag.server_ext.queries.tree import location_of


def _text_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def instance_files(tree: Any, origins: dict[str, str], default: str) -> dict[str, set[str]]:
    """Instance name -> the files it sits in: the file of its enclosing define's function
    (`origins`), else `default` (nodes outside every define)."""
    found: dict[str, set[str]] = {}
    stack: list[tuple[Any, str]] = [(tree, default)]
    while stack:
        node, file = stack.pop()
        if not isinstance(node, dict):
            continue
        children = node.get("children") or []
        if node.get("kind") == "call" and node.get("name") == "define" and children:
            binder = children[0]
            if isinstance(binder, dict):
                file = origins.get(str(binder.get("name")), file)
        instance = node.get("instance")
        if isinstance(instance, str) and node.get("kind") != "program":
            found.setdefault(instance, set()).add(file)
        stack.extend((child, file) for child in children)
    return found


def source_sections(
    text: str,
    primary: str | None,
    instances: list[str],
    tree: Any,
    sources: dict[str, Any] | None,
) -> dict[str, Any]:
    """The `/source` answer: {"file", "text", "sections", "primitives"} (see the module)."""
    files: dict[str, str] = dict((sources or {}).get("files") or {})
    origins: dict[str, str] = dict((sources or {}).get("origins") or {})
    primary = primary or "<source>"
    files.setdefault(primary, text)
    placed = instance_files(tree, origins, primary) if origins else {}
    # The files in program order (origins: dependencies first), the primary one last.
    order = [f for f in dict.fromkeys(origins.values()) if f in files and f != primary]
    order.append(primary)

    entries: list[tuple[str, str, int, int]] = []  # (instance, file, line, col)
    for instance in sorted(set(instances) | set(placed)):
        if "#" in instance:
            continue  # a chunk sits where its primitive does
        line, col = location_of(instance)
        if line is None:
            continue
        for file in sorted(placed.get(instance) or {primary}):
            entries.append((instance, file if file in files else primary, line, col or 0))

    used = {file for _, file, _, _ in entries}
    sections: list[dict[str, Any]] = []
    combined: list[str] = []
    offsets: dict[str, int] = {}
    for file in order:
        if file != primary and file not in used:
            continue  # a dependency none of whose primitives ran
        lines = _text_lines(files[file])
        offsets[file] = len(combined)
        functions = [name for name, origin in origins.items() if origin == file]
        sections.append(
            {"file": file, "functions": functions, "offset": len(combined), "lines": len(lines)}
        )
        combined.extend(lines)
    primitives = [
        {
            "instance": instance,
            "primitive": display_name(instance),
            "line": offsets[file] + line,
            "col": col,
            "file": file,
            "file_line": line,
        }
        for instance, file, line, col in entries
    ]
    primitives.sort(key=lambda p: (p["line"], p["col"], p["instance"]))
    return {
        "file": primary,
        "text": "".join(f"{line}\n" for line in combined),
        "sections": sections,
        "primitives": primitives,
    }
