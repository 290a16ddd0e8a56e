"""Code answers judged as code, not as the model's scratch work.

Small models often follow a correct function with tests of their own (asserts with wrong expected
values, a `test_*` function, an `if __name__ == "__main__":` block, prints). Run as they stand, those
turn a correct answer into a failure. Like the HumanEval sanitizers (EvalPlus's among them), this
keeps what the answer submits: the imports and the definitions the entry point reaches (functions,
classes, top-level constants), in their order and their own text, and drops everything else.
"""

import ast
from collections.abc import Iterable

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign


def sanitize(code: str, entry_point: str) -> str:
    """The submitted definitions of `code`; the code as it stands when it has no top-level
    `entry_point` to start from (so nothing is thrown away on a guess)."""
    lines = code.splitlines()
    tree = parsable_prefix(lines)
    if tree is None:
        return code
    imports: list[ast.stmt] = []
    definitions: dict[str, Definition] = {}  # the last definition of a name wins, as when run
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(node)
        elif isinstance(node, Definition):
            for name in defined_names(node):
                definitions[name] = node
    if entry_point not in definitions:
        return code
    kept = reachable(entry_point, definitions)
    chosen = [n for n in tree.body if any(n is k for k in [*imports, *kept])]
    return "\n".join("\n".join(lines[first_line(n) - 1 : n.end_lineno]) for n in chosen) + "\n"


MAX_TRAILING_LINES = 40  # how far back from the end a parsable prefix is looked for


def parsable_prefix(lines: list[str]) -> ast.Module | None:
    """The longest run of leading lines that parses (a reply may trail off in prose or be cut),
    giving up after MAX_TRAILING_LINES tries: a hostile answer cannot make this quadratic. Code too
    deep for the parser counts as unparsable."""
    for end in range(len(lines), max(0, len(lines) - MAX_TRAILING_LINES), -1):
        try:
            return ast.parse("\n".join(lines[:end]))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    return None


def defined_names(node: Definition) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def used_names(node: ast.AST) -> Iterable[str]:
    return (n.id for n in ast.walk(node) if isinstance(n, ast.Name))


def reachable(start: str, definitions: dict[str, Definition]) -> list[Definition]:
    seen: list[Definition] = []
    todo = [start]
    while todo:
        node = definitions.get(todo.pop())
        if node is None or any(node is s for s in seen):
            continue
        seen.append(node)
        todo.extend(used_names(node))
    return seen


def first_line(node: ast.stmt) -> int:
    """Where a definition's text starts: its first decorator, if any."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])
