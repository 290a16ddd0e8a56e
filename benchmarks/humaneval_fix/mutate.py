"""Seeded AST mutations of a HumanEval canonical solution: one small bug of a kind people make.

The problem's prompt (signature, docstring, helpers) is kept as written; only the statements of the
canonical solution are mutated and re-printed (ast.unparse: same code, comments dropped). Each
candidate is one change at one place; `candidates` lists them all in a seeded order, and the task's
generator keeps the first one that fails the official tests (an equivalent mutant is no bug)."""

import ast
import copy
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

COMPARE_FLIPS: dict[type, type] = {
    ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
BOUNDARY_SHIFTS: dict[type, type] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
OPERATOR_SWAPS: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.And: ast.Or, ast.Or: ast.And,
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    operator: str  # compare_flip | off_by_one | wrong_operator | dropped_branch
    site: int  # which matching node, in ast.walk order
    code: str  # the whole buggy function: the prompt as written, then the mutated body


def solution_body(prompt: str, canonical: str, entry_point: str) -> tuple[ast.Module, list[ast.stmt]]:
    """The parsed problem and the entry point's statements that come from the canonical solution."""
    module = ast.parse(prompt + canonical)
    first_solution_line = prompt.count("\n") + 1
    function = next(node for node in module.body if isinstance(node, ast.FunctionDef) and node.name == entry_point)
    return module, [stmt for stmt in function.body if stmt.lineno >= first_solution_line]


def render(prompt: str, body: list[ast.stmt]) -> str:
    lines = "\n".join(ast.unparse(stmt) for stmt in body)
    return prompt.rstrip("\n") + "\n" + "".join(f"    {line}\n" if line else "\n" for line in lines.split("\n"))


def _replace(items: list, i: int, new: list) -> None:
    items[i : i + 1] = new


def _compare_ops(node: ast.AST, table: dict[type, type]) -> Iterator[Callable[[], None]]:
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in table:
                yield partial(_replace, node.ops, i, [table[type(op)]()])


def _off_by_one(node: ast.AST) -> Iterator[Callable[[], None]]:
    yield from _compare_ops(node, BOUNDARY_SHIFTS)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        yield partial(setattr, node, "value", node.value + 1)


def _wrong_operator(node: ast.AST) -> Iterator[Callable[[], None]]:
    if isinstance(node, ast.BinOp | ast.AugAssign | ast.BoolOp) and type(node.op) in OPERATOR_SWAPS:
        yield partial(setattr, node, "op", OPERATOR_SWAPS[type(node.op)]())


def _dropped_branch(node: ast.AST) -> Iterator[Callable[[], None]]:
    """An `if` whose body is dropped: its `else` (or nothing, a `pass`) is all that is left."""
    for field in ("body", "orelse"):
        statements = getattr(node, field, None)
        if not isinstance(statements, list):
            continue
        for i, stmt in enumerate(statements):
            if isinstance(stmt, ast.If):
                yield partial(_replace, statements, i, stmt.orelse or [ast.Pass()])


OPERATORS: dict[str, Callable[[ast.AST], Iterator[Callable[[], None]]]] = {
    "compare_flip": lambda node: _compare_ops(node, COMPARE_FLIPS),
    "off_by_one": _off_by_one,
    "wrong_operator": _wrong_operator,
    "dropped_branch": _dropped_branch,
}


def holder(body: list[ast.stmt]) -> ast.Module:
    return ast.Module(body=body, type_ignores=[])


def candidates(problem: dict, seed: int) -> list[Mutant]:
    """Every one-change mutant of the problem's canonical solution, in an order fixed by the seed and
    the problem (the same on every machine); mutants equal to the solution are left out."""
    prompt, entry_point = problem["prompt"], problem["entry_point"]
    _, body = solution_body(prompt, problem["canonical_solution"], entry_point)
    original = render(prompt, body)
    found: list[Mutant] = []
    for operator, sites in OPERATORS.items():
        count = sum(1 for node in ast.walk(holder(body)) for _ in sites(node))
        for site in range(count):
            mutated = holder(copy.deepcopy(body))  # the statements in a node, so a top-level `if` can go
            changes = [change for node in ast.walk(mutated) for change in sites(node)]
            changes[site]()
            code = render(prompt, [ast.fix_missing_locations(stmt) for stmt in mutated.body])
            if code != original:
                found.append(Mutant(operator, site, code))
    random.Random(f"{seed}:{problem['task_id']}").shuffle(found)
    return found


def first_failing(problem: dict, seed: int, fails: Callable[[str], bool], tries: int = 20) -> Mutant | None:
    """The first candidate (in seeded order) the official tests reject: `fails(code)` runs them."""
    return next((mutant for mutant in candidates(problem, seed)[:tries] if fails(mutant.code)), None)
