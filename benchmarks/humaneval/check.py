"""The official HumanEval check, run so that an answer cannot forge its verdict.

The answer runs alone in a fresh sandbox session and is only ever *called*: arguments go in as
Python literals and results come back as the `repr` of plain values, read with `ast.literal_eval`.
The official tests, their helper functions (from the problem's own prompt) and every assert run
here, in the grader's interpreter, which agent code never touches. So an answer can choose what its
function returns, and nothing else: not the kernel's result channel, not an exit status, not an
object that compares equal to anything.
"""

import ast
import time
from typing import Any

from ctxbench.sandbox.base import Sandbox

MARK = "<<ctxbench-result>>"  # starts the line that carries a call's result
CALL = "print({mark!r} + repr({entry}(*__import__('ast').literal_eval({args!r}))))"


class CandidateFailed(AssertionError):
    """The answer raised, timed out, printed no result, or returned something that is not a literal."""


class RemoteCandidate:
    """Stands for the answer's function in the official tests: each call runs in the sandbox."""

    def __init__(self, box: Sandbox, entry_point: str, deadline: float) -> None:
        self.box, self.entry_point, self.deadline = box, entry_point, deadline
        self.__name__ = entry_point

    def __call__(self, *args: Any) -> Any:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise CandidateFailed("the check's time is up")
        try:
            literal = repr(args)
            ast.literal_eval(literal)
        except (ValueError, SyntaxError) as exc:  # a test passed something that is not a literal
            raise CandidateFailed(f"cannot pass {args!r} to the sandbox: {exc}") from None
        result = self.box.run_cell(CALL.format(mark=MARK, entry=self.entry_point, args=literal), remaining)
        if result.outcome != "ok":
            raise CandidateFailed(f"{self.entry_point} failed: {result.render()[-300:]}")
        lines = [line for line in result.stdout.split("\n") if line.startswith(MARK)]
        if not lines:
            raise CandidateFailed("no result")
        try:
            return ast.literal_eval(lines[-1][len(MARK) :])
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise CandidateFailed(f"{self.entry_point} returned something that is not a plain value") from None


def trusted_namespace(problem: dict[str, Any], candidate: RemoteCandidate) -> dict[str, Any]:
    """The problem's own prompt (its helpers, e.g. poly or encode_cyclic), with the entry point's
    name bound to the answer in the sandbox, as in the official program where tests may name it."""
    namespace: dict[str, Any] = {"__name__": "humaneval_check"}
    exec(problem["prompt"], namespace)
    namespace[problem["entry_point"]] = candidate
    return namespace


def passes(box: Sandbox, answer: str, problem: dict[str, Any], test: str, timeout_s: float) -> bool:
    """True when the answer, loaded into the fresh session `box`, passes `check(candidate)` of `test`."""
    deadline = time.monotonic() + timeout_s
    if box.run_cell(answer, timeout_s).outcome != "ok":
        return False
    candidate = RemoteCandidate(box, problem["entry_point"], deadline)
    try:
        trusted = trusted_namespace(problem, candidate)
        exec(test, trusted)
        trusted["check"](candidate)
    except Exception:
        return False
    return True


def examples_passed(box: Sandbox, problem: dict[str, Any], examples: list[tuple[str, str]], timeout_s: float) -> int:
    """How many docstring examples (expression, expected output) print as expected. The answer is
    already loaded in `box`; each expression is evaluated here, calling into the sandbox."""
    candidate = RemoteCandidate(box, problem["entry_point"], time.monotonic() + timeout_s)
    passed = 0
    for source, want in examples:
        try:
            value = eval(source, trusted_namespace(problem, candidate))
        except Exception:
            continue
        passed += want in (repr(value), str(value))
    return passed
